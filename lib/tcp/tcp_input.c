/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Segment arrival (RFC 9293 §3.10.7): one function per group of states, the
 * checks in the RFC's order (sequence and PAWS, RST, SYN, ACK, text, FIN),
 * with RFC 5961's challenge ACKs for in-window RSTs and SYNs and its ACK
 * range check, RFC 7323's PAWS and TS.Recent rules, RFC 5681/6582 NewReno
 * and RFC 2018 SACK on the ACK path. Also the opens (active, passive) and the
 * worker context. URG is not supported: urgent data is delivered inline as
 * ordinary data (RFC 6093 §5 recommends new applications not use it).
 */
#include <errno.h>
#include <string.h>

#include "tcp_priv.h"

enum ack_res {
	ACK_CONTINUE = 0,
	ACK_DROP,
	ACK_GONE,
};

int sb_tcp_ctx_init(struct sb_tcp_ctx *ctx, const struct sb_tcp_cfg *cfg,
		    const struct sb_tcp_ops *ops, void *user, struct sb_wheel *wheel,
		    const uint8_t key[16])
{
	if (ctx == NULL || ops == NULL || wheel == NULL || key == NULL || ops->emit == NULL ||
	    ops->deliver == NULL || ops->hold == NULL || ops->release == NULL ||
	    ops->acked == NULL || ops->event == NULL || ops->tw_expired == NULL)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	if (cfg != NULL)
		ctx->cfg = *cfg;
	else
		sb_tcp_cfg_default(&ctx->cfg);
	if (ctx->cfg.mss < 64 || ctx->cfg.mss_min < 64 || ctx->cfg.rcv_wscale > TCP_WSCALE_MAX ||
	    ctx->cfg.burst_max == 0 || ctx->cfg.ooo_pieces_max == 0 || ctx->cfg.rto_min_us == 0 ||
	    ctx->cfg.rto_init_us == 0 || ctx->cfg.rto_max_us < ctx->cfg.rto_min_us ||
	    ctx->cfg.init_cwnd_segs == 0)
		return -EINVAL;
	ctx->ooo_src_left = UINT32_MAX;
	ctx->ops = ops;
	ctx->user = user;
	ctx->wheel = wheel;
	memcpy(ctx->key, key, sizeof(ctx->key));
	return 0;
}

void tcp_tcb_init(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t iss)
{
	memset(tcb, 0, sizeof(*tcb));
	sb_wheel_timer_init(&tcb->timer);
	tcb->snd_una = iss;
	tcb->snd_nxt = iss;
	tcb->snd_max = iss;
	tcb->snd_end = iss + 1;
	tcb->recover = iss;
	tcb->snd_rxt = iss;
	tcb->rcv_space = ctx->cfg.rcv_space;
	tcb->rto_us = ctx->cfg.rto_init_us;
	tcb->snd_mss = ctx->cfg.mss;
	tcb->cwnd = (uint32_t)ctx->cfg.init_cwnd_segs * ctx->cfg.mss;
	tcb->ssthresh = UINT32_MAX; /* RFC 5681 §3.1: arbitrarily high */
}

/* Option negotiation on a received SYN or SYN-ACK (RFC 9293 §3.7.1, RFC 7323
 * §2-3, RFC 2018 §2): an option is on only if both sides sent it. */
void tcp_syn_options(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_opts *o)
{
	uint32_t mss = (o->present & SB_TCP_OPT_MSS) ? o->mss : TCP_MSS_DEFAULT;

	if (mss < ctx->cfg.mss_min) {
		/* tiny MSS makes us cut data into headers (CVE-2019-11479) */
		tcp_count(ctx, SB_TCP_CNT_RX_MSS_CLAMPED);
		mss = ctx->cfg.mss_min;
	}
	if (mss > ctx->cfg.mss)
		mss = ctx->cfg.mss;
	tcb->flags &= (uint16_t)~(SB_TF_TS | SB_TF_SACK | SB_TF_WSCALE);
	tcb->snd_wscale = 0;
	tcb->rcv_wscale = 0;
	if (ctx->cfg.wscale && (o->present & SB_TCP_OPT_WSCALE)) {
		tcb->flags |= SB_TF_WSCALE;
		tcb->snd_wscale = o->wscale;
		tcb->rcv_wscale = ctx->cfg.rcv_wscale;
	}
	if (ctx->cfg.sack && (o->present & SB_TCP_OPT_SACK_OK))
		tcb->flags |= SB_TF_SACK;
	if (ctx->cfg.ts && (o->present & SB_TCP_OPT_TS)) {
		/* TSecr times every ACK: rtt_seq's storage becomes TS.Recent's */
		tcb->flags = (uint16_t)((tcb->flags & ~SB_TF_RTT) | SB_TF_TS);
		tcb->ts_recent = o->tsval;
		tcb->ts_recent_ms = ctx->now_ms;
		mss -= TCP_TS_OPT_LEN;
	}
	tcb->snd_mss = (uint16_t)mss;
	tcb->cwnd = (uint32_t)ctx->cfg.init_cwnd_segs * mss;
}

