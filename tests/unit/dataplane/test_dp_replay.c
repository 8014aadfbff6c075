/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Replay after a control-plane restart (dataplane/xmpp/xc_app.c): when
 * shm->ctl_epoch changes and sb-control is live (shm->ctl_live), every
 * bound session goes up once as a BIND_REQ with SB_MSG_F_REPLAY, naming
 * its connection and full JID; never while sb-control is away, never twice
 * for one epoch, and not for a session that ended before its turn. A ring
 * that fills up holds the rest of the replay for the next turns. A bound
 * stream waiting on an in-band password change (XEP-0077) gets it up as
 * REGISTER_REQ and its answer down; when sb-control restarts meanwhile,
 * the replay answers it (wait) so its input flows again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp_harness.h"
#include "worker.h"
#include "xmpp/xc.h"

#define USERS 3

static const char *const users[USERS] = { "alice", "bob", "carol" };

/* Take every replayed BIND_REQ; seen[i] counts those for users[i]. */
static unsigned take_replays(struct dp_h *h, unsigned seen[USERS])
{
	struct sb_msg *m;
	unsigned n = 0;

	while ((m = dp_ctl_take(h)) != NULL) {
		const struct sb_msg_jid *j = (const struct sb_msg_jid *)m->payload;
		const struct sb_xc_conn *x;

		assert_int_equal(m->kind, SB_MSG_BIND_REQ);
		assert_true(m->flags & SB_MSG_F_REPLAY);
		/* The handle names the connection the JID is bound on. */
		assert_true(m->conn < h->xw->xtab_n);
		x = h->xw->xtab[m->conn];
		assert_int_equal(x->gen, m->conn_gen);
		assert_non_null(x->jid);
		assert_int_equal(j->len, strlen(x->jid));
		assert_memory_equal(j->jid, x->jid, j->len);
		for (unsigned i = 0; i < USERS; i++)
			if (j->bare_len == strlen(users[i]) + 1 + strlen(h->cfg.xmpp_domain) &&
			    memcmp(j->jid, users[i], strlen(users[i])) == 0)
				seen[i]++;
		dp_msg_free(h, m);
		n++;
	}
	return n;
}

static struct dp_h *bound_sessions(const struct dp_opts *o, struct dp_sock *socks[USERS])
{
	struct dp_h *h = dp_new(o);

	dp_ctl_attach(h, 1);
	for (unsigned i = 0; i < USERS; i++)
		socks[i] = dp_c2s_login(h, users[i]);
	assert_int_equal(DP_CTR(h, xmpp_binds), USERS);
	assert_int_equal(dp_ctl_drain(h), 0);
	return h;
}

static void test_replay_on_new_epoch(void **state)
{
	struct dp_sock *socks[USERS];
	struct dp_h *h = bound_sessions(&(struct dp_opts){ .c2s = true }, socks);
	unsigned seen[USERS] = { 0 };

	(void)state;
	/* Same epoch: nothing to replay. */
	dp_advance(h, 10);
	assert_int_equal(dp_ctl_drain(h), 0);

	/* sb-control restarts: gone first (a new epoch, nobody live). */
	h->shm->ctl_epoch = 2;
	__atomic_store_n(&h->shm->ctl_live, 0, __ATOMIC_RELEASE);
	dp_advance(h, 10);
	assert_int_equal(DP_CTR(h, xmpp_replayed), 0);
	assert_int_equal(rte_ring_count(h->up[0]) + rte_ring_count(h->up[1]), 0);

	/* Live again: every bound session, once. */
	dp_ctl_attach(h, 2);
	dp_run(h);
	assert_int_equal(take_replays(h, seen), USERS);
	for (unsigned i = 0; i < USERS; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(DP_CTR(h, xmpp_replayed), USERS);
	dp_advance(h, 10);
	assert_int_equal(dp_ctl_drain(h), 0);

	/* The streams are untouched by it. */
	for (unsigned i = 0; i < USERS; i++)
		assert_false(socks[i]->peer_fin);
	dp_free(h);
}

static void test_ended_session_not_replayed(void **state)
{
	struct dp_sock *socks[USERS];
	struct dp_h *h = bound_sessions(&(struct dp_opts){ .c2s = true }, socks);
	unsigned seen[USERS] = { 0 };
	struct sb_msg *m;

	(void)state;
	dp_close(h, socks[1]);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_UNBIND); /* the session's end is reported */
	dp_msg_free(h, m);

	dp_ctl_attach(h, 7);
	dp_run(h);
	assert_int_equal(take_replays(h, seen), USERS - 1);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 0);
	assert_int_equal(seen[2], 1);
	dp_free(h);
}

