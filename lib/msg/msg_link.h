/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One end of the rings between a dataplane worker and the control shards
 * (or a control shard and the workers): the same code on both sides.
 *
 * A link owns the conventions every hand-over follows, so neither process
 * re-implements them: owner tags (the holder writes the next holder's tag
 * before the hand-over, its own when it takes a message back), one return
 * convention for a send (0, or -ENOBUFS with the message still the
 * caller's), the check of every received header against the topology,
 * heartbeats both ways (a peer's probe is echoed, our own comes back with
 * its round trip), and dispatch of everything else by message kind through
 * a table the applications register into.
 *
 * lib/ knows no DPDK: the rings are reached through struct
 * sb_msg_link_ring, which each process fills with its rte_ring calls.
 * Counters are the caller's words (struct sb_msg_link_ctr), so each process
 * keeps them where its readers look.
 */
#ifndef SB_MSG_LINK_H
#define SB_MSG_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"

#define SB_MSG_LINK_PEERS_MAX 64

/* The rings to and from peer p. */
struct sb_msg_link_ring {
	/* Tag m SB_MSG_OWNER_RING and put it on the ring to p: 0, or nonzero
	 * when it is full (m then keeps the tag it came with). The tag is the
	 * callback's so that a side that must survive a SIGKILL between the
	 * two (sb-control: control/ring_rollback.h sb_ring_send) can record
	 * the send around both. */
	int (*enqueue)(void *arg, unsigned p, struct sb_msg *m);
	/* Take up to n messages from the ring from p into out. */
	unsigned (*dequeue)(void *arg, unsigned p, struct sb_msg **out, unsigned n);
	void *arg;
};

/* Where a link counts; any pointer may be NULL. */
struct sb_msg_link_ctr {
	uint64_t *sent;       /* messages handed to a ring */
	uint64_t *full;       /* sends refused: ring full */
	uint64_t *received;   /* messages taken from the rings */
	uint64_t *bad;        /* received messages failing the header check (freed) */
	uint64_t *unhandled;  /* received kinds nobody registered (freed) */
	uint64_t *echoed;     /* peers' heartbeats sent back */
	uint64_t *rtt_samples;/* our heartbeats back, round trip recorded */
};

/* A handler owns m, unless it calls sb_msg_link_defer(). */
typedef void (*sb_msg_link_handler)(void *ctx, unsigned peer, struct sb_msg *m);

#define SB_MSG_LINK_BURST 64u /* messages taken per poll, at most */

struct sb_msg_link {
	struct sb_msg_link_ring ring;
	struct sb_msg_pool_ops pool;
	struct sb_msg_link_ctr ctr;
	uint8_t owner;               /* our tag: SB_MSG_OWNER_DATAPLANE or _CONTROL */
	bool control;                /* we are a control shard (our probes carry FROM_CONTROL) */
	uint16_t self;               /* our worker or shard index */
	unsigned n_workers, n_shards;
	uint64_t *rtt_tsc;           /* per peer: last round trip of our heartbeat */
	uint64_t *rtt_last_tsc;      /* per peer: when it came back */
	uint64_t probe_seq;          /* numbers our heartbeats, nothing else */
	sb_msg_link_handler handler[SB_MSG_KIND_MAX];
	void *handler_ctx[SB_MSG_KIND_MAX];
	/* What a handler deferred, and what came after it in the same burst
	 * from the same peer: carry[carry_at..carry_n), dispatched again first. */
	bool defer;                  /* set by sb_msg_link_defer() during a dispatch */
	uint8_t carry_at, carry_n;
	uint16_t carry_peer;
	struct sb_msg *carry[SB_MSG_LINK_BURST];
};

/* Set up l for side `owner` (SB_MSG_OWNER_DATAPLANE: a worker whose index
 * is self; SB_MSG_OWNER_CONTROL: a shard). No handler is registered. */
void sb_msg_link_init(struct sb_msg_link *l, uint8_t owner, uint16_t self, unsigned n_workers,
		      unsigned n_shards, const struct sb_msg_link_ring *ring,
		      const struct sb_msg_pool_ops *pool);

/* Route received messages of kind to fn(ctx, peer, m). 0 or -EINVAL. */
int sb_msg_link_register(struct sb_msg_link *l, enum sb_msg_kind kind, sb_msg_link_handler fn,
			 void *ctx);

/* Hand m (a chain we hold) to peer p, addressed for this ring pair. 0, or
 * -ENOBUFS when the ring is full: m is still ours, tagged ours. */
int sb_msg_link_send(struct sb_msg_link *l, unsigned p, struct sb_msg *m);

/* Take up to burst messages from peer p, check and dispatch each.
 * Returns how many were dispatched. While deferred messages wait (below),
 * a poll of their peer dispatches them first and a poll of another peer
 * takes nothing. */
unsigned sb_msg_link_poll(struct sb_msg_link *l, unsigned p, unsigned burst, uint64_t now_tsc);

/* Called by a handler that cannot take m now (the dataplane short of
 * mbufs for a fan-out's copies): m stays the link's, and it and every
 * message after it from the same peer wait, in order, for the next poll.
 * Nothing of the peer overtakes it, so a presence that waits is never
 * overtaken by its sender's next one. */
void sb_msg_link_defer(struct sb_msg_link *l);

/* Whether deferred messages wait. */
static inline bool sb_msg_link_deferred(const struct sb_msg_link *l)
{
	return l->carry_n > l->carry_at;
}

/* Send our heartbeat to peer p, stamped now_tsc and epoch. 0, -ENOMEM (pool
 * empty) or -ENOBUFS (ring full); nothing is kept either way. */
int sb_msg_link_probe(struct sb_msg_link *l, unsigned p, uint64_t now_tsc, uint32_t epoch);

#endif
