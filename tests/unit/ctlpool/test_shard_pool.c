/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A control shard's message objects (control/shard_pool.c) and the roll
 * back of a killed predecessor's half-done ring operation
 * (control/ring_rollback.h), and the take that a kill cannot leave
 * half done, on real rte_rings in process memory: the
 * workers' side (topping up fill rings, draining return rings) is played
 * by the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ring.h>

#include "ring_rollback.h"
#include "shard_pool.h"

#define WORKERS 2
#define RING 8 /* capacity: RING_F_EXACT_SZ */
#define OBJS 64

struct fx {
	struct rte_ring *fill[WORKERS], *ret[WORKERS];
	struct sb_shard_pool pool;
	struct sb_msg_pool_ops ops;
	uint64_t empty, deferred;
	struct sb_msg *obj;
};

static struct rte_ring *ring_new(const char *name)
{
	/* RING_F_EXACT_SZ rounds the slots up to the next power of two above RING. */
	ssize_t sz = rte_ring_get_memsize_elem(sizeof(void *), 2 * RING);
	struct rte_ring *r;

	assert_true(sz > 0);
	r = aligned_alloc(64, (size_t)(sz + 63) & ~(size_t)63);
	assert_non_null(r);
	assert_int_equal(rte_ring_init(r, name, RING, RING_F_SP_ENQ | RING_F_SC_DEQ |
				       RING_F_EXACT_SZ), 0);
	return r;
}

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->obj = aligned_alloc(64, OBJS * sizeof(struct sb_msg));
	assert_non_null(f->obj);
	memset(f->obj, 0, OBJS * sizeof(struct sb_msg));
	f->fill[0] = ring_new("fl0");
	f->fill[1] = ring_new("fl1");
	f->ret[0] = ring_new("rt0");
	f->ret[1] = ring_new("rt1");
	sb_shard_pool_init(&f->pool, f->fill, f->ret, WORKERS, 0);
	f->pool.empty = &f->empty;
	f->pool.deferred = &f->deferred;
	sb_shard_pool_ops(&f->ops, &f->pool);
	return f;
}

static void fx_free(struct fx *f)
{
	for (unsigned w = 0; w < WORKERS; w++) {
		free(f->fill[w]);
		free(f->ret[w]);
	}
	free(f->obj);
	free(f);
}

/* A worker's top-up: objects [from, from + n) onto fill ring w, FREE. */
static void worker_fill(struct fx *f, unsigned w, unsigned from, unsigned n)
{
	for (unsigned i = from; i < from + n; i++) {
		f->obj[i].owner = SB_MSG_OWNER_FREE;
		f->obj[i].next = &f->obj[OBJS - 1]; /* junk the shard must clear */
		assert_int_equal(rte_ring_sp_enqueue(f->fill[w], &f->obj[i]), 0);
	}
}

static void test_alloc_from_fill_rings(void **state)
{
	struct fx *f = fx_new();
	struct sb_msg *m;

	(void)state;
	assert_null(f->ops.alloc(f->ops.arg));
	assert_int_equal(f->empty, 1);

	worker_fill(f, 1, 0, 2);
	worker_fill(f, 0, 2, 1);
	/* Worker 0's ring first, then on to worker 1's when it runs dry. */
	m = f->ops.alloc(f->ops.arg);
	assert_ptr_equal(m, &f->obj[2]);
	assert_int_equal(m->owner, SB_MSG_OWNER_CONTROL);
	assert_null(m->next);
	assert_ptr_equal(f->ops.alloc(f->ops.arg), &f->obj[0]);
	assert_ptr_equal(f->ops.alloc(f->ops.arg), &f->obj[1]);
	assert_null(f->ops.alloc(f->ops.arg));
	assert_int_equal(f->empty, 2);
	fx_free(f);
}

/* Empty fill rings: one wait for a top-up, then, the pool being dry, no
 * more waits until an allocation succeeds again. */
