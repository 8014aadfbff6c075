/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target for lib/tcp: the input is one IPv4 packet carrying a TCP
 * segment, as the glue would see it after L2. It is parsed (IPv4 header,
 * then sb_tcp_parse with the option parser) and, when well-formed, fed to a
 * listener (plain and with SYN cookies), to an established connection that
 * has data in flight and out-of-order data held, and to a TIME-WAIT record;
 * then the clock runs so every timer the segment armed fires. The ops check
 * every promise the core makes to the glue (offsets inside the send queue,
 * pieces inside the segment, releases and acks bounded), and abort() on a
 * broken one. Sequence numbers of the established connection are fixed
 * (ours from 1001, the peer's from 5001) so seeds can aim inside the window.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_SNDQ 20000u

struct fz {
	uint32_t queued;  /* bytes in the send queue */
	uint32_t held;    /* bytes held out of order */
	struct sb_tcb *gone;
};

static void fz_check(int ok)
{
	if (!ok)
		abort();
}

static void fz_emit(void *user, struct sb_tcb *tcb, const struct sb_tcp_tx *tx)
{
	struct fz *f = user;
	struct sb_tcp_seg s;

	fz_check(tx->hdr_len >= 20 && tx->hdr_len <= 60 && tx->hdr_len % 4 == 0);
	fz_check(tcb != NULL || tx->data_len == 0);
	fz_check(tx->data_len == 0 || (uint64_t)tx->data_off + tx->data_len <= f->queued);
	/* what we emit must parse back */
	memset(&s, 0, sizeof(s));
	fz_check(sb_tcp_parse(tx->hdr, tx->hdr_len, &s) == SB_TCP_PARSE_OK);
	fz_check(s.seq == tx->seq);
}

static void fz_deliver(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		       uint32_t skip, uint32_t len)
{
	(void)user;
	(void)tcb;
	fz_check((uint64_t)skip + len <= seg->len && len > 0);
}

static void fz_hold(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg, uint32_t skip,
		    uint32_t len, uint32_t seq)
{
	struct fz *f = user;

	fz_check((uint64_t)skip + len <= seg->len && len > 0);
	fz_check(seq != tcb->rcv_nxt);
	f->held += len;
}

static void fz_release(void *user, struct sb_tcb *tcb, uint32_t end_seq)
{
	struct fz *f = user;
	uint32_t n = end_seq - tcb->rcv_nxt;

	fz_check(n <= f->held + 64000u);
	f->held = n > f->held ? 0 : f->held - n;
}

static void fz_acked(void *user, struct sb_tcb *tcb, uint32_t bytes)
{
	struct fz *f = user;

	(void)tcb;
	fz_check(bytes <= f->queued);
	f->queued -= bytes;
}

static void fz_event(void *user, struct sb_tcb *tcb, enum sb_tcp_event ev)
{
	struct fz *f = user;

	fz_check(ev < SB_TCP_EV_MAX);
	fz_check(f->gone != tcb); /* nothing after a terminal event */
	if (ev >= SB_TCP_EV_CLOSED)
		f->gone = tcb;
}

static void fz_tw_expired(void *user, struct sb_tcp_tw *tw)
{
	(void)user;
	fz_check(tw->state == SB_TCPS_CLOSED);
}

static const struct sb_tcp_ops fz_ops = {
	.emit = fz_emit,
	.deliver = fz_deliver,
	.hold = fz_hold,
	.release = fz_release,
	.acked = fz_acked,
	.event = fz_event,
	.tw_expired = fz_tw_expired,
};

static const uint8_t fz_key[16] = {7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

struct fz_world {
	struct sb_wheel wheel;
	struct sb_wheel_timer *slots[SB_WHEEL_STORAGE(3)];
	struct sb_tcp_ctx ctx;
	struct fz f;
};

static void fz_world_init(struct fz_world *w, uint64_t now_us, bool sack)
{
	struct sb_tcp_cfg cfg;

	sb_tcp_cfg_default(&cfg);
	cfg.keep_idle_ms = 1000;
	cfg.sack = sack;
	memset(&w->f, 0, sizeof(w->f));
	sb_wheel_init(&w->wheel, w->slots, 3, now_us / 1000);
	fz_check(sb_tcp_ctx_init(&w->ctx, &cfg, &fz_ops, &w->f, &w->wheel, fz_key) == 0);
}

/* ESTABLISHED with ISS 1000, peer ISS 5000, 10000 bytes queued, 3 segments
 * in flight and [5101, 5201) held out of order. */
static void fz_establish(struct fz_world *w, struct sb_tcb *tcb, uint64_t now_us)
{
	static const uint8_t pay[100];
	struct sb_tcp_seg s;

	memset(&s, 0, sizeof(s));
	sb_tcp_connect(&w->ctx, tcb, 1000, now_us);
	s.flags = SB_TCP_SYN | SB_TCP_ACK;
	s.seq = 5000;
	s.ack = 1001;
	s.wnd = 4000;
	s.opt.present = SB_TCP_OPT_MSS | SB_TCP_OPT_WSCALE | SB_TCP_OPT_SACK_OK | SB_TCP_OPT_TS;
	s.opt.mss = 1460;
	s.opt.wscale = 2;
	s.opt.tsval = 100;
	s.opt.tsecr = (uint32_t)(now_us / 1000);
	sb_tcp_input(&w->ctx, tcb, &s, now_us);
	w->f.queued = 10000;
	sb_tcp_send(&w->ctx, tcb, 10000, now_us);
	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_ACK;
	s.seq = 5101;
	s.ack = 1001;
	s.wnd = 4000;
	s.payload = pay;
	s.len = sizeof(pay);
	s.opt.present = SB_TCP_OPT_TS;
	s.opt.tsval = 101;
	sb_tcp_input(&w->ctx, tcb, &s, now_us);
}

/* IPv4 (RFC 791) in front of the segment: version, IHL, total length and
 * protocol are checked as the glue would; the IP checksum is not, so the
 * fuzzer does not have to solve it. */
static bool fz_ipv4(const uint8_t *d, size_t n, const uint8_t **tcp, size_t *tcp_len,
		    uint32_t *src, uint32_t *dst)
{
	size_t ihl, tot;

	if (n < 20 || (d[0] >> 4) != 4)
		return false;
	ihl = (size_t)(d[0] & 15) * 4;
	tot = (size_t)d[2] << 8 | d[3];
	if (ihl < 20 || tot < ihl || tot > n || d[9] != 6)
		return false;
	memcpy(src, d + 12, 4);
	memcpy(dst, d + 16, 4);
	*tcp = d + ihl;
	*tcp_len = tot - ihl;
	return true;
}

static void fz_listener(const struct sb_tcp_seg *seg, uint64_t now_us, bool cookies)
{
	static struct fz_world w;
	static struct sb_tcb tcb;
	const struct sb_tcp_tuple tu = {1, 2, 3, 4};

	fz_world_init(&w, now_us, true);
	memset(&tcb, 0, sizeof(tcb));
	if (seg->flags & SB_TCP_RST)
		return;
	if ((seg->flags & (SB_TCP_SYN | SB_TCP_ACK)) == SB_TCP_SYN) {
		if (cookies)
			sb_tcp_cookie_synack(&w.ctx, &tu, seg, now_us);
		else
			fz_check(sb_tcp_accept_syn(&w.ctx, &tcb, seg, 777, now_us) == 0);
	} else if (!(cookies && sb_tcp_cookie_accept(&w.ctx, &tcb, &tu, seg, now_us) == 0)) {
		sb_tcp_reply_rst(&w.ctx, seg);
	}
	if (tcb.state != SB_TCPS_CLOSED)
		sb_tcp_timers_run(&w.ctx, now_us + 300000000ull, 100000);
}

static void fz_established(const struct sb_tcp_seg *seg, uint64_t now_us, bool sack, bool twice)
{
	static struct fz_world w;
	static struct sb_tcb tcb;
	static struct sb_tcp_tw tw;
	uint64_t t;

	fz_world_init(&w, now_us, sack);
	fz_establish(&w, &tcb, now_us);
	fz_check(tcb.state == SB_TCPS_ESTABLISHED);
	sb_tcp_input(&w.ctx, &tcb, seg, now_us + 1000);
	if (twice && tcb.state != SB_TCPS_CLOSED && w.f.gone == NULL)
		sb_tcp_input(&w.ctx, &tcb, seg, now_us + 2000);
	if (tcb.state == SB_TCPS_TIME_WAIT && w.f.gone == NULL) {
		uint32_t iss = 0;

		sb_tcp_tw_init(&w.ctx, &tw, &tcb);
		tcb.state = SB_TCPS_CLOSED;
		if (sb_tcp_tw_input(&w.ctx, &tw, seg, now_us + 3000, &iss) == SB_TCP_TW_REUSE)
			sb_tcp_tw_cancel(&w.ctx, &tw);
	}
	for (t = 1; t <= 200 && w.f.gone == NULL; t++) {
		if (tcb.state == SB_TCPS_CLOSED && !sb_wheel_timer_armed(&tw.timer))
			break;
		sb_tcp_timers_run(&w.ctx, now_us + t * 1000000ull, 100000);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *tcp;
	size_t tcp_len;
	uint32_t src, dst;
	struct sb_tcp_seg seg;
	uint64_t now_us = 5000000000ull;

	if (!fz_ipv4(data, size, &tcp, &tcp_len, &src, &dst))
		return 0;
	(void)sb_tcp_csum_ipv4(src, dst, tcp, tcp_len);
	memset(&seg, 0, sizeof(seg));
	if (sb_tcp_parse(tcp, tcp_len, &seg) != SB_TCP_PARSE_OK)
		return 0;
	/* the IP header's TOS byte picks variants, so one seed reaches them all */
	fz_listener(&seg, now_us, (data[1] & 1) != 0);
	fz_established(&seg, now_us, (data[1] & 2) == 0, (data[1] & 4) != 0);
	return 0;
}
