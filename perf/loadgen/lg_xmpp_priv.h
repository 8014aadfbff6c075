/* SPDX-License-Identifier: BSD-3-Clause
 *
 * State shared by the two halves of sb-loadgen's XMPP client: lg_xmpp.c
 * (login, stream parsing) and lg_xmsg.c (chat messages between pairs,
 * bounces, whitespace keepalives, their report). One connection's receive
 * tail lives in one arena (rxbuf, rx_cap bytes per connection) rather than
 * inside struct lg_xconn: logins only need room for the longest server
 * element of a login, so a million idle sessions do not pay for the
 * message mode's larger tail.
 */
#ifndef SB_LG_XMPP_PRIV_H
#define SB_LG_XMPP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "lg_hist.h"
#include "lg_xmpp.h"
#include "lg_xsasl.h"
#include "xml.h"

struct sb_lg_scram_user;
struct sb_tls_worker;
struct sb_tls_client;
struct sb_tls_ssl;
struct sb_tls_conn;

#define LG_X_OUT_BYTES 512u
#define LG_X_USER_BYTES 64u
#define LG_X_RX_MSG_BYTES 2048u   /* xmpp-msg: room for one message and a bounce */
#define LG_X_RX_LOGIN_BYTES 512u  /* xmpp-login: the stream features (~300 bytes) fit */
#define LG_X_TLS_OUT_BYTES 4096u  /* one element sealed, and a KeyUpdate owed before it */
/* xmpp-login with xmpp_roster: the roster result is one element, about
 * 60 bytes per item (1.3 KiB for 18 contacts). */
#define LG_X_RX_ROSTER_BYTES 2048u

enum lg_xstate {
	LG_X_NONE = 0,
	LG_X_FEATURES,  /* stream header sent, waiting for <stream:features/> */
	LG_X_STARTTLS,  /* <starttls/> sent: <proceed/> next */
	LG_X_TLS_HS,    /* TLS handshake (after <proceed/>, or at once for direct TLS) */
	LG_X_SASL,      /* <auth/> sent: <challenge/> (SCRAM) or <success/> (PLAIN) next */
	LG_X_SASL_FINAL, /* SCRAM <response/> sent: <success/> with v= next */
	LG_X_FEATURES2, /* restarted after SASL: features with <bind/> next */
	LG_X_BIND,      /* bind iq sent */
	LG_X_ROSTER,    /* xmpp_roster: roster get sent, its result next */
	LG_X_AVAIL,     /* xmpp_roster: initial presence sent, its reflection next */
	LG_X_READY,     /* bound, initial presence sent */
	LG_X_BYE,       /* our </stream:stream> sent */
	LG_X_FAILED,
	LG_X_MAX,
};

_Static_assert(LG_X_MAX <= sizeof(((struct sb_lg_xmpp_totals *)0)->fail_in) / sizeof(uint64_t),
	       "a login_fail slot per state");

/* One connection's XMPP side. */
struct lg_xconn {
	struct sb_xml x;          /* tokenizer state at rx[0] (an element boundary) */
	uint64_t login_tsc;       /* TCP established */
	uint32_t tx_seq;          /* messages sent */
	uint32_t rx_seq;          /* next sequence number expected from the peer */
	uint32_t gaps_open;       /* skipped sequence numbers not seen since */
	uint16_t rx_len;
	uint8_t st;               /* enum lg_xstate */
	uint8_t tls;              /* LG_XC_TLS_* */
	uint8_t ssig[20];         /* SCRAM: the ServerSignature expected */
	char cnonce[25];          /* SCRAM: our nonce, base64 of 18 random bytes */
};

enum lg_xtls_mode { LG_XTLS_OFF = 0, LG_XTLS_STARTTLS, LG_XTLS_DIRECT };
enum { LG_XC_TLS_NONE = 0, LG_XC_TLS_HS, LG_XC_TLS_ON };

/* TLS (lg_xtls.c): the client role of lib/tls, per connection a handshake
 * in progress or a handed-off session, and a ciphertext tail. */
struct lg_xtls {
	enum lg_xtls_mode mode;
	struct sb_tls_worker *w;
	struct sb_tls_client *cl;
	struct sb_tls_ssl **ssl;     /* per connection, while it handshakes */
	struct sb_tls_conn *conn;    /* per connection, after the hand-off */
	uint8_t *ct;                 /* ciphertext tails, ct_cap bytes each */
	uint16_t *ct_len;
	uint32_t ct_cap;
	uint8_t *plain;              /* one record opened */
	uint64_t hs_ok, hs_fail, rec_fail;
	struct sb_lg_hist hs_ns;     /* TCP established to handshake done */
};

