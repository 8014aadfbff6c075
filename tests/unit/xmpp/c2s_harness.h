/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Test harness for lib/xmpp: plays the dataplane glue. Client bytes go
 * through the real lib/xml tokenizer; every event is handed to the c2s state
 * machine with the element copied out of a stream buffer; what the server
 * writes is accumulated as text, actions are recorded, and the asynchronous
 * answers (credentials, PLAIN verdict, bind) are given by the test. Like
 * the glue, the harness stops feeding while sb_c2s_waiting() is true and
 * resets the tokenizer on RESTART.
 */
#ifndef C2S_HARNESS_H
#define C2S_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "c2s.h"
#include "scram.h"
#include "xml.h"

#define H_DOMAIN "example.com"
#define H_OPEN "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " \
	       "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"
#define H_NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define H_AUX_SLOTS 2
#define H_ACTS_MAX 256

struct h_conn {
	struct sb_xml x;
	struct sb_xml_ctx ctx;
	struct sb_xml_limits lim;
	struct sb_c2s c;
	struct sb_c2s_env env;
	struct sb_c2s_scratch scratch;
	uint8_t out[65536];
	uint8_t route[65536 + SB_C2S_ROUTE_EXTRA];
	uint8_t sbuf[1 << 18];        /* current stream, by stream offset */
	uint8_t in[1 << 18];          /* client bytes not yet fed */
	size_t in_len, in_pos;
	char sent[1 << 18];           /* everything the server wrote, NUL-terminated */
	size_t sent_len;
	size_t mark;                  /* sent_len at the last h_since() */
	enum sb_c2s_action acts[H_ACTS_MAX];
	size_t nacts;
	bool closed;
	enum sb_xml_status xml_err;
	/* pool */
	struct sb_c2s_aux aux[H_AUX_SLOTS];
	bool aux_used[H_AUX_SLOTS];
	int aux_in_use;
	bool pool_empty;              /* simulate an exhausted pool */
	/* copies of the last results */
	char user[300], bare[600], passwd[300], jid[3100];
	uint8_t mech;
	char token[300];              /* REGISTER: the invite token */
	bool has_token;
	uint8_t reg_op;
	char routed[70000];
	size_t routed_len;
	struct sb_c2s_stanza stanza;  /* pointers into route/scratch: valid until next call */
	char routed_to[3100];
	char routed_id[4096];
	char bound[3100];             /* glue storage for the bound JID */
	uint8_t stream_err;
	void (*on_route)(struct h_conn *h); /* called for every ROUTE, if set */
	uint8_t rnd;                  /* next byte the test CSPRNG returns */
	bool rnd_fail;
};

/* New connection with default config (domain example.com) and start(). */
void h_init(struct h_conn *h);

/* The fixture every c2s test file uses: a fresh connection (h_init), and
 * its end, which checks that nothing it borrowed is still held. */
struct h_conn *h_new(void);
void h_free(struct h_conn *h);

/* A test file's fixture, in one line: its connection `h`, fresh for every
 * test through cmocka's setup (which then runs the statements given, e.g.
 * a login) and teardown. */
#define H_FIXTURE(...) \
	static struct h_conn *h; \
	static int setup(void **state) \
	{ \
		(void)state; \
		h = h_new(); \
		__VA_ARGS__; \
		return 0; \
	} \
	static int teardown(void **state) \
	{ \
		(void)state; \
		h_free(h); \
		return 0; \
	}
/* Queue client bytes and feed as far as possible. */
void h_send(struct h_conn *h, const char *s);
/* The server's output since the previous h_since() call (NUL-terminated,
 * points into h->sent). */
const char *h_since(struct h_conn *h);
/* Last action recorded (SB_C2S_ACT_MAX if none). */
enum sb_c2s_action h_last(const struct h_conn *h);
bool h_saw(const struct h_conn *h, enum sb_c2s_action a);

/* The TLS handshake after STARTTLS (or before anything, for direct TLS)
 * completed: tokenizer reset, sb_c2s_tls_done(), feeding resumes. With
 * drop_pending, bytes queued but not fed are discarded (they were the
 * handshake's). */
void h_tls_done(struct h_conn *h, bool drop_pending);

/* Answers to the asynchronous actions; each resumes feeding. */
void h_credentials(struct h_conn *h, const struct sb_scram_creds *creds);
void h_plain(struct h_conn *h, bool ok);
void h_bind(struct h_conn *h, enum sb_c2s_bind_status st, const char *jid);
void h_register(struct h_conn *h, enum sb_c2s_reg_status st);
void h_resume(struct h_conn *h, bool ok, const char *jid, uint32_t h_in, bool h_known);

/* Base64 helpers. */
void h_b64(const void *in, size_t len, char *out, size_t cap);
/* <auth mechanism=mech>b64(msg)</auth> */
void h_auth(struct h_conn *h, const char *mech, const void *msg, size_t len);

/* Credentials for a password with a fixed salt. */
void h_creds(enum sb_scram_mech mech, const char *pw, struct sb_scram_creds *out);

/* Full SCRAM exchange for user/pw against stored password stored_pw (NULL:
 * unknown user). Returns true if the server sent <success/> with the
 * right server signature. */
bool h_scram(struct h_conn *h, enum sb_scram_mech mech, const char *user, const char *pw,
	     const char *stored_pw);

/* A SCRAM exchange as juliet (stored password "secret", client password
 * pw) with mechanism name mech_name (hash mech), gs2 header gs2 ("n,,",
 * "y,,", "p=tls-exporter,,") and cb_len bytes of binding data in c=.
 * Returns true on <success/> with the right server signature; false on a
 * <failure/> at either step. */
bool h_scram_cb(struct h_conn *h, const char *mech_name, enum sb_scram_mech mech,
		const char *gs2, const uint8_t *cb, size_t cb_len, const char *pw);

/* Open, PLAIN as juliet, restart, bind "balcony" and answer OK. */
void h_login(struct h_conn *h);

#endif
