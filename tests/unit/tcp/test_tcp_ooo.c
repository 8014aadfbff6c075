/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp out-of-order memory: what a peer can make the receiver hold.
 * Every held piece is charged a whole buffer (cfg.ooo_piece_bytes) against
 * the receive space the application set and against the worker's cap;
 * nothing is held while the pool is low or after the application closed,
 * and in-order data after the close is acknowledged and dropped. The
 * trigger is the one from review: skip byte ISN+1, then 48 one-byte
 * segments at ISN+2 .. ISN+49.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

static uint8_t pay[2048];

/* A data segment from A to B at RCV.NXT + off. */
static void send_at(uint32_t off, uint32_t len)
{
	const struct sb_tcb *t = &H.e[1].tcb;
	struct sb_tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.seq = t->rcv_nxt + off;
	s.ack = t->snd_nxt;
	s.flags = SB_TCP_ACK;
	s.wnd = 1000;
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = t->ts_recent + 1;
	s.payload = pay;
	s.len = len;
	h_inject(&H, 1, &s);
}

/* 48 one-byte segments past a one-byte hole. */
static void flood_one_conn(void)
{
	for (uint32_t k = 1; k <= 48; k++)
		send_at(k, 1);
}

static uint32_t held_bytes(const struct h_end *e)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->nheld; i++)
		n += e->held[i].len;
	return n;
}

static void start(uint32_t worker_max)
{
	struct sb_tcp_cfg c;

	h_fini(&H);
	h_cfg(&c);
	c.ooo_pieces_worker_max = worker_max;
	h_init(&H, NULL, &c);
	h_connect(&H);
}

/* A piece costs a whole buffer (2304 bytes) however small it is, charged
 * against the receive space: 20240 bytes hold 8 one-byte pieces. */
static void test_ooo_charged_by_buffer_against_rcv_space(void **state)
{
	const struct sb_tcp_ctx *ctx = &H.e[1].ctx;
	uint32_t fit = 20u * 1012u / 2304u;

	(void)state;
	start(4096);
	sb_tcp_set_rcv_space(&H.e[1].ctx, &H.e[1].tcb, 20u * 1012u, H.now_us);
	flood_one_conn();
	assert_int_equal(H.e[1].nheld, fit);
	assert_int_equal(held_bytes(&H.e[1]), fit);
	assert_int_equal(ctx->cnt[SB_TCP_CNT_RX_OOO_SHARE], 48 - fit);
	assert_int_equal(H.e[1].tcb.ooo_pieces, fit);
	assert_int_equal(ctx->ooo_pieces, fit);
	/* a smaller space the application sets is a smaller share */
	sb_tcp_set_rcv_space(&H.e[1].ctx, &H.e[1].tcb, 3u * 1012u, H.now_us);
	send_at(60, 1);
	assert_int_equal(H.e[1].nheld, fit);
	/* the hole filled, everything goes up in order and the charge is returned */
	send_at(0, 1);
	assert_int_equal(H.e[1].rcvd_len, 1 + fit);
	assert_int_equal(H.e[1].tcb.ooo_pieces, 0);
	assert_int_equal(ctx->ooo_pieces, 0);
}

/* The worker's cap holds across connections: the first one took it all. */
static void test_ooo_worker_cap(void **state)
{
	const struct sb_tcp_ctx *ctx = &H.e[1].ctx;

	(void)state;
	start(5);
	flood_one_conn();
	assert_int_equal(H.e[1].nheld, 5);
	assert_int_equal(ctx->ooo_pieces, 5);
	assert_int_equal(ctx->cnt[SB_TCP_CNT_RX_OOO_WORKER_CAP], 43);
	send_at(0, 1);
	assert_int_equal(ctx->ooo_pieces, 0);
	/* once returned, the cap is free for the next hole */
	send_at(10, 100);
	assert_int_equal(ctx->ooo_pieces, 1);
}

/* The share of one source address, which the caller counts across its
 * connections and passes in ooo_src_left. */
static void test_ooo_source_share(void **state)
{
	(void)state;
	start(4096);
	H.e[1].ctx.ooo_src_left = 3;
	flood_one_conn();
	assert_int_equal(H.e[1].nheld, 3);
	assert_int_equal(H.e[1].ctx.ooo_src_left, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_OOO_SRC_SHARE], 45);
}

static void test_ooo_refused_when_pool_low(void **state)
{
	(void)state;
	start(4096);
	H.e[1].ctx.ooo_refuse = true;
	send_at(1, 100);
	assert_int_equal(H.e[1].nheld, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_OOO_POOL_LOW], 1);
	/* in-order data still flows: receiving is what frees the pool */
	send_at(0, 100);
	assert_int_equal(H.e[1].rcvd_len, 100);
}

/* After the application's close: held pieces are forgotten (the caller
 * frees them) and nothing new is held out of order; in-order bytes still
 * reach the application (a half-closed peer's last words). */
static void test_nothing_kept_after_close(void **state)
{
	struct sb_tcb *t = &H.e[1].tcb;
	uint32_t nxt;

	(void)state;
	start(4096);
	send_at(1, 10);
	send_at(20, 10);
	assert_int_equal(H.e[1].ctx.ooo_pieces, 2);
	sb_tcp_close(&H.e[1].ctx, t, H.now_us);
	assert_int_equal(t->state, SB_TCPS_FIN_WAIT_1);
	assert_int_equal(t->ooo_n, 0);
	assert_int_equal(t->ooo_pieces, 0);
	assert_int_equal(H.e[1].ctx.ooo_pieces, 0);
	H.e[1].nheld = 0; /* what the glue frees */
	H.e[1].nout = 0;
	send_at(1, 10);
	assert_int_equal(H.e[1].nheld, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_RX_OOO_CLOSED], 1);
	nxt = t->rcv_nxt;
	send_at(0, 500);
	assert_int_equal(H.e[1].rcvd_len, 500);
	assert_int_equal(t->rcv_nxt, nxt + 500);
	assert_true(H.e[1].nout > 0); /* acknowledged, so the peer moves on */
}

/* Terminal events forget the held ranges too: the worker's count returns. */
static void test_ooo_charge_returned_on_reset(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	start(4096);
	send_at(1, 10);
	assert_int_equal(H.e[1].ctx.ooo_pieces, 1);
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_RST;
	s.seq = H.e[1].tcb.rcv_nxt;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[1].ctx.ooo_pieces, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ooo_charged_by_buffer_against_rcv_space,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_worker_cap, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_source_share, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_refused_when_pool_low, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_kept_after_close, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ooo_charge_returned_on_reset, h_setup,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
