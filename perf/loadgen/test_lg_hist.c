/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The loadgen's latency histogram: bucket bounds hold every value they
 * index, relative error stays within 1/16, quantiles of known data land on
 * the right bucket, and empty or extreme inputs do not misbehave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lg_hist.h"

static void test_index_bounds(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 200000; v++) {
		uint32_t i = sb_lg_hist_index(v);

		assert_true(v <= sb_lg_hist_upper(i));
		if (i > 0)
			assert_true(v > sb_lg_hist_upper(i - 1));
		/* 1/16 precision: the bucket's top is within v/16 of v. */
		assert_true(sb_lg_hist_upper(i) - v <= v / 16);
	}
	for (unsigned s = 20; s < 48; s++) {
		uint64_t v = (1ull << s) + 12345;

		assert_true(v <= sb_lg_hist_upper(sb_lg_hist_index(v)));
		assert_true(sb_lg_hist_upper(sb_lg_hist_index(v)) - v <= v / 16);
	}
	assert_int_equal(sb_lg_hist_index(UINT64_MAX), SB_LG_HIST_BUCKETS - 1);
}

static void test_quantiles(void **state)
{
	static struct sb_lg_hist h;

	(void)state;
	sb_lg_hist_reset(&h);
	assert_int_equal(sb_lg_hist_quantile(&h, 0.5), 0);
	for (uint64_t v = 1; v <= 1000; v++)
		sb_lg_hist_add(&h, v * 1000);
	assert_int_equal(h.n, 1000);
	assert_int_equal(h.min, 1000);
	assert_int_equal(h.max, 1000000);
	assert_int_equal(sb_lg_hist_quantile(&h, 0.0), 1000);
	assert_int_equal(sb_lg_hist_quantile(&h, 1.0), 1000000);
	/* The median is 500000 give or take one bucket (1/16). */
	assert_true(sb_lg_hist_quantile(&h, 0.5) >= 500000);
	assert_true(sb_lg_hist_quantile(&h, 0.5) <= 500000 + 500000 / 16);
	assert_true(sb_lg_hist_quantile(&h, 0.99) >= 990000);
	assert_true(sb_lg_hist_quantile(&h, 0.99) <= 1000000);
	assert_true(sb_lg_hist_quantile(&h, 0.1) < sb_lg_hist_quantile(&h, 0.9));
}

static void test_one_outlier(void **state)
{
	static struct sb_lg_hist h;

	(void)state;
	sb_lg_hist_reset(&h);
	for (unsigned i = 0; i < 999; i++)
		sb_lg_hist_add(&h, 20);
	sb_lg_hist_add(&h, 5000000);
	assert_int_equal(sb_lg_hist_quantile(&h, 0.5), 20);
	assert_int_equal(sb_lg_hist_quantile(&h, 0.99), 20);
	assert_int_equal(sb_lg_hist_quantile(&h, 0.9999), 5000000);
	assert_int_equal(h.sum, 999 * 20 + 5000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_bounds),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_one_outlier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
