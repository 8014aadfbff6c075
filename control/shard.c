/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The control shard loop. Today it keeps every ring pair alive with
 * heartbeats both ways (see dataplane/ring/ctl_link.c for the other side);
 * routing, sessions and storage plug in where messages are dispatched.
 *
 * Shard threads are plain pthreads, not EAL lcores: their lcore id is
 * LCORE_ID_ANY, so mempool operations bypass the per-lcore caches that
 * belong to the primary's lcores (sharing a cache across processes would
 * corrupt it).
 */
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "msg.h"
#include "router/auth_pool.h"
#include "shard.h"

static void shard_free(struct sb_shard *sh, struct sb_msg *m)
{
	m->owner = SB_MSG_OWNER_FREE;
	rte_mempool_put(sh->msg_pool, m);
}

/* Hand m down to worker w; on failure m stays ours. */
static int shard_enqueue(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	m->owner = SB_MSG_OWNER_RING;
	if (unlikely(rte_ring_sp_enqueue(sh->down[w], m) != 0)) {
		m->owner = SB_MSG_OWNER_CONTROL;
		sh->stats->ring_full++;
		return -1;
	}
	sh->stats->msgs_out++;
	return 0;
}

static struct sb_msg *shard_pool_alloc(void *arg)
{
	struct sb_msg *m;

	if (rte_mempool_get(arg, (void **)&m) != 0)
		return NULL;
	m->next = NULL;
	m->owner = SB_MSG_OWNER_CONTROL;
	return m;
}

static void shard_pool_free(void *arg, struct sb_msg *m)
{
	m->owner = SB_MSG_OWNER_FREE;
	rte_mempool_put(arg, m);
}

void sb_shard_pool_ops(struct sb_msg_pool_ops *ops, struct rte_mempool *mp)
{
	ops->alloc = shard_pool_alloc;
	ops->free = shard_pool_free;
	ops->arg = mp;
}

/* XMPP work: the router owns the message from here. */
static void shard_dispatch(struct sb_shard *sh, struct sb_msg *m)
{
	switch (m->kind) {
	case SB_MSG_AUTH_REQ:
		sb_router_auth(sh, m);
		break;
	case SB_MSG_BIND_REQ:
		sb_router_bind(sh, m);
		break;
	case SB_MSG_UNBIND:
		sb_router_unbind(sh, m);
		break;
	case SB_MSG_STANZA:
		sb_router_stanza(sh, m);
		break;
	default:
		sh->stats->msgs_bad++;
		sb_msg_free_chain(m, &sh->router.pool);
		break;
	}
}

static void shard_handle(struct sb_shard *sh, unsigned w, struct sb_msg *m, uint64_t now_tsc)
{
	sb_msg_set_owner(m, SB_MSG_OWNER_CONTROL);
	if (unlikely(sb_msg_decode(m, sh->n_workers, sh->index + 1u) != SB_MSG_OK ||
		     m->worker != w || m->shard != sh->index)) {
		sh->stats->msgs_bad++;
		sb_msg_free_chain(m, &sh->router.pool);
		return;
	}
	if (m->kind != SB_MSG_HEARTBEAT) {
		shard_dispatch(sh, m);
		return;
	}
	if (m->flags & SB_MSG_F_FROM_CONTROL) {
		/* Our own probe back from the worker. */
		if (m->flags & SB_MSG_F_REPLY) {
			sh->stats->hb_rtt_tsc[w] = now_tsc - m->t0_tsc;
			sh->stats->hb_last_tsc[w] = now_tsc;
		}
		shard_free(sh, m);
		return;
	}
	m->flags |= SB_MSG_F_REPLY;
	if (shard_enqueue(sh, w, m) < 0)
		shard_free(sh, m);
}

static unsigned shard_poll(struct sb_shard *sh, uint64_t now_tsc)
{
	void *burst[SB_SHARD_BURST];
	unsigned total = 0, flushed = 0;

	if (sh->router.backlog_total > 0)
		flushed = sb_router_flush(sh);
	flushed += sb_router_auth_done(sh);
	flushed += sb_router_kick_drain(sh);
	if (sb_router_congested(&sh->router))
		return flushed; /* let the stanza rings fill: backpressure upstream */
	for (unsigned w = 0; w < sh->n_workers; w++) {
		unsigned n = rte_ring_sc_dequeue_burst(sh->up[w], burst, SB_SHARD_BURST, NULL);

		for (unsigned i = 0; i < n; i++)
			shard_handle(sh, w, burst[i], now_tsc);
		total += n;
	}
	sh->stats->msgs_in += total;
	return total + flushed;
}

static void shard_heartbeat(struct sb_shard *sh, uint64_t now_tsc)
{
	if (now_tsc < sh->hb_next_tsc)
		return;
	sh->hb_next_tsc = now_tsc + sh->hb_interval_tsc;
	for (unsigned w = 0; w < sh->n_workers; w++) {
		struct sb_msg *m;

		if (rte_mempool_get(sh->msg_pool, (void **)&m) != 0)
			return;
		sb_msg_encode(m, SB_MSG_HEARTBEAT, (uint16_t)w, sh->index, 0, ++sh->hb_seq,
			      now_tsc);
		m->owner = SB_MSG_OWNER_CONTROL;
		m->flags = SB_MSG_F_FROM_CONTROL;
		m->epoch = sh->epoch;
		if (shard_enqueue(sh, w, m) < 0)
			shard_free(sh, m);
	}
}

void *sb_shard_main(void *arg)
{
	struct sb_shard *sh = arg;

	while (!*sh->quit) {
		uint64_t now_tsc = rte_rdtsc();
		unsigned work = shard_poll(sh, now_tsc);

		shard_heartbeat(sh, now_tsc);
		if (work != 0)
			sh->stats->loop_busy++;
		else
			sh->stats->loop_idle++;
		sb_idle_turn(&sh->idle, work);
	}
	return NULL;
}
