/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-loadgen's XMPP traffic once sessions are bound: chat messages between
 * the two users of a pair (xmpp-msg), the stanza errors that may come back
 * instead (bounces, counted by condition), and whitespace keepalives for
 * idle sessions (xmpp-login). Messages are offered at loadgen.xmpp_msg_rate
 * in all; a sender whose send queue is full (the gateway closed its TCP
 * window) is skipped and sends later, so what the rate offered but the
 * window held back is "unsent", never "lost". The body "SEQ TSC" lets the
 * receiver tell, per pair, in order / gap / late arrival of a skipped
 * number (out of order) / duplicate, and time each message end to end; a
 * message is lost only if it never arrived by the end of the drain.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_mempool.h>

#include "lg_xmpp.h"
#include "lg_xmpp_priv.h"
#include "loadgen.h"
#include "tcp/conn.h"
#include "worker.h"

#define LG_X_SEND_PER_TURN 512u
/* Keepalives per loop turn: each is a segment on the memif TX ring, which
 * also carries the logins and the ACKs; a pass over a million sessions at
 * 1024 a turn overflowed it. The turns per second are many more than
 * sessions / interval / 32 needs. */
#define LG_X_KA_PER_TURN 32u

void lg_xmsg_on_bounce(struct sb_lg *lg, const uint8_t *e, size_t len)
{
	struct sb_lg_xmpp *xm = lg->xmpp;

	xm->tot.bounced++;
	xm->tot.bounce_cond[sb_lg_xp_cond(e, len)]++;
}

/* Sequence bookkeeping of one receiver: in order, a jump (gap), a skipped
 * number arriving late (out of order), or one seen already (duplicate). */
static void lg_seq(struct sb_lg_xmpp *xm, struct lg_xconn *xc, uint64_t seq)
{
	if (seq >= xc->rx_seq) {
		xm->tot.msg_gap += seq - xc->rx_seq;
		xc->gaps_open += (uint32_t)(seq - xc->rx_seq);
		xc->rx_seq = (uint32_t)seq + 1u;
	} else if (xc->gaps_open != 0) {
		/* Exact while duplicates and late arrivals do not mix on one
		 * pair; either way the run fails and both counts show it. */
		xm->tot.msg_reorder++;
		xc->gaps_open--;
	} else {
		xm->tot.msg_dup++;
	}
}

/* A chat message from our pair: "SEQ TSC" in the body. */
void lg_xmsg_on_message(struct sb_lg *lg, uint32_t idx, const uint8_t *e, size_t len)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	uint64_t seq, tsc;
	bool in_window = lg->w->now_us < lg->msg_stop_us;

	if (sb_lg_xp_chat_parse(e, len, &seq, &tsc) < 0) {
		xm->tot.msg_bad++;
		return;
	}
	/* The window's latency is the overloaded figure; the drain's apart. */
	sb_lg_hist_add(in_window ? &lg->lat_ns : &xm->drain_ns, lg_ns_since(lg, tsc));
	xm->tot.msgs_rx++;
	xm->tot.msgs_rx_window += in_window;
	lg->tot.msgs_rx++;
	lg_seq(xm, &xm->xc[idx], seq);
}

/* One message from idx to its pair; false when its send queue has no room. */
static bool lg_send_one(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	struct sb_conn *c = lg->conns[idx].c;
	char buf[LG_X_OUT_BYTES], peer[LG_X_USER_BYTES];
	int n;

	lg_xuser(xm, idx ^ 1u, peer, sizeof(peer));
	n = sb_lg_xp_chat(buf, sizeof(buf), peer, xm->domain, xc->tx_seq, rte_rdtsc());
	if (n < 0 || c == NULL)
		return false;
	/* A full queue is TCP's backpressure: try this sender again later. */
	if (sb_conn_snd_space(lg->w, c) < (uint32_t)n + (xc->tls ? LG_X_TLS_SLACK : 0)) {
		xm->tot.msg_blocked++;
		return false;
	}
	if (lg_xsend_bytes(lg, idx, buf, (size_t)n) < 0) {
		lg->tot.send_err++;
		return false;
	}
	xc->tx_seq++;
	xm->tot.msgs_tx++;
	lg->tot.msgs_tx++;
	return true;
}

