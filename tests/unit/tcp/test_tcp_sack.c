/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp SACK loss recovery (RFC 6675): duplicate ACKs are ACKs that bring
 * new SACK information, data-carrying ones included (an echoing peer never
 * sends a pure one); IsLost() can start recovery on one ACK; the pipe lets
 * several holes go per ACK; limited transmit (RFC 3042) sends new data on
 * the first two duplicates; a lost retransmission is found from later SACKs
 * instead of the timer; the receiver keeps SB_TCP_OOO_MAX ranges; SACK
 * blocks come out of a data segment's payload; a lost tail is probed
 * (RFC 8985 §7) and repaired by early retransmit (RFC 5827).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

#define UNA0 1001001u /* A's SND.UNA after h_warm_up(&H) */

static uint64_t cnt(int i, enum sb_tcp_cnt c)
{
	return H.e[i].ctx.cnt[c];
}

/* end i has a segment of len bytes at seq on the wire */
static bool has_data(int i, uint32_t seq, uint32_t len)
{
	struct sb_tcp_seg s;

	for (uint32_t k = 0; k < H.e[i].nout; k++) {
		h_peek(&H, i, k, &s);
		if (s.seq == seq && s.len == len)
			return true;
	}
	return false;
}

/* A segment from B to A acknowledging SND.UNA, SACKing blocks[0..n), with
 * `len` bytes of B's stream (in order at A). */
static void inject_ack(uint32_t len, const struct sb_tcp_range *blocks, uint32_t n)
{
	const struct sb_tcb *a = &H.e[0].tcb;
	static uint8_t pay[2000];
	static uint32_t tsval = 1;
	struct sb_tcp_seg s;
	uint32_t k;

	memset(&s, 0, sizeof(s));
	s.seq = a->rcv_nxt;
	s.ack = a->snd_una;
	s.flags = SB_TCP_ACK;
	s.wnd = (uint16_t)(a->snd_wnd >> a->snd_wscale);
	s.opt.present = SB_TCP_OPT_TS | (n ? SB_TCP_OPT_SACK : 0);
	s.opt.tsval = a->ts_recent + tsval++;
	s.opt.tsecr = H.e[0].ctx.now_ms;
	s.opt.sack_n = (uint8_t)n;
	for (k = 0; k < n; k++)
		s.opt.sack[k] = blocks[k];
	for (k = 0; k < len; k++)
		pay[k] = h_pattern(1, H.e[0].rcvd_len + k);
	s.payload = pay;
	s.len = len;
	h_inject(&H, 0, &s);
}

static void drop_all(int i)
{
	while (H.e[i].nout > 0)
		h_drop(&H, i, 0);
}

static void test_data_carrying_dupacks_start_recovery(void **state)
{
	struct sb_tcp_range b = {UNA0 + 1000, UNA0 + 1000};
	uint32_t k;

	(void)state;
	h_warm_up(&H);
	h_send(&H, 0, 6000);
	drop_all(0);
	/* B echoes: every ACK carries data, and SACKs one more segment */
	for (k = 1; k <= 3; k++) {
		b.end += 1000;
		inject_ack(10, &b, 1);
	}
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_FAST_REXMT), 1);
	assert_true(H.e[0].tcb.flags & SB_TF_RECOVERY);
	assert_true(has_data(0, UNA0, 1000));
	assert_int_equal(H.e[0].rcvd_len, 30); /* and B's bytes were taken */
}

static void test_one_ack_repairs_several_holes(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;
	struct sb_tcp_seg s;
	uint32_t k;

	(void)state;
	h_warm_up(&H);
	h_send(&H, 0, 8000);
	/* holes at +0, +2000 and +4000 */
	for (k = 0; k < 8; k++) {
		if (k == 0 || k == 2 || k == 4)
			h_drop(&H, 0, 0);
		else
			h_deliver(&H, 0, 0);
	}
	/* only B's last ACK gets through: three blocks at once */
	assert_int_equal(H.e[1].nout, 5);
	for (k = 0; k < 4; k++)
		h_drop(&H, 1, 0);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.opt.sack_n, 3);
	h_deliver(&H, 1, 0);
	/* three SACKed ranges above SND.UNA: lost after one ACK (IsLost) */
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_FAST_REXMT), 1);
	assert_int_equal(a->ssthresh, 4000);
	assert_int_equal(a->cwnd, 4000);
	/* pipe = 8000 - 5000 SACKed - 2000 lost not resent + 1000 resent:
	 * room for both other holes in the same call */
	assert_int_equal(H.e[0].nout, 3);
	h_expect_data(&H, 0, 0, UNA0, 1000);
	h_expect_data(&H, 0, 1, UNA0 + 2000, 1000);
	h_expect_data(&H, 0, 2, UNA0 + 4000, 1000);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_SACK_REXMT), 2);
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	h_check_stream(&H, 1, 9000);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_REXMT_TIMEOUT), 0);
	assert_false(a->flags & SB_TF_RECOVERY);
}

