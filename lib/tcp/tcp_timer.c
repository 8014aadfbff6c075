/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Connection timers: retransmission with the RTO of RFC 6298 and exponential
 * backoff (§5.5), zero-window persist (RFC 9293 §3.8.6.1), delayed ACK
 * (§3.8.6.3), keepalive (§3.8.4, RFC 1122 §4.2.3.6), the FIN-WAIT-2 limit and
 * TIME-WAIT's 2*MSL (§3.10.7.4), plus the compact TIME-WAIT record (RFC 6191).
 *
 * One wheel node per TCB, armed at the earliest live deadline. Moving a
 * deadline later only writes the TCB; the node fires early, finds nothing
 * due and re-arms for what is left. Deadlines are 32-bit milliseconds
 * compared on the circle, so they survive the clock wrapping.
 */
#include "tcp_priv.h"

#define TCP_RTO_G_US 1000u /* clock granularity G of RFC 6298 §2: 1 ms */

static uint64_t tick_of(const struct sb_tcp_ctx *ctx, uint32_t deadline_ms)
{
	int32_t d = (int32_t)(deadline_ms - ctx->now_ms);
	uint64_t now_tick = ctx->now_us / 1000u;

	return d <= 0 ? now_tick : now_tick + (uint64_t)d;
}

static void timer_sched(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t best = 0;
	bool any = false;
	uint64_t tick;

	if (tcb->tmask & SB_TT_REXMT) {
		best = tcb->t_rexmt_ms;
		any = true;
	}
	if ((tcb->tmask & SB_TT_DELACK) && (!any || sb_seq_lt(tcb->t_delack_ms, best))) {
		best = tcb->t_delack_ms;
		any = true;
	}
	if ((tcb->tmask & SB_TT_KEEP) && (!any || sb_seq_lt(tcb->t_keep_ms, best))) {
		best = tcb->t_keep_ms;
		any = true;
	}
	if (!any) {
		sb_wheel_cancel(ctx->wheel, &tcb->timer);
		return;
	}
	tick = tick_of(ctx, best);
	if (!sb_wheel_timer_armed(&tcb->timer) || tick < tcb->timer.expire_tick)
		sb_wheel_arm(ctx->wheel, &tcb->timer, tick);
}

void tcp_timer_set(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint8_t which, uint32_t ms)
{
	uint32_t at = ctx->now_ms + ms;

	if (which == SB_TT_REXMT)
		tcb->t_rexmt_ms = at;
	else if (which == SB_TT_DELACK)
		tcb->t_delack_ms = at;
	else
		tcb->t_keep_ms = at;
	tcb->tmask |= which;
	timer_sched(ctx, tcb);
}

void tcp_timer_clear(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint8_t which)
{
	/* Lazy: the node fires and finds nothing due unless nothing is left. */
	tcb->tmask &= (uint8_t)~which;
	if (tcb->tmask == 0)
		sb_wheel_cancel(ctx->wheel, &tcb->timer);
}

void tcp_timers_stop(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	tcb->tmask = 0;
	tcb->flags &= (uint16_t)~(SB_TF_PERSIST | SB_TF_DELACK | SB_TF_PTO | SB_TF_TLP_OUT);
	sb_wheel_cancel(ctx->wheel, &tcb->timer);
}

/* The backed-off RTO (RFC 6298 §5.5), capped at rto_max_us (§2.5). */
uint32_t tcp_rto_ms(const struct sb_tcp_ctx *ctx, const struct sb_tcb *tcb)
{
	uint64_t rto = (uint64_t)tcb->rto_us << (tcb->rxtshift > 20 ? 20 : tcb->rxtshift);

	if (rto > ctx->cfg.rto_max_us)
		rto = ctx->cfg.rto_max_us;
	return (uint32_t)((rto + 999u) / 1000u);
}

#define TCP_TLP_MIN_MS 10u      /* RFC 8985 §7.2 leaves the floor to timer granularity */
#define TCP_TLP_DELACK_MS 200u  /* RFC 8985 §7.2 WCDelAckT: a lone segment's ACK may wait */

/* Data is in flight and the retransmit deadline (re)starts: a tail loss
 * probe at 2 * SRTT (RFC 8985 §7.2) when it comes before the RTO, so a lost
 * tail is found by SACK a round trip later instead of by a timeout. Only
 * with SACK (the probe's ACK must say what is missing), an RTT sample, and
 * outside recovery, persist and backoff. */
