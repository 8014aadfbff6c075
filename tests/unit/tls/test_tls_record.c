/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tls's record layer after the hand-off, against libssl on the client
 * side: long sessions with KeyUpdate both ways (client REQUESTED and
 * NOT_REQUESTED, server-initiated, the usage limit), close_notify both ways,
 * and the refusals: tampered, oversized, wrong outer type, no inner type,
 * illegal post-handshake messages, bad alerts, records after close.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>

#include "tls_harness.h"

struct fx {
	struct th_pki pki;
	struct sb_tls_worker w;
	struct sb_tls_server *srv;
	SSL_CTX *cctx;
	struct th_client c;
	struct sb_tls_conn conn;
	uint8_t wire[SB_TLS_REC_IN_MAX + 64];
	uint8_t plain[SB_TLS_CIPHER_MAX];
};

static int setup_opts(void **state, uint64_t rekey)
{
	static struct fx f;
	struct sb_tls_worker_opts wo = {.rekey_records = rekey};
	struct sb_tls_error err;

	memset(&f, 0, sizeof(f));
	th_pki_make(&f.pki);
	assert_int_equal(sb_tls_worker_init(&f.w, &wo), 0);
	f.srv = sb_tls_server_new(NULL, NULL, &err);
	assert_non_null(f.srv);
	assert_int_equal(sb_tls_server_add_domain(f.srv, "switchboard.test", f.pki.cert[0],
						  f.pki.key[0], &err), 0);
	f.cctx = th_client_ctx(&f.pki, TLS1_3_VERSION, NULL);
	th_client_new(&f.c, f.cctx, "switchboard.test");
	th_establish(&f.w, f.srv, &f.c, &f.conn);
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_opts(state, 0);
}

static int setup_rekey3(void **state)
{
	return setup_opts(state, 3);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	th_client_free(&f->c);
	SSL_CTX_free(f->cctx);
	sb_tls_server_put(f->srv);
	sb_tls_worker_fini(&f->w);
	th_pki_remove(&f->pki);
	return 0;
}

/* Open one crafted record (sealed by the test's own AEAD under the client's
 * keys) and return the result. */
static enum sb_tls_rec_result open_crafted(struct fx *f, struct sb_tls_dir *peer,
					   const uint8_t *inner, size_t len)
{
	size_t n = th_seal_raw(f->conn.suite, peer, inner, len, f->wire), used, plen;

	return sb_tls_rec_open(&f->w, &f->conn, f->wire, n, &used, f->plain, sizeof(f->plain),
			       &plen);
}

/* The alert the server owes, as the client sees it. */
static void client_sees_alert(struct fx *f, int reason)
{
	size_t used = 0;
	char buf[16];
	long n = sb_tls_rec_seal(&f->w, &f->conn, NULL, 0, &used, f->wire, sizeof(f->wire));

	assert_true(n > 0);
	BIO_write(f->c.rbio, f->wire, (int)n);
	assert_true(SSL_read(f->c.ssl, buf, sizeof(buf)) <= 0);
	assert_int_equal(ERR_GET_REASON(ERR_peek_last_error()), reason);
	ERR_clear_error();
	/* nothing more may be sent */
	assert_int_equal(sb_tls_rec_seal(&f->w, &f->conn, (const uint8_t *)"x", 1, &used, f->wire,
					 sizeof(f->wire)), -EPIPE);
}

static void exchange(struct fx *f, unsigned i)
{
	char msg[64];
	int len = snprintf(msg, sizeof(msg), "<message id='%u'>hello</message>", i);

	th_client_sends(&f->w, &f->conn, &f->c, msg, (size_t)len);
	th_server_sends(&f->w, &f->conn, &f->c, msg, (size_t)len);
}

/* Client KeyUpdate(update_requested): the server rotates its receive key,
 * answers with its own KeyUpdate before its next data, and both keys keep
 * working over a long session. */
static void test_key_update_requested(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < 300; i++) {
		if (i % 10 == 5) {
			assert_int_equal(SSL_key_update(f->c.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
		}
		exchange(f, i);
	}
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_in], 30);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_requested], 30);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_out], 30);
}

