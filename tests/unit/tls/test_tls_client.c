/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tls's client role (tls_client.c) against its server role, both over
 * memory BIOs and both handed off to the record layer: the roles' secrets
 * and sequence numbers line up (data both ways, 200 messages with KeyUpdates
 * from either side), the server's ticket is skipped by the client's record
 * layer, ALPN, and a verifying client refuses a certificate for another name.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tls_harness.h"

struct fx {
	struct th_pki pki;
	struct sb_tls_worker ws, wc; /* server's and client's workers */
	struct sb_tls_server *srv;
};

static int setup(void **state)
{
	static struct fx f;
	struct sb_tls_server_opts o = {.min_version = SB_TLS_V13, .alpn_xmpp = true};
	struct sb_tls_error err;

	memset(&f, 0, sizeof(f));
	th_pki_make(&f.pki);
	assert_int_equal(sb_tls_worker_init(&f.ws, NULL), 0);
	assert_int_equal(sb_tls_worker_init(&f.wc, NULL), 0);
	f.srv = sb_tls_server_new(&o, NULL, &err);
	assert_non_null(f.srv);
	assert_int_equal(sb_tls_server_add_domain(f.srv, "switchboard.test", f.pki.cert[0],
						  f.pki.key[0], &err), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sb_tls_server_put(f->srv);
	sb_tls_worker_fini(&f->ws);
	sb_tls_worker_fini(&f->wc);
	th_pki_remove(&f->pki);
	return 0;
}

/* Move what one side's SSL wrote into the other's input. */
static void pass(struct sb_tls_worker *wto, struct sb_tls_ssl *from, struct sb_tls_ssl *to)
{
	uint8_t buf[32768];
	size_t n;

	while ((n = sb_tls_ssl_output(from, buf, sizeof(buf))) > 0)
		assert_int_equal(sb_tls_ssl_input(wto, to, buf, n), n);
}

/* Handshake both ends; returns the bytes the server wrote after its
 * Finished (the ticket) for the client's record layer, in buf. */
static size_t handshake(struct fx *f, struct sb_tls_ssl *c, struct sb_tls_ssl *s,
			enum sb_tls_hs_result *cr, enum sb_tls_hs_result *sr, uint8_t *buf,
			size_t cap)
{
	size_t n = 0;

	*cr = *sr = SB_TLS_HS_AGAIN;
	for (int i = 0; i < 10 && (*cr == SB_TLS_HS_AGAIN || *sr == SB_TLS_HS_AGAIN); i++) {
		if (*cr == SB_TLS_HS_AGAIN)
			*cr = sb_tls_ssl_handshake(&f->wc, c);
		pass(&f->ws, c, s);
		if (*sr == SB_TLS_HS_AGAIN)
			*sr = sb_tls_ssl_handshake(&f->ws, s);
		if (*cr == SB_TLS_HS_AGAIN)
			pass(&f->wc, s, c);
	}
	/* Once both are done, what the server still has (its ticket) is for
	 * the client's record layer: the client hands off first. */
	if (*sr == SB_TLS_HS_DONE)
		n = sb_tls_ssl_output(s, buf, cap);
	return n;
}

/* Seal msg on one end, open every record on the other: must equal msg. */
static void send_msg(struct sb_tls_worker *wt, struct sb_tls_conn *tx, struct sb_tls_worker *wr,
		     struct sb_tls_conn *rx, const uint8_t *msg, size_t len)
{
	uint8_t wire[4096], plain[4096], got[4096];
	size_t used, off = 0, glen = 0;
	long n = sb_tls_rec_seal(wt, tx, msg, len, &used, wire, sizeof(wire));

	assert_true(n > 0);
	assert_int_equal(used, len);
	while (off < (size_t)n) {
		size_t u, pl;
		enum sb_tls_rec_result r = sb_tls_rec_open(wr, rx, wire + off, (size_t)n - off, &u,
							   plain, sizeof(plain), &pl);

		assert_true(r == SB_TLS_REC_DATA || r == SB_TLS_REC_CONTROL);
		if (r == SB_TLS_REC_DATA) {
			memcpy(got + glen, plain, pl);
			glen += pl;
		}
		off += u;
	}
	assert_int_equal(glen, len);
	assert_memory_equal(got, msg, len);
}

static void test_client_to_server(void **state)
{
	struct fx *f = *state;
	struct sb_tls_client_opts co = {.sni = "switchboard.test", .ca_file = f->pki.ca,
					 .alpn_xmpp = true};
	struct sb_tls_error err;
	struct sb_tls_client *cl = sb_tls_client_new(&co, &err);
	struct sb_tls_ssl *c, *s;
	struct sb_tls_conn cc, sc;
	enum sb_tls_hs_result cr, sr;
	uint8_t tick[4096], rest[64], plain[4096];
	size_t tlen, rl, used, pl;
	uint64_t skipped = f->wc.ctr[SB_TLS_CTR_rec_nst_skipped];

	assert_non_null(cl);
	c = sb_tls_ssl_new_client(&f->wc, cl);
	s = sb_tls_ssl_new(&f->ws, f->srv);
	assert_non_null(c);
	assert_non_null(s);
	tlen = handshake(f, c, s, &cr, &sr, tick, sizeof(tick));
	assert_int_equal(cr, SB_TLS_HS_DONE);
	assert_int_equal(sr, SB_TLS_HS_DONE);
	assert_string_equal(sb_tls_ssl_alpn(s), "xmpp-client");
	assert_true(tlen > 0); /* the server's NewSessionTicket */
	assert_int_equal(sb_tls_ssl_handoff(&f->wc, c, &cc, rest, sizeof(rest), &rl), 0);
	assert_int_equal(rl, 0);
	assert_int_equal(sb_tls_ssl_handoff(&f->ws, s, &sc, rest, sizeof(rest), &rl), 0);
	assert_int_equal(rl, 0);
	sb_tls_ssl_free(&f->wc, c);
	sb_tls_ssl_free(&f->ws, s);
	/* Both ends compute the same tls-exporter (RFC 9266). */
	assert_memory_equal(cc.exporter, sc.exporter, SB_TLS_EXPORTER_LEN);
	/* The ticket, under the server's application key: skipped. */
	assert_int_equal(sb_tls_rec_open(&f->wc, &cc, tick, tlen, &used, plain, sizeof(plain), &pl),
			 SB_TLS_REC_CONTROL);
	assert_int_equal(used, tlen);
	assert_int_equal(f->wc.ctr[SB_TLS_CTR_rec_nst_skipped], skipped + 1);
	/* Data both ways, with KeyUpdates from both ends along the way. */
	for (unsigned i = 0; i < 200; i++) {
		uint8_t msg[300];
		size_t len = 1 + (i * 37) % sizeof(msg);

		memset(msg, 'a' + (int)(i % 26), len);
		if (i % 50 == 10)
			sb_tls_conn_key_update(&cc, true);
		if (i % 50 == 30)
			sb_tls_conn_key_update(&sc, false);
		send_msg(&f->wc, &cc, &f->ws, &sc, msg, len);
		send_msg(&f->ws, &sc, &f->wc, &cc, msg, len);
	}
	assert_true(f->ws.ctr[SB_TLS_CTR_rec_ku_in] >= 4);
	assert_true(f->wc.ctr[SB_TLS_CTR_rec_ku_in] >= 8);
	sb_tls_conn_wipe(&cc);
	sb_tls_conn_wipe(&sc);
	sb_tls_client_free(cl);
}

static void test_client_wrong_ca(void **state)
{
	struct fx *f = *state;
	/* The server has only switchboard.test's certificate: a client that
	 * verifies and asks for other.test refuses it. */
	struct sb_tls_client_opts co = {.sni = "other.test", .ca_file = f->pki.ca};
	struct sb_tls_error err;
	struct sb_tls_client *cl = sb_tls_client_new(&co, &err);
	struct sb_tls_ssl *c, *s;
	enum sb_tls_hs_result cr, sr;
	uint8_t tick[4096];

	assert_non_null(cl);
	c = sb_tls_ssl_new_client(&f->wc, cl);
	s = sb_tls_ssl_new(&f->ws, f->srv);
	handshake(f, c, s, &cr, &sr, tick, sizeof(tick));
	assert_int_equal(cr, SB_TLS_HS_FAILED);
	(void)sr; /* the server may have finished its side: the client refused it */
	sb_tls_ssl_free(&f->wc, c);
	sb_tls_ssl_free(&f->ws, s);
	sb_tls_client_free(cl);
	/* A CA file that does not exist is refused at once. */
	co.ca_file = "/nonexistent/ca.pem";
	assert_null(sb_tls_client_new(&co, &err));
	assert_non_null(strstr(err.msg, "CA"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_to_server),
		cmocka_unit_test(test_client_wrong_ca),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
