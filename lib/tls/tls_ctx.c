/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The server side's SSL_CTX set: one context per domain (PEM chain + key),
 * all configured alike, the first the default; SNI switches a handshake to
 * its domain's context. Every context carries the keylog callback (the
 * hand-off's only source of traffic secrets), the ALPN choice and the
 * session ticket callback. The set is built once, read-only afterwards, and
 * reference counted so that a reload can swap in a new one while handshakes
 * on the old one finish.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "tls_priv.h"

#define TLS_SUITES_DEFAULT "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
			   "TLS_CHACHA20_POLY1305_SHA256"
#define TLS_CIPHERS12_DEFAULT "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
			      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
			      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS_DEFAULT "X25519:P-256"
#define TLS_TICKET_ROTATE_DEFAULT_S 7200u

static void tls_err(struct sb_tls_error *err, const char *what, const char *on)
{
	char reason[120] = "";
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	if (err != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s%s%s%s%s", what, on ? " " : "",
			 on ? on : "", reason[0] ? ": " : "", reason);
}

/* Copy a list option into the server (NULL stays NULL: the default). A list
 * too long for the buffer becomes "!", which the probe then refuses, rather
 * than a silently shorter list. */
static const char *tls_keep(char *buf, size_t size, const char *v)
{
	if (v == NULL)
		return NULL;
	if (strlen(v) >= size)
		v = "!";
	snprintf(buf, size, "%s", v);
	return buf;
}

static struct sb_tls_ssl *tls_of(const SSL *ssl)
{
	return SSL_get_app_data(ssl);
}

/* NSS key log lines: "<LABEL> <client_random hex> <secret hex>". Only the
 * two application traffic secrets are kept, in the connection's capture;
 * nothing is ever written anywhere else. */
static void tls_keylog_cb(const SSL *ssl, const char *line)
{
	struct sb_tls_ssl *s = tls_of(ssl);
	uint8_t *dst;
	uint8_t *len;
	const char *hex;
	size_t n = 0;

	if (s == NULL)
		return;
	/* The counts restart with the key their direction installs next: the
	 * client's secret is what a server reads and a client writes. */
	if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0) {
		dst = s->cap.client_secret;
		len = &s->cap.client_len;
		*(s->client ? &s->cap.tx_records : &s->cap.rx_records) = 0;
	} else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0) {
		dst = s->cap.server_secret;
		len = &s->cap.server_len;
		*(s->client ? &s->cap.rx_records : &s->cap.tx_records) = 0;
	} else {
		return;
	}
	hex = strchr(line + 24, ' ');
	if (hex == NULL)
		return;
	for (hex++; hex[0] && hex[1] && n < TLS_SECRET_MAX; hex += 2) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[0]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[1]);

		if (hi < 0 || lo < 0)
			break;
		dst[n++] = (uint8_t)(hi << 4 | lo);
	}
	*len = (uint8_t)n;
}

void tls_ctx_set_keylog(SSL_CTX *ctx)
{
	SSL_CTX_set_keylog_callback(ctx, tls_keylog_cb);
}

/* SNI (RFC 6066 §3): switch to the named domain's context. An unknown name
 * keeps the default certificate, so a verifying client reports the mismatch
 * itself rather than seeing a bare handshake failure. */
