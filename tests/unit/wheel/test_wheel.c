/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/wheel: fire order, cancel, re-arm, cascading across levels, bounded
 * advance, timers beyond the wheel's range and arm/cancel churn.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wheel.h"

#define LEVELS 3u
#define REC_MAX 4096u

struct owner {
	struct sb_wheel_timer t;
	uint32_t id;
};

struct rec {
	struct sb_wheel *w;
	uint32_t n;
	uint32_t id[REC_MAX];
	uint64_t tick[REC_MAX]; /* wheel clock when each fired */
};

static struct sb_wheel_timer *slots[SB_WHEEL_STORAGE(LEVELS)];

static void record(struct sb_wheel_timer *t, void *arg)
{
	struct rec *r = arg;
	struct owner *o = (struct owner *)((char *)t - offsetof(struct owner, t));

	assert_false(sb_wheel_timer_armed(t));
	assert_true(r->n < REC_MAX);
	r->id[r->n] = o->id;
	r->tick[r->n] = r->w->now_tick;
	r->n++;
}

static void setup_wheel(struct sb_wheel *w, struct rec *r, uint64_t now)
{
	assert_int_equal(sb_wheel_init(w, slots, LEVELS, now), 0);
	memset(r, 0, sizeof(*r));
	r->w = w;
}

static void owner_init(struct owner *o, uint32_t id)
{
	sb_wheel_timer_init(&o->t);
	o->id = id;
}

static void test_init_rejects(void **state)
{
	struct sb_wheel w;

	(void)state;
	assert_int_equal(sb_wheel_init(&w, slots, 0, 0), -EINVAL);
	assert_int_equal(sb_wheel_init(&w, slots, SB_WHEEL_LEVELS_MAX + 1, 0), -EINVAL);
	assert_int_equal(sb_wheel_init(NULL, slots, 1, 0), -EINVAL);
	assert_int_equal(sb_wheel_init(&w, NULL, 1, 0), -EINVAL);
}

static void test_fire_order(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	struct owner o[5];
	const uint64_t exp[5] = {30, 5, 17, 5, 1};
	uint32_t i;

	(void)state;
	setup_wheel(&w, &r, 0);
	for (i = 0; i < 5; i++) {
		owner_init(&o[i], i);
		sb_wheel_arm(&w, &o[i].t, exp[i]);
	}
	assert_int_equal(w.armed, 5);
	assert_int_equal(sb_wheel_advance(&w, 4, record, &r, 100), 1);
	assert_int_equal(r.id[0], 4);
	assert_int_equal(r.tick[0], 1);
	assert_int_equal(sb_wheel_advance(&w, 100, record, &r, 100), 4);
	for (i = 0; i < r.n; i++)
		assert_int_equal(r.tick[i], exp[r.id[i]]);
	assert_int_equal(r.tick[1], 5);
	assert_int_equal(r.tick[2], 5);
	assert_int_equal(r.id[3], 2);
	assert_int_equal(r.id[4], 0);
	assert_int_equal(w.armed, 0);
}

static void test_cancel(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	struct owner a, b;

	(void)state;
	setup_wheel(&w, &r, 1000);
	owner_init(&a, 1);
	owner_init(&b, 2);
	sb_wheel_arm(&w, &a.t, 1010);
	sb_wheel_arm(&w, &b.t, 1010);
	sb_wheel_cancel(&w, &a.t);
	sb_wheel_cancel(&w, &a.t); /* second cancel is a no-op */
	assert_false(sb_wheel_timer_armed(&a.t));
	assert_int_equal(w.armed, 1);
	assert_int_equal(sb_wheel_advance(&w, 2000, record, &r, 100), 1);
	assert_int_equal(r.id[0], 2);
}

static void test_rearm_moves_timer(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	struct owner a;

	(void)state;
	setup_wheel(&w, &r, 0);
	owner_init(&a, 7);
	sb_wheel_arm(&w, &a.t, 10);
	sb_wheel_arm(&w, &a.t, 70000); /* from level 0 to level 2 */
	assert_int_equal(w.armed, 1);
	assert_int_equal(sb_wheel_advance(&w, 69999, record, &r, 100), 0);
	assert_int_equal(sb_wheel_advance(&w, 70000, record, &r, 100), 1);
	assert_int_equal(r.tick[0], 70000);
}

/* Timers on every level, each must fire exactly on its tick. */
static void test_cascade_levels(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	static struct owner o[8];
	const uint64_t delta[8] = {255, 256, 257, 511, 65535, 65536, 65537, 16777215};
	const uint64_t base = 123457;
	uint32_t i;

	(void)state;
	setup_wheel(&w, &r, base);
	for (i = 0; i < 8; i++) {
		owner_init(&o[i], i);
		sb_wheel_arm(&w, &o[i].t, base + delta[i]);
	}
	assert_int_equal(sb_wheel_advance(&w, base + delta[7], record, &r, 100), 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(r.id[i], i);
		assert_int_equal(r.tick[i], base + delta[i]);
	}
	assert_true(w.cascades > 0);
}

/* Fired in many small steps, timers still fire on their tick. */
static void test_cascade_stepwise(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	static struct owner o[64];
	uint64_t now = 250;
	uint32_t i;

	(void)state;
	setup_wheel(&w, &r, now);
	for (i = 0; i < 64; i++) {
		owner_init(&o[i], i);
		sb_wheel_arm(&w, &o[i].t, now + 1 + (uint64_t)i * 1031);
	}
	while (r.n < 64) {
		now += 7;
		sb_wheel_advance(&w, now, record, &r, 100);
	}
	for (i = 0; i < 64; i++)
		assert_int_equal(r.tick[i], 251 + (uint64_t)r.id[i] * 1031);
}

