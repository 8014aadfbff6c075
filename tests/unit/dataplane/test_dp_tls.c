/* SPDX-License-Identifier: BSD-3-Clause
 *
 * STARTTLS through the dataplane (dataplane/xmpp/xc_tls.c) with a real
 * libssl client on the peer side of the in-process harness: a ClientHello
 * pipelined in the same segment as <starttls/> goes to the handshake, not
 * the tokenizer; a record sent in the same segment as the client's Finished
 * comes out of the hand-off and is opened first; after the hand-off, records cut into small segments are
 * gathered and opened into the input the tokenizer reads (a SASL <auth/>
 * reaches sb-control intact), the answers come back sealed, close_notify is
 * answered, a full-size record over a dozen segments is gathered whole;
 * garbage instead of a ClientHello closes the connection and is
 * counted; at the handshake cap <starttls/> gets <failure/>; every TLS
 * object goes back to its pool; a burst of ClientHellos runs only the
 * handshake budget's worth per turn (tls.handshake_budget_us), the rest in
 * later turns, and an established connection's data in the same burst is
 * not kept waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/ssl.h>
#include <rte_mempool.h>

#include "dp_harness.h"
#include "tcp/conn.h"
#include "tls_harness.h"
#include "worker.h"
#include "xmpp/xc.h"

#define STARTTLS "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define PROCEED "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
/* "\0alice\0secret" */
#define AUTH "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" \
	     "AGFsaWNlAHNlY3JldA==</auth>"

struct fx {
	struct th_pki pki;
	struct dp_h *h;
	SSL_CTX *cctx;
};

/* The client's TLS over one harness connection. */
struct tc {
	struct th_client cl;
	struct dp_sock *s;
	uint32_t seen;          /* bytes of s->rx already given to libssl */
	char plain[8192];       /* what the client has read in the clear so far */
	size_t plain_len;
};

static int setup(void **state)
{
	static struct fx f;
	struct dp_opts o = {.c2s = true, .tls = "required"};

	dp_eal_init("dp_tls");
	th_pki_make(&f.pki);
	o.tls_cert = f.pki.cert[0];
	o.tls_key = f.pki.key[0];
	f.h = dp_new(&o);
	dp_ctl_attach(f.h, 1);
	f.cctx = th_client_ctx(&f.pki, TLS1_3_VERSION, NULL);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	SSL_CTX_free(f->cctx);
	dp_free(f->h);
	th_pki_remove(&f->pki);
	return 0;
}

/* Whatever the client wrote, to the gateway in segments of seg bytes. */
static void tc_push(struct dp_h *h, struct tc *t, size_t seg)
{
	uint8_t buf[16384];
	size_t n = th_from_client(&t->cl, buf, sizeof(buf));

	for (size_t off = 0; off < n; off += seg) {
		dp_send(h, t->s, buf + off, RTE_MIN(seg, n - off));
		dp_advance(h, 50); /* each piece its own segment */
	}
}

/* What the gateway sent since the last call, to the client's libssl. */
static void tc_pull(struct tc *t)
{
	if (t->s->rx_len > t->seen) {
		int n = (int)(t->s->rx_len - t->seen);

		assert_int_equal(BIO_write(t->cl.rbio, t->s->rx + t->seen, n), n);
		t->seen = t->s->rx_len;
	}
}

static void tc_read(struct tc *t)
{
	int n;

	tc_pull(t);
	while ((n = SSL_read(t->cl.ssl, t->plain + t->plain_len,
			     (int)(sizeof(t->plain) - 1 - t->plain_len))) > 0)
		t->plain_len += (size_t)n;
	t->plain[t->plain_len] = '\0';
}

static void tc_write(struct dp_h *h, struct tc *t, const char *p, size_t seg)
{
	assert_int_equal(SSL_write(t->cl.ssl, p, (int)strlen(p)), (int)strlen(p));
	tc_push(h, t, seg);
}

/* Stream, features with a required STARTTLS, then <starttls/> with the
 * ClientHello right behind it in one segment (pipelined). */
