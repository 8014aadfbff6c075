/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See msg_link.h. Runs on the fast path of both processes: no allocation
 * beyond the message pool, no locks, no output; every refusal is counted.
 */
#include <errno.h>
#include <string.h>

#include "msg_link.h"

#define LINK_COUNT(l, name) do { if ((l)->ctr.name != NULL) (*(l)->ctr.name)++; } while (0)

void sb_msg_link_init(struct sb_msg_link *l, uint8_t owner, uint16_t self, unsigned n_workers,
		      unsigned n_shards, const struct sb_msg_link_ring *ring,
		      const struct sb_msg_pool_ops *pool)
{
	memset(l, 0, sizeof(*l));
	l->owner = owner;
	l->control = owner == SB_MSG_OWNER_CONTROL;
	l->self = self;
	l->n_workers = n_workers;
	l->n_shards = n_shards;
	l->ring = *ring;
	l->pool = *pool;
}

int sb_msg_link_register(struct sb_msg_link *l, enum sb_msg_kind kind, sb_msg_link_handler fn,
			 void *ctx)
{
	if (kind <= SB_MSG_HEARTBEAT || kind >= SB_MSG_KIND_MAX)
		return -EINVAL; /* heartbeats are the link's own */
	l->handler[kind] = fn;
	l->handler_ctx[kind] = ctx;
	return 0;
}

int sb_msg_link_send(struct sb_msg_link *l, unsigned p, struct sb_msg *m)
{
	m->worker = l->control ? (uint16_t)p : l->self;
	m->shard = l->control ? l->self : (uint16_t)p;
	if (l->ring.enqueue(l->ring.arg, p, m) != 0) {
		LINK_COUNT(l, full);
		return -ENOBUFS;
	}
	LINK_COUNT(l, sent);
	return 0;
}

/* A heartbeat: a peer's probe goes back, our own ends here. */
static void link_heartbeat(struct sb_msg_link *l, unsigned p, struct sb_msg *m, uint64_t now_tsc)
{
	bool ours = ((m->flags & SB_MSG_F_FROM_CONTROL) != 0) == l->control;

	if (!ours) {
		m->flags |= SB_MSG_F_REPLY;
		if (sb_msg_link_send(l, p, m) == 0) {
			LINK_COUNT(l, echoed);
			return;
		}
	} else if (m->flags & SB_MSG_F_REPLY) {
		if (l->rtt_tsc != NULL)
			l->rtt_tsc[p] = now_tsc - m->t0_tsc;
		if (l->rtt_last_tsc != NULL)
			l->rtt_last_tsc[p] = now_tsc;
		LINK_COUNT(l, rtt_samples);
	}
	sb_msg_free_chain(m, &l->pool);
}

static bool link_addressed_to_us(const struct sb_msg_link *l, unsigned p, const struct sb_msg *m)
{
	unsigned workers = l->control ? l->n_workers : l->self + 1u;
	unsigned shards = l->control ? l->self + 1u : l->n_shards;

	return sb_msg_decode(m, workers, shards) == SB_MSG_OK &&
	       m->worker == (l->control ? p : l->self) && m->shard == (l->control ? l->self : p);
}

void sb_msg_link_defer(struct sb_msg_link *l)
{
	l->defer = true;
}

/* Check and dispatch in[0..n) from peer p, tagged ours already. Returns
 * how many were taken in; a deferral stops at its message (l->defer left
 * set). */
static unsigned link_dispatch(struct sb_msg_link *l, unsigned p, struct sb_msg **in, unsigned n,
			      uint64_t now_tsc)
{
	for (unsigned i = 0; i < n; i++) {
		struct sb_msg *m = in[i];

		if (!link_addressed_to_us(l, p, m)) {
			LINK_COUNT(l, bad);
			sb_msg_free_chain(m, &l->pool);
		} else if (m->kind == SB_MSG_HEARTBEAT) {
			link_heartbeat(l, p, m, now_tsc);
		} else if (l->handler[m->kind] != NULL) {
			l->handler[m->kind](l->handler_ctx[m->kind], p, m);
			if (l->defer)
				return i;
		} else {
			LINK_COUNT(l, unhandled);
			sb_msg_free_chain(m, &l->pool);
		}
	}
	return n;
}

/* Dispatch what waits; the peer's ring is read only once it is all done. */
static unsigned link_carry(struct sb_msg_link *l, uint64_t now_tsc)
{
	unsigned n = link_dispatch(l, l->carry_peer, &l->carry[l->carry_at],
				   (unsigned)(l->carry_n - l->carry_at), now_tsc);

	if (l->defer) {
		l->defer = false;
		l->carry_at = (uint8_t)(l->carry_at + n);
	} else {
		l->carry_at = l->carry_n = 0;
	}
	return n;
}

unsigned sb_msg_link_poll(struct sb_msg_link *l, unsigned p, unsigned burst, uint64_t now_tsc)
{
	struct sb_msg *in[SB_MSG_LINK_BURST];
	unsigned n, taken, done = 0;

	if (sb_msg_link_deferred(l)) {
		if (p != l->carry_peer)
			return 0;
		done = link_carry(l, now_tsc);
		if (sb_msg_link_deferred(l))
			return done;
	}
	if (burst > SB_MSG_LINK_BURST)
		burst = SB_MSG_LINK_BURST;
	n = l->ring.dequeue(l->ring.arg, p, in, burst);
	if (l->ctr.received != NULL)
		*l->ctr.received += n;
	/* All ours before any is handled: off the ring, a chain tagged RING
	 * is nobody's, and sb-control killed while handling in[0] (an fsync
	 * can take milliseconds) would leave the rest of the burst where its
	 * successor cannot find them (control/recover.c), lost. */
	for (unsigned i = 0; i < n; i++)
		sb_msg_set_owner(in[i], (enum sb_msg_owner)l->owner);
	taken = link_dispatch(l, p, in, n, now_tsc);
	if (l->defer) {
		/* The deferred message and the rest of the burst wait. */
		l->defer = false;
		l->carry_peer = (uint16_t)p;
		l->carry_at = 0;
		l->carry_n = (uint8_t)(n - taken);
		memcpy(l->carry, &in[taken], (n - taken) * sizeof(in[0]));
	}
	return done + taken;
}

int sb_msg_link_probe(struct sb_msg_link *l, unsigned p, uint64_t now_tsc, uint32_t epoch)
{
	struct sb_msg *m = l->pool.alloc(l->pool.arg);

	if (m == NULL)
		return -ENOMEM;
	sb_msg_encode(m, SB_MSG_HEARTBEAT, 0, 0, 0, ++l->probe_seq, now_tsc);
	m->owner = l->owner;
	m->flags = l->control ? SB_MSG_F_FROM_CONTROL : 0;
	m->epoch = epoch;
	if (sb_msg_link_send(l, p, m) < 0) {
		sb_msg_free_chain(m, &l->pool);
		return -ENOBUFS;
	}
	return 0;
}
