/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A recipient that reads slowly (dataplane/xmpp/xc_hold.c). DELIVERs its
 * send queue cannot take are held on the connection and written in order
 * as its window opens: nothing is dropped, nobody is closed. A recipient
 * that makes no progress for xmpp.slow_reader_ms, or outgrows its share,
 * is reset, and what was held goes back up after the connection's UNBIND
 * as STANZAs flagged SB_MSG_F_RETURNED, in order, for sb-control to route
 * again. A DELIVER that arrives once the connection is gone is returned
 * the same way instead of being dropped as stale.
 *
 * What was written and not acknowledged by the client's TCP (in the send
 * queue, or sent and not acked) is kept too (dataplane/xmpp/xc_sm.c):
 * released as ACKs pass its last byte, returned first, in order, when the
 * connection is reset; so a reset loses nothing at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mempool.h>

#include "dp_harness.h"
#include "worker.h"
#include "xmpp/xc.h"

#define N_MSGS 50u   /* ~1 KB each: more than the peer's window and send queue */
#define PAD 900u

/* The one bound session's object. */
static struct sb_xc_conn *bound_xc(struct dp_h *h)
{
	struct sb_xc_worker *xw = h->xw;

	assert_int_equal(xw->bound.n, 1);
	return xw->xtab[xw->bound.head];
}

/* DELIVER chat number i to x, as sb-control's shard 0 sends it. */
static void deliver(struct dp_h *h, const struct sb_xc_conn *x, unsigned i)
{
	static const char to[] = "bob@switchboard.test/r", from[] = "alice@switchboard.test/r";
	uint8_t buf[SB_MSG_PAYLOAD_MAX];
	char body[PAD + 1];
	struct sb_msg_stanza st = {
		.kind = SB_STANZA_MESSAGE,
		.type = SB_STYPE_CHAT,
		.to_len = sizeof(to) - 1,
		.to_bare_len = sizeof("bob@switchboard.test") - 1,
		.from_len = sizeof(from) - 1,
		.from_bare_len = sizeof("alice@switchboard.test") - 1,
		.from_worker = 0,
		.from_conn = 1,
		.from_gen = 7,
	};
	size_t off = 0;
	int n;

	memset(body, 'x', PAD);
	body[PAD] = '\0';
	n = snprintf((char *)buf + sizeof(st) + st.to_len + st.from_len,
		     sizeof(buf) - sizeof(st) - st.to_len - st.from_len,
		     "<message from='%s' to='%s' type='chat'><body>[%u]%s</body></message>", from,
		     to, i, body);
	st.bytes_len = (uint32_t)n;
	memcpy(buf, &st, sizeof(st));
	off = sizeof(st);
	memcpy(buf + off, to, st.to_len);
	memcpy(buf + off + st.to_len, from, st.from_len);
	dp_ctl_reply(h, 0, SB_MSG_DELIVER, sb_xc_handle(x), x->gen, 0, buf,
		     sizeof(st) + st.to_len + st.from_len + (size_t)n);
}

/* The numbers of the chats s received, in order; returns how many. */
static unsigned received(const struct dp_sock *s, unsigned *nums, unsigned max)
{
	const char *p = (const char *)s->rx, *end = p + s->rx_len;
	unsigned n = 0;

	while (n < max && (p = memmem(p, (size_t)(end - p), "<body>[", 7)) != NULL) {
		const char *close = memmem(p, (size_t)(end - p), "</message>", 10);

		if (close == NULL)
			break; /* the last one arrived only in part */
		nums[n++] = (unsigned)strtoul(p + 7, NULL, 10);
		p = close;
	}
	return n;
}

static struct dp_h *slow_bob(struct dp_sock **ret_s)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });

	dp_ctl_attach(h, 1);
	*ret_s = dp_c2s_login(h, "bob");
	(*ret_s)->rcv_limit = 2048; /* bob's window: 2 KB, and he does not read */
	return h;
}

