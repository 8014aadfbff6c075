/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What to send now (RFC 9293 §3.8.6, RFC 5681 §3): segments are sized by the
 * send MSS and limited by min(SND.WND, cwnd); the header (with MSS, window
 * scale, SACK-permitted, timestamps and SACK blocks as negotiated) is built
 * in the worker's txbuf and handed to ops->emit() with the payload's offset
 * in the caller's send queue. Nagle is off on purpose: XMPP stanzas are
 * small and latency-bound, and the layer above already batches per loop
 * turn. Sender-side silly window avoidance (§3.8.6.2.1) still applies.
 * Also the application calls: send, close, abort, receive space, and the
 * path MTU drop of an ICMP "fragmentation needed" (RFC 1191).
 */
#include <errno.h>

#include "tcp_priv.h"

static uint16_t rcv_wnd_field(struct sb_tcb *tcb, bool syn)
{
	uint32_t win = tcb->rcv_space;
	uint32_t adv = sb_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	uint32_t f;

	if (win < adv)
		win = adv; /* never move the right edge left (§3.8.6.2.2) */
	if (syn)
		return (uint16_t)(win > TCP_WND_MAX ? TCP_WND_MAX : win); /* RFC 7323 §2.2 */
	f = win >> tcb->rcv_wscale;
	if (f > TCP_WND_MAX)
		f = TCP_WND_MAX;
	tcb->rcv_adv = sb_seq_max(tcb->rcv_adv, tcb->rcv_nxt + (f << tcb->rcv_wscale));
	return (uint16_t)f;
}

static void build_opts(struct sb_tcp_ctx *ctx, const struct sb_tcb *tcb, uint8_t flags,
		       struct sb_tcp_opts *o)
{
	o->present = 0;
	if (flags & SB_TCP_SYN) {
		o->present |= SB_TCP_OPT_MSS;
		o->mss = ctx->cfg.mss;
		if (tcb->flags & SB_TF_WSCALE) {
			o->present |= SB_TCP_OPT_WSCALE;
			o->wscale = tcb->rcv_wscale;
		}
		if (tcb->flags & SB_TF_SACK)
			o->present |= SB_TCP_OPT_SACK_OK;
	}
	if (tcb->flags & SB_TF_TS) {
		o->present |= SB_TCP_OPT_TS;
		o->tsval = ctx->now_ms;
		/* a SYN echoes nothing (RFC 7323 §3.2); before the peer's SYN
		 * this storage still times our own (tcb-t.h) */
		o->tsecr = (flags & (SB_TCP_SYN | SB_TCP_ACK)) == SB_TCP_SYN ? 0 : tcb->ts_recent;
	}
	if ((tcb->flags & SB_TF_SACK) && tcb->ooo_n > 0 && (flags & SB_TCP_ACK) &&
	    !(flags & SB_TCP_SYN)) {
		o->sack_n = (uint8_t)tcp_sack_blocks(tcb, o->sack, (tcb->flags & SB_TF_TS) ? 3 : 4);
		o->present |= SB_TCP_OPT_SACK;
	}
}

/* Emits one segment of tcb: [seq, seq + len) of the send queue plus flags. */
void tcp_xmit(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t seq, uint32_t len,
	      uint8_t flags)
{
	struct sb_tcp_opts o;
	struct sb_tcp_tx tx;
	uint16_t wnd = rcv_wnd_field(tcb, (flags & SB_TCP_SYN) != 0);

	build_opts(ctx, tcb, flags, &o);
	tx.hdr = ctx->txbuf;
	tx.hdr_len = (uint32_t)tcp_hdr_write(ctx->txbuf, seq, tcb->rcv_nxt, flags, wnd, &o);
	tx.seq = seq;
	tx.data_off = len ? seq - tcb->snd_una : 0;
	tx.data_len = len;
	if (flags & SB_TCP_ACK) {
		tcb->last_ack_sent = tcb->rcv_nxt;
		tcb->flags &= (uint16_t)~(SB_TF_ACKNOW | SB_TF_DELACK);
		tcb->tmask &= (uint8_t)~SB_TT_DELACK;
	}
	ctx->ops->emit(ctx->user, tcb, &tx);
}

