/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tcp challenge ACKs (RFC 5961 §3.2, §4, §7) and the side channel of a
 * shared budget (CVE-2016-5696): one challenge ACK per connection and
 * challenge_gap_ms, a worker budget redrawn every second, and an observer's
 * count that no longer depends on what other connections were sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

#define VICTIMS 40u

/* An in-window RST not at RCV.NXT for tcb: answered by a challenge ACK. */
static struct sb_tcp_seg rst_guess(const struct sb_tcb *tcb)
{
	struct sb_tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.flags = SB_TCP_RST;
	s.seq = tcb->rcv_nxt + 100u;
	return s;
}

/* Another connection of the same worker: B's TCB with a timer of its own. */
static void clone_conn(struct sb_tcb *t)
{
	*t = H.e[1].tcb;
	sb_wheel_timer_init(&t->timer);
	t->tmask = 0;
	t->flags &= (uint16_t)~(SB_TF_DELACK | SB_TF_ACKNOW);
}

static void start(uint32_t per_s)
{
	struct sb_tcp_cfg c;

	h_fini(&H);
	h_cfg(&c);
	c.challenge_acks_per_s = per_s;
	h_init(&H, NULL, &c);
	h_connect(&H);
}

static void test_challenge_ack_one_per_gap(void **state)
{
	struct sb_tcp_seg s;
	uint32_t k;

	(void)state;
	start(1000);
	s = rst_guess(&H.e[1].tcb);
	s.flags = SB_TCP_SYN;
	for (k = 0; k < 5; k++)
		h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].nout, 1);
	assert_int_equal(H.e[1].ctx.cnt[SB_TCP_CNT_CHALLENGE_ACK_CONN_LIMITED], 4);
	h_drop(&H, 1, 0);
	h_advance_ms(&H, 510);
	h_inject(&H, 1, &s);
	assert_int_equal(H.e[1].nout, 1);
}

/* Challenge ACKs the observer (B's own connection) gets for three guesses,
 * after another connection of the worker was or was not sent 20. */
static uint32_t observer_count(bool victim_probed)
{
	static struct sb_tcb victim;
	struct sb_tcp_seg s;
	uint32_t k;

	start(4);
	clone_conn(&victim);
	s = rst_guess(&victim);
	for (k = 0; victim_probed && k < 20; k++)
		sb_tcp_input(&H.e[1].ctx, &victim, &s, H.now_us);
	H.e[1].nout = 0;
	s = rst_guess(&H.e[1].tcb);
	for (k = 0; k < 3; k++)
		h_inject(&H, 1, &s);
	return H.e[1].nout;
}

/* CVE-2016-5696: with one budget for the worker, an off-path attacker
 * spends it on its own connection, guesses at a victim's, and counts what
 * is left: fewer challenge ACKs means the guess hit. The observer's count
 * must be the same whatever the victim was sent. */
static void test_challenge_ack_count_does_not_leak(void **state)
{
	uint32_t quiet, probed;

	(void)state;
	quiet = observer_count(false);
	probed = observer_count(true);
	assert_int_equal(quiet, probed);
	assert_int_equal(quiet, 1);
}

/* The worker's budget, a flood guard, is redrawn every second in
 * [n/2, 3n/2): an attacker cannot know how much is left. */
static void test_challenge_budget_randomised(void **state)
{
	static struct sb_tcb v[VICTIMS];
	uint32_t sec, k, got[8], lo = UINT32_MAX, hi = 0;
	struct sb_tcp_seg s;

	(void)state;
	start(16);
	for (k = 0; k < VICTIMS; k++)
		clone_conn(&v[k]);
	for (sec = 0; sec < 8; sec++) {
		h_advance_ms(&H, 1000);
		H.e[1].nout = 0;
		for (k = 0; k < VICTIMS; k++) {
			s = rst_guess(&v[k]);
			sb_tcp_input(&H.e[1].ctx, &v[k], &s, H.now_us);
		}
		got[sec] = H.e[1].nout;
		assert_in_range(got[sec], 8, 23);
		lo = got[sec] < lo ? got[sec] : lo;
		hi = got[sec] > hi ? got[sec] : hi;
	}
	assert_true(lo < hi);
	assert_true(H.e[1].ctx.cnt[SB_TCP_CNT_CHALLENGE_ACK_LIMITED] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_challenge_ack_one_per_gap, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_ack_count_does_not_leak, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_budget_randomised, h_setup,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
