/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The verdict of `sbctl health`: healthy when the dataplane's main lcore
 * has stamped its liveness recently, the dataplane holds this sb-control
 * for live, and every ring pair between a worker and a shard has carried a
 * heartbeat both ways recently (dataplane/ring/ctl_link.c sends one per
 * rings.heartbeat_ms through every pair; a round trip stamps hb_last_tsc
 * only when the worker loop, both rings and the shard loop all moved).
 * Progress, then, not a stamp one thread keeps alone. Pure: reads a
 * snapshot of struct sb_shm and the caller's clock.
 */
#ifndef SB_METRICS_HEALTH_H
#define SB_METRICS_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "shm.h"

/* The default age past which a stamp is stale: three heartbeat intervals,
 * and never under 5 s (a loaded machine may pause a sleeping loop). */
uint64_t sb_health_default_max_age_tsc(const struct sb_shm *shm);

/* 0 when healthy; -1 with the first reason in why ("dataplane main loop
 * silent for 7.1 s", "no heartbeat worker 0 -> shard 1 -> worker 0 for
 * 6.0 s", ...). ctl_epoch: this sb-control's attach epoch; ctl_shards:
 * its shard threads; dp_pid_alive: whether the dataplane's pid exists. */
int sb_health_check(const struct sb_shm *shm, uint32_t ctl_epoch, unsigned ctl_shards,
		    int dp_pid_alive, uint64_t now_tsc, uint64_t max_age_tsc, char *why,
		    size_t why_len);

#endif
