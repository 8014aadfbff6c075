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

#include <errno.h>

#include <rte_ring.h>
#include <rte_ring_peek.h>

#include "msg.h"
#include "shm.h"

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

/* Put chain m on down ring r (produced by this shard alone) for worker w,
 * the send recorded in rec around its RING tag and the enqueue, so that
 * a SIGKILL between the two does not leave a chain tagged RING that no
 * ring holds (nobody's: neither a worker nor the successor's recovery
 * would ever take it). 0, or -ENOBUFS with m tagged CONTROL again. */
static inline int sb_ring_send(struct rte_ring *r, struct sb_shm_send *rec, unsigned w,
			       struct sb_msg *m)
{
	int rc = 0;

	rec->worker = w;
	rec->tail = r->prod.tail; /* ours alone: stable */
	__atomic_store_n(&rec->m, m, __ATOMIC_RELEASE);
	sb_msg_set_owner(m, SB_MSG_OWNER_RING);
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* the tag, then the publish */
	if (rte_ring_sp_enqueue(r, m) != 0) {
		sb_msg_set_owner(m, SB_MSG_OWNER_CONTROL);
		rc = -ENOBUFS;
	}
	__atomic_store_n(&rec->m, NULL, __ATOMIC_RELEASE);
	return rc;
}

/* After sb_ring_rollback_producer on the down ring of a predecessor's send
 * in progress (rec, for ring r): the chain to take back, tagged CONTROL
 * again so that the recovery scan finds it, or NULL (no send, or the ring
 * published it: the worker's). The record is cleared. */
static inline struct sb_msg *sb_ring_send_undo(struct rte_ring *r, struct sb_shm_send *rec)
{
	struct sb_msg *m = rec->m;

	rec->m = NULL;
	if (m == NULL || r->prod.tail != rec->tail || m->owner != SB_MSG_OWNER_RING)
		return NULL;
	sb_msg_set_owner(m, SB_MSG_OWNER_CONTROL);
	return m;
}

#endif