static int tls_servername_cb(SSL *ssl, int *alert, void *arg)
{
	struct sb_tls_server *srv = arg;
	struct sb_tls_ssl *s = tls_of(ssl);
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)alert;
	if (name == NULL) {
		s->w->ctr[SB_TLS_CTR_sni_none]++;
		return SSL_TLSEXT_ERR_NOACK;
	}
	for (unsigned i = 0; i < srv->n_domains; i++) {
		if (strcasecmp(name, srv->dom[i].name) == 0) {
			if (i > 0 && SSL_set_SSL_CTX(ssl, srv->dom[i].ctx) == NULL)
				return SSL_TLSEXT_ERR_ALERT_FATAL;
			s->w->ctr[SB_TLS_CTR_sni_match]++;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	s->w->ctr[SB_TLS_CTR_sni_unknown]++;
	return SSL_TLSEXT_ERR_NOACK;
}

/* ALPN (RFC 7301 §3.2, XEP-0368): a client that names protocols but not
 * xmpp-client is not an XMPP client. */
static int tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char xmpp[] = "\x0bxmpp-client";
	struct sb_tls_ssl *s = tls_of(ssl);
	unsigned char *sel;

	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, xmpp, sizeof(xmpp) - 1, in, inlen) ==
	    OPENSSL_NPN_NEGOTIATED) {
		*out = sel;
		s->w->ctr[SB_TLS_CTR_alpn_xmpp]++;
		return SSL_TLSEXT_ERR_OK;
	}
	s->w->ctr[SB_TLS_CTR_alpn_refused]++;
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int tls_ctx_setup(struct sb_tls_server *srv, SSL_CTX *ctx, struct sb_tls_error *err)
{
	const struct sb_tls_server_opts *o = &srv->opts;

	SSL_CTX_set_min_proto_version(ctx, o->min_version == SB_TLS_V12 ? TLS1_2_VERSION
									 : TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	if (!SSL_CTX_set_ciphersuites(ctx, o->ciphersuites ? o->ciphersuites : TLS_SUITES_DEFAULT)) {
		tls_err(err, "tls: bad ciphersuites", o->ciphersuites);
		return -EINVAL;
	}
	if (!SSL_CTX_set_cipher_list(ctx, o->ciphers12 ? o->ciphers12 : TLS_CIPHERS12_DEFAULT)) {
		tls_err(err, "tls: bad TLS 1.2 cipher list", o->ciphers12);
		return -EINVAL;
	}
	if (!SSL_CTX_set1_groups_list(ctx, o->groups ? o->groups : TLS_GROUPS_DEFAULT)) {
		tls_err(err, "tls: bad groups", o->groups);
		return -EINVAL;
	}
	/* No renegotiation, server's suite order (ChaCha20 first when the
	 * client prefers it: phones without AES instructions), no early data
	 * (max_early_data stays 0), no compression. Tickets stay stateless:
	 * SSL_OP_NO_TICKET would make them stateful. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
				 SSL_OP_PRIORITIZE_CHACHA | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_max_early_data(ctx, 0);
	SSL_CTX_set_read_ahead(ctx, 0); /* one record per read: pipelined data stays unread */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_timeout(ctx, (long)srv->ticket_rotate_s * 2);
	tls_ctx_set_keylog(ctx);
	SSL_CTX_set_tlsext_servername_callback(ctx, tls_servername_cb);
	SSL_CTX_set_tlsext_servername_arg(ctx, srv);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_cb);
	if (o->alpn_xmpp)
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_cb, NULL);
	return 0;
}

struct sb_tls_server *sb_tls_server_new(const struct sb_tls_server_opts *opts,
					const struct sb_tls_server *prev,
					struct sb_tls_error *err)
{
	struct sb_tls_server *srv = OPENSSL_zalloc(sizeof(*srv));

	if (srv == NULL) {
		tls_err(err, "tls: out of memory", NULL);
		return NULL;
	}
	srv->refs = 1;
	if (opts != NULL) {
		srv->opts = *opts;
		/* Own copies of the lists: add_domain applies them later. */
		srv->opts.ciphersuites = tls_keep(srv->suites, sizeof(srv->suites), opts->ciphersuites);
		srv->opts.ciphers12 = tls_keep(srv->ciphers12, sizeof(srv->ciphers12), opts->ciphers12);
		srv->opts.groups = tls_keep(srv->groups, sizeof(srv->groups), opts->groups);
	}
	srv->ticket_rotate_s = srv->opts.ticket_rotate_s ? srv->opts.ticket_rotate_s
							 : TLS_TICKET_ROTATE_DEFAULT_S;
	if (prev != NULL) {
		memcpy(srv->ticket_secret, prev->ticket_secret, sizeof(srv->ticket_secret));
	} else if (RAND_bytes(srv->ticket_secret, sizeof(srv->ticket_secret)) != 1) {
		tls_err(err, "tls: no random bytes for the ticket secret", NULL);
		OPENSSL_free(srv);
		return NULL;
	}
	if (opts != NULL) {
		/* Check the lists once now, so add_domain only fails on files. */
		SSL_CTX *probe = SSL_CTX_new(TLS_server_method());
		int rc = probe ? tls_ctx_setup(srv, probe, err) : -ENOMEM;

		SSL_CTX_free(probe);
		if (rc < 0) {
			if (probe == NULL)
				tls_err(err, "tls: out of memory", NULL);
			OPENSSL_clear_free(srv, sizeof(*srv));
			return NULL;
		}
	}
	return srv;
}

/* RFC 5929 §4.1 through OpenSSL's own rule (X509_digest_sig: the
 * signature's hash, SHA-256 in place of MD5 and SHA-1). */
