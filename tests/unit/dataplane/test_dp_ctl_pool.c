/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dataplane/ring/ctl_pool.c, the worker's side of sb-control's message
 * objects, on the harness's real pool and fill and return rings; sb-control
 * is its real allocator (control/shard_pool.c, one per shard) over the
 * gateway's rings. Each turn tops the fill rings up to their capacity, in
 * bursts, and drains the return rings into the pool, a bounded number of
 * objects per ring; a pool that cannot give a burst is counted dry and
 * left alone. Every object stays accounted for: in the pool, on a ring or
 * held by sb-control (dp_conserved).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp_harness.h"
#include "ring/ctl_link.h"
#include "ring/ctl_pool.h"
#include "shard_pool.h"
#include "worker.h"

#define TURNS_MAX 64u /* serve turns before a test calls the rings stuck */

/* sb-control: one allocator per shard over the gateway's rings. */
struct dp_ctl {
	struct sb_shard_pool pool[DP_SHARDS];
	struct sb_msg_pool_ops ops[DP_SHARDS];
	uint64_t empty[DP_SHARDS];
};

static void ctl_init(struct dp_h *h, struct dp_ctl *c)
{
	for (unsigned s = 0; s < DP_SHARDS; s++) {
		sb_shard_pool_init(&c->pool[s], &h->fill[s], &h->ret[s], 1, 0);
		c->empty[s] = 0;
		c->pool[s].empty = &c->empty[s];
		sb_shard_pool_ops(&c->ops[s], &c->pool[s]);
	}
}

/* Shard s takes n objects (asserted); they are its own. */
static void ctl_take(struct dp_ctl *c, unsigned s, struct sb_msg **objs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		objs[i] = c->ops[s].alloc(c->ops[s].arg);
		assert_non_null(objs[i]);
		assert_int_equal(objs[i]->owner, SB_MSG_OWNER_CONTROL);
	}
}

static void ctl_give(struct dp_ctl *c, unsigned s, struct sb_msg **objs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		c->ops[s].free(c->ops[s].arg, objs[i]);
	assert_int_equal(c->pool[s].n_pending, 0);
}

static unsigned ring_sum(struct rte_ring *const *r)
{
	unsigned n = 0;

	for (unsigned s = 0; s < DP_SHARDS; s++)
		n += rte_ring_count(r[s]);
	return n;
}

/* Every object of the pool is in it, on a ring, or one of `held`. */
static void dp_conserved(struct dp_h *h, unsigned held)
{
	unsigned avail = rte_mempool_avail_count(h->msg_pool);

	assert_int_equal(avail + ring_sum(h->fill) + ring_sum(h->ret) + held, h->cfg.rings_msgs);
}

/* Serve until a turn moves nothing; returns the turns that moved some. */
static unsigned serve_all(struct dp_h *h)
{
	for (unsigned turn = 0; turn < TURNS_MAX; turn++)
		if (sb_ctl_pool_serve(h->gw) == 0)
			return turn;
	fail_msg("sb_ctl_pool_serve still moving after %u turns", TURNS_MAX);
	return TURNS_MAX;
}

/* Take every object out of the pool, scribble on the fields a top-up
 * must set, and put them back. */
static void pool_scribble(struct dp_h *h)
{
	static void *objs[4096];
	unsigned n = rte_mempool_avail_count(h->msg_pool);

	assert_true(n <= 4096);
	assert_int_equal(rte_mempool_get_bulk(h->msg_pool, objs, n), 0);
	for (unsigned i = 0; i < n; i++) {
		struct sb_msg *m = objs[i];

		m->owner = SB_MSG_OWNER_CONTROL;
		m->next = (struct sb_msg *)(uintptr_t)0x5b;
	}
	rte_mempool_put_bulk(h->msg_pool, objs, n);
}

/* Give everything on the fill rings back to the pool (sb-dataplane
 * stopping); returns how many. */
static unsigned fill_drain(struct dp_h *h)
{
	void *m;
	unsigned n = 0;

	for (unsigned s = 0; s < DP_SHARDS; s++)
		while (rte_ring_sc_dequeue(h->fill[s], &m) == 0) {
			rte_mempool_put(h->msg_pool, m);
			n++;
		}
	return n;
}

