/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ring operations on the side of an SPSC ring that sb-control owns
 * (lib/msg/shm.h) that a SIGKILL cannot leave half done for good: the
 * successor undoes what the predecessor left (rollback, retag), and takes
 * messages off the up rings so that each is always on the ring or tagged
 * sb-control's (take).
 */
#ifndef SB_CTL_RING_ROLLBACK_H
#define SB_CTL_RING_ROLLBACK_H

#include <rte_ring.h>
#include <rte_ring_peek.h>

#include "msg.h"

/* A predecessor killed inside an SPSC ring operation moved its head and
 * not its tail. As the only producer (consumer) on that side, it left
 * nobody waiting: putting the head back on the tail undoes the half-done
 * operation (the items of a half-done dequeue are still in the ring; the
 * slots of a half-done enqueue were never published). Call only while no
 * thread of this process uses the ring. */
static inline void sb_ring_rollback_producer(struct rte_ring *r)
{
	r->prod.head = r->prod.tail;
}

static inline void sb_ring_rollback_consumer(struct rte_ring *r)
{
	r->cons.head = r->cons.tail;
}

/* Take up to n messages off up ring r (consumed by this shard alone):
 * peeked, each chain tagged CONTROL, then taken. At no instant is a
 * message off the ring without being tagged ours, so a SIGKILL anywhere
 * leaves it either on the ring (sb_ring_retag_queued gives it back) or
 * found by the successor's recovery (control/recover.c). Returns how many. */
static inline unsigned sb_ring_take(struct rte_ring *r, struct sb_msg **out, unsigned n)
{
	unsigned k = rte_ring_dequeue_burst_start(r, (void **)out, n, NULL);

	for (unsigned i = 0; i < k; i++)
		sb_msg_set_owner(out[i], SB_MSG_OWNER_CONTROL);
	rte_ring_dequeue_finish(r, k);
	return k;
}

/* After sb_ring_rollback_consumer on up ring r, before the recovery scan:
 * messages a predecessor killed inside sb_ring_take had tagged CONTROL are
 * on the ring again, so every queued message gets the RING tag back (else
 * the successor would route it twice: recovered, and read off the ring).
 * The dataplane may be adding more behind prod.tail meanwhile; those were
 * tagged RING by it. */
static inline void sb_ring_retag_queued(struct rte_ring *r)
{
	void **slot = (void **)&r[1]; /* the slots follow the header (rte_ring_core.h) */
	uint32_t end = __atomic_load_n(&r->prod.tail, __ATOMIC_ACQUIRE);

	for (uint32_t i = r->cons.tail; i != end; i++)
		sb_msg_set_owner(slot[i & r->mask], SB_MSG_OWNER_RING);
}

#endif
