/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Micro-benchmark of the TCP core's receive path: segments per second through
 * sb_tcp_input() for an established connection receiving in-order 64-byte
 * segments with timestamps (every second one answered by a delayed-ACK
 * emit), and the same with sb_tcp_parse() of the raw header first. The ops
 * do no work, so this is the core's own cost. Prints one line.
 * Usage: bench_tcp_input [segments]   (default 20000000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcp.h"

struct bench {
	uint64_t emitted;
	uint64_t delivered;
};

static void b_emit(void *user, struct sb_tcb *tcb, const struct sb_tcp_tx *tx)
{
	struct bench *b = user;

	(void)tcb;
	b->emitted += tx->hdr_len;
}

static void b_deliver(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg, uint32_t skip,
		      uint32_t len)
{
	struct bench *b = user;

	(void)tcb;
	(void)seg;
	(void)skip;
	b->delivered += len;
}

static void b_hold(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg, uint32_t skip,
		   uint32_t len, uint32_t seq)
{
	(void)user;
	(void)tcb;
	(void)seg;
	(void)skip;
	(void)len;
	(void)seq;
}

static void b_release(void *user, struct sb_tcb *tcb, uint32_t end_seq)
{
	(void)user;
	(void)tcb;
	(void)end_seq;
}

static void b_acked(void *user, struct sb_tcb *tcb, uint32_t bytes)
{
	(void)user;
	(void)tcb;
	(void)bytes;
}

static void b_event(void *user, struct sb_tcb *tcb, enum sb_tcp_event ev)
{
	(void)user;
	(void)tcb;
	(void)ev;
}

static void b_tw(void *user, struct sb_tcp_tw *tw)
{
	(void)user;
	(void)tw;
}

static const struct sb_tcp_ops b_ops = {
	.emit = b_emit,
	.deliver = b_deliver,
	.hold = b_hold,
	.release = b_release,
	.acked = b_acked,
	.event = b_event,
	.tw_expired = b_tw,
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static struct sb_wheel_timer *slots[SB_WHEEL_STORAGE(3)];

static void establish(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint64_t now_us)
{
	struct sb_tcp_seg s;

	memset(&s, 0, sizeof(s));
	sb_tcp_connect(ctx, tcb, 1000, now_us);
	s.flags = SB_TCP_SYN | SB_TCP_ACK;
	s.seq = 5000;
	s.ack = 1001;
	s.wnd = 65535;
	s.opt.present = SB_TCP_OPT_MSS | SB_TCP_OPT_WSCALE | SB_TCP_OPT_SACK_OK | SB_TCP_OPT_TS;
	s.opt.mss = 1460;
	s.opt.wscale = 7;
	s.opt.tsval = 1;
	s.opt.tsecr = (uint32_t)(now_us / 1000);
	sb_tcp_input(ctx, tcb, &s, now_us);
}

/* n in-order segments; parse_too: build and parse the raw header each time */
static double run(uint64_t n, int parse_too, struct bench *b)
{
	static const uint8_t key[16] = {1};
	struct sb_tcp_ctx ctx;
	struct sb_wheel wheel;
	struct sb_tcb tcb;
	uint8_t raw[32 + 64];
	struct sb_tcp_seg s;
	uint64_t i, now_us = 1000000000ull;
	double t0;

	sb_wheel_init(&wheel, slots, 3, now_us / 1000);
	if (sb_tcp_ctx_init(&ctx, NULL, &b_ops, b, &wheel, key) != 0)
		exit(1);
	establish(&ctx, &tcb, now_us);
	memset(raw, 0, sizeof(raw));
	raw[12] = 8 << 4; /* 20 + 12 bytes: NOP NOP TS */
	raw[13] = SB_TCP_ACK | SB_TCP_PSH;
	raw[14] = 0x01;
	raw[20] = 1;
	raw[21] = 1;
	raw[22] = 8;
	raw[23] = 10;
	put32(raw + 8, 1001);
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_ACK | SB_TCP_PSH;
	s.ack = 1001;
	s.wnd = 256;
	s.len = 64;
	s.payload = raw + 32;
	s.opt.present = SB_TCP_OPT_TS;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		uint32_t seq = 5001 + (uint32_t)i * 64u, tsval = 2 + (uint32_t)(i >> 10);

		if (parse_too) {
			put32(raw + 4, seq);
			put32(raw + 24, tsval);
			if (sb_tcp_parse(raw, sizeof(raw), &s) != SB_TCP_PARSE_OK)
				exit(1);
		} else {
			s.seq = seq;
			s.opt.tsval = tsval;
		}
		if ((i & 1023) == 0)
			now_us += 1000;
		sb_tcp_input(&ctx, &tcb, &s, now_us);
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ull;
	struct bench b1 = {0}, b2 = {0};
	double t1, t2;

	if (n == 0)
		n = 1;
	t1 = run(n, 0, &b1);
	t2 = run(n, 1, &b2);
	if (b1.delivered != n * 64 || b2.delivered != n * 64) {
		fprintf(stderr, "bench_tcp_input: delivered %llu of %llu bytes\n",
			(unsigned long long)b1.delivered, (unsigned long long)(n * 64));
		return 1;
	}
	printf("tcp-input: %llu in-order 64-byte segments: input %.2f Mseg/s (%.1f ns/seg), "
	       "parse+input %.2f Mseg/s (%.1f ns/seg)\n",
	       (unsigned long long)n, (double)n / t1 / 1e6, t1 * 1e9 / (double)n,
	       (double)n / t2 / 1e6, t2 * 1e9 / (double)n);
	return 0;
}
