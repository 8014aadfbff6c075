/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The subscription state machine (control/im/sub.c) against RFC 6121
 * Appendix A, table by table: every one of the nine states under every one
 * of the eight events, with the next state and what happens to the stanza
 * (routed, delivered, answered by the server, roster push); then
 * pre-approval (§3.4) on and off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "store/store_im.h"
#include "sub.h"

#define PO SB_ROSTER_F_PENDING_OUT
#define PI SB_ROSTER_F_PENDING_IN

enum { NONE, NONE_PO, NONE_PI, NONE_PO_PI, TO, TO_PI, FROM, FROM_PO, BOTH, N_ST };

static const struct sb_sub_state st[N_ST] = {
	[NONE] = { SB_SUB_NONE, 0 },	[NONE_PO] = { SB_SUB_NONE, PO },
	[NONE_PI] = { SB_SUB_NONE, PI }, [NONE_PO_PI] = { SB_SUB_NONE, PO | PI },
	[TO] = { SB_SUB_TO, 0 },	[TO_PI] = { SB_SUB_TO, PI },
	[FROM] = { SB_SUB_FROM, 0 },	[FROM_PO] = { SB_SUB_FROM, PO },
	[BOTH] = { SB_SUB_BOTH, 0 },
};

#define C SB_SUB_A_CHANGED
#define R SB_SUB_A_ROUTE
#define D SB_SUB_A_DELIVER
#define A SB_SUB_A_AUTOREPLY

struct row {
	enum sb_sub_event ev;
	int from, to;        /* to == from: "no state change" in the RFC's table */
	unsigned actions;
};

