/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The port's own receive and send, as struct sb_pktio functions: what a
 * worker uses unless a test wraps them (impair.c). Chosen once at start-up,
 * so the loop calls through w->io and never asks whether it is a test.
 */
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "pktio.h"
#include "worker.h"

static uint16_t pktio_rx(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t cap,
			 uint64_t now_tsc)
{
	(void)now_tsc;
	return sb_pktio_rx_port(w, pkts, cap);
}

static void pktio_flush(struct sb_worker *w, uint64_t now_tsc)
{
	(void)now_tsc;
	sb_pktio_flush(w);
}

void sb_pktio_init(struct sb_worker *w)
{
	w->io.rx = pktio_rx;
	w->io.flush = pktio_flush;
}