static uint32_t syn_wnd(const struct sb_tcb *tcb)
{
	return tcb->rcv_space > TCP_WND_MAX ? TCP_WND_MAX : tcb->rcv_space;
}

int sb_tcp_connect(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t iss, uint64_t now_us)
{
	tcp_set_time(ctx, now_us);
	tcp_tcb_init(ctx, tcb, iss);
	tcb->state = SB_TCPS_SYN_SENT;
	if (ctx->cfg.ts)
		tcb->flags |= SB_TF_TS;
	if (ctx->cfg.sack)
		tcb->flags |= SB_TF_SACK;
	if (ctx->cfg.wscale) {
		tcb->flags |= SB_TF_WSCALE;
		tcb->rcv_wscale = ctx->cfg.rcv_wscale;
	}
	tcb->flags |= SB_TF_RTT;
	tcb->rtt_seq = iss;
	tcb->rtt_start_ms = ctx->now_ms;
	sb_tcp_output(ctx, tcb);
	return 0;
}

int sb_tcp_accept_syn(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		      uint32_t iss, uint64_t now_us)
{
	if ((seg->flags & (SB_TCP_SYN | SB_TCP_ACK | SB_TCP_RST | SB_TCP_FIN)) != SB_TCP_SYN)
		return -EINVAL;
	tcp_set_time(ctx, now_us);
	tcp_tcb_init(ctx, tcb, iss);
	tcb->state = SB_TCPS_SYN_RECEIVED;
	tcb->flags |= SB_TF_PASSIVE | SB_TF_RTT;
	tcb->rtt_seq = iss;
	tcb->rtt_start_ms = ctx->now_ms;
	tcb->rcv_nxt = seg->seq + 1;
	tcb->rcv_adv = tcb->rcv_nxt + syn_wnd(tcb);
	tcp_syn_options(ctx, tcb, &seg->opt);
	tcb->snd_wnd = seg->wnd; /* never scaled in a SYN (RFC 7323 §2.2) */
	tcb->max_snd_wnd = seg->wnd;
	tcb->snd_wl1 = seg->seq;
	sb_tcp_output(ctx, tcb);
	return 0;
}

static void rtt_on_ack(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg)
{
	if ((tcb->flags & SB_TF_TS) && (seg->opt.present & SB_TCP_OPT_TS) && seg->opt.tsecr != 0) {
		/* RFC 7323 §4.1: any ACK advancing SND.UNA gives a sample */
		tcp_rtt_sample(ctx, tcb, ctx->now_ms - seg->opt.tsecr);
		tcb->flags &= (uint16_t)~SB_TF_RTT;
	} else if ((tcb->flags & SB_TF_RTT) && sb_seq_gt(seg->ack, tcb->rtt_seq)) {
		tcp_rtt_sample(ctx, tcb, ctx->now_ms - tcb->rtt_start_ms);
		tcb->flags &= (uint16_t)~SB_TF_RTT;
	}
}

/* The handshake completed: RFC 6298 §5.7 wants an RTO of at least 3 s if a
 * SYN had to be retransmitted and no RTT sample could be taken. */
static void handshake_done(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	if (tcb->rxtshift > 0 && tcb->srtt_us == 0 && tcb->rto_us < 3000000u)
		tcb->rto_us = 3000000u;
	tcb->rxtshift = 0;
	tcp_timer_clear(ctx, tcb, SB_TT_REXMT);
	tcb->state = SB_TCPS_ESTABLISHED;
}

