/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-loadgen's state: one worker (the main lcore) running the dataplane's
 * own TCP stack in active-open mode, a table of the connections it drives,
 * and what it measures. lg_client.c opens connections at the configured
 * rate and runs the client application (hold, echo, churn), lg_xmpp.c the
 * XMPP one (xmpp-login, xmpp-msg); lg_main.c owns EAL, the port, the loop
 * and the report.
 *
 * Connection k (0 <= k < conns) always uses the same tuple: source address
 * src + k / SB_LG_PORTS_PER_ADDR, source port 1024 + k % SB_LG_PORTS_PER_ADDR,
 * so a run is reproducible and never collides with itself.
 */
#ifndef SB_LG_LOADGEN_H
#define SB_LG_LOADGEN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "lg_hist.h"

struct sb_conn;
struct sb_worker;
struct sb_app_ops;
struct sb_lg_xmpp;
struct sb_lg_flood;

#define SB_LG_PORT_FIRST 1024u
#define SB_LG_PORTS_PER_ADDR (65536u - SB_LG_PORT_FIRST)
#define SB_LG_OPEN_PER_TURN 256u  /* connects per loop turn: bounds one turn's work */
#define SB_LG_OPENING_MAX 4096u   /* SYNs in flight: a SYN flood measures nothing */
#define SB_LG_SCAN_PER_TURN 512u  /* echo mode: connections looked at per turn */

enum sb_lg_mode {
	SB_LG_MODE_HOLD = 0, /* open, then keep idle */
	SB_LG_MODE_ECHO,     /* open, then send messages and time their echo */
	SB_LG_MODE_CHURN,    /* open, one message and its echo, close: the whole life cycle */
	SB_LG_MODE_XMPP_LOGIN, /* open, log in over c2s XMPP, hold, </stream:stream> */
	SB_LG_MODE_XMPP_MSG,   /* as xmpp-login, then chat messages between pairs, timed */
	SB_LG_MODE_MAX,
};

enum sb_lg_cstate {
	SB_LG_C_NEW = 0,  /* not opened yet */
	SB_LG_C_OPENING,  /* SYN sent */
	SB_LG_C_OPEN,     /* established */
	SB_LG_C_CLOSING,  /* we sent our FIN at the end of the run */
	SB_LG_C_GONE,     /* closed, reset, timed out or refused */
	SB_LG_C_MAX,
};

/* One driven connection: 32 bytes, so a million cost 32 MB next to the stack's own. */
struct sb_lg_conn {
	struct sb_conn *c;
	uint64_t sent_tsc;   /* the outstanding message's send time, 0: none */
	uint64_t next_us;    /* echo mode with a rate: when the next message is due */
	uint16_t rx_have;    /* bytes of the outstanding message echoed so far */
	uint8_t state;       /* enum sb_lg_cstate */
	uint8_t pad;
	uint32_t seq;        /* messages completed */
};

_Static_assert(sizeof(struct sb_lg_conn) == 32, "keep the per-connection table compact");

/* Totals since start; the report prints their differences each second. */
struct sb_lg_totals {
	uint64_t established;
	uint64_t connect_fail;  /* refused, reset or timed out before established */
	uint64_t dropped;       /* closed by the peer or the stack once established */
	uint64_t open_err;      /* sb_conn_connect refused (pool, table) */
	uint64_t msgs_tx;
	uint64_t msgs_rx;
	uint64_t echo_bad;      /* echoed bytes that differ from what was sent */
	uint64_t send_err;      /* no mbuf, or the send queue refused */
	uint64_t closed;        /* closed by us at the end, orderly */
};

struct sb_lg {
	struct sb_worker *w;
	enum sb_lg_mode mode;
	uint32_t n_conns;
	uint64_t rate;             /* connection attempts per second */
	uint32_t src_host;         /* first source address, host order */
	uint32_t src_count;
	uint32_t dst_be;
	uint16_t dport_be;
	uint16_t msg_bytes;
	uint64_t msg_interval_us;  /* 0: next message as soon as the echo is back */
	uint64_t tsc_hz;
	uint8_t app_id;            /* the client's id in the TCP application table */
	bool nexthop_known;        /* nexthop_mac learned from an ARP reply */
	struct rte_ether_addr nexthop_mac; /* the gateway's (dst_be's) MAC */

	uint64_t open_start_us;    /* first connect */
	uint64_t all_open_us;      /* every connection settled (0: not yet) */
	uint32_t next_open;        /* next index to open */
	uint32_t opening;
	uint32_t open;
	uint32_t scan;             /* echo mode: round-robin cursor */
	uint64_t close_start_us;   /* end of run: closing started */
	uint32_t close_next;       /* next index to close */
	uint32_t closing;
	struct sb_lg_totals tot;
	struct sb_lg_hist lat_ns;  /* echo round trips */
	struct sb_lg_conn *conns;
	struct sb_lg_xmpp *xmpp;   /* xmpp modes (lg_xmpp.c), else NULL */
	struct sb_lg_flood *flood; /* loadgen.tls_flood (lg_xflood.c), else NULL */
	uint8_t flood_app;         /* the flood's id in the TCP application table */
	uint64_t msg_start_us;     /* xmpp-msg: the sending window */
	uint64_t msg_stop_us;
};

/* The client applications (lg_client.c): echo/hold/churn, and XMPP. */
extern const struct sb_app_ops sb_lg_client_ops;
extern const struct sb_app_ops sb_lg_xmpp_ops;

/* Open what the rate allows by now; returns the connections opened. */
unsigned sb_lg_open_some(struct sb_lg *lg);

/* Echo mode with a rate: send what is due on up to SB_LG_SCAN_PER_TURN
 * connections; returns messages sent. */
unsigned sb_lg_echo_some(struct sb_lg *lg);

/* End of run: close what the rate allows by now (up to SB_LG_OPEN_PER_TURN);
 * returns how many. */
unsigned sb_lg_close_some(struct sb_lg *lg);

/* Whether every connection has been tried and none is still opening. */
bool sb_lg_all_settled(const struct sb_lg *lg);

#endif
