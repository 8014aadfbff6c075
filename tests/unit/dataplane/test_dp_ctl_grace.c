/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-control gone, then back (dataplane/xmpp/xc_ctl.c, rings.control_grace_ms):
 * a bound client's stanza is parked on its connection, its input stops
 * and the TCP window closes; no error is written. sb-control back within
 * the grace: the parked stanza and everything behind it are routed, in
 * order, and the client never hears of the absence. The grace run out:
 * the client gets RFC 6120 §8.3.2's type='wait' service-unavailable, and
 * so does each stanza after it, at once, until sb-control is back; the
 * next absence has a grace of its own. The clock is the harness's
 * (dp_advance).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dp_harness.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xmpp/xc.h"

#define CHAT_PAD 800u  /* bytes of a chat's body: 40 of them overrun a 16 KiB window */

/* Times needle occurs in what s received. */
static unsigned saw_count(const struct dp_sock *s, const char *needle)
{
	const uint8_t *p = s->rx, *end = s->rx + s->rx_len;
	size_t len = strlen(needle);
	unsigned n = 0;

	while ((p = memmem(p, (size_t)(end - p), needle, len)) != NULL) {
		n++;
		p += len;
	}
	return n;
}

/* How many type='wait' errors s received for its chats to bob. */
static unsigned wait_errors(const struct dp_h *h, const struct dp_sock *s)
{
	char e[700]; /* two domains of xmpp.domain's 255 bytes, and the rest */

	snprintf(e, sizeof(e), "<message from='bob@%s' to='alice@%s/r' type='error'>"
		 "<error type='wait'><service-unavailable ", h->cfg.xmpp_domain,
		 h->cfg.xmpp_domain);
	return saw_count(s, e);
}

/* A bound client, and sb-control gone from now on. */
static struct dp_sock *login_then_gone(struct dp_h *h)
{
	struct dp_sock *s;

	h->xw->input_budget = 16384; /* the window, from the first byte on */
	dp_ctl_attach(h, 1);
	s = dp_c2s_login(h, "alice");
	dp_ctl_attach(h, 0);
	return s;
}

static void test_back_within_grace(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	struct dp_sock *s = login_then_gone(h);
	uint64_t routed = DP_CTR(h, xmpp_routed);
	unsigned n = 40;

	(void)state;
	assert_true(n * 50 + 1000 < h->cfg.rings_control_grace_ms);
	dp_c2s_chats(h, s, 0, n, CHAT_PAD); /* 50 ms apart */
	dp_advance(h, 1000);

	/* Parked: nothing up, nothing answered, the client's window shut. */
	assert_null(dp_ctl_take(h));
	assert_int_equal(DP_CTR(h, xmpp_ctl_gone), 1);
	assert_int_equal(DP_CTR(h, xmpp_ctl_waited), 1);
	assert_int_equal(DP_CTR(h, xmpp_ctl_unavailable), 0);
	assert_int_equal(DP_CTR(h, xmpp_routed), routed);
	assert_true(s->c->snd_queued > 0);
	assert_false(dp_sock_saw(s, "<error"));
	assert_false(s->peer_fin);

	/* A new sb-control: everything goes up, in order. */
	dp_ctl_attach(h, 2);
	dp_run(h);
	dp_advance(h, 1000);
	assert_int_equal(dp_ctl_take_chats_replayed(h, 0), n);
	assert_int_equal(s->c->snd_queued, 0);
	assert_int_equal(DP_CTR(h, xmpp_routed), routed + n);
	assert_int_equal(DP_CTR(h, xmpp_ctl_unavailable), 0);
	assert_int_equal(DP_CTR(h, xmpp_ctl_gone), 1);
	assert_false(dp_sock_saw(s, "<error"));
	assert_false(s->peer_fin);
	dp_free(h);
}

static void test_grace_runs_out(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	struct dp_sock *s = login_then_gone(h);
	unsigned grace_ms = (unsigned)h->cfg.rings_control_grace_ms;

	(void)state;
	assert_true(grace_ms > 200);
	dp_c2s_chats(h, s, 0, 1, 10); /* then 50 ms */
	dp_advance(h, grace_ms - 100);
	assert_int_equal(DP_CTR(h, xmpp_ctl_waited), 1);
	assert_int_equal(DP_CTR(h, xmpp_ctl_unavailable), 0);
	assert_false(dp_sock_saw(s, "<error"));

	/* Past the grace: answered here, the connection kept. */
	dp_advance(h, 100);
	assert_int_equal(DP_CTR(h, xmpp_ctl_unavailable), 1);
	assert_int_equal(wait_errors(h, s), 1);
	assert_false(s->peer_fin);
	assert_null(dp_ctl_take(h));

	/* The grace is the absence's, not each stanza's: the next one is
	 * answered at once. */
	dp_c2s_chats(h, s, 1, 1, 10);
	assert_int_equal(DP_CTR(h, xmpp_ctl_unavailable), 2);
	assert_int_equal(wait_errors(h, s), 2);
	assert_int_equal(DP_CTR(h, xmpp_ctl_waited), 1);
	assert_int_equal(DP_CTR(h, xmpp_ctl_gone), 1);
	assert_false(s->peer_fin);
	assert_null(dp_ctl_take(h));
	dp_free(h);
}

/* Back, then gone again: the new absence waits its own grace. */
static void test_next_absence_waits_again(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	struct dp_sock *s = login_then_gone(h);
	unsigned grace_ms = (unsigned)h->cfg.rings_control_grace_ms;

	(void)state;
	dp_c2s_chats(h, s, 0, 1, 10);
	dp_advance(h, grace_ms - 100);
	dp_ctl_attach(h, 2);
	dp_run(h);
	assert_int_equal(dp_ctl_take_chats_replayed(h, 0), 1);

	dp_ctl_attach(h, 0);
	dp_advance(h, 200); /* the first absence's grace would be over by now */
	dp_c2s_chats(h, s, 1, 1, 10);
	assert_int_equal(DP_CTR(h, xmpp_ctl_gone), 2);
	assert_int_equal(DP_CTR(h, xmpp_ctl_waited), 2);
	assert_int_equal(DP_CTR(h, xmpp_ctl_unavailable), 0);
	assert_null(dp_ctl_take(h));
	dp_ctl_attach(h, 3);
	dp_run(h);
	assert_int_equal(dp_ctl_take_chats_replayed(h, 1), 1);
	assert_false(dp_sock_saw(s, "<error"));
	assert_false(s->peer_fin);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_back_within_grace),
		cmocka_unit_test(test_grace_runs_out),
		cmocka_unit_test(test_next_absence_waits_again),
	};

	dp_eal_init("dp_ctl_grace");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
