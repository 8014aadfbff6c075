/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Link impairment for tests: loss, duplication, delay with jitter, and
 * reordering on the worker's own RX and TX paths, like netem or VPP's nsim.
 * It exists because a test must be able to put a bad network between a
 * kernel TCP and ours on any machine, including kernels built without
 * sch_netem. Off unless a config key under [impair] is set. It is a
 * wrapper, not a branch: when on, sb_impair_create() replaces the worker's
 * receive and flush (w->io) with its own, which call the port's around the
 * delay lines; the loop itself has no test path.
 */
#ifndef SB_DP_IMPAIR_H
#define SB_DP_IMPAIR_H

#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;
struct sb_worker;

struct sb_impair_line {
	uint32_t n;      /* packets waiting */
	uint32_t cap;
	struct sb_impair_slot {
		struct rte_mbuf *m;
		uint64_t due_tsc;
	} *slots;
};

struct sb_impair {
	uint32_t loss_ppm;    /* per direction, parts per million */
	uint32_t dup_ppm;
	uint32_t reorder_ppm; /* sent at once, ahead of the delayed ones */
	uint64_t delay_tsc;
	uint64_t jitter_tsc;  /* delay is uniform in [delay - jitter, delay + jitter] */
	struct rte_mempool *pool; /* for duplicates */
	struct sb_impair_line rx;
	struct sb_impair_line tx;
};

/* Build w's impairment from its config and wrap w->io (set by
 * sb_pktio_init before) with it; w->impair stays NULL and w->io untouched
 * when no key is set. 0 or -ENOMEM. */
struct sb_config;
int sb_impair_create(struct sb_worker *w, const struct sb_config *cfg);

#endif
