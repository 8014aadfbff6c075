/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp header and option parsing (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018):
 * round trips through the writer, every malformed shape rejected with its
 * reason and counted, and the checksum against a byte-wise reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

static void hdr(uint8_t *b, uint8_t doff_words, uint8_t flags)
{
	memset(b, 0, 20);
	b[12] = (uint8_t)(doff_words << 4);
	b[13] = flags;
}

static void test_syn_options_round_trip(void **state)
{
	struct sb_tcp_opts o = {0}, p;
	uint8_t buf[40];
	size_t n;

	(void)state;
	o.present = SB_TCP_OPT_MSS | SB_TCP_OPT_WSCALE | SB_TCP_OPT_SACK_OK | SB_TCP_OPT_TS;
	o.mss = 1460;
	o.wscale = 7;
	o.tsval = 0xdeadbeef;
	o.tsecr = 0x01020304;
	n = sb_tcp_opts_write(buf, sizeof(buf), &o);
	assert_int_equal(n, 20);
	assert_int_equal(sb_tcp_opts_parse(buf, n, &p), SB_TCP_PARSE_OK);
	assert_int_equal(p.present, o.present);
	assert_int_equal(p.mss, 1460);
	assert_int_equal(p.wscale, 7);
	assert_int_equal(p.tsval, 0xdeadbeef);
	assert_int_equal(p.tsecr, 0x01020304);
}

static void test_sack_blocks_round_trip(void **state)
{
	struct sb_tcp_opts o = {0}, p;
	uint8_t buf[40];
	size_t n;
	uint32_t i;

	(void)state;
	o.present = SB_TCP_OPT_TS | SB_TCP_OPT_SACK;
	o.sack_n = 3;
	for (i = 0; i < 3; i++) {
		o.sack[i].start = 1000u * (i + 1);
		o.sack[i].end = 1000u * (i + 1) + 500u;
	}
	n = sb_tcp_opts_write(buf, sizeof(buf), &o);
	assert_int_equal(n, 40);
	assert_int_equal(sb_tcp_opts_parse(buf, n, &p), SB_TCP_PARSE_OK);
	assert_int_equal(p.sack_n, 3);
	assert_int_equal(p.sack[2].start, 3000);
	assert_int_equal(p.sack[2].end, 3500);
}

static void test_header_fields_parsed(void **state)
{
	uint8_t b[32];
	struct sb_tcp_seg s;

	(void)state;
	hdr(b, 5, SB_TCP_ACK | SB_TCP_PSH);
	b[0] = 0x12;
	b[1] = 0x34;
	b[3] = 80;
	b[4] = 0x80;
	b[7] = 1;
	b[11] = 2;
	b[14] = 0xff;
	b[15] = 0xfe;
	memcpy(b + 20, "hello world!", 12);
	assert_int_equal(sb_tcp_parse(b, sizeof(b), &s), SB_TCP_PARSE_OK);
	assert_int_equal(s.sport, 0x1234);
	assert_int_equal(s.dport, 80);
	assert_int_equal(s.seq, 0x80000001u);
	assert_int_equal(s.ack, 2);
	assert_int_equal(s.wnd, 0xfffe);
	assert_int_equal(s.hdr_len, 20);
	assert_int_equal(s.len, 12);
	assert_memory_equal(s.payload, "hello world!", 12);
}

struct opt_case {
	const char *name;
	uint8_t len;
	uint8_t b[20];
	enum sb_tcp_parse_res want;
};

static void test_malformed_options_rejected(void **state)
{
	static const struct opt_case cases[] = {
		{"length 0", 4, {8, 0, 1, 1}, SB_TCP_PARSE_BAD_OPT},
		{"length 1", 4, {2, 1, 1, 1}, SB_TCP_PARSE_BAD_OPT},
		{"overrun", 4, {2, 8, 5, 0xb4}, SB_TCP_PARSE_BAD_OPT},
		{"kind without length", 4, {1, 1, 1, 2}, SB_TCP_PARSE_BAD_OPT},
		{"MSS length 3", 4, {2, 3, 5, 1}, SB_TCP_PARSE_BAD_OPT},
		{"WS length 4", 4, {3, 4, 7, 1}, SB_TCP_PARSE_BAD_OPT},
		{"SACK-OK length 3", 4, {4, 3, 0, 1}, SB_TCP_PARSE_BAD_OPT},
		{"TS length 8", 8, {8, 8, 0, 0, 0, 1, 0, 0}, SB_TCP_PARSE_BAD_OPT},
		{"SACK length 6", 8, {5, 6, 0, 0, 0, 1, 0, 0}, SB_TCP_PARSE_BAD_OPT},
		{"SACK length 11", 12, {5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, SB_TCP_PARSE_BAD_OPT},
		{"unknown kind skipped", 8, {99, 4, 0, 0, 2, 4, 5, 0xb4}, SB_TCP_PARSE_OK},
		{"garbage after EOL", 4, {0, 8, 1, 2}, SB_TCP_PARSE_OK},
		{"NOPs only", 4, {1, 1, 1, 1}, SB_TCP_PARSE_OK},
	};
	uint32_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_tcp_opts o;
		enum sb_tcp_parse_res r = sb_tcp_opts_parse(cases[i].b, cases[i].len, &o);

		if (r != cases[i].want)
			fail_msg("%s: got %d want %d", cases[i].name, r, cases[i].want);
	}
}

