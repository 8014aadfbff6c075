/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Handshake over memory BIOs against a real libssl client, and the hand-off
 * of the TLS 1.3 session to lib/tls's record layer: every suite, data both
 * ways, the tls-exporter, pipelined client data, TLS 1.2 kept, SNI, ALPN,
 * garbage instead of a ClientHello, the handshake cap.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "tls_harness.h"

struct fx {
	struct th_pki pki;
	struct sb_tls_worker w;
	struct sb_tls_server *srv;
};

static struct sb_tls_server *fx_server(struct fx *f, bool alpn, enum sb_tls_version min)
{
	struct sb_tls_server_opts o = {.min_version = min, .alpn_xmpp = alpn};
	struct sb_tls_error err;
	struct sb_tls_server *srv = sb_tls_server_new(&o, NULL, &err);

	assert_non_null(srv);
	assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", f->pki.cert[0],
						  f->pki.key[0], &err), 0);
	assert_int_equal(sb_tls_server_add_domain(srv, "other.test", f->pki.cert[1],
						  f->pki.key[1], &err), 0);
	return srv;
}

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	th_pki_make(&f.pki);
	assert_int_equal(sb_tls_worker_init(&f.w, NULL), 0);
	f.srv = fx_server(&f, false, SB_TLS_V12);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sb_tls_server_put(f->srv);
	sb_tls_worker_fini(&f->w);
	th_pki_remove(&f->pki);
	return 0;
}

/* Handshake with one suite, hand off, data both ways, exporter checked. */
static void handoff_suite(struct fx *f, const char *suite_name, enum sb_tls_suite want)
{
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, suite_name);
	struct th_client c;
	struct sb_tls_conn conn;
	uint8_t client_ekm[32];
	char big[40000];

	th_client_new(&c, cctx, "switchboard.test");
	th_establish(&f->w, f->srv, &c, &conn);
	assert_int_equal(conn.suite, want);
	assert_int_equal(SSL_get_verify_result(c.ssl), X509_V_OK);
	/* RFC 9266: both ends derive the same tls-exporter value */
	assert_int_equal(SSL_export_keying_material(c.ssl, client_ekm, 32, "EXPORTER-Channel-Binding",
						    24, NULL, 0, 0), 1);
	assert_memory_equal(conn.exporter, client_ekm, 32);
	/* the ticket was the only record under the new send key */
	assert_int_equal(conn.tx.seq, 1);
	assert_int_equal(conn.rx.seq, 0);
	th_client_sends(&f->w, &conn, &c, "<stream:stream>", 15);
	th_server_sends(&f->w, &conn, &c, "<stream:features/>", 18);
	memset(big, 'x', sizeof(big));
	/* 40000 bytes: three records each way, 2^14 at most in each */
	assert_int_equal(th_client_sends(&f->w, &conn, &c, big, sizeof(big)), 3);
	th_server_sends(&f->w, &conn, &c, big, sizeof(big));
	assert_int_equal(f->w.ctr[SB_TLS_CTR_hs_handoff], 1);
	th_client_free(&c);
	SSL_CTX_free(cctx);
}

static void test_handoff_aes128(void **state)
{
	handoff_suite(*state, "TLS_AES_128_GCM_SHA256", SB_TLS_AES_128_GCM_SHA256);
}

static void test_handoff_aes256(void **state)
{
	handoff_suite(*state, "TLS_AES_256_GCM_SHA384", SB_TLS_AES_256_GCM_SHA384);
}

static void test_handoff_chacha(void **state)
{
	handoff_suite(*state, "TLS_CHACHA20_POLY1305_SHA256", SB_TLS_CHACHA20_POLY1305_SHA256);
}

/* A HelloRetryRequest (the client's first key share is for a group we do
 * not take) adds records before the keys change: the counts still give
 * the right sequence numbers. */
static void test_handoff_after_hello_retry(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, NULL);
	struct th_client c;
	struct sb_tls_conn conn;

	assert_int_equal(SSL_CTX_set1_groups_list(cctx, "P-384:P-256"), 1);
	th_client_new(&c, cctx, "switchboard.test");
	th_establish(&f->w, f->srv, &c, &conn);
	assert_int_equal(SSL_get_negotiated_group(c.ssl), NID_X9_62_prime256v1);
	th_client_sends(&f->w, &conn, &c, "after-hrr", 9);
	th_server_sends(&f->w, &conn, &c, "ok", 2);
	th_client_free(&c);
	SSL_CTX_free(cctx);
}