/* RFC 9293 §3.10.7.3 */
static uint32_t input_syn_sent(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb,
			       const struct sb_tcp_seg *seg)
{
	uint8_t f = seg->flags;
	bool ack_ok = false;

	if (f & SB_TCP_ACK) {
		if (sb_seq_leq(seg->ack, tcb->snd_una) || sb_seq_gt(seg->ack, tcb->snd_max)) {
			tcp_count(ctx, SB_TCP_CNT_RX_BAD_SYN_SENT);
			if (!(f & SB_TCP_RST))
				tcp_send_ctl(ctx, seg->ack, 0, SB_TCP_RST);
			return 0;
		}
		ack_ok = true;
	}
	if (f & SB_TCP_RST) {
		if (!ack_ok)
			return 0;
		tcp_count(ctx, SB_TCP_CNT_RX_RST);
		tcp_timers_stop(ctx, tcb);
		tcb->state = SB_TCPS_CLOSED;
		return TCP_EV(SB_TCP_EV_RESET);
	}
	if (!(f & SB_TCP_SYN))
		return 0;
	tcb->rcv_nxt = seg->seq + 1;
	tcb->rcv_adv = tcb->rcv_nxt + syn_wnd(tcb);
	tcp_syn_options(ctx, tcb, &seg->opt);
	tcb->snd_wnd = seg->wnd;
	tcb->max_snd_wnd = seg->wnd;
	tcb->snd_wl1 = seg->seq;
	if (!ack_ok) {
		/* simultaneous open: resend our SYN, now with the ACK */
		tcb->state = SB_TCPS_SYN_RECEIVED;
		tcb->snd_nxt = tcb->snd_una;
		return 0;
	}
	rtt_on_ack(ctx, tcb, seg);
	tcb->snd_una = seg->ack;
	handshake_done(ctx, tcb);
	tcb->flags |= SB_TF_ACKNOW;
	tcp_keep_reset(ctx, tcb);
	return TCP_EV(SB_TCP_EV_CONNECTED);
}

/* RFC 9293 §3.10.7.4, first check */
static bool seg_acceptable(const struct sb_tcb *tcb, const struct sb_tcp_seg *seg)
{
	uint32_t wnd = sb_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	uint32_t slen = seg->len + !!(seg->flags & SB_TCP_SYN) + !!(seg->flags & SB_TCP_FIN);
	uint32_t lo = tcb->rcv_nxt;

	if (wnd == 0)
		return seg->seq == lo; /* allowance for ACKs, RSTs and a bare FIN */
	/* A zero-length segment at the right edge is accepted too (Linux and
	 * the BSDs do the same): a sender that has filled our window sends its
	 * pure ACKs at SEG.SEQ = RCV.NXT + RCV.WND, and refusing them throws
	 * its acknowledgments away. With our data unacknowledged, its data
	 * waiting behind a hole and our application's window closed, neither
	 * side would move again (found by the tcp_impaired test). */
	if (slen == 0)
		return sb_seq_in(seg->seq, lo, lo + wnd + 1);
	return sb_seq_in(seg->seq, lo, lo + wnd) || sb_seq_in(seg->seq + slen - 1, lo, lo + wnd);
}

/* Loss recovery starts (RFC 5681 §3.2, RFC 6582 §3.2 step 2, RFC 6675 §5
 * step 4): only for losses past the last recovery point. */
static void enter_recovery(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	struct sb_tcp_range hole;
	uint32_t n, half = tcp_flight(tcb) / 2, max = tcb->snd_mss;

	tcp_count(ctx, SB_TCP_CNT_TX_FAST_REXMT);
	tcb->ssthresh = half > 2u * tcb->snd_mss ? half : 2u * tcb->snd_mss;
	tcb->recover = tcb->snd_max - 1;
	tcb->flags = (uint16_t)((tcb->flags & ~(SB_TF_PTO | SB_TF_TLP_OUT)) | SB_TF_RECOVERY);
	if (!(tcb->flags & SB_TF_PERSIST))
		tcp_timer_set(ctx, tcb, SB_TT_REXMT, tcp_rto_ms(ctx, tcb)); /* no probe now */
	if ((tcb->flags & SB_TF_SACK) && tcp_sack_next_hole(tcb, tcb->snd_una, &hole) &&
	    hole.end - hole.start < max)
		max = hole.end - hole.start;
	n = tcp_rexmt_one(ctx, tcb, tcb->snd_una, max);
	tcb->snd_rxt = tcb->snd_una + n;
	tcb->rxt_mark = tcb->snd_max;
	/* With SACK the pipe, not an inflated window, paces what follows
	 * (RFC 6675 §5 step 4.2); NewReno inflates by the three ACKs. */
	tcb->cwnd = tcb->ssthresh + ((tcb->flags & SB_TF_SACK) ? 0u : 3u * tcb->snd_mss);
}

/* DupThresh: 3, or fewer when fewer than four segments are out and no new
 * one may go, so that not enough duplicates can ever arrive (RFC 5827 §3.1,
 * segment-based: oseg - 1). */
