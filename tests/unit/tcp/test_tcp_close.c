/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp closing: orderly close through every state of both sides (RFC 9293
 * §3.6), simultaneous close, FIN after queued data, abort, FIN-WAIT-2 limit,
 * TIME-WAIT's 2*MSL, and the compact TIME-WAIT record: ACKing a
 * retransmitted FIN, refusing an old SYN, and yielding to a new SYN with a
 * higher timestamp or sequence number (RFC 6191).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"
#include "tcp_seq.h"

static void expect_flags(int i, uint32_t k, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct sb_tcp_seg s;

	h_peek(&H, i, k, &s);
	assert_int_equal(s.flags, flags);
	assert_int_equal(s.seq, seq);
	assert_int_equal(s.ack, ack);
}

/* A closes first, B after: A ends in TIME-WAIT with its full TCB. */
static void to_time_wait(void)
{
	h_connect(&H);
	sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	h_pump(&H);
	sb_tcp_close(&H.e[1].ctx, &H.e[1].tcb, H.now_us);
	h_pump(&H);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_TIME_WAIT);
}

static void test_orderly_close_all_states(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb, *b = &H.e[1].tcb;

	(void)state;
	h_connect(&H);
	assert_int_equal(sb_tcp_close(&H.e[0].ctx, a, H.now_us), 0);
	assert_int_equal(a->state, SB_TCPS_FIN_WAIT_1);
	expect_flags(0, 0, SB_TCP_FIN | SB_TCP_ACK, 1000001, 0xfffff001u);
	h_deliver(&H, 0, 0);
	assert_int_equal(b->state, SB_TCPS_CLOSE_WAIT);
	assert_true(h_has_event(&H.e[1], SB_TCP_EV_PEER_FIN));
	expect_flags(1, 0, SB_TCP_ACK, 0xfffff001u, 1000002);
	h_deliver(&H, 1, 0);
	assert_int_equal(a->state, SB_TCPS_FIN_WAIT_2);
	assert_int_equal(sb_tcp_close(&H.e[1].ctx, b, H.now_us), 0);
	assert_int_equal(b->state, SB_TCPS_LAST_ACK);
	expect_flags(1, 0, SB_TCP_FIN | SB_TCP_ACK, 0xfffff001u, 1000002);
	h_deliver(&H, 1, 0);
	assert_int_equal(a->state, SB_TCPS_TIME_WAIT);
	assert_true(h_has_event(&H.e[0], SB_TCP_EV_TIME_WAIT));
	expect_flags(0, 0, SB_TCP_ACK, 1000002, 0xfffff002u);
	h_deliver(&H, 0, 0);
	assert_int_equal(b->state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[1].ev[H.e[1].nev - 1], SB_TCP_EV_CLOSED);
	/* TIME-WAIT lasts 2 * MSL = 60 s */
	h_advance_ms(&H, 59999);
	assert_int_equal(a->state, SB_TCPS_TIME_WAIT);
	h_advance_ms(&H, 1);
	assert_int_equal(a->state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[0].ev[H.e[0].nev - 1], SB_TCP_EV_CLOSED);
}

static void test_simultaneous_close(void **state)
{
	struct sb_tcb *a = &H.e[0].tcb, *b = &H.e[1].tcb;

	(void)state;
	h_connect(&H);
	sb_tcp_close(&H.e[0].ctx, a, H.now_us);
	sb_tcp_close(&H.e[1].ctx, b, H.now_us);
	h_deliver(&H, 0, 0);
	h_deliver(&H, 1, 0);
	assert_int_equal(a->state, SB_TCPS_CLOSING);
	assert_int_equal(b->state, SB_TCPS_CLOSING);
	expect_flags(0, 0, SB_TCP_ACK, 1000002, 0xfffff002u);
	expect_flags(1, 0, SB_TCP_ACK, 0xfffff002u, 1000002);
	h_pump(&H);
	assert_int_equal(a->state, SB_TCPS_TIME_WAIT);
	assert_int_equal(b->state, SB_TCPS_TIME_WAIT);
	h_advance_ms(&H, 60000);
	assert_int_equal(a->state, SB_TCPS_CLOSED);
	assert_int_equal(b->state, SB_TCPS_CLOSED);
}