static void tc_starttls_host(struct fx *f, struct tc *t, SSL_CTX *cctx, const char *host)
{
	char buf[2048];
	int n = dp_stream_header(f->h, buf, sizeof(buf));
	size_t hello;
	const char *p;

	memset(t, 0, sizeof(*t));
	t->s = dp_connect(f->h, DP_PORT_C2S);
	dp_send(f->h, t->s, buf, (size_t)n);
	assert_true(dp_sock_saw(t->s, "<required/></starttls>"));
	th_client_new(&t->cl, cctx, host);
	assert_int_equal(SSL_do_handshake(t->cl.ssl), -1);
	memcpy(buf, STARTTLS, sizeof(STARTTLS) - 1);
	hello = th_from_client(&t->cl, (uint8_t *)buf + sizeof(STARTTLS) - 1,
			       sizeof(buf) - sizeof(STARTTLS));
	assert_true(hello > 0);
	dp_send(f->h, t->s, buf, sizeof(STARTTLS) - 1 + hello);
	p = memmem(t->s->rx, t->s->rx_len, PROCEED, sizeof(PROCEED) - 1);
	assert_non_null(p);
	t->seen = (uint32_t)(p - (const char *)t->s->rx) + sizeof(PROCEED) - 1;
}

static void tc_starttls(struct fx *f, struct tc *t, SSL_CTX *cctx)
{
	tc_starttls_host(f, t, cctx, "switchboard.test");
}

/* The client's side of the handshake; early (may be NULL) is written as
 * soon as the client is done, so that it travels in the same segment as
 * the client's Finished (libssl leaves it unread: the hand-off's rest). */
static int tc_handshake(struct dp_h *h, struct tc *t, const char *early)
{
	int rc = -1;

	for (int turn = 0; turn < 10 && rc != 1; turn++) {
		tc_pull(t);
		rc = SSL_do_handshake(t->cl.ssl);
		if (rc == 1 && early != NULL)
			assert_int_equal(SSL_write(t->cl.ssl, early, (int)strlen(early)),
					 (int)strlen(early));
		tc_push(h, t, 1460);
	}
	return rc;
}

static void test_starttls_login(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	unsigned pool = rte_mempool_avail_count(h->xw->tls_pool);
	char hdr[512];
	struct sb_msg *m;
	struct tc t;
	char *big;
	int rc;

	tc_starttls(f, &t, f->cctx);
	assert_int_equal(DP_CTR(h, xmpp_tls_started), 1);
	/* The new stream's header right behind the Finished. */
	dp_stream_header(h, hdr, sizeof(hdr));
	rc = tc_handshake(h, &t, hdr);
	assert_int_equal(rc, 1);
	assert_int_equal(SSL_get_verify_result(t.cl.ssl), X509_V_OK);
	assert_int_equal(DP_CTR(h, xmpp_tls_done_13), 1);
	assert_int_equal(h->xw->tls.hs_live, 0);

	/* SASL over TLS, records cut into 7-byte segments: every record is
	 * gathered across mbufs before it is opened. */
	tc_read(&t);
	assert_non_null(strstr(t.plain, "PLAIN"));
	assert_null(strstr(t.plain, "starttls")); /* not offered twice */
	tc_write(h, &t, AUTH, 7);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_AUTH_REQ);
	dp_ctl_reply(h, m->shard, SB_MSG_AUTH_RESP, m->conn, m->conn_gen, 0, NULL, 0);
	dp_msg_free(h, m);
	dp_run(h);
	tc_read(&t);
	assert_non_null(strstr(t.plain, "<success"));
	assert_int_equal(h->xw->env.ctr[SB_C2S_CTR_tls_established], 1);

	/* The restarted stream, then a full-size record (2^14 bytes of
	 * whitespace keepalive, over a dozen segments), then a bind: the
	 * record is gathered whole and the stream goes on behind it. */
	tc_write(h, &t, hdr, 1460);
	big = malloc(SB_TLS_PLAIN_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', SB_TLS_PLAIN_MAX);
	big[SB_TLS_PLAIN_MAX] = '\0';
	tc_write(h, &t, big, 1460);
	free(big);
	tc_write(h, &t, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
		 1460);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_BIND_REQ);
	dp_msg_free(h, m);
	tc_read(&t);
	assert_non_null(strstr(t.plain, "urn:ietf:params:xml:ns:xmpp-bind")); /* new features */

	/* close_notify: answered with ours, then the connection closes. */
	SSL_shutdown(t.cl.ssl);
	tc_push(h, &t, 1460);
	dp_advance(h, 100);
	assert_int_equal(DP_CTR(h, xmpp_tls_close_notify), 1);
	tc_pull(&t);
	assert_int_equal(SSL_shutdown(t.cl.ssl), 1); /* the gateway's close_notify arrived */
	assert_true(t.s->peer_fin);
	dp_close(h, t.s);
	dp_advance(h, 100);
	th_client_free(&t.cl);
	assert_int_equal(rte_mempool_avail_count(h->xw->tls_pool), pool);
	dp_ctl_drain(h); /* the UNBIND owed for the bind request */
}

