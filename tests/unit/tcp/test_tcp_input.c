/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp input path: handshakes, data both ways, out-of-order data and SACK
 * blocks, RST and SYN handling (RFC 5961), PAWS, ACK checks. Each test drives
 * two connected endpoints through the in-memory wire, or injects crafted
 * segments, and asserts the exact segments emitted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"
#include "tcp_seq.h"

static void expect_seg(int i, uint32_t k, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	struct sb_tcp_seg s;

	h_peek(&H, i, k, &s);
	assert_int_equal(s.flags, flags);
	assert_int_equal(s.seq, seq);
	if (flags & SB_TCP_ACK)
		assert_int_equal(s.ack, ack);
	assert_int_equal(s.len, len);
}

static void test_active_open_syn(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	assert_int_equal(sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us), 0);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_SYN_SENT);
	assert_int_equal(H.e[0].nout, 1);
	h_peek(&H, 0, 0, &s);
	assert_int_equal(s.flags, SB_TCP_SYN);
	assert_int_equal(s.seq, 1000000);
	assert_int_equal(s.wnd, 65535);
	assert_int_equal(s.opt.present, SB_TCP_OPT_MSS | SB_TCP_OPT_WSCALE | SB_TCP_OPT_SACK_OK |
						SB_TCP_OPT_TS);
	assert_int_equal(s.opt.mss, 1012);
	assert_int_equal(s.opt.wscale, 2);
	assert_int_equal(s.opt.tsval, (uint32_t)(H.now_us / 1000));
	assert_int_equal(s.opt.tsecr, 0);
	assert_int_equal(s.hdr_len, 40);
}

static void test_passive_open_synack(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_SYN_RECEIVED);
	assert_int_equal(H.e[1].nout, 1);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.flags, SB_TCP_SYN | SB_TCP_ACK);
	assert_int_equal(s.seq, 0xfffff000u);
	assert_int_equal(s.ack, 1000001);
	assert_int_equal(s.opt.present, SB_TCP_OPT_MSS | SB_TCP_OPT_WSCALE | SB_TCP_OPT_SACK_OK |
						SB_TCP_OPT_TS);
	assert_int_equal(s.opt.tsecr, (uint32_t)(H.now_us / 1000));
	assert_int_equal(H.e[1].nev, 0);
}

static void test_handshake_completes(void **state)
{
	(void)state;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0); /* SYN */
	h_deliver(&H, 1, 0); /* SYN-ACK */
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[0].nev, 1);
	assert_int_equal(H.e[0].ev[0], SB_TCP_EV_CONNECTED);
	expect_seg(0, 0, SB_TCP_ACK, 1000001, 0xfffff001u, 0);
	h_deliver(&H, 0, 0); /* ACK */
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[1].ev[0], SB_TCP_EV_ACCEPTED);
	assert_true(H.e[0].tcb.flags & SB_TF_TS);
	assert_true(H.e[1].tcb.flags & SB_TF_SACK);
	assert_int_equal(H.e[0].tcb.snd_wscale, 2);
	assert_int_equal(H.e[0].tcb.snd_mss, 1000);
	assert_int_equal(H.e[1].tcb.snd_mss, 1000);
	assert_int_equal(H.e[0].nout + H.e[1].nout, 0);
}

static void test_options_off_when_peer_lacks_them(void **state)
{
	struct sb_tcp_cfg c;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.ts = false;
	c.sack = false;
	c.wscale = false;
	h_init(&H, &c, NULL);
	h_connect(&H);
	assert_int_equal(H.e[1].tcb.flags & (SB_TF_TS | SB_TF_SACK | SB_TF_WSCALE), 0);
	assert_int_equal(H.e[1].tcb.rcv_wscale, 0);
	assert_int_equal(H.e[1].tcb.snd_mss, 1012);
}

/* RFC 7323 §2.2: a SYN-ACK answers a window-scale option whenever the SYN
 * offered one, with shift 0 when we do not scale our own window: without
 * the answer the peer may not scale its window either (§1.3). */
