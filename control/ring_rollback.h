/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Undoing a killed predecessor's half-done ring operation, on the side of
 * an SPSC ring that sb-control owns (lib/msg/shm.h).
 */
#ifndef SB_CTL_RING_ROLLBACK_H
#define SB_CTL_RING_ROLLBACK_H

#include <rte_ring.h>

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

#endif
