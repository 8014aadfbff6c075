/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/wdog: a watchdog ping once per interval while every loop moves; one
 * loop standing still for an interval withholds it; off when disabled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wdog.h"

static void test_pings_while_all_move(void **state)
{
	uint64_t p[2] = { 10, 20 };
	struct sb_wdog wd;

	(void)state;
	sb_wdog_init(&wd, 2, 100, p, 1000);
	p[0]++, p[1]++;
	assert_false(sb_wdog_due(&wd, p, 1099)); /* not an interval yet */
	assert_true(sb_wdog_due(&wd, p, 1100));
	assert_false(sb_wdog_due(&wd, p, 1150)); /* once per interval */
	p[0]++, p[1]++;
	assert_true(sb_wdog_due(&wd, p, 1200));
	assert_int_equal(wd.pings, 2);
	assert_int_equal(wd.withheld, 0);
}

static void test_one_stuck_loop_withholds(void **state)
{
	uint64_t p[3] = { 1, 1, 1 };
	struct sb_wdog wd;

	(void)state;
	sb_wdog_init(&wd, 3, 100, p, 0);
	p[0]++, p[2]++; /* loop 1 stands still */
	assert_false(sb_wdog_due(&wd, p, 100));
	assert_int_equal(wd.withheld, 1);
	assert_int_equal(wd.last_stuck, 1);
	assert_false(sb_wdog_due(&wd, p, 200)); /* now all stand still */
	p[0]++, p[1]++, p[2]++;                 /* it turns again */
	assert_true(sb_wdog_due(&wd, p, 300));
}

static void test_disabled_never_pings(void **state)
{
	uint64_t p[1] = { 0 };
	struct sb_wdog wd;

	(void)state;
	sb_wdog_init(&wd, 1, 0, p, 0);
	p[0] = 5;
	assert_false(sb_wdog_due(&wd, p, 1000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pings_while_all_move),
		cmocka_unit_test(test_one_stuck_loop_withholds),
		cmocka_unit_test(test_disabled_never_pings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
