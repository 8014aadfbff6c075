/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-kclient: an XMPP load client on the kernel's TCP (epoll, non-blocking
 * sockets), for the gateway reached through its TAP from a namespace, the
 * way a real client reaches it. N sessions log in (SCRAM-SHA-1 or PLAIN,
 * bind, initial presence; at most `conc` logins in progress), then the
 * first 2P sessions form P pairs (2i, 2i+1) that run a closed loop for T
 * seconds: each sender keeps K chat messages outstanding to its peer's full
 * JID and sends the next one when one arrives or bounces. A drain follows.
 * kc_conn.c owns the sockets and the login, kc_main.c the run and report.
 */
#ifndef SB_KCLIENT_H
#define SB_KCLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "lg_hist.h"
#include "lg_xproto.h"
#include "xml.h"

struct sb_lg_scram_user;

#define KC_RX_BYTES 4096u
#define KC_TX_BYTES 4096u
#define KC_JID_BYTES 96u

enum kc_state {
	KC_NEW = 0,
	KC_CONNECTING,   /* non-blocking connect in progress */
	KC_FEATURES,     /* stream header sent */
	KC_SASL,         /* <auth/> sent */
	KC_SASL_FINAL,   /* SCRAM <response/> sent */
	KC_FEATURES2,    /* restarted after SASL */
	KC_BIND,         /* bind iq sent */
	KC_READY,        /* bound, initial presence sent */
	KC_FAILED,       /* login failed or the connection broke: closed */
	KC_STATE_MAX,
};

struct kc_conn {
	int fd;
	uint8_t st;               /* enum kc_state */
	bool want_out;            /* EPOLLOUT armed: tx holds bytes the socket refused */
	uint16_t rx_len;
	uint16_t tx_len;
	uint32_t tx_seq;          /* messages sent to the peer */
	uint32_t rx_seq;          /* next sequence number expected from the peer */
	uint32_t gaps_open;       /* skipped numbers not seen since */
	uint32_t outstanding;     /* sent, neither arrived nor bounced */
	uint64_t login_ns;        /* connect started */
	struct sb_xml x;          /* tokenizer state at rx[0] */
	uint8_t ssig[20];
	char cnonce[SB_LG_XP_NONCE_BYTES];
	char jid[KC_JID_BYTES];   /* our full JID from the bind result */
	uint8_t rx[KC_RX_BYTES];
	uint8_t tx[KC_TX_BYTES];
};

struct kc_opts {
	const char *addr;
	uint16_t port;
	const char *domain;
	const char *prefix;
	const char *password;
	bool scram;
	uint32_t users;           /* session k logs in as prefix(k % users) */
	uint32_t sessions;
	uint32_t pairs;
	uint32_t outstanding;     /* K per sender */
	uint32_t seconds;         /* closed loop */
	uint32_t conc;            /* logins in progress at once */
	uint32_t login_s;         /* every login done by then, or the run fails */
	uint32_t drain_s;
};

struct kc_totals {
	uint64_t login_ok, login_fail, connect_fail, sasl_fail, bad_server, stream_err, xml_err;
	uint64_t io_err;          /* read/write error or the server closed */
	uint64_t pbkdf2_runs;
	uint64_t tx_full;         /* a write found our own tx buffer full */
	uint64_t msgs_tx, msgs_rx, msgs_rx_loop, dup, reorder, gaps, msg_bad;
	uint64_t bounced, bounce_cond[SB_LG_XP_CONDS];
};

struct kc {
	struct kc_opts o;
	int ep;
	struct kc_conn *c;
	struct sb_lg_scram_user *ucache;
	struct sb_xml_ctx ctx;
	struct sb_xml_limits lim;
	struct kc_totals t;
	struct sb_lg_hist lat_ns;   /* closed loop */
	struct sb_lg_hist drain_ns; /* after it */
	struct sb_lg_hist login_ns;
	uint32_t next_open;
	uint32_t in_login;          /* connecting or negotiating */
	bool sending;               /* the closed loop runs: deliveries trigger sends */
	bool loop_over;             /* after the loop: arrivals count as drain */
};

uint64_t kc_now_ns(void);

/* kc_conn.c: start connection idx; drive it on epoll events; write bytes
 * (buffered, flushed as the socket takes them); close it. */
int kc_open(struct kc *k, uint32_t idx);
void kc_event(struct kc *k, uint32_t idx, uint32_t events);
int kc_write(struct kc *k, uint32_t idx, const char *p, size_t len);
void kc_close(struct kc *k, uint32_t idx);

/* kc_main.c: a chat message or an error stanza on a bound session. */
void kc_on_message(struct kc *k, uint32_t idx, const uint8_t *e, size_t len);
void kc_on_bounce(struct kc *k, uint32_t idx, const uint8_t *e, size_t len);

#endif
