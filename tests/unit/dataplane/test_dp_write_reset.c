/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A write that resets its own connection. A client whose bytes cannot be
 * queued (its send queue full, or the worker out of mbufs) is reset from
 * inside sb_xc_write (xc_hold.c sb_xc_slow_reader). The reset is only
 * posted: the connection's object outlives the call chain that wrote (a
 * presence fan-out writes the rest of the stanza and the recipient's own
 * JID after the failed piece), and is released by the worker's
 * post-processing after the batch (sb_tcp_post_turn). Before, the reset
 * ran on_close at once; the fan-out then read the released JID: the
 * segfault of the 1M STARTTLS run (docs/BENCHMARKS.md). And below the
 * worker's mbuf reserve a fan-out waits for mbufs, so a worker short of
 * them does not reset its readers for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp_harness.h"
#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xmpp/xc.h"

#define MBUFS_MAX 65536u

/* Every free mbuf of the gateway's pool, taken into held[]. */
static unsigned take_mbufs(struct dp_h *h, struct rte_mbuf **held)
{
	unsigned n = 0;

	while (n < MBUFS_MAX && (held[n] = rte_pktmbuf_alloc(h->pkt_pool)) != NULL)
		n++;
	assert_true(n < MBUFS_MAX);
	return n;
}

/* A presence fan-out of `bytes` from alice to every bound session, put on
 * the down ring and polled: the worker's turn not run, so what the poll
 * left to post-processing is still to do. */
static void fan_out(struct dp_h *h, const char *bytes)
{
	struct sb_xc_worker *xw = h->xw;
	struct sb_xc_conn *to[8];
	uint8_t buf[2048];
	uint32_t n = 0;
	size_t len;

	for (uint32_t i = xw->bound.head; i != SB_XC_LIST_NONE && n < 8;
	     i = xw->xtab[i]->bound_link.next)
		to[n++] = xw->xtab[i];
	len = dp_multi_payload(buf, sizeof(buf), to, n, "alice@switchboard.test/a", bytes);
	dp_ctl_put(h, 0, SB_MSG_DELIVER_MULTI, 0, 0, 0, buf, len);
}

/* alice and bob bound, what their logins sent up taken. */
static struct dp_h *two_bound(struct dp_sock **a, struct dp_sock **b)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	struct sb_msg *m;

	dp_ctl_attach(h, 1);
	*a = dp_c2s_login(h, "alice");
	*b = dp_c2s_login(h, "bob");
	dp_run(h);
	while ((m = dp_ctl_take(h)) != NULL)
		dp_msg_free(h, m);
	assert_int_equal(h->xw->bound.n, 2);
	return h;
}

/* Two recipients of a fan-out, the worker out of mbufs: each write fails,
 * each recipient is reset, and neither object is released while the
 * fan-out still writes to it. Once mbufs are back, both get their RST and
 * sb-control its two UNBINDs. */
static void test_fan_out_write_resets(void **state)
{
	static struct rte_mbuf *held[MBUFS_MAX];
	/* Longer than one mbuf's room, so that the stanza's first piece
	 * is written in part before the pool runs out. */
	char bytes[1200];
	struct dp_sock *a, *b;
	struct dp_h *h = two_bound(&a, &b);
	struct sb_xc_worker *xw = h->xw;
	struct sb_xc_conn *xa, *xb;
	struct sb_msg *m;
	unsigned n_held, unbinds = 0;

	(void)state;
	memset(bytes, 'x', sizeof(bytes) - 1);
	bytes[sizeof(bytes) - 1] = '\0';
	memcpy(bytes, "<presence><status>", 18);
	memcpy(bytes + sizeof(bytes) - 21, "</status></presence>", 20);
	xa = xw->xtab[xw->bound.head];
	xb = xw->xtab[xa->bound_link.next];

	/* Everything acknowledged: the send queues hold no mbuf to append to. */
	dp_advance(h, 500);
	assert_null(a->c->snd_head);
	/* Without a reserve (the harness sets none) the fan-out writes into
	 * the empty pool; with one it waits: test_fan_out_below_reserve_waits. */
	n_held = take_mbufs(h, held);
	fan_out(h, bytes);
	/* Reset, not yet released: the objects are whole. */
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 2);
	assert_true(DP_CTR(h, mbuf_alloc_fail) >= 2);
	assert_non_null(xa->conn);
	assert_non_null(xb->conn);
	assert_non_null(xa->jid);
	assert_true(xa->flags & SB_XC_F_CLOSING);
	assert_true(xb->flags & SB_XC_F_CLOSING);

	/* The worker's turn releases both (with mbufs again for the RSTs). */
	for (unsigned i = 0; i < n_held; i++)
		rte_pktmbuf_free(held[i]);
	sb_tcp_post_turn(h->gw);
	assert_null(xa->conn);
	assert_null(xb->conn);
	dp_run(h);
	assert_true(a->closed);
	assert_true(b->closed);
	while ((m = dp_ctl_take(h)) != NULL) {
		unbinds += m->kind == SB_MSG_UNBIND;
		dp_msg_free(h, m);
	}
	assert_int_equal(unbinds, 2);
	assert_int_equal(xw->bound.n, 0);
	dp_free(h);
}

