/* SPDX-License-Identifier: BSD-3-Clause
 *
 * After mbufs_low: a connection whose window was shut while the worker's
 * mbufs ran low (test_dp_pool_low.c) must get a window again once they are
 * back, and read the rest of what its client sent, in order.
 *
 * A client that only sends, facing a zero window, sends nothing but
 * zero-window probes, which TCP answers without delivering: nothing on the
 * connection itself would bring the glue back to it. The glue therefore
 * lists such a connection with those waiting for a pool, and reopens its
 * window when the pool recovers (xc_ctl.c). Before that fix the
 * connection stalled for good here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "dp_harness.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xmpp/xc.h"

static void test_window_reopens_after_mbufs_low(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	unsigned routed;
	struct dp_sock *s;

	(void)state;
	s = dp_c2s_window_shut(h, 40, &routed);
	assert_true(routed < 40);

	h->gw->mbufs_low = false;
	for (unsigned i = 0; i < 100 && routed < 40; i++) {
		dp_advance(h, 100);
		routed += dp_ctl_take_chats(h, routed);
	}
	assert_int_equal(routed, 40);
	assert_int_equal(s->c->snd_queued, 0);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_reopens_after_mbufs_low),
	};

	dp_eal_init("dp_mbufs_resume");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