static uint32_t dup_thresh(const struct sb_tcb *tcb)
{
	uint32_t oseg = (tcp_flight(tcb) + tcb->snd_mss - 1) / tcb->snd_mss;
	uint32_t avail = sb_seq_lt(tcb->snd_max, tcb->snd_end) ? tcb->snd_end - tcb->snd_max : 0;

	if (oseg >= 4 || oseg < 2)
		return 3;
	if (avail > 0 && sb_seq_leq(tcb->snd_max + (avail < tcb->snd_mss ? avail : tcb->snd_mss),
				    tcb->snd_una + tcb->snd_wnd))
		return 3;
	return oseg - 1;
}

static void dupack(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t thresh;
	bool lost;

	if (tcb->dupacks < UINT8_MAX)
		tcb->dupacks++;
	if (tcb->flags & SB_TF_RECOVERY) {
		if (!(tcb->flags & SB_TF_SACK))
			tcb->cwnd += tcb->snd_mss; /* RFC 5681 §3.2 step 4: inflate */
		return;
	}
	/* RFC 6675 §5 step 3: DupThresh ACKs, or IsLost(HighACK + 1) */
	thresh = dup_thresh(tcb);
	lost = tcb->dupacks >= thresh ||
	       ((tcb->flags & SB_TF_SACK) && tcp_sack_lost(tcb, tcb->snd_una));
	if (!lost || !sb_seq_gt(tcb->snd_una, tcb->recover))
		return;
	if (tcb->dupacks < 3 && thresh < 3)
		tcp_count(ctx, SB_TCP_CNT_TX_EARLY_REXMT);
	enter_recovery(ctx, tcb);
}

/* A SACK in recovery that covers more than 2 * SMSS sent after the last
 * hole was resent: that resend should have arrived before them, so it was
 * lost too. Another round resends the holes still open (the timer's job,
 * done a round trip earlier: what RACK, RFC 8985, does with time). */
static void rexmt_lost_check(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	if (sb_seq_leq(tcb->snd_rxt, tcb->snd_una) ||
	    tcp_sack_bytes_above(tcb, tcb->rxt_mark) <= 2u * tcb->snd_mss)
		return;
	tcp_count(ctx, SB_TCP_CNT_TX_REXMT_LOST);
	tcb->snd_rxt = tcb->snd_una;
	tcb->rxt_mark = tcb->snd_max;
}

/* NewReno (RFC 6582 §3.2 step 3) and RFC 5681 §3.1 growth. */
static void cc_on_ack(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t acked)
{
	uint32_t mss = tcb->snd_mss;

	if (tcb->flags & SB_TF_RECOVERY) {
		if (sb_seq_gt(tcb->snd_una, tcb->recover)) {
			uint32_t fl = tcp_flight(tcb);

			tcb->cwnd = sb_seq_min(tcb->ssthresh, (fl > mss ? fl : mss) + mss);
			tcb->flags &= (uint16_t)~SB_TF_RECOVERY;
		} else if (!(tcb->flags & SB_TF_SACK)) {
			uint32_t from = tcb->snd_una, n;

			n = tcp_rexmt_one(ctx, tcb, from, mss);
			tcb->snd_rxt = sb_seq_max(tcb->snd_rxt, from + n);
			tcb->cwnd = tcb->cwnd > acked ? tcb->cwnd - acked : 0;
			if (acked >= mss)
				tcb->cwnd += mss;
			if (tcb->cwnd < mss)
				tcb->cwnd = mss;
		}
	} else if (tcb->cwnd < tcb->ssthresh) {
		tcb->cwnd += acked < mss ? acked : mss;
	} else {
		uint32_t inc = mss * mss / tcb->cwnd;

		tcb->cwnd += inc ? inc : 1;
	}
	tcb->dupacks = 0;
}

static void ack_new(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg)
{
	uint32_t acked = seg->ack - tcb->snd_una;
	bool fin_acked = (tcb->flags & SB_TF_FIN_SENT) && seg->ack == tcb->snd_end + 1;
	uint32_t data = acked - fin_acked;

	rtt_on_ack(ctx, tcb, seg);
	tcb->rxtshift = 0;
	tcb->flags &= (uint16_t)~SB_TF_TLP_OUT;
	tcb->snd_una = seg->ack;
	if (sb_seq_lt(tcb->snd_nxt, tcb->snd_una))
		tcb->snd_nxt = tcb->snd_una;
	tcb->snd_rxt = sb_seq_max(tcb->snd_rxt, tcb->snd_una);
	if (data > 0)
		ctx->ops->acked(ctx->user, tcb, data);
	tcp_sack_trim(tcb);
	cc_on_ack(ctx, tcb, acked);
	if (!(tcb->flags & SB_TF_PERSIST)) {
		if (tcb->snd_una == tcb->snd_max)
			tcp_timer_clear(ctx, tcb, SB_TT_REXMT);
		else
			tcp_rexmt_arm(ctx, tcb);
	}
}

