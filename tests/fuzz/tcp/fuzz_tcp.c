/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target for lib/tcp: the input is one or more IPv4 packets carrying
 * TCP segments, back to back, as the glue would see them after L2 (each
 * packet's total length says where the next starts; up to FZ_SEG_MAX). Each
 * is parsed (IPv4 header, then sb_tcp_parse with the option parser) and the
 * well-formed ones are fed, in order, to a listener (plain or with SYN
 * cookies; later segments go to the connection the first one created), to
 * an established connection that has data in flight and out-of-order data
 * held, and to a TIME-WAIT record once that connection reaches TIME-WAIT.
 * The IP ID field moves the clock between segments, a non-zero low byte of
 * the IP fragment field first plays an ICMP "fragmentation needed"
 * (sb_tcp_pmtu, MTU 500 + 8 * that byte, quoting the segment's ACK field as
 * our sequence number) against the established connection, and afterwards
 * the clock
 * runs until every timer has fired. The IP header's reserved flag bit says
 * the caller's pool is low for that segment (ctx.ooo_refuse), and TOS bit 3
 * has the application close the established connection after its first
 * segment. The ops check every promise the core makes to the glue (offsets
 * inside the send queue, pieces inside the segment and inside the receive
 * window, disjoint, released contiguously from RCV.NXT, acks bounded,
 * nothing delivered or held after the application's close, nothing after a
 * terminal event), and invariants are checked after every step; a broken
 * one abort()s: the TCB's own; the held-data accounting (the pieces held
 * tile the TCB's ranges exactly, their count stays within the connection's
 * charge, which fits its receive space and the worker's cap); a TIME-WAIT
 * deadline that only the peer's FIN again may extend; a cookie accepted only
 * while cookies were being sent. Sequence numbers of the established
 * connection are fixed (ours from 1001, the peer's from 5001) so seeds can
 * aim inside the window.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"
#include "tcp_seq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_SEG_MAX 64u
#define FZ_HELD_MAX 64u
#define FZ_WORKER_PIECES 20u /* small, so that the worker's cap is reached */

struct fz_piece {
	uint32_t seq;
	uint32_t len;
};

struct fz {
	uint32_t queued;  /* bytes in the send queue */
	uint32_t nheld;   /* pieces held out of order, as the glue keeps them */
	struct fz_piece held[FZ_HELD_MAX];
	uint64_t now_us;
	uint64_t cookie_us; /* when the last cookie SYN-ACK went out (0: never) */
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
	if (tcb == NULL && (tx->hdr[13] & (SB_TCP_SYN | SB_TCP_ACK)) == (SB_TCP_SYN | SB_TCP_ACK))
		f->cookie_us = f->now_us; /* a listener's only state-free SYN-ACK */
	fz_check(tx->data_len == 0 || (uint64_t)tx->data_off + tx->data_len <= f->queued);
	/* what we emit must parse back */
	memset(&s, 0, sizeof(s));
	fz_check(sb_tcp_parse(tx->hdr, tx->hdr_len, &s) == SB_TCP_PARSE_OK);
	fz_check(s.seq == tx->seq);
}

/* The right edge of what the receiver may take: what it advertised. */
static uint32_t fz_rcv_edge(const struct sb_tcb *tcb)
{
	return sb_seq_max(tcb->rcv_adv, tcb->rcv_nxt);
}

static void fz_deliver(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		       uint32_t skip, uint32_t len)
{
	(void)user;
	fz_check((uint64_t)skip + len <= seg->len && len > 0);
	/* no byte accepted outside the receive window */
	fz_check(sb_seq_leq(tcb->rcv_nxt + len, fz_rcv_edge(tcb)));
}

static void fz_hold(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg, uint32_t skip,
		    uint32_t len, uint32_t seq)
{
	struct fz *f = user;
	uint32_t i;

	fz_check((uint64_t)skip + len <= seg->len && len > 0);
	fz_check(sb_seq_gt(seq, tcb->rcv_nxt));
	fz_check(sb_seq_leq(seq + len, fz_rcv_edge(tcb)));
	fz_check(!(tcb->flags & SB_TF_FIN_QUEUED));
	for (i = 0; i < f->nheld; i++)
		fz_check(sb_seq_leq(seq + len, f->held[i].seq) ||
			 sb_seq_geq(seq, f->held[i].seq + f->held[i].len));
	fz_check(f->nheld < FZ_HELD_MAX);
	f->held[f->nheld++] = (struct fz_piece){seq, len};
}

static void fz_release(void *user, struct sb_tcb *tcb, uint32_t end_seq)
{
	struct fz *f = user;
	uint32_t next = tcb->rcv_nxt, i;
	bool found = true;

	/* released pieces run contiguously from RCV.NXT to end_seq */
	while (found && sb_seq_lt(next, end_seq)) {
		found = false;
		for (i = 0; i < f->nheld; i++) {
			if (f->held[i].seq != next)
				continue;
			next += f->held[i].len;
			f->held[i] = f->held[--f->nheld];
			found = true;
			break;
		}
	}
	fz_check(next == end_seq);
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
	if (ev >= SB_TCP_EV_TIME_WAIT) {
		/* the core forgot its ranges: the glue frees the pieces */
		fz_check(tcb->ooo_n == 0 && tcb->ooo_pieces == 0);
		f->nheld = 0;
	}
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

static void fz_ranges_ok(const struct sb_tcp_range *r, uint32_t n, uint32_t lo, bool strict)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		fz_check(sb_seq_lt(r[i].start, r[i].end));
		fz_check(sb_seq_geq(r[i].start, lo));
		if (strict)
			fz_check(i + 1 == n || sb_seq_lt(r[i].end, r[i + 1].start));
	}
}

/* What must hold between any two calls into the core. */
static void fz_invariants(const struct sb_tcp_ctx *ctx, const struct sb_tcb *tcb)
{
	fz_check(tcb->state < SB_TCPS_TW_RECORD);
	if (tcb->state == SB_TCPS_CLOSED) {
		/* the caller may free a CLOSED TCB: nothing may still point at it */
		fz_check(!sb_wheel_timer_armed(&tcb->timer));
		return;
	}
	fz_check(sb_seq_leq(tcb->snd_una, tcb->snd_nxt));
	fz_check(sb_seq_leq(tcb->snd_nxt, tcb->snd_max));
	fz_check(sb_seq_leq(tcb->snd_max, tcb->snd_end + 1));
	fz_check(tcb->ooo_n <= SB_TCP_OOO_MAX && tcb->sacked_n <= SB_TCP_SACKED_MAX);
	fz_check(tcb->ooo_pieces <= ctx->cfg.ooo_pieces_max);
	fz_ranges_ok(tcb->ooo, tcb->ooo_n, tcb->rcv_nxt, true);
	fz_ranges_ok(tcb->sacked, tcb->sacked_n, tcb->snd_una, false);
	fz_check(tcb->snd_mss >= 64 - 12 && tcb->cwnd >= 1);
	fz_check(tcb->tmask == 0 || sb_wheel_timer_armed(&tcb->timer));
}

/* Held-data accounting: the glue's pieces tile the TCB's ranges, and the
 * charge stays within the connection's share and the worker's cap. */
static void fz_held_ok(const struct sb_tcp_ctx *ctx, const struct sb_tcb *tcb,
		       const struct fz *f)
{
	uint64_t in_ranges = 0, held = 0;
	uint32_t i;

	for (i = 0; i < tcb->ooo_n; i++)
		in_ranges += tcb->ooo[i].end - tcb->ooo[i].start;
	for (i = 0; i < f->nheld; i++)
		held += f->held[i].len;
	fz_check(held == in_ranges);
	fz_check(f->nheld <= tcb->ooo_pieces);
	fz_check(tcb->ooo_n > 0 || tcb->ooo_pieces == 0);
	fz_check(tcb->ooo_pieces <= ctx->cfg.ooo_pieces_max);
	fz_check((uint64_t)tcb->ooo_pieces * ctx->cfg.ooo_piece_bytes <= tcb->rcv_space);
	fz_check(ctx->ooo_pieces == tcb->ooo_pieces); /* one connection per world */
	fz_check(ctx->ooo_pieces <= ctx->cfg.ooo_pieces_worker_max);
}

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
	cfg.ooo_pieces_worker_max = FZ_WORKER_PIECES;
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
struct fz_pkt {
	struct sb_tcp_seg seg;
	uint32_t gap_ms; /* clock step before this segment (IP ID) */
	uint32_t pmtu;   /* 0, or an ICMP frag-needed MTU to apply first (IP frag byte) */
	bool pool_low;   /* the caller's pool is low (IP reserved flag) */
};

/* Returns the packet's total length (0: not an IPv4/TCP packet we accept);
 * *ok tells whether its TCP segment parsed. */
static size_t fz_ipv4(const uint8_t *d, size_t n, struct fz_pkt *p, bool *ok)
{
	size_t ihl, tot;
	uint32_t src, dst;

	if (n < 20 || (d[0] >> 4) != 4)
		return 0;
	ihl = (size_t)(d[0] & 15) * 4;
	tot = (size_t)d[2] << 8 | d[3];
	if (ihl < 20 || tot < ihl || tot > n || d[9] != 6)
		return 0;
	memcpy(&src, d + 12, 4);
	memcpy(&dst, d + 16, 4);
	(void)sb_tcp_csum_ipv4(src, dst, d + ihl, tot - ihl);
	memset(&p->seg, 0, sizeof(p->seg));
	*ok = sb_tcp_parse(d + ihl, tot - ihl, &p->seg) == SB_TCP_PARSE_OK;
	p->gap_ms = (uint32_t)d[4] << 8 | d[5];
	p->pmtu = d[7] != 0 ? 500u + 8u * d[7] : 0;
	p->pool_low = (d[6] & 0x80) != 0;
	return tot;
}

static void fz_listen_one(struct fz_world *w, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
			  uint64_t now_us, bool cookies)
{
	const struct sb_tcp_tuple tu = {1, 2, 3, 4};

	if (tcb->state != SB_TCPS_CLOSED) {
		sb_tcp_input(&w->ctx, tcb, seg, now_us);
		return;
	}
	if (seg->flags & SB_TCP_RST)
		return;
	if ((seg->flags & (SB_TCP_SYN | SB_TCP_ACK)) == SB_TCP_SYN) {
		if (cookies)
			sb_tcp_cookie_synack(&w->ctx, &tu, seg, now_us);
		else
			fz_check(sb_tcp_accept_syn(&w->ctx, tcb, seg, 777, now_us) == 0);
	} else if (cookies && sb_tcp_cookie_accept(&w->ctx, tcb, &tu, seg, now_us) == 0) {
		/* RFC 4987 §3.6: only while cookies go out (two 64 s periods) */
		fz_check(w->f.cookie_us != 0 && now_us - w->f.cookie_us <= 129000000ull);
	} else {
		sb_tcp_reply_rst(&w->ctx, seg);
	}
}

/* The time and the pool as the glue sets them before a core call. */
static void fz_step(struct fz_world *w, const struct fz_pkt *p, uint64_t now_us)
{
	w->f.now_us = now_us;
	w->ctx.ooo_refuse = p->pool_low;
}

static void fz_listener(const struct fz_pkt *p, uint32_t n, uint64_t now_us, bool cookies)
{
	static struct fz_world w;
	static struct sb_tcb tcb;
	uint32_t i;

	fz_world_init(&w, now_us, true);
	memset(&tcb, 0, sizeof(tcb));
	for (i = 0; i < n && w.f.gone == NULL; i++) {
		now_us += (uint64_t)p[i].gap_ms * 1000u;
		sb_tcp_timers_run(&w.ctx, now_us, 100000);
		if (w.f.gone != NULL)
			break;
		fz_step(&w, &p[i], now_us);
		fz_listen_one(&w, &tcb, &p[i].seg, now_us, cookies);
		if (w.f.gone != NULL)
			break;
		fz_invariants(&w.ctx, &tcb);
		if (tcb.state != SB_TCPS_CLOSED)
			fz_held_ok(&w.ctx, &tcb, &w.f);
	}
	if (tcb.state != SB_TCPS_CLOSED && w.f.gone == NULL)
		sb_tcp_timers_run(&w.ctx, now_us + 300000000ull, 100000);
}

/* The TIME-WAIT record meets a segment; false once a new SYN took the
 * tuple. Only the peer's FIN again may push 2MSL out (RFC 9293
 * §3.10.7.4): any other segment leaves the deadline where it was. */
static bool fz_tw_one(struct fz_world *w, struct sb_tcp_tw *tw, const struct sb_tcp_seg *seg,
		      uint64_t now_us)
{
	uint32_t iss = 0, before = tw->expire_ms;
	bool peer_fin = (seg->flags & SB_TCP_FIN) && seg->seq + seg->len + 1u == tw->rcv_nxt;

	if (sb_tcp_tw_input(&w->ctx, tw, seg, now_us, &iss) == SB_TCP_TW_REUSE) {
		sb_tcp_tw_cancel(&w->ctx, tw);
		return false;
	}
	fz_check(tw->expire_ms == before || peer_fin);
	return true;
}

/* One segment for the established connection (after an ICMP, if any);
 * the application closes after it when asked. */
static void fz_conn_one(struct fz_world *w, struct sb_tcb *tcb, const struct fz_pkt *p,
			uint64_t now_us, bool close_now)
{
	if (p->pmtu != 0) {
		(void)sb_tcp_pmtu(&w->ctx, tcb, p->seg.ack, p->pmtu, now_us);
		fz_invariants(&w->ctx, tcb);
	}
	sb_tcp_input(&w->ctx, tcb, &p->seg, now_us);
	if (w->f.gone != NULL)
		return;
	if (close_now && tcb->state != SB_TCPS_CLOSED && tcb->state != SB_TCPS_TIME_WAIT &&
	    sb_tcp_close(&w->ctx, tcb, now_us) == 0)
		w->f.nheld = 0; /* the core forgot them: the glue frees them */
	fz_invariants(&w->ctx, tcb);
	if (tcb->state != SB_TCPS_CLOSED)
		fz_held_ok(&w->ctx, tcb, &w->f);
}

/* The established connection meets each segment; once it is in TIME-WAIT
 * it is swapped for a record, which meets the rest. */
static void fz_established(const struct fz_pkt *p, uint32_t n, uint64_t now_us, bool sack,
			   bool close_first)
{
	static struct fz_world w;
	static struct sb_tcb tcb;
	static struct sb_tcp_tw tw;
	bool tw_live = false;
	uint32_t i, t;

	fz_world_init(&w, now_us, sack);
	fz_establish(&w, &tcb, now_us);
	fz_check(tcb.state == SB_TCPS_ESTABLISHED);
	fz_invariants(&w.ctx, &tcb);
	fz_held_ok(&w.ctx, &tcb, &w.f);
	sb_wheel_timer_init(&tw.timer);
	for (i = 0; i < n && w.f.gone == NULL; i++) {
		now_us += 1000u + (uint64_t)p[i].gap_ms * 1000u;
		sb_tcp_timers_run(&w.ctx, now_us, 100000);
		if (w.f.gone != NULL)
			break;
		fz_step(&w, &p[i], now_us);
		if (tw_live) {
			tw_live = fz_tw_one(&w, &tw, &p[i].seg, now_us);
			continue;
		}
		if (tcb.state == SB_TCPS_CLOSED)
			break;
		fz_conn_one(&w, &tcb, &p[i], now_us, close_first && i == 0);
		if (w.f.gone == NULL && tcb.state == SB_TCPS_TIME_WAIT) {
			sb_tcp_tw_init(&w.ctx, &tw, &tcb);
			tcb.state = SB_TCPS_CLOSED;
			tw_live = true;
		}
	}
	for (t = 1; t <= 200 && w.f.gone == NULL; t++) {
		if (tcb.state == SB_TCPS_CLOSED && !sb_wheel_timer_armed(&tw.timer))
			break;
		sb_tcp_timers_run(&w.ctx, now_us + t * 1000000ull, 100000);
		if (w.f.gone == NULL)
			fz_invariants(&w.ctx, &tcb);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_pkt pkt[FZ_SEG_MAX];
	uint64_t now_us = 5000000000ull;
	uint32_t n = 0;
	size_t off = 0;

	while (n < FZ_SEG_MAX && off < size) {
		bool ok = false;
		size_t used = fz_ipv4(data + off, size - off, &pkt[n], &ok);

		if (used == 0)
			break;
		off += used;
		if (ok)
			n++;
	}
	if (n == 0)
		return 0;
	/* the first IP header's TOS byte picks variants, so one seed reaches all */
	fz_listener(pkt, n, now_us, (data[1] & 1) != 0);
	fz_established(pkt, n, now_us, (data[1] & 2) == 0, (data[1] & 8) != 0);
	if (data[1] & 4) { /* every segment twice: duplicates and retransmissions */
		static struct fz_pkt dup[2 * FZ_SEG_MAX];
		uint32_t i;

		for (i = 0; i < n; i++) {
			dup[2 * i] = pkt[i];
			dup[2 * i + 1] = pkt[i];
			dup[2 * i + 1].gap_ms = 0;
		}
		fz_established(dup, 2 * n, now_us, true, false);
	}
	return 0;
}