/* KeyUpdate(update_not_requested): only the receive key rotates. */
static void test_key_update_not_requested(void **state)
{
	struct fx *f = *state;
	uint8_t before[32];

	memcpy(before, f->conn.tx.key, 32);
	for (unsigned i = 0; i < 100; i++) {
		if (i % 10 == 3)
			assert_int_equal(SSL_key_update(f->c.ssl, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
		exchange(f, i);
	}
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_in], 10);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_out], 0);
	assert_memory_equal(before, f->conn.tx.key, 32);
}

/* Server-initiated KeyUpdate, with and without asking the client to
 * update; libssl answers a request with its own KeyUpdate. */
static void test_key_update_server(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < 100; i++) {
		if (i % 10 == 1)
			sb_tls_conn_key_update(&f->conn, i % 20 == 1);
		exchange(f, i);
	}
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_out], 10);
	/* the five requests were answered by the client */
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_in], 5);
}

/* Our send key rotates by itself at the usage limit (3 records here). */
static void test_key_update_limit(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < 20; i++)
		exchange(f, i);
	assert_true(f->conn.tx.seq <= 3);
	assert_true(f->w.ctr[SB_TLS_CTR_rec_ku_limit] >= 6);
}

/* The client's key at the usage limit: we ask it to update (a KeyUpdate
 * with update_requested rides on our next records) and it does. */
static void test_key_update_asked(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < 6; i++)
		th_client_sends(&f->w, &f->conn, &f->c, "up", 2);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_asked], 1);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_in], 0);
	th_server_sends(&f->w, &f->conn, &f->c, "down", 4);
	th_client_sends(&f->w, &f->conn, &f->c, "up", 2); /* libssl answers first */
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_in], 1);
	assert_int_equal(f->conn.rx.seq, 1);
}

/* Our close_notify: the client sees a clean end (SSL_ERROR_ZERO_RETURN). */
static void test_close_notify_ours(void **state)
{
	struct fx *f = *state;
	size_t used;
	char buf[16];
	int rc;
	long n;

	sb_tls_conn_close(&f->conn);
	n = sb_tls_rec_seal(&f->w, &f->conn, (const uint8_t *)"bye", 3, &used, f->wire,
			    sizeof(f->wire));
	assert_true(n > 0);
	assert_int_equal(used, 3);
	BIO_write(f->c.rbio, f->wire, (int)n);
	assert_int_equal(SSL_read(f->c.ssl, buf, sizeof(buf)), 3);
	rc = SSL_read(f->c.ssl, buf, sizeof(buf));
	assert_int_equal(SSL_get_error(f->c.ssl, rc), SSL_ERROR_ZERO_RETURN);
	assert_int_equal(sb_tls_rec_seal(&f->w, &f->conn, (const uint8_t *)"x", 1, &used, f->wire,
					 sizeof(f->wire)), -EPIPE);
}

/* The client's close_notify: CLOSED, our answer owed and sent. */
static void test_close_notify_theirs(void **state)
{
	struct fx *f = *state;
	size_t n, used, plen;
	long m;

	assert_int_equal(SSL_shutdown(f->c.ssl), 0);
	n = th_from_client(&f->c, f->wire, sizeof(f->wire));
	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, f->wire, n, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_CLOSED);
	assert_true(sb_tls_conn_owed(&f->conn));
	m = sb_tls_rec_seal(&f->w, &f->conn, NULL, 0, &used, f->wire, sizeof(f->wire));
	assert_true(m > 0);
	BIO_write(f->c.rbio, f->wire, (int)m);
	assert_int_equal(SSL_shutdown(f->c.ssl), 1); /* both sides closed */
	/* anything after it is refused */
	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, f->wire, (size_t)m, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_FATAL);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_after_close], 1);
}

/* One flipped bit anywhere: bad_record_mac, and no plaintext released. */
static void test_tampered(void **state)
{
	struct fx *f = *state;
	size_t n, used, plen = 99;

	assert_int_equal(SSL_write(f->c.ssl, "secret-words", 12), 12);
	n = th_from_client(&f->c, f->wire, sizeof(f->wire));
	f->wire[n - 20] ^= 0x01;
	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, f->wire, n, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_FATAL);
	assert_int_equal(plen, 0);
	assert_null(memmem(f->plain, sizeof(f->plain), "secret", 6));
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_bad_mac], 1);
	client_sees_alert(f, SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
}

/* A header announcing more than 2^14+256 bytes is refused at once, before
 * any of its body is buffered. */
