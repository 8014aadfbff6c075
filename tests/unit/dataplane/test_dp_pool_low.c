/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Pool pressure. The shared message pool down to the part kept for
 * sb-control (dataplane/ring/ctl_link.c sb_ctl_link_msgs_low): a bound
 * client's stanzas stay unread in TCP (msgs_low, xmpp_pool_blocked),
 * nothing is dropped or refused, and once objects come back the connection
 * resumes with its stanzas in order. The worker's mbufs running low
 * (mbufs_low): a connection between stanzas gets no new window, so what the
 * client sends past the window already advertised waits on its side.
 * (That it resumes afterwards is test_dp_mbufs_resume.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <rte_mempool.h>

#include "dp_harness.h"
#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xmpp/xc.h"

static void test_message_pool_at_reserve(void **state)
{
	static void *hold[1024];
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true, .msgs = 1024 });
	struct dp_sock *s;
	unsigned n_hold = 0;

	(void)state;
	dp_ctl_attach(h, 1);
	s = dp_c2s_login(h, "alice");
	/* Everything but sb-control's reserve is taken (by other workers). */
	while (rte_mempool_avail_count(h->msg_pool) > h->gw->msg_reserve)
		assert_int_equal(rte_mempool_get(h->msg_pool, &hold[n_hold++]), 0);
	h->gw->msg_budget = 0; /* recount now, not after the next 256 */

	dp_c2s_chats(h, s, 0, 2, 10);
	dp_advance(h, 20);
	assert_null(dp_ctl_take(h));
	assert_true(DP_CTR(h, msgs_low) > 0);
	assert_int_equal(DP_CTR(h, xmpp_pool_blocked), 1);
	assert_int_equal(DP_CTR(h, xmpp_routed), 0);
	assert_false(dp_sock_saw(s, "<error"));
	assert_false(s->peer_fin);
	assert_int_equal(rte_mempool_avail_count(h->msg_pool), h->gw->msg_reserve);

	/* The pool recovers: the connection reads on, in order. */
	rte_mempool_put_bulk(h->msg_pool, hold, n_hold);
	dp_run(h);
	assert_int_equal(dp_ctl_take_chats(h, 0), 2);
	assert_int_equal(DP_CTR(h, xmpp_pool_blocked), 1);
	assert_false(s->peer_fin);
	dp_free(h);
}

/* Every object of the pool taken while the worker's last count still lets
 * it allocate (msg_budget > 0: other workers and sb-control's fill rings
 * drained it since). Returns how many were taken into hold. */
static unsigned pool_drain_stale(struct dp_h *h, void **hold, unsigned cap)
{
	unsigned n = 0;

	sb_ctl_link_stash_release(h->gw);
	while (n < cap && rte_mempool_get(h->msg_pool, &hold[n]) == 0)
		n++;
	assert_int_equal(rte_mempool_avail_count(h->msg_pool), 0);
	h->gw->msg_budget = SB_CTL_MSG_BUDGET;
	return n;
}

/* The pool dry behind a stale count: a login's <auth/> and a bound
 * client's chat are left unread (not refused with resource-constraint, not
 * dropped), and go up once objects come back. */
static void test_message_pool_dry_stale_count(void **state)
{
	static void *hold[1024];
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true, .msgs = 1024 });
	struct dp_sock *a, *b;
	unsigned n_hold;

	(void)state;
	dp_ctl_attach(h, 1);
	b = dp_c2s_login(h, "bob");

	n_hold = pool_drain_stale(h, hold, RTE_DIM(hold));
	a = dp_c2s_auth(h, "alice");
	dp_advance(h, 20);
	assert_null(dp_ctl_take(h));
	assert_false(dp_sock_saw(a, "resource-constraint"));
	assert_false(a->peer_fin);
	assert_int_equal(DP_CTR(h, msg_stash_short), 1);
	assert_int_equal(DP_CTR(h, xmpp_pool_blocked), 1);
	/* Objects come back: the login goes on. */
	rte_mempool_put_bulk(h->msg_pool, hold, n_hold);
	dp_advance(h, 20);
	dp_c2s_bind(h, a);
	assert_false(a->peer_fin);

	n_hold = pool_drain_stale(h, hold, RTE_DIM(hold));
	dp_c2s_chats(h, b, 0, 1, 10);
	dp_advance(h, 20);
	assert_null(dp_ctl_take(h));
	assert_false(dp_sock_saw(b, "<error"));
	assert_false(b->peer_fin);
	assert_int_equal(DP_CTR(h, msg_stash_short), 2);
	rte_mempool_put_bulk(h->msg_pool, hold, n_hold);
	dp_advance(h, 20);
	assert_int_equal(dp_ctl_take_chats(h, 0), 1);
	assert_int_equal(DP_CTR(h, msg_alloc_fail), 0);
	dp_free(h);
}

static void test_mbufs_low_closes_window(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	unsigned routed;
	struct dp_sock *s;

	(void)state;
	s = dp_c2s_window_shut(h, 40, &routed);
	assert_true(routed > 0);
	assert_true(routed < 40);
	assert_true(s->c->snd_queued > 0);
	dp_advance(h, 1000);
	assert_int_equal(dp_ctl_take_chats(h, routed), 0);
	assert_false(s->peer_fin);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_pool_at_reserve),
		cmocka_unit_test(test_message_pool_dry_stale_count),
		cmocka_unit_test(test_mbufs_low_closes_window),
	};

	dp_eal_init("dp_pool_low");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