/* Two sessions on one worker, records in turn: the worker's contexts
 * switch keys between them (and keep a key within a burst). */
static void test_two_sessions_interleaved(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, NULL);
	struct th_client c[2];
	struct sb_tls_conn conn[2];

	for (unsigned j = 0; j < 2; j++) {
		th_client_new(&c[j], cctx, "switchboard.test");
		th_establish(&f->w, f->srv, &c[j], &conn[j]);
	}
	for (unsigned i = 0; i < 50; i++) {
		unsigned j = (i / 3) & 1; /* bursts of three, then the other */

		th_client_sends(&f->w, &conn[j], &c[j], j ? "to-one" : "to-zero", j ? 6 : 7);
		th_server_sends(&f->w, &conn[j], &c[j], j ? "from-one" : "from-zero", j ? 8 : 9);
	}
	for (unsigned j = 0; j < 2; j++)
		th_client_free(&c[j]);
	SSL_CTX_free(cctx);
}

/* Client data sent right behind its Finished stays in the read BIO and
 * comes back as leftover bytes, at receive sequence number 0. */
static void test_pipelined_client_data(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, NULL);
	struct th_client c;
	struct sb_tls_ssl *s = sb_tls_ssl_new(&f->w, f->srv);
	struct sb_tls_conn conn;
	uint8_t buf[8192], rest[8192], plain[SB_TLS_CIPHER_MAX];
	size_t n, rest_len, used, plen;

	th_client_new(&c, cctx, "switchboard.test");
	assert_int_equal(SSL_do_handshake(c.ssl), -1); /* ClientHello out */
	n = th_from_client(&c, buf, sizeof(buf));
	sb_tls_ssl_input(&f->w, s, buf, n);
	assert_int_equal(sb_tls_ssl_handshake(&f->w, s), SB_TLS_HS_AGAIN);
	th_to_client(s, &c);
	assert_int_equal(SSL_do_handshake(c.ssl), 1);       /* Finished written */
	assert_int_equal(SSL_write(c.ssl, "early-bird", 10), 10); /* pipelined */
	n = th_from_client(&c, buf, sizeof(buf));
	sb_tls_ssl_input(&f->w, s, buf, n);
	assert_int_equal(sb_tls_ssl_handshake(&f->w, s), SB_TLS_HS_DONE);
	/* tickets still pending: the hand-off must wait */
	assert_int_equal(sb_tls_ssl_handoff(&f->w, s, &conn, rest, sizeof(rest), &rest_len),
			 -EAGAIN);
	th_to_client(s, &c);
	assert_int_equal(sb_tls_ssl_handoff(&f->w, s, &conn, rest, 4, &rest_len), -ENOSPC);
	assert_int_equal(sb_tls_ssl_handoff(&f->w, s, &conn, rest, sizeof(rest), &rest_len), 0);
	sb_tls_ssl_free(&f->w, s);
	assert_true(rest_len > 10);
	assert_int_equal(sb_tls_rec_open(&f->w, &conn, rest, rest_len, &used, plain, sizeof(plain),
					 &plen), SB_TLS_REC_DATA);
	assert_int_equal(used, rest_len);
	assert_int_equal(plen, 10);
	assert_memory_equal(plain, "early-bird", 10);
	th_server_sends(&f->w, &conn, &c, "ok", 2);
	th_client_free(&c);
	SSL_CTX_free(cctx);
}

/* TLS 1.2: no hand-off; the SSL object carries the data. */
static void test_tls12_keeps_ssl(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_2_VERSION, NULL);
	struct th_client c;
	struct sb_tls_ssl *s = sb_tls_ssl_new(&f->w, f->srv);
	struct sb_tls_conn conn;
	uint8_t buf[4096], rest[16];
	size_t n, rest_len;
	char back[16];

	th_client_new(&c, cctx, "switchboard.test");
	assert_int_equal(th_handshake(&f->w, &c, s), SB_TLS_HS_DONE);
	assert_false(sb_tls_ssl_is_tls13(s));
	assert_int_equal(sb_tls_ssl_handoff(&f->w, s, &conn, rest, sizeof(rest), &rest_len),
			 -EPROTONOSUPPORT);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_hs_done_12], 1);
	assert_int_equal(SSL_write(c.ssl, "hello12", 7), 7);
	n = th_from_client(&c, buf, sizeof(buf));
	assert_int_equal(sb_tls_ssl_input(&f->w, s, buf, n), n);
	assert_int_equal(sb_tls_ssl_read(&f->w, s, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "hello12", 7);
	assert_int_equal(sb_tls_ssl_write(&f->w, s, (const uint8_t *)"back", 4), 4);
	th_to_client(s, &c);
	assert_int_equal(SSL_read(c.ssl, back, sizeof(back)), 4);
	assert_memory_equal(back, "back", 4);
	/* close_notify from the client */
	SSL_shutdown(c.ssl);
	n = th_from_client(&c, buf, sizeof(buf));
	sb_tls_ssl_input(&f->w, s, buf, n);
	assert_int_equal(sb_tls_ssl_read(&f->w, s, buf, sizeof(buf)), -ECONNRESET);
	sb_tls_ssl_free(&f->w, s);
	th_client_free(&c);
	SSL_CTX_free(cctx);
}

