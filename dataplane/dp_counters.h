/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's counters (dp_counters.def, lib/ctr's shape) and where
 * each group sits in a worker's counter slots (struct sb_shm_worker.ctr):
 * the worker's own first, written in place (SB_CTR_INC), then lib/tcp's,
 * then lib/xmpp's c2s counters, copied every 100 ms. The layout is this
 * process's business: readers find it in the workers' directory
 * (counters.c writes it at start).
 */
#ifndef SB_DP_COUNTERS_H
#define SB_DP_COUNTERS_H

#include "ctr.h"
#include "shm.h"
#include "tcp.h"

enum sb_dp_counter {
#define SB_CTR(name, help) SB_DP_CTR_##name,
#include "dp_counters.def"
#undef SB_CTR
	SB_DP_CTR_MAX,
};

#define SB_DP_SLOT_TCP SB_DP_CTR_MAX                  /* lib/tcp's, SB_TCP_CNT_MAX of them */
#define SB_DP_SLOT_APPS (SB_DP_SLOT_TCP + SB_TCP_CNT_MAX) /* the applications' from here */

_Static_assert(SB_DP_CTR_idle_tsc == SB_DP_CTR_busy_tsc + 1, "the loop adds to busy_tsc + idle");
_Static_assert(SB_DP_SLOT_APPS <= SB_SHM_WORKER_CTRS, "worker counters exceed SB_SHM_WORKER_CTRS");

#endif
