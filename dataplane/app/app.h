/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Applications on top of the dataplane's TCP: the event interface a
 * listener's connections are driven by. Every callback runs on the worker
 * that owns the connection, outside lib/tcp (the glue defers them), so an
 * application may call sb_conn_send/close from any of them.
 *
 *   on_accept    a passive open completed
 *   on_data      in-order bytes: m is a chain of payload segments, owned by
 *                the application (send it on, keep it, or free it)
 *   on_writable  acknowledged data freed send space
 *   on_peer_fin  the peer will send nothing more
 *   on_close     the connection is gone (why: closed, reset, timed out);
 *                the struct is freed after this returns
 */
#ifndef SB_DP_APP_H
#define SB_DP_APP_H

#include "tcp.h"

struct rte_mbuf;
struct sb_conn;
struct sb_worker;

enum sb_app_id {
	SB_APP_ECHO = 0,   /* RFC 862: bytes back as they came */
	SB_APP_DISCARD,    /* RFC 863: bytes dropped */
	SB_APP_C2S,        /* XMPP client-to-server streams (dataplane/xmpp/) */
	SB_APP_MAX,
};

struct sb_app_ops {
	const char *name;
	void (*on_accept)(struct sb_worker *w, struct sb_conn *c);
	void (*on_data)(struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m);
	void (*on_writable)(struct sb_worker *w, struct sb_conn *c);
	void (*on_peer_fin)(struct sb_worker *w, struct sb_conn *c);
	void (*on_close)(struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why);
};

extern const struct sb_app_ops sb_app_echo;
extern const struct sb_app_ops sb_app_discard;
extern const struct sb_app_ops sb_xc_app;
extern const struct sb_app_ops *const sb_apps[SB_APP_MAX];

#endif
