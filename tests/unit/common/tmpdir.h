/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A fresh folder under /tmp per test, and its removal with everything in
 * it: the fixture of the tests that need files (the LMDB store, the
 * management socket).
 */
#ifndef SB_TEST_TMPDIR_H
#define SB_TEST_TMPDIR_H

#include <stddef.h>

#define SB_TEST_TMPDIR_MAX 64

/* Create /tmp/sb-<tag>-XXXXXX into dir (SB_TEST_TMPDIR_MAX bytes). 0 or -1. */
int sb_test_tmpdir_make(char *dir, const char *tag);

/* Remove dir and everything below it. */
void sb_test_tmpdir_remove(const char *dir);

#endif
