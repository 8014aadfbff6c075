/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The client role, for sb-loadgen and the tests: the same handshake over
 * memory BIOs and the same hand-off as the server's (tls_handshake.c,
 * tls_handoff.c), so that a million TLS sessions can be opened from one
 * process at the record layer's 256 bytes each instead of libssl's ~30 KB.
 *
 * What differs from the server: the traffic secrets change roles (the
 * server's secret opens what we receive), and the server's
 * NewSessionTickets arrive after our handshake is done, under its
 * application key: the record layer skips them when its connection is a
 * client's (tls_record.c). The client stores no session (nothing resumes):
 * a load generator measures full handshakes unless told otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_priv.h"

struct sb_tls_client {
	SSL_CTX *ctx;
	char sni[256];
	bool verify;     /* the chain against ca_file, and the name against sni */
};

struct sb_tls_client *sb_tls_client_new(const struct sb_tls_client_opts *o,
					struct sb_tls_error *err)
{
	struct sb_tls_client *cl = OPENSSL_zalloc(sizeof(*cl));
	static const unsigned char alpn[] = "\x0bxmpp-client";

	if (cl == NULL || (cl->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		OPENSSL_free(cl);
		snprintf(err->msg, sizeof(err->msg), "tls client: out of memory");
		return NULL;
	}
	if (o->sni != NULL && snprintf(cl->sni, sizeof(cl->sni), "%s", o->sni) >=
				      (int)sizeof(cl->sni)) {
		snprintf(err->msg, sizeof(err->msg), "tls client: server name too long");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(cl->ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(cl->ctx, TLS1_3_VERSION);
	if ((o->ciphersuites != NULL && !SSL_CTX_set_ciphersuites(cl->ctx, o->ciphersuites)) ||
	    !SSL_CTX_set1_groups_list(cl->ctx, o->groups ? o->groups : "X25519:P-256")) {
		snprintf(err->msg, sizeof(err->msg), "tls client: bad ciphersuites or groups");
		goto fail;
	}
	if (o->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(cl->ctx, o->ca_file, NULL) != 1) {
			snprintf(err->msg, sizeof(err->msg), "tls client: cannot load CA %s",
				 o->ca_file);
			goto fail;
		}
		SSL_CTX_set_verify(cl->ctx, SSL_VERIFY_PEER, NULL);
		cl->verify = true;
	}
	if (o->alpn_xmpp && SSL_CTX_set_alpn_protos(cl->ctx, alpn, sizeof(alpn) - 1) != 0) {
		snprintf(err->msg, sizeof(err->msg), "tls client: ALPN");
		goto fail;
	}
	SSL_CTX_set_options(cl->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_read_ahead(cl->ctx, 0);
	SSL_CTX_set_mode(cl->ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(cl->ctx, SSL_SESS_CACHE_OFF);
	tls_ctx_set_keylog(cl->ctx);
	return cl;
fail:
	ERR_clear_error();
	SSL_CTX_free(cl->ctx);
	OPENSSL_free(cl);
	return NULL;
}

void sb_tls_client_free(struct sb_tls_client *cl)
{
	if (cl == NULL)
		return;
	SSL_CTX_free(cl->ctx);
	OPENSSL_free(cl);
}

struct sb_tls_ssl *sb_tls_ssl_new_client(struct sb_tls_worker *w, struct sb_tls_client *cl)
{
	struct sb_tls_ssl *s;

	if (w->hs_live >= w->hs_max) {
		w->ctr[SB_TLS_CTR_hs_refused_cap]++;
		return NULL;
	}
	s = tls_ssl_alloc(w, cl->ctx);
	if (s == NULL)
		return NULL;
	s->client = true;
	if (cl->sni[0] != '\0' && (SSL_set_tlsext_host_name(s->ssl, cl->sni) != 1 ||
				   (cl->verify && SSL_set1_host(s->ssl, cl->sni) != 1))) {
		sb_tls_ssl_free(w, s);
		ERR_clear_error();
		w->ctr[SB_TLS_CTR_hs_nomem]++;
		return NULL;
	}
	SSL_set_connect_state(s->ssl);
	s->counted_live = true;
	w->hs_live++;
	w->ctr[SB_TLS_CTR_hs_started]++;
	return s;
}
