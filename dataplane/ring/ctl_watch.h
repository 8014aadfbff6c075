/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Whether sb-control is there: decided by the dataplane's main lcore every
 * 100 ms and published as one word the workers read (shm->ctl_live).
 *
 * Liveness is progress, never a stamp that a busy thread might fail to
 * refresh: sb-control is live while its process exists and every shard that
 * has messages waiting on its rings keeps turning its loop. A shard loop
 * that has not turned for control.stall_ms while its rings hold messages is
 * stalled (a wedged process); until then a slow or stopped sb-control is
 * waited for, the rings fill and clients' TCP windows close. Ring latency
 * plays no part: a deep queue is backpressure, not death.
 */
#ifndef SB_DP_CTL_WATCH_H
#define SB_DP_CTL_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "shm.h"

struct sb_dp_shared;

struct sb_ctl_watch {
	const struct sb_dp_shared *sh;
	unsigned n_workers;
	uint64_t stall_ms;
	int32_t pid;                          /* the sb-control last seen */
	uint64_t turns[SB_MAX_SHARDS];        /* each shard's loop turns at last change */
	uint64_t moved_ms[SB_MAX_SHARDS];     /* when they last changed */
};

void sb_ctl_watch_init(struct sb_ctl_watch *cw, const struct sb_dp_shared *sh, unsigned n_workers,
		       uint64_t stall_ms);

/* Decide and publish shm->ctl_live (the attached epoch, or 0). */
void sb_ctl_watch_tick(struct sb_ctl_watch *cw, uint64_t now_ms);

#endif