static void test_limited_transmit(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;
	struct sb_tcp_range b = {UNA0 + 1000, UNA0 + 2000};
	uint32_t cwnd;

	(void)state;
	h_warm_up(&H);
	cwnd = a->cwnd;
	h_send(&H, 0, cwnd + 3000); /* the window's worth goes, 3000 wait */
	assert_int_equal(H.e[0].nout, cwnd / 1000);
	drop_all(0);
	inject_ack(0, &b, 1);
	assert_int_equal(H.e[0].nout, 1); /* RFC 3042: one new segment */
	h_expect_data(&H, 0, 0, UNA0 + cwnd, 1000);
	b.end += 1000;
	inject_ack(0, &b, 1);
	assert_int_equal(H.e[0].nout, 2);
	h_expect_data(&H, 0, 1, UNA0 + cwnd + 1000, 1000);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_LIMITED), 2);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_FAST_REXMT), 0);
	assert_int_equal(a->cwnd, cwnd); /* the window itself did not grow */
}

/* Deliver everything, but drop A's segments starting at seq the first
 * `drops` times they are sent. Never advances the clock past the RTO. */
static void pump_dropping(uint32_t seq, uint32_t drops)
{
	uint32_t round;

	for (round = 0; round < 200; round++) {
		struct sb_tcp_seg s;

		if (H.e[0].nout == 0 && H.e[1].nout == 0) {
			h_advance_ms(&H, 40); /* a delayed ACK */
			if (H.e[0].nout == 0 && H.e[1].nout == 0)
				return;
		}
		while (H.e[0].nout > 0) {
			h_peek(&H, 0, 0, &s);
			if (s.seq == seq && s.len > 0 && drops > 0) {
				drops--;
				h_drop(&H, 0, 0);
			} else {
				h_deliver(&H, 0, 0);
			}
		}
		while (H.e[1].nout > 0)
			h_deliver(&H, 1, 0);
	}
	fail_msg("the wire never went quiet");
}

static void test_lost_retransmission_found_without_timer(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb;

	(void)state;
	h_warm_up(&H);
	h_send(&H, 0, 30000);
	/* the first segment and its fast retransmission are both lost */
	pump_dropping(UNA0, 2);
	h_check_stream(&H, 1, 31000);
	assert_int_equal(cnt(1, SB_TCP_CNT_RX_OOO_FULL), 0);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_FAST_REXMT), 1);
	assert_true(cnt(0, SB_TCP_CNT_TX_REXMT_LOST) >= 1);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_REXMT_TIMEOUT), 0);
	assert_int_equal(a->snd_una, a->snd_max);
}

static void test_receiver_keeps_more_ranges_than_it_reports(void **state)
{
	struct sb_tcb *b = &H.e[1].tcb;
	struct sb_tcp_seg s;
	uint32_t k;

	(void)state;
	h_warm_up(&H);
	h_send(&H, 0, 2 * SB_TCP_OOO_MAX * 1000);
	/* every other segment lost: SB_TCP_OOO_MAX disjoint ranges */
	for (k = 0; k < SB_TCP_OOO_MAX; k++) {
		h_drop(&H, 0, 0);
		h_deliver(&H, 0, 0);
	}
	assert_int_equal(b->ooo_n, SB_TCP_OOO_MAX);
	assert_int_equal(cnt(1, SB_TCP_CNT_RX_OOO_FULL), 0);
	/* the last ACK reports three blocks (timestamps leave room for 3),
	 * the most recent first (RFC 2018 §4) */
	h_peek(&H, 1, H.e[1].nout - 1, &s);
	assert_int_equal(s.opt.sack_n, 3);
	assert_int_equal(s.opt.sack[0].start, UNA0 + (2 * SB_TCP_OOO_MAX - 1) * 1000);
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	h_check_stream(&H, 1, 1000 + 2 * SB_TCP_OOO_MAX * 1000);
}