static void test_bounded_advance(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	static struct owner o[10];
	struct owner late;
	uint32_t i;

	(void)state;
	setup_wheel(&w, &r, 0);
	for (i = 0; i < 10; i++) {
		owner_init(&o[i], i);
		sb_wheel_arm(&w, &o[i].t, 50);
	}
	owner_init(&late, 99);
	sb_wheel_arm(&w, &late.t, 51);
	assert_int_equal(sb_wheel_advance(&w, 100, record, &r, 4), 4);
	assert_int_equal(w.now_tick, 50); /* the clock waits on the unfinished tick */
	for (i = 0; i < 10 && !sb_wheel_timer_armed(&o[i].t); i++)
		;
	assert_true(i < 10);
	sb_wheel_cancel(&w, &o[i].t); /* cancel works on the pending list too */
	assert_int_equal(w.armed, 6);
	assert_int_equal(sb_wheel_advance(&w, 100, record, &r, 4), 4);
	assert_int_equal(sb_wheel_advance(&w, 100, record, &r, 4), 2);
	assert_int_equal(r.n, 10);
	assert_int_equal(r.id[9], 99);
	assert_int_equal(r.tick[9], 51);
	for (i = 0; i < 9; i++)
		assert_int_equal(r.tick[i], 50);
	assert_int_equal(w.now_tick, 100);
}

/* Beyond 256^3 ticks a timer is parked on the top level and re-placed. */
static void test_far_future(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	struct owner a, b;
	const uint64_t far = (1ull << 24) * 2 + 12345;

	(void)state;
	setup_wheel(&w, &r, 5);
	owner_init(&a, 1);
	owner_init(&b, 2);
	sb_wheel_arm(&w, &a.t, 5 + far);
	sb_wheel_arm(&w, &b.t, 3); /* in the past: next tick */
	assert_int_equal(sb_wheel_advance(&w, 6, record, &r, 10), 1);
	assert_int_equal(r.id[0], 2);
	assert_int_equal(sb_wheel_advance(&w, 5 + (1ull << 24), record, &r, 10), 0);
	assert_true(sb_wheel_timer_armed(&a.t));
	assert_int_equal(sb_wheel_advance(&w, 4 + far, record, &r, 10), 0);
	assert_int_equal(sb_wheel_advance(&w, 5 + far, record, &r, 10), 1);
	assert_int_equal(r.tick[1], 5 + far);
}

static void rearm_cb(struct sb_wheel_timer *t, void *arg)
{
	struct rec *r = arg;

	record(t, arg);
	if (r->n < 3)
		sb_wheel_arm(r->w, t, r->w->now_tick + 10);
}

static void test_rearm_from_callback(void **state)
{
	static struct rec r;
	struct sb_wheel w;
	struct owner a;

	(void)state;
	setup_wheel(&w, &r, 0);
	owner_init(&a, 1);
	sb_wheel_arm(&w, &a.t, 10);
	assert_int_equal(sb_wheel_advance(&w, 1000, rearm_cb, &r, 100), 3);
	assert_int_equal(r.tick[0], 10);
	assert_int_equal(r.tick[1], 20);
	assert_int_equal(r.tick[2], 30);
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t xorshift(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void count_cb(struct sb_wheel_timer *t, void *arg)
{
	uint64_t *n = arg;
	struct owner *o = (struct owner *)((char *)t - offsetof(struct owner, t));

	/* id holds the expected tick's low 32 bits: a late or early fire fails */
	assert_int_equal(o->id, (uint32_t)t->expire_tick);
	(*n)++;
}

/* A million timers: arm, cancel half, re-arm a quarter, fire the rest. */
static void test_churn_million(void **state)
{
	const uint32_t n = 1000000;
	struct owner *o = calloc(n, sizeof(*o));
	struct sb_wheel w;
	uint64_t fired = 0, expect = 0;
	uint32_t i;

	(void)state;
	assert_non_null(o);
	assert_int_equal(sb_wheel_init(&w, slots, LEVELS, 0), 0);
	for (i = 0; i < n; i++) {
		uint64_t e = 1 + xorshift() % 200000;

		sb_wheel_timer_init(&o[i].t);
		o[i].id = (uint32_t)e;
		sb_wheel_arm(&w, &o[i].t, e);
	}
	for (i = 0; i < n; i += 2)
		sb_wheel_cancel(&w, &o[i].t);
	for (i = 0; i < n; i += 4) {
		uint64_t e = 1 + xorshift() % 300000;

		o[i].id = (uint32_t)e;
		sb_wheel_arm(&w, &o[i].t, e);
	}
	expect = w.armed;
	assert_int_equal(expect, n / 2 + n / 4);
	while (w.now_tick < 300000 || w.pending != NULL)
		sb_wheel_advance(&w, w.now_tick + 1000, count_cb, &fired, 5000);
	assert_int_equal(fired, expect);
	assert_int_equal(w.armed, 0);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_fire_order),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_rearm_moves_timer),
		cmocka_unit_test(test_cascade_levels),
		cmocka_unit_test(test_cascade_stepwise),
		cmocka_unit_test(test_bounded_advance),
		cmocka_unit_test(test_far_future),
		cmocka_unit_test(test_rearm_from_callback),
		cmocka_unit_test(test_churn_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
