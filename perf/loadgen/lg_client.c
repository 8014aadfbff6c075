/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The load generator's client: opens connections at a fixed rate through
 * sb_conn_connect() (the dataplane's active open) and drives them. In hold
 * mode an open connection does nothing; in churn mode it sends one message
 * and closes once the echo is back; in echo mode each has at most one
 * message outstanding, whose bytes follow a pattern of (connection,
 * sequence, offset) so a wrong, lost or reordered byte is caught, and whose
 * round trip goes into a histogram. In the XMPP modes the connections
 * belong to a second application whose open and data callbacks are
 * lg_xmpp.c's, with the same close accounting. Both are registered with
 * the struct sb_lg as their context (lg_main.c).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "app/app.h"
#include "lg_xmpp.h"
#include "loadgen.h"
#include "tcp/conn.h"
#include "worker.h"

static inline uint8_t lg_pattern(uint32_t idx, uint32_t seq, uint32_t off)
{
	return (uint8_t)(idx * 131u + seq * 17u + off);
}

static struct sb_lg_conn *lg_conn_of(struct sb_lg *lg, const struct sb_conn *c)
{
	return &lg->conns[c->app_data];
}

/* Send connection idx's next message. */
static int lg_send_msg(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_conn *lc = &lg->conns[idx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(lg->w->pkt_pool);
	uint8_t *p;

	if (m == NULL || (p = (uint8_t *)rte_pktmbuf_append(m, lg->msg_bytes)) == NULL) {
		rte_pktmbuf_free(m);
		lg->tot.send_err++;
		return -ENOBUFS;
	}
	for (uint32_t i = 0; i < lg->msg_bytes; i++)
		p[i] = lg_pattern(idx, lc->seq, i);
	lc->sent_tsc = rte_rdtsc();
	lc->rx_have = 0;
	if (sb_conn_send(lg->w, lc->c, m) < 0) {
		rte_pktmbuf_free(m);
		lc->sent_tsc = 0;
		lg->tot.send_err++;
		return -ENOBUFS;
	}
	lg->tot.msgs_tx++;
	return 0;
}

/* Our orderly close of an open connection; on_close counts it as closed. */
static void lg_close_one(struct sb_lg *lg, struct sb_lg_conn *lc)
{
	if (lg->xmpp != NULL)
		sb_lg_xmpp_bye(lg, (uint32_t)lc->c->app_data);
	lc->state = SB_LG_C_CLOSING;
	lg->open--;
	lg->closing++;
	sb_conn_close(lg->w, lc->c);
}

static void lg_on_open(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_lg *lg = ctx;
	struct sb_lg_conn *lc = lg_conn_of(lg, c);
	uint32_t idx = (uint32_t)c->app_data;

	lc->state = SB_LG_C_OPEN;
	lg->opening--;
	lg->open++;
	lg->tot.established++;
	if (lg->mode == SB_LG_MODE_HOLD)
		return;
	if (lg->msg_interval_us == 0 || lg->mode == SB_LG_MODE_CHURN) {
		lg_send_msg(lg, idx);
		return;
	}
	/* Spread first sends over one interval so connections do not move in step. */
	lc->next_us = w->now_us + (uint64_t)idx * 7919u % lg->msg_interval_us;
}

static void lg_on_data(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	struct sb_lg *lg = ctx;
	struct sb_lg_conn *lc = lg_conn_of(lg, c);
	uint32_t idx = (uint32_t)c->app_data;
	uint32_t len = rte_pktmbuf_data_len(m);
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	bool bad = lc->sent_tsc == 0 || lc->rx_have + len > lg->msg_bytes;

	(void)w; /* sends and closes go through lg->w, the same worker */
	for (uint32_t i = 0; !bad && i < len; i++)
		bad = p[i] != lg_pattern(idx, lc->seq, lc->rx_have + i);
	rte_pktmbuf_free(m);
	if (bad) {
		lg->tot.echo_bad++;
		if (lc->state == SB_LG_C_OPEN)
			lg_close_one(lg, lc);
		return;
	}
	lc->rx_have = (uint16_t)(lc->rx_have + len);
	if (lc->rx_have < lg->msg_bytes)
		return;
	/* In double: cycles times 1e9 overflows 64 bits after a few seconds. */
	sb_lg_hist_add(&lg->lat_ns,
		       (uint64_t)((double)(rte_rdtsc() - lc->sent_tsc) * 1e9 / (double)lg->tsc_hz));
	lc->sent_tsc = 0;
	lc->seq++;
	lg->tot.msgs_rx++;
	if (lc->state != SB_LG_C_OPEN)
		return;
	if (lg->mode == SB_LG_MODE_CHURN) {
		lg_close_one(lg, lc);
		return;
	}
	if (lg->msg_interval_us == 0)
		lg_send_msg(lg, idx);
}

static void lg_on_writable(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	(void)w;
	(void)c;
}

static void lg_on_peer_fin(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_lg *lg = ctx;

	/* The gateway never closes first in these scenarios: count it. */
	if (lg_conn_of(lg, c)->state != SB_LG_C_CLOSING)
		lg->tot.dropped++;
	sb_conn_close(w, c);
}

static void lg_on_close(void *ctx, struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why)
{
	struct sb_lg *lg = ctx;
	struct sb_lg_conn *lc = lg_conn_of(lg, c);

	(void)w;
	if (lg->xmpp != NULL)
		sb_lg_xmpp_on_close(lg, (uint32_t)c->app_data);
	if (lc->state == SB_LG_C_OPENING) {
		lg->opening--;
		lg->tot.connect_fail++;
	} else if (lc->state == SB_LG_C_OPEN) {
		lg->open--;
		lg->tot.dropped++;
	} else if (lc->state == SB_LG_C_CLOSING) {
		lg->closing--;
		if (why == SB_TCP_EV_TIME_WAIT || why == SB_TCP_EV_CLOSED)
			lg->tot.closed++;
		else
			lg->tot.dropped++;
	}
	lc->state = SB_LG_C_GONE;
	lc->c = NULL;
}

const struct sb_app_ops sb_lg_client_ops = {
	.name = "loadgen-client",
	.on_accept = lg_on_open,
	.on_data = lg_on_data,
	.on_writable = lg_on_writable,
	.on_peer_fin = lg_on_peer_fin,
	.on_close = lg_on_close,
};

static void lg_x_on_open(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_lg *lg = ctx;
	struct sb_lg_conn *lc = lg_conn_of(lg, c);

	(void)w;
	lc->state = SB_LG_C_OPEN;
	lg->opening--;
	lg->open++;
	lg->tot.established++;
	sb_lg_xmpp_on_open(lg, (uint32_t)c->app_data);
}

static void lg_x_on_data(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	(void)w;
	sb_lg_xmpp_on_data(ctx, (uint32_t)c->app_data, m);
}

/* The XMPP client: its own open and data handling, the same close accounting. */
const struct sb_app_ops sb_lg_xmpp_ops = {
	.name = "loadgen-xmpp",
	.on_accept = lg_x_on_open,
	.on_data = lg_x_on_data,
	.on_writable = lg_on_writable,
	.on_peer_fin = lg_on_peer_fin,
	.on_close = lg_on_close,
};

static int lg_open_one(struct sb_lg *lg, uint32_t idx)
{
	struct sb_worker *w = lg->w;
	struct sb_lg_conn *lc = &lg->conns[idx];
	uint32_t saddr = rte_cpu_to_be_32(lg->src_host + idx / SB_LG_PORTS_PER_ADDR);
	uint16_t sport = rte_cpu_to_be_16((uint16_t)(SB_LG_PORT_FIRST +
						     idx % SB_LG_PORTS_PER_ADDR));
	struct sb_conn *c;
	int err = 0;

	lc->state = SB_LG_C_OPENING;
	lg->opening++;
	c = sb_conn_connect(w, saddr, lg->dst_be, sport, lg->dport_be, &lg->nexthop_mac,
			    lg->app_id, &err);
	if (c == NULL) {
		lc->state = SB_LG_C_GONE;
		lg->opening--;
		lg->tot.open_err++;
		return err;
	}
	c->app_data = idx;
	lc->c = c;
	return 0;
}

unsigned sb_lg_open_some(struct sb_lg *lg)
{
	uint64_t elapsed_us = lg->w->now_us - lg->open_start_us;
	uint64_t due = elapsed_us * lg->rate / 1000000u + 1u;
	unsigned n = 0;

	if (due > lg->n_conns)
		due = lg->n_conns;
	while (lg->next_open < due && n < SB_LG_OPEN_PER_TURN && lg->opening < SB_LG_OPENING_MAX &&
	       (lg->xmpp == NULL || sb_lg_xmpp_may_open(lg))) {
		if (lg_open_one(lg, lg->next_open) == -ENOBUFS) {
			/* Pool or table full: retrying would only spin. */
			lg->next_open = lg->n_conns;
			break;
		}
		lg->next_open++;
		n++;
	}
	return n;
}

unsigned sb_lg_echo_some(struct sb_lg *lg)
{
	uint64_t now_us = lg->w->now_us;
	unsigned sent = 0;

	for (unsigned i = 0; i < SB_LG_SCAN_PER_TURN && i < lg->n_conns; i++) {
		struct sb_lg_conn *lc = &lg->conns[lg->scan];
		uint32_t idx = lg->scan;

		lg->scan = lg->scan + 1 == lg->n_conns ? 0 : lg->scan + 1;
		if (lc->state != SB_LG_C_OPEN || lc->sent_tsc != 0 || lc->next_us > now_us)
			continue;
		lc->next_us += lg->msg_interval_us;
		if (lc->next_us < now_us)
			lc->next_us = now_us; /* fell behind: do not burst to catch up */
		if (lg_send_msg(lg, idx) == 0)
			sent++;
	}
	return sent;
}

unsigned sb_lg_close_some(struct sb_lg *lg)
{
	uint64_t elapsed_us = lg->w->now_us - lg->close_start_us;
	uint64_t due = elapsed_us * lg->rate / 1000000u + 1u;
	unsigned n = 0;

	/* At the opening rate and with as few in flight: a burst of FINs
	 * overflows the link exactly as a burst of SYNs would. */
	if (due > lg->n_conns)
		due = lg->n_conns;
	while (lg->close_next < due && n < SB_LG_OPEN_PER_TURN &&
	       lg->closing < SB_LG_OPENING_MAX) {
		struct sb_lg_conn *lc = &lg->conns[lg->close_next++];

		if (lc->state != SB_LG_C_OPEN)
			continue;
		lg_close_one(lg, lc);
		n++;
	}
	return n;
}

bool sb_lg_all_settled(const struct sb_lg *lg)
{
	if (lg->mode == SB_LG_MODE_CHURN && (lg->open != 0 || lg->closing != 0))
		return false;
	if (lg->xmpp != NULL && !sb_lg_xmpp_settled(lg))
		return false;
	return lg->next_open >= lg->n_conns && lg->opening == 0;
}
