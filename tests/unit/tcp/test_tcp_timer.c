/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp timers on the fake clock: RTO with exponential backoff and its cap
 * (RFC 6298 §5.5, §2.5), giving up after the retry limit, the RTT estimator
 * (§2.2-2.3), delayed ACK, keepalive probes and the drop after unanswered
 * probes, and bounded timer expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

/* Advances ms - 1, asserts silence, then 1 more and asserts n segments. */
static void expect_after(int i, uint32_t ms, uint32_t n)
{
	h_advance_ms(&H, ms - 1);
	assert_int_equal(H.e[i].nout, 0);
	h_advance_ms(&H, 1);
	assert_int_equal(H.e[i].nout, n);
}

static void test_rto_backoff_doubles_and_caps(void **state)
{
	const uint32_t want[12] = {200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200,
				   60000, 60000, 60000};
	struct sb_tcp_seg s;
	uint32_t k;

	(void)state;
	h_connect(&H);
	assert_int_equal(H.e[0].tcb.rto_us, 200000); /* 0 ms sample, clamped to rto_min */
	h_send(&H, 0, 1000);
	h_drop(&H, 0, 0);
	for (k = 0; k < 12; k++) {
		expect_after(0, want[k], 1);
		h_peek(&H, 0, 0, &s);
		assert_int_equal(s.seq, 1000001);
		assert_int_equal(s.len, 1000);
		h_drop(&H, 0, 0);
		assert_int_equal(H.e[0].tcb.rxtshift, k + 1);
	}
	assert_int_equal(H.e[0].tcb.cwnd, 1000); /* loss window: one segment */
	assert_int_equal(H.e[0].tcb.ssthresh, 2000);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TX_REXMT_TIMEOUT], 12);
	/* the thirteenth expiry gives up: RST and TIMEDOUT */
	expect_after(0, 60000, 1);
	h_peek(&H, 0, 0, &s);
	assert_int_equal(s.flags, SB_TCP_RST | SB_TCP_ACK);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	assert_true(h_has_event(&H.e[0], SB_TCP_EV_TIMEDOUT));
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_CONN_TIMEDOUT], 1);
}

static void test_rto_recovers_after_ack(void **state)
{
	(void)state;
	h_connect(&H);
	h_send(&H, 0, 1000);
	h_drop(&H, 0, 0);
	expect_after(0, 200, 1);
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	assert_int_equal(H.e[1].rcvd_len, 1000);
	assert_int_equal(H.e[0].tcb.rxtshift, 0);
	assert_int_equal(H.e[0].tcb.tmask & SB_TT_REXMT, 0);
}

static void test_syn_retries_exhausted(void **state)
{
	uint32_t k, ms = 1000;

	(void)state;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_drop(&H, 0, 0);
	for (k = 0; k < 5; k++) {
		expect_after(0, ms, 1);
		h_drop(&H, 0, 0);
		ms *= 2;
	}
	h_advance_ms(&H, ms);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	assert_true(h_has_event(&H.e[0], SB_TCP_EV_TIMEDOUT));
	assert_int_equal(H.e[0].nout, 0); /* no RST for a connection never synchronized */
}

static void test_rtt_estimator(void **state)
{
	struct sb_tcp_cfg c;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.ts = false; /* time one segment at a time */
	h_init(&H, &c, NULL);
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0);
	h_advance_ms(&H, 100);
	h_deliver(&H, 1, 0);
	/* first sample R = 100 ms: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR */
	assert_int_equal(H.e[0].tcb.srtt_us, 100000);
	assert_int_equal(H.e[0].tcb.rttvar_us, 50000);
	assert_int_equal(H.e[0].tcb.rto_us, 300000);
	h_pump(&H);
	h_send(&H, 0, 1000);
	h_deliver(&H, 0, 0);
	h_advance_ms(&H, 40); /* delayed ACK leaves after 40 ms */
	h_deliver(&H, 1, 0);
	/* R' = 40: RTTVAR = 3/4 * 50 + 1/4 * 60 = 52.5, SRTT = 7/8 * 100 + 1/8 * 40 */
	assert_int_equal(H.e[0].tcb.rttvar_us, 52500);
	assert_int_equal(H.e[0].tcb.srtt_us, 92500);
	assert_int_equal(H.e[0].tcb.rto_us, 92500 + 4 * 52500);
}