static void test_slow_reader_held_then_flushed(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = slow_bob(&s);
	struct sb_xc_conn *x = bound_xc(h);
	unsigned nums[N_MSGS], n;

	(void)state;
	for (unsigned i = 0; i < N_MSGS; i++)
		deliver(h, x, i);
	assert_true(DP_CTR(h, xmpp_deliver_held) > 0);
	assert_non_null(x->held_head);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 0);
	assert_false(s->closed);
	/* Bob reads, a window at a time, well inside the deadline. */
	for (unsigned turn = 0; turn < 200 && (x->held_head != NULL || s->held > 0); turn++) {
		dp_read(h, s, s->held);
		dp_advance(h, 5);
	}
	n = received(s, nums, N_MSGS);
	assert_int_equal(n, N_MSGS);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(nums[i], i);
	assert_null(x->held_head);
	assert_int_equal(h->xw->held_objs, 0);
	assert_int_equal(h->xw->holders, 0);
	/* Every chain was kept until bob's TCP acked it, and released then. */
	dp_advance(h, 50); /* his last delayed ACK */
	assert_null(x->sm_head);
	assert_int_equal(x->sm_kept, 0);
	assert_int_equal(h->xw->sm_objs, 0);
	assert_int_equal(DP_CTR(h, xmpp_unacked_kept), N_MSGS);
	assert_int_equal(DP_CTR(h, xmpp_unacked_tcp_acked), N_MSGS);
	assert_int_equal(DP_CTR(h, xmpp_unacked_objs), 0);
	assert_true(DP_CTR(h, xmpp_unacked_objs_peak) > 0);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	assert_int_equal(DP_CTR(h, xmpp_delivered), N_MSGS);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 0);
	assert_int_equal(DP_CTR(h, xmpp_deliver_returned), 0);
	dp_free(h);
}

/* Take the UNBIND, then the returned chats; their numbers in nums. */
static unsigned take_returned(struct dp_h *h, unsigned *nums, unsigned max)
{
	struct sb_msg *m = dp_ctl_take(h);
	unsigned n = 0;

	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_UNBIND);
	dp_msg_free(h, m);
	while ((m = dp_ctl_take(h)) != NULL) {
		struct sb_msg_stanza st;
		char bytes[1200];

		assert_int_equal(m->kind, SB_MSG_STANZA);
		assert_true(m->flags & SB_MSG_F_RETURNED);
		assert_int_equal(sb_msg_stanza_read(m, &st), 0);
		/* The sender's address travels with it, for errors. */
		assert_int_equal(st.from_conn, 1);
		assert_int_equal(st.from_gen, 7);
		assert_true(st.bytes_len < sizeof(bytes));
		sb_msg_read(m, sb_msg_stanza_bytes_off(&st), bytes, st.bytes_len);
		bytes[st.bytes_len] = '\0';
		assert_true(n < max);
		nums[n++] = (unsigned)strtoul(strstr(bytes, "<body>[") + 7, NULL, 10);
		dp_msg_free(h, m);
	}
	return n;
}

static void test_stalled_reader_reset_and_returned(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = slow_bob(&s);
	struct sb_xc_conn *x = bound_xc(h);
	unsigned got[N_MSGS], ret[N_MSGS], n_got, n_ret;

	(void)state;
	for (unsigned i = 0; i < N_MSGS; i++)
		deliver(h, x, i);
	assert_non_null(x->held_head);
	/* No progress for xmpp.slow_reader_ms: reset, not waited on. */
	dp_advance(h, h->xw->slow_reader_ms - 10);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 0);
	dp_advance(h, 20);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 1);
	assert_true(s->closed);
	n_got = received(s, got, N_MSGS);
	n_ret = take_returned(h, ret, N_MSGS);
	assert_true(n_ret > 0);
	assert_int_equal(n_ret, DP_CTR(h, xmpp_deliver_returned));
	for (unsigned i = 0; i < n_got; i++)
		assert_int_equal(got[i], i);
	/* The returned ones are the rest, in order: what was in the reset
	 * connection's send queue first, then what was held. None missing. */
	assert_int_equal(n_got + n_ret, N_MSGS);
	for (unsigned i = 0; i < n_ret; i++)
		assert_int_equal(ret[i], n_got + i);
	assert_true(DP_CTR(h, xmpp_unacked_returned) > 0);
	assert_int_equal(DP_CTR(h, xmpp_unacked_tcp_acked), n_got);
	assert_int_equal(DP_CTR(h, xmpp_deliver_lost), 0);
	assert_int_equal(h->xw->held_objs, 0);
	assert_int_equal(h->xw->sm_objs, 0);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

/* Nothing held: chats written, bob's window (16 KB as he logged in) takes
 * the first ones, the rest wait in his send queue. Reset, exactly those
 * come back, in order; the ones his TCP acknowledged do not. */
