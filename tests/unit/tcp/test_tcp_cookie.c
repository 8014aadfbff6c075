/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp keyed hashing: SipHash-2-4 against the reference vectors, RFC 6528
 * ISNs, SYN cookies (RFC 4987 §3.6) encoded and checked, and a complete
 * handshake through a listener that keeps no state until the final ACK.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void test_siphash_reference_vectors(void **state)
{
	uint8_t msg[15];
	uint32_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	/* Aumasson & Bernstein, "SipHash: a fast short-input PRF", appendix A */
	assert_int_equal(sb_tcp_siphash(key, msg, 15), 0xa129ca6149be45e5ull);
	assert_int_equal(sb_tcp_siphash(key, msg, 0), 0x726fdb47dd0e0e31ull);
}

static const struct sb_tcp_tuple tu = {0x0100000a, 0x0200000a, 0x5000, 0x3930};

static void test_cookie_round_trip(void **state)
{
	struct sb_tcp_cookie_data d = {1460, 7, true, true}, r;
	uint32_t c = sb_tcp_cookie_encode(key, &tu, 12345, 6400, &d);

	(void)state;
	assert_int_equal(sb_tcp_cookie_decode(key, &tu, 12345, c, 6400, &r), 0);
	assert_int_equal(r.mss, 1460);
	assert_int_equal(r.wscale, 7);
	assert_true(r.sack_ok);
	assert_true(r.ts_ok);
	d = (struct sb_tcp_cookie_data){1300, 0xff, false, false};
	c = sb_tcp_cookie_encode(key, &tu, 12345, 6400, &d);
	assert_int_equal(sb_tcp_cookie_decode(key, &tu, 12345, c, 6400, &r), 0);
	assert_int_equal(r.mss, 1220); /* rounded down to the table */
	assert_int_equal(r.wscale, 0xff);
	assert_false(r.sack_ok);
	assert_false(r.ts_ok);
}

static void test_cookie_lifetime(void **state)
{
	struct sb_tcp_cookie_data d = {1460, 7, true, true}, r;
	uint32_t c = sb_tcp_cookie_encode(key, &tu, 1, 6400, &d);

	(void)state;
	assert_int_equal(sb_tcp_cookie_decode(key, &tu, 1, c, 6400 + 64, &r), 0);
	assert_int_equal(sb_tcp_cookie_decode(key, &tu, 1, c, 6400 + 128, &r), -EACCES);
	assert_int_equal(sb_tcp_cookie_decode(key, &tu, 1, c, 6400 + 32 * 64, &r), -EACCES);
}

static void test_cookie_bound_to_tuple_and_isn(void **state)
{
	struct sb_tcp_cookie_data d = {1460, 7, true, true}, r;
	struct sb_tcp_tuple t2 = tu;
	uint32_t c = sb_tcp_cookie_encode(key, &tu, 1, 6400, &d);
	uint32_t bit;

	(void)state;
	t2.rport++;
	assert_int_equal(sb_tcp_cookie_decode(key, &t2, 1, c, 6400, &r), -EACCES);
	assert_int_equal(sb_tcp_cookie_decode(key, &tu, 2, c, 6400, &r), -EACCES);
	for (bit = 0; bit < 32; bit++)
		assert_int_equal(sb_tcp_cookie_decode(key, &tu, 1, c ^ (1u << bit), 6400, &r),
				 -EACCES);
}

static void test_iss_keyed_and_clocked(void **state)
{
	struct sb_tcp_ctx ctx;
	struct sb_tcp_tuple t2 = tu;
	uint32_t a, b;

	(void)state;
	memcpy(ctx.key, key, sizeof(key));
	t2.lport++;
	a = sb_tcp_iss(&ctx, &tu, 4000);
	b = sb_tcp_iss(&ctx, &t2, 4000);
	assert_int_not_equal(a, b);
	assert_int_equal(sb_tcp_iss(&ctx, &tu, 8000) - a, 1000); /* 4 us per step */
}

