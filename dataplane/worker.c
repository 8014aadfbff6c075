/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker lcore loop, and nothing else: it reads like a table of
 * contents. Time is read once per turn; every step is bounded (one RX burst,
 * one bounded drain per ring); what the turn produced leaves in one TX burst.
 */
#include <stdbool.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "app/app.h"
#include "idle.h"
#include "net/net.h"
#include "pktio.h"
#include "ring/ctl_link.h"
#include "ring/ctl_pool.h"
#include "tcp/conn.h"
#include "worker.h"

/* Publish what sbctl and telemetry read about TCP; every 100 ms is fresh
 * enough for an operator and costs nothing per packet. */
static void worker_publish(struct sb_worker *w, uint64_t now_tsc)
{
	struct sb_tcp_worker *t = w->tcp;

	w->stats_next_tsc = now_tsc + w->tsc_per_us * 100000;
	w->stats->tcp_conns = t->conns;
	w->stats->tcp_half_open = t->half_open;
	w->stats->tcp_time_wait = t->time_wait;
	memcpy(w->stats->ctr + SB_DP_SLOT_TCP, t->ctx.cnt, sizeof(t->ctx.cnt));
	for (unsigned i = 0; i < t->n_apps; i++)
		if (t->apps[i].ops->on_publish != NULL)
			t->apps[i].ops->on_publish(t->apps[i].ctx, w);
}

/* The applications' own per-turn work (login deadlines, parked messages,
 * handshake steps put off); returns the work they report. */
static unsigned worker_apps_turn(struct sb_worker *w)
{
	const struct sb_tcp_worker *t = w->tcp;
	unsigned work = 0;

	for (unsigned i = 0; i < t->n_apps; i++)
		if (t->apps[i].ops->on_turn != NULL)
			work += t->apps[i].ops->on_turn(t->apps[i].ctx, w, w->now_us);
	return work;
}

int sb_worker_main(void *arg)
{
	struct sb_worker *w = arg;
	struct rte_mbuf *pkts[256];
	uint16_t burst = RTE_MIN(w->burst, (uint16_t)RTE_DIM(pkts));
	uint32_t turn = 0;
	uint64_t last_tsc = rte_rdtsc();
	unsigned last_idle = 1;

	while (!*w->quit) {
		uint64_t now_tsc = rte_rdtsc();
		unsigned work;
		uint16_t n;

		/* The previous turn's cycles, to busy_tsc or idle_tsc (adjacent
		 * slots): an add on this turn's one TSC read, no branch. */
		w->ctr[SB_DP_CTR_busy_tsc + last_idle] += now_tsc - last_tsc;
		last_tsc = now_tsc;
		w->now_us = (now_tsc - w->start_tsc) / w->tsc_per_us;

		n = w->io.rx(w, pkts, burst, now_tsc);
		for (uint16_t i = 0; i < n; i++)
			sb_eth_input(w, pkts[i]);

		/* Deliveries from sb-control become send-queue mbufs. When the
		 * pool runs low they wait in their rings (sb-control counts a
		 * full ring), so that receiving, and the ACKs that free send
		 * queues, always find mbufs: else the worker could starve
		 * itself of the very ACKs that would free them. */
		if ((turn++ & 31) == 0) /* the count walks every lcore cache */
			w->mbufs_low = rte_mempool_avail_count(w->pkt_pool) < w->mbuf_reserve;
		if (likely(!w->mbufs_low))
			work = n + sb_ctl_link_poll(w, now_tsc);
		else {
			SB_CTR_INC(w, deliveries_deferred);
			work = n;
		}
		sb_tcp_io_timers(w, w->now_us); /* also releases what the poll reset */
		work += worker_apps_turn(w);
		sb_tcp_post_turn(w);
		sb_ctl_link_heartbeat(w, now_tsc);
		work += sb_ctl_pool_serve(w);
		sb_ctl_link_turn_stash(w);
		w->io.flush(w, now_tsc);
		if (now_tsc >= w->stats_next_tsc)
			worker_publish(w, now_tsc);

		last_idle = work == 0;
		if (work != 0) {
			SB_CTR_INC(w, loop_busy);
		} else {
			SB_CTR_INC(w, loop_idle);
			if (sb_idle_turn(&w->idle, 0))
				SB_CTR_INC(w, idle_sleeps);
			continue;
		}
		sb_idle_turn(&w->idle, work);
	}
	for (unsigned i = 0; i < w->tcp->n_apps; i++)
		if (w->tcp->apps[i].ops->on_stop != NULL)
			w->tcp->apps[i].ops->on_stop(w->tcp->apps[i].ctx, w);
	sb_ctl_link_stash_release(w);
	sb_tcp_post_turn(w);
	sb_pktio_flush(w);
	rte_pktmbuf_free_bulk(w->tx, w->tx_n); /* what the stopping device did not take */
	w->tx_n = 0;
	return 0;
}
