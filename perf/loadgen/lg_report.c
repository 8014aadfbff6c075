/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-loadgen's output (see lg_report.h). Segment and retransmission counts
 * come from the stack's own counters (dp_counters.def, tcp_counters.def);
 * errors add up everything that means the scenario did not run as asked.
 */
#include <inttypes.h>
#include <stdio.h>

#include "lg_report.h"
#include "lg_xflood.h"
#include "lg_xmpp.h"
#include "tcp/conn.h"
#include "worker.h"

static const char *const lg_mode_name[SB_LG_MODE_MAX] = {
	[SB_LG_MODE_HOLD] = "hold",
	[SB_LG_MODE_ECHO] = "echo",
	[SB_LG_MODE_CHURN] = "churn",
	[SB_LG_MODE_XMPP_LOGIN] = "xmpp-login",
	[SB_LG_MODE_XMPP_MSG] = "xmpp-msg",
};

static uint64_t lg_errors(const struct sb_lg *lg)
{
	const struct sb_worker *w = lg->w;
	const struct sb_lg_totals *t = &lg->tot;

	/* The XMPP modes check every login and every message end to end: a
	 * frame the memif ring refused is TCP's to resend (rexmt, printed),
	 * not a failure of the run. */
	uint64_t tx_full = lg->xmpp != NULL ? 0 : w->ctr[SB_DP_CTR_drop_tx_full];

	return t->connect_fail + t->dropped + t->open_err + t->echo_bad + t->send_err +
	       w->ctr[SB_DP_CTR_mbuf_alloc_fail] + tx_full +
	       w->tcp->ctx.cnt[SB_TCP_CNT_PARSE_BAD_CSUM] +
	       (lg->xmpp != NULL ? sb_lg_xmpp_errors(lg) : 0);
}

static void lg_snap(struct sb_lg_snap *s, const struct sb_lg *lg, uint64_t now_us)
{
	const struct sb_worker *w = lg->w;
	const uint64_t *tc = w->tcp->ctx.cnt;

	s->us = now_us;
	s->established = lg->tot.established;
	s->rx_segs = w->ctr[SB_DP_CTR_tcp_rx_segs];
	s->tx_segs = w->ctr[SB_DP_CTR_tcp_tx_segs];
	s->msgs_rx = lg->tot.msgs_rx;
	s->rexmt = tc[SB_TCP_CNT_TX_REXMT_TIMEOUT] + tc[SB_TCP_CNT_TX_FAST_REXMT] +
		   tc[SB_TCP_CNT_TX_SACK_REXMT];
	s->errors = lg_errors(lg);
}

static double lg_rate(uint64_t n, uint64_t us)
{
	return us == 0 ? 0.0 : (double)n * 1e6 / (double)us;
}

void sb_lg_report_mem(const struct sb_lg_mem *mem, int rc)
{
	if (rc < 0) {
		printf("tcp state: creating %u connection slots failed (hugepages?)\n", mem->slots);
		return;
	}
	printf("tcp state: %u connection slots + %u TIME-WAIT records = %" PRIu64
	       " bytes of hugepage heap (%.1f bytes per slot, TIME-WAIT included); "
	       "sizeof(struct sb_conn)=%zu sizeof(struct sb_tcb)=%zu "
	       "sizeof(struct sb_tw_rec)=%zu\n",
	       mem->slots, mem->tw_slots, mem->heap_bytes,
	       (double)mem->heap_bytes / (double)mem->slots, sizeof(struct sb_conn),
	       sizeof(struct sb_tcb), sizeof(struct sb_tw_rec));
	fflush(stdout);
}

void sb_lg_report_start(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us)
{
	lg_snap(&r->start, lg, now_us);
	r->mark = r->start;
	r->last = r->start;
	r->next_us = now_us + 1000000u;
	r->peak_open = 0;
	printf("%6s %9s %8s %10s %10s %9s %7s %7s\n", "t_s", "open", "conn/s", "rx_seg/s",
	       "tx_seg/s", "msgs/s", "rexmt", "errors");
	fflush(stdout);
}

void sb_lg_report_mark(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us)
{
	lg_snap(&r->mark, lg, now_us);
}

void sb_lg_report_hold_end(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us)
{
	lg_snap(&r->hold_end, lg, now_us);
	r->open_at_end = lg->open;
}