static void test_full_ring_resumes_replay(void **state)
{
	struct dp_sock *socks[USERS];
	/* Ring capacity 1: one message per ring per turn. */
	struct dp_h *h = bound_sessions(&(struct dp_opts){ .c2s = true, .ring_size = 2 }, socks);
	unsigned seen[USERS] = { 0 }, got = 0;

	(void)state;
	dp_ctl_attach(h, 2);
	for (unsigned turn = 0; turn < 10 && got < USERS; turn++) {
		dp_run(h);
		got += take_replays(h, seen);
	}
	assert_int_equal(got, USERS);
	/* Three users on two shards: one ring held two of them. */
	assert_true(DP_CTR(h, ring_full) > 0);
	for (unsigned i = 0; i < USERS; i++)
		assert_int_equal(seen[i], 1);
	dp_advance(h, 10);
	assert_int_equal(dp_ctl_drain(h), 0);
	dp_free(h);
}

#define PASSWD_IQ "<iq type='set' id='pw1'><query xmlns='jabber:iq:register'>" \
		  "<username>alice</username><password>n3w</password></query></iq>"

/* The REGISTER_REQ of alice's password change, checked and freed. */
static void take_passwd(struct dp_h *h, uint64_t *conn, uint32_t *gen)
{
	struct sb_msg *m = dp_ctl_take(h);
	const struct sb_msg_register *q;

	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_REGISTER_REQ);
	q = (const struct sb_msg_register *)m->payload;
	assert_int_equal(q->op, SB_MSG_REG_PASSWD);
	assert_int_equal(q->user_len, strlen("alice@") + strlen(h->cfg.xmpp_domain));
	assert_memory_equal(q->data, "alice@", 6);
	assert_int_equal(q->pass_len, 3);
	assert_memory_equal(q->data + q->user_len, "n3w", 3);
	assert_int_not_equal(q->addr, 0);
	*conn = m->conn;
	*gen = m->conn_gen;
	dp_msg_free(h, m);
}

static void test_register_answered_and_abandoned(void **state)
{
	struct dp_sock *socks[USERS];
	struct dp_h *h = bound_sessions(&(struct dp_opts){ .c2s = true }, socks);
	unsigned seen[USERS] = { 0 };
	uint64_t conn;
	uint32_t gen;

	(void)state;
	h->xw->env.cfg.reg = true;
	/* Up, answered, the result written. */
	dp_send(h, socks[0], PASSWD_IQ, strlen(PASSWD_IQ));
	dp_run(h);
	take_passwd(h, &conn, &gen);
	dp_ctl_reply(h, 0, SB_MSG_REGISTER_RESP, conn, gen, SB_MSG_REG_OK, NULL, 0);
	dp_run(h);
	assert_true(dp_sock_saw(socks[0], "<iq type='result' id='pw1'"));
	/* Up again, and sb-control restarts before it answers. */
	dp_send(h, socks[0], PASSWD_IQ, strlen(PASSWD_IQ));
	dp_run(h);
	take_passwd(h, &conn, &gen);
	assert_int_equal(h->xw->xtab[conn]->c2s.state, SB_C2S_S_REG_WAIT);
	dp_ctl_attach(h, 2);
	dp_run(h);
	assert_int_equal(take_replays(h, seen), USERS);
	assert_int_equal(DP_CTR(h, xmpp_reg_abandoned), 1);
	assert_true(dp_sock_saw(socks[0], "<internal-server-error"));
	assert_true(sb_c2s_bound(&h->xw->xtab[conn]->c2s));
	/* The old sb-control's late answer is stale. */
	dp_ctl_reply(h, 0, SB_MSG_REGISTER_RESP, conn, gen, SB_MSG_REG_OK, NULL, 0);
	dp_run(h);
	assert_true(DP_CTR(h, xmpp_stale_reply) >= 1);
	assert_false(socks[0]->peer_fin);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_on_new_epoch),
		cmocka_unit_test(test_ended_session_not_replayed),
		cmocka_unit_test(test_full_ring_resumes_replay),
		cmocka_unit_test(test_register_answered_and_abandoned),
	};

	dp_eal_init("dp_replay");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