static void test_fin_follows_queued_data(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_connect(&H);
	h_send(&H, 0, 1500);
	assert_int_equal(H.e[0].nout, 2);
	sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	assert_int_equal(H.e[0].nout, 3);
	h_peek(&H, 0, 2, &s);
	assert_int_equal(s.flags, SB_TCP_FIN | SB_TCP_ACK);
	assert_int_equal(s.seq, 1001501);
	h_pump(&H);
	assert_int_equal(H.e[1].rcvd_len, 1500);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSE_WAIT);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_FIN_WAIT_2);
}

static void test_lost_fin_retransmitted(void **state)
{
	(void)state;
	h_connect(&H);
	sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	h_drop(&H, 0, 0);
	h_advance_ms(&H, 200);
	expect_flags(0, 0, SB_TCP_FIN | SB_TCP_ACK, 1000001, 0xfffff001u);
	h_pump(&H);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_FIN_WAIT_2);
}

static void test_abort_sends_rst(void **state)
{
	(void)state;
	h_connect(&H);
	sb_tcp_abort(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	expect_flags(0, 0, SB_TCP_RST | SB_TCP_ACK, 1000001, 0xfffff001u);
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	assert_true(h_has_event(&H.e[1], SB_TCP_EV_RESET));
	assert_int_equal(H.e[0].nev, 1); /* CONNECTED only: abort raises no event */
}

static void test_time_wait_tcb_ignores_rst(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	to_time_wait();
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_RST;
	s.seq = H.e[0].tcb.rcv_nxt;
	h_inject(&H, 0, &s);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_TIME_WAIT); /* RFC 1337 */
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TW_DROP], 1);
}

static void test_fin_wait_2_limit(void **state)
{
	(void)state;
	h_connect(&H);
	sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	h_pump(&H);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_FIN_WAIT_2);
	h_advance_ms(&H, 60000);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	assert_true(h_has_event(&H.e[0], SB_TCP_EV_CLOSED));
}

/* B (the server) closes first and so holds TIME-WAIT, as a record. */
static void server_in_time_wait(void)
{
	H.e[1].tw_swap = true;
	h_connect(&H);
	sb_tcp_close(&H.e[1].ctx, &H.e[1].tcb, H.now_us);
	h_pump(&H);
	sb_tcp_close(&H.e[0].ctx, &H.e[0].tcb, H.now_us);
	h_pump(&H);
	assert_true(H.e[1].tw_live);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[1].tw.state, SB_TCPS_TW_RECORD);
}

static void test_tw_record_acks_retransmitted_fin(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	server_in_time_wait();
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_FIN | SB_TCP_ACK;
	s.seq = 1000001;
	s.ack = 0xfffff002u;
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = H.e[1].tw.ts_recent;
	h_advance_ms(&H, 30000);
	h_inject(&H, 1, &s);
	expect_flags(1, 0, SB_TCP_ACK, 0xfffff002u, 1000002);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_TW_ACK], 1);
	/* the retransmitted FIN restarted 2*MSL */
	h_advance_ms(&H, 59999);
	assert_true(H.e[1].tw_live);
	h_advance_ms(&H, 1);
	assert_false(H.e[1].tw_live);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_CONN_TW_EXPIRED], 1);
}

/* RFC 9293 §3.10.7.4: only the peer's FIN again restarts 2MSL. A FIN at
 * any other sequence is answered, but one such packet a minute must not
 * keep the record alive forever. */
