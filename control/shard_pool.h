/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A control shard's message objects (lib/msg/shm.h): taken from the fill
 * rings the workers keep topped up, given back on the return rings they
 * drain. The shard is the only consumer of its fill rings and the only
 * producer of its return rings, so these are SPSC operations that never
 * wait, and a SIGKILL in the middle of one leaves nothing a successor
 * cannot roll back (ring_rollback.h). The shared pool's own ring, which
 * every worker produces to, is never touched from sb-control.
 *
 * A freed object that finds every return ring full waits on the pending
 * list, tagged FREEING (so a successor reclaims it, and never mistakes it
 * for a stanza to route again), until sb_shard_pool_flush finds room.
 */
#ifndef SB_CTL_SHARD_POOL_H
#define SB_CTL_SHARD_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "shm.h"

struct rte_ring;

struct sb_shard_pool {
	struct rte_ring *fill[SB_MAX_WORKERS]; /* worker w -> us: free objects */
	struct rte_ring *ret[SB_MAX_WORKERS];  /* us -> worker w: objects we freed */
	unsigned n_workers;
	unsigned fill_at;          /* the fill ring tried first: the last that had one */
	unsigned ret_at;           /* the return ring tried first */
	struct sb_msg *pending;    /* FREEING, linked by next: no room on any return ring */
	uint64_t n_pending;
	uint64_t wait_tsc;         /* how long an allocation waits for a top-up */
	bool dry;                  /* the last wait failed: do not wait again until one succeeds */
	uint64_t *empty;           /* counters (may be NULL): allocations that found no object */
	uint64_t *waited;          /*   allocations that waited for a top-up */
	uint64_t *deferred;        /*   frees that had to wait on the pending list */
	uint64_t *low;             /*   turns the stanza rings were left unread (below floor) */
	unsigned floor;            /* objects the fill rings hold before the shard reads on */
};

/* wait_tsc: how long an allocation that finds every fill ring empty waits
 * for a worker's top-up (0: not at all). */
void sb_shard_pool_init(struct sb_shard_pool *p, struct rte_ring *const *fill,
			struct rte_ring *const *ret, unsigned n_workers, uint64_t wait_tsc);

/* Set p's floor for a shared pool of msgs objects split into `pairs`
 * (worker, shard) pairs: a quarter of each of its fill rings
 * (sb_pool_fill_size), which the part of the pool the workers leave to
 * sb-control (an eighth) can always top up, so a shard waiting on it is
 * never waiting on itself. */
void sb_shard_pool_floor(struct sb_shard_pool *p, unsigned msgs, unsigned pairs);

/* Whether the fill rings hold p->floor objects: the shard reads its
 * stanza rings only then. What a stanza asks for (a login's presence to
 * every other resource and contact, an offline flush) is taken while it is
 * handled and cannot wait then; a shard that stops reading instead lets
 * the workers' rings fill, and their clients' TCP windows close. Counted
 * in p->low when false. */
bool sb_shard_pool_ready(struct sb_shard_pool *p);

/* lib/msg's pool access (sb_msg_pool_ops) over p. */
void sb_shard_pool_ops(struct sb_msg_pool_ops *ops, struct sb_shard_pool *p);

/* Give objects back: a chain linked by next (a successor's reclaim, or
 * what a killed predecessor left), each one as a free would. */
void sb_shard_pool_give_back(struct sb_shard_pool *p, struct sb_msg *chain);

/* Move pending objects onto return rings with room; once per shard turn.
 * Returns how many moved. */
unsigned sb_shard_pool_flush(struct sb_shard_pool *p);

#endif
