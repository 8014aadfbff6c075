/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TCP core (RFC 9293) as a pure function of its inputs: a parsed segment,
 * an application call or a timer, plus the time, go in; segments to emit,
 * bytes to deliver and events come out through struct sb_tcp_ops. No DPDK,
 * no allocation, no logging: the glue owns packets, buffers, the 4-tuple
 * table and the wheel's storage, and passes one struct sb_tcp_ctx per worker
 * as the first argument everywhere.
 *
 * Buffers stay with the caller (see tcb-t.h): emit() names payload by offset
 * from SND.UNA, acked() releases a prefix of the send queue, deliver() and
 * hold()/release() hand over received bytes by segment handle. Emitted
 * headers carry zero ports and a zero checksum: the glue owns the tuple and
 * fills both (sb_tcp_csum_ipv4() or the NIC's offload).
 *
 * Listener path (no TCB): a SYN either gets a TCB through sb_tcp_accept_syn()
 * or, under SYN flood, a stateless cookie SYN-ACK through
 * sb_tcp_cookie_synack(); a bare ACK is tried with sb_tcp_cookie_accept();
 * anything else is answered with sb_tcp_reply_rst() (RFC 9293 §3.10.7.1).
 */
#ifndef SB_TCP_H
#define SB_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctr.h"
#include "tcb-t.h"
#include "wheel.h"

/* lib/tcp's counters (tcp_counters.def, lib/ctr's shape). Their names are
 * upper case, as sbctl has always printed them. */
enum sb_tcp_cnt {
#define SB_CTR(n, d) SB_TCP_CNT_##n,
#include "tcp_counters.def"
#undef SB_CTR
	SB_TCP_CNT_MAX,
};

/* Names and help of the counters, by enum sb_tcp_cnt (tcp_counters.c). */
extern const struct sb_ctr_desc sb_tcp_ctr_desc[SB_TCP_CNT_MAX];

enum sb_tcp_event {
	SB_TCP_EV_CONNECTED = 0, /* active open completed */
	SB_TCP_EV_ACCEPTED,      /* passive open completed */
	SB_TCP_EV_PEER_FIN,      /* the peer will send no more (end of stream) */
	SB_TCP_EV_TIME_WAIT,     /* entered TIME-WAIT: may be swapped for sb_tcp_tw */
	SB_TCP_EV_CLOSED,        /* orderly close done: the TCB may be freed */
	SB_TCP_EV_RESET,         /* reset by the peer: the TCB may be freed */
	SB_TCP_EV_TIMEDOUT,      /* retransmissions or keepalives exhausted: may be freed */
	SB_TCP_EV_MAX,
};

/* One segment to send. data_off is the payload's offset in the caller's send
 * queue, counted from SND.UNA at the time of the call. */
struct sb_tcp_tx {
	const uint8_t *hdr; /* TCP header and options, network order */
	uint32_t hdr_len;
	uint32_t seq;       /* host order copy of the header's sequence number */
	uint32_t data_off;
	uint32_t data_len;
};

/* tcb is NULL for replies sent without a connection (RST, cookie SYN-ACK,
 * TIME-WAIT ACK): the glue answers the segment it is processing. */
struct sb_tcp_ops {
	void (*emit)(void *user, struct sb_tcb *tcb, const struct sb_tcp_tx *tx);
	/* in-order bytes: seg->payload[skip, skip + len) */
	void (*deliver)(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
			uint32_t skip, uint32_t len);
	/* keep seg->payload[skip, skip + len), sequence number seq, for later;
	 * pieces never overlap one another. The core has charged the piece
	 * cfg.ooo_piece_bytes: the caller must not use more buffer for it */
	void (*hold)(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg, uint32_t skip,
		     uint32_t len, uint32_t seq);
	/* every held piece below end_seq is now in order: deliver them by
	 * ascending sequence and free them */
	void (*release)(void *user, struct sb_tcb *tcb, uint32_t end_seq);
	/* the first `bytes` of the send queue are acknowledged: free them */
	void (*acked)(void *user, struct sb_tcb *tcb, uint32_t bytes);
	void (*event)(void *user, struct sb_tcb *tcb, enum sb_tcp_event ev);
	void (*tw_expired)(void *user, struct sb_tcp_tw *tw);
};

struct sb_tcp_cfg {
	uint16_t mss;              /* our MSS: link MTU - 40 */
	uint16_t mss_min;          /* a peer MSS below this is raised to it */
	uint32_t rcv_space;        /* initial receive window, bytes */
	uint8_t rcv_wscale;        /* our window shift, 0..14 */
	bool ts;                   /* offer timestamps */
	bool sack;                 /* offer SACK */
	bool tlp;                  /* tail loss probes with SACK (RFC 8985 §7) */
	bool wscale;               /* offer window scaling */
	uint8_t init_cwnd_segs;    /* RFC 6928: 10 */
	uint8_t syn_retries;       /* SYN / SYN-ACK retransmissions before giving up */
	uint8_t data_retries;      /* data retransmissions before giving up */
	uint8_t keep_cnt;          /* unanswered keepalive probes before dropping */
	uint32_t rto_init_us;      /* RFC 6298 §2.1: 1 s */
	uint32_t rto_min_us;
	uint32_t rto_max_us;       /* cap of the backed-off RTO (RFC 6298 §2.5: >= 60 s) */
	uint32_t delack_ms;        /* RFC 9293 §3.8.6.3: < 500 ms */
	uint32_t keep_idle_ms;     /* 0 disables keepalive */
	uint32_t keep_intvl_ms;
	uint32_t msl_ms;           /* TIME-WAIT lasts 2 * MSL */
	uint32_t fin_wait_2_ms;    /* FIN-WAIT-2 without a FIN from the peer */
	uint32_t persist_min_ms;
	uint32_t persist_max_ms;
	/* RFC 5961 §7: challenge ACKs per worker and second, on average; each
	 * second's budget is drawn from [n/2, 3n/2) with a keyed hash, so that
	 * the count an observer sees does not tell what other connections drew
	 * (the CVE-2016-5696 side channel) */
	uint32_t challenge_acks_per_s;
	uint32_t challenge_gap_ms; /* per connection: one challenge ACK per gap at most */
	uint8_t ooo_pieces_max;    /* held pieces per connection */
	/* Out-of-order memory. Each held piece is charged ooo_piece_bytes (the
	 * caller's buffer for one piece, however few bytes it carries): a
	 * connection's charge must fit the receive space its application set
	 * (sb_tcp_set_rcv_space), and the worker's pieces
	 * ooo_pieces_worker_max. */
	uint32_t ooo_piece_bytes;
	uint32_t ooo_pieces_worker_max;
	/* Pieces the connections of one source address may hold together
	 * (0: no such limit). The caller keeps the count per address and
	 * passes what is left in ctx->ooo_src_left before sb_tcp_input(). */
	uint32_t ooo_pieces_src_max;
	uint8_t burst_max;         /* segments per output call */
};

/* Lowest path MTU an ICMP may set: 576, the datagram every IPv4 host must
 * accept (RFC 791, RFC 1122 §3.3.2), so MSS 536. A forged ICMP can cost
 * a connection header overhead, never make it send tiny segments. */
#define SB_TCP_PMTU_MIN 576u

#define SB_TCP_TXBUF 64u /* a header with every option fits */

struct sb_tcp_ctx {
	const struct sb_tcp_ops *ops;
	void *user;
	struct sb_wheel *wheel; /* ticks are milliseconds of now_us / 1000 */
	struct sb_tcp_cfg cfg;
	uint64_t now_us;        /* set by every entry point */
	uint32_t now_ms;
	uint32_t challenge_sec; /* second the challenge ACK budget belongs to */
	uint32_t challenge_n;   /* challenge ACKs left in that second */
	uint32_t ooo_pieces;    /* pieces held by all connections: sum of tcb->ooo_pieces */
	uint32_t cookie_until_s; /* cookie ACKs are accepted before this second (0: never) */
	bool ooo_refuse;        /* set by the caller: the buffer pool is low, hold nothing */
	uint32_t ooo_src_left;  /* set by the caller: pieces the segment's source address may
				 * still have held (UINT32_MAX, the initial value: no limit) */
	uint8_t key[16];        /* SipHash key for ISNs and cookies */
	uint8_t txbuf[SB_TCP_TXBUF];
	uint64_t cnt[SB_TCP_CNT_MAX];
};

/* Four-tuple as on the wire (network order); only hashed, never interpreted. */
struct sb_tcp_tuple {
	uint32_t laddr;
	uint32_t raddr;
	uint16_t lport;
	uint16_t rport;
};

enum sb_tcp_parse_res {
	SB_TCP_PARSE_OK = 0,
	SB_TCP_PARSE_SHORT,     /* need more bytes: truncated header */
	SB_TCP_PARSE_BAD_DOFF,
	SB_TCP_PARSE_BAD_OPT,
	SB_TCP_PARSE_BAD_FLAGS,
	SB_TCP_PARSE_MAX,
};

enum sb_tcp_tw_verdict {
	SB_TCP_TW_DROP = 0, /* nothing to do */
	SB_TCP_TW_ACKED,    /* answered with an ACK */
	SB_TCP_TW_REUSE,    /* a new SYN may take the tuple: cancel the record and
			     * run the listener path with ISS >= *ret_iss_min */
	SB_TCP_TW_MAX,
};

/* --- tcp_opts.c --- */
void sb_tcp_cfg_default(struct sb_tcp_cfg *cfg);
/* Parses a TCP header and its options from buf (len bytes: header + payload).
 * On SB_TCP_PARSE_OK seg is filled (pkt is left to the caller). */
enum sb_tcp_parse_res sb_tcp_parse(const uint8_t *buf, size_t len, struct sb_tcp_seg *seg);
enum sb_tcp_parse_res sb_tcp_opts_parse(const uint8_t *p, size_t len, struct sb_tcp_opts *o);
/* Writes the options of o into buf (cap bytes), padded to 4. Returns bytes
 * written, or 0 when they do not fit. */
size_t sb_tcp_opts_write(uint8_t *buf, size_t cap, const struct sb_tcp_opts *o);
/* Counts a parse failure under its counter. */
void sb_tcp_count_parse(struct sb_tcp_ctx *ctx, enum sb_tcp_parse_res r);

/* --- tcp_csum.c --- */
/* Ones-complement checksum of IPv4 pseudo-header + segment (RFC 9293 §3.1).
 * Addresses in network order. A segment whose checksum field is correct sums
 * to 0. */
uint16_t sb_tcp_csum_ipv4(uint32_t saddr, uint32_t daddr, const void *seg, size_t len);

/* --- tcp_input.c --- */
int sb_tcp_ctx_init(struct sb_tcp_ctx *ctx, const struct sb_tcp_cfg *cfg,
		    const struct sb_tcp_ops *ops, void *user, struct sb_wheel *wheel,
		    const uint8_t key[16]);
/* Active open: tcb becomes SYN-SENT and a SYN is emitted. */
int sb_tcp_connect(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t iss, uint64_t now_us);
/* Passive open from a listener's SYN: tcb becomes SYN-RECEIVED, SYN-ACK
 * emitted. -EINVAL if seg is not a plain SYN. */
int sb_tcp_accept_syn(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		      uint32_t iss, uint64_t now_us);
/* A segment for an existing TCB (any state but CLOSED/LISTEN). */
void sb_tcp_input(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		  uint64_t now_us);
/* RST for a segment that matches no connection (RFC 9293 §3.10.7.1). */
void sb_tcp_reply_rst(struct sb_tcp_ctx *ctx, const struct sb_tcp_seg *seg);

/* --- tcp_output.c --- */
/* The caller appended len bytes to the send queue. -EPIPE after close. */
int sb_tcp_send(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t len, uint64_t now_us);
/* Orderly close: FIN after the queued data (RFC 9293 §3.10.4). From here on
 * no received byte is delivered or held (the application will read none):
 * in-order data is acknowledged and dropped, out-of-order data refused, and
 * the held pieces are forgotten (RFC 2018 §8 reneging: the peer keeps its
 * data until it is ACKed): the caller frees them. */
int sb_tcp_close(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint64_t now_us);
/* Abort: RST to the peer when synchronized, TCB CLOSED, no event. Held
 * pieces are forgotten: the caller frees them. */
void sb_tcp_abort(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint64_t now_us);
/* The caller can take `bytes` more; opening a closed window sends an update. */
void sb_tcp_set_rcv_space(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t bytes,
			  uint64_t now_us);
/* Sends what window, congestion window and pending ACKs allow now. */
void sb_tcp_output(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
/* ICMP fragmentation needed (RFC 1191) for tcb. quoted_seq is the sequence
 * number in the quoted TCP header, mtu the next-hop MTU (IPv4 datagram
 * bytes; the glue turns 0 into a plateau). The send MSS goes down to
 * mtu - 40 - options, never up, never below SB_TCP_PMTU_MIN's worth, and
 * data in flight is resent at the new size. 0: lowered; -ERANGE: quoted_seq
 * outside SND.UNA..SND.MAX (RFC 5927 §4.1); -EALREADY: not lower; -ENOTCONN:
 * not in a data-sending state. Every outcome is counted (ICMP_PMTU_*). */
int sb_tcp_pmtu(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t quoted_seq, uint32_t mtu,
		uint64_t now_us);
/* Whether a cookie ACK can be valid now: cookies were sent within their
 * lifetime (RFC 4987 §3.6). Lets the caller skip allocating for stray ACKs. */
static inline bool sb_tcp_cookies_live(const struct sb_tcp_ctx *ctx, uint64_t now_us)
{
	return ctx->cookie_until_s != 0 && (uint32_t)(now_us / 1000000u) < ctx->cookie_until_s;
}
/* Bytes queued by the caller and not yet acknowledged. */
uint32_t sb_tcp_snd_queued(const struct sb_tcb *tcb);

/* --- tcp_timer.c --- */
/* Advances the wheel to now_us, running at most max_expired connection timers. */
uint32_t sb_tcp_timers_run(struct sb_tcp_ctx *ctx, uint64_t now_us, uint32_t max_expired);
/* Swaps a TIME-WAIT TCB for tw: the TCB's timer is cancelled and may be freed. */
void sb_tcp_tw_init(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw, struct sb_tcb *tcb);
enum sb_tcp_tw_verdict sb_tcp_tw_input(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw,
				       const struct sb_tcp_seg *seg, uint64_t now_us,
				       uint32_t *ret_iss_min);
void sb_tcp_tw_cancel(struct sb_tcp_ctx *ctx, struct sb_tcp_tw *tw);

/* --- tcp_cookie.c --- */
uint64_t sb_tcp_siphash(const uint8_t key[16], const void *data, size_t len);
/* RFC 6528 initial sequence number: 4 us clock + keyed hash of the tuple. */
uint32_t sb_tcp_iss(const struct sb_tcp_ctx *ctx, const struct sb_tcp_tuple *tu, uint64_t now_us);
/* What a SYN cookie carries (RFC 4987 §3.6). */
struct sb_tcp_cookie_data {
	uint16_t mss;   /* rounded down to a table entry */
	uint8_t wscale; /* 0xff: none */
	bool sack_ok;
	bool ts_ok;
};
uint32_t sb_tcp_cookie_encode(const uint8_t key[16], const struct sb_tcp_tuple *tu,
			      uint32_t peer_isn, uint32_t now_s, const struct sb_tcp_cookie_data *d);
/* 0 and *ret filled when cookie is valid for this tuple within two 64 s
 * periods of now_s; -EACCES otherwise. */
int sb_tcp_cookie_decode(const uint8_t key[16], const struct sb_tcp_tuple *tu, uint32_t peer_isn,
			 uint32_t cookie, uint32_t now_s, struct sb_tcp_cookie_data *ret);
void sb_tcp_cookie_synack(struct sb_tcp_ctx *ctx, const struct sb_tcp_tuple *tu,
			  const struct sb_tcp_seg *syn, uint64_t now_us);
/* An ACK at a listener: if it carries a valid cookie, tcb becomes
 * ESTABLISHED (event ACCEPTED) and 0 is returned; -EACCES otherwise. */
int sb_tcp_cookie_accept(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_tuple *tu,
			 const struct sb_tcp_seg *ack, uint64_t now_us);

#endif /* SB_TCP_H */