static void test_lost_syn_sets_rto_to_3s(void **state)
{
	struct sb_tcp_cfg c;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.ts = false; /* no timestamps: Karn leaves no sample from the handshake */
	h_init(&H, &c, NULL);
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_drop(&H, 0, 0);
	h_advance_ms(&H, 1000);
	h_pump(&H);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[0].tcb.srtt_us, 0);
	assert_int_equal(H.e[0].tcb.rto_us, 3000000); /* RFC 6298 §5.7 */
	assert_int_equal(H.e[0].tcb.rxtshift, 0);
}

static void test_delayed_ack_timer(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	h_send(&H, 0, 100);
	h_deliver(&H, 0, 0);
	expect_after(1, 40, 1);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.flags, SB_TCP_ACK);
	assert_int_equal(s.ack, 1000101);
}

static void keep_cfg(void)
{
	struct sb_tcp_cfg c;

	h_fini(&H);
	h_cfg(&c);
	c.keep_idle_ms = 10000;
	c.keep_intvl_ms = 1000;
	c.keep_cnt = 3;
	h_init(&H, &c, NULL);
	h_connect(&H);
}

static void test_keepalive_probes_then_close(void **state)
{
	struct sb_tcp_seg s;
	uint32_t k;

	(void)state;
	keep_cfg();
	expect_after(0, 10000, 1);
	for (k = 0; k < 3; k++) {
		h_peek(&H, 0, 0, &s);
		assert_int_equal(s.flags, SB_TCP_ACK);
		assert_int_equal(s.seq, 1000000); /* SND.UNA - 1: forces an ACK */
		assert_int_equal(s.len, 0);
		h_drop(&H, 0, 0);
		if (k < 2)
			expect_after(0, 1000, 1);
	}
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TX_KEEPALIVE_PROBE], 3);
	expect_after(0, 1000, 1);
	h_peek(&H, 0, 0, &s);
	assert_int_equal(s.flags, SB_TCP_RST | SB_TCP_ACK);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	assert_true(h_has_event(&H.e[0], SB_TCP_EV_TIMEDOUT));
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_CONN_KEEPALIVE_DROP], 1);
}

static void test_keepalive_answered_restarts_idle(void **state)
{
	(void)state;
	keep_cfg();
	expect_after(0, 10000, 1);
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].nout, 1); /* the peer ACKs the out-of-window probe */
	h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].tcb.keep_probes, 0);
	expect_after(0, 10000, 1); /* next probe a full idle period later */
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_ESTABLISHED);
}

static void test_keepalive_deferred_by_traffic(void **state)
{
	(void)state;
	keep_cfg();
	h_advance_ms(&H, 9000);
	h_send(&H, 1, 10);
	h_pump(&H); /* B's data reaches A: A's idle clock restarts */
	h_advance_ms(&H, 40);
	h_pump(&H);
	expect_after(0, 10000 - 40, 1);
}

static void test_timer_expiry_bounded(void **state)
{
	static struct h_end *a;

	(void)state;
	h_connect(&H);
	a = &H.e[0];
	h_send(&H, 0, 1000);
	h_drop(&H, 0, 0);
	H.now_us += 200000;
	assert_int_equal(sb_tcp_timers_run(&a->ctx, H.now_us, 0), 0);
	assert_int_equal(a->nout, 0);
	assert_int_equal(sb_tcp_timers_run(&a->ctx, H.now_us, 1), 1);
	assert_int_equal(a->nout, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rto_backoff_doubles_and_caps, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rto_recovers_after_ack, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_syn_retries_exhausted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rtt_estimator, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_lost_syn_sets_rto_to_3s, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_delayed_ack_timer, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_probes_then_close, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_answered_restarts_idle, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_deferred_by_traffic, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_timer_expiry_bounded, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