static uint32_t pto_ms(const struct sb_tcp_ctx *ctx, const struct sb_tcb *tcb)
{
	uint32_t pto;

	if (!ctx->cfg.tlp || !(tcb->flags & SB_TF_SACK) || tcb->srtt_us == 0 ||
	    tcb->rxtshift != 0 || (tcb->flags & (SB_TF_RECOVERY | SB_TF_PERSIST)))
		return UINT32_MAX;
	pto = 2u * ((tcb->srtt_us + 999u) / 1000u);
	if (tcp_flight(tcb) <= tcb->snd_mss)
		pto += TCP_TLP_DELACK_MS;
	return pto < TCP_TLP_MIN_MS ? TCP_TLP_MIN_MS : pto;
}

void tcp_rexmt_arm(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t rto = tcp_rto_ms(ctx, tcb), pto = pto_ms(ctx, tcb);

	tcb->flags &= (uint16_t)~SB_TF_PTO;
	if (pto < rto) {
		tcb->flags |= SB_TF_PTO;
		rto = pto;
	}
	tcp_timer_set(ctx, tcb, SB_TT_REXMT, rto);
}

/* New data went while the deadline runs: a probe follows the newest data
 * (RFC 8985 §7.2), but an RTO is never pushed later by sending. */
void tcp_pto_rearm(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t pto = pto_ms(ctx, tcb);

	if (pto == UINT32_MAX)
		return;
	if ((tcb->flags & SB_TF_PTO) || sb_seq_lt(ctx->now_ms + pto, tcb->t_rexmt_ms)) {
		tcb->flags |= SB_TF_PTO;
		tcp_timer_set(ctx, tcb, SB_TT_REXMT, pto);
	}
}

/* RFC 8985 §7.3: the probe is one new segment if the window lets one go,
 * else the last segment sent again; then the RTO takes over. Not a timeout:
 * no backoff, cwnd untouched. */
static void timer_probe(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t avail = sb_seq_lt(tcb->snd_max, tcb->snd_end) ? tcb->snd_end - tcb->snd_max : 0;
	uint32_t len = avail < tcp_seg_max(tcb) ? avail : tcp_seg_max(tcb);
	uint32_t data_end = sb_seq_lt(tcb->snd_max, tcb->snd_end) ? tcb->snd_max : tcb->snd_end;
	uint32_t seq;

	tcb->flags = (uint16_t)((tcb->flags & ~SB_TF_PTO) | SB_TF_TLP_OUT);
	tcp_count(ctx, SB_TCP_CNT_TX_TLP);
	if (len > 0 && tcb->snd_nxt == tcb->snd_max &&
	    sb_seq_leq(tcb->snd_max + len, tcb->snd_una + tcb->snd_wnd)) {
		bool fin = (tcb->flags & SB_TF_FIN_QUEUED) && tcb->snd_nxt + len == tcb->snd_end;

		tcp_xmit(ctx, tcb, tcb->snd_nxt, len,
			 SB_TCP_ACK | (len == avail ? SB_TCP_PSH : 0) | (fin ? SB_TCP_FIN : 0));
		tcb->snd_nxt += len + fin;
		tcb->snd_max = tcb->snd_nxt;
		if (fin)
			tcb->flags |= SB_TF_FIN_SENT;
	} else {
		seq = data_end - tcb->snd_una > tcp_seg_max(tcb) ? data_end - tcp_seg_max(tcb)
								  : tcb->snd_una;
		tcp_rexmt_one(ctx, tcb, seq, data_end - seq);
	}
	tcp_timer_set(ctx, tcb, SB_TT_REXMT, tcp_rto_ms(ctx, tcb));
}

/* RFC 6298 §2.2-2.4 */
void tcp_rtt_sample(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t rtt_ms)
{
	uint32_t r = rtt_ms * 1000u;
	uint64_t rto;

	if (rtt_ms > 600000u)
		return; /* a TSecr from another lifetime, not a measurement */
	if (tcb->srtt_us == 0) {
		tcb->srtt_us = r ? r : 1;
		tcb->rttvar_us = r / 2;
	} else {
		uint32_t err = r > tcb->srtt_us ? r - tcb->srtt_us : tcb->srtt_us - r;

		tcb->rttvar_us = tcb->rttvar_us - tcb->rttvar_us / 4 + err / 4;
		tcb->srtt_us = tcb->srtt_us - tcb->srtt_us / 8 + r / 8;
	}
	rto = (uint64_t)tcb->srtt_us +
	      (4u * (uint64_t)tcb->rttvar_us > TCP_RTO_G_US ? 4u * (uint64_t)tcb->rttvar_us
							    : TCP_RTO_G_US);
	if (rto < ctx->cfg.rto_min_us)
		rto = ctx->cfg.rto_min_us;
	if (rto > ctx->cfg.rto_max_us)
		rto = ctx->cfg.rto_max_us;
	tcb->rto_us = (uint32_t)rto;
}

