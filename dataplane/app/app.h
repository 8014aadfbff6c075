/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Applications on top of the dataplane's TCP: the event interface a
 * listener's connections are driven by. Every callback runs on the worker
 * that owns the connection, outside lib/tcp (the glue defers them), so an
 * application may call sb_conn_send/close from any of them.
 *
 * Every callback gets first the context the application registered with
 * its listener (sb_tcp_app_add): its own per-worker state, so neither the
 * worker nor the TCP glue knows any application's types.
 *
 *   on_accept    a passive open completed
 *   on_data      in-order bytes: m is a chain of payload segments, owned by
 *                the application (send it on, keep it, or free it)
 *   on_writable  acknowledged data freed send space
 *   on_peer_fin  the peer will send nothing more
 *   on_close     the connection is gone (why: closed, reset, timed out);
 *                the struct is freed after this returns
 *
 * Worker hooks, each optional (NULL: not called):
 *   on_turn      once per worker loop turn, after the timers (bounded work);
 *                returns the units of work done, so that a turn that did
 *                some is not counted idle (and the loop does not sleep)
 *   on_publish   every 100 ms: copy counters to shared memory
 *   on_stop      the worker is stopping
 */
#ifndef SB_DP_APP_H
#define SB_DP_APP_H

#include <stdint.h>

#include "tcp.h"

struct rte_mbuf;
struct sb_conn;
struct sb_worker;

struct sb_app_ops {
	const char *name;
	void (*on_accept)(void *ctx, struct sb_worker *w, struct sb_conn *c);
	void (*on_data)(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m);
	void (*on_writable)(void *ctx, struct sb_worker *w, struct sb_conn *c);
	void (*on_peer_fin)(void *ctx, struct sb_worker *w, struct sb_conn *c);
	void (*on_close)(void *ctx, struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why);
	unsigned (*on_turn)(void *ctx, struct sb_worker *w, uint64_t now_us);
	void (*on_publish)(void *ctx, struct sb_worker *w);
	void (*on_stop)(void *ctx, struct sb_worker *w);
};

extern const struct sb_app_ops sb_app_echo;
extern const struct sb_app_ops sb_app_discard;
extern const struct sb_app_ops sb_xc_app;
extern const struct sb_app_ops sb_xc_app_direct; /* direct TLS, XEP-0368 */

#endif
