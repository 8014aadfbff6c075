/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/router/promise.c (XEP-0198: the ack is a promise): a shard
 * writes a stanza's STANZA_DONE entry only once the stanza is on its
 * recipient's worker ring or committed to storage, or routing finished
 * without keeping it; never while it waits in a backlog or an offline
 * batch. Entries go to the sender's worker, batched (SB_MSG_DONE_MAX per
 * message); a PROMISE_SYNC is echoed only when nothing is owed, after
 * the entries. Routing, the backlog and the commit are stubs that do what
 * route.c and im_offline.c do at the points that matter (the ring is a
 * test ring behind the real sb_msg_link).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg_heap.h"
#include "msg_link.h"
#include "router.h"
#include "shard.h"

enum route_how { DELIVER, OFFLINE, ANSWER };
static enum route_how how;

/* The worker ring: full or not, and what it took. */
static bool ring_full;
static struct sb_msg *ring_got[64];
static unsigned n_ring;

/* STANZA_DONE and PROMISE_SYNC messages the shard sent, in order. */
static struct sb_msg *sent[64];
static unsigned n_sent;

/* The test's backlog and offline batch. */
static struct sb_msg *backlog, *batch;

static int ring_enqueue(void *arg, unsigned p, struct sb_msg *m)
{
	(void)arg;
	(void)p;
	if (ring_full)
		return 1;
	sb_msg_set_owner(m, SB_MSG_OWNER_RING); /* the callback's, as control/shard.c's */
	ring_got[n_ring++] = m;
	return 0;
}

static unsigned ring_dequeue(void *arg, unsigned p, struct sb_msg **out, unsigned n)
{
	(void)arg;
	(void)p;
	(void)out;
	(void)n;
	return 0;
}

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	if (m->kind == SB_MSG_STANZA_DONE || m->kind == SB_MSG_PROMISE_SYNC) {
		assert_true(n_sent < 64);
		m->worker = (uint16_t)w;
		sent[n_sent++] = m;
		return 0;
	}
	/* route.c: the ring, else the backlog (kept). */
	if (sb_promise_enqueue(sh, w, m) == 0)
		return 0;
	sb_promise_keep(&sh->router.pr, m);
	backlog = m;
	sh->router.backlog_total = 1;
	return 0;
}

void sb_router_stanza(struct sb_shard *sh, struct sb_msg *m)
{
	switch (how) {
	case DELIVER:
		m->kind = SB_MSG_DELIVER;
		sb_router_send(sh, 1, m);
		break;
	case OFFLINE: /* im_offline.c: queued for the commit */
		sb_promise_keep(&sh->router.pr, m);
		batch = m;
		sh->router.im.batch_n = 1;
		break;
	case ANSWER:
		sb_msg_free_chain(m, &sh->router.pool);
		break;
	}
}

void sb_im_offline_commit(struct sb_shard *sh)
{
	(void)sh; /* the test commits when it says so */
}

static struct sb_shard *shard_new(void)
{
	struct sb_shard *sh = calloc(1, sizeof(*sh));
	const struct sb_msg_link_ring ring = { .enqueue = ring_enqueue, .dequeue = ring_dequeue };

	assert_non_null(sh);
	sh->n_workers = 2;
	sh->router.pool.alloc = sb_test_msg_alloc;
	sh->router.pool.free = sb_test_msg_free;
	sb_msg_link_init(&sh->link, SB_MSG_OWNER_CONTROL, 0, 2, 1, &ring, &sh->router.pool);
	how = DELIVER;
	ring_full = false;
	n_ring = n_sent = 0;
	backlog = batch = NULL;
	return sh;
}

static void shard_free(struct sb_shard *sh)
{
	for (unsigned i = 0; i < n_ring; i++)
		free(ring_got[i]);
	for (unsigned i = 0; i < n_sent; i++)
		free(sent[i]);
	sb_promise_free(sh);
	free(sh);
}

/* A STANZA from worker `from`, connection 7 generation 3, stanza h. */
static struct sb_msg *stanza(unsigned from, uint32_t h, bool promise)
{
	struct sb_msg *m = sb_test_msg_alloc(NULL);
	struct sb_msg_stanza st = { .kind = SB_STANZA_MESSAGE, .from_worker = (uint16_t)from,
				    .from_conn = 7, .from_gen = 3, .sm_h = h };

	sb_msg_encode(m, SB_MSG_STANZA, (uint16_t)from, 0, sizeof(st), 0, 0);
	memcpy(m->payload, &st, sizeof(st));
	m->total_len = sizeof(st);
	if (promise)
		m->flags |= SB_MSG_F_SM_PROMISE;
	return m;
}

/* The entries of sent[i], checked to be a STANZA_DONE for worker w. */
static uint32_t done_entries(unsigned i, unsigned w, struct sb_msg_done_ent *e, uint32_t cap)
{
	struct sb_msg_done d;

	assert_true(i < n_sent);
	assert_int_equal(sent[i]->kind, SB_MSG_STANZA_DONE);
	assert_int_equal(sent[i]->worker, w);
	memcpy(&d, sent[i]->payload, sizeof(d));
	assert_true(d.n <= cap && d.n <= SB_MSG_DONE_MAX);
	memcpy(e, sent[i]->payload + sizeof(d), d.n * sizeof(*e));
	return d.n;
}