/* A bare control segment without a connection: no options, window 0. */
void tcp_send_ctl(struct sb_tcp_ctx *ctx, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct sb_tcp_tx tx = {.hdr = ctx->txbuf, .seq = seq};

	tx.hdr_len = (uint32_t)tcp_hdr_write(ctx->txbuf, seq, ack, flags, 0, NULL);
	ctx->ops->emit(ctx->user, NULL, &tx);
}

/* RFC 9293 §3.10.7.1: the reply to a segment for no connection. */
void sb_tcp_reply_rst(struct sb_tcp_ctx *ctx, const struct sb_tcp_seg *seg)
{
	if (seg->flags & SB_TCP_RST)
		return;
	tcp_count(ctx, SB_TCP_CNT_RST_SENT);
	if (seg->flags & SB_TCP_ACK) {
		tcp_send_ctl(ctx, seg->ack, 0, SB_TCP_RST);
	} else {
		uint32_t l = seg->len + !!(seg->flags & SB_TCP_SYN) + !!(seg->flags & SB_TCP_FIN);

		tcp_send_ctl(ctx, 0, seg->seq + l, SB_TCP_RST | SB_TCP_ACK);
	}
}

/* RFC 5961 §7 with the CVE-2016-5696 lesson (Linux, 2016): a budget shared
 * by every connection is a side channel, because an off-path attacker who
 * spends it and counts what is left learns whether another connection
 * answered a guessed RST or SYN. So each connection first has its own limit
 * (one per challenge_gap_ms, checked before the shared budget is touched,
 * so probing one connection cannot spend it), and the shared budget, left
 * as a flood guard, is redrawn every second from [n/2, 3n/2) with a keyed
 * hash the attacker cannot predict. */
static uint32_t challenge_budget(const struct sb_tcp_ctx *ctx, uint32_t sec)
{
	uint32_t n = ctx->cfg.challenge_acks_per_s;
	struct {
		uint32_t sec;
		uint32_t tag;
	} in = {sec, 0x63616b31u};

	if (n < 2)
		return n;
	return n / 2 + (uint32_t)(sb_tcp_siphash(ctx->key, &in, sizeof(in)) % n);
}

void tcp_challenge_ack(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t sec = (uint32_t)(ctx->now_us / 1000000u);
	uint16_t t16 = (uint16_t)(ctx->now_ms >> 4);
	uint16_t gap16 = (uint16_t)(ctx->cfg.challenge_gap_ms >> 4);

	if (tcb->challenge_t16 != 0 && (uint16_t)(t16 - tcb->challenge_t16) < gap16) {
		tcp_count(ctx, SB_TCP_CNT_CHALLENGE_ACK_CONN_LIMITED);
		return;
	}
	if (sec + 1u != ctx->challenge_sec) {
		ctx->challenge_sec = sec + 1u; /* 0: no second drawn yet */
		ctx->challenge_n = challenge_budget(ctx, sec);
	}
	if (ctx->challenge_n == 0) {
		tcp_count(ctx, SB_TCP_CNT_CHALLENGE_ACK_LIMITED);
		return;
	}
	ctx->challenge_n--;
	tcb->challenge_t16 = t16 != 0 ? t16 : 1; /* 0 means never */
	tcp_xmit(ctx, tcb, tcb->snd_nxt, 0, SB_TCP_ACK);
}

/* Resends up to one MSS at seq, no further than max bytes. Returns the
 * sequence space covered (0: nothing to send there). */
uint32_t tcp_rexmt_one(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t seq, uint32_t max)
{
	uint32_t len = sb_seq_lt(seq, tcb->snd_end) ? tcb->snd_end - seq : 0;
	bool fin;

	if (len > tcp_seg_max(tcb))
		len = tcp_seg_max(tcb);
	if (len > max)
		len = max;
	fin = (tcb->flags & SB_TF_FIN_SENT) && seq + len == tcb->snd_end;
	if (len == 0 && !fin)
		return 0;
	tcb->flags &= (uint16_t)~SB_TF_RTT; /* Karn's algorithm */
	tcp_xmit(ctx, tcb, seq, len, SB_TCP_ACK | (fin ? SB_TCP_FIN : 0));
	return len + fin;
}

