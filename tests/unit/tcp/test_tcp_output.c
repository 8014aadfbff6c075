/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp send path: fast retransmit after three duplicate ACKs (RFC 5681
 * §3.2) with NewReno recovery (RFC 6582), retransmission chosen from SACK
 * holes (RFC 2018), zero-window persist probes, MSS clamping, the per-call
 * burst limit and window scaling.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

static void test_fast_retransmit_after_three_dupacks(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;
	uint32_t k;

	(void)state;
	h_warm_up(&H);
	h_send(&H, 0, 6000);
	assert_int_equal(H.e[0].nout, 6);
	h_drop(&H, 0, 0);
	for (k = 0; k < 5; k++)
		h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].nout, 5); /* one duplicate ACK per segment */
	h_deliver(&H, 1, 0);
	h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].nout, 0);
	h_deliver(&H, 1, 0); /* third duplicate */
	assert_int_equal(H.e[0].nout, 1);
	h_expect_data(&H, 0, 0, 1001001, 1000);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TX_FAST_REXMT], 1);
	assert_true(a->flags & SB_TF_RECOVERY);
	assert_int_equal(a->ssthresh, 3000);
	/* SACK is on: cwnd = ssthresh and the pipe paces (RFC 6675 §5 step
	 * 4.2), no NewReno inflation */
	assert_int_equal(a->cwnd, 3000);
	h_deliver(&H, 1, 0); /* fourth: pipe 2000, but nothing left to send */
	assert_int_equal(a->cwnd, 3000);
	assert_int_equal(H.e[0].nout, 1);
	h_pump(&H);
	h_check_stream(&H, 1, 7000);
	assert_false(a->flags & SB_TF_RECOVERY);
	assert_int_equal(a->cwnd, 2000); /* RFC 6582 full ACK: min(ssthresh, flight + SMSS) */
	assert_int_equal(a->snd_una, 1007001);
}

static void test_sack_picks_second_hole(void **state)
{
	uint32_t k;

	(void)state;
	h_warm_up(&H);
	h_send(&H, 0, 6000);
	h_drop(&H, 0, 2); /* [1003001, 1004001) */
	h_drop(&H, 0, 0); /* [1001001, 1002001) */
	for (k = 0; k < 4; k++)
		h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].nout, 4);
	for (k = 0; k < 3; k++)
		h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].nout, 1);
	h_expect_data(&H, 0, 0, 1001001, 1000);
	h_deliver(&H, 1, 0); /* fourth dupack: the SACK scoreboard shows the next hole */
	assert_int_equal(H.e[0].nout, 2);
	h_expect_data(&H, 0, 1, 1003001, 1000);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TX_SACK_REXMT], 1);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TX_REXMT_TIMEOUT], 0);
	h_pump(&H);
	h_check_stream(&H, 1, 7000);
}

static void test_newreno_partial_ack_without_sack(void **state)
{
	struct sb_tcp_cfg c;
	uint32_t k;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.sack = false;
	h_init(&H, &c, NULL);
	h_warm_up(&H);
	h_send(&H, 0, 6000);
	h_drop(&H, 0, 2);
	h_drop(&H, 0, 0);
	for (k = 0; k < 4; k++)
		h_deliver(&H, 0, 0);
	for (k = 0; k < 4; k++)
		h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].nout, 1); /* no SACK: only the first hole */
	h_expect_data(&H, 0, 0, 1001001, 1000);
	h_deliver(&H, 0, 0);
	h_deliver(&H, 1, 0); /* partial ACK up to the second hole */
	assert_true(H.e[0].tcb.flags & SB_TF_RECOVERY);
	h_expect_data(&H, 0, 0, 1003001, 1000);
	h_pump(&H);
	h_check_stream(&H, 1, 7000);
	assert_false(H.e[0].tcb.flags & SB_TF_RECOVERY);
}