static void test_delivered_on_ring(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_msg_done_ent e[4];

	(void)state;
	sb_promise_route(sh, stanza(0, 41, true));
	assert_int_equal(n_ring, 1);
	assert_false(ring_got[0]->flags & SB_MSG_F_SM_PROMISE); /* the promise stays here */
	assert_int_equal(n_sent, 0); /* batched until the turn */
	assert_int_equal(sb_promise_turn(sh), 1);
	assert_int_equal(done_entries(0, 0, e, 4), 1); /* to the sender's worker */
	assert_int_equal(e[0].conn, 7);
	assert_int_equal(e[0].conn_gen, 3);
	assert_int_equal(e[0].sm_h, 41);
	assert_int_equal(sh->router.ctr[SB_ROUTE_CTR_promise_done], 1);
	shard_free(sh);
}

static void test_backlog_waits_for_ring(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_msg_done_ent e[4];

	(void)state;
	ring_full = true;
	sb_promise_route(sh, stanza(1, 5, true));
	sb_promise_turn(sh);
	assert_int_equal(n_sent, 0); /* in the backlog: not yet on the ring */
	assert_non_null(backlog);
	ring_full = false;
	assert_int_equal(sb_promise_enqueue(sh, 1, backlog), 0); /* the flush */
	sh->router.backlog_total = 0;
	sb_promise_turn(sh);
	assert_int_equal(done_entries(0, 1, e, 4), 1);
	assert_int_equal(e[0].sm_h, 5);
	shard_free(sh);
}

static void test_offline_waits_for_commit(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_msg_done_ent e[4];

	(void)state;
	how = OFFLINE;
	sb_promise_route(sh, stanza(0, 9, true));
	sb_promise_turn(sh);
	assert_int_equal(n_sent, 0); /* queued, not committed */
	/* im_offline.c's commit: then the chain is freed. */
	sb_promise_fulfil(sh, batch);
	sh->router.im.batch_n = 0;
	free(batch);
	sb_promise_turn(sh);
	assert_int_equal(done_entries(0, 0, e, 4), 1);
	assert_int_equal(e[0].sm_h, 9);
	shard_free(sh);
}

static void test_answered_and_unflagged(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_msg_done_ent e[4];

	(void)state;
	how = ANSWER;
	sb_promise_route(sh, stanza(0, 1, false)); /* no stream management: nothing owed */
	sb_promise_turn(sh);
	assert_int_equal(n_sent, 0);
	sb_promise_route(sh, stanza(0, 2, true)); /* answered and freed: safe */
	sb_promise_turn(sh);
	assert_int_equal(done_entries(0, 0, e, 4), 1);
	assert_int_equal(e[0].sm_h, 2);
	shard_free(sh);
}

static void test_batched(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_msg_done_ent *e = calloc(SB_MSG_DONE_MAX, sizeof(*e));
	uint32_t next = 1, n;

	(void)state;
	how = ANSWER;
	for (uint32_t h = 1; h <= 300; h++)
		sb_promise_route(sh, stanza(1, h, true));
	assert_int_equal(sb_promise_turn(sh), 3); /* 124 + 124 + 52 */
	for (unsigned i = 0; i < 3; i++) {
		n = done_entries(i, 1, e, SB_MSG_DONE_MAX);
		for (uint32_t k = 0; k < n; k++)
			assert_int_equal(e[k].sm_h, next++);
	}
	assert_int_equal(next, 301);
	free(e);
	shard_free(sh);
}

static void test_sync_after_everything_owed(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_msg *sync = sb_test_msg_alloc(NULL);
	struct sb_msg_done_ent e[4];

	(void)state;
	how = OFFLINE;
	sb_promise_route(sh, stanza(0, 3, true));
	sb_msg_encode(sync, SB_MSG_PROMISE_SYNC, 0, 0, 0, 12, 0);
	sb_promise_sync(sh, sync);
	sb_promise_turn(sh);
	assert_int_equal(n_sent, 0); /* an offline message is not committed yet */
	sb_promise_fulfil(sh, batch);
	sh->router.im.batch_n = 0;
	free(batch);
	sb_promise_turn(sh);
	assert_int_equal(n_sent, 2);
	assert_int_equal(done_entries(0, 0, e, 4), 1); /* the entry first ... */
	assert_int_equal(sent[1]->kind, SB_MSG_PROMISE_SYNC); /* ... then the echo */
	assert_true(sent[1]->flags & SB_MSG_F_REPLY);
	assert_int_equal(sent[1]->seq, 12);
	shard_free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivered_on_ring),
		cmocka_unit_test(test_backlog_waits_for_ring),
		cmocka_unit_test(test_offline_waits_for_commit),
		cmocka_unit_test(test_answered_and_unflagged),
		cmocka_unit_test(test_batched),
		cmocka_unit_test(test_sync_after_everything_owed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