void tcp_events_fire(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t ev)
{
	uint32_t e;

	/* The caller frees whatever it still holds once the TCB is done. */
	if (ev & ~(TCP_EV(SB_TCP_EV_CONNECTED) | TCP_EV(SB_TCP_EV_ACCEPTED) |
		   TCP_EV(SB_TCP_EV_PEER_FIN)))
		tcp_ooo_forget(ctx, tcb);
	for (e = 0; e < SB_TCP_EV_MAX; e++) {
		if (!(ev & TCP_EV(e)))
			continue;
		ctx->ops->event(ctx->user, tcb, (enum sb_tcp_event)e);
		if (e >= SB_TCP_EV_TIME_WAIT)
			return; /* the caller may have freed or swapped the TCB */
	}
}

static void output_syn(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	if (tcb->snd_nxt == tcb->snd_una) {
		uint8_t fl = SB_TCP_SYN | (tcb->state == SB_TCPS_SYN_RECEIVED ? SB_TCP_ACK : 0);

		tcp_xmit(ctx, tcb, tcb->snd_una, 0, fl);
		tcb->snd_nxt = tcb->snd_una + 1;
		tcb->snd_max = sb_seq_max(tcb->snd_max, tcb->snd_nxt);
		if (!(tcb->tmask & SB_TT_REXMT))
			tcp_timer_set(ctx, tcb, SB_TT_REXMT, tcp_rto_ms(ctx, tcb));
	} else if ((tcb->flags & SB_TF_ACKNOW) && tcb->state == SB_TCPS_SYN_RECEIVED) {
		tcp_xmit(ctx, tcb, tcb->snd_nxt, 0, SB_TCP_ACK);
	}
}

/* Length of the next new segment at SND.NXT, or 0 to wait. room is what
 * congestion control allows past SND.NXT. */
static uint32_t next_len(const struct sb_tcb *tcb, uint32_t avail, uint32_t room)
{
	uint32_t edge = tcb->snd_una + tcb->snd_wnd;
	uint32_t usable = sb_seq_lt(tcb->snd_nxt, edge) ? edge - tcb->snd_nxt : 0;
	uint32_t len;

	if (usable > room)
		usable = room;
	if ((tcb->flags & SB_TF_FORCE) && usable == 0 && avail > 0)
		return 1; /* zero-window probe: one byte past the window (§3.8.6.1) */
	len = avail < usable ? avail : usable;
	if (len > tcp_seg_max(tcb))
		len = tcp_seg_max(tcb);
	/* Sender SWS avoidance (§3.8.6.2.1): a short segment only if it empties
	 * the queue or is at least half the largest window the peer offered. */
	if (len < tcp_seg_max(tcb) && len < avail && len < tcb->max_snd_wnd / 2)
		return 0;
	return len;
}

/* What the congestion window leaves for new data at SND.NXT: in SACK
 * recovery cwnd - pipe (RFC 6675 §5 step 4.3 and C.1); otherwise the
 * window from SND.UNA, plus one segment per duplicate ACK for the first
 * two (limited transmit, RFC 3042 §2). */
static uint32_t cc_room(const struct sb_tcb *tcb, uint32_t pipe)
{
	uint32_t cw = tcb->cwnd, edge;

	if ((tcb->flags & (SB_TF_SACK | SB_TF_RECOVERY)) == (SB_TF_SACK | SB_TF_RECOVERY))
		return cw > pipe ? cw - pipe : 0;
	if (!(tcb->flags & SB_TF_RECOVERY) && tcb->dupacks > 0 && tcb->dupacks < 3)
		cw += (uint32_t)tcb->dupacks * tcb->snd_mss;
	edge = tcb->snd_una + cw;
	return sb_seq_lt(tcb->snd_nxt, edge) ? edge - tcb->snd_nxt : 0;
}

/* RFC 6675 NextSeg() rules 1 and 3 while cwnd - pipe allows a segment:
 * lost holes first; other holes only when no new data can go (rule 3).
 * Returns the segments sent. */
