/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See store_fx.h.
 */
#include "store_fx.h"
#include "tmpdir.h"

void store_fx_close(struct sb_store *st, const char *dir)
{
	sb_store_close(st);
	sb_test_tmpdir_remove(dir);
}
