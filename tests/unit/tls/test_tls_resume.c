/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stateless ticket resumption through lib/tls: the ticket sent before the
 * hand-off resumes; the key epochs rotate (the previous key is accepted and
 * the ticket renewed, an older one is not); tickets survive a reload that
 * passes the secret on; another worker (its own clock and KDF) accepts them.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tls_harness.h"

#define ROTATE_S 3600u
#define T0 1800000000ull /* a fixed clock: the test never reads the real one */

struct fx {
	struct th_pki pki;
	struct sb_tls_worker w;
	struct sb_tls_server *srv;
	SSL_CTX *cctx;
};

static struct sb_tls_server *fx_server(struct fx *f, const struct sb_tls_server *prev)
{
	struct sb_tls_server_opts o = {.ticket_rotate_s = ROTATE_S};
	struct sb_tls_error err;
	struct sb_tls_server *srv = sb_tls_server_new(&o, prev, &err);

	assert_non_null(srv);
	assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", f->pki.cert[0],
						  f->pki.key[0], &err), 0);
	return srv;
}

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	th_pki_make(&f.pki);
	assert_int_equal(sb_tls_worker_init(&f.w, NULL), 0);
	sb_tls_worker_set_time(&f.w, T0);
	f.srv = fx_server(&f, NULL);
	f.cctx = th_client_ctx(&f.pki, TLS1_3_VERSION, NULL);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	SSL_CTX_free(f->cctx);
	sb_tls_server_put(f->srv);
	sb_tls_worker_fini(&f->w);
	th_pki_remove(&f->pki);
	return 0;
}

/* Connect (resuming sess if given), hand off, exchange data so the client
 * reads its ticket; returns the client's new session (caller frees) and
 * whether the server resumed. */
static SSL_SESSION *connect_once(struct fx *f, struct sb_tls_worker *w, struct sb_tls_server *srv,
				 SSL_SESSION *sess, bool *ret_resumed)
{
	struct th_client c;
	struct sb_tls_ssl *s = sb_tls_ssl_new(w, srv);
	struct sb_tls_conn conn;
	uint8_t rest[16];
	size_t rest_len;
	SSL_SESSION *out;

	th_client_new(&c, f->cctx, "switchboard.test");
	if (sess != NULL)
		SSL_set_session(c.ssl, sess);
	assert_int_equal(th_handshake(w, &c, s), SB_TLS_HS_DONE);
	*ret_resumed = sb_tls_ssl_resumed(s);
	assert_int_equal(SSL_session_reused(c.ssl), *ret_resumed);
	assert_int_equal(sb_tls_ssl_handoff(w, s, &conn, rest, sizeof(rest), &rest_len), 0);
	sb_tls_ssl_free(w, s);
	th_client_sends(w, &conn, &c, "ping", 4);
	th_server_sends(w, &conn, &c, "pong", 4); /* the client reads the ticket first */
	out = SSL_get1_session(c.ssl);
	assert_non_null(out);
	assert_true(SSL_SESSION_is_resumable(out));
	th_client_free(&c);
	return out;
}

static void test_resume_after_handoff(void **state)
{
	struct fx *f = *state;
	bool resumed;
	SSL_SESSION *s1 = connect_once(f, &f->w, f->srv, NULL, &resumed);
	SSL_SESSION *s2;

	assert_false(resumed);
	s2 = connect_once(f, &f->w, f->srv, s1, &resumed);
	assert_true(resumed);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_ticket_current], 1);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_hs_resumed], 1);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_hs_handoff], 2);
	SSL_SESSION_free(s1);
	SSL_SESSION_free(s2);
}

/* One epoch later the ticket is under the previous key: accepted, renewed.
 * Two epochs later it is under no known key: full handshake. */
static void test_resume_rotation(void **state)
{
	struct fx *f = *state;
	bool resumed;
	SSL_SESSION *s1 = connect_once(f, &f->w, f->srv, NULL, &resumed);
	SSL_SESSION *s0 = connect_once(f, &f->w, f->srv, NULL, &resumed);
	SSL_SESSION *s2, *s3;

	sb_tls_worker_set_time(&f->w, T0 + ROTATE_S);
	s2 = connect_once(f, &f->w, f->srv, s1, &resumed);
	assert_true(resumed);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_ticket_renew], 1);
	/* the renewed ticket is under the current key */
	sb_tls_worker_set_time(&f->w, T0 + ROTATE_S + 10);
	SSL_SESSION_free(connect_once(f, &f->w, f->srv, s2, &resumed));
	assert_true(resumed);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_ticket_current], 1);
	/* a ticket of epoch e, two epochs on: unknown key, full handshake */
	sb_tls_worker_set_time(&f->w, T0 + 2 * ROTATE_S + 10);
	s3 = connect_once(f, &f->w, f->srv, s0, &resumed);
	assert_false(resumed);
	assert_int_equal(f->w.ctr[SB_TLS_CTR_ticket_unknown], 1);
	SSL_SESSION_free(s0);
	SSL_SESSION_free(s1);
	SSL_SESSION_free(s2);
	SSL_SESSION_free(s3);
}

/* A reload with the previous server passed on keeps tickets valid; a
 * server built from scratch does not know them. */
static void test_resume_across_reload(void **state)
{
	struct fx *f = *state;
	bool resumed;
	SSL_SESSION *s1 = connect_once(f, &f->w, f->srv, NULL, &resumed);
	struct sb_tls_server *reloaded = fx_server(f, f->srv);
	struct sb_tls_server *fresh = fx_server(f, NULL);

	SSL_SESSION_free(connect_once(f, &f->w, reloaded, s1, &resumed));
	assert_true(resumed);
	SSL_SESSION_free(connect_once(f, &f->w, fresh, s1, &resumed));
	assert_false(resumed);
	sb_tls_server_put(reloaded);
	sb_tls_server_put(fresh);
	SSL_SESSION_free(s1);
}

/* A handshake in progress keeps its server alive after the owner's put. */
static void test_server_outlives_put(void **state)
{
	struct fx *f = *state;
	struct sb_tls_server *srv = fx_server(f, NULL);
	struct th_client c;
	struct sb_tls_ssl *s = sb_tls_ssl_new(&f->w, srv);
	struct sb_tls_conn conn;
	uint8_t rest[16];
	size_t rest_len;

	sb_tls_server_put(srv); /* a reload swapped it out */
	th_client_new(&c, f->cctx, "switchboard.test");
	assert_int_equal(th_handshake(&f->w, &c, s), SB_TLS_HS_DONE);
	assert_int_equal(sb_tls_ssl_handoff(&f->w, s, &conn, rest, sizeof(rest), &rest_len), 0);
	sb_tls_ssl_free(&f->w, s);
	th_client_sends(&f->w, &conn, &c, "still", 5);
	th_client_free(&c);
}

/* Another worker derives the same ticket keys from the shared secret. */
static void test_resume_other_worker(void **state)
{
	struct fx *f = *state;
	struct sb_tls_worker w2;
	bool resumed;
	SSL_SESSION *s1 = connect_once(f, &f->w, f->srv, NULL, &resumed);

	assert_int_equal(sb_tls_worker_init(&w2, NULL), 0);
	sb_tls_worker_set_time(&w2, T0 + 5);
	SSL_SESSION_free(connect_once(f, &w2, f->srv, s1, &resumed));
	assert_true(resumed);
	sb_tls_worker_fini(&w2);
	SSL_SESSION_free(s1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resume_after_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_across_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_outlives_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_other_worker, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
