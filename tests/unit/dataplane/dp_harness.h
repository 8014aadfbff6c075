/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane in one test process: DPDK's EAL started here (no
 * hugepages, no PCI, in memory, a file prefix of the test's own), and two
 * workers wired back to back through two ring ports (net_ring): `gw`, the
 * gateway's worker with the real applications (echo, discard, c2s) and its
 * control rings, and `peer`, a second copy of the same TCP stack opening
 * connections to it, driven by a recording application (struct dp_sock).
 * Nothing is mocked: frames leave through sb_pktio_flush() and enter
 * through sb_eth_input(), messages go through the real rings and pool.
 *
 * The clock is the test's: h->now_us, advanced by dp_advance(). sb-control
 * is the test too: it reads the up rings (dp_ctl_take) and writes the down
 * rings (dp_ctl_reply), with the shared memory a plain struct sb_shm whose
 * ctl_live / ctl_epoch the test sets.
 */
#ifndef SB_TEST_DP_HARNESS_H
#define SB_TEST_DP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "shm.h"

struct rte_mempool;
struct rte_ring;
struct sb_conn;
struct sb_worker;
struct sb_xc_worker;

#define DP_SHARDS 2u
#define DP_SOCKS 512u          /* peer connections one harness can hold */
#define DP_RX_MAX 65536u       /* bytes a dp_sock records */

#define DP_GW_IP 0xC6120002u   /* 198.18.0.2, host order */
#define DP_PEER_IP 0xC6120100u /* 198.18.1.0 and on: one address per connection */
#define DP_PORT_C2S 5222u
#define DP_PORT_ECHO 7u
#define DP_PORT_REC 9000u      /* the gateway's own recording application */

/* A connection as the test sees it, on either side: what arrived, in
 * order, and what the stack told the application. */
struct dp_sock {
	struct sb_conn *c;
	uint8_t rx[DP_RX_MAX];
	uint32_t rx_len;
	uint32_t held;          /* received bytes the test has not read yet */
	uint32_t rcv_limit;     /* 0: take everything; else the window is limit - held */
	bool established;
	bool peer_fin;
	bool closed;
	unsigned writable;      /* on_writable calls */
};

struct dp_opts {
	bool c2s;               /* the XMPP listener and its state (xmpp.*) */
	unsigned msgs;          /* objects of the message pool */
	unsigned ring_size;     /* control ring capacity (a power of two) */
	unsigned mbufs;
	/* STARTTLS on the c2s listener: xmpp.tls's value ("optional",
	 * "required"; NULL: off) with this certificate chain and key. */
	const char *tls;
	const char *tls_cert;
	const char *tls_key;
};

struct dp_h {
	struct sb_config cfg;
	struct sb_shm *shm;
	struct rte_mempool *pkt_pool;
	struct rte_mempool *msg_pool;
	struct rte_ring *up[DP_SHARDS];
	struct rte_ring *down[DP_SHARDS];
	/* sb-control's message objects (dataplane/ring/ctl_pool.h), sized as
	 * sb-dataplane sizes them; only sb_ctl_pool_serve() moves them, and
	 * dp_run() does not call it. */
	struct rte_ring *fill[DP_SHARDS];
	struct rte_ring *ret[DP_SHARDS];
	struct rte_ring *wire[2];       /* wire[0]: gw -> peer, wire[1]: peer -> gw */
	uint16_t port[2];               /* ring ports of gw and peer */
	struct sb_worker *gw;
	struct sb_worker *peer;
	struct sb_xc_worker *xw;        /* the gateway's c2s state (dp_opts.c2s), else NULL */
	uint8_t peer_app;               /* the recording application's id on the peer */
	uint64_t now_us;
	unsigned id;                    /* this harness's number in the process */
	unsigned n_socks;
	unsigned n_gw_socks;
	struct dp_sock *socks;          /* peer side, by connection */
	struct dp_sock *gw_socks;       /* gateway side of DP_PORT_REC connections */
	volatile bool quit;
};

/* Start EAL in this process (once; later calls return at once). Fails the
 * test if EAL does not start. */
void dp_eal_init(const char *test_name);

/* A harness: the two workers, their TCP stacks, the gateway's listeners,
 * pools, control rings and shared memory; tcp.* and xmpp.* from the
 * configuration's defaults, made small. */
struct dp_h *dp_new(const struct dp_opts *o);
void dp_free(struct dp_h *h);

/* Move frames between the workers, run their timers and the gateway's
 * XMPP turn, until nothing moves (bounded). */
void dp_run(struct dp_h *h);

/* One loop turn of the gateway alone, to see what one poll does: the
 * peer's queued frames onto the wire, one receive burst through the
 * gateway's input path, its timers and its applications' turn, then what
 * it sent into the peer (one burst, no peer timers). */
void dp_gw_turn(struct dp_h *h);

/* Advance the clock by ms milliseconds, one millisecond at a time. */
void dp_advance(struct dp_h *h, unsigned ms);

/* Open a connection from the peer to the gateway's dport; runs until it
 * is established (asserted). */
