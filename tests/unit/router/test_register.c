/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/router/register.c (XEP-0077 in sb-control) against a real LMDB
 * store: the per-address rate table (count, window, fail-closed when full,
 * expired slots reused), the invite token, account creation with its
 * conflicts (registered twice, or made by sbctl), SASLprep refusals, the
 * rate counted before the token so guessing is bounded, password change
 * and cancellation, the password wiped from the message; and the shard
 * entry: malformed and disabled requests, the answer, a removed account's
 * sessions kicked. sb_router_send() and the pool are stubs here.
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

#include "msg_heap.h"
#include "register.h"
#include "router.h"
#include "shard.h"
#include "store/store_lmdb.h"
#include "store_fx.h"
#include "tmpdir.h"

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u

static struct sb_msg *sent;
static unsigned n_sent, n_freed;
static uint64_t kicked_conn[8];
static int16_t kicked_status[8];
static unsigned n_kicked;

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	(void)sh;
	assert_int_equal(m->worker, w);
	if (m->kind == SB_MSG_KICK) {
		assert_true(n_kicked < 8);
		kicked_conn[n_kicked] = m->conn;
		kicked_status[n_kicked++] = m->status;
		free(m);
		return 0;
	}
	sent = m;
	n_sent++;
	return 0;
}

static void stub_free(void *arg, struct sb_msg *m)
{
	n_freed++;
	sb_test_msg_free(arg, m);
}

struct fx {
	char dir[256];
	struct sb_store st;
	struct sb_reg reg;
	struct sb_shard *sh;
};

/* A bound session of jid on worker 1, connection conn (generation conn+100). */
static void bind_one(struct fx *f, const char *jid, uint64_t conn)
{
	struct sb_session *old = NULL;

	assert_int_equal(sb_session_bind(&f->sh->router.sessions, jid, strlen(jid),
					 (size_t)(strchr(jid, '/') - jid), 1, conn,
					 (uint32_t)conn + 100, &old), 0);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	if (f == NULL || sb_test_tmpdir_make(f->dir, "register-test") < 0 ||
	    sb_store_lmdb_open(&f->st, f->dir, 2, 4u << 20, why, sizeof(why)) < 0)
		return -1;
	if (sb_reg_init(&f->reg, true, "invite", 3, 60, 4, SB_SCRAM_ITER_MIN) < 0)
		return -1;
	f->sh = calloc(1, sizeof(*f->sh));
	if (f->sh == NULL)
		return -1;
	f->sh->n_workers = 2;
	f->sh->router.store = &f->st;
	f->sh->router.reg = &f->reg;
	f->sh->router.pool.free = stub_free;
	f->sh->router.pool.alloc = sb_test_msg_alloc;
	n_kicked = 0;
	sb_router_kick_init(&f->sh->router);
	if (sb_session_table_init(&f->sh->router.sessions, 16, 100) < 0)
		return -1;
	sent = NULL;
	n_sent = n_freed = 0;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	sb_reg_fini(&f->reg);
	sb_session_table_free(&f->sh->router.sessions);
	store_fx_close(&f->st, f->dir);
	free(sent);
	free(f->sh);
	free(f);
	return 0;
}

/* A REGISTER_REQ as the dataplane builds it. */
static struct sb_msg *req(uint8_t op, const char *bare, const char *pass, const char *token,
			  uint32_t addr)
{
	struct sb_msg *m = sb_test_msg_alloc(NULL);
	struct sb_msg_register q = {
		.op = op,
		.user_len = (uint16_t)strlen(bare),
		.pass_len = (uint16_t)strlen(pass),
		.token_len = (uint16_t)(token ? strlen(token) : 0),
		.addr = addr,
	};
	uint8_t *p = m->payload;

	assert_non_null(m);
	m->kind = SB_MSG_REGISTER_REQ;
	m->worker = 1;
	memcpy(p, &q, sizeof(q));
	p += sizeof(q);
	memcpy(p, bare, q.user_len);
	memcpy(p + q.user_len, pass, q.pass_len);
	if (token != NULL)
		memcpy(p + q.user_len + q.pass_len, token, q.token_len);
	m->len = m->total_len = (uint32_t)(sizeof(q) + q.user_len + q.pass_len + q.token_len);
	return m;
}