static void test_alloc_waits_once_when_dry(void **state)
{
	struct fx *f = fx_new();
	uint64_t waited = 0;

	(void)state;
	f->pool.wait_tsc = 1000;
	f->pool.waited = &waited;
	assert_null(f->ops.alloc(f->ops.arg));
	assert_int_equal(waited, 1);
	assert_true(f->pool.dry);
	assert_null(f->ops.alloc(f->ops.arg));
	assert_int_equal(waited, 1);
	assert_int_equal(f->empty, 2);
	worker_fill(f, 1, 0, 1);
	assert_ptr_equal(f->ops.alloc(f->ops.arg), &f->obj[0]);
	assert_false(f->pool.dry);
	assert_null(f->ops.alloc(f->ops.arg));
	assert_int_equal(waited, 2);
	fx_free(f);
}

static void test_free_onto_return_rings(void **state)
{
	struct fx *f = fx_new();
	void *got[RING];

	(void)state;
	worker_fill(f, 0, 0, 3);
	for (unsigned i = 0; i < 3; i++)
		f->ops.free(f->ops.arg, f->ops.alloc(f->ops.arg));
	assert_int_equal(rte_ring_sc_dequeue_burst(f->ret[0], got, RING, NULL), 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_ptr_equal(got[i], &f->obj[i]);
		assert_int_equal(f->obj[i].owner, SB_MSG_OWNER_FREE);
	}
	assert_int_equal(f->deferred, 0);
	fx_free(f);
}

/* Every return ring full: frees wait, tagged FREEING, and none is lost or
 * passed by a later one once the workers drain. */
static void test_full_return_rings_defer(void **state)
{
	struct fx *f = fx_new();
	void *got[RING];
	unsigned n = 2 * RING + 3, back = 0;

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		f->obj[i].owner = SB_MSG_OWNER_CONTROL;
		f->ops.free(f->ops.arg, &f->obj[i]);
	}
	assert_int_equal(rte_ring_count(f->ret[0]) + rte_ring_count(f->ret[1]), 2 * RING);
	assert_int_equal(f->deferred, 3);
	assert_int_equal(f->pool.n_pending, 3);
	for (unsigned i = 2 * RING; i < n; i++)
		assert_int_equal(f->obj[i].owner, SB_MSG_OWNER_FREEING);
	/* Nothing moves while the rings stay full, and a new free queues up. */
	assert_int_equal(sb_shard_pool_flush(&f->pool), 0);
	f->obj[n].owner = SB_MSG_OWNER_CONTROL;
	f->ops.free(f->ops.arg, &f->obj[n]);
	assert_int_equal(f->pool.n_pending, 4);

	for (unsigned w = 0; w < WORKERS; w++)
		back += rte_ring_sc_dequeue_burst(f->ret[w], got, RING, NULL);
	assert_int_equal(back, 2 * RING);
	assert_int_equal(sb_shard_pool_flush(&f->pool), 4);
	assert_null(f->pool.pending);
	assert_int_equal(f->pool.n_pending, 0);
	back = 0;
	for (unsigned w = 0; w < WORKERS; w++)
		back += rte_ring_sc_dequeue_burst(f->ret[w], got, RING, NULL);
	assert_int_equal(back, 4);
	for (unsigned i = 2 * RING; i <= n; i++)
		assert_int_equal(f->obj[i].owner, SB_MSG_OWNER_FREE);
	fx_free(f);
}

/* The floor: a quarter of each fill ring of the pool's split; the shard
 * reads its stanza rings only while the fill rings hold it, and each turn
 * below is counted. */
static void test_floor_gates_reading(void **state)
{
	struct fx *f = fx_new();
	uint64_t low = 0;

	(void)state;
	sb_shard_pool_floor(&f->pool, 65536, 4);
	assert_int_equal(f->pool.floor, WORKERS * (sb_pool_fill_size(65536, 4) / 4));
	assert_int_equal(f->pool.floor, WORKERS * 65536 / 4 / 4 / 4);

	f->pool.low = &low;
	f->pool.floor = 6;
	assert_false(sb_shard_pool_ready(&f->pool));
	worker_fill(f, 0, 0, 2);
	worker_fill(f, 1, 2, 3);
	assert_false(sb_shard_pool_ready(&f->pool));
	assert_int_equal(low, 2);
	worker_fill(f, 1, 5, 1);
	assert_true(sb_shard_pool_ready(&f->pool));
	assert_int_equal(low, 2);
	/* One taken: below the floor again. */
	assert_non_null(f->ops.alloc(f->ops.arg));
	assert_false(sb_shard_pool_ready(&f->pool));
	assert_int_equal(low, 3);
	fx_free(f);
}

