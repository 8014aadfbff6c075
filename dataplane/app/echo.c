/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The echo service (RFC 862) for tests and benchmarks: every byte received
 * goes back, zero-copy (the received mbuf becomes send data). Backpressure
 * is TCP's own: the receive window is what the send queue can still take,
 * so a peer that does not read its echoes is throttled, never buffered
 * without bound.
 */
#include <rte_mbuf.h>

#include "app.h"
#include "tcp/conn.h"
#include "worker.h"

static void echo_window(struct sb_worker *w, struct sb_conn *c)
{
	sb_conn_set_rcv_space(w, c, sb_conn_snd_space(w, c));
}

static void echo_accept(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	echo_window(w, c);
}

static void echo_writable(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	echo_window(w, c);
}

static void echo_data(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	(void)ctx;
	if (sb_conn_send(w, c, m) < 0) {
		/* Only a peer sending past our advertised window gets here. */
		SB_CTR_INC(w, app_overflow);
		rte_pktmbuf_free(m);
		sb_conn_close(w, c);
		return;
	}
	echo_window(w, c);
}

static void echo_peer_fin(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	sb_conn_close(w, c);
}

static void echo_close(void *ctx, struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why)
{
	(void)ctx;
	(void)w;
	(void)c;
	(void)why;
}

const struct sb_app_ops sb_app_echo = {
	.name = "echo",
	.on_accept = echo_accept,
	.on_data = echo_data,
	.on_writable = echo_writable,
	.on_peer_fin = echo_peer_fin,
	.on_close = echo_close,
};
