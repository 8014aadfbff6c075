/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker lcore loop, and nothing else: it reads like a table of
 * contents. Time is read once per turn; every step is bounded (one RX burst,
 * one bounded drain per ring); what the turn produced leaves in one TX burst.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "idle.h"
#include "net/net.h"
#include "pktio.h"
#include "ring/ctl_link.h"
#include "worker.h"

int sb_worker_main(void *arg)
{
	struct sb_worker *w = arg;
	struct rte_mbuf *pkts[256];
	uint16_t burst = RTE_MIN(w->burst, (uint16_t)RTE_DIM(pkts));

	while (!*w->quit) {
		uint64_t now_tsc = rte_rdtsc();
		unsigned work;
		uint16_t n;

		n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, burst);
		SB_CTR_ADD(w, rx_pkts, n);
		for (uint16_t i = 0; i < n; i++)
			sb_eth_input(w, pkts[i]);

		work = n + sb_ctl_link_poll(w, now_tsc);
		sb_ctl_link_heartbeat(w, now_tsc);
		sb_pktio_flush(w);

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
	sb_pktio_flush(w);
	return 0;
}
