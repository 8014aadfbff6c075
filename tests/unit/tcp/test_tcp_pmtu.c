/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp path MTU: sb_tcp_pmtu() for an ICMP "fragmentation needed"
 * (RFC 1191): the MSS goes down and never up, not below the 576-byte floor,
 * only for a quoted sequence number within SND.UNA..SND.MAX (RFC 5927 §4.1),
 * and data in flight is resent at once at the new size without touching
 * the congestion window.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

/* h_warm_up with the harness's MSS, which these tests lower. */
static void warm_up(void)
{
	h_warm_up(&H);
	assert_int_equal(H.e[0].tcb.snd_mss, 1000);
}

static uint64_t cnt(int i, enum sb_tcp_cnt c)
{
	return H.e[i].ctx.cnt[c];
}

static void test_in_flight_resent_smaller(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;
	uint32_t una, cwnd, k;

	(void)state;
	warm_up();
	h_send(&H, 0, 3000);
	assert_int_equal(H.e[0].nout, 3);
	una = a->snd_una;
	cwnd = a->cwnd;
	/* MTU 700: 700 - 40 - 12 (timestamps) = 648 bytes per segment */
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, una + 1000, 700, H.now_us), 0);
	assert_int_equal(a->snd_mss, 648);
	assert_int_equal(cnt(0, SB_TCP_CNT_ICMP_PMTU_APPLIED), 1);
	assert_int_equal(a->cwnd, cwnd); /* not congestion */
	assert_int_equal(H.e[0].nout, 3 + 5);
	for (k = 0; k < 4; k++)
		h_expect_data(&H, 0, 3 + k, una + k * 648, 648);
	h_expect_data(&H, 0, 7, una + 4 * 648, 3000 - 4 * 648);
	/* the three big ones never arrive: the router dropped them */
	for (k = 0; k < 3; k++)
		h_drop(&H, 0, 0);
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	h_check_stream(&H, 1, 4000);
	assert_int_equal(a->snd_una, a->snd_max);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_REXMT_TIMEOUT), 0);
	/* new data goes out at the new size too */
	h_send(&H, 0, 1000);
	assert_int_equal(H.e[0].nout, 2);
	h_expect_data(&H, 0, 0, a->snd_una, 648);
	h_expect_data(&H, 0, 1, a->snd_una + 648, 352);
	h_pump(&H);
	h_check_stream(&H, 1, 5000);
}

static void test_never_raises(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;

	(void)state;
	warm_up();
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, a->snd_una, 1000, H.now_us), 0);
	assert_int_equal(a->snd_mss, 948);
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, a->snd_una, 1500, H.now_us), -EALREADY);
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, a->snd_una, 1000, H.now_us), -EALREADY);
	assert_int_equal(a->snd_mss, 948);
	assert_int_equal(cnt(0, SB_TCP_CNT_ICMP_PMTU_APPLIED), 1);
	assert_int_equal(cnt(0, SB_TCP_CNT_ICMP_PMTU_IGNORED), 2);
	assert_int_equal(H.e[0].nout, 0); /* idle: nothing to resend */
}

static void test_quoted_seq_outside_window_ignored(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;
	uint32_t una;

	(void)state;
	warm_up();
	h_send(&H, 0, 2000);
	una = a->snd_una;
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, una - 1, 700, H.now_us), -ERANGE);
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, a->snd_max + 1, 700, H.now_us), -ERANGE);
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, una + 0x40000000u, 700, H.now_us), -ERANGE);
	assert_int_equal(cnt(0, SB_TCP_CNT_ICMP_PMTU_BAD_SEQ), 3);
	assert_int_equal(a->snd_mss, 1000);
	assert_int_equal(H.e[0].nout, 2); /* nothing resent */
	/* both ends of the window are valid */
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, a->snd_max, 1012, H.now_us), 0);
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, una, 1000, H.now_us), 0);
	assert_int_equal(a->snd_mss, 948);
}

static void test_floor_clamps(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;

	(void)state;
	warm_up();
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, a->snd_una, 100, H.now_us), 0);
	assert_int_equal(cnt(0, SB_TCP_CNT_ICMP_PMTU_CLAMPED), 1);
	assert_int_equal(a->snd_mss, SB_TCP_PMTU_MIN - 40 - 12);
	/* and a second tiny one cannot go lower */
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, a->snd_una, 68, H.now_us), -EALREADY);
	assert_int_equal(a->snd_mss, SB_TCP_PMTU_MIN - 40 - 12);
	h_send(&H, 0, 600);
	h_expect_data(&H, 0, 0, a->snd_una, 524);
	h_pump(&H);
	h_check_stream(&H, 1, 1600);
}

static void test_not_connected(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;

	(void)state;
	assert_int_equal(sb_tcp_connect(&H.e[0].ctx, a, 5000, H.now_us), 0);
	assert_int_equal(sb_tcp_pmtu(&H.e[0].ctx, a, 5000, 600, H.now_us), -ENOTCONN);
	assert_int_equal(cnt(0, SB_TCP_CNT_ICMP_PMTU_IGNORED), 1);
	assert_int_equal(a->snd_mss, 1012);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_flight_resent_smaller, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_never_raises, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_quoted_seq_outside_window_ignored, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_floor_clamps, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_not_connected, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