unsigned sb_lg_xmpp_send_some(struct sb_lg *lg, uint64_t start_us, uint64_t stop_us)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	uint64_t now_us = lg->w->now_us;
	unsigned sent = 0, looked = 0;

	if (now_us < start_us || now_us >= stop_us)
		return 0;
	xm->offered = (now_us - start_us) * xm->msg_rate / 1000000u + 1u;
	/* Our own send queues must not take the mbufs receiving needs: with the
	 * pool empty nothing is received, nothing acknowledged, nothing freed.
	 * Below a quarter free nothing is sent this turn (counted). */
	if (xm->tot.msgs_tx < xm->offered &&
	    rte_mempool_avail_count(lg->w->pkt_pool) < lg->w->pkt_pool->size / 4) {
		xm->tot.msg_throttled++;
		return 0;
	}
	while (xm->tot.msgs_tx < xm->offered && sent < LG_X_SEND_PER_TURN &&
	       looked < lg->n_conns) {
		uint32_t idx = xm->cursor;

		xm->cursor = xm->cursor + 1 == lg->n_conns ? 0 : xm->cursor + 1;
		looked++;
		if (xm->xc[idx].st != LG_X_READY || xm->xc[idx ^ 1u].st != LG_X_READY ||
		    !lg_send_one(lg, idx))
			continue;
		sent++;
		looked = 0;
	}
	return sent;
}

unsigned sb_lg_xmpp_rx_first(struct sb_lg *lg, uint64_t start_us, uint64_t stop_us)
{
	uint64_t now_us = lg->w->now_us;

	if (now_us >= start_us && now_us < stop_us)
		lg->xmpp->tot.msg_rx_first++;
	return 0;
}

unsigned sb_lg_xmpp_keepalive_some(struct sb_lg *lg, uint64_t since_us)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	uint64_t now_us = lg->w->now_us, due;
	unsigned sent = 0, looked = 0;

	if (xm->ka_interval_us == 0 || now_us < since_us)
		return 0;
	/* Each keepalive may take an mbuf until it is acknowledged: below half
	 * the pool they wait, or a pass over millions of sessions empties it
	 * and the loadgen can no longer receive the ACKs that would refill it. */
	if (rte_mempool_avail_count(lg->w->pkt_pool) < lg->w->pkt_pool->size / 2) {
		xm->tot.ka_deferred++;
		return 0;
	}
	/* One pass over the table per interval: every session gets one space. */
	due = (now_us - since_us) * lg->n_conns / xm->ka_interval_us;
	while (xm->ka_done < due && looked < LG_X_KA_PER_TURN) {
		uint32_t idx = xm->ka_cursor;
		struct sb_conn *c = lg->conns[idx].c;

		xm->ka_cursor = xm->ka_cursor + 1 == lg->n_conns ? 0 : xm->ka_cursor + 1;
		xm->ka_done++;
		looked++;
		if (xm->xc[idx].st != LG_X_READY || c == NULL)
			continue;
		/* RFC 6120 §4.6.1: whitespace between stanzas keeps the stream alive. */
		if (lg_xsend_bytes(lg, idx, " ", 1) < 0) {
			lg->tot.send_err++;
			continue;
		}
		xm->tot.keepalives++;
		sent++;
	}
	return sent;
}

bool sb_lg_xmpp_drained(const struct sb_lg *lg)
{
	const struct sb_lg_xmpp_totals *t = &lg->xmpp->tot;
	uint64_t arrived = t->msgs_rx - t->msg_dup;

	return arrived + t->bounced >= t->msgs_tx;
}

