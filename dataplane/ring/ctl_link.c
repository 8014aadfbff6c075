/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker's end of the rings: a struct sb_msg_link (lib/msg/msg_link.h,
 * the same code as the control shards' end) over this worker's up and down
 * rings, the shared pool accounted against the part kept for sb-control,
 * and heartbeats through every (worker, shard) pair: their round trip is
 * the first thing to read when queues back up. Applications register the
 * message kinds they handle on w->link; nothing here knows them.
 */
#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <errno.h>

#include "ctl_link.h"
#include "msg.h"

static struct sb_msg *link_pool_alloc(void *arg)
{
	struct sb_worker *w = arg;
	struct sb_msg *m;

	if (w->msg_stash_n > 0) {
		m = w->msg_stash[--w->msg_stash_n];
	} else {
		if (rte_mempool_get(w->msg_pool, (void **)&m) != 0)
			return NULL;
		if (w->msg_budget > 0)
			w->msg_budget--;
	}
	m->next = NULL;
	m->owner = SB_MSG_OWNER_DATAPLANE;
	return m;
}

static void link_pool_free(void *arg, struct sb_msg *m)
{
	struct sb_worker *w = arg;

	m->owner = SB_MSG_OWNER_FREE;
	rte_mempool_put(w->msg_pool, m);
}

void sb_ctl_link_pool_ops(struct sb_worker *w)
{
	w->msg_ops.alloc = link_pool_alloc;
	w->msg_ops.free = link_pool_free;
	w->msg_ops.arg = w;
}

int sb_ctl_link_stash(struct sb_worker *w, unsigned n)
{
	unsigned have = w->msg_stash_n, want;

	n = RTE_MIN(n, (unsigned)RTE_DIM(w->msg_stash));
	if (likely(have >= n))
		return 0;
	/* All or nothing: a part would sit in the stash while the element
	 * waits, and be counted as taken. */
	want = RTE_MAX(n, SB_CTL_STASH_KEEP) - have;
	if (rte_mempool_get_bulk(w->msg_pool, (void **)&w->msg_stash[have], want) != 0) {
		want = n - have;
		if (rte_mempool_get_bulk(w->msg_pool, (void **)&w->msg_stash[have], want) != 0) {
			SB_CTR_INC(w, msg_stash_short);
			w->msg_budget = 0; /* the count was stale: recount next time */
			return -ENOBUFS;
		}
	}
	w->msg_stash_n = have + want;
	w->msg_budget = w->msg_budget > want ? w->msg_budget - want : 0;
	return 0;
}

void sb_ctl_link_stash_release(struct sb_worker *w)
{
	if (w->msg_stash_n > 0)
		rte_mempool_put_bulk(w->msg_pool, (void **)w->msg_stash, w->msg_stash_n);
	w->msg_stash_n = 0;
}

void sb_ctl_link_stash_trim(struct sb_worker *w)
{
	unsigned extra = w->msg_stash_n - SB_CTL_STASH_KEEP;

	rte_mempool_put_bulk(w->msg_pool, (void **)&w->msg_stash[SB_CTL_STASH_KEEP], extra);
	w->msg_stash_n = SB_CTL_STASH_KEEP;
}

/* Counting the pool walks every lcore's cache, so it is done once per
 * SB_CTL_MSG_BUDGET allocations, not per message. */
bool sb_ctl_link_msgs_low(struct sb_worker *w)
{
	unsigned avail;

	if (likely(w->msg_budget > 0))
		return false;
	avail = rte_mempool_avail_count(w->msg_pool);
	if (avail <= w->msg_reserve) {
		SB_CTR_INC(w, msgs_low);
		return true;
	}
	w->msg_budget = RTE_MIN(avail - w->msg_reserve, SB_CTL_MSG_BUDGET);
	return false;
}

static int link_ring_enqueue(void *arg, unsigned shard, struct sb_msg *m)
{
	struct sb_worker *w = arg;

	sb_msg_set_owner(m, SB_MSG_OWNER_RING);
	if (rte_ring_sp_enqueue(w->up[shard], m) != 0) {
		sb_msg_set_owner(m, SB_MSG_OWNER_DATAPLANE);
		return -ENOBUFS;
	}
	return 0;
}

static unsigned link_ring_dequeue(void *arg, unsigned shard, struct sb_msg **out, unsigned n)
{
	struct sb_worker *w = arg;

	return rte_ring_sc_dequeue_burst(w->down[shard], (void **)out, n, NULL);
}

void sb_ctl_link_init(struct sb_worker *w)
{
	struct sb_msg_link *l = &w->link;
	const struct sb_msg_link_ring ring = {
		.enqueue = link_ring_enqueue,
		.dequeue = link_ring_dequeue,
		.arg = w,
	};

	sb_ctl_link_pool_ops(w);
	sb_msg_link_init(l, SB_MSG_OWNER_DATAPLANE, w->index, w->index + 1u, w->n_shards, &ring,
			 &w->msg_ops);
	l->ctr = (struct sb_msg_link_ctr){
		.full = &w->ctr[SB_DP_CTR_ring_full],
		.received = &w->ctr[SB_DP_CTR_ring_deq],
		.bad = &w->ctr[SB_DP_CTR_msg_bad],
		.unhandled = &w->ctr[SB_DP_CTR_msg_bad],
		.echoed = &w->ctr[SB_DP_CTR_hb_echoed],
		.rtt_samples = &w->ctr[SB_DP_CTR_hb_rtt_samples],
	};
	l->rtt_tsc = w->stats->hb_rtt_tsc;
	l->rtt_last_tsc = w->stats->hb_last_tsc;
}

int sb_ctl_link_send(struct sb_worker *w, unsigned shard, struct sb_msg *m, uint64_t now_tsc)
{
	if (!sb_ctl_link_attached(w, now_tsc)) {
		SB_CTR_INC(w, no_control);
		return -ENOTCONN;
	}
	return sb_msg_link_send(&w->link, shard, m);
}

unsigned sb_ctl_link_poll(struct sb_worker *w, uint64_t now_tsc)
{
	unsigned total = 0;

	for (unsigned s = 0; s < w->n_shards; s++)
		total += sb_msg_link_poll(&w->link, s, SB_CTL_LINK_BURST, now_tsc);
	return total;
}

bool sb_ctl_link_attached(const struct sb_worker *w, uint64_t now_tsc)
{
	(void)now_tsc;
	return __atomic_load_n(&w->shm->ctl_live, __ATOMIC_ACQUIRE) != 0;
}

void sb_ctl_link_heartbeat(struct sb_worker *w, uint64_t now_tsc)
{
	uint32_t epoch;
	unsigned shards;

	if (now_tsc < w->hb_next_tsc)
		return;
	w->hb_next_tsc = now_tsc + w->hb_interval_tsc;
	if (!sb_ctl_link_attached(w, now_tsc)) {
		/* Nobody consumes the rings: filling them would only leave
		 * stale probes for the next sb-control to drain. */
		SB_CTR_INC(w, no_control);
		return;
	}
	shards = __atomic_load_n(&w->shm->ctl_shards, __ATOMIC_ACQUIRE);
	epoch = __atomic_load_n(&w->shm->ctl_epoch, __ATOMIC_RELAXED);
	for (unsigned s = 0; s < shards && s < w->n_shards; s++) {
		int rc = sb_msg_link_probe(&w->link, s, now_tsc, epoch);

		if (rc == 0) {
			SB_CTR_INC(w, hb_sent);
		} else if (rc == -ENOMEM) {
			SB_CTR_INC(w, msg_alloc_fail);
			return;
		}
	}
}
