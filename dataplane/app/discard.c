/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The discard service (RFC 863): bytes are counted and dropped; the window
 * stays fully open. Used to measure one-way throughput.
 */
#include <rte_mbuf.h>

#include "app.h"
#include "tcp/conn.h"
#include "worker.h"

static void discard_nop(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	(void)w;
	(void)c;
}

static void discard_data(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	(void)ctx;
	(void)c;
	SB_CTR_ADD(w, app_discarded, rte_pktmbuf_pkt_len(m));
	rte_pktmbuf_free(m);
}

static void discard_peer_fin(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	sb_conn_close(w, c);
}

static void discard_close(void *ctx, struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why)
{
	(void)ctx;
	(void)w;
	(void)c;
	(void)why;
}

const struct sb_app_ops sb_app_discard = {
	.name = "discard",
	.on_accept = discard_nop,
	.on_data = discard_data,
	.on_writable = discard_nop,
	.on_peer_fin = discard_peer_fin,
	.on_close = discard_close,
};
