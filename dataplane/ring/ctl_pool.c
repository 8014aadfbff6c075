/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See ctl_pool.h. Objects on a fill ring are tagged FREE, as in the pool:
 * the shard tags an object CONTROL once it has taken it, so a killed
 * sb-control's successor reclaims exactly what its predecessor held and
 * never an object still waiting on a ring. The top-up comes out of the
 * part of the pool kept for sb-control (w->msg_reserve): the worker's own
 * allocations stop above it, these do not.
 */
#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "ctl_pool.h"
#include "msg.h"

static unsigned pool_return(struct sb_worker *w, struct rte_ring *ret)
{
	void *objs[SB_CTL_POOL_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(ret, objs, SB_CTL_POOL_BURST, NULL);

	if (n > 0) {
		rte_mempool_put_bulk(w->msg_pool, objs, n);
		SB_CTR_ADD(w, ctl_pool_returned, n);
	}
	return n;
}

static unsigned pool_fill(struct sb_worker *w, struct rte_ring *fill)
{
	void *objs[SB_CTL_POOL_BURST];
	unsigned want = rte_ring_free_count(fill);

	/* Top up in bursts: a shard taking one object costs no pool access. */
	if (want < SB_CTL_POOL_BURST / 4)
		return 0;
	want = RTE_MIN(want, SB_CTL_POOL_BURST);
	if (rte_mempool_get_bulk(w->msg_pool, objs, want) != 0) {
		SB_CTR_INC(w, ctl_pool_dry);
		return 0;
	}
	for (unsigned i = 0; i < want; i++) {
		struct sb_msg *m = objs[i];

		m->next = NULL;
		m->owner = SB_MSG_OWNER_FREE;
	}
	/* Cannot fail: we are the only producer and saw the room. */
	rte_ring_sp_enqueue_bulk(fill, objs, want, NULL);
	SB_CTR_ADD(w, ctl_pool_filled, want);
	return want;
}

unsigned sb_ctl_pool_serve(struct sb_worker *w)
{
	unsigned moved = 0;

	for (unsigned s = 0; s < w->n_shards; s++) {
		moved += pool_return(w, w->ret[s]);
		moved += pool_fill(w, w->fill[s]);
	}
	return moved;
}