static void check_wscale_zero_answered(bool cookies)
{
	struct sb_tcp_cfg a, b;
	struct sb_tcp_seg s;

	h_fini(&H);
	h_cfg(&a);
	h_cfg(&b);
	a.rcv_wscale = 7;
	b.rcv_wscale = 0;
	h_init(&H, &a, &b);
	H.e[1].cookies = cookies;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.flags, SB_TCP_SYN | SB_TCP_ACK);
	assert_true(s.opt.present & SB_TCP_OPT_WSCALE);
	assert_int_equal(s.opt.wscale, 0);
	h_pump(&H);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	assert_true(H.e[0].tcb.flags & SB_TF_WSCALE);
	assert_int_equal(H.e[0].tcb.rcv_wscale, 7); /* A scales its window */
	assert_int_equal(H.e[0].tcb.snd_wscale, 0);
	assert_int_equal(H.e[1].tcb.snd_wscale, 7); /* and B reads it scaled */
	assert_int_equal(H.e[1].tcb.rcv_wscale, 0);
}

static void test_wscale_zero_still_answered(void **state)
{
	(void)state;
	check_wscale_zero_answered(false);
	check_wscale_zero_answered(true);
}

static void test_refused_by_rst(void **state)
{
	(void)state;
	H.e[1].listen = false;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0);
	expect_seg(1, 0, SB_TCP_RST | SB_TCP_ACK, 0, 1000001, 0);
	h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	assert_true(h_has_event(&H.e[0], SB_TCP_EV_RESET));
}

static void test_simultaneous_open(void **state)
{
	(void)state;
	H.e[1].listen = false;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	sb_tcp_connect(&H.e[1].ctx, &H.e[1].tcb, 5000000, H.now_us);
	h_deliver(&H, 0, 0); /* A's SYN reaches B in SYN-SENT */
	h_deliver(&H, 1, 0); /* B's SYN reaches A in SYN-SENT */
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_SYN_RECEIVED);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_SYN_RECEIVED);
	expect_seg(0, 0, SB_TCP_SYN | SB_TCP_ACK, 1000000, 5000001, 0);
	expect_seg(1, 0, SB_TCP_SYN | SB_TCP_ACK, 5000000, 1000001, 0);
	h_pump(&H);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	assert_true(h_has_event(&H.e[0], SB_TCP_EV_CONNECTED));
	assert_true(h_has_event(&H.e[1], SB_TCP_EV_CONNECTED));
}

static void test_data_both_ways(void **state)
{
	uint32_t k;

	(void)state;
	h_connect(&H);
	assert_int_equal(h_send(&H, 0, 5000), 0);
	assert_int_equal(h_send(&H, 1, 3333), 0);
	assert_int_equal(H.e[0].nout, 5);
	expect_seg(0, 0, SB_TCP_ACK, 1000001, 0xfffff001u, 1000);
	expect_seg(0, 4, SB_TCP_ACK | SB_TCP_PSH, 1004001, 0xfffff001u, 1000);
	h_pump(&H);
	h_advance_ms(&H, 100); /* delayed ACKs */
	h_pump(&H);
	assert_int_equal(H.e[1].rcvd_len, 5000);
	assert_int_equal(H.e[0].rcvd_len, 3333);
	for (k = 0; k < 5000; k++)
		assert_int_equal(H.e[1].rcvd[k], h_pattern(0, k));
	for (k = 0; k < 3333; k++)
		assert_int_equal(H.e[0].rcvd[k], h_pattern(1, k));
	assert_int_equal(H.e[0].acked_total, 5000);
	assert_int_equal(H.e[1].acked_total, 3333);
	assert_int_equal(H.e[0].tcb.snd_una, 1005001);
	assert_int_equal(H.e[1].tcb.snd_una, 0xfffff001u + 3333u); /* across the wrap */
	assert_int_equal(H.e[0].tcb.tmask & SB_TT_REXMT, 0);
}

static void test_delayed_ack_every_second_segment(void **state)
{
	(void)state;
	h_connect(&H);
	h_send(&H, 0, 1000);
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].nout, 0); /* first segment: delayed */
	h_send(&H, 0, 1000);
	h_deliver(&H, 0, 0);
	expect_seg(1, 0, SB_TCP_ACK, 0xfffff001u, 1002001, 0);
}

static void test_ooo_held_and_sacked(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	h_send(&H, 0, 4000);
	assert_int_equal(H.e[0].nout, 4);
	h_drop(&H, 0, 1);   /* lose [1001001, 1002001) */
	h_deliver(&H, 0, 0); /* in order, delayed ACK */
	h_deliver(&H, 0, 0); /* third segment: hole */
	assert_int_equal(H.e[1].nheld, 1);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.ack, 1001001);
	assert_int_equal(s.opt.sack_n, 1);
	assert_int_equal(s.opt.sack[0].start, 1002001);
	assert_int_equal(s.opt.sack[0].end, 1003001);
	h_deliver(&H, 0, 0); /* fourth */
	h_peek(&H, 1, 1, &s);
	assert_int_equal(s.ack, 1001001);
	assert_int_equal(s.opt.sack[0].start, 1002001);
	assert_int_equal(s.opt.sack[0].end, 1004001);
	assert_int_equal(H.e[1].rcvd_len, 1000);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_OOO_HELD], 2);
}

