/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/idle: the adaptive back-off spins first, then sleeps with a doubling
 * interval up to the cap, and snaps back on work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "idle.h"

static void test_spins_before_sleeping(void **state)
{
	struct sb_idle idle;

	(void)state;
	sb_idle_init(&idle, 3, 8);
	assert_int_equal(sb_idle_turn(&idle, 0), 0);
	assert_int_equal(sb_idle_turn(&idle, 0), 0);
	assert_int_equal(sb_idle_turn(&idle, 0), 1);
	assert_int_equal(idle.sleep_us, 1);
}

static void test_sleep_doubles_to_cap(void **state)
{
	struct sb_idle idle;
	const uint32_t want[] = { 1, 2, 4, 8, 8, 8 };

	(void)state;
	sb_idle_init(&idle, 1, 8);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(sb_idle_turn(&idle, 0), 1);
		assert_int_equal(idle.sleep_us, want[i]);
	}
}

static void test_work_resets(void **state)
{
	struct sb_idle idle;

	(void)state;
	sb_idle_init(&idle, 2, 100);
	sb_idle_turn(&idle, 0);
	sb_idle_turn(&idle, 0);
	sb_idle_turn(&idle, 0);
	assert_true(idle.sleep_us > 0);
	assert_int_equal(sb_idle_turn(&idle, 5), 0);
	assert_int_equal(idle.sleep_us, 0);
	assert_int_equal(idle.empty_polls, 0);
	assert_int_equal(sb_idle_turn(&idle, 0), 0); /* spins again first */
}

static void test_zero_cap_never_sleeps(void **state)
{
	struct sb_idle idle;

	(void)state;
	sb_idle_init(&idle, 1, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sb_idle_turn(&idle, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spins_before_sleeping),
		cmocka_unit_test(test_sleep_doubles_to_cap),
		cmocka_unit_test(test_work_resets),
		cmocka_unit_test(test_zero_cap_never_sleeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