/* The reset of one recipient leaves the fan-out's next recipient whole:
 * when the first write fails for lack of room in the first recipient's
 * queue only, the second gets its copy. */
static void test_fan_out_second_recipient_served(void **state)
{
	static const char bytes[] = "<presence><show>away</show></presence>";
	struct dp_sock *a, *b;
	struct dp_h *h = two_bound(&a, &b);
	struct sb_xc_conn *xa;

	(void)state;
	xa = h->xw->xtab[h->xw->bound.head];
	/* alice's session is already going (a reset posted, not yet run):
	 * the fan-out skips her and writes bob's copy. */
	xa->flags |= SB_XC_F_CLOSING;
	sb_conn_abort(h->gw, xa->conn);
	assert_non_null(xa->conn);
	fan_out(h, bytes);
	dp_run(h);
	assert_true(a->closed);
	assert_true(dp_sock_saw(b, "<presence to='bob@switchboard.test/r'><show>away"));
	assert_false(dp_sock_saw(a, "<show>away"));
	dp_free(h);
}

/* Below the worker's mbuf reserve a fan-out writes no copy and resets no
 * reader: it waits on the link (sb_msg_link_defer), and what its shard
 * sent after it waits behind it, so that once mbufs are back both go out
 * in order: a contact never sees a resource's presence overtaken by its
 * next one. */
static void test_fan_out_below_reserve_waits(void **state)
{
	static struct rte_mbuf *held[MBUFS_MAX];
	struct dp_sock *a, *b;
	struct dp_h *h = two_bound(&a, &b);
	unsigned n_held;
	const char *dnd, *chat;

	(void)state;
	/* As sb-dataplane sets it (dataplane/main.c); the harness has none. */
	h->gw->mbuf_reserve = h->cfg.dataplane_mbufs_per_worker / 4;
	n_held = take_mbufs(h, held);
	fan_out(h, "<presence><show>dnd</show></presence>");
	fan_out(h, "<presence><show>chat</show></presence>");
	assert_true(DP_CTR(h, xmpp_multi_deferred) >= 1);
	assert_true(sb_msg_link_deferred(&h->gw->link));
	assert_int_equal(DP_CTR(h, xmpp_multi_skipped), 0);
	assert_int_equal(DP_CTR(h, xmpp_slow_reader), 0);
	assert_false(dp_sock_saw(b, "dnd"));
	assert_true(h->gw->mbufs_low); /* the worker polls no more deliveries */
	for (unsigned i = 0; i < n_held; i++)
		rte_pktmbuf_free(held[i]);
	/* The worker's recount, then its next poll (dataplane/worker.c). */
	h->gw->mbufs_low = false;
	assert_int_equal(sb_ctl_link_poll(h->gw, 0), 2);
	dp_run(h);
	assert_false(a->closed);
	assert_false(b->closed);
	assert_false(sb_msg_link_deferred(&h->gw->link));
	dnd = memmem(b->rx, b->rx_len, "<presence to='bob@switchboard.test/r'><show>dnd", 47);
	chat = memmem(b->rx, b->rx_len, "<presence to='bob@switchboard.test/r'><show>chat", 48);
	assert_non_null(dnd);
	assert_non_null(chat);
	assert_true(dnd < chat);
	assert_true(dp_sock_saw(a, "<presence to='alice@switchboard.test/r'><show>dnd"));
	assert_int_equal(DP_CTR(h, xmpp_multi_skipped), 0);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fan_out_write_resets),
		cmocka_unit_test(test_fan_out_second_recipient_served),
		cmocka_unit_test(test_fan_out_below_reserve_waits),
	};

	dp_eal_init("dp_write_reset");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