static void test_fill_to_capacity(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .msgs = 4096 });
	unsigned msgs = (unsigned)h->cfg.rings_msgs, cap = rte_ring_get_capacity(h->fill[0]);
	void *objs[2 * SB_CTL_POOL_BURST];

	(void)state;
	/* As sb-dataplane sizes it: 2 workers x 2 shards share a quarter
	 * of 4096. */
	assert_int_equal(cap, sb_pool_fill_size(4096, 2 * DP_SHARDS));
	assert_int_equal(cap, 2 * SB_CTL_POOL_BURST);
	pool_scribble(h);

	/* One turn: one burst per ring, no more. */
	assert_int_equal(sb_ctl_pool_serve(h->gw), DP_SHARDS * SB_CTL_POOL_BURST);
	for (unsigned s = 0; s < DP_SHARDS; s++)
		assert_int_equal(rte_ring_count(h->fill[s]), SB_CTL_POOL_BURST);
	assert_int_equal(DP_CTR(h, ctl_pool_filled), DP_SHARDS * SB_CTL_POOL_BURST);

	/* Then up to the capacity (two bursts), and not one object further. */
	assert_int_equal(serve_all(h), 1);
	for (unsigned s = 0; s < DP_SHARDS; s++)
		assert_int_equal(rte_ring_count(h->fill[s]), cap);
	assert_int_equal(DP_CTR(h, ctl_pool_filled), DP_SHARDS * cap);
	assert_int_equal(dp_msgs_free(h), msgs - DP_SHARDS * cap);
	assert_int_equal(sb_ctl_pool_serve(h->gw), 0);
	assert_int_equal(DP_CTR(h, ctl_pool_filled), DP_SHARDS * cap);
	assert_int_equal(dp_msgs_free(h), msgs - DP_SHARDS * cap);
	assert_int_equal(DP_CTR(h, ctl_pool_dry), 0);
	assert_int_equal(DP_CTR(h, ctl_pool_returned), 0);

	/* Tagged free and unlinked, as in the pool: a successor's reclaim
	 * never takes an object still waiting on a ring. */
	for (unsigned s = 0; s < DP_SHARDS; s++) {
		assert_int_equal(rte_ring_sc_dequeue_bulk(h->fill[s], objs, cap, NULL), cap);
		for (unsigned i = 0; i < cap; i++) {
			const struct sb_msg *m = objs[i];

			assert_int_equal(m->owner, SB_MSG_OWNER_FREE);
			assert_null(m->next);
		}
		assert_int_equal(rte_ring_sp_enqueue_bulk(h->fill[s], objs, cap, NULL), cap);
	}
	dp_conserved(h, 0);
	dp_free(h);
}

static void test_top_up_in_bursts(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .msgs = 4096 });
	unsigned cap = rte_ring_get_capacity(h->fill[0]), quarter = SB_CTL_POOL_BURST / 4;
	struct sb_msg *held[SB_CTL_POOL_BURST];
	struct dp_ctl c;
	uint64_t filled;

	(void)state;
	ctl_init(h, &c);
	serve_all(h);
	filled = DP_CTR(h, ctl_pool_filled);

	/* A few objects taken: no pool access for them yet. */
	ctl_take(&c, 0, held, quarter - 1);
	assert_int_equal(sb_ctl_pool_serve(h->gw), 0);
	assert_int_equal(rte_ring_count(h->fill[0]), cap - (quarter - 1));
	assert_int_equal(DP_CTR(h, ctl_pool_filled), filled);

	/* A quarter of a burst: topped up in one go. */
	ctl_take(&c, 0, held + quarter - 1, 1);
	assert_int_equal(sb_ctl_pool_serve(h->gw), quarter);
	assert_int_equal(rte_ring_count(h->fill[0]), cap);
	assert_int_equal(rte_ring_count(h->fill[1]), cap);
	assert_int_equal(DP_CTR(h, ctl_pool_filled), filled + quarter);
	dp_conserved(h, quarter);

	ctl_give(&c, 0, held, quarter);
	assert_int_equal(serve_all(h), 1);
	assert_int_equal(DP_CTR(h, ctl_pool_returned), quarter);
	dp_conserved(h, 0);
	assert_int_equal(fill_drain(h), DP_SHARDS * cap);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_returned_to_pool(void **state)
{
	static struct sb_msg *held[2 * SB_CTL_POOL_BURST];
	struct dp_h *h = dp_new(&(struct dp_opts){ .msgs = 4096 });
	unsigned msgs = (unsigned)h->cfg.rings_msgs, cap = rte_ring_get_capacity(h->fill[1]);
	struct dp_ctl c;

	(void)state;
	assert_true(cap <= 2 * SB_CTL_POOL_BURST);
	ctl_init(h, &c);
	serve_all(h);
	assert_int_equal(dp_msgs_free(h), msgs - DP_SHARDS * cap);

	/* Shard 1 takes all its fill ring holds, then frees it all. */
	ctl_take(&c, 1, held, cap);
	assert_int_equal(rte_ring_count(h->fill[1]), 0);
	dp_conserved(h, cap);
	ctl_give(&c, 1, held, cap);
	assert_int_equal(rte_ring_count(h->ret[1]), cap);
	dp_conserved(h, 0);

	/* One burst back per turn, and what came back refills the ring. */
	assert_int_equal(sb_ctl_pool_serve(h->gw), 2 * SB_CTL_POOL_BURST);
	assert_int_equal(DP_CTR(h, ctl_pool_returned), SB_CTL_POOL_BURST);
	assert_int_equal(rte_ring_count(h->ret[1]), cap - SB_CTL_POOL_BURST);
	dp_conserved(h, 0);
	serve_all(h);
	assert_int_equal(DP_CTR(h, ctl_pool_returned), cap);
	assert_int_equal(rte_ring_count(h->ret[1]), 0);
	assert_int_equal(rte_ring_count(h->fill[1]), cap);
	assert_int_equal(dp_msgs_free(h), msgs - DP_SHARDS * cap);
	for (unsigned i = 0; i < cap; i++)
		assert_int_equal(held[i]->owner, SB_MSG_OWNER_FREE);
	assert_int_equal(DP_CTR(h, ctl_pool_dry), 0);
	dp_free(h);
}