static void test_zero_window_persist_probe(void **state)
{
	struct sb_tcp_cfg c;
	struct sb_tcp_seg s;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.rcv_space = 4000;
	c.rcv_wscale = 0;
	h_init(&H, NULL, &c);
	h_connect(&H);
	sb_tcp_set_rcv_space(&H.e[1].ctx, &H.e[1].tcb, 0, H.now_us); /* B's reader is stuck */
	h_send(&H, 0, 6000);
	assert_int_equal(H.e[0].nout, 4);
	h_pump(&H); /* two ACKs, the second closes the window */
	assert_int_equal(H.e[0].tcb.snd_wnd, 0);
	assert_int_equal(H.e[0].tcb.snd_una, 1004001);
	assert_true(H.e[0].tcb.flags & SB_TF_PERSIST);
	h_advance_ms(&H, 199);
	assert_int_equal(H.e[0].nout, 0);
	h_advance_ms(&H, 1);
	assert_int_equal(H.e[0].nout, 1);
	h_expect_data(&H, 0, 0, 1004001, 1); /* one byte past the closed window */
	h_deliver(&H, 0, 0);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.ack, 1004001); /* not accepted */
	assert_int_equal(s.wnd, 0);
	h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TX_PERSIST_PROBE], 1);
	h_advance_ms(&H, 399); /* backed off: 400 ms */
	assert_int_equal(H.e[0].nout, 0);
	h_advance_ms(&H, 1);
	assert_int_equal(H.e[0].nout, 1);
	h_deliver(&H, 0, 0);
	h_deliver(&H, 1, 0);
	/* the reader drains: B announces the window, A sends the rest */
	sb_tcp_set_rcv_space(&H.e[1].ctx, &H.e[1].tcb, 4000, H.now_us);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.wnd, 4000);
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	h_check_stream(&H, 1, 6000);
	assert_false(H.e[0].tcb.flags & SB_TF_PERSIST);
}

static void test_mss_option_clamps_segments(void **state)
{
	struct sb_tcp_cfg c;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.mss = 600;
	h_init(&H, NULL, &c);
	h_connect(&H);
	assert_int_equal(H.e[0].tcb.snd_mss, 588);
	h_send(&H, 0, 1000);
	h_expect_data(&H, 0, 0, 1000001, 588);
	h_expect_data(&H, 0, 1, 1000589, 412);
}

static void test_tiny_mss_raised_and_counted(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN;
	s.seq = 5;
	s.wnd = 1000;
	s.opt.present = SB_TCP_OPT_MSS;
	s.opt.mss = 20;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_SYN_RECEIVED);
	assert_int_equal(H.e[1].tcb.snd_mss, 88);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_MSS_CLAMPED], 1);
}

static void test_no_mss_option_means_536(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN;
	s.seq = 5;
	s.wnd = 1000;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.snd_mss, 536);
}

static void test_cwnd_limits_initial_flight(void **state)
{
	(void)state;
	h_connect(&H);
	h_send(&H, 0, 20000);
	assert_int_equal(H.e[0].nout, 10); /* RFC 6928 initial window */
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	h_check_stream(&H, 1, 20000);
}

static void test_burst_limit_counted(void **state)
{
	struct sb_tcp_cfg c;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.burst_max = 4;
	h_init(&H, &c, NULL);
	h_connect(&H);
	h_send(&H, 0, 8000);
	assert_int_equal(H.e[0].nout, 4);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TX_BURST_LIMITED], 1);
}

static void test_window_scaled_by_peer_shift(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	h_send(&H, 1, 10);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.wnd, 65535 >> 2); /* our window, shifted by our wscale */
	h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].rcvd_len, 10);
	assert_int_equal(H.e[0].tcb.snd_wnd, (65535u >> 2) << 2);
}

static void test_send_after_close_refused(void **state)
{
	(void)state;
	h_connect(&H);
	assert_int_equal(sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us), 0);
	assert_int_equal(h_send(&H, 0, 10), -EPIPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fast_retransmit_after_three_dupacks, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_sack_picks_second_hole, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_newreno_partial_ack_without_sack, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_persist_probe, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_mss_option_clamps_segments, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_tiny_mss_raised_and_counted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_no_mss_option_means_536, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_cwnd_limits_initial_flight, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_burst_limit_counted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_window_scaled_by_peer_shift, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_send_after_close_refused, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