static int work(struct fx *f, uint8_t op, const char *bare, const char *pass, const char *token,
		uint32_t addr, uint64_t now_s)
{
	struct sb_msg *m = req(op, bare, pass, token, addr);
	const struct sb_msg_register *q = (const struct sb_msg_register *)m->payload;
	int rc = sb_reg_work(&f->reg, &f->st, m, now_s);

	/* The password never outlives the request. */
	assert_int_equal(q->pass_len, 0);
	for (size_t i = 0; i < strlen(pass); i++)
		assert_int_equal(q->data[q->user_len + i], 0);
	free(m);
	return rc;
}

static bool can_login(struct fx *f, const char *bare, const char *pass)
{
	return sb_store_plain_check(&f->st, bare, strlen(bare), pass, strlen(pass)) == 0;
}

static void test_rate_table(void **state)
{
	struct sb_reg r;

	(void)state;
	assert_int_equal(sb_reg_init(&r, true, "", 2, 10, 2, SB_SCRAM_ITER_MIN), 0);
	assert_int_equal(sb_reg_rate(&r, ADDR_A, 100), 0);
	assert_int_equal(sb_reg_rate(&r, ADDR_A, 101), 0);
	assert_int_equal(sb_reg_rate(&r, ADDR_A, 102), -EBUSY);
	assert_int_equal(sb_reg_rate(&r, ADDR_B, 102), 0); /* another address */
	/* Both slots in their window: a third address is refused, not let in
	 * by evicting another's count. */
	assert_int_equal(sb_reg_rate(&r, 0x0a000003u, 103), -EAGAIN);
	assert_int_equal(r.table_full, 1);
	assert_int_equal(sb_reg_rate(&r, ADDR_A, 105), -EBUSY);
	assert_int_equal(r.rate_limited, 2);
	/* The window over: A may again, and an expired slot takes a new one. */
	assert_int_equal(sb_reg_rate(&r, ADDR_A, 110), 0);
	assert_int_equal(sb_reg_rate(&r, 0x0a000003u, 113), 0);
	/* A clock that went back restarts the window instead of wrapping. */
	assert_int_equal(sb_reg_rate(&r, ADDR_A, 50), 0);
	sb_reg_fini(&r);
	assert_int_equal(sb_reg_init(&r, true, "x", 0, 10, 2, 4096), -EINVAL);
	assert_int_equal(sb_reg_init(&r, true, "x", 1, 10, 0, 4096), -EINVAL);
}

static void test_token(void **state)
{
	struct fx *f = *state;
	struct sb_reg open;

	assert_true(sb_reg_token_ok(&f->reg, "invite", 6));
	assert_false(sb_reg_token_ok(&f->reg, "invitE", 6));
	assert_false(sb_reg_token_ok(&f->reg, "invite2", 7));
	assert_false(sb_reg_token_ok(&f->reg, "", 0));
	assert_int_equal(sb_reg_init(&open, true, "", 1, 1, 16, 4096), 0);
	assert_true(sb_reg_token_ok(&open, "", 0));
	assert_true(sb_reg_token_ok(&open, "anything", 8));
	sb_reg_fini(&open);
}

/* Create, then every refusal in its order: rate before token before
 * conflict. */
