/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The counter directories of shared memory (lib/msg/shm.c): entries appear
 * only once published, are found by group and name, point at the right
 * word of each record, and a directory refuses more than it holds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm.h"

struct rec {
	uint64_t before;
	uint64_t ctr[4];
};

static const struct sb_ctr_desc a_desc[] = { { "one", "the first" }, { "two", "the second" } };
static const struct sb_ctr_desc b_desc[] = { { "one", "another group's first" } };

static void test_dir_add_publish_find_sum(void **state)
{
	struct sb_shm_ctr_dir *d = calloc(1, sizeof(*d));
	struct rec r[3] = { { 0, { 1, 10, 100, 0 } }, { 0, { 2, 20, 200, 0 } }, { 0, { 3, 30, 300, 0 } } };
	const struct sb_shm_ctr_entry *e;

	(void)state;
	assert_non_null(d);
	sb_shm_dir_reset(d);
	assert_int_equal(sb_shm_dir_add(d, "a", a_desc, 2, offsetof(struct rec, ctr)), 0);
	assert_int_equal(sb_shm_dir_add(d, "b", b_desc, 1, offsetof(struct rec, ctr[2])), 0);
	assert_int_equal(sb_shm_dir_count(d), 0); /* not yet published */
	assert_null(sb_shm_dir_find(d, "a", "one"));
	sb_shm_dir_publish(d);
	assert_int_equal(sb_shm_dir_count(d), 3);
	e = sb_shm_dir_find(d, "a", "two");
	assert_non_null(e);
	assert_string_equal(e->help, "the second");
	assert_int_equal(e->offset, offsetof(struct rec, ctr[1]));
	assert_int_equal(sb_shm_ctr_sum(e, r, sizeof(r[0]), 3), 60);
	e = sb_shm_dir_find(d, "b", "one");
	assert_non_null(e);
	assert_int_equal(sb_shm_ctr_sum(e, r, sizeof(r[0]), 3), 600);
	assert_int_equal(sb_shm_ctr_sum(e, &r[1], sizeof(r[0]), 1), 200);
	assert_null(sb_shm_dir_find(d, "b", "two"));
	free(d);
}

static void test_dir_full(void **state)
{
	struct sb_shm_ctr_dir *d = calloc(1, sizeof(*d));
	struct sb_ctr_desc *many = calloc(SB_SHM_DIR_MAX, sizeof(*many));

	(void)state;
	assert_non_null(d);
	assert_non_null(many);
	for (unsigned i = 0; i < SB_SHM_DIR_MAX; i++)
		many[i] = (struct sb_ctr_desc){ "c", "h" };
	sb_shm_dir_reset(d);
	assert_int_equal(sb_shm_dir_add(d, "g", many, SB_SHM_DIR_MAX - 1, 0), 0);
	assert_int_equal(sb_shm_dir_add(d, "g", many, 2, 0), -ENOSPC);
	assert_int_equal(sb_shm_dir_add(d, "g", many, 1, 0), 0);
	sb_shm_dir_publish(d);
	assert_int_equal(sb_shm_dir_count(d), SB_SHM_DIR_MAX);
	free(many);
	free(d);
}

/* A name longer than the entry is cut, never overruns. */
static void test_dir_long_name_cut(void **state)
{
	struct sb_shm_ctr_dir *d = calloc(1, sizeof(*d));
	char name[SB_SHM_CTR_NAME_MAX * 2];
	struct sb_ctr_desc desc = { name, "h" };

	(void)state;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	sb_shm_dir_reset(d);
	assert_int_equal(sb_shm_dir_add(d, "g", &desc, 1, 0), 0);
	sb_shm_dir_publish(d);
	assert_int_equal(strlen(d->e[0].name), SB_SHM_CTR_NAME_MAX - 1);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_add_publish_find_sum),
		cmocka_unit_test(test_dir_full),
		cmocka_unit_test(test_dir_long_name_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