/* TLS 1.2 renegotiation asked by the client is refused and counted. */
static void test_tls12_renegotiation_refused(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_2_VERSION, NULL);
	struct th_client c;
	struct sb_tls_ssl *s = sb_tls_ssl_new(&f->w, f->srv);
	uint8_t buf[4096];
	size_t n;
	int rc;

	th_client_new(&c, cctx, "switchboard.test");
	assert_int_equal(th_handshake(&f->w, &c, s), SB_TLS_HS_DONE);
	assert_int_equal(SSL_renegotiate(c.ssl), 1);
	assert_true(SSL_do_handshake(c.ssl) <= 0); /* ClientHello out, waits */
	n = th_from_client(&c, buf, sizeof(buf));
	assert_true(n > 0);
	sb_tls_ssl_input(&f->w, s, buf, n);
	assert_int_equal(sb_tls_ssl_read(&f->w, s, buf, sizeof(buf)), 0);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_hs_reneg_refused], 1);
	th_to_client(s, &c); /* the no_renegotiation alert */
	rc = SSL_do_handshake(c.ssl);
	assert_true(rc <= 0);
	assert_int_equal(SSL_get_error(c.ssl, rc), SSL_ERROR_SSL);
	sb_tls_ssl_free(&f->w, s);
	th_client_free(&c);
	SSL_CTX_free(cctx);
}

/* A client's max_fragment_length (RFC 6066 §4) bounds our records after
 * the hand-off. */
static void test_max_fragment_length(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, NULL);
	struct th_client c;
	struct sb_tls_conn conn;
	char msg[2000];

	th_client_new(&c, cctx, "switchboard.test");
	assert_int_equal(SSL_set_tlsext_max_fragment_length(c.ssl,
							   TLSEXT_max_fragment_length_512), 1);
	th_establish(&f->w, f->srv, &c, &conn);
	assert_int_equal(conn.tx_frag_max, 512);
	memset(msg, 'f', sizeof(msg));
	th_server_sends(&f->w, &conn, &c, msg, sizeof(msg)); /* the client would refuse more */
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_out], 4);
	th_client_free(&c);
	SSL_CTX_free(cctx);
}

/* SNI picks the domain's certificate; the verifying client accepts it. */
static void test_sni(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, NULL);
	const char *names[] = {"other.test", "switchboard.test", "OTHER.test"};
	struct th_client c;
	struct sb_tls_conn conn;

	for (unsigned i = 0; i < 3; i++) {
		X509 *peer;
		char cn[64];

		th_client_new(&c, cctx, names[i]);
		th_establish(&f->w, f->srv, &c, &conn);
		assert_int_equal(SSL_get_verify_result(c.ssl), X509_V_OK);
		peer = SSL_get1_peer_certificate(c.ssl);
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
					  sizeof(cn));
		assert_true(strcasecmp(cn, names[i]) == 0);
		assert_int_equal(conn.domain, i == 1 ? 0 : 1); /* the domain it was made with */
		X509_free(peer);
		th_client_free(&c);
	}
	assert_int_equal(f->w.ctr[SB_TLS_CTR_sni_match], 3);
	SSL_CTX_free(cctx);
}

/* An unknown name gets the default certificate: the client's name check
 * fails (the handshake itself fails, since it verifies). */
static void test_sni_unknown(void **state)
{
	struct fx *f = *state;
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, NULL);
	struct th_client c;
	struct sb_tls_ssl *s = sb_tls_ssl_new(&f->w, f->srv);

	th_client_new(&c, cctx, "nobody.test");
	assert_int_equal(th_handshake(&f->w, &c, s), SB_TLS_HS_FAILED);
	assert_int_equal(SSL_get_verify_result(c.ssl), X509_V_ERR_HOSTNAME_MISMATCH);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_sni_unknown], 1);
	sb_tls_ssl_free(&f->w, s);
	th_client_free(&c);
	SSL_CTX_free(cctx);
}