static void test_unacked_returned_on_reset(void **state)
{
	enum { K = 24 };
	struct dp_sock *s;
	struct dp_h *h = slow_bob(&s);
	struct sb_xc_conn *x = bound_xc(h);
	unsigned got[K], ret[K], n_got, n_ret;

	(void)state;
	for (unsigned i = 0; i < K; i++)
		deliver(h, x, i);
	dp_advance(h, 50); /* his delayed ACK for what he has */
	assert_null(x->held_head);
	assert_int_equal(DP_CTR(h, xmpp_deliver_held), 0);
	n_got = received(s, got, K);
	assert_true(n_got > 0 && n_got < K);
	for (unsigned i = 0; i < n_got; i++)
		assert_int_equal(got[i], i);
	/* Acked ones are released as the ACK comes, not at the close. */
	assert_int_equal(DP_CTR(h, xmpp_unacked_tcp_acked), n_got);
	assert_int_equal(x->sm_kept, K - n_got);
	sb_xc_slow_reader(h->xw, x); /* reset, as past a share */
	dp_run(h);
	assert_true(s->closed);
	n_ret = take_returned(h, ret, K);
	assert_int_equal(n_ret, K - n_got);
	for (unsigned i = 0; i < n_ret; i++)
		assert_int_equal(ret[i], n_got + i);
	assert_int_equal(DP_CTR(h, xmpp_unacked_returned), K - n_got);
	assert_int_equal(DP_CTR(h, xmpp_deliver_returned), K - n_got);
	assert_int_equal(DP_CTR(h, xmpp_unacked_objs), 0);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

/* A reader that read everything and closes: nothing comes back. */
static void test_acked_not_returned_on_close(void **state)
{
	enum { K = 10 };
	struct dp_sock *s;
	struct dp_h *h = slow_bob(&s);
	struct sb_xc_conn *x = bound_xc(h);
	unsigned got[K];
	struct sb_msg *m;

	(void)state;
	for (unsigned i = 0; i < K; i++)
		deliver(h, x, i);
	for (unsigned turn = 0; turn < 100 && received(s, got, K) < K; turn++) {
		dp_read(h, s, s->held);
		dp_advance(h, 5);
	}
	assert_int_equal(received(s, got, K), K);
	dp_advance(h, 50);
	assert_null(x->sm_head);
	dp_close(h, s);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_UNBIND);
	dp_msg_free(h, m);
	assert_null(dp_ctl_take(h));
	assert_int_equal(DP_CTR(h, xmpp_unacked_returned), 0);
	assert_int_equal(DP_CTR(h, xmpp_unacked_tcp_acked), K);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_share_exceeded_resets(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = slow_bob(&s);
	struct sb_xc_conn *x = bound_xc(h);
	unsigned ret[N_MSGS];

	(void)state;
	h->xw->hold_conn_max = 8; /* objects: a few stanzas */
	for (unsigned i = 0; i < N_MSGS && !s->closed; i++)
		deliver(h, x, i);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 1);
	assert_true(s->closed);
	assert_true(take_returned(h, ret, N_MSGS) > 8);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

/* Over the worker's share, the reset falls on the reader furthest behind,
 * not on whoever receives the next stanza. */
static void test_worker_share_resets_the_largest(void **state)
{
	struct dp_sock *bob_s, *carol_s;
	struct dp_h *h = slow_bob(&bob_s);
	struct sb_xc_worker *xw = h->xw;
	struct sb_xc_conn *bob = bound_xc(h), *carol;
	unsigned ret[N_MSGS];

	(void)state;
	carol_s = dp_c2s_login(h, "carol");
	carol_s->rcv_limit = 2048;
	carol = xw->xtab[xw->bound.tail];
	assert_ptr_not_equal(carol, bob);
	for (unsigned i = 0; i < 60; i++)
		deliver(h, bob, i);
	for (unsigned i = 0; i < 42; i++)
		deliver(h, carol, i);
	assert_non_null(bob->held_head);
	assert_non_null(carol->held_head);
	assert_int_equal(xw->holders, 2);
	assert_true(bob->held_objs > carol->held_objs);
	xw->hold_worker_max = xw->held_objs - 1; /* over it from here on */
	deliver(h, carol, 42);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 0);
	assert_false(carol_s->closed);
	deliver(h, bob, 60);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 1);
	assert_true(bob_s->closed);
	assert_false(carol_s->closed);
	assert_true(take_returned(h, ret, N_MSGS) > 0);
	dp_free(h);
}

static void test_deliver_after_release_returned(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = slow_bob(&s);
	struct sb_xc_conn *x = bound_xc(h);
	struct sb_xc_conn old = *x;
	unsigned ret[4];

	(void)state;
	dp_close(h, s);
	assert_null(x->conn);
	assert_int_not_equal(x->gen, old.gen);
	/* sb-control sent it before it read the UNBIND. */
	deliver(h, &old, 3);
	assert_int_equal(DP_CTR(h, xmpp_stale_reply), 0);
	assert_int_equal(take_returned(h, ret, 4), 1);
	assert_int_equal(ret[0], 3);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_reader_held_then_flushed),
		cmocka_unit_test(test_stalled_reader_reset_and_returned),
		cmocka_unit_test(test_unacked_returned_on_reset),
		cmocka_unit_test(test_acked_not_returned_on_close),
		cmocka_unit_test(test_share_exceeded_resets),
		cmocka_unit_test(test_worker_share_resets_the_largest),
		cmocka_unit_test(test_deliver_after_release_returned),
	};

	dp_eal_init("dp_hold");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