static void test_ooo_hole_filled_releases(void **state)
{
	uint32_t k;

	(void)state;
	h_connect(&H);
	h_send(&H, 0, 4000);
	/* deliver in the order 4, 2, 3, 1 */
	h_deliver(&H, 0, 3);
	h_deliver(&H, 0, 1);
	h_deliver(&H, 0, 1);
	assert_int_equal(H.e[1].rcvd_len, 0);
	assert_int_equal(H.e[1].tcb.ooo_n, 1);
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].rcvd_len, 4000);
	assert_int_equal(H.e[1].tcb.ooo_n, 0);
	assert_int_equal(H.e[1].nheld, 0);
	assert_int_equal(H.e[1].tcb.rcv_nxt, 1004001);
	for (k = 0; k < 4000; k++)
		assert_int_equal(H.e[1].rcvd[k], h_pattern(0, k));
	/* hole filled: ACK at once, without SACK blocks */
	expect_seg(1, H.e[1].nout - 1, SB_TCP_ACK, 0xfffff001u, 1004001, 0);
}

static void test_ooo_overlap_held_once(void **state)
{
	struct sb_tcp_seg s;
	static uint8_t pay[3000];
	uint32_t k;

	(void)state;
	h_connect(&H);
	for (k = 0; k < sizeof(pay); k++)
		pay[k] = h_pattern(0, k);
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_ACK;
	s.ack = 0xfffff001u;
	s.wnd = 1000;
	s.seq = 1001001;
	s.payload = pay + 1000;
	s.len = 500;
	h_inject(&H, 1, &s); /* [1001001, 1001501) */
	s.seq = 1002001;
	s.payload = pay + 2000;
	s.len = 500;
	h_inject(&H, 1, &s); /* [1002001, 1002501) */
	s.seq = 1001001;
	s.payload = pay + 1000;
	s.len = 2000;
	h_inject(&H, 1, &s); /* covers both: only the two gaps are new */
	assert_int_equal(H.e[1].nheld, 4);
	assert_int_equal(H.e[1].tcb.ooo_n, 1);
	s.seq = 1000001;
	s.payload = pay;
	s.len = 1000;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].rcvd_len, 3000);
	assert_memory_equal(H.e[1].rcvd, pay, 3000);
}

static void test_ooo_limit_counted(void **state)
{
	struct sb_tcp_seg s;
	static uint8_t pay[100];
	uint32_t k;

	(void)state;
	h_connect(&H);
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_ACK;
	s.ack = 0xfffff001u;
	s.wnd = 1000;
	s.payload = pay;
	s.len = 10;
	/* one disjoint range more than the TCB keeps */
	for (k = 0; k < SB_TCP_OOO_MAX + 1; k++) {
		s.seq = 1000001 + 100 * (k + 1);
		h_inject(&H, 1, &s);
	}
	assert_int_equal(H.e[1].tcb.ooo_n, SB_TCP_OOO_MAX);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_OOO_FULL], 1);
	assert_int_equal(H.e[1].nheld, SB_TCP_OOO_MAX);
}

static struct sb_tcp_seg base_seg(int to)
{
	struct sb_tcp_seg s;
	const struct sb_tcb *t = &H.e[to].tcb;

	memset(&s, 0, sizeof(s));
	s.seq = t->rcv_nxt;
	s.ack = t->snd_nxt;
	s.flags = SB_TCP_ACK;
	s.wnd = 1000;
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = t->ts_recent + 1;
	return s;
}

static void test_rst_exact_resets(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	s = base_seg(1);
	s.flags = SB_TCP_RST;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	assert_true(h_has_event(&H.e[1], SB_TCP_EV_RESET));
	assert_int_equal(H.e[1].nout, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_RST], 1);
}

static void test_rst_in_window_challenged(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	s = base_seg(1);
	s.seq += 100;
	s.flags = SB_TCP_RST;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[1].nout, 1);
	expect_seg(1, 0, SB_TCP_ACK, H.e[1].tcb.snd_nxt, H.e[1].tcb.rcv_nxt, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_RST_CHALLENGED], 1);
	/* the real peer sent no RST: to it the challenge ACK is a plain ACK */
	h_deliver(&H, 1, 0);
	assert_int_equal(H.e[0].nout, 0);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_ESTABLISHED);
}

