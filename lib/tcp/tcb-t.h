/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Types of the TCP core: the connection block (TCB), the compact TIME-WAIT
 * record, a parsed segment and its options.
 *
 * The TCB keeps sequence numbers, never bytes. Unacknowledged send data stays
 * in the caller's buffers (the glue's mbufs): the core names it by its offset
 * from SND.UNA when it (re)transmits and tells the caller when a prefix is
 * acknowledged. Received in-order bytes are delivered at once; out-of-order
 * bytes are held by the caller too, as non-overlapping pieces the core names,
 * and the core keeps only the ranges (which double as its SACK blocks). So an
 * idle connection is this struct and nothing else: three cache lines.
 *
 * All timers of a connection share one wheel node armed at the earliest of
 * three deadlines (retransmit-or-persist, delayed ACK, keepalive-or-2MSL);
 * a deadline that moves later does not touch the wheel, the node re-arms
 * itself when it fires early. That keeps a busy connection from re-linking
 * its timer on every ACK.
 */
#ifndef SB_TCB_T_H
#define SB_TCB_T_H

#include <stddef.h>
#include <stdint.h>

#include "wheel.h"

enum sb_tcp_state {
	SB_TCPS_CLOSED = 0,
	SB_TCPS_LISTEN,
	SB_TCPS_SYN_SENT,
	SB_TCPS_SYN_RECEIVED,
	SB_TCPS_ESTABLISHED,
	SB_TCPS_FIN_WAIT_1,
	SB_TCPS_FIN_WAIT_2,
	SB_TCPS_CLOSE_WAIT,
	SB_TCPS_CLOSING,
	SB_TCPS_LAST_ACK,
	SB_TCPS_TIME_WAIT,
	SB_TCPS_TW_RECORD, /* a struct sb_tcp_tw, not a TCB */
	SB_TCPS_MAX,
};

/* Out-of-order ranges kept by the receiver: one more than a SACK option
 * with timestamps reports (RFC 2018 §3 allows keeping more than it sends),
 * so heavy reordering does not make us refuse data the peer must resend. */
#define SB_TCP_OOO_MAX 4
#define SB_TCP_SACKED_MAX 3 /* ranges the peer reported SACKed, kept by the sender */
#define SB_TCP_SACK_OPT_MAX 4 /* blocks one SACK option can carry (RFC 2018 §3) */

/* [start, end) in sequence space */
struct sb_tcp_range {
	uint32_t start;
	uint32_t end;
};

/* tcb.flags */
#define SB_TF_ACKNOW 0x0001u     /* send an ACK on the next output */
#define SB_TF_DELACK 0x0002u     /* an in-order segment waits for its delayed ACK */
#define SB_TF_TS 0x0004u         /* timestamps negotiated (RFC 7323 §3) */
#define SB_TF_SACK 0x0008u       /* SACK permitted (RFC 2018 §2) */
#define SB_TF_WSCALE 0x0010u     /* window scaling negotiated (RFC 7323 §2) */
#define SB_TF_FIN_QUEUED 0x0020u /* the application closed: FIN follows SND.END */
#define SB_TF_FIN_SENT 0x0040u   /* our FIN has been sent at least once */
#define SB_TF_OOO_FIN 0x0080u    /* the peer's FIN ends the last out-of-order range */
#define SB_TF_RECOVERY 0x0100u   /* NewReno fast recovery (RFC 6582 §3.2) */
#define SB_TF_PASSIVE 0x0200u    /* opened by a listener */
#define SB_TF_PERSIST 0x0400u    /* the retransmit deadline is the persist timer */
#define SB_TF_RTT 0x0800u        /* rtt_seq is being timed (never with SB_TF_TS) */
#define SB_TF_FORCE 0x1000u      /* send one byte past the window (zero-window probe) */
#define SB_TF_PEER_FIN 0x2000u   /* the peer's FIN was received in order */
#define SB_TF_PTO 0x4000u        /* the retransmit deadline is a tail loss probe (RFC 8985 §7) */
#define SB_TF_TLP_OUT 0x8000u    /* a probe went and no new data was acknowledged since */

/* tcb.tmask: which deadlines are live */
#define SB_TT_REXMT 0x01u /* t_rexmt_ms: retransmit, or persist when SB_TF_PERSIST */
#define SB_TT_DELACK 0x02u /* t_delack_ms */
#define SB_TT_KEEP 0x04u  /* t_keep_ms: keepalive; 2MSL in TIME-WAIT; FIN-WAIT-2 limit */