static int tls_endpoint(SSL_CTX *ctx, struct tls_domain *d)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	ASN1_OCTET_STRING *h = cert ? X509_digest_sig(cert, NULL, NULL) : NULL;
	int len = h ? ASN1_STRING_length(h) : -1;

	if (len <= 0 || len > (int)sizeof(d->endpoint)) {
		ASN1_OCTET_STRING_free(h);
		return -EINVAL;
	}
	memcpy(d->endpoint, ASN1_STRING_get0_data(h), (size_t)len);
	d->endpoint_len = (uint8_t)len;
	ASN1_OCTET_STRING_free(h);
	return 0;
}

int sb_tls_server_add_domain(struct sb_tls_server *srv, const char *domain,
			     const char *cert_pem, const char *key_pem, struct sb_tls_error *err)
{
	struct tls_domain *d;
	SSL_CTX *ctx;
	int rc;

	if (srv->n_domains >= SB_TLS_DOMAINS_MAX) {
		tls_err(err, "tls: too many domains at", domain);
		return -E2BIG;
	}
	if (strlen(domain) == 0 || strlen(domain) > SB_TLS_DOMAIN_LEN) {
		tls_err(err, "tls: bad domain name", domain);
		return -EINVAL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_err(err, "tls: out of memory for", domain);
		return -ENOMEM;
	}
	rc = tls_ctx_setup(srv, ctx, err);
	if (rc < 0)
		goto fail;
	rc = -EINVAL;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_pem) != 1) {
		tls_err(err, "tls: cannot load the certificate chain", cert_pem);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_pem, SSL_FILETYPE_PEM) != 1) {
		tls_err(err, "tls: cannot load the private key", key_pem);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err(err, "tls: key does not match the certificate of", domain);
		goto fail;
	}
	d = &srv->dom[srv->n_domains];
	if (tls_endpoint(ctx, d) < 0) {
		tls_err(err, "tls: cannot hash the certificate of", domain);
		goto fail;
	}
	srv->n_domains++;
	snprintf(d->name, sizeof(d->name), "%s", domain);
	d->ctx = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return rc;
}

void sb_tls_server_get(struct sb_tls_server *srv)
{
	__atomic_add_fetch(&srv->refs, 1, __ATOMIC_RELAXED);
}

void sb_tls_server_put(struct sb_tls_server *srv)
{
	if (srv == NULL || __atomic_sub_fetch(&srv->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (unsigned i = 0; i < srv->n_domains; i++)
		SSL_CTX_free(srv->dom[i].ctx);
	OPENSSL_clear_free(srv, sizeof(*srv));
}

unsigned sb_tls_server_domains(const struct sb_tls_server *srv)
{
	return srv->n_domains;
}

const char *sb_tls_server_domain(const struct sb_tls_server *srv, unsigned i)
{
	return i < srv->n_domains ? srv->dom[i].name : NULL;
}

int sb_tls_server_endpoint(const struct sb_tls_server *srv, unsigned i,
			   uint8_t out[SB_TLS_ENDPOINT_MAX], size_t *ret_len)
{
	if (i >= srv->n_domains)
		return -ENOENT;
	memcpy(out, srv->dom[i].endpoint, srv->dom[i].endpoint_len);
	*ret_len = srv->dom[i].endpoint_len;
	return 0;
}

unsigned tls_domain_of(const struct sb_tls_server *srv, const SSL *ssl)
{
	const SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);

	for (unsigned i = 0; i < srv->n_domains; i++)
		if (srv->dom[i].ctx == ctx)
			return i;
	return 0;
}

int sb_tls_server_days_left(const struct sb_tls_server *srv, unsigned i, time_t now,
			    int *ret_days)
{
	X509 *cert;
	ASN1_TIME *t;
	int days = 0, secs = 0, ok;

	if (i >= srv->n_domains)
		return -ENOENT;
	cert = SSL_CTX_get0_certificate(srv->dom[i].ctx);
	t = ASN1_TIME_set(NULL, now);
	if (cert == NULL || t == NULL) {
		ASN1_TIME_free(t);
		return -ENOENT;
	}
	ok = ASN1_TIME_diff(&days, &secs, t, X509_get0_notAfter(cert));
	ASN1_TIME_free(t);
	if (!ok)
		return -EINVAL;
	/* Round towards minus infinity: expired an hour ago is -1, not 0. */
	if (secs < 0)
		days--;
	*ret_days = days;
	return 0;
}
