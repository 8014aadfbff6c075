/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's XMPP client connections: lib/xml and lib/xmpp driven by
 * the TCP glue, with the control plane reached over the rings.
 *
 * A TCP connection of the c2s listener carries one struct sb_xconn (its
 * app_data): the stream's tokenizer and c2s state, the received bytes not
 * yet consumed (a partial stanza stays in the mbufs it arrived in), and the
 * handle the control plane uses to address it: the object's address plus a
 * generation that changes every time the object is reused, so a late reply
 * for a closed connection never reaches its successor.
 *
 * Objects that exist only part of the time come from per-worker pools: the
 * tokenizer's working state while a stanza is split across reads
 * (xmpp.partial_stanzas), the SASL state during login (xmpp.auth_contexts),
 * and the bound JID. An idle bound session holds: the TCP connection, this
 * struct and its JID; see docs/BENCHMARKS.md for the bytes.
 */
#ifndef SB_DP_XCONN_H
#define SB_DP_XCONN_H

#include <stdbool.h>
#include <stdint.h>

#include "c2s.h"
#include "c2s_limits.h"
#include "msg.h"
#include "wheel.h"
#include "xml.h"

struct rte_mbuf;
struct rte_mempool;
struct sb_conn;
struct sb_worker;
struct sb_config;

#define SB_XCONN_JID_MAX 256u /* bytes of a bound full JID kept here (with its NUL) */

#define SB_XC_F_CLOSING 0x01u  /* a stream error or close was sent: ignore input */
#define SB_XC_F_LISTED 0x02u   /* on the worker's bound list */
#define SB_XC_F_BLOCKED 0x04u  /* a stanza waits for room on its ring: input paused */
#define SB_XC_F_AVAILABLE 0x08u /* sent available presence: replayed with the session */
#define SB_XC_F_SHAPED 0x10u    /* over its byte rate: input paused, window closed */

struct sb_xconn {
	struct sb_c2s c2s;
	struct sb_xml xml;
	struct sb_conn *conn;
	struct rte_mbuf *in_head;      /* received, not consumed: first byte at in_off */
	struct rte_mbuf *in_tail;
	uint64_t in_off;               /* stream offset of in_head's first byte */
	struct sb_xml_ctx *ctx;        /* tokenizer working state of a split stanza */
	char *jid;                     /* bound full JID (pool object), NULL before */
	struct sb_msg *blocked;        /* stanza waiting for ring room */
	uint16_t blocked_shard;
	uint8_t flags;                 /* SB_XC_F_* */
	uint8_t auth_seen;             /* c2s.auth_failures already charged to the address */
	uint32_t gen;                  /* generation of this object's handle */
	uint32_t in_bytes;             /* buffer bytes (mbuf sizes) held in the input list */
	int32_t shaper_tokens;         /* bytes the client may still send now */
	uint32_t shaper_ms;            /* last refill */
	struct sb_xconn *prev, *next;  /* the worker's bound list (replay after restart) */
	struct sb_wheel_timer login_timer;
};

/* Per-worker XMPP state. */
struct sb_xmpp_worker {
	struct sb_c2s_env env;
	struct sb_xml_ctx ctx;           /* the tokenizer's working state, shared */
	struct sb_xml_limits lim;
	struct sb_c2s_scratch scratch;
	struct rte_mempool *xconn_pool;
	struct rte_mempool *ctx_pool;    /* saved struct sb_xml_ctx */
	struct rte_mempool *aux_pool;    /* struct sb_c2s_aux */
	struct rte_mempool *jid_pool;    /* SB_XCONN_JID_MAX bytes */
	struct sb_msg_pool_ops msg_ops;
	struct sb_xconn *bound;          /* bound sessions (replayed to a new sb-control) */
	uint32_t n_bound;
	uint32_t gen_next;
	uint32_t ctl_epoch;              /* epoch the bound sessions were last sent to */
	uint32_t n_blocked;
	struct sb_xconn *blocked[256];   /* connections waiting for ring room */
	struct sb_wheel wheel;           /* login deadlines, 1 ms ticks */
	struct sb_c2s_limits limits;
	uint32_t n_shaped;
	struct sb_xconn *shaped[4096];   /* paused by the shaper, refilled each turn */
	uint64_t login_timeout_ms;
	uint32_t input_budget;           /* buffer bytes one connection may hold unread */
	uint8_t *elem;                   /* one element, contiguous (max_stanza_bytes) */
	uint32_t elem_cap;
	uint8_t *route;                  /* a ROUTE stanza: elem_cap + SB_C2S_ROUTE_EXTRA */
	char to_buf[SB_JID_FULL_MAX + 1]; /* a ROUTE stanza's recipient, formatted */
	uint8_t out[SB_C2S_OUT_MIN * 4];
	uint32_t replay_done;            /* bound sessions replayed so far this epoch */
	uintptr_t pool_lo[8], pool_hi[8]; /* the xconn pool's memory, to check handles */
	unsigned n_pool_ranges;
	struct sb_wheel_timer *slots[SB_WHEEL_STORAGE(3)];
};

/* Create worker w's XMPP state from the configuration. 0 or negative errno. */
int sb_xmpp_worker_init(struct sb_worker *w, const struct sb_config *cfg);

/* Handle a message from a control shard (AUTH_RESP, BIND_RESP, DELIVER,
 * KICK); owns m. */
void sb_xmpp_from_control(struct sb_worker *w, struct sb_msg *m);

/* The worker is stopping: every bound stream gets <system-shutdown/> and a
 * close (RFC 6120 §4.9.3.20). */
void sb_xmpp_shutdown(struct sb_worker *w);

/* Once per loop turn: login deadlines, blocked stanzas, and the replay of
 * bound sessions to a newly attached sb-control. Bounded. */
void sb_xmpp_turn(struct sb_worker *w, uint64_t now_us);

/* c2s_glue.c: act on what lib/xmpp returned; used by the ring side too. */
void sb_xconn_act(struct sb_worker *w, struct sb_xconn *x, enum sb_c2s_action act);

/* c2s_glue.c: send bytes on x (copied into mbufs). */
void sb_xconn_write(struct sb_worker *w, struct sb_xconn *x, const uint8_t *p, size_t len);

/* c2s_glue.c: the receive window: the input budget (tcp.rcv_space) less
 * what is buffered, 0 while shaped. Paused input thus closes the window. */
void sb_xconn_window(struct sb_worker *w, struct sb_xconn *x);

/* c2s_glue.c: feed what is buffered, as far as the c2s state allows. */
void sb_xconn_pump(struct sb_worker *w, struct sb_xconn *x);

/* c2s_ring.c: requests to the control plane for an action. */
void sb_xconn_auth_request(struct sb_worker *w, struct sb_xconn *x, bool plain);
void sb_xconn_bind_request(struct sb_worker *w, struct sb_xconn *x);
void sb_xconn_route(struct sb_worker *w, struct sb_xconn *x);
void sb_xconn_unbind(struct sb_worker *w, struct sb_xconn *x);
/* A bound session to a new sb-control; -ENOBUFS/-ENOTCONN: try later. */
int sb_xconn_replay(struct sb_worker *w, struct sb_xconn *x);

/* c2s_route.c: write a DELIVER's stanza to x. */
void sb_xconn_deliver(struct sb_worker *w, struct sb_xconn *x, const struct sb_msg *m);

/* The control plane's handle for x. */
static inline uint64_t sb_xconn_handle(const struct sb_xconn *x)
{
	return (uint64_t)(uintptr_t)x;
}

#endif