void sb_lg_report_tick(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us)
{
	struct sb_lg_snap s;
	uint64_t dt;

	if (lg->open > r->peak_open)
		r->peak_open = lg->open;
	if (now_us < r->next_us)
		return;
	lg_snap(&s, lg, now_us);
	dt = s.us - r->last.us;
	printf("%6.1f %9u %8.0f %10.0f %10.0f %9.0f %7" PRIu64 " %7" PRIu64 "\n",
	       (double)(now_us - r->start.us) / 1e6, lg->open,
	       lg_rate(s.established - r->last.established, dt),
	       lg_rate(s.rx_segs - r->last.rx_segs, dt), lg_rate(s.tx_segs - r->last.tx_segs, dt),
	       lg_rate(s.msgs_rx - r->last.msgs_rx, dt), s.rexmt, s.errors);
	fflush(stdout);
	r->last = s;
	r->next_us += 1000000u;
	if (r->next_us <= now_us)
		r->next_us = now_us + 1000000u;
}

/* The summary's error part: every class apart, then the total. */
static void lg_print_errors(const struct sb_lg *lg, const struct sb_lg_snap *fin)
{
	const struct sb_lg_totals *t = &lg->tot;

	printf(" rexmt=%" PRIu64 " connect_fail=%" PRIu64 " dropped=%" PRIu64 " open_err=%" PRIu64
	       " echo_bad=%" PRIu64 " send_err=%" PRIu64 " tx_full=%" PRIu64 " mbuf_fail=%" PRIu64
	       " errors=%" PRIu64,
	       fin->rexmt, t->connect_fail, t->dropped, t->open_err, t->echo_bad, t->send_err,
	       lg->w->ctr[SB_DP_CTR_drop_tx_full], lg->w->ctr[SB_DP_CTR_mbuf_alloc_fail],
	       fin->errors);
}

void sb_lg_report_end(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us,
		      bool interrupted)
{
	const struct sb_lg_hist *h = &lg->lat_ns;
	const struct sb_lg_snap *e = &r->hold_end;
	uint64_t open_us = (lg->all_open_us ? lg->all_open_us : now_us) - r->start.us;
	struct sb_lg_snap fin;
	uint64_t hold_us;

	lg_snap(&fin, lg, now_us);
	if (lg->all_open_us == 0)
		r->mark = r->start;
	hold_us = e->us - r->mark.us;
	printf("summary: mode=%s conns=%u established=%" PRIu64 " peak_open=%u open_s=%.3f "
	       "conn_per_s=%.0f hold_s=%.1f msgs=%" PRIu64 " msg_per_s=%.0f rx_seg_per_s=%.0f "
	       "tx_seg_per_s=%.0f",
	       lg_mode_name[lg->mode], lg->n_conns, lg->tot.established,
	       r->peak_open, (double)open_us / 1e6, lg_rate(lg->tot.established, open_us),
	       (double)hold_us / 1e6, lg->tot.msgs_rx,
	       lg_rate(e->msgs_rx - r->mark.msgs_rx, hold_us),
	       lg_rate(e->rx_segs - r->mark.rx_segs, hold_us),
	       lg_rate(e->tx_segs - r->mark.tx_segs, hold_us));
	printf(" lat_us_p50=%.1f lat_us_p99=%.1f lat_us_p999=%.1f lat_us_max=%.1f",
	       (double)sb_lg_hist_quantile(h, 0.50) / 1e3,
	       (double)sb_lg_hist_quantile(h, 0.99) / 1e3,
	       (double)sb_lg_hist_quantile(h, 0.999) / 1e3,
	       (double)sb_lg_hist_quantile(h, 1.0) / 1e3);
	printf(" open_at_end=%u closed=%" PRIu64 " close_s=%.3f", r->open_at_end, lg->tot.closed,
	       (double)(fin.us - e->us) / 1e6);
	lg_print_errors(lg, &fin);
	if (lg->xmpp != NULL)
		sb_lg_xmpp_report(lg, open_us, lg->msg_stop_us - lg->msg_start_us);
	sb_lg_flood_report(lg);
	printf(" result=%s%s\n", sb_lg_report_ok(lg, r) ? "ok" : "fail",
	       interrupted ? " (interrupted)" : "");
	fflush(stdout);
}

bool sb_lg_report_ok(const struct sb_lg *lg, const struct sb_lg_report *r)
{
	bool closed_all = lg->tot.closed == lg->n_conns && lg->open == 0 && lg->closing == 0;

	if (lg->tot.established != lg->n_conns || lg_errors(lg) != 0)
		return false;
	if (lg->xmpp != NULL && !sb_lg_xmpp_ok(lg))
		return false;
	/* Churn: every connection lived its whole life, one echo each. */
	if (lg->mode == SB_LG_MODE_CHURN)
		return closed_all && lg->tot.msgs_rx == lg->n_conns;
	return r->open_at_end == lg->n_conns && (lg->close_next == 0 || closed_all) &&
	       (lg->mode != SB_LG_MODE_ECHO || lg->tot.msgs_rx != 0);
}