static void test_rst_out_of_window_dropped(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	s = base_seg(1);
	s.seq += 10000000;
	s.flags = SB_TCP_RST;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[1].nout, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_RST_OUT_OF_WINDOW], 1);
}

static void test_syn_in_established_challenged(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	s = base_seg(1);
	s.flags = SB_TCP_SYN;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	expect_seg(1, 0, SB_TCP_ACK, H.e[1].tcb.snd_nxt, H.e[1].tcb.rcv_nxt, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_SYN_CHALLENGED], 1);
}

static void test_paws_rejects_old_timestamp(void **state)
{
	struct sb_tcp_seg s;
	static uint8_t pay[10];

	(void)state;
	h_connect(&H);
	s = base_seg(1);
	s.opt.tsval = H.e[1].tcb.ts_recent - 5;
	s.payload = pay;
	s.len = sizeof(pay);
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].rcvd_len, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_PAWS], 1);
	expect_seg(1, 0, SB_TCP_ACK, H.e[1].tcb.snd_nxt, H.e[1].tcb.rcv_nxt, 0);
	/* the same segment with a fresh timestamp is accepted */
	s.opt.tsval = H.e[1].tcb.ts_recent + 5;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].rcvd_len, 10);
	assert_int_equal(H.e[1].tcb.ts_recent, s.opt.tsval);
}

static void test_paws_forgets_after_24_days(void **state)
{
	struct sb_tcp_seg s;
	static uint8_t pay[10];

	(void)state;
	h_connect(&H);
	h_advance_ms(&H, 24u * 24u * 3600u * 1000u + 1u); /* RFC 7323 §5.5 */
	s = base_seg(1);
	s.opt.tsval = H.e[1].tcb.ts_recent - 5; /* the peer's clock wrapped meanwhile */
	s.payload = pay;
	s.len = sizeof(pay);
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_PAWS], 0);
	assert_int_equal(H.e[1].rcvd_len, 10);
	assert_int_equal(H.e[1].tcb.ts_recent, s.opt.tsval);
}

static void test_ack_for_unsent_data(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	s = base_seg(1);
	s.ack += 5000;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_ACK_UNSENT], 1);
	expect_seg(1, 0, SB_TCP_ACK, H.e[1].tcb.snd_nxt, H.e[1].tcb.rcv_nxt, 0);
	assert_int_equal(H.e[1].tcb.snd_una, H.e[1].tcb.snd_nxt);
}

static void test_out_of_window_data_acked(void **state)
{
	struct sb_tcp_seg s;
	static uint8_t pay[10];

	(void)state;
	h_connect(&H);
	s = base_seg(1);
	s.seq -= 1000; /* old, entirely before RCV.NXT */
	s.payload = pay;
	s.len = sizeof(pay);
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_NOT_ACCEPTABLE], 1);
	expect_seg(1, 0, SB_TCP_ACK, H.e[1].tcb.snd_nxt, H.e[1].tcb.rcv_nxt, 0);
	assert_int_equal(H.e[1].rcvd_len, 0);
}

/* A pure ACK at the right edge of our window (the peer has filled it) is
 * acceptable, and what it acknowledges counts: refused, it left both ends
 * of a connection waiting for each other (tcp_impaired). */
static void test_pure_ack_at_window_edge(void **state)
{
	struct sb_tcp_seg s;
	struct sb_tcb *t = &H.e[0].tcb;

	(void)state;
	h_connect(&H);
	assert_int_equal(h_send(&H, 0, 3000), 0);
	assert_true(sb_seq_gt(t->rcv_adv, t->rcv_nxt));
	s = base_seg(0);
	s.seq = t->rcv_adv; /* RCV.NXT + RCV.WND */
	s.ack = t->snd_nxt;
	h_inject(&H, 0, &s);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_RX_NOT_ACCEPTABLE], 0);
	assert_int_equal(t->snd_una, t->snd_nxt);
	s.seq = t->rcv_adv + 1; /* one past the edge: still refused */
	h_inject(&H, 0, &s);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_RX_NOT_ACCEPTABLE], 1);
}

static void test_syn_sent_bad_ack_rst(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	H.e[0].nout = 0;
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN | SB_TCP_ACK;
	s.seq = 777;
	s.ack = 999; /* acknowledges nothing we sent */
	h_inject(&H, 0, &s);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_SYN_SENT);
	expect_seg(0, 0, SB_TCP_RST, 999, 0, 0);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_RX_BAD_SYN_SENT], 1);
}

