/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/router/session.c: bind, find, replace, unbind, limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"

#define BIND(t, jid, bare, w, conn, gen, old) \
	sb_session_bind(t, jid, strlen(jid), bare, w, conn, gen, old)

static void test_bind_find_unbind(void **state)
{
	struct sb_session_table t;
	struct sb_session *old, *s;
	struct sb_session_user *u;

	(void)state;
	assert_int_equal(sb_session_table_init(&t, 8, 100), 0);
	assert_int_equal(BIND(&t, "alice@x.test/phone", 12, 1, 0xa1, 7, &old), 0);
	assert_null(old);
	assert_int_equal(BIND(&t, "alice@x.test/desk", 12, 0, 0xa2, 1, &old), 0);
	assert_int_equal(t.sessions, 2);
	assert_int_equal(t.users, 1);
	s = sb_session_find(&t, "alice@x.test/phone", 18, 12);
	assert_non_null(s);
	assert_int_equal(s->worker, 1);
	assert_int_equal(s->conn, 0xa1);
	assert_int_equal(s->conn_gen, 7);
	assert_null(sb_session_find(&t, "alice@x.test/tablet", 19, 12));
	u = sb_session_user_find(&t, "alice@x.test", 12);
	assert_non_null(u);
	assert_non_null(u->res);
	assert_non_null(u->res->next);
	/* An unbind from a stale connection generation does nothing. */
	assert_int_equal(sb_session_unbind(&t, "alice@x.test/phone", 18, 12, 0xa1, 6), -ENOENT);
	assert_int_equal(sb_session_unbind(&t, "alice@x.test/phone", 18, 12, 0xa1, 7), 0);
	assert_int_equal(sb_session_unbind(&t, "alice@x.test/desk", 17, 12, 0xa2, 1), 0);
	assert_int_equal(t.sessions, 0);
	assert_int_equal(t.users, 0);
	assert_null(sb_session_user_find(&t, "alice@x.test", 12));
	sb_session_table_free(&t);
}

static void test_rebind_replaces(void **state)
{
	struct sb_session_table t;
	struct sb_session *old;

	(void)state;
	assert_int_equal(sb_session_table_init(&t, 8, 100), 0);
	assert_int_equal(BIND(&t, "bob@x.test/r", 10, 0, 1, 1, &old), 0);
	assert_int_equal(BIND(&t, "bob@x.test/r", 10, 1, 2, 9, &old), 0);
	assert_non_null(old);
	assert_int_equal(old->conn, 1);
	sb_session_free(old);
	assert_int_equal(t.sessions, 1);
	assert_int_equal(sb_session_find(&t, "bob@x.test/r", 12, 10)->conn, 2);
	sb_session_table_free(&t);
}

static void test_limit(void **state)
{
	struct sb_session_table t;
	struct sb_session *old;
	char jid[64];

	(void)state;
	assert_int_equal(sb_session_table_init(&t, 4, 3), 0);
	for (int i = 0; i < 3; i++) {
		int n = snprintf(jid, sizeof(jid), "u%d@x.test/r", i);

		assert_int_equal(sb_session_bind(&t, jid, (size_t)n, (size_t)n - 2, 0, (uint64_t)i,
						 1, &old), 0);
	}
	assert_int_equal(BIND(&t, "u9@x.test/r", 9, 0, 9, 1, &old), -ENOSPC);
	assert_int_equal(t.sessions, 3);
	sb_session_table_free(&t);
}

static void test_resources_per_user(void **state)
{
	struct sb_session_table t;
	struct sb_session *old;

	(void)state;
	assert_int_equal(sb_session_table_init(&t, 8, 100), 0);
	t.max_resources = 2;
	assert_int_equal(BIND(&t, "c@x.test/1", 8, 0, 1, 1, &old), 0);
	assert_int_equal(BIND(&t, "c@x.test/2", 8, 0, 2, 1, &old), 0);
	assert_int_equal(BIND(&t, "c@x.test/3", 8, 0, 3, 1, &old), -EDQUOT);
	/* rebinding a resource the user has is not a new session */
	assert_int_equal(BIND(&t, "c@x.test/2", 8, 0, 4, 1, &old), 0);
	assert_non_null(old);
	sb_session_free(old);
	/* another user is not affected */
	assert_int_equal(BIND(&t, "d@x.test/1", 8, 0, 5, 1, &old), 0);
	assert_int_equal(t.sessions, 3);
	sb_session_table_free(&t);
}

static void test_many_users_spread(void **state)
{
	struct sb_session_table t;
	struct sb_session *old;
	char jid[64];

	(void)state;
	assert_int_equal(sb_session_table_init(&t, 16, 100000), 0);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(jid, sizeof(jid), "user%d@x.test/r", i);

		assert_int_equal(sb_session_bind(&t, jid, (size_t)n, (size_t)n - 2, 0, (uint64_t)i,
						 1, &old), 0);
	}
	for (int i = 0; i < 5000; i += 97) {
		int n = snprintf(jid, sizeof(jid), "user%d@x.test/r", i);
		struct sb_session *s = sb_session_find(&t, jid, (size_t)n, (size_t)n - 2);

		assert_non_null(s);
		assert_int_equal(s->conn, (uint64_t)i);
	}
	assert_int_equal(t.users, 5000);
	sb_session_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_find_unbind),
		cmocka_unit_test(test_rebind_replaces),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_resources_per_user),
		cmocka_unit_test(test_many_users_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