static void test_oversized_header(void **state)
{
	struct fx *f = *state;
	const uint8_t hdr[5] = {23, 3, 3, 0x41, 0x01}; /* 16641 */
	size_t used, plen;

	assert_int_equal(sb_tls_rec_size(hdr), 0);
	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, hdr, 5, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_FATAL);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_overflow], 1);
	client_sees_alert(f, SSL_R_TLSV1_ALERT_RECORD_OVERFLOW);
}

/* An inner plaintext over 2^14+1 bytes, properly sealed: record_overflow. */
static void test_oversized_plaintext(void **state)
{
	struct fx *f = *state;
	struct sb_tls_dir peer = f->conn.rx;
	static uint8_t inner[SB_TLS_PLAIN_MAX + 2];

	memset(inner, 'a', sizeof(inner));
	inner[sizeof(inner) - 1] = 23;
	assert_int_equal(open_crafted(f, &peer, inner, sizeof(inner)), SB_TLS_REC_FATAL);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_overflow], 1);
	client_sees_alert(f, SSL_R_TLSV1_ALERT_RECORD_OVERFLOW);
}

/* Padding is stripped; the maximum padded record is accepted. */
static void test_padding(void **state)
{
	struct fx *f = *state;
	struct sb_tls_dir peer = f->conn.rx;
	static uint8_t inner[SB_TLS_PLAIN_MAX + 1];
	size_t n, used, plen;

	memcpy(inner, "hi", 2);
	inner[2] = 23; /* then zeros up to 2^14+1 */
	n = th_seal_raw(f->conn.suite, &peer, inner, sizeof(inner), f->wire);
	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, f->wire, n, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_DATA);
	assert_int_equal(plen, 2);
	assert_int_equal(used, n);
}

/* All zeros: no content type, unexpected_message. */
static void test_no_content_type(void **state)
{
	struct fx *f = *state;
	struct sb_tls_dir peer = f->conn.rx;
	const uint8_t inner[8] = {0};

	assert_int_equal(open_crafted(f, &peer, inner, sizeof(inner)), SB_TLS_REC_FATAL);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_no_type], 1);
	client_sees_alert(f, SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE);
}

/* A ChangeCipherSpec record after the handshake: unexpected_message. */
static void test_outer_type(void **state)
{
	struct fx *f = *state;
	const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
	size_t used, plen;

	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, ccs, 6, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_FATAL);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_bad_type], 1);
}

/* Post-handshake messages: only KeyUpdate, 0 or 1, ending its record. */
static void test_post_handshake_messages(void **state)
{
	struct fx *f = *state;
	struct sb_tls_dir peer;
	const uint8_t nst[] = {4, 0, 0, 4, 0, 0, 0, 0, 22};
	const uint8_t ku2[] = {24, 0, 0, 1, 2, 22};
	const uint8_t ku_then_data[] = {24, 0, 0, 1, 0, 24, 0, 0, 1, 0, 22};

	peer = f->conn.rx;
	assert_int_equal(open_crafted(f, &peer, nst, sizeof(nst)), SB_TLS_REC_FATAL);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_hs_bad], 1);
	assert_int_equal(f->conn.alert, 10);

	f->conn.flags = 0;
	peer = f->conn.rx;
	assert_int_equal(open_crafted(f, &peer, ku2, sizeof(ku2)), SB_TLS_REC_FATAL);
	assert_int_equal(f->conn.alert, 47); /* illegal_parameter */

	f->conn.flags = 0;
	peer = f->conn.rx;
	assert_int_equal(open_crafted(f, &peer, ku_then_data, sizeof(ku_then_data)),
			 SB_TLS_REC_FATAL);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_hs_decode], 1);
}