/* RFC 9293 §3.7.1: options come out of the MSS, SACK blocks included. */
static void test_sack_blocks_shrink_data_segments(void **state)
{
	struct sb_tcp_seg s;
	uint32_t k, n;

	(void)state;
	h_warm_up(&H);
	h_send(&H, 0, 3000);
	h_drop(&H, 0, 0);
	h_deliver(&H, 0, 0); /* B now holds one range: one SACK block */
	assert_int_equal(H.e[1].tcb.ooo_n, 1);
	while (H.e[1].nout > 0)
		h_drop(&H, 1, 0);
	h_send(&H, 1, 2000);
	n = H.e[1].nout;
	assert_true(n >= 2);
	for (k = 0; k < n; k++) {
		h_peek(&H, 1, k, &s);
		assert_true(s.opt.present & SB_TCP_OPT_SACK);
		/* 20 + 12 (timestamps) + 12 (one block) header: 988 bytes fit */
		assert_true(s.hdr_len + s.len <= 20 + 12 + 1000);
	}
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.hdr_len, 44);
	assert_int_equal(s.len, 988);
	h_pump(&H);
	h_advance_ms(&H, 300);
	h_pump(&H);
	h_check_stream(&H, 1, 4000);
	h_check_stream(&H, 0, 2000);
}

/* A lost tail: no duplicate ACK can come. The probe (RFC 8985 §7) at
 * 2 * SRTT resends the last segment; its SACK shows the hole, and with two
 * segments out one duplicate is enough (early retransmit, RFC 5827). */
static void test_tail_loss_probe_then_early_retransmit(void **state)
{
	struct sb_tcp_cfg c;
	struct sb_tcb *a;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.tlp = true;
	h_init(&H, &c, &c);
	a = &H.e[0].tcb;
	h_warm_up(&H);
	h_send(&H, 0, 4000);
	h_deliver(&H, 0, 0);
	h_deliver(&H, 0, 0);
	h_drop(&H, 0, 0); /* +2000 and +3000: the tail */
	h_drop(&H, 0, 0);
	h_deliver(&H, 1, 0); /* ACK of the first two */
	assert_int_equal(a->snd_una, UNA0 + 2000);
	assert_true(a->flags & SB_TF_PTO);
	h_advance_ms(&H, 10);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_TLP), 1);
	assert_int_equal(H.e[0].nout, 1);
	h_expect_data(&H, 0, 0, UNA0 + 3000, 1000); /* no new data: the last segment */
	h_deliver(&H, 0, 0);
	h_deliver(&H, 1, 0); /* its SACK: one duplicate, two segments out */
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_EARLY_REXMT), 1);
	h_expect_data(&H, 0, 0, UNA0 + 2000, 1000);
	h_pump(&H);
	h_check_stream(&H, 1, 5000);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_REXMT_TIMEOUT), 0);
}

/* The first segment and the tail are lost: one duplicate only, four out.
 * The probe's ACK still shows the hole at SND.UNA, so recovery starts
 * (RFC 8985 §7.4) instead of the RTO. */
static void test_probe_ack_showing_hole_starts_recovery(void **state)
{
	struct sb_tcp_cfg c;
	uint32_t k;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.tlp = true;
	h_init(&H, &c, &c);
	h_warm_up(&H);
	h_send(&H, 0, 4000);
	h_drop(&H, 0, 0);    /* +0 */
	h_deliver(&H, 0, 0); /* +1000 arrives */
	h_drop(&H, 0, 0);    /* +2000 and +3000: the tail */
	h_drop(&H, 0, 0);
	h_deliver(&H, 1, 0); /* one duplicate with SACK: not enough */
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_FAST_REXMT), 0);
	assert_int_equal(H.e[0].nout, 0);
	assert_true(H.e[0].tcb.flags & SB_TF_PTO);
	/* the probe comes at 2 * SRTT, well before the 200 ms RTO */
	for (k = 0; k < 50 && cnt(0, SB_TCP_CNT_TX_TLP) == 0; k++)
		h_advance_ms(&H, 1);
	assert_true(k < 2 * (H.e[0].tcb.srtt_us / 1000 + 1) + 1);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_TLP), 1);
	h_expect_data(&H, 0, 0, UNA0 + 3000, 1000);
	h_deliver(&H, 0, 0);
	h_deliver(&H, 1, 0); /* second duplicate: still under DupThresh */
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_TLP_RECOVERY), 1);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_FAST_REXMT), 1);
	assert_true(has_data(0, UNA0, 1000));
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	h_check_stream(&H, 1, 5000);
	assert_int_equal(cnt(0, SB_TCP_CNT_TX_REXMT_TIMEOUT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_data_carrying_dupacks_start_recovery, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_one_ack_repairs_several_holes, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_limited_transmit, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_lost_retransmission_found_without_timer, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_receiver_keeps_more_ranges_than_it_reports,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_sack_blocks_shrink_data_segments, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_tail_loss_probe_then_early_retransmit,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_probe_ack_showing_hole_starts_recovery,
						h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