static const struct row rows[] = {
	/* A.2.1 outbound subscribe: always routed (§3.1.2) */
	{ SB_SUB_OUT_SUBSCRIBE, NONE, NONE_PO, C | R },
	{ SB_SUB_OUT_SUBSCRIBE, NONE_PO, NONE_PO, R },
	{ SB_SUB_OUT_SUBSCRIBE, NONE_PI, NONE_PO_PI, C | R },
	{ SB_SUB_OUT_SUBSCRIBE, NONE_PO_PI, NONE_PO_PI, R },
	{ SB_SUB_OUT_SUBSCRIBE, TO, TO, R },
	{ SB_SUB_OUT_SUBSCRIBE, TO_PI, TO_PI, R },
	{ SB_SUB_OUT_SUBSCRIBE, FROM, FROM_PO, C | R },
	{ SB_SUB_OUT_SUBSCRIBE, FROM_PO, FROM_PO, R },
	{ SB_SUB_OUT_SUBSCRIBE, BOTH, BOTH, R },
	/* A.2.2 outbound unsubscribe: always routed (§3.3.2) */
	{ SB_SUB_OUT_UNSUBSCRIBE, NONE, NONE, R },
	{ SB_SUB_OUT_UNSUBSCRIBE, NONE_PO, NONE, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBE, NONE_PI, NONE_PI, R },
	{ SB_SUB_OUT_UNSUBSCRIBE, NONE_PO_PI, NONE_PI, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBE, TO, NONE, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBE, TO_PI, NONE_PI, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBE, FROM, FROM, R },
	{ SB_SUB_OUT_UNSUBSCRIBE, FROM_PO, FROM, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBE, BOTH, FROM, C | R },
	/* A.2.3 outbound subscribed: routed only when it approves something */
	{ SB_SUB_OUT_SUBSCRIBED, NONE, NONE, 0 },
	{ SB_SUB_OUT_SUBSCRIBED, NONE_PO, NONE_PO, 0 },
	{ SB_SUB_OUT_SUBSCRIBED, NONE_PI, FROM, C | R },
	{ SB_SUB_OUT_SUBSCRIBED, NONE_PO_PI, FROM_PO, C | R },
	{ SB_SUB_OUT_SUBSCRIBED, TO, TO, 0 },
	{ SB_SUB_OUT_SUBSCRIBED, TO_PI, BOTH, C | R },
	{ SB_SUB_OUT_SUBSCRIBED, FROM, FROM, 0 },
	{ SB_SUB_OUT_SUBSCRIBED, FROM_PO, FROM_PO, 0 },
	{ SB_SUB_OUT_SUBSCRIBED, BOTH, BOTH, 0 },
	/* A.2.4 outbound unsubscribed */
	{ SB_SUB_OUT_UNSUBSCRIBED, NONE, NONE, 0 },
	{ SB_SUB_OUT_UNSUBSCRIBED, NONE_PO, NONE_PO, 0 },
	{ SB_SUB_OUT_UNSUBSCRIBED, NONE_PI, NONE, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBED, NONE_PO_PI, NONE_PO, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBED, TO, TO, 0 },
	{ SB_SUB_OUT_UNSUBSCRIBED, TO_PI, TO, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBED, FROM, NONE, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBED, FROM_PO, NONE_PO, C | R },
	{ SB_SUB_OUT_UNSUBSCRIBED, BOTH, TO, C | R },
	/* A.3.1 inbound subscribe: delivered when new; answered when approved */
	{ SB_SUB_IN_SUBSCRIBE, NONE, NONE_PI, C | D },
	{ SB_SUB_IN_SUBSCRIBE, NONE_PO, NONE_PO_PI, C | D },
	{ SB_SUB_IN_SUBSCRIBE, NONE_PI, NONE_PI, 0 },
	{ SB_SUB_IN_SUBSCRIBE, NONE_PO_PI, NONE_PO_PI, 0 },
	{ SB_SUB_IN_SUBSCRIBE, TO, TO_PI, C | D },
	{ SB_SUB_IN_SUBSCRIBE, TO_PI, TO_PI, 0 },
	{ SB_SUB_IN_SUBSCRIBE, FROM, FROM, A },
	{ SB_SUB_IN_SUBSCRIBE, FROM_PO, FROM_PO, A },
	{ SB_SUB_IN_SUBSCRIBE, BOTH, BOTH, A },
	/* A.3.2 inbound unsubscribe */
	{ SB_SUB_IN_UNSUBSCRIBE, NONE, NONE, 0 },
	{ SB_SUB_IN_UNSUBSCRIBE, NONE_PO, NONE_PO, 0 },
	{ SB_SUB_IN_UNSUBSCRIBE, NONE_PI, NONE, C | D },
	{ SB_SUB_IN_UNSUBSCRIBE, NONE_PO_PI, NONE_PO, C | D },
	{ SB_SUB_IN_UNSUBSCRIBE, TO, TO, 0 },
	{ SB_SUB_IN_UNSUBSCRIBE, TO_PI, TO, C | D },
	{ SB_SUB_IN_UNSUBSCRIBE, FROM, NONE, C | D },
	{ SB_SUB_IN_UNSUBSCRIBE, FROM_PO, NONE_PO, C | D },
	{ SB_SUB_IN_UNSUBSCRIBE, BOTH, TO, C | D },
	/* A.3.3 inbound subscribed */
	{ SB_SUB_IN_SUBSCRIBED, NONE, NONE, 0 },
	{ SB_SUB_IN_SUBSCRIBED, NONE_PO, TO, C | D },
	{ SB_SUB_IN_SUBSCRIBED, NONE_PI, NONE_PI, 0 },
	{ SB_SUB_IN_SUBSCRIBED, NONE_PO_PI, TO_PI, C | D },
	{ SB_SUB_IN_SUBSCRIBED, TO, TO, 0 },
	{ SB_SUB_IN_SUBSCRIBED, TO_PI, TO_PI, 0 },
	{ SB_SUB_IN_SUBSCRIBED, FROM, FROM, 0 },
	{ SB_SUB_IN_SUBSCRIBED, FROM_PO, BOTH, C | D },
	{ SB_SUB_IN_SUBSCRIBED, BOTH, BOTH, 0 },
	/* A.3.4 inbound unsubscribed */
	{ SB_SUB_IN_UNSUBSCRIBED, NONE, NONE, 0 },
	{ SB_SUB_IN_UNSUBSCRIBED, NONE_PO, NONE, C | D },
	{ SB_SUB_IN_UNSUBSCRIBED, NONE_PI, NONE_PI, 0 },
	{ SB_SUB_IN_UNSUBSCRIBED, NONE_PO_PI, NONE_PI, C | D },
	{ SB_SUB_IN_UNSUBSCRIBED, TO, NONE, C | D },
	{ SB_SUB_IN_UNSUBSCRIBED, TO_PI, NONE_PI, C | D },
	{ SB_SUB_IN_UNSUBSCRIBED, FROM, FROM, 0 },
	{ SB_SUB_IN_UNSUBSCRIBED, FROM_PO, FROM, C | D },
	{ SB_SUB_IN_UNSUBSCRIBED, BOTH, FROM, C | D },
};