/* A KeyUpdate split over two records is reassembled and applied. */
static void test_key_update_split(void **state)
{
	struct fx *f = *state;
	struct sb_tls_dir peer = f->conn.rx;
	const uint8_t a[] = {24, 0, 22}, b[] = {0, 1, 0, 22};
	const uint8_t data[] = {'o', 'k', 23};
	struct sb_tls_worker *w = &f->w;
	size_t n, used, plen;

	assert_int_equal(open_crafted(f, &peer, a, sizeof(a)), SB_TLS_REC_CONTROL);
	assert_int_equal(f->conn.hs_len, 2);
	assert_int_equal(open_crafted(f, &peer, b, sizeof(b)), SB_TLS_REC_CONTROL);
	assert_int_equal(w->ctr[SB_TLS_CTR_rec_ku_in], 1);
	/* the peer must use its next secret too: take it from our side */
	peer = f->conn.rx;
	n = th_seal_raw(f->conn.suite, &peer, data, sizeof(data), f->wire);
	assert_int_equal(sb_tls_rec_open(w, &f->conn, f->wire, n, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_DATA);
	assert_int_equal(plen, 2);
}

/* Alerts: 2 bytes exactly; a fatal one ends the connection without reply;
 * user_canceled is ignored. */
static void test_alerts(void **state)
{
	struct fx *f = *state;
	struct sb_tls_dir peer = f->conn.rx;
	const uint8_t user_canceled[] = {1, 90, 21}, long_alert[] = {1, 0, 0, 21};
	const uint8_t fatal[] = {2, 40, 21};
	size_t used;

	assert_int_equal(open_crafted(f, &peer, user_canceled, sizeof(user_canceled)),
			 SB_TLS_REC_CONTROL);
	assert_int_equal(open_crafted(f, &peer, fatal, sizeof(fatal)), SB_TLS_REC_FATAL);
	assert_false(sb_tls_conn_owed(&f->conn));
	assert_int_equal(sb_tls_rec_seal(&f->w, &f->conn, NULL, 0, &used, f->wire,
					 sizeof(f->wire)), -EPIPE);
	f->conn.flags = 0;
	peer = f->conn.rx;
	assert_int_equal(open_crafted(f, &peer, long_alert, sizeof(long_alert)), SB_TLS_REC_FATAL);
	assert_int_equal(f->conn.alert, 50); /* decode_error */
}

/* Byte by byte: NEED_MORE until the whole record is there, nothing used. */
static void test_need_more(void **state)
{
	struct fx *f = *state;
	size_t n, used, plen;

	assert_int_equal(SSL_write(f->c.ssl, "chunks", 6), 6);
	n = th_from_client(&f->c, f->wire, sizeof(f->wire));
	assert_int_equal(sb_tls_rec_size(f->wire), n);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, f->wire, k, &used, f->plain,
						 sizeof(f->plain), &plen), SB_TLS_REC_NEED_MORE);
		assert_int_equal(used, 0);
	}
	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, f->wire, n, &used, f->plain,
					 sizeof(f->plain), &plen), SB_TLS_REC_DATA);
	assert_int_equal(plen, 6);
}

/* Decryption in place (out = in + 5), as the dataplane does over its
 * gather buffer. */
static void test_open_in_place(void **state)
{
	struct fx *f = *state;
	size_t n, used, plen;

	assert_int_equal(SSL_write(f->c.ssl, "in-place-bytes", 14), 14);
	n = th_from_client(&f->c, f->wire, sizeof(f->wire));
	assert_int_equal(sb_tls_rec_open(&f->w, &f->conn, f->wire, n, &used, f->wire + 5,
					 sizeof(f->wire) - 5, &plen), SB_TLS_REC_DATA);
	assert_int_equal(plen, 14);
	assert_memory_equal(f->wire + 5, "in-place-bytes", 14);
}

/* A peer that only ever sends KeyUpdates is cut off. */
static void test_key_update_flood(void **state)
{
	struct fx *f = *state;
	const uint8_t ku[] = {24, 0, 0, 1, 0, 22};
	enum sb_tls_rec_result r = SB_TLS_REC_CONTROL;
	unsigned i;

	for (i = 0; i < 100 && r == SB_TLS_REC_CONTROL; i++) {
		struct sb_tls_dir peer = f->conn.rx;

		r = open_crafted(f, &peer, ku, sizeof(ku));
	}
	assert_int_equal(r, SB_TLS_REC_FATAL);
	assert_int_equal(i, SB_TLS_KU_IN_MAX + 1);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_rec_ku_flood], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_update_requested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_update_not_requested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_update_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_update_limit, setup_rekey3, teardown),
		cmocka_unit_test_setup_teardown(test_key_update_asked, setup_rekey3, teardown),
		cmocka_unit_test_setup_teardown(test_close_notify_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_notify_theirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_plaintext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_padding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_content_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outer_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_handshake_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_update_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_need_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_update_flood, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
