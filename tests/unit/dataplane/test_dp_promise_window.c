/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dataplane/xmpp/xc_promise.h: the h a stream-management client is told
 * never exceeds what was reported safe. Reports in any order, repeated,
 * for numbers not read yet or outside the window are taken or ignored so
 * that done only ever covers a gap-free run of safe stanzas, and wraps at
 * 2^32 like h itself (XEP-0198 §4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "xc_promise.h"

static void test_in_order_and_gaps(void **state)
{
	struct sb_xc_promise p;

	(void)state;
	sb_xc_promise_reset(&p, 0);
	/* 5 read; 2, 3 and 5 reported first: h stays 0 until 1 is. */
	assert_false(sb_xc_promise_mark(&p, 2, 5));
	assert_false(sb_xc_promise_mark(&p, 3, 5));
	assert_false(sb_xc_promise_mark(&p, 5, 5));
	assert_int_equal(p.done, 0);
	assert_true(sb_xc_promise_mark(&p, 1, 5));
	assert_int_equal(p.done, 3);
	assert_true(sb_xc_promise_mark(&p, 4, 5));
	assert_int_equal(p.done, 5);
	assert_int_equal(p.bits, 0);
}

static void test_never_past_read(void **state)
{
	struct sb_xc_promise p;

	(void)state;
	sb_xc_promise_reset(&p, 10);
	/* Not read yet (a report for an old stream that reused the handle,
	 * or a bug): ignored, done stays <= read. */
	assert_false(sb_xc_promise_mark(&p, 12, 11));
	assert_false(sb_xc_promise_mark(&p, 11, 10));
	/* Already counted, or repeated: ignored. */
	assert_true(sb_xc_promise_mark(&p, 11, 11));
	assert_false(sb_xc_promise_mark(&p, 11, 11));
	assert_false(sb_xc_promise_mark(&p, 3, 11));
	assert_int_equal(p.done, 11);
	/* A sync covers up to its barrier, never past what was read. */
	assert_false(sb_xc_promise_upto(&p, 20, 15));
	assert_true(sb_xc_promise_upto(&p, 14, 15));
	assert_int_equal(p.done, 14);
}

static void test_window(void **state)
{
	struct sb_xc_promise p;
	uint32_t read = 0;

	(void)state;
	sb_xc_promise_reset(&p, 0);
	while (!sb_xc_promise_full(&p, read))
		read++;
	assert_int_equal(read, SB_XC_PROMISE_WINDOW);
	/* Every one but the first reported: all kept in the window. */
	for (uint32_t h = 2; h <= read; h++)
		assert_false(sb_xc_promise_mark(&p, h, read));
	assert_int_equal(p.done, 0);
	assert_true(sb_xc_promise_mark(&p, 1, read));
	assert_int_equal(p.done, read);
	assert_false(sb_xc_promise_full(&p, read));
}

static void test_wrap(void **state)
{
	struct sb_xc_promise p;
	uint32_t read = UINT32_MAX - 1u + 4u; /* 4 past 2^32 - 2: wrapped */

	(void)state;
	sb_xc_promise_reset(&p, UINT32_MAX - 1u);
	assert_false(sb_xc_promise_mark(&p, 1, read));
	assert_true(sb_xc_promise_mark(&p, UINT32_MAX, read));
	assert_int_equal(p.done, UINT32_MAX);
	assert_true(sb_xc_promise_mark(&p, 0, read));
	assert_int_equal(p.done, 1);
	assert_true(sb_xc_promise_upto(&p, 2, read));
	assert_int_equal(p.done, 2);
	assert_false(sb_xc_promise_mark(&p, 3, read));
	assert_int_equal(p.done, 2);
}

/* Random orders and repeats: done is always the length of the gap-free
 * run of reported numbers, and never more than was read. */
static void test_random(void **state)
{
	(void)state;
	srand(18);
	for (int round = 0; round < 200; round++) {
		struct sb_xc_promise p;
		uint8_t seen[SB_XC_PROMISE_WINDOW + 1] = { 0 };
		uint32_t base = (uint32_t)rand() * 2654435761u, read = base;

		sb_xc_promise_reset(&p, base);
		for (int step = 0; step < 400; step++) {
			uint32_t run = 0;

			if (!sb_xc_promise_full(&p, read) && rand() % 2)
				read++;
			if (read != p.done) {
				uint32_t h = p.done + 1u + (uint32_t)rand() % (read - p.done);

				seen[h - base] = 1;
				sb_xc_promise_mark(&p, h, read);
			}
			while (p.done - base + run + 1u <= SB_XC_PROMISE_WINDOW &&
			       seen[p.done - base + run + 1u])
				run++;
			assert_int_equal(run, 0); /* nothing contiguous left uncounted */
			assert_true((uint32_t)(read - p.done) <= SB_XC_PROMISE_WINDOW);
			for (uint32_t h = base + 1u; h != p.done + 1u; h++)
				assert_true(seen[h - base]);
			if (p.done - base >= SB_XC_PROMISE_WINDOW / 2) {
				/* Slide: start a fresh record past done. */
				base = p.done;
				for (unsigned i = 0; i <= SB_XC_PROMISE_WINDOW; i++)
					seen[i] = 0;
				for (uint32_t i = 0; i < SB_XC_PROMISE_WINDOW; i++)
					if (p.bits >> i & 1u)
						seen[i + 1u] = 1;
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_gaps),
		cmocka_unit_test(test_never_past_read),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