/* What our FIN being acknowledged does to the state (§3.10.7.4 ACK check). */
static enum ack_res ack_state(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t *ev)
{
	bool fin_acked = (tcb->flags & SB_TF_FIN_SENT) && tcb->snd_una == tcb->snd_end + 1;

	if (!fin_acked)
		return ACK_CONTINUE;
	switch (tcb->state) {
	case SB_TCPS_FIN_WAIT_1:
		tcb->state = SB_TCPS_FIN_WAIT_2;
		tcp_timer_set(ctx, tcb, SB_TT_KEEP, ctx->cfg.fin_wait_2_ms);
		break;
	case SB_TCPS_CLOSING:
		tcp_enter_time_wait(ctx, tcb);
		*ev |= TCP_EV(SB_TCP_EV_TIME_WAIT);
		break;
	case SB_TCPS_LAST_ACK:
		tcp_timers_stop(ctx, tcb);
		tcb->state = SB_TCPS_CLOSED;
		*ev |= TCP_EV(SB_TCP_EV_CLOSED);
		return ACK_GONE;
	default:
		break;
	}
	return ACK_CONTINUE;
}

static enum ack_res ack_process(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb,
				const struct sb_tcp_seg *seg, uint32_t *ev)
{
	uint32_t ack = seg->ack;
	uint32_t wnd = (uint32_t)seg->wnd << tcb->snd_wscale;
	bool news = false;

	if (sb_seq_gt(ack, tcb->snd_max)) {
		tcp_count(ctx, SB_TCP_CNT_RX_ACK_UNSENT);
		tcb->flags |= SB_TF_ACKNOW;
		return ACK_DROP;
	}
	if (sb_seq_lt(ack, tcb->snd_una - tcb->max_snd_wnd)) {
		tcp_count(ctx, SB_TCP_CNT_RX_ACK_TOO_OLD);
		tcp_challenge_ack(ctx, tcb);
		return ACK_DROP;
	}
	if ((tcb->flags & SB_TF_SACK) && (seg->opt.present & SB_TCP_OPT_SACK))
		news = tcp_sack_update(tcb, &seg->opt);
	if (sb_seq_gt(ack, tcb->snd_una))
		ack_new(ctx, tcb, seg);
	else if (ack == tcb->snd_una && tcb->snd_max != tcb->snd_una &&
		 !(tcb->flags & SB_TF_PERSIST) &&
		 ((tcb->flags & SB_TF_SACK) ? news
					    : seg->len == 0 && !(seg->flags & SB_TCP_FIN) &&
						      wnd == tcb->snd_wnd))
		dupack(ctx, tcb); /* RFC 6675 §2 with SACK, else RFC 5681 §2 */
	if (ack == tcb->snd_una && (tcb->flags & SB_TF_TLP_OUT) && tcb->sacked_n > 0 &&
	    !(tcb->flags & (SB_TF_RECOVERY | SB_TF_PERSIST)) &&
	    sb_seq_gt(tcb->snd_una, tcb->recover)) {
		/* The probe went 2 * SRTT after the tail, and its ACK still
		 * shows the hole at SND.UNA: that segment is older than any
		 * reordering window, lost (RFC 8985 §6.2, §7.4). The ACK may
		 * bring nothing new (the probe repeated a SACKed segment). */
		tcp_count(ctx, SB_TCP_CNT_TX_TLP_RECOVERY);
		enter_recovery(ctx, tcb);
	}
	if (news && (tcb->flags & SB_TF_RECOVERY)) {
		rexmt_lost_check(ctx, tcb);
		/* Recovery is making progress: the pipe, not the timer, drives
		 * it; the timer stays for when nothing comes back at all. */
		if (!(tcb->flags & SB_TF_PERSIST) && tcb->snd_una != tcb->snd_max)
			tcp_timer_set(ctx, tcb, SB_TT_REXMT, tcp_rto_ms(ctx, tcb));
	}
	/* RFC 9293 §3.10.7.4 window update, SND.WL2 =< SEG.ACK read as
	 * SEG.ACK >= SND.UNA (as Linux): an older ACK never moves the window. */
	if (sb_seq_lt(tcb->snd_wl1, seg->seq) ||
	    (tcb->snd_wl1 == seg->seq && sb_seq_geq(ack, tcb->snd_una))) {
		tcb->snd_wnd = wnd;
		tcb->snd_wl1 = seg->seq;
		if (wnd > tcb->max_snd_wnd)
			tcb->max_snd_wnd = wnd;
		if ((tcb->flags & SB_TF_PERSIST) && wnd > 0) {
			tcb->flags &= (uint16_t)~SB_TF_PERSIST;
			tcb->tmask &= (uint8_t)~SB_TT_REXMT;
			tcb->rxtshift = 0;
		}
	}
	return ack_state(ctx, tcb, ev);
}