static uint32_t sack_rexmt(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t *pipe,
			   bool rule3)
{
	struct sb_tcp_range h;
	uint32_t sent = 0, n;

	while (sent < ctx->cfg.burst_max && *pipe + tcb->snd_mss <= tcb->cwnd) {
		bool found = rule3 ? tcp_sack_next_hole(tcb, tcb->snd_rxt, &h)
				   : tcp_sack_next_lost(tcb, tcb->snd_rxt, &h);

		if (!found)
			break;
		n = tcp_rexmt_one(ctx, tcb, h.start, h.end - h.start);
		if (n == 0)
			break;
		tcp_count(ctx, SB_TCP_CNT_TX_SACK_REXMT);
		tcb->snd_rxt = h.start + n;
		tcb->rxt_mark = tcb->snd_max;
		*pipe += n;
		sent++;
	}
	return sent;
}

/* Going back over sent data (after a timeout or a PMTU drop): what the
 * peer SACKed since need not go again. */
static void skip_sacked(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t was = tcb->snd_nxt;

	if (tcb->sacked_n == 0 || !sb_seq_lt(tcb->snd_nxt, tcb->snd_max))
		return;
	tcp_sack_skip(tcb);
	if (was != tcb->snd_nxt)
		tcp_count(ctx, SB_TCP_CNT_TX_SACK_SKIP);
}

/* Data waits and the window is closed: the persist timer probes it. */
static void arm_persist(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t ms = tcp_rto_ms(ctx, tcb);

	tcb->flags = (uint16_t)((tcb->flags & ~SB_TF_PTO) | SB_TF_PERSIST);
	tcb->rxtshift = 0;
	if (ms < ctx->cfg.persist_min_ms)
		ms = ctx->cfg.persist_min_ms;
	if (ms > ctx->cfg.persist_max_ms)
		ms = ctx->cfg.persist_max_ms;
	tcp_timer_set(ctx, tcb, SB_TT_REXMT, ms);
}

static void output_data(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	bool sack_rec = (tcb->flags & (SB_TF_SACK | SB_TF_RECOVERY)) ==
			(SB_TF_SACK | SB_TF_RECOVERY);
	uint32_t pipe = sack_rec ? tcp_sack_pipe(tcb) : 0;
	uint32_t sent = sack_rec ? sack_rexmt(ctx, tcb, &pipe, false) : 0;
	uint32_t sent_new = 0;
	uint32_t avail = 0;

	for (;;) {
		uint32_t len;
		bool fin, probe;
		uint8_t fl = SB_TCP_ACK;

		skip_sacked(ctx, tcb);
		avail = sb_seq_lt(tcb->snd_nxt, tcb->snd_end) ? tcb->snd_end - tcb->snd_nxt : 0;
		if (sent == ctx->cfg.burst_max) {
			if (avail > 0)
				tcp_count(ctx, SB_TCP_CNT_TX_BURST_LIMITED);
			break;
		}
		len = next_len(tcb, avail, cc_room(tcb, pipe));
		probe = (tcb->flags & SB_TF_FORCE) && len == 1 &&
			!sb_seq_lt(tcb->snd_nxt, tcb->snd_una + sb_seq_min(tcb->snd_wnd, tcb->cwnd));
		fin = (tcb->flags & SB_TF_FIN_QUEUED) && tcb->snd_nxt + len == tcb->snd_end &&
		      !probe;
		if (len == 0 && !fin)
			break;
		if (len > 0 && len == avail)
			fl |= SB_TCP_PSH;
		if (fin)
			fl |= SB_TCP_FIN;
		if (len > 0 && tcb->snd_nxt == tcb->snd_max && !(tcb->flags & (SB_TF_TS | SB_TF_RTT))) {
			tcb->flags |= SB_TF_RTT;
			tcb->rtt_seq = tcb->snd_nxt;
			tcb->rtt_start_ms = ctx->now_ms;
		}
		if (!(tcb->flags & SB_TF_RECOVERY) && tcb->dupacks > 0 &&
		    sb_seq_geq(tcb->snd_nxt, tcb->snd_una + tcb->cwnd))
			tcp_count(ctx, SB_TCP_CNT_TX_LIMITED);
		tcp_xmit(ctx, tcb, tcb->snd_nxt, len, fl);
		sent++;
		sent_new++;
		if (probe) {
			/* The probe byte is outstanding but SND.NXT stays: the
			 * persist timer, not the RTO, owns a closed window. */
			tcb->snd_max = sb_seq_max(tcb->snd_max, tcb->snd_nxt + 1);
			return;
		}
		tcb->snd_nxt += len + fin;
		pipe += len + fin;
		if (fin)
			tcb->flags |= SB_TF_FIN_SENT;
		tcb->snd_max = sb_seq_max(tcb->snd_max, tcb->snd_nxt);
		if (!(tcb->tmask & SB_TT_REXMT) || (tcb->flags & SB_TF_PERSIST)) {
			tcb->flags &= (uint16_t)~SB_TF_PERSIST;
			tcp_rexmt_arm(ctx, tcb);
		} else {
			tcp_pto_rearm(ctx, tcb);
		}
		if (fin)
			break;
	}
	if (sack_rec && sent_new == 0)
		sent += sack_rexmt(ctx, tcb, &pipe, true);
	if (sent == 0 && (tcb->flags & SB_TF_ACKNOW))
		tcp_xmit(ctx, tcb, tcb->snd_nxt, 0, SB_TCP_ACK);
	if (sent == 0 && avail > 0 && tcb->snd_nxt == tcb->snd_una && !(tcb->tmask & SB_TT_REXMT))
		arm_persist(ctx, tcb);
}