void tcp_keep_reset(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	tcb->keep_probes = 0;
	if (ctx->cfg.keep_idle_ms == 0 ||
	    (tcb->state != SB_TCPS_ESTABLISHED && tcb->state != SB_TCPS_CLOSE_WAIT))
		return;
	tcb->t_keep_ms = ctx->now_ms + ctx->cfg.keep_idle_ms;
	if (!(tcb->tmask & SB_TT_KEEP))
		tcp_timer_set(ctx, tcb, SB_TT_KEEP, ctx->cfg.keep_idle_ms);
}

void tcp_enter_time_wait(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	tcb->state = SB_TCPS_TIME_WAIT;
	tcp_timers_stop(ctx, tcb);
	tcp_timer_set(ctx, tcb, SB_TT_KEEP, 2u * ctx->cfg.msl_ms);
}

static bool timer_drop(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, enum sb_tcp_cnt c)
{
	tcp_count(ctx, c);
	if (tcp_synchronized(tcb) || tcb->state == SB_TCPS_SYN_RECEIVED)
		tcp_xmit(ctx, tcb, tcb->snd_nxt, 0, SB_TCP_RST | SB_TCP_ACK);
	tcp_timers_stop(ctx, tcb);
	tcb->state = SB_TCPS_CLOSED;
	tcp_events_fire(ctx, tcb, TCP_EV(SB_TCP_EV_TIMEDOUT));
	return true;
}

static bool timer_persist(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint64_t ms = tcp_rto_ms(ctx, tcb);

	tcp_count(ctx, SB_TCP_CNT_TX_PERSIST_PROBE);
	tcb->flags |= SB_TF_FORCE;
	sb_tcp_output(ctx, tcb);
	tcb->flags &= (uint16_t)~SB_TF_FORCE;
	if (tcb->rxtshift < 16)
		tcb->rxtshift++;
	/* The persist interval backs off like the RTO but is clamped on both
	 * sides, and never gives up while the peer answers (§3.8.6.1). */
	ms = tcp_rto_ms(ctx, tcb);
	if (ms < ctx->cfg.persist_min_ms)
		ms = ctx->cfg.persist_min_ms;
	if (ms > ctx->cfg.persist_max_ms)
		ms = ctx->cfg.persist_max_ms;
	tcb->flags |= SB_TF_PERSIST;
	tcp_timer_set(ctx, tcb, SB_TT_REXMT, (uint32_t)ms);
	return false;
}

static bool timer_rexmt(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t limit;

	if (tcb->flags & SB_TF_PERSIST)
		return timer_persist(ctx, tcb);
	if (tcb->snd_una == tcb->snd_max)
		return false;
	if (tcb->flags & SB_TF_PTO) {
		timer_probe(ctx, tcb);
		return false;
	}
	limit = tcp_synchronized(tcb) ? ctx->cfg.data_retries : ctx->cfg.syn_retries;
	if (tcb->rxtshift >= limit)
		return timer_drop(ctx, tcb, SB_TCP_CNT_CONN_TIMEDOUT);
	tcb->rxtshift++;
	tcp_count(ctx, SB_TCP_CNT_TX_REXMT_TIMEOUT);
	if (tcp_synchronized(tcb)) {
		/* RFC 5681 §3.1 eq. 4 and LW = 1 SMSS; RFC 6582 §3.2 step 4 */
		uint32_t half = tcp_flight(tcb) / 2;

		tcb->ssthresh = half > 2u * tcb->snd_mss ? half : 2u * tcb->snd_mss;
		tcb->cwnd = tcb->snd_mss;
		tcb->recover = tcb->snd_max - 1;
		tcb->flags &= (uint16_t)~(SB_TF_RECOVERY | SB_TF_TLP_OUT);
		tcb->dupacks = 0;
		tcb->sacked_n = 0; /* RFC 2018 §8: forget SACK state after a timeout */
	}
	tcb->flags &= (uint16_t)~SB_TF_RTT; /* Karn: no sample from a retransmission */
	tcb->snd_nxt = tcb->snd_una;
	tcb->snd_rxt = tcb->snd_una;
	tcp_timer_set(ctx, tcb, SB_TT_REXMT, tcp_rto_ms(ctx, tcb));
	sb_tcp_output(ctx, tcb);
	return false;
}

