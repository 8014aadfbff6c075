/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The HIBERNATE of a resumable session whose connection dies while
 * stanzas it read are still on their way (dataplane/xmpp/xc_promise.c
 * sb_xc_promise_close). Its h_in is what <resumed h/> and, after the
 * window, <failed h/> tell the client; sent before the reports of those
 * stanzas came back it told less than the server had handled, and the
 * client sent them again (xmpp_sm's "window end" step saw h=0 for 2). Now
 * it waits for the reports, as an <r/> does, at most xmpp.sm_ack_wait_ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dp_harness.h"
#include "worker.h"
#include "xmpp/xc.h"

#define N_CHATS 2u

struct sent {
	uint64_t conn;
	uint32_t gen;
	uint32_t sm_h[N_CHATS];
};

/* alice with resumption on sends N_CHATS chats (taken off the up rings,
 * unreported) and her peer closes without </stream:stream>. */
static struct dp_h *closed_with_unsafe(struct sent *out)
{
	static const char en[] = "<enable xmlns='urn:xmpp:sm:3' resume='true'/>";
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	struct sb_xc_conn *x;
	struct dp_sock *s;
	struct sb_msg *m;
	unsigned n = 0;

	dp_ctl_attach(h, 1);
	s = dp_c2s_login(h, "alice");
	dp_send(h, s, en, sizeof(en) - 1);
	assert_true(dp_sock_saw(s, "<enabled "));
	x = h->xw->xtab[h->xw->bound.head];
	out->conn = sb_xc_handle(x);
	out->gen = x->gen;
	while ((m = dp_ctl_take(h)) != NULL)
		dp_msg_free(h, m); /* SM_ENABLE */
	dp_c2s_chats(h, s, 0, N_CHATS, 10);
	while ((m = dp_ctl_take(h)) != NULL) {
		struct sb_msg_stanza st;

		assert_int_equal(m->kind, SB_MSG_STANZA);
		assert_true(m->flags & SB_MSG_F_SM_PROMISE);
		assert_int_equal(sb_msg_stanza_read(m, &st), 0);
		assert_true(n < N_CHATS);
		out->sm_h[n++] = st.sm_h;
		dp_msg_free(h, m);
	}
	assert_int_equal(n, N_CHATS);
	dp_close(h, s);
	return h;
}

/* The next message up: HIBERNATE, whose h_in is returned. */
static uint32_t take_hibernate(struct dp_h *h)
{
	struct sb_msg *m = dp_ctl_take(h);
	struct sb_msg_sm p;

	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_HIBERNATE);
	memcpy(&p, m->payload, sizeof(p));
	dp_msg_free(h, m);
	return p.h_in;
}

static void test_waits_for_reports(void **state)
{
	struct sent s;
	struct dp_h *h = closed_with_unsafe(&s);
	uint8_t buf[sizeof(struct sb_msg_done) + N_CHATS * sizeof(struct sb_msg_done_ent)];
	struct sb_msg_done d = { .n = N_CHATS };

	(void)state;
	/* Closed, its stanzas unreported: no HIBERNATE yet. */
	assert_null(dp_ctl_take(h));
	assert_int_equal(DP_CTR(h, xmpp_sm_hibernate_waited), 1);
	memcpy(buf, &d, sizeof(d));
	for (unsigned i = 0; i < N_CHATS; i++) {
		struct sb_msg_done_ent e = { .conn = s.conn, .conn_gen = s.gen, .sm_h = s.sm_h[i] };

		memcpy(buf + sizeof(d) + i * sizeof(e), &e, sizeof(e));
	}
	/* The reports, from the recipient's shard: the HIBERNATE tells both. */
	dp_ctl_reply(h, 1, SB_MSG_STANZA_DONE, 0, 0, 0, buf, sizeof(buf));
	assert_int_equal(take_hibernate(h), N_CHATS);
	assert_int_equal(DP_CTR(h, xmpp_sm_hibernate_short), 0);
	assert_int_equal(DP_CTR(h, xmpp_sm_promise_stale), 0);
	dp_free(h);
}

static void test_wait_is_bounded(void **state)
{
	struct sent s;
	struct dp_h *h = closed_with_unsafe(&s);

	(void)state;
	dp_advance(h, (unsigned)h->cfg.xmpp_sm_ack_wait_ms - 100);
	assert_null(dp_ctl_take(h));
	/* No report ever comes: at the wait's end it tells what is safe. */
	dp_advance(h, 200);
	assert_int_equal(take_hibernate(h), 0);
	assert_int_equal(DP_CTR(h, xmpp_sm_hibernate_short), 1);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_for_reports),
		cmocka_unit_test(test_wait_is_bounded),
	};

	dp_eal_init("dp_sm_hibernate");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