/* Rounds of sb-control taking and freeing objects of both shards, served
 * between them: nothing is lost, nothing counted twice. */
static void test_no_leak(void **state)
{
	static struct sb_msg *held[DP_SHARDS][2 * SB_CTL_POOL_BURST];
	struct dp_h *h = dp_new(&(struct dp_opts){ .msgs = 4096 });
	unsigned cap = rte_ring_get_capacity(h->fill[0]), n[DP_SHARDS] = { 0 }, n_fill;
	struct dp_ctl c;

	(void)state;
	ctl_init(h, &c);
	for (unsigned round = 0; round < 40; round++) {
		for (unsigned s = 0; s < DP_SHARDS; s++) {
			unsigned take = (round * 37 + s * 91) % (cap + 1);

			/* What the shard still holds goes back first. */
			ctl_give(&c, s, held[s], n[s]);
			take = take < rte_ring_count(h->fill[s]) ? take : rte_ring_count(h->fill[s]);
			ctl_take(&c, s, held[s], take);
			n[s] = take;
		}
		dp_conserved(h, n[0] + n[1]);
		sb_ctl_pool_serve(h->gw);
		dp_conserved(h, n[0] + n[1]);
	}
	for (unsigned s = 0; s < DP_SHARDS; s++)
		ctl_give(&c, s, held[s], n[s]);
	serve_all(h);
	assert_int_equal(ring_sum(h->ret), 0);
	/* Topped up to within a quarter burst of full, each. */
	n_fill = ring_sum(h->fill);
	assert_true(n_fill > DP_SHARDS * (cap - SB_CTL_POOL_BURST / 4));
	assert_int_equal(DP_CTR(h, ctl_pool_filled) - DP_CTR(h, ctl_pool_returned), n_fill);
	assert_int_equal(fill_drain(h), n_fill);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	assert_int_equal(DP_CTR(h, ctl_pool_dry), 0);
	dp_free(h);
}

