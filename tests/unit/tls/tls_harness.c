/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tls test harness: PKI at test time, a libssl client over memory BIOs,
 * and pumps between it and the server side under test (tls_harness.h).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls_harness.h"

static EVP_PKEY *th_key_write(const char *path)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	FILE *f = fopen(path, "w");

	assert_non_null(k);
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	return k;
}

static void th_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn, valid from `from_s` to `to_s` seconds from now,
 * signed by (ca, ca_key), or self-signed when ca is NULL. */
static X509 *th_cert(const char *cn, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, long from_s,
		     long to_s, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name;
	char san[300];

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name);
	if (ca == NULL) {
		th_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		th_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		snprintf(san, sizeof(san), "DNS:%s", cn);
		th_ext(x, ca, NID_subject_alt_name, san);
		th_ext(x, ca, NID_basic_constraints, "CA:FALSE");
		th_ext(x, ca, NID_ext_key_usage, "serverAuth");
	}
	assert_true(X509_sign(x, ca_key ? ca_key : key, EVP_sha256()) > 0);
	return x;
}

static void th_pem(const char *path, X509 *a, X509 *b)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, a), 1);
	if (b != NULL)
		assert_int_equal(PEM_write_X509(f, b), 1);
	fclose(f);
}

void th_pki_make(struct th_pki *pki)
{
	static const char *const names[3] = {"switchboard.test", "other.test", "expired.test"};
	EVP_PKEY *ca_key;
	X509 *ca;
	char path[160];

	snprintf(pki->dir, sizeof(pki->dir), "/tmp/sb-tls-test-XXXXXX");
	assert_non_null(mkdtemp(pki->dir));
	snprintf(path, sizeof(path), "%s/ca.key", pki->dir);
	ca_key = th_key_write(path);
	ca = th_cert("Switchboard test CA", ca_key, NULL, NULL, -3600, 86400L * 30, 1);
	snprintf(pki->ca, sizeof(pki->ca), "%s/ca.pem", pki->dir);
	th_pem(pki->ca, ca, NULL);
	for (unsigned i = 0; i < 3; i++) {
		EVP_PKEY *k;
		X509 *x;
		/* expired.test: valid from 10 days ago until 12 hours ago */
		long from = i == 2 ? -86400L * 10 : -3600;
		long to = i == 2 ? -43200L : 86400L * 30;

		snprintf(pki->key[i], sizeof(pki->key[i]), "%s/%s.key", pki->dir, names[i]);
		snprintf(pki->cert[i], sizeof(pki->cert[i]), "%s/%s.pem", pki->dir, names[i]);
		k = th_key_write(pki->key[i]);
		x = th_cert(names[i], k, ca, ca_key, from, to, 2 + (long)i);
		th_pem(pki->cert[i], x, ca); /* a chain: leaf then CA */
		X509_free(x);
		EVP_PKEY_free(k);
	}
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

void th_pki_remove(struct th_pki *pki)
{
	char path[200];
	static const char *const files[] = {
		"ca.key", "ca.pem", "switchboard.test.key", "switchboard.test.pem",
		"other.test.key", "other.test.pem", "expired.test.key", "expired.test.pem",
	};

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pki->dir, files[i]);
		unlink(path);
	}
	rmdir(pki->dir);
}

SSL_CTX *th_client_ctx(const struct th_pki *pki, int max_version, const char *suites)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, pki->ca, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	if (suites != NULL)
		assert_int_equal(SSL_CTX_set_ciphersuites(ctx, suites), 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
	return ctx;
}

void th_client_new(struct th_client *c, SSL_CTX *ctx, const char *host)
{
	c->ssl = SSL_new(ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	assert_non_null(c->ssl);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
	if (host != NULL) {
		SSL_set_tlsext_host_name(c->ssl, host);
		SSL_set1_host(c->ssl, host);
	}
}

void th_client_free(struct th_client *c)
{
	/* Without the flags SSL_free() marks the session not resumable. */
	SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);
	memset(c, 0, sizeof(*c));
}

void th_to_client(struct sb_tls_ssl *s, struct th_client *c)
{
	uint8_t buf[4096];
	size_t n;

	while ((n = sb_tls_ssl_output(s, buf, sizeof(buf))) > 0)
		assert_int_equal(BIO_write(c->rbio, buf, (int)n), (int)n);
}