static void test_cookie_handshake(void **state)
{
		struct sb_tcp_seg s;

	(void)state;
	h_init(&H, NULL, NULL);
	H.e[1].cookies = true;
	sb_tcp_connect(&H.e[0].ctx, &H.e[0].tcb, 1000000, H.now_us);
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED); /* no state for the SYN */
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.flags, SB_TCP_SYN | SB_TCP_ACK);
	assert_int_equal(s.ack, 1000001);
	assert_int_equal(s.opt.present, SB_TCP_OPT_MSS | SB_TCP_OPT_WSCALE | SB_TCP_OPT_SACK_OK |
						SB_TCP_OPT_TS);
	h_pump(&H);
	assert_int_equal(H.e[0].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	assert_true(h_has_event(&H.e[1], SB_TCP_EV_ACCEPTED));
	assert_int_equal(H.e[1].tcb.snd_mss, 536 - 12); /* 1012 rounds down to 536 */
	assert_int_equal(H.e[1].tcb.snd_wscale, 2);
	assert_true(H.e[1].tcb.flags & SB_TF_SACK);
	assert_true(H.e[1].tcb.flags & SB_TF_TS);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_COOKIE_SENT], 1);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_COOKIE_OK], 1);
	/* and data flows both ways */
	h_send(&H, 0, 3000);
	h_send(&H, 1, 3000);
	h_pump(&H);
	h_advance_ms(&H, 40);
	h_pump(&H);
	assert_int_equal(H.e[1].rcvd_len, 3000);
	assert_int_equal(H.e[0].rcvd_len, 3000);
	h_fini(&H);
}

static void test_forged_cookie_ack_reset(void **state)
{
		struct sb_tcp_seg s;

	(void)state;
	h_init(&H, NULL, NULL);
	H.e[1].cookies = true;
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN;
	s.seq = 4999;
	h_inject(&H, 1, &s); /* cookies are being sent */
	h_drop(&H, 1, 0);
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_ACK;
	s.seq = 5000;
	s.ack = 0x12345678;
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_COOKIE_BAD], 1);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.flags, SB_TCP_RST);
	assert_int_equal(s.seq, 0x12345678);
	h_fini(&H);
}

/* An ACK carrying a cookie that would be valid for this tuple and time. */
static void valid_cookie_ack(struct sb_tcp_seg *s, uint32_t peer_isn)
{
	struct sb_tcp_cookie_data d = {.mss = 536, .wscale = 0xff};
	struct sb_tcp_tuple t = {
		.laddr = H.e[1].addr, .raddr = H.e[0].addr,
		.lport = htobe16(H.e[1].port), .rport = htobe16(H.e[0].port),
	};

	memset(s, 0, sizeof(*s));
	s->flags = SB_TCP_ACK;
	s->seq = peer_isn + 1;
	s->ack = sb_tcp_cookie_encode(H.e[1].ctx.key, &t, peer_isn,
				      (uint32_t)(H.now_us / 1000000u), &d) + 1;
	s->wnd = 1000;
}

/* RFC 4987 §3.6: an ACK is taken as a cookie only while cookies are being
 * sent; otherwise a lucky (or stolen) guess would open a connection that
 * no SYN ever asked for. */
static void test_cookie_ack_refused_when_none_sent(void **state)
{
	struct sb_tcp_seg s;

	(void)state;
	h_init(&H, NULL, NULL);
	H.e[1].cookies = true;
	valid_cookie_ack(&s, 7000);
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_COOKIE_NONE_SENT], 1);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_COOKIE_OK], 0);
	h_peek(&H, 1, 0, &s);
	assert_int_equal(s.flags, SB_TCP_RST);
	h_drop(&H, 1, 0);
	/* once a cookie went out, the same kind of ACK is taken */
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN;
	s.seq = 6999;
	h_inject(&H, 1, &s);
	h_drop(&H, 1, 0);
	valid_cookie_ack(&s, 7000);
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_COOKIE_OK], 1);
	h_fini(&H);
	/* and refused again once the last cookie's lifetime is over */
	h_init(&H, NULL, NULL);
	H.e[1].cookies = true;
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_SYN;
	s.seq = 6999;
	h_inject(&H, 1, &s);
	h_drop(&H, 1, 0);
	H.now_us += 130ull * 1000000u;
	valid_cookie_ack(&s, 8000);
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].tcb.state, SB_TCPS_CLOSED);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_COOKIE_NONE_SENT], 1);
	h_fini(&H);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_reference_vectors),
		cmocka_unit_test(test_cookie_round_trip),
		cmocka_unit_test(test_cookie_lifetime),
		cmocka_unit_test(test_cookie_bound_to_tuple_and_isn),
		cmocka_unit_test(test_iss_keyed_and_clocked),
		cmocka_unit_test(test_cookie_handshake),
		cmocka_unit_test(test_forged_cookie_ack_reset),
		cmocka_unit_test(test_cookie_ack_refused_when_none_sent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