static void rcv_fin(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t *ev)
{
	tcb->rcv_nxt++;
	tcb->flags |= SB_TF_ACKNOW | SB_TF_PEER_FIN;
	*ev |= TCP_EV(SB_TCP_EV_PEER_FIN);
	switch (tcb->state) {
	case SB_TCPS_ESTABLISHED:
		tcb->state = SB_TCPS_CLOSE_WAIT;
		break;
	case SB_TCPS_FIN_WAIT_1:
		if ((tcb->flags & SB_TF_FIN_SENT) && tcb->snd_una == tcb->snd_end + 1) {
			tcp_enter_time_wait(ctx, tcb);
			*ev |= TCP_EV(SB_TCP_EV_TIME_WAIT);
		} else {
			tcb->state = SB_TCPS_CLOSING;
		}
		break;
	case SB_TCPS_FIN_WAIT_2:
		tcp_enter_time_wait(ctx, tcb);
		*ev |= TCP_EV(SB_TCP_EV_TIME_WAIT);
		break;
	default:
		break;
	}
}

/* In-order bytes [RCV.NXT, RCV.NXT + len) of seg at payload offset skip:
 * delivered, then any held range they reach is released. Returns true when
 * that released the peer's FIN. */
static bool rcv_inorder(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
			uint32_t skip, uint32_t len)
{
	uint32_t base = tcb->rcv_nxt, end = base + len, cur = base;

	for (;;) {
		uint32_t lim = end;

		if (tcb->ooo_n > 0 && sb_seq_lt(tcb->ooo[0].start, lim))
			lim = tcb->ooo[0].start;
		if (sb_seq_gt(lim, cur)) {
			ctx->ops->deliver(ctx->user, tcb, seg, skip + (cur - base), lim - cur);
			cur = lim;
			tcb->rcv_nxt = cur;
		}
		if (tcb->ooo_n == 0 || sb_seq_gt(tcb->ooo[0].start, tcb->rcv_nxt))
			return false;
		ctx->ops->release(ctx->user, tcb, tcb->ooo[0].end);
		tcb->rcv_nxt = sb_seq_max(tcb->rcv_nxt, tcb->ooo[0].end);
		tcb->ooo_n--;
		memmove(tcb->ooo, tcb->ooo + 1, tcb->ooo_n * sizeof(tcb->ooo[0]));
		tcb->ooo_last = tcb->ooo_last ? (uint8_t)(tcb->ooo_last - 1) : 0;
		if (tcb->ooo_n == 0) {
			tcp_ooo_uncharge(ctx, tcb);
			if (tcb->flags & SB_TF_OOO_FIN) {
				tcb->flags &= (uint16_t)~SB_TF_OOO_FIN;
				return true;
			}
		}
		cur = sb_seq_max(cur, tcb->rcv_nxt);
		if (!sb_seq_lt(cur, end))
			return false;
	}
}

/* Out-of-order text after the application's close: refused, not held. */
static void rcv_closed(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t len)
{
	tcb->flags |= SB_TF_ACKNOW;
	if (len > 0)
		tcp_count(ctx, SB_TCP_CNT_RX_OOO_CLOSED);
}