struct sb_lg_xmpp {
	bool msg_mode;
	bool scram;
	bool roster;              /* a roster get before the initial presence */
	uint32_t users;
	uint64_t msg_rate;
	char domain[128];
	char prefix[32];
	char password[128];
	struct sb_lg_xmpp_totals tot;
	uint32_t pending;         /* established, login neither done nor failed */
	uint32_t logins_max;      /* pending + TCP opening, at most */
	uint32_t rx_cap;          /* bytes of rxbuf per connection */
	uint64_t offered;         /* xmpp-msg: messages the rate asked for so far */
	uint32_t cursor;          /* xmpp-msg: next connection to send from */
	uint64_t ka_interval_us;  /* whitespace keepalive per session (0: none) */
	uint64_t ka_done;         /* keepalive slots passed so far */
	uint32_t ka_cursor;
	struct sb_lg_hist login_ns;
	struct sb_lg_hist drain_ns; /* xmpp-msg: latency of what arrived after the window */
	struct sb_xml_limits lim;
	struct sb_xml_ctx ctx;    /* shared: only used inside one feed loop */
	struct lg_xconn *xc;
	uint8_t *rxbuf;
	struct sb_lg_scram_user *ucache;
	struct lg_xtls tls;
	/* The keys last derived, for any user: one password for all, so users
	 * whose accounts share a salt share them (lg_xsasl.h). */
	struct sb_lg_scram_user ushared;
};

static inline uint8_t *lg_rx(const struct sb_lg_xmpp *xm, uint32_t idx)
{
	return xm->rxbuf + (uint64_t)idx * xm->rx_cap;
}

/* lg_xmpp.c: connection idx's user name; send s on it (counted on failure). */
void lg_xuser(const struct sb_lg_xmpp *xm, uint32_t idx, char *out, size_t cap);
int lg_xsend(struct sb_lg *lg, uint32_t idx, const char *s, size_t len);
/* The same into the send queue without an mbuf of its own (chats,
 * keepalives): sealed under TLS, else copied. 0 or a negative errno. */
int lg_xsend_bytes(struct sb_lg *lg, uint32_t idx, const char *s, size_t len);
/* Send-queue room a sealed element needs beyond its bytes. */
#define LG_X_TLS_SLACK 64u
/* ... as bytes on the wire, under TLS or not. */
int lg_xsend_raw(struct sb_lg *lg, uint32_t idx, const void *s, size_t len);
/* Plaintext from the server into the tokenizer; false: the rest is void. */
bool lg_xfeed(struct sb_lg *lg, uint32_t idx, const uint8_t *p, size_t n);
/* The login failed (why counted): close. */
void lg_xfail(struct sb_lg *lg, uint32_t idx, uint64_t *why);
/* TLS is up: a new stream (RFC 6120 §5.4.3.3). */
void lg_xtls_ready(struct sb_lg *lg, uint32_t idx);

/* lg_xtls.c */
int lg_xtls_create(struct sb_lg_xmpp *xm, const char *mode, const char *ca, uint32_t n);
void lg_xtls_start(struct sb_lg *lg, uint32_t idx);
void lg_xtls_input(struct sb_lg *lg, uint32_t idx, const uint8_t *p, size_t n);
int lg_xtls_send(struct sb_lg *lg, uint32_t idx, const void *s, size_t len);
void lg_xtls_closed(struct sb_lg *lg, uint32_t idx);
void lg_xtls_time(struct lg_xtls *t);
void lg_xtls_report(const struct sb_lg_xmpp *xm);
uint64_t lg_ns_since(const struct sb_lg *lg, uint64_t tsc);

/* lg_xmsg.c: a <message/> (or an error stanza) received on a bound session. */
void lg_xmsg_on_message(struct sb_lg *lg, uint32_t idx, const uint8_t *e, size_t len);
/* Any stanza of type='error' (RFC 6120 §8.3): counted by its condition. */
void lg_xmsg_on_bounce(struct sb_lg *lg, const uint8_t *e, size_t len);
/* The message part of the summary. */
void lg_xmsg_report(const struct sb_lg *lg, uint64_t send_us);

#endif