void sb_tcp_output(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	switch (tcb->state) {
	case SB_TCPS_SYN_SENT:
	case SB_TCPS_SYN_RECEIVED:
		output_syn(ctx, tcb);
		break;
	case SB_TCPS_TIME_WAIT:
		if (tcb->flags & SB_TF_ACKNOW)
			tcp_xmit(ctx, tcb, tcb->snd_nxt, 0, SB_TCP_ACK);
		break;
	case SB_TCPS_ESTABLISHED:
	case SB_TCPS_FIN_WAIT_1:
	case SB_TCPS_FIN_WAIT_2:
	case SB_TCPS_CLOSE_WAIT:
	case SB_TCPS_CLOSING:
	case SB_TCPS_LAST_ACK:
		output_data(ctx, tcb);
		break;
	default:
		break;
	}
}

uint32_t sb_tcp_snd_queued(const struct sb_tcb *tcb)
{
	/* before ESTABLISHED, SND.UNA still names the SYN */
	return tcb->snd_end - tcb->snd_una - (tcp_synchronized(tcb) ? 0u : 1u);
}

int sb_tcp_send(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t len, uint64_t now_us)
{
	switch (tcb->state) {
	case SB_TCPS_SYN_SENT:
	case SB_TCPS_SYN_RECEIVED:
	case SB_TCPS_ESTABLISHED:
	case SB_TCPS_CLOSE_WAIT:
		break;
	default:
		return -EPIPE;
	}
	if (tcb->flags & SB_TF_FIN_QUEUED)
		return -EPIPE;
	/* Keep the whole queue well inside half the sequence space. */
	if (len > (1u << 30) || sb_tcp_snd_queued(tcb) + len > (1u << 30))
		return -EMSGSIZE;
	tcp_set_time(ctx, now_us);
	tcb->snd_end += len;
	if (tcp_synchronized(tcb))
		sb_tcp_output(ctx, tcb);
	return 0;
}

int sb_tcp_close(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint64_t now_us)
{
	tcp_set_time(ctx, now_us);
	switch (tcb->state) {
	case SB_TCPS_SYN_SENT:
		/* §3.10.4: nothing was promised to anyone; just forget it */
		tcp_timers_stop(ctx, tcb);
		tcb->state = SB_TCPS_CLOSED;
		return 0;
	case SB_TCPS_SYN_RECEIVED:
		tcb->flags |= SB_TF_FIN_QUEUED; /* FIN-WAIT-1 once ESTABLISHED */
		return 0;
	case SB_TCPS_ESTABLISHED:
		tcb->state = SB_TCPS_FIN_WAIT_1;
		break;
	case SB_TCPS_CLOSE_WAIT:
		tcb->state = SB_TCPS_LAST_ACK;
		break;
	case SB_TCPS_CLOSED:
	case SB_TCPS_LISTEN:
		return -ENOTCONN;
	default:
		return -EALREADY;
	}
	tcb->flags |= SB_TF_FIN_QUEUED;
	tcb->tmask &= (uint8_t)~SB_TT_KEEP;
	tcp_ooo_forget(ctx, tcb);
	sb_tcp_output(ctx, tcb);
	return 0;
}

