/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tls internals shared by its files: the server and handshake objects,
 * the suite table and the key schedule helpers (tls_keys.c).
 */
#ifndef SB_TLS_PRIV_H
#define SB_TLS_PRIV_H

#include <openssl/ssl.h>

#include "tls.h"

#define TLS_SECRET_MAX 48u

struct tls_suite_info {
	uint16_t id;            /* IANA TLS 1.3 suite id, RFC 8446 §B.4 */
	uint8_t key_len;
	uint8_t hash_len;
	const char *cipher;     /* EVP cipher name */
	const char *digest;     /* HKDF hash name */
};
extern const struct tls_suite_info tls_suites[SB_TLS_SUITE_MAX];

struct tls_domain {
	char name[SB_TLS_DOMAIN_LEN + 1];
	SSL_CTX *ctx;
	uint8_t endpoint_len;
	uint8_t endpoint[SB_TLS_ENDPOINT_MAX]; /* tls-server-end-point, RFC 5929 §4.1 */
};

struct sb_tls_server {
	int refs;                               /* atomic: owner + handshakes in progress */
	uint32_t ticket_rotate_s;
	uint8_t ticket_secret[32];              /* ticket keys derive from it per epoch */
	struct sb_tls_server_opts opts;         /* list pointers point below */
	char suites[256], ciphers12[512], groups[128];
	unsigned n_domains;
	struct tls_domain dom[SB_TLS_DOMAINS_MAX];
};

/* Secrets captured by the keylog callback, and the records counted by the
 * msg callback once each secret appeared: the hand-off's sequence numbers. */
struct tls_capture {
	uint8_t client_secret[TLS_SECRET_MAX];  /* CLIENT_TRAFFIC_SECRET_0 */
	uint8_t server_secret[TLS_SECRET_MAX];  /* SERVER_TRAFFIC_SECRET_0 */
	uint8_t client_len, server_len;
	uint64_t rx_records;                    /* read after the client secret appeared */
	uint64_t tx_records;                    /* written after the server secret appeared */
};

struct sb_tls_ssl {
	SSL *ssl;                               /* NULL once handed off */
	BIO *rbio, *wbio;                       /* owned by ssl */
	struct sb_tls_server *srv;              /* one reference held */
	struct sb_tls_worker *w;                /* for callbacks: counters, clock, KDF */
	struct tls_capture cap;
	bool counted_live;                      /* holds one of w->hs_live */
	bool done;                              /* handshake completed */
	bool failed;
	bool client;                            /* the client role (tls_client.c) */
};

/* tls_handshake.c: an SSL of ctx over two memory BIOs with the msg
 * callback, not yet in a role; NULL (counted hs_nomem). */
struct sb_tls_ssl *tls_ssl_alloc(struct sb_tls_worker *w, SSL_CTX *ctx);
/* tls_ctx.c: the keylog callback that captures the traffic secrets. */
void tls_ctx_set_keylog(SSL_CTX *ctx);

/* tls_ctx.c: index of the domain whose context ssl uses now. */
unsigned tls_domain_of(const struct sb_tls_server *srv, const SSL *ssl);
/* tls_ctx.c: the callbacks each SSL_CTX is given. */
int tls_ticket_cb(SSL *ssl, unsigned char key_name[16], unsigned char *iv,
		  EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc);

/* tls_keys.c: HKDF-Expand-Label (RFC 8446 §7.1) through the worker's
 * TLS13-KDF context. 0 or -EIO. */
int tls_hkdf_label(struct sb_tls_worker *w, const char *digest, const uint8_t *secret,
		   size_t secret_len, const char *label, const uint8_t *ctx, size_t ctx_len,
		   uint8_t *out, size_t out_len);
/* Key and IV of a direction from its secret (RFC 8446 §7.3); seq reset. */
int tls_dir_set(struct sb_tls_worker *w, unsigned suite, struct sb_tls_dir *d,
		const uint8_t *secret);
/* The next generation of a direction's secret (RFC 8446 §7.2), rekeyed. */
int tls_dir_update(struct sb_tls_worker *w, unsigned suite, struct sb_tls_dir *d);
/* Key (if it is not the one already in) and nonce into a worker context.
 * 1 on success, like EVP. */
int tls_ctx_key(EVP_CIPHER_CTX *ctx, uint8_t held[32], const uint8_t *key, unsigned key_len,
		const uint8_t nonce[12], int enc);
/* Suite index of an IANA id, or -1. */
int tls_suite_of(uint16_t id);

#endif
