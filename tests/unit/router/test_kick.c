/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/router/kick.c: an account change posted from another thread ends
 * every session of that bare JID (one KICK per resource, carrying the
 * reason's status, to the session's worker and connection) and no other
 * user's; the queue bound refuses with a counter; a dry pool keeps the
 * request for the next turn. sb_router_send() and the pool are stubs here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"
#include "shard.h"

#define SENT_MAX 16

static struct sb_msg *sent[SENT_MAX];
static unsigned n_sent;
static unsigned pool_left;

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	(void)sh;
	assert_int_equal(m->worker, w);
	assert_true(n_sent < SENT_MAX);
	sent[n_sent++] = m;
	return 0;
}

static struct sb_msg *stub_alloc(void *arg)
{
	(void)arg;
	if (pool_left == 0)
		return NULL;
	pool_left--;
	return calloc(1, SB_MSG_OBJ_SIZE);
}

static struct sb_shard *shard_new(void)
{
	struct sb_shard *sh = calloc(1, sizeof(*sh));

	assert_non_null(sh);
	sh->index = 1;
	sh->n_workers = 2;
	sh->router.pool.alloc = stub_alloc;
	assert_int_equal(sb_session_table_init(&sh->router.sessions, 16, 100), 0);
	sb_router_kick_init(&sh->router);
	n_sent = 0;
	pool_left = 100;
	return sh;
}

static void shard_free(struct sb_shard *sh)
{
	for (unsigned i = 0; i < n_sent; i++)
		free(sent[i]);
	sb_session_table_free(&sh->router.sessions);
	free(sh);
}

static void bind_one(struct sb_shard *sh, const char *jid, size_t bare, uint16_t w, uint64_t conn)
{
	struct sb_session *old = NULL;

	assert_int_equal(sb_session_bind(&sh->router.sessions, jid, strlen(jid), bare, w, conn,
					 (uint32_t)conn + 100, &old), 0);
	assert_null(old);
}

static void test_kick_every_resource(void **state)
{
	struct sb_shard *sh = shard_new();
	uint64_t seen = 0;

	(void)state;
	bind_one(sh, "alice@x.test/phone", 12, 0, 1);
	bind_one(sh, "alice@x.test/desk", 12, 1, 2);
	bind_one(sh, "bob@x.test/r", 10, 0, 3);
	assert_int_equal(sb_router_kick_post(&sh->router, "alice@x.test", 12,
					     SB_MSG_KICK_ACCOUNT_DELETED), 0);
	assert_int_equal(sh->router.kick_pending, 1);
	assert_int_equal(sb_router_kick_drain(sh), 1);
	assert_int_equal(n_sent, 2);
	for (unsigned i = 0; i < n_sent; i++) {
		assert_int_equal(sent[i]->kind, SB_MSG_KICK);
		assert_int_equal(sent[i]->status, SB_MSG_KICK_ACCOUNT_DELETED);
		assert_int_equal(sent[i]->conn_gen, sent[i]->conn + 100);
		assert_int_equal(sent[i]->worker, sent[i]->conn - 1);
		seen |= 1u << sent[i]->conn;
	}
	assert_int_equal(seen, (1u << 1) | (1u << 2)); /* not bob's */
	assert_int_equal(sh->router.ctr[SB_ROUTE_CTR_kicked_account], 2);
	assert_int_equal(sh->router.ctr[SB_ROUTE_CTR_kick_requests], 1);
	assert_int_equal(sh->router.kick_pending, 0);
	/* Nothing queued: nothing done. */
	assert_int_equal(sb_router_kick_drain(sh), 0);
	/* A user with no session: done, no KICK. */
	assert_int_equal(sb_router_kick_post(&sh->router, "carol@x.test", 12,
					     SB_MSG_KICK_PASSWORD_CHANGED), 0);
	assert_int_equal(sb_router_kick_drain(sh), 1);
	assert_int_equal(n_sent, 2);
	shard_free(sh);
}

static void test_kick_pool_dry_retries(void **state)
{
	struct sb_shard *sh = shard_new();

	(void)state;
	bind_one(sh, "bob@x.test/r", 10, 1, 7);
	pool_left = 0;
	assert_int_equal(sb_router_kick_post(&sh->router, "bob@x.test", 10,
					     SB_MSG_KICK_PASSWORD_CHANGED), 0);
	assert_int_equal(sb_router_kick_drain(sh), 0);
	assert_int_equal(n_sent, 0);
	assert_int_equal(sh->router.ctr[SB_ROUTE_CTR_pool_empty], 1);
	pool_left = 1;
	assert_int_equal(sb_router_kick_drain(sh), 1);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0]->status, SB_MSG_KICK_PASSWORD_CHANGED);
	assert_int_equal(sent[0]->conn, 7);
	shard_free(sh);
}

static void test_kick_queue_bound(void **state)
{
	struct sb_shard *sh = shard_new();

	(void)state;
	for (unsigned i = 0; i < SB_KICK_PENDING_MAX; i++)
		assert_int_equal(sb_router_kick_post(&sh->router, "u@x.test", 8,
						     SB_MSG_KICK_ACCOUNT_DELETED), 0);
	assert_int_equal(sb_router_kick_post(&sh->router, "u@x.test", 8,
					     SB_MSG_KICK_ACCOUNT_DELETED), -EBUSY);
	assert_int_equal(sh->router.ctr[SB_ROUTE_CTR_kick_queue_full], 1);
	assert_int_equal(sb_router_kick_drain(sh), SB_KICK_BURST);
	while (sb_router_kick_drain(sh) > 0)
		;
	assert_int_equal(sh->router.kick_pending, 0);
	shard_free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kick_every_resource),
		cmocka_unit_test(test_kick_pool_dry_retries),
		cmocka_unit_test(test_kick_queue_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
