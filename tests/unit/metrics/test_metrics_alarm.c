/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/metrics/alarm.c: raised at the mark, cleared only below three
 * quarters of it, each raise counted, a raise logged at most once per log
 * interval, an alarm without a mark never raised, marks from percentages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alarm.h"

static void test_mark(void **state)
{
	(void)state;
	assert_int_equal(sb_alarm_mark(4096, 80), 3276);
	assert_int_equal(sb_alarm_mark(4096, 100), 4096);
	assert_int_equal(sb_alarm_mark(10, 1), 1);      /* never 0 */
	assert_int_equal(sb_alarm_mark(UINT64_MAX, 100), UINT64_MAX);
}

static void test_raise_clear(void **state)
{
	struct sb_alarms as;
	char names[64];

	(void)state;
	memset(&as, 0, sizeof(as));
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_RING_UP, 99, 100, "up_w0_s0", 0),
			 SB_ALARM_SAME);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_RING_UP, 100, 100, "up_w1_s0", 1),
			 SB_ALARM_RAISED);
	assert_string_equal(as.a[SB_ALARM_RING_UP].where, "up_w1_s0");
	assert_int_equal(sb_alarm_active(&as, names, sizeof(names)), 1);
	assert_string_equal(names, "ring_up");
	/* Hovering below the mark but above 3/4 of it: still raised. */
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_RING_UP, 75, 100, "x", 2), SB_ALARM_SAME);
	assert_int_equal(as.a[SB_ALARM_RING_UP].active, 1);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_RING_UP, 74, 100, "x", 3),
			 SB_ALARM_CLEARED);
	assert_int_equal(sb_alarm_active(&as, names, sizeof(names)), 0);
	assert_string_equal(names, "-");
	assert_int_equal(as.a[SB_ALARM_RING_UP].raised, 1);
	assert_int_equal(as.a[SB_ALARM_RING_UP].level, 74);
}

static void test_rate_limited_log(void **state)
{
	struct sb_alarms as;

	(void)state;
	memset(&as, 0, sizeof(as));
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_HELD, 10, 5, "w0", 1000), SB_ALARM_RAISED);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_HELD, 0, 5, "w0", 1100), SB_ALARM_CLEARED);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_HELD, 10, 5, "w0", 1200),
			 SB_ALARM_RAISED_QUIET);
	assert_int_equal(as.a[SB_ALARM_HELD].unlogged, 1);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_HELD, 0, 5, "w0", 1300),
			 SB_ALARM_CLEARED_QUIET);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_HELD, 10, 5, "w0",
					 1000 + SB_ALARM_LOG_INTERVAL_MS), SB_ALARM_RAISED);
	assert_int_equal(as.a[SB_ALARM_HELD].raised, 3);
}

static void test_unwatched(void **state)
{
	struct sb_alarms as;
	char names[64];

	(void)state;
	memset(&as, 0, sizeof(as));
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_HELD, 1000, 0, "w0", 0), SB_ALARM_SAME);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_RING_WAIT, 5, 5, "w0", 0),
			 SB_ALARM_RAISED);
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_IM_BACKLOG, 5, 5, "shard1", 0),
			 SB_ALARM_RAISED);
	/* A mark taken away clears it. */
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_RING_WAIT, 5, 0, "w0", 1),
			 SB_ALARM_CLEARED);
	assert_int_equal(sb_alarm_active(&as, names, sizeof(names)), 1);
	assert_string_equal(names, "im_backlog");
	assert_int_equal(sb_alarm_update(&as, SB_ALARM_RING_WAIT, 5, 5, "w0", 2),
			 SB_ALARM_RAISED_QUIET);
	assert_int_equal(sb_alarm_active(&as, names, 12), 2);
	assert_string_equal(names, "im_backlog"); /* whole names that fit, never overrun */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_raise_clear),
		cmocka_unit_test(test_rate_limited_log),
		cmocka_unit_test(test_unwatched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
