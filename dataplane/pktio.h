/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Packet output for one worker: replies are queued in the worker's TX array
 * and sent in one burst per loop turn, so a turn costs one tx_burst however
 * many packets it answers.
 */
#ifndef SB_DP_PKTIO_H
#define SB_DP_PKTIO_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "worker.h"

/* Send what is queued. What the queue will not take after one retry is
 * freed and counted: a reply is never worth stalling the loop for. */
static inline void sb_pktio_flush(struct sb_worker *w)
{
	uint16_t sent, n = w->tx_n;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(w->port_id, w->queue_id, w->tx, n);
	if (unlikely(sent < n))
		sent += rte_eth_tx_burst(w->port_id, w->queue_id, w->tx + sent, n - sent);
	SB_CTR_ADD(w, tx_pkts, sent);
	if (unlikely(sent < n)) {
		SB_CTR_ADD(w, drop_tx_full, n - sent);
		rte_pktmbuf_free_bulk(w->tx + sent, n - sent);
	}
	w->tx_n = 0;
}

/* Queue m for sending; takes ownership. */
static inline void sb_pktio_send(struct sb_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->tx_n == SB_TX_BURST))
		sb_pktio_flush(w);
	SB_CTR_ADD(w, tx_bytes, rte_pktmbuf_pkt_len(m));
	w->tx[w->tx_n++] = m;
}

#endif
