/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See tmpdir.h.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "tmpdir.h"

static int tmpdir_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int sb_test_tmpdir_make(char *dir, const char *tag)
{
	if (snprintf(dir, SB_TEST_TMPDIR_MAX, "/tmp/sb-%s-XXXXXX", tag) >= SB_TEST_TMPDIR_MAX)
		return -1;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

void sb_test_tmpdir_remove(const char *dir)
{
	nftw(dir, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