static bool timer_keep(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	if (tcb->state == SB_TCPS_TIME_WAIT) {
		tcp_count(ctx, SB_TCP_CNT_CONN_TW_EXPIRED);
		tcp_timers_stop(ctx, tcb);
		tcb->state = SB_TCPS_CLOSED;
		tcp_events_fire(ctx, tcb, TCP_EV(SB_TCP_EV_CLOSED));
		return true;
	}
	if (tcb->state == SB_TCPS_FIN_WAIT_2) {
		tcp_timers_stop(ctx, tcb);
		tcb->state = SB_TCPS_CLOSED;
		tcp_events_fire(ctx, tcb, TCP_EV(SB_TCP_EV_CLOSED));
		return true;
	}
	if (tcb->state != SB_TCPS_ESTABLISHED && tcb->state != SB_TCPS_CLOSE_WAIT)
		return false;
	if (tcb->snd_max != tcb->snd_una) {
		/* the RTO watches an unanswered peer; probe only when idle */
		tcp_timer_set(ctx, tcb, SB_TT_KEEP, ctx->cfg.keep_idle_ms);
		return false;
	}
	if (tcb->keep_probes >= ctx->cfg.keep_cnt)
		return timer_drop(ctx, tcb, SB_TCP_CNT_CONN_KEEPALIVE_DROP);
	tcb->keep_probes++;
	tcp_count(ctx, SB_TCP_CNT_TX_KEEPALIVE_PROBE);
	/* SEG.SEQ = SND.NXT - 1: outside the peer's window, so it must ACK. */
	tcp_xmit(ctx, tcb, tcb->snd_una - 1, 0, SB_TCP_ACK);
	tcp_timer_set(ctx, tcb, SB_TT_KEEP, ctx->cfg.keep_intvl_ms);
	return false;
}

static void tcb_fire(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	uint32_t now = ctx->now_ms;

	if ((tcb->tmask & SB_TT_DELACK) && sb_seq_leq(tcb->t_delack_ms, now)) {
		tcb->tmask &= (uint8_t)~SB_TT_DELACK;
		tcb->flags |= SB_TF_ACKNOW;
		sb_tcp_output(ctx, tcb);
	}
	if ((tcb->tmask & SB_TT_REXMT) && sb_seq_leq(tcb->t_rexmt_ms, now)) {
		tcb->tmask &= (uint8_t)~SB_TT_REXMT;
		if (timer_rexmt(ctx, tcb))
			return;
	}
	if ((tcb->tmask & SB_TT_KEEP) && sb_seq_leq(tcb->t_keep_ms, now)) {
		tcb->tmask &= (uint8_t)~SB_TT_KEEP;
		if (timer_keep(ctx, tcb))
			return;
	}
	timer_sched(ctx, tcb);
}

static void tw_expire(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw)
{
	if (sb_seq_gt(tw->expire_ms, ctx->now_ms)) {
		sb_wheel_arm(ctx->wheel, &tw->timer, tick_of(ctx, tw->expire_ms));
		return;
	}
	tcp_count(ctx, SB_TCP_CNT_CONN_TW_EXPIRED);
	tw->state = SB_TCPS_CLOSED;
	ctx->ops->tw_expired(ctx->user, tw);
}

static void tcp_timer_fire(struct sb_wheel_timer *t, void *arg)
{
	struct sb_tcp_ctx *ctx = arg;

	/* Both owners start with the node, then the state byte. */
	if (((struct sb_tcb *)(void *)t)->state == SB_TCPS_TW_RECORD)
		tw_expire(ctx, (struct sb_tcp_tw *)(void *)t);
	else
		tcb_fire(ctx, (struct sb_tcb *)(void *)t);
}

uint32_t sb_tcp_timers_run(struct sb_tcp_ctx *ctx, uint64_t now_us, uint32_t max_expired)
{
	tcp_set_time(ctx, now_us);
	return sb_wheel_advance(ctx->wheel, now_us / 1000u, tcp_timer_fire, ctx, max_expired);
}