static void test_dry_pool(void **state)
{
	static void *hold[4096];
	struct dp_h *h = dp_new(&(struct dp_opts){ .msgs = 4096 });
	unsigned n_hold = 0, short_by = 1;
	struct sb_msg *back[SB_CTL_POOL_BURST];
	struct dp_ctl c;

	(void)state;
	ctl_init(h, &c);
	/* Other workers took all but less than one burst. */
	while (rte_mempool_avail_count(h->msg_pool) > SB_CTL_POOL_BURST - short_by)
		assert_int_equal(rte_mempool_get(h->msg_pool, &hold[n_hold++]), 0);

	/* Counted per ring, and nothing taken: the pool is left as it was. */
	assert_int_equal(sb_ctl_pool_serve(h->gw), 0);
	assert_int_equal(DP_CTR(h, ctl_pool_dry), DP_SHARDS);
	assert_int_equal(DP_CTR(h, ctl_pool_filled), 0);
	assert_int_equal(dp_msgs_free(h), SB_CTL_POOL_BURST - short_by);
	assert_int_equal(ring_sum(h->fill), 0);
	assert_null(c.ops[0].alloc(c.ops[0].arg));
	assert_int_equal(c.empty[0], 1);
	dp_conserved(h, n_hold);

	/* Enough for one burst: the first ring gets it, the second is dry. */
	rte_mempool_put(h->msg_pool, hold[--n_hold]);
	assert_int_equal(sb_ctl_pool_serve(h->gw), SB_CTL_POOL_BURST);
	assert_int_equal(rte_ring_count(h->fill[0]), SB_CTL_POOL_BURST);
	assert_int_equal(rte_ring_count(h->fill[1]), 0);
	assert_int_equal(DP_CTR(h, ctl_pool_dry), DP_SHARDS + 1);
	assert_int_equal(dp_msgs_free(h), 0);

	/* Dry or not, what sb-control frees comes back, and serves the
	 * ring that is short in the same turn. */
	ctl_take(&c, 0, back, SB_CTL_POOL_BURST);
	ctl_give(&c, 0, back, SB_CTL_POOL_BURST);
	assert_int_equal(sb_ctl_pool_serve(h->gw), 2 * SB_CTL_POOL_BURST);
	assert_int_equal(DP_CTR(h, ctl_pool_returned), SB_CTL_POOL_BURST);
	assert_int_equal(rte_ring_count(h->fill[0]), SB_CTL_POOL_BURST);
	assert_int_equal(rte_ring_count(h->ret[0]), 0);
	assert_int_equal(DP_CTR(h, ctl_pool_dry), DP_SHARDS + 2);
	dp_conserved(h, n_hold);

	/* The pool recovers: both rings topped up, no more dry turns. */
	rte_mempool_put_bulk(h->msg_pool, hold, n_hold);
	serve_all(h);
	assert_int_equal(ring_sum(h->fill), DP_SHARDS * rte_ring_get_capacity(h->fill[0]));
	assert_int_equal(DP_CTR(h, ctl_pool_dry), DP_SHARDS + 2);
	dp_conserved(h, 0);
	dp_free(h);
}

/* The part of the pool kept for sb-control (w->msg_reserve) stops the
 * worker's own allocations, not sb-control's top-ups: it is what they
 * come out of. */
static void test_reserve_feeds_control(void **state)
{
	static void *hold[4096];
	struct dp_h *h = dp_new(&(struct dp_opts){ .msgs = 4096 });
	unsigned n_hold = 0, reserve = h->gw->msg_reserve;

	(void)state;
	assert_true(reserve >= DP_SHARDS * SB_CTL_POOL_BURST);
	while (rte_mempool_avail_count(h->msg_pool) > reserve)
		assert_int_equal(rte_mempool_get(h->msg_pool, &hold[n_hold++]), 0);
	h->gw->msg_budget = 0; /* recount now */
	assert_true(sb_ctl_link_msgs_low(h->gw));
	assert_int_equal(DP_CTR(h, msgs_low), 1);

	assert_int_equal(sb_ctl_pool_serve(h->gw), DP_SHARDS * SB_CTL_POOL_BURST);
	assert_int_equal(dp_msgs_free(h),
			 reserve - DP_SHARDS * SB_CTL_POOL_BURST);
	assert_int_equal(DP_CTR(h, ctl_pool_dry), 0);
	dp_conserved(h, n_hold);
	rte_mempool_put_bulk(h->msg_pool, hold, n_hold);
	dp_free(h);
}

/* A pool whose quarter cannot give every (worker, shard) pair the floor
 * is refused at start: the floor would let the fill rings hold what the
 * workers need. */
static void test_fill_sizing_refused(void **state)
{
	(void)state;
	assert_true(sb_pool_fill_fits(16383, 8 * 7));
	assert_false(sb_pool_fill_fits(16383, 64));
	assert_true(sb_pool_fill_fits(1024, 4));
	assert_false(sb_pool_fill_fits(1024, 5));
	for (unsigned pairs = 1; pairs <= 64; pairs++)
		if (sb_pool_fill_fits(16383, pairs))
			assert_true(sb_pool_fill_size(16383, pairs) * pairs <= 16383 / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_sizing_refused),
		cmocka_unit_test(test_fill_to_capacity),
		cmocka_unit_test(test_top_up_in_bursts),
		cmocka_unit_test(test_returned_to_pool),
		cmocka_unit_test(test_no_leak),
		cmocka_unit_test(test_dry_pool),
		cmocka_unit_test(test_reserve_feeds_control),
	};

	dp_eal_init("dp_ctl_pool");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
