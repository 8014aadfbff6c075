/* SPDX-License-Identifier: BSD-3-Clause
 *
 * struct sb_shard: what one control shard thread owns. Shard s is the only
 * consumer of every worker's up ring to s and the only producer of every
 * down ring from s, which is what lets the rings be SPSC and the shard's
 * tables lock-free. Passed explicitly; nothing about a shard is global.
 */
#ifndef SB_CTL_SHARD_H
#define SB_CTL_SHARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "idle.h"
#include "metrics/hist.h"
#include "msg_link.h"
#include "router/router.h"
#include "shard_pool.h"
#include "shm.h"

struct rte_ring;

#define SB_SHARD_BURST 32 /* messages per ring per turn: bounded work */

/* The shard's counters (shard_counters.def), in struct sb_shm_shard.ctr. */
enum sb_shard_ctr {
#define SB_CTR(name, help) SB_SHARD_CTR_##name,
#include "shard_counters.def"
#undef SB_CTR
	SB_SHARD_CTR_MAX,
};

_Static_assert(SB_SHARD_CTR_MAX <= SB_SHM_SHARD_CTRS, "shard counters exceed SB_SHM_SHARD_CTRS");

#define SB_SHARD_INC(sh, name) ((sh)->stats->ctr[SB_SHARD_CTR_##name]++)

struct sb_shard {
	uint16_t index;
	uint16_t n_workers;
	struct rte_ring *up[SB_MAX_WORKERS];   /* worker w -> this shard */
	struct rte_ring *down[SB_MAX_WORKERS]; /* this shard -> worker w */
	struct sb_shard_pool pool;             /* message objects (shard_pool.h) */
	struct sb_shm *shm;
	struct sb_shm_shard *stats;
	uint32_t epoch;
	uint64_t hb_interval_tsc;
	uint64_t hb_next_tsc;
	struct sb_msg_link link;               /* our end of the ring pairs */
	struct sb_idle idle;
	struct sb_router router;
	volatile bool *quit;
	/* A killed predecessor's unfinished chains for this shard (recover.h),
	 * handled before the first ring is read. */
	struct sb_msg **recovered;
	uint32_t n_recovered;
	pthread_t thread;
	/* How long messages waited between their worker's hand-off (t0_tsc)
	 * and this shard taking them off the ring (metrics/hist.h): stanzas,
	 * and logins (SASL and bind requests). Read by metrics/collect.c. */
	uint64_t now_tsc;           /* this loop turn's */
	uint64_t hist_us_mult;      /* sb_hist_us_mult(tsc_hz) */
	struct sb_hist stanza_wait;
	struct sb_hist login_wait;
} __attribute__((aligned(64)));

/* Set up sh->link (rings, counters, the router's handlers); after the
 * router's pool ops are set. */
void sb_shard_link_init(struct sb_shard *sh);

/* Describe the shard counters in shm->shard_dir (the group sbctl prints
 * them under: "shard"); before the shard threads start. 0 or -ENOSPC. */
int sb_shard_counters_describe(struct sb_shm *shm);

/* Thread body; arg is the struct sb_shard. */
void *sb_shard_main(void *arg);

#endif
