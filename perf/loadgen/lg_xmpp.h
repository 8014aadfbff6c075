/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-loadgen's XMPP client (modes xmpp-login and xmpp-msg): over each TCP
 * connection it speaks plaintext c2s (RFC 6120) -- stream header, SASL
 * PLAIN (RFC 4616) or SCRAM-SHA-1 (RFC 5802, client side), stream restart,
 * resource binding with a server-generated resource (RFC 6120 §7.6),
 * initial presence -- then, in xmpp-msg mode, one-to-one chat messages
 * between the two users of a pair (connections 2i and 2i+1) whose body
 * carries a sequence number and the send time, so the receiver measures
 * end-to-end latency and counts loss and reordering. Replies are split into
 * top-level elements by lib/xml and looked at minimally.
 */
#ifndef SB_LG_XMPP_H
#define SB_LG_XMPP_H

#include <stdbool.h>
#include <stdint.h>

#include "lg_hist.h"
#include "lg_xproto.h"

struct sb_lg_keys;
struct sb_conn;
struct sb_lg;
struct sb_worker;
struct rte_mbuf;

/* Counters of the XMPP scenario (totals since start). */
struct sb_lg_xmpp_totals {
	uint64_t login_ok;     /* bound and initial presence sent; with xmpp_roster,
				* the roster received and our presence reflected */
	uint64_t login_fail;   /* SASL failure, bind error, or the stream ended first */
	uint64_t sasl_fail;    /* <failure/> from the server */
	uint64_t bad_server;   /* SCRAM server signature or nonce wrong, unexpected reply */
	uint64_t stream_err;   /* <stream:error/> or an early </stream:stream> */
	uint64_t xml_err;      /* the server's bytes did not tokenize, or overflowed rx */
	uint64_t pbkdf2_runs;  /* SaltedPassword computed (the rest came from the cache) */
	uint64_t msgs_tx;      /* queued on the loadgen's TCP connection */
	uint64_t msgs_rx;      /* every message received, duplicates included */
	uint64_t msgs_rx_window; /* of which while the senders were still sending */
	uint64_t msg_reorder;  /* out of order: a skipped sequence number arriving late */
	uint64_t msg_dup;      /* a sequence number seen before */
	uint64_t msg_gap;      /* sequence numbers skipped over (some may arrive late) */
	uint64_t msg_bad;      /* a <message/> without our body */
	uint64_t msg_blocked;  /* sends put off: the connection's send queue was full
				* (the gateway's TCP window closed), so it sends later */
	uint64_t msg_throttled; /* turns that sent nothing: a quarter of the mbufs left */
	uint64_t msg_rx_first; /* turns that sent nothing: a full receive burst was waiting */
	uint64_t bounced;      /* stanzas of type='error' received, by condition below */
	uint64_t bounce_cond[SB_LG_XP_CONDS]; /* lg_xproto.h's conditions */
	uint64_t keepalives;   /* whitespace keepalives sent (RFC 6120 §4.6.1) */
	uint64_t ka_deferred;  /* turns that put keepalives off: half the mbufs in use */
	uint64_t clean_close;  /* the server's </stream:stream> after ours */
	uint64_t roster_items; /* <item/>s in the roster results received */
	uint64_t pres_rx;      /* available presence from others (contacts' broadcasts,
				* probe answers), our own reflection not counted */
	uint64_t pres_unavail_rx; /* unavailable presence received */
	uint64_t fail_in[14];  /* login_fail by the step it was at (lg_xmpp_priv.h's
				* enum lg_xstate): which answer never came */
};

/* Allocate and configure the XMPP state of lg (mode xmpp-login or xmpp-msg). */
int sb_lg_xmpp_create(struct sb_lg *lg, const struct sb_lg_keys *cfg, bool msg_mode);

/* TCP callbacks of the XMPP client (lg_client.c's application table). */
void sb_lg_xmpp_on_open(struct sb_lg *lg, uint32_t idx);
void sb_lg_xmpp_on_data(struct sb_lg *lg, uint32_t idx, struct rte_mbuf *m);
/* The connection is gone: a login still in progress failed. */
void sb_lg_xmpp_on_close(struct sb_lg *lg, uint32_t idx);
/* Our orderly end: send </stream:stream> before the FIN. */
void sb_lg_xmpp_bye(struct sb_lg *lg, uint32_t idx);

/* Whether one more login may start: at most loadgen.xmpp_logins_max in
 * progress, TCP opening included (a login flood measures queueing). */
bool sb_lg_xmpp_may_open(const struct sb_lg *lg);

/* Every connection either logged in or failed (none still negotiating). */
bool sb_lg_xmpp_settled(const struct sb_lg *lg);

/* xmpp-msg: send what the total rate allows by now between start_us and
 * stop_us; returns messages sent. */
unsigned sb_lg_xmpp_send_some(struct sb_lg *lg, uint64_t start_us, uint64_t stop_us);

/* xmpp-msg: every message sent has arrived or come back as an error: the
 * drain after the sending window is over. */
bool sb_lg_xmpp_drained(const struct sb_lg *lg);

/* Whitespace keepalives (loadgen.xmpp_keepalive_s): one per bound session
 * per interval, counted from since_us; returns how many were sent. */
unsigned sb_lg_xmpp_keepalive_some(struct sb_lg *lg, uint64_t since_us);

/* xmpp-msg: a turn that sends nothing so that receiving keeps up (counted). */
unsigned sb_lg_xmpp_rx_first(struct sb_lg *lg, uint64_t start_us, uint64_t stop_us);

/* Errors that make the run fail; messages sent but never received. */
uint64_t sb_lg_xmpp_errors(const struct sb_lg *lg);
uint64_t sb_lg_xmpp_lost(const struct sb_lg *lg);

/* The summary's XMPP part (key=value pairs, no newline); whether the
 * scenario met its goal: every login done, no message lost, bounced,
 * duplicated or out of order. */
void sb_lg_xmpp_report(const struct sb_lg *lg, uint64_t open_us, uint64_t send_us);
bool sb_lg_xmpp_ok(const struct sb_lg *lg);

#endif