static void test_give_back_chain(void **state)
{
	struct fx *f = fx_new();
	void *got[RING];

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		f->obj[i].owner = SB_MSG_OWNER_FREEING;
		f->obj[i].next = i < 3 ? &f->obj[i + 1] : NULL;
	}
	sb_shard_pool_give_back(&f->pool, &f->obj[0]);
	assert_int_equal(rte_ring_sc_dequeue_burst(f->ret[0], got, RING, NULL), 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(f->obj[i].owner, SB_MSG_OWNER_FREE);
	fx_free(f);
}

/* A consumer killed after moving its head, before its tail: the items
 * stay in the ring; the rollback gives them to the next consumer, in
 * order, and the producer never lost the room. */
static void test_rollback_consumer(void **state)
{
	struct fx *f = fx_new();
	struct sb_msg *m;

	(void)state;
	worker_fill(f, 0, 0, 3);
	f->fill[0]->cons.head += 2; /* the dead consumer's half of a dequeue of 2 */
	sb_ring_rollback_consumer(f->fill[0]);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(rte_ring_sc_dequeue(f->fill[0], (void **)&m), 0);
		assert_ptr_equal(m, &f->obj[i]);
	}
	assert_int_equal(rte_ring_sc_dequeue(f->fill[0], (void **)&m), -ENOENT);
	worker_fill(f, 0, 3, RING);
	assert_int_equal(rte_ring_count(f->fill[0]), RING);
	fx_free(f);
}

/* A producer killed after moving its head and writing a slot, before its
 * tail: without the rollback the next enqueue would publish that slot
 * (and a stale one) too; with it, the consumer sees only what was whole. */
static void test_rollback_producer(void **state)
{
	struct fx *f = fx_new();
	struct sb_msg *m;
	void **slots = (void **)&f->ret[0][1];

	(void)state;
	assert_int_equal(rte_ring_sp_enqueue(f->ret[0], &f->obj[0]), 0);
	slots[f->ret[0]->prod.head & f->ret[0]->mask] = &f->obj[9]; /* never published */
	f->ret[0]->prod.head += 1;
	sb_ring_rollback_producer(f->ret[0]);
	assert_int_equal(rte_ring_sp_enqueue(f->ret[0], &f->obj[1]), 0);
	assert_int_equal(rte_ring_count(f->ret[0]), 2);
	assert_int_equal(rte_ring_sc_dequeue(f->ret[0], (void **)&m), 0);
	assert_ptr_equal(m, &f->obj[0]);
	assert_int_equal(rte_ring_sc_dequeue(f->ret[0], (void **)&m), 0);
	assert_ptr_equal(m, &f->obj[1]);
	assert_int_equal(rte_ring_sc_dequeue(f->ret[0], (void **)&m), -ENOENT);
	fx_free(f);
}

/* A shard's send on down ring r (ret[0] here: any SPSC ring) recorded in
 * rec, and its successor's view after a SIGKILL at each point of it. */
