/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The end of every store test: the store closed and its temporary folder
 * (tests/unit/common/tmpdir.h) removed with the LMDB files in it.
 */
#ifndef SB_TEST_STORE_FX_H
#define SB_TEST_STORE_FX_H

#include "store/store.h"

void store_fx_close(struct sb_store *st, const char *dir);

#endif