struct sb_tcb {
	/* Shared prefix with struct sb_tcp_tw: the wheel hands back the node and
	 * `state` tells which of the two owns it. */
	struct sb_wheel_timer timer;
	uint8_t state;           /* enum sb_tcp_state */
	uint8_t tmask;           /* SB_TT_* */
	uint16_t flags;          /* SB_TF_* */
	uint16_t snd_mss;        /* effective send MSS, options excluded (RFC 9293 §3.7.1) */
	uint8_t snd_wscale;      /* shift applied to the peer's window */
	uint8_t rcv_wscale;      /* shift applied to our window */
	/* send sequence space (RFC 9293 §3.3.1) */
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;        /* highest sequence sent + 1 */
	uint32_t snd_end;        /* end of data queued by the caller (FIN excluded) */
	uint32_t snd_wnd;        /* bytes, scaled */
	uint32_t snd_wl1;        /* SND.WL2 is implied: only ACKs >= SND.UNA update */
	uint32_t max_snd_wnd;    /* for the ACK check of RFC 5961 §5.2 */
	/* receive sequence space */
	uint32_t rcv_nxt;
	uint32_t rcv_adv;        /* right edge advertised: never moved left (§3.8.6.2.2) */
	uint32_t rcv_space;      /* bytes the caller can take now */
	/* congestion control (RFC 5681, RFC 6582) and SACK loss recovery (RFC 6675) */
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t recover;        /* RecoveryPoint */
	uint32_t snd_rxt;        /* HighRxt: holes below it were resent in this round */
	uint32_t rxt_mark;       /* SND.MAX when the last hole was resent: SACKs well above
				  * it mean that resend was lost too */
	/* Timestamps (RFC 7323 §4.3) and timing one segment without them
	 * (RFC 6298 §3) never coexist: SB_TF_TS says which pair is live. */
	union {
		struct {
			uint32_t ts_recent;
			uint32_t ts_recent_ms; /* when taken: PAWS forgets it after 24 days */
		};
		struct {
			uint32_t rtt_seq;      /* with SB_TF_RTT */
			uint32_t rtt_start_ms;
		};
	};
	uint32_t last_ack_sent;
	/* RTO (RFC 6298) */
	uint32_t srtt_us;        /* 0: no sample yet */
	uint32_t rttvar_us;
	uint32_t rto_us;         /* before backoff */
	/* deadlines, in the core's millisecond clock (wraps; compared as seq) */
	uint32_t t_rexmt_ms;
	uint32_t t_delack_ms;
	uint32_t t_keep_ms;
	uint8_t dupacks;
	uint8_t rxtshift;        /* retransmissions (or persist probes) in a row */
	uint8_t keep_probes;
	uint8_t ooo_n : 4;
	uint8_t ooo_last : 4;    /* range changed last: the first SACK block (RFC 2018 §4) */
	uint8_t sacked_n;
	uint8_t ooo_pieces;      /* pieces charged since the ranges were last empty: the
				  * caller holds at most these, each within
				  * cfg.ooo_piece_bytes, and they count in ctx->ooo_pieces */
	uint16_t challenge_t16;  /* last challenge ACK, in 16 ms units of the core's clock */
	struct sb_tcp_range ooo[SB_TCP_OOO_MAX];       /* sorted, disjoint, above rcv_nxt */
	struct sb_tcp_range sacked[SB_TCP_SACKED_MAX]; /* sorted, disjoint, above snd_una */
};

_Static_assert(sizeof(struct sb_tcb) <= 192, "TCB must stay within three cache lines");

/* What TIME-WAIT needs (RFC 9293 §3.10.7.4 "TIME-WAIT STATE", RFC 6191): the
 * caller swaps a TCB for this once the TCB reports SB_TCP_EV_TIME_WAIT. */
struct sb_tcp_tw {
	struct sb_wheel_timer timer; /* shared prefix with struct sb_tcb */
	uint8_t state;               /* SB_TCPS_TW_RECORD */
	uint8_t ts;                  /* timestamps were in use */
	uint8_t rcv_wscale;
	uint8_t reserved;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint32_t ts_recent;
	uint32_t expire_ms;
	uint32_t reserved2;
};

_Static_assert(sizeof(struct sb_tcp_tw) <= 48, "TIME-WAIT record must stay small");
_Static_assert(offsetof(struct sb_tcb, timer) == 0 && offsetof(struct sb_tcp_tw, timer) == 0 &&
		       offsetof(struct sb_tcb, state) == offsetof(struct sb_tcp_tw, state),
	       "the timer callback tells a TCB from a record by this shared prefix");

/* Parsed options (host byte order). */
#define SB_TCP_OPT_MSS 0x01u
#define SB_TCP_OPT_WSCALE 0x02u
#define SB_TCP_OPT_SACK_OK 0x04u
#define SB_TCP_OPT_SACK 0x08u
#define SB_TCP_OPT_TS 0x10u

struct sb_tcp_opts {
	uint8_t present; /* SB_TCP_OPT_* */
	uint8_t wscale;  /* already clamped to 14 (RFC 7323 §2.3) */
	uint8_t sack_n;
	uint8_t reserved;
	uint16_t mss;
	uint32_t tsval;
	uint32_t tsecr;
	struct sb_tcp_range sack[SB_TCP_SACK_OPT_MAX];
};

/* TCP header flags (the byte at offset 13) */
#define SB_TCP_FIN 0x01u
#define SB_TCP_SYN 0x02u
#define SB_TCP_RST 0x04u
#define SB_TCP_PSH 0x08u
#define SB_TCP_ACK 0x10u
#define SB_TCP_URG 0x20u

/* A segment as the glue hands it over: header fields in host order. */
struct sb_tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint16_t sport;
	uint16_t dport;
	uint16_t wnd;         /* as on the wire, unscaled */
	uint8_t flags;        /* SB_TCP_* */
	uint8_t hdr_len;      /* data offset in bytes */
	uint32_t len;         /* payload bytes */
	const uint8_t *payload;
	void *pkt;            /* the glue's handle (mbuf), passed back in deliver/hold */
	struct sb_tcp_opts opt;
};

#endif /* SB_TCB_T_H */