static void test_appendix_a(void **state)
{
	(void)state;
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), SB_SUB_EV_MAX * N_ST);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct sb_sub_state s = st[r->from];
		unsigned a = sb_sub_step(&s, r->ev, false);

		if (s.sub != st[r->to].sub || s.flags != st[r->to].flags || a != r->actions)
			fail_msg("row %zu: event %d in %s: got %s actions %#x, want %s actions %#x",
				 i, r->ev, sb_sub_state_name(st[r->from]), sb_sub_state_name(s), a,
				 sb_sub_state_name(st[r->to]), r->actions);
	}
}

/* With pre-approval (§3.4) a subscribed without a request is remembered,
 * not routed, and the request that follows is approved by the server. */
static void test_preapproval(void **state)
{
	struct sb_sub_state s = st[NONE];
	unsigned a;

	(void)state;
	a = sb_sub_step(&s, SB_SUB_OUT_SUBSCRIBED, true);
	assert_int_equal(a, C);
	assert_true(s.flags & SB_ROSTER_F_PREAPPROVED);
	assert_int_equal(s.sub, SB_SUB_NONE);
	a = sb_sub_step(&s, SB_SUB_IN_SUBSCRIBE, true);
	assert_int_equal(a, C | A);
	assert_int_equal(s.sub, SB_SUB_FROM);
	assert_false(s.flags & (SB_ROSTER_F_PREAPPROVED | PI));

	s = st[TO];
	assert_int_equal(sb_sub_step(&s, SB_SUB_OUT_SUBSCRIBED, true), C);
	assert_int_equal(sb_sub_step(&s, SB_SUB_IN_SUBSCRIBE, true), C | A);
	assert_int_equal(s.sub, SB_SUB_BOTH);

	/* An unsubscribed withdraws the approval, silently. */
	s = st[NONE_PO];
	sb_sub_step(&s, SB_SUB_OUT_SUBSCRIBED, true);
	assert_int_equal(sb_sub_step(&s, SB_SUB_OUT_UNSUBSCRIBED, true), C);
	assert_int_equal(s.flags, PO);
	assert_int_equal(sb_sub_step(&s, SB_SUB_IN_SUBSCRIBE, true), C | D);
	assert_int_equal(s.flags, PO | PI);
}

/* Off, a subscribed without a request does nothing at all. */
static void test_no_preapproval(void **state)
{
	struct sb_sub_state s = st[NONE];

	(void)state;
	assert_int_equal(sb_sub_step(&s, SB_SUB_OUT_SUBSCRIBED, false), 0);
	assert_int_equal(s.flags, 0);
}

/* Flags outside the nine states (a damaged record) change nothing. */
static void test_bad_state(void **state)
{
	struct sb_sub_state s = { SB_SUB_BOTH, PI };

	(void)state;
	assert_int_equal(sb_sub_step(&s, SB_SUB_IN_UNSUBSCRIBE, false), 0);
	assert_int_equal(sb_sub_step(&s, SB_SUB_EV_MAX, false), 0);
	assert_string_equal(sb_sub_state_name(s), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appendix_a),
		cmocka_unit_test(test_preapproval),
		cmocka_unit_test(test_no_preapproval),
		cmocka_unit_test(test_bad_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