static void test_send_record(void **state)
{
	struct fx *f = fx_new();
	struct rte_ring *r = f->ret[0];
	struct sb_shm_send rec = { 0 };
	struct sb_msg *m = &f->obj[0], *got;
	void **slots = (void **)&r[1];

	(void)state;
	/* Done: on the ring, tagged RING, the record cleared. */
	m->owner = SB_MSG_OWNER_CONTROL;
	assert_int_equal(sb_ring_send(r, &rec, 3, m), 0);
	assert_null(rec.m);
	assert_int_equal(m->owner, SB_MSG_OWNER_RING);
	assert_int_equal(rte_ring_sc_dequeue(r, (void **)&got), 0);
	assert_ptr_equal(got, m);

	/* Killed after the tag, before the enqueue: the chain is nobody's
	 * unless the successor takes it back. */
	m = &f->obj[1];
	rec = (struct sb_shm_send){ .m = m, .worker = 3, .tail = r->prod.tail };
	m->owner = SB_MSG_OWNER_RING;
	assert_ptr_equal(sb_ring_send_undo(r, &rec), m);
	assert_int_equal(m->owner, SB_MSG_OWNER_CONTROL);
	assert_null(rec.m);

	/* Killed inside the enqueue (head moved, slot written, tail not):
	 * rolled back, then taken back. */
	m = &f->obj[2];
	rec = (struct sb_shm_send){ .m = m, .worker = 3, .tail = r->prod.tail };
	m->owner = SB_MSG_OWNER_RING;
	slots[r->prod.head & r->mask] = m;
	r->prod.head += 1;
	sb_ring_rollback_producer(r);
	assert_ptr_equal(sb_ring_send_undo(r, &rec), m);
	assert_int_equal(rte_ring_count(r), 0);

	/* Killed after the enqueue, before the record was cleared: the
	 * ring published it, so it is the worker's. */
	m = &f->obj[3];
	rec = (struct sb_shm_send){ .m = m, .worker = 3, .tail = r->prod.tail };
	m->owner = SB_MSG_OWNER_RING;
	assert_int_equal(rte_ring_sp_enqueue(r, m), 0);
	assert_null(sb_ring_send_undo(r, &rec));
	assert_int_equal(m->owner, SB_MSG_OWNER_RING);
	assert_int_equal(rte_ring_sc_dequeue(r, (void **)&got), 0);
	assert_ptr_equal(got, m);

	/* A full ring: refused, ours again, nothing recorded. */
	for (unsigned i = 0; i < RING; i++)
		assert_int_equal(rte_ring_sp_enqueue(r, &f->obj[10 + i]), 0);
	m = &f->obj[4];
	m->owner = SB_MSG_OWNER_CONTROL;
	assert_int_equal(sb_ring_send(r, &rec, 3, m), -ENOBUFS);
	assert_int_equal(m->owner, SB_MSG_OWNER_CONTROL);
	assert_null(rec.m);
	fx_free(f);
}

/* Up ring 0 holding objects [0, n), tagged RING as a worker sends them. */
static void worker_send(struct fx *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		f->obj[i].owner = SB_MSG_OWNER_RING;
		assert_int_equal(rte_ring_sp_enqueue(f->fill[0], &f->obj[i]), 0);
	}
}

/* sb_ring_take: what it returns is the shard's, in order. */
static void test_take_tags(void **state)
{
	struct fx *f = fx_new();
	struct sb_msg *out[8];

	(void)state;
	worker_send(f, 3);
	assert_int_equal(sb_ring_take(f->fill[0], out, 8), 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_ptr_equal(out[i], &f->obj[i]);
		assert_int_equal(out[i]->owner, SB_MSG_OWNER_CONTROL);
	}
	assert_int_equal(rte_ring_count(f->fill[0]), 0);
	fx_free(f);
}

/* A shard killed inside sb_ring_take, after tagging, before taking: the
 * successor's rollback puts the messages back on the ring and the retag
 * makes them RING again, so its recovery (which keeps what is tagged
 * CONTROL) does not route them a second time. */
static void test_take_killed_retag(void **state)
{
	struct fx *f = fx_new();
	struct sb_msg *out[8];
	unsigned k;

	(void)state;
	worker_send(f, 3);
	k = rte_ring_dequeue_burst_start(f->fill[0], (void **)out, 8, NULL);
	assert_int_equal(k, 3);
	for (unsigned i = 0; i < k; i++)
		sb_msg_set_owner(out[i], SB_MSG_OWNER_CONTROL); /* killed here */
	sb_ring_rollback_consumer(f->fill[0]);
	sb_ring_retag_queued(f->fill[0]);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(f->obj[i].owner, SB_MSG_OWNER_RING);
	assert_int_equal(sb_ring_take(f->fill[0], out, 8), 3);
	assert_ptr_equal(out[0], &f->obj[0]);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_from_fill_rings),
		cmocka_unit_test(test_alloc_waits_once_when_dry),
		cmocka_unit_test(test_free_onto_return_rings),
		cmocka_unit_test(test_full_return_rings_defer),
		cmocka_unit_test(test_floor_gates_reading),
		cmocka_unit_test(test_give_back_chain),
		cmocka_unit_test(test_rollback_consumer),
		cmocka_unit_test(test_rollback_producer),
		cmocka_unit_test(test_send_record),
		cmocka_unit_test(test_take_tags),
		cmocka_unit_test(test_take_killed_retag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
