/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Handles of the control plane (dataplane/xmpp/xc_app.c): a reply names
 * a connection by (index into the worker's table, generation). A reply
 * with an index outside the table is counted as xmpp_bad_handle, one with
 * a generation that is not the object's current one as xmpp_stale_reply;
 * both are freed and change nothing. The same reply with the right handle
 * does reach the connection, so the check is what stops the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include <rte_mempool.h>

#include "dp_harness.h"
#include "worker.h"
#include "xmpp/xc.h"

#define PLAIN_AUTH "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" \
		   "AGp1bGlldABzZWNyZXQ=</auth>"

/* A client waiting for sb-control's answer to its PLAIN login; *ret_req
 * is the AUTH_REQ (header kept, object freed). */
static struct dp_sock *waiting_login(struct dp_h *h, struct sb_msg *ret_req)
{
	struct dp_sock *s = dp_connect(h, DP_PORT_C2S);
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx."
			 "jabber.org/streams' to='%s' version='1.0'>", h->cfg.xmpp_domain);
	struct sb_msg *m;

	dp_send(h, s, hdr, (size_t)n);
	dp_send(h, s, PLAIN_AUTH, sizeof(PLAIN_AUTH) - 1);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_AUTH_REQ);
	*ret_req = *m;
	dp_msg_free(h, m);
	return s;
}

static struct dp_h *setup(void)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });

	dp_ctl_attach(h, 1);
	return h;
}

static void test_index_out_of_range(void **state)
{
	struct dp_h *h = setup();
	uint32_t n = h->xw->xtab_n;

	(void)state;
	assert_int_equal(n, h->cfg.tcp_max_conns);
	dp_ctl_reply(h, 0, SB_MSG_AUTH_RESP, n, 0, 0, NULL, 0);
	dp_ctl_reply(h, 1, SB_MSG_DELIVER, UINT64_MAX, 0, 0, NULL, 0);
	dp_ctl_reply(h, 0, SB_MSG_KICK, (uint64_t)n << 32, 0, 0, NULL, 0);
	assert_int_equal(DP_CTR(h, xmpp_bad_handle), 3);
	assert_int_equal(DP_CTR(h, xmpp_stale_reply), 0);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_stale_generation_ignored(void **state)
{
	struct dp_h *h = setup();
	struct sb_msg req;
	struct dp_sock *s = waiting_login(h, &req);
	uint32_t before = s->rx_len;

	(void)state;
	assert_true(req.conn < h->xw->xtab_n);
	dp_ctl_reply(h, req.shard, SB_MSG_AUTH_RESP, req.conn, req.conn_gen + 1, 0, NULL, 0);
	dp_ctl_reply(h, req.shard, SB_MSG_KICK, req.conn, req.conn_gen - 1, 0, NULL, 0);
	assert_int_equal(DP_CTR(h, xmpp_stale_reply), 2);
	assert_int_equal(DP_CTR(h, xmpp_kicked), 0);
	assert_int_equal(s->rx_len, before); /* the client heard nothing */
	assert_false(s->peer_fin);

	/* The right handle gets through. */
	dp_ctl_reply(h, req.shard, SB_MSG_AUTH_RESP, req.conn, req.conn_gen, 0, NULL, 0);
	assert_true(dp_sock_saw(s, "<success"));
	assert_int_equal(DP_CTR(h, xmpp_stale_reply), 2);
	assert_int_equal(DP_CTR(h, xmpp_bad_handle), 0);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_reply_after_close(void **state)
{
	struct dp_h *h = setup();
	struct sb_msg req;
	struct dp_sock *s = waiting_login(h, &req);
	struct sb_xc_conn *x = h->xw->xtab[req.conn];

	(void)state;
	assert_int_equal(x->gen, req.conn_gen);
	dp_close(h, s);
	assert_true(s->peer_fin);
	/* The object went back to its pool with a new generation. */
	assert_null(x->conn);
	assert_int_not_equal(x->gen, req.conn_gen);
	dp_ctl_reply(h, req.shard, SB_MSG_AUTH_RESP, req.conn, req.conn_gen, 0, NULL, 0);
	assert_int_equal(DP_CTR(h, xmpp_stale_reply), 1);
	assert_false(dp_sock_saw(s, "<success"));
	assert_int_equal(rte_mempool_avail_count(h->xw->conn_pool), h->cfg.tcp_max_conns);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_out_of_range),
		cmocka_unit_test(test_stale_generation_ignored),
		cmocka_unit_test(test_reply_after_close),
	};

	dp_eal_init("dp_handle");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