void sb_tcp_tw_init(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw, struct sb_tcb *tcb)
{
	uint32_t left = (tcb->tmask & SB_TT_KEEP) ? tcb->t_keep_ms : ctx->now_ms;

	sb_wheel_cancel(ctx->wheel, &tcb->timer);
	tcb->tmask = 0;
	sb_wheel_timer_init(&tw->timer);
	tw->state = SB_TCPS_TW_RECORD;
	tw->ts = (tcb->flags & SB_TF_TS) != 0;
	tw->rcv_wscale = tcb->rcv_wscale;
	tw->reserved = 0;
	tw->snd_nxt = tcb->snd_max;
	tw->rcv_nxt = tcb->rcv_nxt;
	tw->ts_recent = tw->ts ? tcb->ts_recent : 0; /* else the storage timed RTTs */
	tw->expire_ms = left;
	tw->reserved2 = 0;
	sb_wheel_arm(ctx->wheel, &tw->timer, tick_of(ctx, left));
}

void sb_tcp_tw_cancel(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw)
{
	sb_wheel_cancel(ctx->wheel, &tw->timer);
	tw->state = SB_TCPS_CLOSED;
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> from the record; the window is 0: no
 * more data will be taken on this incarnation. */
static void tw_ack(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw)
{
	struct sb_tcp_opts o = {0};
	struct sb_tcp_tx tx = {.hdr = ctx->txbuf, .seq = tw->snd_nxt};

	if (tw->ts) {
		o.present = SB_TCP_OPT_TS;
		o.tsval = ctx->now_ms;
		o.tsecr = tw->ts_recent;
	}
	tx.hdr_len = (uint32_t)tcp_hdr_write(ctx->txbuf, tw->snd_nxt, tw->rcv_nxt, SB_TCP_ACK, 0, &o);
	ctx->ops->emit(ctx->user, NULL, &tx);
	tcp_count(ctx, SB_TCP_CNT_TW_ACK);
}

/* RFC 9293 §3.10.7.4 for TIME-WAIT, with RFC 6191's rule for a new SYN and
 * RFC 1337's advice to ignore RSTs (no TIME-WAIT assassination). */
enum sb_tcp_tw_verdict sb_tcp_tw_input(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw,
				       const struct sb_tcp_seg *seg, uint64_t now_us,
				       uint32_t *ret_iss_min)
{
	bool has_ts = (seg->opt.present & SB_TCP_OPT_TS) != 0;

	tcp_set_time(ctx, now_us);
	if (seg->flags & SB_TCP_RST) {
		tcp_count(ctx, SB_TCP_CNT_TW_DROP);
		return SB_TCP_TW_DROP;
	}
	if ((seg->flags & (SB_TCP_SYN | SB_TCP_ACK)) == SB_TCP_SYN) {
		bool newer = (tw->ts && has_ts) ? sb_seq_gt(seg->opt.tsval, tw->ts_recent)
						: sb_seq_gt(seg->seq, tw->rcv_nxt);

		if (newer) {
			tcp_count(ctx, SB_TCP_CNT_TW_REUSE);
			/* The new ISS must clear every sequence the old peer may
			 * still hold: past our last SND.NXT by a maximum window. */
			if (ret_iss_min != NULL)
				*ret_iss_min = tw->snd_nxt + (TCP_WND_MAX << TCP_WSCALE_MAX);
			return SB_TCP_TW_REUSE;
		}
		tw_ack(ctx, tw);
		return SB_TCP_TW_ACKED;
	}
	if (tw->ts && has_ts && sb_seq_lt(seg->opt.tsval, tw->ts_recent)) {
		tcp_count(ctx, SB_TCP_CNT_RX_PAWS);
		return SB_TCP_TW_DROP;
	}
	if (seg->flags & SB_TCP_FIN) {
		/* Only the peer's FIN again (our last ACK was lost) restarts
		 * 2*MSL (RFC 9293 §3.10.7.4); any other FIN is answered, but
		 * one forged packet a minute must not hold the record forever. */
		if (seg->seq + seg->len + 1u == tw->rcv_nxt)
			tw->expire_ms = ctx->now_ms + 2u * ctx->cfg.msl_ms;
		else
			tcp_count(ctx, SB_TCP_CNT_TW_FIN_BAD_SEQ);
		tw_ack(ctx, tw);
		return SB_TCP_TW_ACKED;
	}
	if (seg->len > 0) {
		tw_ack(ctx, tw);
		return SB_TCP_TW_ACKED;
	}
	tcp_count(ctx, SB_TCP_CNT_TW_DROP);
	return SB_TCP_TW_DROP;
}
