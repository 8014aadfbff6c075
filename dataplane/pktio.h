/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Packet input and output for one worker: replies are queued in the
 * worker's TX array and sent in one burst per loop turn, so a turn costs one
 * tx_burst however many packets it answers. The loop receives and flushes
 * through w->io (struct sb_pktio), chosen at start-up.
 */
#ifndef SB_DP_PKTIO_H
#define SB_DP_PKTIO_H

#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "worker.h"

/* Send what is queued. What the device does not take stays queued for the
 * next turn (a SYN-ACK or FIN lost to a momentarily full ring costs a
 * retransmission timeout); only a frame that finds the queue still full is
 * dropped, in sb_pktio_send(). */
static inline void sb_pktio_flush(struct sb_worker *w)
{
	uint16_t sent, n = w->tx_n;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(w->port_id, w->queue_id, w->tx, n);
	SB_CTR_ADD(w, tx_pkts, sent);
	if (unlikely(sent < n)) {
		SB_CTR_ADD(w, tx_deferred, n - sent);
		memmove(w->tx, w->tx + sent, sizeof(w->tx[0]) * (n - sent));
	}
	w->tx_n = (uint16_t)(n - sent);
}

/* One receive burst from w's queue, counted. */
static inline uint16_t sb_pktio_rx_port(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t cap)
{
	uint16_t n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, cap);

	SB_CTR_ADD(w, rx_pkts, n);
	return n;
}

/* w->io as the port's own receive and flush (pktio.c); a test impairment
 * wraps them afterwards (sb_impair_create). */
void sb_pktio_init(struct sb_worker *w);

/* Queue m for sending; takes ownership. */
static inline void sb_pktio_send(struct sb_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->tx_n == SB_TX_BURST)) {
		sb_pktio_flush(w);
		if (w->tx_n == SB_TX_BURST) {
			SB_CTR_INC(w, drop_tx_full);
			rte_pktmbuf_free(m);
			return;
		}
	}
	SB_CTR_ADD(w, tx_bytes, rte_pktmbuf_pkt_len(m));
	w->tx[w->tx_n++] = m;
}

#endif
