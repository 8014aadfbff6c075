/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's XMPP client connections: lib/xml and lib/xmpp driven by
 * the TCP glue, with the control plane reached over the rings.
 *
 * A TCP connection of the c2s listener carries one struct sb_xc_conn (its
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
#ifndef SB_DP_XC_H
#define SB_DP_XC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "c2s.h"
#include "dp_counters.h"
#include "xc_limits.h"
#include "msg.h"
#include "shm.h"
#include "tls.h"
#include "wheel.h"
#include "xc_list.h"
#include "xc_promise.h"
#include "xml.h"

struct rte_mbuf;
struct rte_mempool;
struct sb_conn;
struct sb_worker;
struct sb_config;

#define SB_XC_JID_MAX 256u /* bytes of a bound full JID kept here (with its NUL) */

#define SB_XC_F_CLOSING 0x01u  /* a stream error or close was sent: ignore input */
#define SB_XC_F_LISTED 0x02u   /* on the worker's bound list */
#define SB_XC_F_BLOCKED 0x04u  /* `pending` waits for room on its ring: input paused */
#define SB_XC_F_AVAILABLE 0x08u /* sent available presence: replayed with the session */
#define SB_XC_F_SHAPED 0x10u    /* over its byte rate: input paused, window closed */
#define SB_XC_F_UNBIND 0x20u    /* a BIND_REQ went up: sb-control is owed an UNBIND */
#define SB_XC_F_HIBERNATE 0x40u /* XEP-0198 §5: owed a HIBERNATE instead of the UNBIND */
#define SB_XC_F_SM_PROBED 0x80u /* XEP-0198: idle, an <r/> went out; no byte back yet */

/* A connection's TLS (xc_tls.c), from a per-worker pool; plaintext
 * sessions have none. */
enum sb_xc_tls_state {
	SB_XC_TLS_HS,   /* handshake in libssl (ssl set) */
	SB_XC_TLS_REC,  /* TLS 1.3 handed off: our record layer (rec) */
	SB_XC_TLS_SSL,  /* TLS 1.2: libssl keeps the session (ssl set) */
};

struct sb_xc_tls {
	struct sb_tls_conn rec;        /* TLS 1.3 after the hand-off */
	struct sb_tls_ssl *ssl;        /* handshake in progress, or TLS 1.2 for good */
	struct rte_mbuf *ct_head;      /* ciphertext received, not yet opened */
	struct rte_mbuf *ct_tail;
	uint8_t state;                 /* enum sb_xc_tls_state */
	uint8_t hs_waiting;            /* on the worker's tls_hs_wait list */
};

struct sb_xc_conn {
	struct sb_c2s c2s;
	struct sb_xml xml;
	struct sb_conn *conn;          /* NULL once TCP is gone (see sb_xc_linger) */
	struct rte_mbuf *in_head;      /* received, not consumed: first byte at in_off */
	struct rte_mbuf *in_tail;
	uint64_t in_off;               /* stream offset of in_head's first byte */
	struct sb_xml_ctx *ctx;        /* tokenizer working state of a split stanza */
	char *jid;                     /* bound full JID (pool object), NULL before */
	struct sb_msg *pending;        /* a request or stanza waiting for ring room */
	struct sb_xc_tls *tls;         /* NULL: plaintext (in_head is then what TCP gave) */
	/* DELIVERs the send queue could not take yet, oldest first, linked
	 * through sb_msg.held (xc_hold.c). */
	struct sb_msg *held_head;
	struct sb_msg *held_tail;
	uint64_t bytes_out;            /* bytes written on this stream (sbctl session show) */
	uint32_t last_in_ms;           /* worker clock when the client last sent */
	/* DELIVERs written and not yet acknowledged (by the client's TCP,
	 * or by XEP-0198 when on), oldest first, linked through
	 * sb_msg.held; numbered in sb_msg.sm_seq, SB_XC_KEPT_TCP when TCP's
	 * to release (xc_sm.c). */
	struct sb_msg *sm_head;
	struct sb_msg *sm_tail;
	uint16_t sm_kept;              /* DELIVERs on that list */
	uint16_t sm_objs;              /* message objects in them */
	uint8_t sm_id[SB_MSG_SM_ID];   /* a resumable session's id (XEP-0198 §5) */
	uint32_t sm_rcv;               /* RCV.NXT when the idle probe was armed */
	/* DELIVERs held back from an inactive client (XEP-0352, xc_csi.c):
	 * the newest, whose sb_msg.held closes the ring to the oldest (one
	 * pointer for both ends), NULL when none. */
	struct sb_msg *csi;
	uint32_t csi_bytes;            /* stanza bytes in them */
	uint16_t pending_shard;
	uint16_t held_objs;            /* message objects in the held chains */
	/* XEP-0198: the inbound h as a promise (xc_promise.c). */
	struct sb_xc_promise pr;
	uint8_t flags;                 /* SB_XC_F_* */
	uint8_t auth_seen;             /* c2s.auth_failures already charged to the address */
	uint16_t csi_n;                /* DELIVERs on the csi ring */
	uint8_t flush_owed;            /* a FLUSH_MORE waits for a pool object or ring
					* room, on the worker's flush list (xc_flush.c) */
	/* Kept across reuse of the object (accept clears only what is above). */
	uint32_t gen;                  /* generation of this object's handle */
	uint32_t idx;                  /* index in the worker's table: the handle */
	uint32_t in_bytes;             /* buffer bytes (mbuf sizes) held in the input list */
	int32_t shaper_tokens;         /* bytes the client may still send now */
	uint32_t shaper_ms;            /* last refill */
	/* The worker's bound list (replay after restart); before bind, while
	 * a TLS handshake step waits for its turn, the worker's tls_hs_wait
	 * list: a connection in its handshake is never bound, so the two
	 * never share it, and the wait costs no byte per connection. */
	struct sb_xc_node bound_link;
	struct sb_xc_node wait_link;     /* the ring-room list of pending_shard */
	struct sb_xc_node shape_link;    /* the shaper's paused list */
	struct sb_xc_node pr_link;       /* the list of <r/> waiting for promises */
	struct sb_xc_node flush_link;    /* the list of owed FLUSH_MOREs (xc_flush.c) */
	/* Before bind, the login deadline; after, the deadline for held
	 * DELIVERs to make progress (xmpp.slow_reader_ms). */
	struct sb_wheel_timer deadline;
};

/* sb_msg.sm_seq of a kept DELIVER its TCP's ACK releases (no XEP-0198
 * number: those are 32-bit). */
#define SB_XC_KEPT_TCP UINT64_MAX

#define SB_XC_POOL_WAIT SB_MAX_SHARDS /* waiting[] index of the message pool's list */

#define SB_XC_BOUND_LINK offsetof(struct sb_xc_conn, bound_link)
#define SB_XC_WAIT_LINK offsetof(struct sb_xc_conn, wait_link)
#define SB_XC_SHAPE_LINK offsetof(struct sb_xc_conn, shape_link)
#define SB_XC_PR_LINK offsetof(struct sb_xc_conn, pr_link)
#define SB_XC_FLUSH_LINK offsetof(struct sb_xc_conn, flush_link)

/* lib/xmpp's counters in the worker's slots (dp_counters.h), published by
 * on_publish and described by counters.c. */
#define SB_XC_CTR_SLOT SB_DP_SLOT_APPS
/* lib/tls's counters follow. */
#define SB_XC_TLS_SLOT (SB_XC_CTR_SLOT + SB_C2S_CTR_MAX)
_Static_assert(SB_XC_TLS_SLOT + SB_TLS_CTR_MAX <= SB_SHM_WORKER_CTRS,
	       "c2s and TLS counters exceed the worker's counter slots");

/* Per-worker TLS buffers: handshake output and the rest behind a client's
 * Finished (up to SB_TLS_HS_IN_MAX), one gathered record, sealed output. */
#define SB_XC_TLS_BUF (SB_TLS_HS_IN_MAX + SB_TLS_REC_IN_MAX)
/* xmpp.input_budget's floor with TLS on: a record's ciphertext in mbufs
 * plus the plaintext of a partial stanza. */
#define SB_XC_TLS_BUDGET_MIN 65536u

/* Per-worker XMPP state. */
struct sb_xc_worker {
	struct sb_worker *w;             /* the worker below us: TCP, counters, the link */
	struct sb_c2s_env env;
	struct sb_xml_ctx ctx;           /* the tokenizer's working state, shared */
	struct sb_xml_limits lim;
	struct sb_c2s_scratch scratch;
	struct rte_mempool *conn_pool;
	struct sb_xc_conn **xtab;          /* every connection object, by index */
	uint32_t xtab_n;
	struct rte_mempool *ctx_pool;    /* saved struct sb_xml_ctx */
	struct rte_mempool *aux_pool;    /* struct sb_c2s_aux */
	struct rte_mempool *jid_pool;    /* SB_XC_JID_MAX bytes */
	struct sb_msg_pool_ops msg_ops;
	struct sb_xc_list bound;           /* bound sessions (replayed to a new sb-control) */
	uint32_t replay_next;            /* the next bound session to replay, by index */
	/* The buffer sweep (xc_app.c app_sweep): the next index, and the sums
	 * of the sweep in progress. */
	uint32_t sweep_next;
	uint64_t sweep_in_bytes;
	uint64_t sweep_snd_bytes;
	uint32_t replay_epoch;           /* the epoch replay_next walks for */
	uint32_t gen_next;
	uint32_t ctl_epoch;              /* epoch the bound sessions were last sent to */
	/* sb-control's absence, on the worker's turn clock (w->now_us): found
	 * gone at ctl_gone_us, and rings.control_grace_ms, how long requests
	 * wait for it. */
	bool ctl_gone;
	uint64_t ctl_gone_us;
	uint64_t ctl_grace_us;
	/* Connections waiting for ring room, per shard; the last list holds
	 * those waiting for the message pool (SB_XC_POOL_WAIT). */
	struct sb_xc_list waiting[SB_MAX_SHARDS + 1];
	struct sb_xc_list shaped;          /* paused by the shaper, refilled each turn */
	struct sb_xc_list flush_wait;      /* connections owing a FLUSH_MORE (xc_flush.c) */
	uint32_t lingering;              /* closed connections still owing sb-control a message */
	struct sb_wheel wheel;           /* login and slow-reader deadlines, 1 ms ticks */
	/* Held DELIVERs (xc_hold.c): message objects held on this worker, and
	 * the limits per connection and per worker (a share of the pool). */
	uint32_t held_objs;
	uint32_t holders;                /* connections holding any */
	uint32_t hold_conn_max;
	uint32_t hold_worker_max;
	uint32_t slow_reader_ms;
	/* Returned DELIVERs whose connection was already released, waiting
	 * for ring room (linked through sb_msg.held). */
	struct sb_msg *ret_head;
	struct sb_msg *ret_tail;
	/* xc_sm.c: message objects kept for written, unacknowledged
	 * stanzas on this worker (TCP and XEP-0198; see sb_xc_share_objs),
	 * and XEP-0198's cap per connection (stanzas). */
	uint32_t sm_objs;
	uint32_t tcp_objs;               /* of sm_objs, those kept by TCP (SB_XC_KEPT_TCP) */
	uint32_t sm_kept_max;
	uint32_t sm_probe_idle_ms;       /* xmpp.sm_probe_idle_ms, 0: no probes */
	uint32_t sm_probe_wait_ms;       /* xmpp.sm_probe_wait_ms */
	/* XEP-0352 (xc_csi.c): message objects held back from inactive
	 * clients on this worker, and the caps per connection (0 stanzas:
	 * CSI not offered). */
	uint32_t csi_objs;
	uint32_t csi_held_max;           /* xmpp.csi_held_max, stanzas */
	uint32_t csi_bytes_max;          /* xmpp.csi_held_bytes */
	/* XEP-0198 promises (xc_promise.c): connections whose <r/> waits,
	 * oldest first (so deadlines come in order), and the sync with a new
	 * sb-control epoch (shards by bit). */
	struct sb_xc_list pr_wait;
	uint32_t pr_wait_ms;             /* xmpp.sm_ack_wait_ms */
	uint32_t pr_epoch;               /* the epoch promises were last synced for */
	uint64_t pr_sync_sent;
	uint64_t pr_sync_got;
	bool pr_syncing;
	struct sb_xc_limits limits;
	/* TLS (xc_tls.c): NULL server when xmpp.tls is off. */
	struct sb_tls_server *tls_srv;   /* shared, read-only; our reference (new handshakes) */
	struct sb_tls_server *tls_next;  /* a reloaded one, offered by the main lcore
					  * (dataplane/tls_reload.c), taken on our turn */
	struct rte_mempool *tls_pool;    /* struct sb_xc_tls, one per connection at most */
	uint8_t *tls_buf;                /* SB_XC_TLS_BUF bytes */
	uint8_t *tls_plain;              /* a delivered stanza gathered into one record */
	uint32_t tls_plain_cap;
	bool tls_handoff;                /* tls.handoff */
	uint64_t tls_clock_s;            /* last second the ticket clock was set */
	uint8_t tls_endpoint[SB_TLS_ENDPOINT_MAX]; /* sb_xc_tls_cbind's tls-server-end-point */
	/* The handshake budget (tls.handshake_budget_us, xc_tls.c): TSC
	 * cycles of handshake work one loop turn may run (0: no budget, every
	 * step inline), those spent this turn, and the steps put off to later
	 * turns, oldest first (through bound_link), run from the list at the
	 * end of each turn while the budget lasts. */
	uint64_t tls_hs_budget_tsc;
	uint64_t tls_hs_spent_tsc;
	struct sb_xc_list tls_hs_wait;
	struct sb_xc_conn *tls_hs_running; /* the step the list is running now */
	struct sb_tls_worker tls;
	uint64_t login_timeout_ms;
	/* sbctl shutdown seen (struct sb_shm_shutdown): new streams are
	 * refused with <system-shutdown/> and drain_text. */
	bool draining;
	char drain_text[SB_SHM_SHUTDOWN_TEXT_MAX];
	uint32_t live_seq;               /* struct sb_shm_live last taken */
	uint32_t input_budget;           /* buffer bytes one connection may hold unread */
	uint8_t *elem;                   /* one element, contiguous (max_stanza_bytes) */
	uint32_t elem_cap;
	uint8_t *route;                  /* a ROUTE stanza: elem_cap + SB_C2S_ROUTE_EXTRA */
	char to_buf[SB_JID_FULL_MAX + 1]; /* a ROUTE stanza's recipient, formatted */
	uint8_t out[SB_C2S_OUT_MIN * 4];
	struct sb_wheel_timer *slots[SB_WHEEL_STORAGE(3)];
};

/* Message objects that count in the worker's share for XEP-0198
 * (xmpp.hold_pool_pct): held ones and those XEP-0198 keeps; not those
 * kept until TCP acknowledges them (see xc_sm.c for what bounds them). */
static inline uint32_t sb_xc_share_objs(const struct sb_xc_worker *xw)
{
	return xw->held_objs + xw->sm_objs - xw->tcp_objs;
}

/* Create worker w's XMPP state from the configuration into *out and
 * register its message kinds on w's control link (tls_srv: the shared TLS
 * server when xmpp.tls is not off, else NULL); the caller then adds
 * sb_xc_app with *out as its context to w's TCP listener. 0 or negative
 * errno. */
int sb_xc_worker_init(struct sb_worker *w, const struct sb_config *cfg,
		      struct sb_tls_server *tls_srv, struct sb_xc_worker **out);

/* Handle a message from a control shard (AUTH_RESP, BIND_RESP, DELIVER,
 * KICK); owns m. */
void sb_xc_from_control(struct sb_xc_worker *xw, struct sb_msg *m);

/* The same as registered on the worker's link (ctx: the struct sb_xc_worker). */
void sb_xc_link_handler(void *ctx, unsigned shard, struct sb_msg *m);

/* sb_xc_app's worker hooks (xc_app.c): on_turn, once per loop turn, runs
 * deadlines, blocked stanzas, returned stanzas and the replay of bound
 * sessions to a newly attached sb-control (bounded); on_stop gives every
 * bound stream <system-shutdown/> and a close (RFC 6120 §4.9.3.20);
 * on_publish copies lib/xmpp's counters to shared memory. */

/* xc_glue.c: act on what lib/xmpp returned; used by the ring side too. */
void sb_xc_act(struct sb_xc_worker *xw, struct sb_xc_conn *x, enum sb_c2s_action act);

/* xc_glue.c: close x now (after what is queued; over TLS, close_notify first). */
void sb_xc_close_now(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_tls.c: a TLS object with a handshake begun, or NULL when the pool
 * or the handshake cap refuses (counted). */
struct sb_xc_tls *sb_xc_tls_take(struct sb_xc_worker *xw);
/* xc_tls.c: run x over t from now on (after <proceed/> was written in
 * clear, or at accept for direct TLS): the bytes received after
 * <starttls/> move to the handshake, the tokenizer restarts. */
void sb_xc_tls_start(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_xc_tls *t);
/* xc_tls.c: received ciphertext m for x. */
void sb_xc_tls_keep(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct rte_mbuf *m);
/* xc_tls.c: run the handshake or open records into x's plaintext input
 * list. False when x was closed. */
bool sb_xc_tls_input(struct sb_xc_worker *xw, struct sb_xc_conn *x);
/* xc_tls.c: seal plaintext into records on x's send queue. <0: x cannot take it. */
int sb_xc_tls_write(struct sb_xc_worker *xw, struct sb_xc_conn *x, const uint8_t *p, size_t len);
/* xc_tls.c: our close_notify before a graceful close. */
void sb_xc_tls_shutdown(struct sb_xc_worker *xw, struct sb_xc_conn *x);
/* xc_tls.c: x's TLS back to the pool (TCP is gone). */
void sb_xc_tls_release(struct sb_xc_worker *xw, struct sb_xc_conn *x);
/* xc_tls.c: once a second, the ticket key clock. */
void sb_xc_tls_turn(struct sb_xc_worker *xw, uint64_t now_us);
/* xc_tls.c: at the end of a loop turn, the handshake steps put off, oldest
 * first, while the turn's budget lasts; then the next turn's budget.
 * Returns the steps run. */
unsigned sb_xc_tls_hs_turn(struct sb_xc_worker *xw);
/* env->cbind (lib/xmpp, SCRAM -PLUS): a handed-off TLS 1.3 connection's
 * tls-exporter (kept until bind) and its certificate's tls-server-end-point;
 * -ENOTSUP for plaintext and TLS 1.2. arg is the worker. */
int sb_xc_tls_cbind(void *arg, const struct sb_c2s *c, struct sb_scram_cbind *out);

/* xc_glue.c: send bytes on x (copied into mbufs; sealed over TLS). */
void sb_xc_write(struct sb_xc_worker *xw, struct sb_xc_conn *x, const uint8_t *p, size_t len);

/* xc_hold.c: x stopped reading (held DELIVERs made no progress for
 * xmpp.slow_reader_ms, or outgrew their share): counted and reset; what it
 * holds goes back to sb-control once the UNBIND is sent (sb_xc_linger). */
void sb_xc_slow_reader(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_hold.c: keep DELIVER m (header h) for x until its send queue has
 * room; owns m. */
void sb_xc_hold(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
		const struct sb_msg_stanza *h);

/* xc_hold.c: write held DELIVERs while the send queue takes them (ACKs
 * freed room). */
void sb_xc_hold_flush(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_hold.c: the next held DELIVER of closed x, re-labelled a returned
 * STANZA for sb-control to route again; NULL when none is left. */
struct sb_msg *sb_xc_hold_return(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_hold.c: return DELIVER m, whose connection is already released (its
 * UNBIND went up before), to sb-control; owns m. */
void sb_xc_hold_return_late(struct sb_xc_worker *xw, struct sb_msg *m);

/* xc_hold.c: once per turn, send the late returns still waiting for ring
 * room. Bounded. */
void sb_xc_hold_returns_turn(struct sb_xc_worker *xw, uint64_t now_tsc);

/* xc_hold.c: x's deadline expired after bind: held DELIVERs made no
 * progress. */
void sb_xc_hold_expired(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_hold.c: link DELIVER m at the end of x's held list, counted in the
 * worker's share; nothing else (no deadline, no share check): for a
 * closed x whose stanzas are on their way back. */
void sb_xc_hold_link(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m);

/* Why the stanzas an inactive client was spared are written (xc_csi.c). */
enum sb_xc_csi_why {
	SB_XC_CSI_URGENT,   /* an urgent stanza came: they go first */
	SB_XC_CSI_ACTIVE,   /* the client said <active/> */
	SB_XC_CSI_FULL,     /* xmpp.csi_held_max / csi_held_bytes, or the pool's share */
	SB_XC_CSI_CLOSING,  /* the stream is ending: held with the rest, then returned */
	SB_XC_CSI_WHY_MAX
};

/* xc_csi.c (XEP-0352): DELIVER m (header h) for x. Held back (true: x
 * owns m) when x is inactive and m is not urgent, the older presence of
 * the same full JID dropped; otherwise what x held back is written first
 * (false: the caller writes m). */
bool sb_xc_csi_take(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
		    const struct sb_msg_stanza *h);

/* xc_csi.c: write what x held back, oldest first (the send queue and
 * XEP-0198's cap may still hold some, xc_hold.c). */
void sb_xc_csi_flush(struct sb_xc_worker *xw, struct sb_xc_conn *x, enum sb_xc_csi_why why);

/* xc_csi.c: move what closed x held back to the end of its held list, to
 * be returned with it (sb_xc_hold_return). */
void sb_xc_csi_spill(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_csi.c: one presence of a DELIVER_MULTI (mh, h; its stanza bytes at
 * chain offset base) for inactive x: copied into a DELIVER of x's own and
 * given to sb_xc_deliver (the fan-out chain is shared, so it cannot be
 * linked). False when it could not be copied: x's held-back stanzas were
 * written, and the caller writes this one as for an active client. */
bool sb_xc_csi_multi(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m,
		     const struct sb_msg_multi *mh, const struct sb_msg_stanza *h, size_t base);

/* xc_route.c: DELIVER m (header h) past CSI: written now, or held while
 * x's send queue or XEP-0198 cap is full or x closes. True: kept. */
bool sb_xc_deliver_out(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
		       const struct sb_msg_stanza *h);

/* xc_sm.c: DELIVER m was just written to x: kept until acknowledged, with
 * stream management on numbered and until the client acks it, else until
 * x's TCP acknowledged its last byte (true: x owns m; so far always). */
bool sb_xc_sm_keep(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m);

/* xc_sm.c: x's SND.UNA moved (an ACK, or the connection closes): release
 * the DELIVERs kept by TCP whose last byte it passed. */
void sb_xc_sm_tcp_acked(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_sm.c: x keeps xmpp.sm_unacked_max unacknowledged stanzas: write no
 * more until it acks (true; counted). */
bool sb_xc_sm_full(struct sb_xc_worker *xw, const struct sb_xc_conn *x);

/* xc_sm.c: a stanza was written to x that is not kept (a reply the
 * dataplane wrote, one copy of a DELIVER_MULTI): counted in h only. */
void sb_xc_sm_sent(struct sb_xc_conn *x);

/* xc_sm.c: arm x's idle probe (XEP-0198 dead-peer detection) when x has
 * stream management on and its deadline is free. */
void sb_xc_sm_probe_arm(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_sm.c: x's deadline expired with nothing held: probe or give up. */
void sb_xc_sm_probe_expired(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_sm.c: the client closed its stream cleanly: kept stanzas its TCP has
 * acknowledged count as delivered (see xc_sm.c). */
void sb_xc_sm_stream_closed(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_sm.c: the client acked up to env.res.sm_h: release the DELIVERs up to
 * it. */
void sb_xc_sm_acked(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_sm.c: the oldest kept DELIVER of closed x, unlinked (the return path
 * takes it before the held ones: it was written first); NULL if none. */
struct sb_msg *sb_xc_sm_pop(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_sm.c: lib/xmpp enabled a resumable session: tell its shard the id. */
void sb_xc_sm_enabled(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_sm.c: lib/xmpp asks to resume a session: RESUME_REQ to its shard. */
void sb_xc_sm_resume_request(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_promise.c (XEP-0198 acks as promises, see xc_promise.h). After
 * lib/xmpp handled an element of x: was_sm says whether stream management
 * was on before it, rcvd_before c2s.sm_in before it; a stanza it did not
 * route is safe at once. */
void sb_xc_promise_element(struct sb_xc_worker *xw, struct sb_xc_conn *x, bool was_sm,
			   uint32_t rcvd_before, enum sb_c2s_action act);
/* xc_promise.c: stanza h of x is safe (answered here, or STANZA_DONE). */
void sb_xc_promise_safe(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint32_t h);
/* xc_promise.c: the client sent <r/> (SB_C2S_ACT_SM_REQUEST). */
void sb_xc_promise_request(struct sb_xc_worker *xw, struct sb_xc_conn *x);
/* xc_promise.c: a STANZA_DONE or a PROMISE_SYNC echo from shard; m stays
 * the caller's. */
void sb_xc_promise_from_control(struct sb_xc_worker *xw, unsigned shard, const struct sb_msg *m);
/* xc_promise.c: once per turn: <r/> past their wait, and the sync with a
 * new sb-control. Bounded. */
void sb_xc_promise_turn(struct sb_xc_worker *xw, uint64_t now_ms);
/* xc_promise.c: x's TCP is gone: off the waiting list; a session that
 * hibernates (hib) with stanzas not yet reported safe waits for them
 * before its HIBERNATE (x->pr.hib_wait; sb_xc_linger is called again). */
void sb_xc_promise_close(struct sb_xc_worker *xw, struct sb_xc_conn *x, bool hib);
/* The h x's client may be told. */
static inline uint32_t sb_xc_promise_h(const struct sb_xc_conn *x)
{
	return x->pr.done;
}

/* xc_ctl.c: x's session was resumed on another stream (KICK_RESUMED) and
 * its stream is closed: hand the session over now, not when TCP is gone
 * (a dead peer would keep it for minutes): its kept and held stanzas,
 * then HIBERNATE, which completes the resume. */
void sb_xc_sm_handover(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_app.c: the shard's answer to RESUME_REQ. True when m was kept (sent
 * back as HIBERNATE: its connection is gone), false when the caller frees
 * it. */
bool sb_xc_sm_resume_resp(struct sb_xc_worker *xw, struct sb_msg *m);

/* xc_ctl.c: an XEP-0198 message of kind for x: p with jid[0..len) after
 * it, addressed to the shard of jid's bare part (*shard); NULL when the
 * pool is dry or it does not fit an object. */
struct sb_msg *sb_xc_sm_msg(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
			    enum sb_msg_kind kind, const struct sb_msg_sm *p, const char *jid,
			    size_t len, unsigned *shard);

/* xc_glue.c: the receive window: the input budget (tcp.rcv_space) less
 * what is buffered, 0 while shaped. Paused input thus closes the window. */
void sb_xc_window(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_glue.c: feed what is buffered, as far as the c2s state allows. */
void sb_xc_pump(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_ctl.c: requests to the control plane for an action. */
void sb_xc_auth_request(struct sb_xc_worker *xw, struct sb_xc_conn *x, bool plain);
void sb_xc_bind_request(struct sb_xc_worker *xw, struct sb_xc_conn *x);
/* XEP-0077: send env->res's registration request (REGISTER_REQ) to the
 * shard that owns the account; answered by REGISTER_RESP. */
void sb_xc_register_request(struct sb_xc_worker *xw, struct sb_xc_conn *x);
/* A bound session to a new sb-control; -ENOBUFS/-ENOTCONN: try later. */
int sb_xc_replay(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_ctl.c: hand m (for x) to shard, or park it on x until the ring has
 * room (input paused). 0: sent or parked. -ENOTCONN: sb-control is gone,
 * m is freed and its request answered here. */
int sb_xc_send(struct sb_xc_worker *xw, struct sb_xc_conn *x, unsigned shard, struct sb_msg *m);

/* xc_ctl.c: x's TCP connection is gone (x->conn is NULL); send what it
 * still owes sb-control (a parked message, the UNBIND), then release it. */
void sb_xc_linger(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_ctl.c: pause x until the message pool is above sb-control's
 * reserve (sb_ctl_link_msgs_low) and the mbuf pool above its own
 * (w->mbufs_low) again. */
void sb_xc_pool_wait(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_ctl.c: once per turn, retry parked messages in order and resume
 * connections that waited for the pool. Bounded. */
void sb_xc_ctl_turn(struct sb_xc_worker *xw, uint64_t now_tsc);

/* xc_app.c: return x to its pool; late replies for it no longer match. */
void sb_xc_release(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_route.c: route the stanza lib/xmpp stamped (env.res.stanza). */
void sb_xc_route(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_route.c: answer the stanza m carried with a type='wait' error:
 * sb-control is gone. */
void sb_xc_wait_error(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m);

/* xc_route.c: write a DELIVER's stanza to x, or hold it while x's send
 * queue is full. True when m was kept (held), false when the caller still
 * owns it. */
bool sb_xc_deliver(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m);

/* xc_route.c: whether x's send queue takes DELIVER h's stanza now (an
 * empty queue takes any: a stanza is never held for being large). */
bool sb_xc_deliver_fits(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
			const struct sb_msg_stanza *h);

/* xc_route.c: write the stanza bytes of DELIVER m (header h) to x; the
 * last of a window of stored messages asks for the next (sb_xc_flush_more). */
void sb_xc_deliver_write(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
			 const struct sb_msg_stanza *h);

/* xc_flush.c: DELIVER m reached x (written, or taken by XEP-0352): if it
 * carries SB_MSG_F_FLUSH_MORE, the flag is cleared and FLUSH_MORE goes to
 * the session's shard, or is owed on x until the pool or the ring has room
 * (counted). */
void sb_xc_flush_more(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m);

/* xc_flush.c: once per turn, send owed FLUSH_MOREs, oldest first. Bounded. */
void sb_xc_flush_turn(struct sb_xc_worker *xw, uint64_t now_tsc);

/* xc_flush.c: x's TCP is gone: it owes no FLUSH_MORE any more (what was not
 * written goes back to sb-control, the rest stays stored). */
void sb_xc_flush_close(struct sb_xc_worker *xw, struct sb_xc_conn *x);

/* xc_route.c: a DELIVER_MULTI: its stanza to each connection it names that
 * is still bound, with that connection's full JID as `to`. m stays the
 * caller's. false: nothing written, the worker is short of mbufs (m is to
 * be deferred, sb_msg_link_defer). */
bool sb_xc_deliver_multi(struct sb_xc_worker *xw, const struct sb_msg *m);

/* The connection a control-plane handle names, or NULL (counted
 * xmpp_bad_handle or xmpp_stale_reply). */
struct sb_xc_conn *sb_xc_by_handle(struct sb_xc_worker *xw, uint64_t conn, uint32_t gen);

/* The control plane's handle for x: its index in the worker's table, with
 * x->gen beside it in the message. Checked in O(1) at any table size. */
static inline uint64_t sb_xc_handle(const struct sb_xc_conn *x)
{
	return x->idx;
}

#endif
