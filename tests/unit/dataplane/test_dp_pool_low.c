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
		cmocka_unit_test(test_mbufs_low_closes_window),
	};

	dp_eal_init("dp_pool_low");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
