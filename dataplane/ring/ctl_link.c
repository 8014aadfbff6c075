/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Heartbeats through every (worker, shard) ring pair, both ways. A worker's
 * heartbeat goes up, sb-control echoes it down, and the worker records the
 * round trip; sb-control's heartbeat comes down and the worker echoes it up.
 * This proves each ring is being consumed, which a liveness stamp alone does
 * not, and its RTT is the first thing to read when queues back up.
 *
 * Ownership of pool objects follows lib/msg/msg.h: the tag is written by the
 * holder before the hand-over, and SB_MSG_OWNER_FREE before the put.
 */
#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <errno.h>

#include "ctl_link.h"
#include "msg.h"
#include "xmpp/xconn.h"

static struct sb_msg *link_pool_alloc(void *arg)
{
	struct sb_worker *w = arg;
	struct sb_msg *m;

	if (rte_mempool_get(w->msg_pool, (void **)&m) != 0)
		return NULL;
	if (w->msg_budget > 0)
		w->msg_budget--;
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

static void link_free(struct sb_worker *w, struct sb_msg *m)
{
	m->owner = SB_MSG_OWNER_FREE;
	rte_mempool_put(w->msg_pool, m);
}

/* Hand m to shard s; on failure m stays ours and the caller frees it. */
static int link_enqueue(struct sb_worker *w, unsigned s, struct sb_msg *m)
{
	m->owner = SB_MSG_OWNER_RING;
	if (unlikely(rte_ring_sp_enqueue(w->up[s], m) != 0)) {
		m->owner = SB_MSG_OWNER_DATAPLANE;
		SB_CTR_INC(w, ring_full);
		return -1;
	}
	return 0;
}

int sb_ctl_link_send(struct sb_worker *w, unsigned shard, struct sb_msg *m, uint64_t now_tsc)
{
	if (!sb_ctl_link_attached(w, now_tsc)) {
		SB_CTR_INC(w, no_control);
		return -ENOTCONN;
	}
	m->shard = (uint16_t)shard;
	m->worker = w->index;
	sb_msg_set_owner(m, SB_MSG_OWNER_RING);
	if (unlikely(rte_ring_sp_enqueue(w->up[shard], m) != 0)) {
		sb_msg_set_owner(m, SB_MSG_OWNER_DATAPLANE);
		SB_CTR_INC(w, ring_full);
		return -ENOBUFS;
	}
	return 0;
}

static void link_handle(struct sb_worker *w, unsigned s, struct sb_msg *m, uint64_t now_tsc)
{
	sb_msg_set_owner(m, SB_MSG_OWNER_DATAPLANE);
	if (unlikely(sb_msg_decode(m, w->index + 1u, w->n_shards) != SB_MSG_OK ||
		     m->worker != w->index || m->shard != s)) {
		SB_CTR_INC(w, msg_bad);
		sb_msg_free_chain(m, &w->msg_ops);
		return;
	}
	if (m->kind != SB_MSG_HEARTBEAT) {
		if (w->xmpp != NULL) {
			sb_xmpp_from_control(w, m);
			return;
		}
		SB_CTR_INC(w, msg_bad);
		sb_msg_free_chain(m, &w->msg_ops);
		return;
	}
	switch (m->kind) {
	case SB_MSG_HEARTBEAT:
		if (m->flags & SB_MSG_F_FROM_CONTROL) {
			/* sb-control's probe: send it back up the paired ring. */
			m->flags |= SB_MSG_F_REPLY;
			if (link_enqueue(w, s, m) == 0)
				SB_CTR_INC(w, hb_echoed);
			else
				link_free(w, m);
			return;
		}
		if (m->flags & SB_MSG_F_REPLY) {
			w->stats->hb_rtt_tsc[s] = now_tsc - m->t0_tsc;
			w->stats->hb_last_tsc[s] = now_tsc;
			SB_CTR_INC(w, hb_rtt_samples);
		}
		link_free(w, m);
		return;
	default:
		SB_CTR_INC(w, msg_bad);
		link_free(w, m);
		return;
	}
}

unsigned sb_ctl_link_poll(struct sb_worker *w, uint64_t now_tsc)
{
	void *burst[SB_CTL_LINK_BURST];
	unsigned total = 0;

	for (unsigned s = 0; s < w->n_shards; s++) {
		unsigned n = rte_ring_sc_dequeue_burst(w->down[s], burst, SB_CTL_LINK_BURST, NULL);

		for (unsigned i = 0; i < n; i++)
			link_handle(w, s, burst[i], now_tsc);
		total += n;
	}
	SB_CTR_ADD(w, ring_deq, total);
	return total;
}

bool sb_ctl_link_attached(const struct sb_worker *w, uint64_t now_tsc)
{
	(void)now_tsc;
	return __atomic_load_n(&w->shm->ctl_live, __ATOMIC_ACQUIRE) != 0;
}

void sb_ctl_link_heartbeat(struct sb_worker *w, uint64_t now_tsc)
{
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
	for (unsigned s = 0; s < shards && s < w->n_shards; s++) {
		struct sb_msg *m;

		if (unlikely(rte_mempool_get(w->msg_pool, (void **)&m) != 0)) {
			SB_CTR_INC(w, msg_alloc_fail);
			return;
		}
		sb_msg_encode(m, SB_MSG_HEARTBEAT, w->index, (uint16_t)s, 0, ++w->hb_seq, now_tsc);
		m->epoch = __atomic_load_n(&w->shm->ctl_epoch, __ATOMIC_RELAXED);
		if (link_enqueue(w, s, m) == 0)
			SB_CTR_INC(w, hb_sent);
		else
			link_free(w, m);
	}
}