static void test_create_and_refusals(void **state)
{
	struct fx *f = *state;
	struct sb_jid admin;

	assert_int_equal(work(f, SB_MSG_REG_CREATE, "romeo@example.com", "pw-r", "invite",
			      ADDR_A, 100), SB_MSG_REG_OK);
	assert_true(can_login(f, "romeo@example.com", "pw-r"));
	assert_int_equal(work(f, SB_MSG_REG_CREATE, "romeo@example.com", "other", "invite",
			      ADDR_A, 101), SB_MSG_REG_EXISTS);
	assert_true(can_login(f, "romeo@example.com", "pw-r")); /* not overwritten */
	assert_int_equal(work(f, SB_MSG_REG_CREATE, "juliet@example.com", "pw", "nope", ADDR_A,
			      102), SB_MSG_REG_TOKEN);
	assert_int_equal(sb_store_user_exists(&f->st, "juliet@example.com", 18), 0);
	/* Three attempts from A in the window: the fourth is refused before
	 * the token is even looked at (guessing is rate limited too). */
	assert_int_equal(work(f, SB_MSG_REG_CREATE, "juliet@example.com", "pw", "invite",
			      ADDR_A, 103), SB_MSG_REG_RATE);
	assert_int_equal(work(f, SB_MSG_REG_CREATE, "juliet@example.com", "pw", "nope", ADDR_A,
			      104), SB_MSG_REG_RATE);
	assert_int_equal(sb_store_user_exists(&f->st, "juliet@example.com", 18), 0);
	/* An account sbctl made is a conflict too. */
	assert_int_equal(sb_jid_parse(&admin, "nurse@example.com", 17), 0);
	assert_int_equal(sb_store_user_add(&f->st, &admin, "pw-n", 4, SB_SCRAM_ITER_MIN, 1), 0);
	assert_int_equal(work(f, SB_MSG_REG_CREATE, "nurse@example.com", "x", "invite", ADDR_B,
			      105), SB_MSG_REG_EXISTS);
	/* SASLprep refuses a control character (RFC 4013 §2.3). */
	assert_int_equal(work(f, SB_MSG_REG_CREATE, "tybalt@example.com", "a\x07", "invite",
			      ADDR_B, 106), SB_MSG_REG_BAD_PASSWORD);
	assert_int_equal(sb_store_user_exists(&f->st, "tybalt@example.com", 18), 0);
	/* Not a bare JID with a localpart: refused whatever the dataplane said. */
	assert_true(work(f, SB_MSG_REG_CREATE, "example.com", "x", "invite", ADDR_B, 107) < 0);
}