static void test_tw_record_stray_fin_keeps_deadline(void **state)
{
	struct sb_tcp_seg s;
	uint32_t k;

	(void)state;
	server_in_time_wait();
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_FIN | SB_TCP_ACK;
	s.ack = 0xfffff002u;
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = H.e[1].tw.ts_recent;
	for (k = 0; k < 2; k++) {
		h_advance_ms(&H, 25000);
		s.seq = 1000002u + 1000u * k; /* past the peer's FIN: not a retransmission */
		h_inject(&H, 1, &s);
		assert_true(H.e[1].tw_live);
	}
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_TW_FIN_BAD_SEQ], 2);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_TW_ACK], 2); /* still answered */
	h_advance_ms(&H, 10000); /* 60 s after entering TIME-WAIT */
	assert_false(H.e[1].tw_live);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_CONN_TW_EXPIRED], 1);
}

/* The same rule for a TIME-WAIT that kept its full TCB. */
static void test_time_wait_tcb_stray_fin_keeps_deadline(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	to_time_wait();
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_FIN | SB_TCP_ACK;
	s.seq = H.e[0].tcb.rcv_nxt - 500u; /* old bytes and a FIN: not the peer's FIN */
	s.ack = H.e[0].tcb.snd_nxt;
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = H.e[0].tcb.ts_recent + 1;
	h_advance_ms(&H, 50000);
	h_inject(&H, 0, &s);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_TW_FIN_BAD_SEQ], 1);
	h_advance_ms(&H, 10000);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[0].ctx.cnt[SB_TCP_CNT_CONN_TW_EXPIRED], 1);
}

static void test_tw_record_ignores_rst(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	server_in_time_wait();
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_RST;
	s.seq = 1000002;
	h_inject(&H, 1, &s);
	assert_true(H.e[1].tw_live); /* RFC 1337 */
	assert_int_equal(H.e[1].nout, 0);
}

static void test_tw_reused_by_newer_syn(void **state)
{
	uint32_t old_snd = 0;

	(void)state;
	server_in_time_wait();
	old_snd = H.e[1].tw.snd_nxt;
	h_advance_ms(&H, 1000); /* new timestamps are higher */
	H.e[0].iss = 3000000;
	H.e[0].nev = 0;
	H.e[1].nev = 0;
	h_connect(&H);
	assert_false(H.e[1].tw_live);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_TW_REUSE], 1);
	assert_true(sb_seq_gt(H.e[1].tcb.snd_una, old_snd + 65535u));
	assert_true(h_has_event(&H.e[1], SB_TCP_EV_ACCEPTED));
}

static void test_tw_old_syn_only_acked(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	server_in_time_wait();
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN;
	s.seq = 3000000;
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = H.e[1].tw.ts_recent - 1; /* older than what the record saw */
	h_inject(&H, 1, &s);
	assert_true(H.e[1].tw_live);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	expect_flags(1, 0, SB_TCP_ACK, 0xfffff002u, 1000002);
}

static void test_tw_reuse_by_sequence_without_timestamps(void **state)
{
	struct sb_tcp_cfg c;
	struct sb_tcp_seg s;

	(void)state;
	h_fini(&H);
	h_cfg(&c);
	c.ts = false;
	h_init(&H, &c, &c);
	server_in_time_wait();
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN;
	s.seq = 1000001; /* not above RCV.NXT (1000002): refused */
	h_inject(&H, 1, &s);
	assert_true(H.e[1].tw_live);
	s.seq = 1000100;
	h_inject(&H, 1, &s);
	assert_false(H.e[1].tw_live);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_SYN_RECEIVED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_orderly_close_all_states, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_close, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_fin_follows_queued_data, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_lost_fin_retransmitted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_abort_sends_rst, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_tcb_ignores_rst, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_fin_wait_2_limit, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_tw_record_acks_retransmitted_fin, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_tw_record_stray_fin_keeps_deadline, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_tcb_stray_fin_keeps_deadline, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_tw_record_ignores_rst, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_tw_reused_by_newer_syn, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_tw_old_syn_only_acked, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_tw_reuse_by_sequence_without_timestamps, h_setup,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
