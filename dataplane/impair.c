/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See impair.h. The delay line is an unordered array scanned every turn:
 * a test-only path, bounded by impair.queue (packets beyond it are dropped
 * and counted), where simplicity beats a heap.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "config.h"
#include "impair.h"
#include "pktio.h"
#include "worker.h"

static int impair_line_init(struct sb_impair_line *l, uint32_t cap, int socket)
{
	l->slots = rte_zmalloc_socket("sb_impair", sizeof(*l->slots) * cap, 0, socket);
	l->cap = cap;
	l->n = 0;
	return l->slots == NULL ? -ENOMEM : 0;
}

static uint16_t impair_rx(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t cap,
			  uint64_t now_tsc);
static void impair_flush(struct sb_worker *w, uint64_t now_tsc);

int sb_impair_create(struct sb_worker *w, const struct sb_config *cfg)
{
	uint64_t per_us = rte_get_tsc_hz() / 1000000;
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	struct sb_impair *im;

	w->impair = NULL;
	if (cfg->impair_loss_ppm == 0 && cfg->impair_dup_ppm == 0 &&
	    cfg->impair_reorder_ppm == 0 && cfg->impair_delay_us == 0)
		return 0;
	im = rte_zmalloc_socket("sb_impair", sizeof(*im), RTE_CACHE_LINE_SIZE, socket);
	if (im == NULL)
		return -ENOMEM;
	im->loss_ppm = (uint32_t)cfg->impair_loss_ppm;
	im->dup_ppm = (uint32_t)cfg->impair_dup_ppm;
	im->reorder_ppm = (uint32_t)cfg->impair_reorder_ppm;
	im->delay_tsc = cfg->impair_delay_us * per_us;
	im->jitter_tsc = RTE_MIN(cfg->impair_jitter_us, cfg->impair_delay_us) * per_us;
	im->pool = w->pkt_pool;
	if (impair_line_init(&im->rx, (uint32_t)cfg->impair_queue, socket) < 0 ||
	    impair_line_init(&im->tx, (uint32_t)cfg->impair_queue, socket) < 0)
		return -ENOMEM;
	w->impair = im;
	w->io.rx = impair_rx;
	w->io.flush = impair_flush;
	return 0;
}

static int impair_hit(uint32_t ppm)
{
	return ppm != 0 && rte_rand_max(1000000) < ppm;
}

/* Put m on the line, due after the configured delay (or now, reordered
 * ahead of what waits). */
static void impair_push(struct sb_worker *w, struct sb_impair_line *l, struct rte_mbuf *m,
			uint64_t now_tsc)
{
	const struct sb_impair *im = w->impair;
	uint64_t due = now_tsc;

	if (l->n == l->cap) {
		SB_CTR_INC(w, impair_overflow);
		rte_pktmbuf_free(m);
		return;
	}
	if (!impair_hit(im->reorder_ppm)) {
		due += im->delay_tsc - im->jitter_tsc;
		if (im->jitter_tsc != 0)
			due += rte_rand_max(2 * im->jitter_tsc + 1);
	} else {
		SB_CTR_INC(w, impair_reordered);
	}
	l->slots[l->n].m = m;
	l->slots[l->n].due_tsc = due;
	l->n++;
}

/* Loss and duplication, then the line. */
static void impair_in(struct sb_worker *w, struct sb_impair_line *l, struct rte_mbuf *m,
		      uint64_t now_tsc)
{
	const struct sb_impair *im = w->impair;

	if (impair_hit(im->loss_ppm)) {
		SB_CTR_INC(w, impair_lost);
		rte_pktmbuf_free(m);
		return;
	}
	if (impair_hit(im->dup_ppm)) {
		struct rte_mbuf *d = rte_pktmbuf_copy(m, im->pool, 0, UINT32_MAX);

		if (d != NULL) {
			SB_CTR_INC(w, impair_duplicated);
			impair_push(w, l, d, now_tsc);
		}
	}
	impair_push(w, l, m, now_tsc);
}

/* Move what is due into out (at most cap), keeping the rest. */
static uint16_t impair_out(struct sb_impair_line *l, struct rte_mbuf **out, uint16_t cap,
			   uint64_t now_tsc)
{
	uint16_t got = 0;

	for (uint32_t i = 0; i < l->n && got < cap;) {
		if (l->slots[i].due_tsc <= now_tsc) {
			out[got++] = l->slots[i].m;
			l->slots[i] = l->slots[--l->n];
		} else {
			i++;
		}
	}
	return got;
}

/* The port's receive, then the RX line: what is due comes out. */
static uint16_t impair_rx(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t cap,
			  uint64_t now_tsc)
{
	uint16_t n = sb_pktio_rx_port(w, pkts, cap);

	for (uint16_t i = 0; i < n; i++)
		impair_in(w, &w->impair->rx, pkts[i], now_tsc);
	return impair_out(&w->impair->rx, pkts, cap, now_tsc);
}

/* The turn's output through the TX line, then the port's flush. */
static void impair_flush(struct sb_worker *w, uint64_t now_tsc)
{
	for (uint16_t i = 0; i < w->tx_n; i++)
		impair_in(w, &w->impair->tx, w->tx[i], now_tsc);
	w->tx_n = impair_out(&w->impair->tx, w->tx, SB_TX_BURST, now_tsc);
	sb_pktio_flush(w);
}
