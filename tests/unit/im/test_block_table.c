/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The per-shard table of online users' block lists (control/im/
 * block_table.h): insert, replace, remove by an empty list, lookups that
 * must not match a prefix or a longer JID, and growth far past the first
 * 256 buckets with every list still found and then removed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "block_table.h"

#define S(x) x, (sizeof(x) - 1)

static void list_of(struct sb_blocklist *bl, const char *jid)
{
	sb_blocklist_init(bl);
	assert_int_equal(sb_blocklist_add(bl, jid, strlen(jid)), 1);
}

static void test_set_find_remove(void **state)
{
	struct sb_blk_table t;
	struct sb_blocklist bl;
	const struct sb_blocklist *got;

	(void)state;
	assert_int_equal(sb_blk_table_init(&t), 0);
	assert_null(sb_blk_table_find(&t, S("alice@example.com")));
	/* An empty list is not stored. */
	sb_blocklist_init(&bl);
	assert_int_equal(sb_blk_table_set(&t, S("alice@example.com"), &bl), 0);
	assert_int_equal(t.n, 0);
	list_of(&bl, "bob@example.com");
	assert_int_equal(sb_blk_table_set(&t, S("alice@example.com"), &bl), 0);
	assert_int_equal(bl.n, 0); /* moved in */
	assert_int_equal(t.n, 1);
	got = sb_blk_table_find(&t, S("alice@example.com"));
	assert_non_null(got);
	assert_true(sb_blocklist_match(got, S("bob@example.com/x")));
	assert_null(sb_blk_table_find(&t, S("alice@example.co")));
	assert_null(sb_blk_table_find(&t, S("alice@example.comm")));
	/* Replaced. */
	list_of(&bl, "evil.example");
	assert_int_equal(sb_blk_table_set(&t, S("alice@example.com"), &bl), 0);
	assert_int_equal(t.n, 1);
	got = sb_blk_table_find(&t, S("alice@example.com"));
	assert_false(sb_blocklist_match(got, S("bob@example.com")));
	assert_true(sb_blocklist_match(got, S("x@evil.example")));
	/* Removed by an empty list. */
	sb_blocklist_init(&bl);
	assert_int_equal(sb_blk_table_set(&t, S("alice@example.com"), &bl), 0);
	assert_int_equal(t.n, 0);
	assert_null(sb_blk_table_find(&t, S("alice@example.com")));
	sb_blk_table_free(&t);
}

static void test_grow(void **state)
{
	enum { N = 5000 };
	struct sb_blk_table t;
	char u[64], c[64];

	(void)state;
	assert_int_equal(sb_blk_table_init(&t), 0);
	for (int i = 0; i < N; i++) {
		struct sb_blocklist bl;

		snprintf(c, sizeof(c), "c%d@example.com", i);
		list_of(&bl, c);
		snprintf(u, sizeof(u), "u%d@example.com", i);
		assert_int_equal(sb_blk_table_set(&t, u, strlen(u), &bl), 0);
	}
	assert_int_equal(t.n, N);
	assert_true(t.mask + 1 >= N); /* grew */
	for (int i = 0; i < N; i++) {
		const struct sb_blocklist *got;

		snprintf(u, sizeof(u), "u%d@example.com", i);
		snprintf(c, sizeof(c), "c%d@example.com", i);
		got = sb_blk_table_find(&t, u, strlen(u));
		assert_non_null(got);
		assert_int_equal(got->n, 1);
		assert_true(sb_blocklist_match(got, c, strlen(c)));
	}
	for (int i = 0; i < N; i += 2) {
		struct sb_blocklist empty;

		sb_blocklist_init(&empty);
		snprintf(u, sizeof(u), "u%d@example.com", i);
		assert_int_equal(sb_blk_table_set(&t, u, strlen(u), &empty), 0);
	}
	assert_int_equal(t.n, N / 2);
	for (int i = 0; i < N; i++) {
		snprintf(u, sizeof(u), "u%d@example.com", i);
		if (i % 2 == 0)
			assert_null(sb_blk_table_find(&t, u, strlen(u)));
		else
			assert_non_null(sb_blk_table_find(&t, u, strlen(u)));
	}
	sb_blk_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_find_remove),
		cmocka_unit_test(test_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