struct dp_sock *dp_connect(struct dp_h *h, uint16_t dport);

/* As dp_connect, but the peer's ACK of the SYN-ACK is lost: the gateway is
 * still in SYN-RECEIVED, and the peer's first data segment completes the
 * handshake. */
struct dp_sock *dp_connect_ack_lost(struct dp_h *h, uint16_t dport);

/* Queue len bytes on s (one sb_conn_send_bytes: normally one segment
 * when the window allows) and send them. */
void dp_send(struct dp_h *h, struct dp_sock *s, const void *p, size_t len);

/* The test reads n of s's held bytes: its window opens again. */
void dp_read(struct dp_h *h, struct dp_sock *s, uint32_t n);

/* Orderly close from the peer; runs until the gateway has let go. */
void dp_close(struct dp_h *h, struct dp_sock *s);

/* Counter `name` of the gateway worker (dataplane/dp_counters.def). */
#define DP_CTR(h, name) ((h)->gw->ctr[SB_DP_CTR_##name])

/* --- the test as sb-control --- */

/* sb-control is attached with this epoch (0: gone). */
void dp_ctl_attach(struct dp_h *h, uint32_t epoch);

/* The next message on any up ring, or NULL; the caller frees it with
 * dp_msg_free(). */
struct sb_msg *dp_ctl_take(struct dp_h *h);

/* Drop every message waiting on the up rings; returns how many. */
unsigned dp_ctl_drain(struct dp_h *h);

/* A reply of kind for the connection handle (conn, gen), status, payload
 * p/len, put on the down ring of shard, then polled by the gateway. */
void dp_ctl_reply(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint64_t conn,
		  uint32_t gen, int16_t status, const void *p, size_t len);

/* The same with SB_MSG_F_* flags beside SB_MSG_F_FROM_CONTROL. */
void dp_ctl_reply_flags(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint8_t flags,
			uint64_t conn, uint32_t gen, int16_t status, const void *p, size_t len);

/* As dp_ctl_reply (and _flags), but only the gateway's poll runs: not the
 * rest of its turn (post-processing, timers), nor the wire. */
void dp_ctl_put(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint64_t conn,
		uint32_t gen, int16_t status, const void *p, size_t len);
void dp_ctl_put_flags(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint8_t flags,
		      uint64_t conn, uint32_t gen, int16_t status, const void *p, size_t len);

void dp_msg_free(struct dp_h *h, struct sb_msg *m);
/* Message objects the worker has not given out: the pool's and those in
 * its stash (dataplane/ring/ctl_link.h), for leak checks. */
unsigned dp_msgs_free(const struct dp_h *h);

/* The payload of a presence fan-out (SB_MSG_DELIVER_MULTI) of `bytes`
 * from `from` to the n connections named by their objects' handles, each
 * copy's `to` after the element name; returns its length. */
struct sb_xc_conn;
size_t dp_multi_payload(uint8_t *buf, size_t cap, struct sb_xc_conn *const *to, uint32_t n,
			const char *from, const char *bytes);

/* --- XMPP client helpers (peer side) --- */

/* PLAIN login of `user` (password "secret") and a bind of resource "r":
 * sb-control's answers come from the test. Returns the bound client. */
struct dp_sock *dp_c2s_login(struct dp_h *h, const char *user);
/* Its two halves: the stream and the PLAIN <auth/> sent; then sb-control's
 * AUTH_REQ taken (asserted) and answered, and the bind done. */
struct dp_sock *dp_c2s_auth(struct dp_h *h, const char *user);
void dp_c2s_bind(struct dp_h *h, struct dp_sock *s);

/* Send n chat messages to bob, numbered from first: bodies "[first]xxx…",
 * "[first+1]xxx…", each about pad bytes long and in a TCP segment of its
 * own (the delayed ACK is let out between them). */
void dp_c2s_chats(struct dp_h *h, struct dp_sock *s, unsigned first, unsigned n, size_t pad);

/* Take the stanzas waiting on the up rings, asserting they are the
 * numbered chats from `first` on, in order; returns how many. */
unsigned dp_ctl_take_chats(struct dp_h *h, unsigned first);

/* As dp_ctl_take_chats, letting through a new sb-control's replay of the
 * bound sessions (BIND_REQ with SB_MSG_F_REPLAY). */
unsigned dp_ctl_take_chats_replayed(struct dp_h *h, unsigned first);

/* A bound client of a worker short of mbufs (gw->mbufs_low), with a
 * 16 KiB input budget, that sent n numbered chats of 800 bytes: those
 * inside the window already advertised are routed (taken off the rings,
 * checked, counted in *ret_routed), the rest wait on the client's side. */
struct dp_sock *dp_c2s_window_shut(struct dp_h *h, unsigned n, unsigned *ret_routed);

/* The stream header to the gateway's domain (a new stream after
 * STARTTLS or SASL goes through the caller's TLS). */
int dp_stream_header(const struct dp_h *h, char *buf, size_t cap);

/* Whether s received `needle` (a byte string) anywhere. */
bool dp_sock_saw(const struct dp_sock *s, const char *needle);

#endif