/* §3.10.7.4 seventh and eighth checks: segment text and FIN. */
static void rcv_text(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		     uint32_t data_seq, uint32_t *ev)
{
	uint32_t len = seg->len, skip = 0, edge;
	bool fin = (seg->flags & SB_TCP_FIN) != 0, fin_rel = false;

	if (tcb->state != SB_TCPS_ESTABLISHED && tcb->state != SB_TCPS_FIN_WAIT_1 &&
	    tcb->state != SB_TCPS_FIN_WAIT_2) {
		if (seg->len > 0)
			tcp_count(ctx, SB_TCP_CNT_RX_DATA_AFTER_FIN);
		return; /* the peer's FIN came already: nothing more is text */
	}
	if (len == 0 && !fin)
		return;
	if (sb_seq_lt(data_seq, tcb->rcv_nxt)) {
		uint32_t d = tcb->rcv_nxt - data_seq;

		if (d > len || (d == len && !fin)) {
			tcp_count(ctx, SB_TCP_CNT_RX_DUP_DATA);
			tcb->flags |= SB_TF_ACKNOW;
			return;
		}
		skip = d;
		len -= d;
		data_seq = tcb->rcv_nxt;
	}
	edge = sb_seq_max(tcb->rcv_adv, tcb->rcv_nxt);
	if (sb_seq_gt(data_seq + len, edge)) {
		len = sb_seq_gt(edge, data_seq) ? edge - data_seq : 0;
		fin = false;
		tcp_count(ctx, SB_TCP_CNT_RX_ZERO_WINDOW_DROP);
		tcb->flags |= SB_TF_ACKNOW;
	}
	if ((tcb->flags & SB_TF_FIN_QUEUED) && data_seq != tcb->rcv_nxt) {
		/* After the application's close nothing is held out of order;
		 * in-order bytes still go to it (a half-closed peer's last
		 * words, such as </stream:stream>, are still read). */
		rcv_closed(ctx, tcb, len);
		return;
	}
	if (data_seq != tcb->rcv_nxt) {
		/* A FIN beyond a hole is remembered only where it ends the data
		 * held; anywhere else the peer will send it again. */
		if ((len == 0 || tcp_ooo_add(ctx, tcb, seg, skip, data_seq, len)) && fin &&
		    tcb->ooo_n > 0 && data_seq + len == tcb->ooo[tcb->ooo_n - 1].end)
			tcb->flags |= SB_TF_OOO_FIN;
		tcb->flags |= SB_TF_ACKNOW; /* dup ACK with SACK (RFC 5681 §4.2) */
		return;
	}
	if (len > 0) {
		bool had_ooo = tcb->ooo_n > 0;

		fin_rel = rcv_inorder(ctx, tcb, seg, skip, len);
		/* RFC 5681 §4.2 / RFC 9293 §3.8.6.3: ACK every second segment and
		 * at once when a hole is being filled. */
		if (had_ooo || tcb->ooo_n > 0 || (tcb->flags & SB_TF_DELACK)) {
			tcb->flags |= SB_TF_ACKNOW;
		} else {
			tcb->flags |= SB_TF_DELACK;
			tcp_timer_set(ctx, tcb, SB_TT_DELACK, ctx->cfg.delack_ms);
		}
	}
	if (fin_rel || (fin && data_seq + len == tcb->rcv_nxt))
		rcv_fin(ctx, tcb, ev);
}

/* RFC 9293 §3.10.7.4, TIME-WAIT: only a retransmission of the peer's FIN
 * (ending exactly at RCV.NXT) restarts 2MSL; any other FIN is answered
 * but must not keep the connection alive. */
static void tw_fin(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg)
{
	if (seg->seq + seg->len + 1u == tcb->rcv_nxt)
		tcp_timer_set(ctx, tcb, SB_TT_KEEP, 2u * ctx->cfg.msl_ms);
	else
		tcp_count(ctx, SB_TCP_CNT_TW_FIN_BAD_SEQ);
}

/* PAWS, acceptability, RST and SYN checks (§3.10.7.4 first to fourth).
 * Returns true when the segment goes no further; *ev may carry RESET. */
static bool input_checks(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
			 uint32_t *ev)
{
	uint8_t f = seg->flags;

	if ((tcb->flags & SB_TF_TS) && (seg->opt.present & SB_TCP_OPT_TS) && !(f & SB_TCP_RST) &&
	    sb_seq_lt(seg->opt.tsval, tcb->ts_recent) &&
	    ctx->now_ms - tcb->ts_recent_ms <= TCP_PAWS_IDLE_MS) {
		tcp_count(ctx, SB_TCP_CNT_RX_PAWS); /* RFC 7323 §5.3 R1 */
		tcb->flags |= SB_TF_ACKNOW;
		return true;
	}
	if (!seg_acceptable(tcb, seg)) {
		if (f & SB_TCP_RST) {
			tcp_count(ctx, SB_TCP_CNT_RX_RST_OUT_OF_WINDOW);
			return true;
		}
		tcp_count(ctx, SB_TCP_CNT_RX_NOT_ACCEPTABLE);
		tcb->flags |= SB_TF_ACKNOW;
		if (tcb->state == SB_TCPS_TIME_WAIT && (f & SB_TCP_FIN))
			tw_fin(ctx, tcb, seg);
		return true;
	}
	if ((f & SB_TCP_RST) && tcb->state == SB_TCPS_TIME_WAIT) {
		tcp_count(ctx, SB_TCP_CNT_TW_DROP); /* RFC 1337: no TIME-WAIT assassination */
		return true;
	}
	if (f & SB_TCP_RST) {
		if (seg->seq != tcb->rcv_nxt) {
			tcp_count(ctx, SB_TCP_CNT_RX_RST_CHALLENGED); /* RFC 5961 §3.2 */
			tcp_challenge_ack(ctx, tcb);
			return true;
		}
		tcp_count(ctx, SB_TCP_CNT_RX_RST);
		*ev |= tcb->state >= SB_TCPS_CLOSING ? TCP_EV(SB_TCP_EV_CLOSED)
						     : TCP_EV(SB_TCP_EV_RESET); /* §3.10.7.4 */
		tcp_timers_stop(ctx, tcb);
		tcb->state = SB_TCPS_CLOSED;
		return true;
	}
	if (f & SB_TCP_SYN) {
		tcp_count(ctx, SB_TCP_CNT_RX_SYN_CHALLENGED); /* RFC 5961 §4 */
		tcp_challenge_ack(ctx, tcb);
		return true;
	}
	if (!(f & SB_TCP_ACK)) {
		tcp_count(ctx, SB_TCP_CNT_RX_NO_ACK);
		return true;
	}
	return false;
}