uint64_t sb_lg_xmpp_errors(const struct sb_lg *lg)
{
	const struct sb_lg_xmpp_totals *t = &lg->xmpp->tot;

	return t->login_fail + t->sasl_fail + t->bad_server + t->stream_err + t->xml_err +
	       t->msg_bad + t->msg_reorder + t->msg_dup + t->bounced;
}

/* Never arrived: numbers skipped and not seen since, and the tail each
 * receiver never got. */
uint64_t sb_lg_xmpp_lost(const struct sb_lg *lg)
{
	const struct sb_lg_xmpp *xm = lg->xmpp;
	uint64_t lost = 0;

	if (!xm->msg_mode)
		return 0;
	for (uint32_t i = 0; i < lg->n_conns; i++) {
		uint32_t sent = xm->xc[i ^ 1u].tx_seq, got = xm->xc[i].rx_seq;

		lost += xm->xc[i].gaps_open + (sent > got ? sent - got : 0u);
	}
	/* A bounced message never arrives either: counted as bounced, not lost. */
	return lost > xm->tot.bounced ? lost - xm->tot.bounced : 0;
}

static void lg_print_bounces(const struct sb_lg_xmpp_totals *t)
{
	const char *sep = "";

	printf(" bounced=%" PRIu64 " bounced_by=", t->bounced);
	for (unsigned i = 0; i < SB_LG_XP_CONDS; i++) {
		if (t->bounce_cond[i] == 0)
			continue;
		printf("%s%s:%" PRIu64, sep, sb_lg_xp_cond_name[i], t->bounce_cond[i]);
		sep = ",";
	}
	if (*sep == '\0')
		printf("none");
}

void lg_xmsg_report(const struct sb_lg *lg, uint64_t send_us)
{
	const struct sb_lg_xmpp *xm = lg->xmpp;
	const struct sb_lg_xmpp_totals *t = &xm->tot;
	const struct sb_lg_hist *d = &xm->drain_ns;

	if (!xm->msg_mode) {
		printf(" keepalives=%" PRIu64 " keepalive_deferred_turns=%" PRIu64, t->keepalives,
		       t->ka_deferred);
		return;
	}
	printf(" offered=%" PRIu64 " offered_per_s=%.0f xmsgs_tx=%" PRIu64 " unsent=%" PRIu64
	       " xmsgs_rx=%" PRIu64 " xmsg_per_s=%.0f lost=%" PRIu64 " gaps=%" PRIu64
	       " reorder=%" PRIu64 " dup=%" PRIu64 " msg_bad=%" PRIu64 " blocked_sends=%" PRIu64
	       " throttled_turns=%" PRIu64 " rx_first_turns=%" PRIu64,
	       xm->offered, send_us ? (double)xm->offered * 1e6 / (double)send_us : 0.0,
	       t->msgs_tx, xm->offered > t->msgs_tx ? xm->offered - t->msgs_tx : 0, t->msgs_rx,
	       send_us ? (double)t->msgs_rx_window * 1e6 / (double)send_us : 0.0,
	       sb_lg_xmpp_lost(lg), t->msg_gap, t->msg_reorder, t->msg_dup, t->msg_bad,
	       t->msg_blocked, t->msg_throttled, t->msg_rx_first);
	printf(" drain_msgs=%" PRIu64 " drain_ms_p50=%.2f drain_ms_p99=%.2f drain_ms_max=%.2f",
	       d->n, (double)sb_lg_hist_quantile(d, 0.5) / 1e6,
	       (double)sb_lg_hist_quantile(d, 0.99) / 1e6, (double)sb_lg_hist_quantile(d, 1.0) / 1e6);
	lg_print_bounces(t);
}

bool sb_lg_xmpp_ok(const struct sb_lg *lg)
{
	const struct sb_lg_xmpp *xm = lg->xmpp;

	if (xm->tot.login_ok != lg->n_conns || sb_lg_xmpp_errors(lg) != 0)
		return false;
	return !xm->msg_mode || (xm->tot.msgs_rx != 0 && sb_lg_xmpp_lost(lg) == 0);
}