/* TLS 1.2 (tls.min_version 1.2): no hand-off, libssl keeps the session;
 * the stream runs over it the same way. */
static void test_tls12(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	unsigned pool = rte_mempool_avail_count(h->xw->tls_pool);
	SSL_CTX *c12 = th_client_ctx(&f->pki, TLS1_2_VERSION, NULL);
	uint64_t done12 = DP_CTR(h, xmpp_tls_done_12);
	char hdr[512];
	struct tc t;

	tc_starttls(f, &t, c12);
	assert_int_equal(tc_handshake(h, &t, NULL), 1);
	assert_int_equal(SSL_version(t.cl.ssl), TLS1_2_VERSION);
	assert_int_equal(DP_CTR(h, xmpp_tls_done_12), done12 + 1);
	/* The SSL is kept, but no longer counts against the handshake cap;
	 * kept sessions are xmpp_tls_done_12 - xmpp_tls_12_released. */
	assert_int_equal(h->xw->tls.hs_live, 0);
	dp_stream_header(h, hdr, sizeof(hdr));
	tc_write(h, &t, hdr, 100);
	tc_read(&t);
	assert_non_null(strstr(t.plain, "<mechanisms"));
	assert_null(strstr(t.plain, "starttls"));
	dp_close(h, t.s);
	dp_advance(h, 100);
	th_client_free(&t.cl);
	SSL_CTX_free(c12);
	assert_int_equal(rte_mempool_avail_count(h->xw->tls_pool), pool);
	assert_int_equal(DP_CTR(h, xmpp_tls_12_released), DP_CTR(h, xmpp_tls_done_12));
}

/* tls.handoff off: a TLS 1.3 session stays in libssl (counted
 * xmpp_tls_kept), and the stream runs over it as over TLS 1.2. */
static void test_handoff_off(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	unsigned pool = rte_mempool_avail_count(h->xw->tls_pool);
	uint64_t done13 = DP_CTR(h, xmpp_tls_done_13);
	uint64_t released = DP_CTR(h, xmpp_tls_12_released);
	char hdr[512];
	struct tc t;

	h->xw->tls_handoff = false;
	tc_starttls(f, &t, f->cctx);
	assert_int_equal(tc_handshake(h, &t, NULL), 1);
	assert_int_equal(SSL_version(t.cl.ssl), TLS1_3_VERSION);
	assert_int_equal(DP_CTR(h, xmpp_tls_kept), 1);
	assert_int_equal(DP_CTR(h, xmpp_tls_done_13), done13);
	dp_stream_header(h, hdr, sizeof(hdr));
	tc_write(h, &t, hdr, 100);
	tc_read(&t);
	assert_non_null(strstr(t.plain, "<mechanisms"));
	dp_close(h, t.s);
	dp_advance(h, 100);
	th_client_free(&t.cl);
	h->xw->tls_handoff = true;
	assert_int_equal(rte_mempool_avail_count(h->xw->tls_pool), pool);
	assert_int_equal(DP_CTR(h, xmpp_tls_12_released), released + 1);
}

static void test_garbage_hello(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	uint64_t failed = DP_CTR(h, xmpp_tls_hs_failed);
	unsigned pool = rte_mempool_avail_count(h->xw->tls_pool);
	static const char garbage[] = "GET / HTTP/1.1\r\nHost: switchboard.test\r\n\r\n";
	char hdr[512];
	struct dp_sock *s = dp_connect(h, DP_PORT_C2S);

	dp_send(h, s, hdr, (size_t)dp_stream_header(h, hdr, sizeof(hdr)));
	dp_send(h, s, STARTTLS, sizeof(STARTTLS) - 1);
	assert_true(dp_sock_saw(s, PROCEED));
	dp_send(h, s, garbage, sizeof(garbage) - 1);
	dp_advance(h, 100);
	assert_int_equal(DP_CTR(h, xmpp_tls_hs_failed), failed + 1);
	assert_true(s->peer_fin);
	dp_close(h, s);
	dp_advance(h, 100);
	assert_int_equal(rte_mempool_avail_count(h->xw->tls_pool), pool);
	assert_int_equal(h->xw->tls.hs_live, 0);
}

/* At the handshake cap <starttls/> gets <failure/> instead of <proceed/>
 * (RFC 6120 §5.4.2.2) and the connection closes; counted. */