void sb_tcp_abort(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint64_t now_us)
{
	tcp_set_time(ctx, now_us);
	/* §3.10.5: a RST only where the peer knows the connection */
	if (tcb->state >= SB_TCPS_SYN_RECEIVED && tcb->state <= SB_TCPS_CLOSE_WAIT)
		tcp_xmit(ctx, tcb, tcb->snd_nxt, 0, SB_TCP_RST | SB_TCP_ACK);
	tcp_timers_stop(ctx, tcb);
	tcp_ooo_forget(ctx, tcb);
	tcb->state = SB_TCPS_CLOSED;
}

void sb_tcp_set_rcv_space(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t bytes,
			  uint64_t now_us)
{
	uint32_t adv = sb_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	uint32_t step = bytes / 2 < ctx->cfg.mss ? bytes / 2 : ctx->cfg.mss;

	tcp_set_time(ctx, now_us);
	tcb->rcv_space = bytes;
	/* Receiver SWS avoidance (§3.8.6.2.2): announce an opening only once it
	 * is worth min(half the buffer, one MSS). */
	if (tcp_synchronized(tcb) && bytes > adv && bytes - adv >= step && step > 0) {
		tcb->flags |= SB_TF_ACKNOW;
		sb_tcp_output(ctx, tcb);
	}
}

/* RFC 1191 §6.4 / RFC 9293 §3.7.3: a router could not forward a segment of
 * ours. RFC 5927 §4.1 asks that the quoted sequence number lie in the
 * window of data in flight; the upper bound is SND.MAX, inclusive as in
 * Linux, because a timeout pulls SND.NXT back while later data may still
 * be in flight, and our own pure ACKs carry SEQ = SND.MAX. The MSS only
 * ever goes down here (an ICMP cannot raise it: RFC 1191 §6.3 leaves
 * increases to a later probe we do not do), never below the floor, and
 * what is in flight is resent at once at the new size (RFC 1191 §6.5): it
 * was dropped, and this is not congestion, so cwnd is left alone. */
int sb_tcp_pmtu(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t quoted_seq, uint32_t mtu,
		uint64_t now_us)
{
	uint32_t mss;

	if (tcb->state < SB_TCPS_ESTABLISHED || tcb->state > SB_TCPS_LAST_ACK) {
		tcp_count(ctx, SB_TCP_CNT_ICMP_PMTU_IGNORED);
		return -ENOTCONN;
	}
	if (sb_seq_lt(quoted_seq, tcb->snd_una) || sb_seq_gt(quoted_seq, tcb->snd_max)) {
		tcp_count(ctx, SB_TCP_CNT_ICMP_PMTU_BAD_SEQ);
		return -ERANGE;
	}
	if (mtu < SB_TCP_PMTU_MIN) {
		tcp_count(ctx, SB_TCP_CNT_ICMP_PMTU_CLAMPED);
		mtu = SB_TCP_PMTU_MIN;
	}
	mss = mtu - TCP_IPV4_HDRS;
	if (tcb->flags & SB_TF_TS)
		mss -= TCP_TS_OPT_LEN;
	if (mss >= tcb->snd_mss) {
		tcp_count(ctx, SB_TCP_CNT_ICMP_PMTU_IGNORED);
		return -EALREADY;
	}
	tcp_set_time(ctx, now_us);
	tcp_count(ctx, SB_TCP_CNT_ICMP_PMTU_APPLIED);
	tcb->snd_mss = (uint16_t)mss;
	if (tcb->snd_una != tcb->snd_max && !(tcb->flags & SB_TF_PERSIST)) {
		tcb->flags &= (uint16_t)~SB_TF_RTT; /* Karn: what follows is a resend */
		tcb->snd_nxt = tcb->snd_una;
		tcb->snd_rxt = tcb->snd_una;
		sb_tcp_output(ctx, tcb);
	}
	return 0;
}