static void test_unknown_option_then_mss(void **state)
{
	const uint8_t b[8] = {99, 4, 0, 0, 2, 4, 5, 0xb4};
	struct sb_tcp_opts o;

	(void)state;
	assert_int_equal(sb_tcp_opts_parse(b, sizeof(b), &o), SB_TCP_PARSE_OK);
	assert_int_equal(o.present, SB_TCP_OPT_MSS);
	assert_int_equal(o.mss, 1460);
}

static void test_wscale_clamped_to_14(void **state)
{
	const uint8_t b[4] = {1, 3, 3, 20};
	struct sb_tcp_opts o;

	(void)state;
	assert_int_equal(sb_tcp_opts_parse(b, sizeof(b), &o), SB_TCP_PARSE_OK);
	assert_int_equal(o.wscale, 14);
}

static void test_bad_data_offset(void **state)
{
	uint8_t b[40];
	struct sb_tcp_seg s;

	(void)state;
	hdr(b, 4, SB_TCP_ACK);
	assert_int_equal(sb_tcp_parse(b, sizeof(b), &s), SB_TCP_PARSE_BAD_DOFF);
	hdr(b, 15, SB_TCP_ACK); /* 60 bytes of header in a 40-byte segment */
	assert_int_equal(sb_tcp_parse(b, sizeof(b), &s), SB_TCP_PARSE_BAD_DOFF);
	hdr(b, 5, SB_TCP_ACK);
	assert_int_equal(sb_tcp_parse(b, 19, &s), SB_TCP_PARSE_SHORT);
}

static void test_bad_flag_combinations(void **state)
{
	const uint8_t bad[] = {0, SB_TCP_SYN | SB_TCP_FIN, SB_TCP_SYN | SB_TCP_RST, SB_TCP_PSH,
			       SB_TCP_SYN | SB_TCP_RST | SB_TCP_ACK};
	uint8_t b[20];
	struct sb_tcp_seg s;
	uint32_t i;

	(void)state;
	for (i = 0; i < sizeof(bad); i++) {
		hdr(b, 5, bad[i]);
		assert_int_equal(sb_tcp_parse(b, sizeof(b), &s), SB_TCP_PARSE_BAD_FLAGS);
	}
	hdr(b, 5, SB_TCP_SYN | SB_TCP_ACK);
	assert_int_equal(sb_tcp_parse(b, sizeof(b), &s), SB_TCP_PARSE_OK);
}

/* A malformed segment on the wire is counted by reason and never reaches
 * the connection. */
static void test_malformed_segment_counted_and_dropped(void **state)
{
		struct h_seg *s;
	uint32_t rcv_nxt;

	(void)state;
	h_init(&H, NULL, NULL);
	h_connect(&H);
	rcv_nxt = H.e[1].tcb.rcv_nxt;
	h_send(&H, 0, 10);
	s = &H.e[0].out[0];
	s->buf[12] = (uint8_t)(8 << 4); /* claims options the 10-byte payload fills */
	s->buf[20] = 2;
	s->buf[21] = 0; /* option length 0 */
	s->buf[16] = 0;
	s->buf[17] = 0;
	{
		uint16_t c = sb_tcp_csum_ipv4(H.e[0].addr, H.e[1].addr, s->buf, s->len);

		memcpy(s->buf + 16, &c, 2);
	}
	h_deliver(&H, 0, 0);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_PARSE_BAD_OPT], 1);
	assert_int_equal(H.e[1].tcb.rcv_nxt, rcv_nxt);
	assert_int_equal(H.e[1].nout, 0);
	h_fini(&H);
}

static uint16_t ref_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < 4; i += 2)
		sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
	sum += 6 + (uint32_t)n;
	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void test_checksum_matches_reference(void **state)
{
	static uint8_t seg[1501];
	const uint8_t src[4] = {192, 168, 1, 10}, dst[4] = {10, 0, 0, 255};
	uint32_t sa, da, x = 12345;
	size_t n, i;

	(void)state;
	memcpy(&sa, src, 4);
	memcpy(&da, dst, 4);
	for (i = 0; i < sizeof(seg); i++) {
		x = x * 1103515245u + 12345u;
		seg[i] = (uint8_t)(x >> 16);
	}
	for (n = 20; n <= sizeof(seg); n += 37) {
		uint16_t got, want;
		uint8_t be[2];

		seg[16] = 0;
		seg[17] = 0;
		got = sb_tcp_csum_ipv4(sa, da, seg, n);
		want = ref_csum(src, dst, seg, n);
		memcpy(be, &got, 2); /* stored as computed: network order on the wire */
		assert_int_equal(be[0] << 8 | be[1], want);
		memcpy(seg + 16, &got, 2);
		assert_int_equal(sb_tcp_csum_ipv4(sa, da, seg, n), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_options_round_trip),
		cmocka_unit_test(test_sack_blocks_round_trip),
		cmocka_unit_test(test_header_fields_parsed),
		cmocka_unit_test(test_malformed_options_rejected),
		cmocka_unit_test(test_unknown_option_then_mss),
		cmocka_unit_test(test_wscale_clamped_to_14),
		cmocka_unit_test(test_bad_data_offset),
		cmocka_unit_test(test_bad_flag_combinations),
		cmocka_unit_test(test_malformed_segment_counted_and_dropped),
		cmocka_unit_test(test_checksum_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