/* Direct TLS (XEP-0368): ALPN xmpp-client chosen, another protocol refused. */
static void test_alpn(void **state)
{
	struct fx *f = *state;
	struct sb_tls_server *srv = fx_server(f, true, SB_TLS_V13);
	SSL_CTX *cctx = th_client_ctx(&f->pki, TLS1_3_VERSION, NULL);
	struct th_client c;
	struct sb_tls_ssl *s;

	th_client_new(&c, cctx, "switchboard.test");
	SSL_set_alpn_protos(c.ssl, (const unsigned char *)"\x02h2\x0bxmpp-client", 15);
	s = sb_tls_ssl_new(&f->w, srv);
	assert_int_equal(th_handshake(&f->w, &c, s), SB_TLS_HS_DONE);
	assert_string_equal(sb_tls_ssl_alpn(s), "xmpp-client");
	assert_string_equal(sb_tls_ssl_sni(s), "switchboard.test");
	sb_tls_ssl_free(&f->w, s);
	th_client_free(&c);

	th_client_new(&c, cctx, "switchboard.test");
	SSL_set_alpn_protos(c.ssl, (const unsigned char *)"\x02h2", 3);
	s = sb_tls_ssl_new(&f->w, srv);
	assert_int_equal(th_handshake(&f->w, &c, s), SB_TLS_HS_FAILED);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_alpn_refused], 1);
	sb_tls_ssl_free(&f->w, s);
	th_client_free(&c);
	sb_tls_server_put(srv);
	SSL_CTX_free(cctx);
}

/* Garbage instead of a ClientHello fails the handshake and is counted. */
static void test_garbage_client_hello(void **state)
{
	struct fx *f = *state;
	struct sb_tls_ssl *s = sb_tls_ssl_new(&f->w, f->srv);
	static const char junk[] = "<?xml version='1.0'?><stream:stream to='switchboard.test'>";
	uint8_t out[256];

	assert_int_equal(sb_tls_ssl_input(&f->w, s, (const uint8_t *)junk, sizeof(junk) - 1),
			 sizeof(junk) - 1);
	assert_int_equal(sb_tls_ssl_handshake(&f->w, s), SB_TLS_HS_FAILED);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_hs_failed], 1);
	assert_int_equal(f->w.hs_live, 0);
	/* whatever libssl wrote (an alert, or nothing) is all there is */
	(void)sb_tls_ssl_output(s, out, sizeof(out));
	assert_int_equal(sb_tls_ssl_handshake(&f->w, s), SB_TLS_HS_FAILED);
	sb_tls_ssl_free(&f->w, s);
}

/* The handshakes-in-progress cap refuses and counts; a finished or freed
 * handshake gives its place back. */
static void test_handshake_cap(void **state)
{
	struct fx *f = *state;
	struct sb_tls_worker w;
	struct sb_tls_worker_opts o = {.hs_max = 2};
	struct sb_tls_ssl *a, *b;

	assert_int_equal(sb_tls_worker_init(&w, &o), 0);
	a = sb_tls_ssl_new(&w, f->srv);
	b = sb_tls_ssl_new(&w, f->srv);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(sb_tls_ssl_new(&w, f->srv));
	assert_int_equal(w.ctr[SB_TLS_CTR_hs_refused_cap], 1);
	sb_tls_ssl_free(&w, a);
	a = sb_tls_ssl_new(&w, f->srv);
	assert_non_null(a);
	sb_tls_ssl_free(&w, a);
	sb_tls_ssl_free(&w, b);
	assert_int_equal(w.hs_live, 0);
	sb_tls_worker_fini(&w);
}

/* Input past SB_TLS_HS_IN_MAX unread bytes is not taken. */
static void test_handshake_input_cap(void **state)
{
	struct fx *f = *state;
	struct sb_tls_ssl *s = sb_tls_ssl_new(&f->w, f->srv);
	static uint8_t junk[SB_TLS_HS_IN_MAX + 100];

	assert_int_equal(sb_tls_ssl_input(&f->w, s, junk, sizeof(junk)), SB_TLS_HS_IN_MAX);
	assert_int_equal(sb_tls_ssl_input(&f->w, s, junk, 1), 0);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_hs_input_cap], 2);
	sb_tls_ssl_free(&f->w, s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handoff_aes128, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handoff_aes256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handoff_chacha, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handoff_after_hello_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_sessions_interleaved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_client_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls12_keeps_ssl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls12_renegotiation_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_fragment_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sni, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sni_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alpn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_client_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_input_cap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
