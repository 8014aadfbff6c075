/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Test harness for lib/tls: certificates generated at test time into a
 * temporary folder (no private key is ever committed), a real libssl client
 * over memory BIOs, and a pump that moves bytes between that client and a
 * server-side struct sb_tls_ssl until both are done.
 */
#ifndef SB_TLS_HARNESS_H
#define SB_TLS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "tls.h"

struct th_pki {
	char dir[64];
	char ca[128];           /* CA certificate (PEM), what clients trust */
	char cert[3][128];      /* leaf chains: switchboard.test, other.test, expired.test */
	char key[3][128];
};

/* Make a CA and three leaves (the third expired 12 hours ago) under mkdtemp. */
void th_pki_make(struct th_pki *pki);
void th_pki_remove(struct th_pki *pki);

struct th_client {
	SSL *ssl;
	BIO *rbio, *wbio;       /* client's view: it reads rbio, writes wbio */
};

/* A verifying client context trusting pki->ca, TLS 1.2..1.3. */
SSL_CTX *th_client_ctx(const struct th_pki *pki, int max_version, const char *suites);
/* A client that sends SNI host (NULL: none) and checks the certificate
 * names it (verify on). */
void th_client_new(struct th_client *c, SSL_CTX *ctx, const char *host);
void th_client_free(struct th_client *c);

/* Run the handshake between c and s; returns the server's last result. */
enum sb_tls_hs_result th_handshake(struct sb_tls_worker *w, struct th_client *c,
				   struct sb_tls_ssl *s);
/* Move all server output into the client's read BIO. */
void th_to_client(struct sb_tls_ssl *s, struct th_client *c);
/* Take the bytes the client has written (up to cap). */
size_t th_from_client(struct th_client *c, uint8_t *out, size_t cap);
/* Client writes msg; server opens every resulting record; the application
 * data must equal msg. Returns the count of records opened. */
unsigned th_client_sends(struct sb_tls_worker *w, struct sb_tls_conn *conn, struct th_client *c,
			 const void *msg, size_t len);
/* Server seals msg (plus whatever is owed); the client must read exactly msg. */
void th_server_sends(struct sb_tls_worker *w, struct sb_tls_conn *conn, struct th_client *c,
		     const void *msg, size_t len);
/* Handshake + hand-off in one; leftover bytes must be none. */
void th_establish(struct sb_tls_worker *w, struct sb_tls_server *srv, struct th_client *c,
		  struct sb_tls_conn *conn);

/* An independent sealer (the test's own AEAD code, not lib/tls's): one
 * record with inner plaintext inner[0..len) (type byte and padding
 * included by the caller) under direction d of suite. Returns its length. */
size_t th_seal_raw(unsigned suite, struct sb_tls_dir *d, const uint8_t *inner, size_t len,
		   uint8_t *out);

#endif