/* SYN-RECEIVED's ACK check: the handshake completes or the ACK is refused. */
static bool syn_rcvd_ack(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
			 uint32_t *ev)
{
	if (!sb_seq_lt(tcb->snd_una, seg->ack) || sb_seq_gt(seg->ack, tcb->snd_max)) {
		tcp_count(ctx, SB_TCP_CNT_RX_BAD_SYN_RCVD);
		tcp_send_ctl(ctx, seg->ack, 0, SB_TCP_RST);
		return false;
	}
	rtt_on_ack(ctx, tcb, seg);
	tcb->snd_una++; /* our SYN */
	handshake_done(ctx, tcb);
	tcb->snd_wnd = (uint32_t)seg->wnd << tcb->snd_wscale;
	tcb->max_snd_wnd = tcb->snd_wnd;
	tcb->snd_wl1 = seg->seq;
	*ev |= (tcb->flags & SB_TF_PASSIVE) ? TCP_EV(SB_TCP_EV_ACCEPTED)
					    : TCP_EV(SB_TCP_EV_CONNECTED);
	if (tcb->flags & SB_TF_FIN_QUEUED)
		tcb->state = SB_TCPS_FIN_WAIT_1; /* closed while the handshake ran */
	return true;
}

static uint32_t input_sync(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb,
			   const struct sb_tcp_seg *seg)
{
	uint32_t ev = 0;

	if (tcb->state == SB_TCPS_SYN_RECEIVED &&
	    (seg->flags & (SB_TCP_SYN | SB_TCP_ACK | SB_TCP_RST)) == SB_TCP_SYN &&
	    seg->seq + 1 == tcb->rcv_nxt) {
		tcb->snd_nxt = tcb->snd_una; /* our SYN-ACK was lost: send it again */
		return 0;
	}
	if (input_checks(ctx, tcb, seg, &ev))
		return ev;
	/* RFC 7323 §4.3: TS.Recent follows the segment at the left window edge */
	if ((tcb->flags & SB_TF_TS) && (seg->opt.present & SB_TCP_OPT_TS) &&
	    sb_seq_leq(seg->seq, tcb->last_ack_sent)) {
		tcb->ts_recent = seg->opt.tsval;
		tcb->ts_recent_ms = ctx->now_ms;
	}
	if (tcb->state == SB_TCPS_SYN_RECEIVED && !syn_rcvd_ack(ctx, tcb, seg, &ev))
		return ev;
	if (ack_process(ctx, tcb, seg, &ev) != ACK_CONTINUE)
		return ev;
	tcp_keep_reset(ctx, tcb);
	rcv_text(ctx, tcb, seg, seg->seq, &ev);
	return ev;
}

void sb_tcp_input(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		  uint64_t now_us)
{
	uint32_t ev;

	tcp_set_time(ctx, now_us);
	switch (tcb->state) {
	case SB_TCPS_SYN_SENT:
		ev = input_syn_sent(ctx, tcb, seg);
		if (tcb->state == SB_TCPS_ESTABLISHED && (seg->len > 0 || (seg->flags & SB_TCP_FIN)))
			rcv_text(ctx, tcb, seg, seg->seq + 1, &ev);
		break;
	case SB_TCPS_SYN_RECEIVED:
	case SB_TCPS_ESTABLISHED:
	case SB_TCPS_FIN_WAIT_1:
	case SB_TCPS_FIN_WAIT_2:
	case SB_TCPS_CLOSE_WAIT:
	case SB_TCPS_CLOSING:
	case SB_TCPS_LAST_ACK:
	case SB_TCPS_TIME_WAIT:
		ev = input_sync(ctx, tcb, seg);
		break;
	default:
		return;
	}
	sb_tcp_output(ctx, tcb);
	tcp_events_fire(ctx, tcb, ev);
}
