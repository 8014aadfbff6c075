/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker's side of the rings to sb-control: it produces on its up ring
 * to every shard and consumes its down ring from every shard (both SPSC).
 */
#ifndef SB_DP_CTL_LINK_H
#define SB_DP_CTL_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "worker.h"

#define SB_CTL_LINK_BURST 32 /* messages per ring per loop turn: bounded work */

/* Set up w->link over w's rings, pool and counters; applications then
 * register their message kinds with sb_msg_link_register(&w->link, ...). */
void sb_ctl_link_init(struct sb_worker *w);

/* Drain the down rings; returns the number of messages handled. */
unsigned sb_ctl_link_poll(struct sb_worker *w, uint64_t now_tsc);

/* Send this worker's heartbeat to every shard when it is due. */
void sb_ctl_link_heartbeat(struct sb_worker *w, uint64_t now_tsc);

/* Hand m (a chain, tagged DATAPLANE) to shard. 0, or m stays the caller's:
 * -ENOTCONN when sb-control is not attached, -ENOBUFS when the ring is full. */
int sb_ctl_link_send(struct sb_worker *w, unsigned shard, struct sb_msg *m, uint64_t now_tsc);

#define SB_CTL_MSG_BUDGET 256u /* allocations between two counts of the pool */

/* lib/msg's pool access over the shared message pool, in w->msg_ops. */
void sb_ctl_link_pool_ops(struct sb_worker *w);

/* Whether the shared message pool is down to the part kept for sb-control
 * (w->msg_reserve). The XMPP glue stops taking stanzas in then, so that a
 * stanza once read always finds objects to travel in, and sb-control the
 * objects it needs to answer and deliver. */
bool sb_ctl_link_msgs_low(struct sb_worker *w);

/* Objects that n payload bytes travel in. */
static inline unsigned sb_ctl_link_objs_for(size_t n)
{
	return (unsigned)((n + SB_MSG_PAYLOAD_MAX - 1) / SB_MSG_PAYLOAD_MAX);
}

/* Make sure the worker holds at least n objects (n <= SB_MSG_CHAIN_MAX) in
 * its stash, which w->msg_ops takes from before the pool. Called before an
 * element is read, with what the element can need at most: the shared pool
 * is also drained by other workers and by sb-control's fill rings, so the
 * count sb_ctl_link_msgs_low() saw may be gone by the time the element's
 * request or stanza is built. 0, or -ENOBUFS (counted msg_stash_short):
 * leave the element unread and wait for the pool. */
int sb_ctl_link_stash(struct sb_worker *w, unsigned n);

/* Give the stash back to the pool (the worker stops). */
void sb_ctl_link_stash_release(struct sb_worker *w);

#define SB_CTL_STASH_KEEP 8u /* objects a stash keeps between turns: most elements' need */

/* Once per turn: what a large element took beyond SB_CTL_STASH_KEEP and
 * did not use goes back, so that a worker's stash never sits on up to a
 * chain's worth (SB_MSG_CHAIN_MAX) of the shared pool. */
void sb_ctl_link_stash_trim(struct sb_worker *w);
static inline void sb_ctl_link_turn_stash(struct sb_worker *w)
{
	if (w->msg_stash_n > SB_CTL_STASH_KEEP)
		sb_ctl_link_stash_trim(w);
}

/* Whether sb-control refreshed its liveness stamp recently enough. */
bool sb_ctl_link_attached(const struct sb_worker *w, uint64_t now_tsc);

#endif