size_t th_from_client(struct th_client *c, uint8_t *out, size_t cap)
{
	int n = BIO_read(c->wbio, out, (int)cap);

	return n > 0 ? (size_t)n : 0;
}

enum sb_tls_hs_result th_handshake(struct sb_tls_worker *w, struct th_client *c,
				   struct sb_tls_ssl *s)
{
	enum sb_tls_hs_result r = SB_TLS_HS_AGAIN;
	uint8_t buf[16384];
	bool client_done = false;

	for (int turn = 0; turn < 20; turn++) {
		size_t n;

		if (!client_done) {
			int rc = SSL_do_handshake(c->ssl);

			if (rc == 1)
				client_done = true;
			else if (SSL_get_error(c->ssl, rc) != SSL_ERROR_WANT_READ)
				client_done = true; /* failed: let the server see it */
		}
		while ((n = th_from_client(c, buf, sizeof(buf))) > 0)
			assert_int_equal(sb_tls_ssl_input(w, s, buf, n), n);
		r = sb_tls_ssl_handshake(w, s);
		th_to_client(s, c);
		if (r != SB_TLS_HS_AGAIN && client_done)
			break;
	}
	return r;
}

unsigned th_client_sends(struct sb_tls_worker *w, struct sb_tls_conn *conn, struct th_client *c,
			 const void *msg, size_t len)
{
	static uint8_t wire[1 << 20], plain[SB_TLS_CIPHER_MAX];
	size_t have = 0, off = 0, got = 0;
	unsigned records = 0;

	if (len > 0)
		assert_int_equal(SSL_write(c->ssl, msg, (int)len), (int)len);
	else
		assert_true(SSL_do_handshake(c->ssl) == 1); /* flush a pending KeyUpdate */
	have = th_from_client(c, wire, sizeof(wire));
	while (off < have) {
		size_t used, n;
		enum sb_tls_rec_result r = sb_tls_rec_open(w, conn, wire + off, have - off, &used,
							   plain, sizeof(plain), &n);

		assert_true(r == SB_TLS_REC_DATA || r == SB_TLS_REC_CONTROL);
		if (r == SB_TLS_REC_DATA) {
			assert_true(got + n <= len);
			assert_memory_equal(plain, (const uint8_t *)msg + got, n);
			got += n;
		}
		off += used;
		records++;
	}
	assert_int_equal(got, len);
	return records;
}

void th_server_sends(struct sb_tls_worker *w, struct sb_tls_conn *conn, struct th_client *c,
		     const void *msg, size_t len)
{
	static uint8_t wire[1 << 20], back[1 << 20];
	size_t used = 0, got = 0;
	long n = sb_tls_rec_seal(w, conn, msg, len, &used, wire, sizeof(wire));

	assert_true(n > 0);
	assert_int_equal(used, len);
	assert_int_equal(BIO_write(c->rbio, wire, (int)n), (int)n);
	while (got < len) {
		int r = SSL_read(c->ssl, back + got, (int)(sizeof(back) - got));

		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_int_equal(got, len);
	assert_memory_equal(back, msg, len);
}

void th_establish(struct sb_tls_worker *w, struct sb_tls_server *srv, struct th_client *c,
		  struct sb_tls_conn *conn)
{
	struct sb_tls_ssl *s = sb_tls_ssl_new(w, srv);
	uint8_t rest[64];
	size_t rest_len = 99;

	assert_non_null(s);
	assert_int_equal(th_handshake(w, c, s), SB_TLS_HS_DONE);
	assert_int_equal(sb_tls_ssl_handoff(w, s, conn, rest, sizeof(rest), &rest_len), 0);
	assert_int_equal(rest_len, 0);
	sb_tls_ssl_free(w, s);
}

size_t th_seal_raw(unsigned suite, struct sb_tls_dir *d, const uint8_t *inner, size_t len,
		   uint8_t *out)
{
	static const char *const names[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"};
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, names[suite], NULL);
	size_t rlen = len + 16;
	uint8_t nonce[12];
	int l;

	out[0] = 23, out[1] = 3, out[2] = 3;
	out[3] = (uint8_t)(rlen >> 8), out[4] = (uint8_t)rlen;
	memcpy(nonce, d->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
	assert_int_equal(EVP_EncryptInit_ex2(ctx, ci, d->key, nonce, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &l, out, 5), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out + 5, &l, inner, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, out + 5 + l, &l), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + 5 + len), 1);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(ci);
	d->seq++;
	return 5 + rlen;
}