static void test_passwd_and_remove(void **state)
{
	struct fx *f = *state;

	assert_int_equal(work(f, SB_MSG_REG_CREATE, "romeo@example.com", "pw-1", "invite",
			      ADDR_A, 100), SB_MSG_REG_OK);
	assert_int_equal(work(f, SB_MSG_REG_PASSWD, "romeo@example.com", "pw-2", NULL, ADDR_A,
			      101), SB_MSG_REG_OK);
	assert_false(can_login(f, "romeo@example.com", "pw-1"));
	assert_true(can_login(f, "romeo@example.com", "pw-2"));
	/* Password changes are not registrations: the rate does not apply. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(work(f, SB_MSG_REG_PASSWD, "romeo@example.com", "pw-3", NULL,
				      ADDR_A, 102), SB_MSG_REG_OK);
	assert_int_equal(work(f, SB_MSG_REG_PASSWD, "ghost@example.com", "pw", NULL, ADDR_A, 103),
			 -ENOENT);
	assert_int_equal(work(f, SB_MSG_REG_REMOVE, "romeo@example.com", "", NULL, ADDR_A, 104),
			 SB_MSG_REG_OK);
	assert_int_equal(sb_store_user_exists(&f->st, "romeo@example.com", 17), 0);
	assert_int_equal(work(f, SB_MSG_REG_REMOVE, "romeo@example.com", "", NULL, ADDR_A, 105),
			 -ENOENT);
}

/* The shard entry, inline (no auth threads). */
static void test_shard_entry(void **state)
{
	struct fx *f = *state;
	struct sb_router *r = &f->sh->router;
	struct sb_msg *m;

	m = req(SB_MSG_REG_CREATE, "romeo@example.com", "pw", "invite", ADDR_A);
	sb_router_register(f->sh, m);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent->kind, SB_MSG_REGISTER_RESP);
	assert_int_equal(sent->status, SB_MSG_REG_OK);
	assert_int_equal(sent->len, 0);
	assert_int_equal(r->ctr[SB_ROUTE_CTR_reg_created], 1);
	free(sent);
	sent = NULL;
	sb_router_register(f->sh, req(SB_MSG_REG_CREATE, "romeo@example.com", "pw", "invite",
				      ADDR_A));
	assert_int_equal(sent->status, SB_MSG_REG_EXISTS);
	assert_int_equal(r->ctr[SB_ROUTE_CTR_reg_conflict], 1);
	free(sent);
	sent = NULL;
	/* Lengths past the message: dropped and counted. */
	m = req(SB_MSG_REG_CREATE, "x@example.com", "pw", NULL, ADDR_A);
	m->len = sizeof(struct sb_msg_register) + 3;
	sb_router_register(f->sh, m);
	assert_int_equal(n_sent, 2);
	assert_int_equal(n_freed, 1);
	assert_int_equal(r->ctr[SB_ROUTE_CTR_malformed], 1);
	/* Romeo has three sessions; the one on connection 7 asks. A password
	 * change resets the other two, not the asker. */
	bind_one(f, "romeo@example.com/a", 7);
	bind_one(f, "romeo@example.com/b", 8);
	bind_one(f, "romeo@example.com/c", 9);
	bind_one(f, "juliet@example.com/a", 10);
	m = req(SB_MSG_REG_PASSWD, "romeo@example.com", "pw-new", NULL, ADDR_A);
	m->conn = 7;
	m->conn_gen = 107;
	sb_router_register(f->sh, m);
	assert_int_equal(sent->status, SB_MSG_REG_OK);
	assert_int_equal(r->ctr[SB_ROUTE_CTR_reg_passwd], 1);
	free(sent);
	sent = NULL;
	assert_int_equal(sb_router_kick_drain(f->sh), 1);
	assert_int_equal(n_kicked, 2);
	for (unsigned i = 0; i < n_kicked; i++) {
		assert_true(kicked_conn[i] == 8 || kicked_conn[i] == 9);
		assert_int_equal(kicked_status[i], SB_MSG_KICK_PASSWORD_CHANGED);
	}
	/* Removal: answered, the other sessions end with not-authorized. */
	n_kicked = 0;
	m = req(SB_MSG_REG_REMOVE, "romeo@example.com", "", NULL, ADDR_A);
	m->conn = 7;
	m->conn_gen = 107;
	sb_router_register(f->sh, m);
	assert_int_equal(sent->status, SB_MSG_REG_OK);
	assert_int_equal(r->ctr[SB_ROUTE_CTR_reg_removed], 1);
	assert_int_equal(__atomic_load_n(&r->kick_pending, __ATOMIC_RELAXED), 1);
	assert_int_equal(sb_router_kick_drain(f->sh), 1);
	assert_int_equal(r->ctr[SB_ROUTE_CTR_kick_requests], 2);
	assert_int_equal(n_kicked, 2);
	for (unsigned i = 0; i < n_kicked; i++) {
		assert_true(kicked_conn[i] == 8 || kicked_conn[i] == 9);
		assert_int_equal(kicked_status[i], SB_MSG_KICK_ACCOUNT_DELETED);
	}
	free(sent);
	sent = NULL;
	/* Off in sb-control: refused whatever the dataplane thought. */
	f->reg.enabled = false;
	sb_router_register(f->sh, req(SB_MSG_REG_CREATE, "juliet@example.com", "pw", "invite",
				      ADDR_B));
	assert_int_equal(sent->status, SB_MSG_REG_DISABLED);
	assert_int_equal(r->ctr[SB_ROUTE_CTR_reg_disabled], 1);
	assert_int_equal(sb_store_user_exists(&f->st, "juliet@example.com", 18), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_table),
		T(test_token),
		T(test_create_and_refusals),
		T(test_passwd_and_remove),
		T(test_shard_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