static void test_cap(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	uint64_t refused = DP_CTR(h, xmpp_tls_refused_cap);
	uint32_t hs_max = h->xw->tls.hs_max;
	char hdr[512];
	struct dp_sock *s = dp_connect(h, DP_PORT_C2S);

	h->xw->tls.hs_max = h->xw->tls.hs_live; /* full */
	dp_send(h, s, hdr, (size_t)dp_stream_header(h, hdr, sizeof(hdr)));
	dp_send(h, s, STARTTLS, sizeof(STARTTLS) - 1);
	dp_advance(h, 100);
	h->xw->tls.hs_max = hs_max;
	assert_true(dp_sock_saw(s, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
	assert_false(dp_sock_saw(s, "<proceed"));
	assert_int_equal(DP_CTR(h, xmpp_tls_refused_cap), refused + 1);
	assert_true(s->peer_fin);
	dp_close(h, s);
	dp_advance(h, 100);
}

/* SASL before STARTTLS under xmpp.tls=required: refused, and no TLS
 * object is ever taken for a plaintext connection. */
static void test_required(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	unsigned pool = rte_mempool_avail_count(h->xw->tls_pool);
	char hdr[512];
	struct dp_sock *s = dp_connect(h, DP_PORT_C2S);

	dp_send(h, s, hdr, (size_t)dp_stream_header(h, hdr, sizeof(hdr)));
	assert_int_equal(rte_mempool_avail_count(h->xw->tls_pool), pool);
	dp_send(h, s, AUTH, sizeof(AUTH) - 1);
	assert_true(dp_sock_saw(s, "<encryption-required/>"));
	assert_true(dp_sock_saw(s, "policy-violation"));
	assert_null(dp_ctl_take(h));
	dp_advance(h, 100);
	assert_true(s->peer_fin);
	dp_close(h, s);
}

/* sbctl tls reload, the worker's side (dataplane/tls_reload.c offers a new
 * server in tls_next; the worker takes it on its turn): a session
 * established before keeps running on its handed-off keys, a handshake in
 * progress finishes on the old certificate, the next one gets the new
 * certificate (other.test's, so a client checking that name verifies it). */
static void test_reload_swap(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	struct sb_tls_server *old = h->xw->tls_srv, *n;
	struct sb_tls_error err;
	char hdr[512], cert[sizeof(h->cfg.tls_cert_file)], key[sizeof(h->cfg.tls_key_file)];
	struct sb_msg *m;
	struct tc t1, t2, t3;

	dp_stream_header(h, hdr, sizeof(hdr));
	tc_starttls(f, &t1, f->cctx);
	assert_int_equal(tc_handshake(h, &t1, hdr), 1);
	tc_read(&t1);
	assert_non_null(strstr(t1.plain, "<mechanisms"));
	tc_starttls(f, &t2, f->cctx); /* ClientHello in; the server holds an SSL on old */

	memcpy(cert, h->cfg.tls_cert_file, sizeof(cert));
	memcpy(key, h->cfg.tls_key_file, sizeof(key));
	snprintf(h->cfg.tls_cert_file, sizeof(h->cfg.tls_cert_file), "%s", f->pki.cert[1]);
	snprintf(h->cfg.tls_key_file, sizeof(h->cfg.tls_key_file), "%s", f->pki.key[1]);
	n = sb_tls_server_from_config(&h->cfg, old, &err);
	memcpy(h->cfg.tls_cert_file, cert, sizeof(cert));
	memcpy(h->cfg.tls_key_file, key, sizeof(key));
	assert_non_null(n);
	__atomic_store_n(&h->xw->tls_next, n, __ATOMIC_RELEASE);
	dp_run(h);
	assert_ptr_equal(h->xw->tls_srv, n);
	assert_null(h->xw->tls_next);

	/* In progress: finishes with the old contexts (switchboard.test). */
	assert_int_equal(tc_handshake(h, &t2, NULL), 1);
	assert_int_equal(SSL_get_verify_result(t2.cl.ssl), X509_V_OK);
	/* Established: still opens our records and seals its answers. */
	tc_write(h, &t1, AUTH, 1460);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_AUTH_REQ);
	dp_msg_free(h, m);
	/* New: the reloaded certificate. */
	tc_starttls_host(f, &t3, f->cctx, "other.test");
	assert_int_equal(tc_handshake(h, &t3, NULL), 1);
	assert_int_equal(SSL_get_verify_result(t3.cl.ssl), X509_V_OK);

	dp_close(h, t1.s);
	dp_close(h, t2.s);
	dp_close(h, t3.s);
	dp_advance(h, 100);
	th_client_free(&t1.cl);
	th_client_free(&t2.cl);
	th_client_free(&t3.cl);
	dp_ctl_drain(h);
}

/* A connection at <proceed/> whose ClientHello is made but not sent. */
static void tc_proceed(struct fx *f, struct tc *t)
{
	char buf[2048];
	int n = dp_stream_header(f->h, buf, sizeof(buf));
	const char *p;

	memset(t, 0, sizeof(*t));
	t->s = dp_connect(f->h, DP_PORT_C2S);
	dp_send(f->h, t->s, buf, (size_t)n);
	dp_send(f->h, t->s, STARTTLS, sizeof(STARTTLS) - 1);
	p = memmem(t->s->rx, t->s->rx_len, PROCEED, sizeof(PROCEED) - 1);
	assert_non_null(p);
	t->seen = (uint32_t)(p - (const char *)t->s->rx) + sizeof(PROCEED) - 1;
	th_client_new(&t->cl, f->cctx, "switchboard.test");
	assert_int_equal(SSL_do_handshake(t->cl.ssl), -1);
}

/* What the client wrote, queued on its TCP connection without running
 * anything: it leaves with the next gateway turn's burst. */
static void tc_queue(struct dp_h *h, struct tc *t)
{
	uint8_t buf[4096];
	size_t n = th_from_client(&t->cl, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(sb_conn_send_bytes(h->peer, t->s->c, buf, (uint32_t)n), 0);
}

/* tls.handshake_budget_us: four ClientHellos arrive in one poll, ahead of
 * an established connection's record. Only the budget's worth of
 * handshake steps runs in that turn (a budget of one cycle: one step);
 * the others wait for later turns, first come first served, one a turn;
 * the established connection's <auth/> is read and sent up in the same
 * turn as the first ClientHello. With no budget (the old inline path) all
 * four server flights leave in the first turn. */
static void test_hs_budget(void **state)
{
	struct fx *f = *state;
	struct dp_h *h = f->h;
	uint64_t budget = h->xw->tls_hs_budget_tsc;
	uint64_t deferred = DP_CTR(h, xmpp_tls_hs_deferred);
	uint32_t before[4];
	struct tc est, t[4];
	struct sb_msg *m;
	char hdr[512];
	unsigned answered = 0;

	tc_starttls(f, &est, f->cctx);
	dp_stream_header(h, hdr, sizeof(hdr));
	assert_int_equal(tc_handshake(h, &est, hdr), 1);
	tc_read(&est);
	assert_non_null(strstr(est.plain, "PLAIN"));
	for (unsigned i = 0; i < 4; i++)
		tc_proceed(f, &t[i]);

	h->xw->tls_hs_budget_tsc = 1;
	for (unsigned i = 0; i < 4; i++) {
		tc_queue(h, &t[i]);
		before[i] = t[i].s->rx_len;
	}
	assert_int_equal(SSL_write(est.cl.ssl, AUTH, (int)strlen(AUTH)), (int)strlen(AUTH));
	tc_queue(h, &est);
	dp_gw_turn(h);

	for (unsigned i = 0; i < 4; i++)
		answered += t[i].s->rx_len > before[i];
	assert_int_equal(answered, 1);
	assert_true(t[0].s->rx_len > before[0]); /* the first to arrive */
	m = dp_ctl_take(h); /* the established connection was not kept waiting */
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_AUTH_REQ);
	dp_msg_free(h, m);
	assert_int_equal(DP_CTR(h, xmpp_tls_hs_deferred) - deferred, 3);
	assert_int_equal(h->xw->tls_hs_wait.n, 3);
	assert_true(DP_CTR(h, xmpp_tls_hs_wait_peak) >= 3);

	/* One a turn, in arrival order. */
	for (unsigned k = 1; k < 4; k++) {
		dp_gw_turn(h);
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(t[i].s->rx_len > before[i], i <= k);
	}
	assert_int_equal(h->xw->tls_hs_wait.n, 0);

	/* And every handshake completes. */
	h->xw->tls_hs_budget_tsc = budget;
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(tc_handshake(h, &t[i], NULL), 1);
	for (unsigned i = 0; i < 4; i++) {
		dp_close(h, t[i].s);
		th_client_free(&t[i].cl);
	}
	dp_close(h, est.s);
	dp_advance(h, 100);
	th_client_free(&est.cl);
	assert_int_equal(h->xw->tls.hs_live, 0);
	dp_ctl_drain(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_login),
		cmocka_unit_test(test_tls12),
		cmocka_unit_test(test_handoff_off),
		cmocka_unit_test(test_garbage_hello),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_hs_budget),
		cmocka_unit_test(test_reload_swap), /* last: the certificates change */
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
