/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's side of TCP: per-worker connection state around the
 * pure core of lib/tcp.
 *
 * A connection is a struct sb_conn: the core's TCB first (the wheel hands
 * back &tcb.timer), then what the glue needs to put bytes on the wire (the
 * 4-tuple and the next hop's MAC) and the application's hooks. Send data is
 * a list of mbuf segments (linked through m->next, their packet headers
 * unused) holding bytes from SND.UNA on; out-of-order pieces are mbufs
 * sorted by sequence. An idle connection holds neither: it is this struct,
 * one hash entry, and nothing else.
 *
 * TIME-WAIT is a 64-byte struct sb_tw_rec swapped in for the connection, so
 * a million closing clients cost 64 MB, not 256 MB.
 *
 * Everything here belongs to one worker lcore; no other lcore touches it.
 */
#ifndef SB_DP_CONN_H
#define SB_DP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "tcp.h"

struct rte_hash;
struct rte_mbuf;
struct sb_app_ops;
struct rte_mempool;
struct sb_worker;

/* Work the core's callbacks leave for after the core returns: the core may
 * not be re-entered from its callbacks, and a TCB is freed only once the
 * core is done with it (lib/tcp/tcp_priv.h). */
#define SB_CONN_F_POST 0x01u      /* on the worker's post list */
#define SB_CONN_F_ACCEPTED 0x02u  /* tell the application about the new connection */
#define SB_CONN_F_PEER_FIN 0x04u  /* the peer's FIN arrived: tell the application */
#define SB_CONN_F_WRITABLE 0x08u  /* acked bytes freed send space: tell the application */
#define SB_CONN_F_CLOSE 0x10u     /* the application asked for an orderly close */
#define SB_CONN_F_TW 0x20u        /* entered TIME-WAIT: swap for a record */
#define SB_CONN_F_DEAD 0x40u      /* closed, reset or timed out: free it */
#define SB_CONN_F_RCVSPACE 0x80u  /* the application changed its receive space */

struct sb_conn {
	struct sb_tcb tcb;              /* first: container_of from the wheel */
	struct sb_tcp_tuple tuple;      /* network order, as hashed */
	struct rte_ether_addr peer_mac; /* next hop, learned from the SYN */
	uint8_t app;                    /* index in sb_tcp_worker.apps */
	uint8_t flags;                  /* SB_CONN_F_* */
	uint8_t why;                    /* enum sb_tcp_event that ended it */
	uint8_t half_open : 1;          /* counted in sb_tcp_worker.half_open */
	/* The application's on_accept has run. Bytes can come before the
	 * post list tells it: when the handshake's last ACK was lost, the
	 * first data segment completes it, and lib/tcp hands its bytes over
	 * before the event fires; the glue then runs on_accept first. */
	uint8_t told : 1;
	uint16_t ooo_charged;           /* its out-of-order pieces in ooo_src[] */
	/* Bytes in the send list (from SND.UNA). Those not yet announced to
	 * the core are snd_queued - sb_tcp_snd_queued(&tcb). */
	uint32_t snd_queued;
	uint32_t rcv_space_pending;     /* with SB_CONN_F_RCVSPACE */
	struct rte_mbuf *snd_head;      /* first byte = SND.UNA */
	struct rte_mbuf *snd_tail;
	struct rte_mbuf *ooo;           /* held out-of-order pieces, by sequence */
	uint64_t app_data;              /* the application's per-connection word */
};

_Static_assert(sizeof(struct sb_conn) <= 256, "a connection must stay within four cache lines");

struct sb_tw_rec {
	struct sb_tcp_tw tw;            /* first: container_of from the wheel */
	struct sb_tcp_tuple tuple;
};

_Static_assert(sizeof(struct sb_tw_rec) <= 64, "a TIME-WAIT record must stay one cache line");

#define SB_TCP_LISTEN_MAX 8
#define SB_TCP_POST_MAX 512 /* connections touched by one core call batch */
#define SB_TCP_TIMERS_PER_TURN 128
/* Out-of-order pieces up to this size are copied rather than pinning the
 * received mbuf: pinned, a piece this small would keep a 2304-byte buffer
 * for a ninth of it or less, while the copy costs four cache lines
 * (lib/tcp/README.md). */
#define SB_TCP_OOO_COPY_MAX 256u
/* Out-of-order pieces are counted per source address in this many hashed
 * buckets: addresses that share one share its limit (never more). */
#define SB_TCP_OOO_SRC_BUCKETS 256u

#define SB_TCP_APPS_MAX 8

struct sb_tcp_listener {
	uint16_t port_be; /* network order */
	uint8_t app;      /* index in sb_tcp_worker.apps */
};

/* An application on this worker: its callbacks and its own context. */
struct sb_tcp_app {
	const struct sb_app_ops *ops;
	void *ctx;
};

/* Per-worker TCP state. */
struct sb_tcp_worker {
	struct sb_tcp_ctx ctx;
	struct sb_wheel wheel;
	struct rte_hash *table;          /* tuple -> struct sb_conn * or struct sb_tw_rec * */
	struct rte_mempool *conn_pool;
	struct rte_mempool *tw_pool;
	uint32_t conns;                  /* connections in the table (TIME-WAIT excluded) */
	uint32_t half_open;              /* in SYN-RECEIVED */
	uint32_t time_wait;
	uint32_t max_conns;
	uint32_t syn_cookie_threshold;   /* half-open count beyond which SYNs get cookies */
	uint32_t snd_queue_max;          /* per-connection send limit, bytes */
	uint32_t rcv_space;              /* initial receive window */
	uint8_t n_listen;
	uint8_t n_apps;
	bool in_core;                    /* inside a lib/tcp call: defer application calls */
	bool in_post;                    /* walking the post list: append, do not recurse */
	bool tx_csum_offload;
	struct sb_tcp_listener listen[SB_TCP_LISTEN_MAX];
	/* Applications by id (a connection's `app`), as registered with
	 * sb_tcp_app_add: the gateway's services, or the load generator's own
	 * client. */
	struct sb_tcp_app apps[SB_TCP_APPS_MAX];
	/* The segment being processed, for replies that have no connection. */
	struct rte_mbuf *cur_m;
	struct sb_tcp_tuple cur_tuple;
	bool cur_consumed;               /* cur_m was handed on; do not free it */
	/* Out-of-order pieces held per source address bucket (conn.c). */
	uint16_t ooo_src[SB_TCP_OOO_SRC_BUCKETS];
	/* Connections to post-process once the core returns. */
	uint32_t n_post;
	struct sb_conn *post[SB_TCP_POST_MAX];
	struct sb_wheel_timer *slots[SB_WHEEL_STORAGE(4)];
};

/* --- conn.c: the table and the connection life cycle --- */

struct sb_config;
/* lib/tcp's settings from the [tcp] section of the configuration. */
void sb_tcp_cfg_from_config(const struct sb_config *cfg, struct sb_tcp_cfg *tc);

/* Create worker w's table, pools and wheel. Returns 0 or a negative errno. */
int sb_tcp_worker_init(struct sb_worker *w, const struct sb_tcp_cfg *cfg, uint32_t max_conns,
		       uint32_t tw_max, uint64_t now_us);

/* Register an application: its callbacks get ctx first. Returns its id
 * (for sb_tcp_listen and sb_conn_connect), or -ENOSPC past SB_TCP_APPS_MAX. */
int sb_tcp_app_add(struct sb_tcp_worker *t, const struct sb_app_ops *ops, void *ctx);

/* Add a listener on port_be for application id app. -ENOSPC past
 * SB_TCP_LISTEN_MAX, -EINVAL for an unknown app. */
int sb_tcp_listen(struct sb_tcp_worker *t, uint16_t port_be, uint8_t app);

/* Process the post list: application notifications, deferred sends and
 * closes, TIME-WAIT swaps and frees. Called after every core call. */
void sb_tcp_post(struct sb_worker *w);

/* Queue c for post-processing. */
void sb_tcp_post_add(struct sb_tcp_worker *t, struct sb_conn *c, uint8_t flags);

/* Before a core call for c: what c's source address may still hold out of
 * order (ctx.ooo_src_left); after it: c's pieces brought into the count. */
void sb_conn_ooo_src_prepare(struct sb_tcp_worker *t, const struct sb_conn *c);
void sb_conn_ooo_settle(struct sb_tcp_worker *t, struct sb_conn *c);

/* Free every send and out-of-order mbuf of c. */
void sb_conn_drop_buffers(struct sb_worker *w, struct sb_conn *c);

/* --- the application's calls (never from inside lib/tcp; deferred if so) --- */

/* Active open from laddr_be:lport_be (one of ours) to raddr_be:rport_be through the
 * next hop dmac, driven by application id app; on_accept runs once it is
 * established. Returns the connection, or NULL with *ret_err set: -EADDRINUSE
 * (tuple taken), -ENOBUFS (tcp.max_conns or the pool). */
struct sb_conn *sb_conn_connect(struct sb_worker *w, uint32_t laddr_be, uint32_t raddr_be,
				uint16_t lport_be,
				uint16_t rport_be, const struct rte_ether_addr *dmac, uint8_t app,
				int *ret_err);

/* Append m (a chain of payload segments) to c's send queue and send what the
 * window allows. Takes m on success. -EPIPE once closing; -ENOBUFS past the
 * per-connection limit plus one window (the application ignored
 * sb_conn_snd_space()). */
int sb_conn_send(struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m);

/* Copy len bytes to c's send queue: into the room left in the last queued
 * mbuf first, then new ones, so a stream of small messages does not hold
 * one 2 KiB mbuf each. Same limits and errors as sb_conn_send(), plus
 * -ENOMEM when the pool is empty (what was copied stays queued). */
int sb_conn_send_bytes(struct sb_worker *w, struct sb_conn *c, const void *p, uint32_t len);

/* Bytes the application may still queue before reaching the limit. */
uint32_t sb_conn_snd_space(const struct sb_worker *w, const struct sb_conn *c);

/* Set the bytes the application can take now (the receive window). */
void sb_conn_set_rcv_space(struct sb_worker *w, struct sb_conn *c, uint32_t bytes);

/* Orderly close after the queued data. */
void sb_conn_close(struct sb_worker *w, struct sb_conn *c);

/* Reset c (RST to the peer, queued bytes dropped): for a peer that
 * stopped reading, whose orderly close could wait on its window forever.
 * on_close follows with SB_TCP_EV_RESET, never from inside this call: at
 * the next post-processing, at the latest the worker's sb_tcp_post_turn
 * after the batch the call came from. */
void sb_conn_abort(struct sb_worker *w, struct sb_conn *c);

/* Post-process what application work outside the core left on the list
 * (resets): the worker loop calls it after each batch of such work. */
void sb_tcp_post_turn(struct sb_worker *w);

/* --- tcp_io.c: input from the IPv4 layer --- */

/* m holds an IPv4 packet carrying TCP at l4_off; takes ownership. */
void sb_tcp_io_input(struct sb_worker *w, struct rte_mbuf *m, uint16_t l3_off, uint16_t l4_off);

/* ICMP destination unreachable (net/icmp.c) quoting a TCP segment of ours:
 * tu its tuple as we sent it, seq its sequence number, mtu the next-hop MTU
 * of a "fragmentation needed" (0: another code, a soft error, RFC 1122
 * §4.2.3.9). tu NULL: the quote was malformed or not ours. Counted under
 * lib/tcp's ICMP_* counters. */
void sb_tcp_io_icmp_unreach(struct sb_worker *w, const struct sb_tcp_tuple *tu, uint32_t seq,
			    uint32_t mtu);

/* Run due timers (bounded) and post-process. */
void sb_tcp_io_timers(struct sb_worker *w, uint64_t now_us);

/* The callbacks lib/tcp calls (tcp_ops.c). */
extern const struct sb_tcp_ops sb_tcp_glue_ops;

#endif