static void test_synack_lost_syn_retransmitted(void **state)
{
	(void)state;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0);
	h_drop(&H, 1, 0); /* SYN-ACK lost */
	h_advance_ms(&H, 1000);
	/* both retransmit after the initial 1 s RTO */
	expect_seg(0, 0, SB_TCP_SYN, 1000000, 0, 0);
	expect_seg(1, 0, SB_TCP_SYN | SB_TCP_ACK, 0xfffff000u, 1000001, 0);
	h_pump(&H);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
}

static void test_fin_out_of_order_waits_for_hole(void **state)
{
	static uint8_t pay[2000];
	struct sb_tcp_seg s;
	uint32_t k;

	(void)state;
	h_connect(&H);
	for (k = 0; k < sizeof(pay); k++)
		pay[k] = h_pattern(0, k);
	s = base_seg(1);
	s.seq = 1001001;
	s.flags = SB_TCP_ACK | SB_TCP_FIN;
	s.payload = pay + 1000;
	s.len = 1000;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED); /* FIN held behind the hole */
	assert_true(H.e[1].tcb.flags & SB_TF_OOO_FIN);
	s.seq = 1000001;
	s.flags = SB_TCP_ACK;
	s.payload = pay;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSE_WAIT);
	assert_int_equal(H.e[1].tcb.rcv_nxt, 1002002);
	assert_int_equal(H.e[1].rcvd_len, 2000);
	assert_memory_equal(H.e[1].rcvd, pay, 2000);
	assert_true(h_has_event(&H.e[1], SB_TCP_EV_PEER_FIN));
}

static void test_bare_fin_after_hole_remembered(void **state)
{
	(void)state;
	h_connect(&H);
	h_send(&H, 0, 2000);
	sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	assert_int_equal(H.e[0].nout, 3); /* two data segments, then a bare FIN */
	h_deliver(&H, 0, 1);
	h_deliver(&H, 0, 1);
	assert_true(H.e[1].tcb.flags & SB_TF_OOO_FIN);
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSE_WAIT);
	assert_int_equal(H.e[1].rcvd_len, 2000);
}

static void test_syn_rcvd_resends_synack_on_dup_syn(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_peek(&H, 0, 0, &s);
	h_deliver(&H, 0, 0);
	h_drop(&H, 1, 0);
	h_inject(&H, 1, &s); /* the client's SYN again */
	assert_int_equal(H.e[1].nout, 1);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.flags, SB_TCP_SYN | SB_TCP_ACK);
	assert_int_equal(s.seq, 0xfffff000u);
	assert_int_equal(s.ack, 1000001);
	h_pump(&H);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
}

static void test_syn_rcvd_bad_ack_rst(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0);
	h_drop(&H, 1, 0);
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_ACK;
	s.seq = 1000001;
	s.ack = 12345; /* not our ISS + 1 */
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = H.e[1].tcb.ts_recent;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_SYN_RECEIVED);
	expect_seg(1, 0, SB_TCP_RST, 12345, 0, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_BAD_SYN_RCVD], 1);
}

static void test_data_after_peer_fin_ignored(void **state)
{
	struct sb_tcp_seg s;
	static uint8_t pay[10];

	(void)state;
	h_connect(&H);
	sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	h_pump(&H);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSE_WAIT);
	s = base_seg(1);
	s.payload = pay;
	s.len = sizeof(pay);
	s.seq = H.e[1].tcb.rcv_nxt;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].rcvd_len, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_DATA_AFTER_FIN], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_active_open_syn, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_passive_open_synack, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_handshake_completes, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_options_off_when_peer_lacks_them, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_wscale_zero_still_answered, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_refused_by_rst, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_open, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_data_both_ways, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_delayed_ack_every_second_segment, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_held_and_sacked, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_hole_filled_releases, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_overlap_held_once, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_limit_counted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rst_exact_resets, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rst_in_window_challenged, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rst_out_of_window_dropped, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_syn_in_established_challenged, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_paws_rejects_old_timestamp, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_paws_forgets_after_24_days, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ack_for_unsent_data, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_window_data_acked, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_pure_ack_at_window_edge, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_bad_ack_rst, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_synack_lost_syn_retransmitted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_fin_out_of_order_waits_for_hole, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_bare_fin_after_hole_remembered, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_syn_rcvd_resends_synack_on_dup_syn, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_syn_rcvd_bad_ack_rst, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_data_after_peer_fin_ignored, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
