/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker's half of the flow-controlled offline flush
 * (dataplane/xmpp/xc_flush.c). A DELIVER flagged SB_MSG_F_FLUSH_MORE (the
 * last of a window of stored messages) brings a FLUSH_MORE up to the
 * session's shard, naming the connection and its bound full JID, once it
 * is written to the connection: at once when the send queue takes it,
 * else when it leaves the held list as the reader's ACKs free room; an
 * unflagged DELIVER brings none; one that XEP-0352 keeps back from an
 * inactive client brings it at once. With no message object or no ring room,
 * the FLUSH_MORE is owed and sent on a later turn; a connection reset
 * before the flagged DELIVER was written owes none, and the DELIVER goes
 * back to sb-control unflagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp_harness.h"
#include "ring/ctl_link.h"
#include "jid.h"
#include "worker.h"
#include "xmpp/xc.h"

#define PAD 900u /* bytes of a body: bob's 2 KB window takes two */
#define POOL_MAX 2048u /* at least the harness's message pool */

static struct sb_xc_conn *bound_xc(struct dp_h *h)
{
	assert_int_equal(h->xw->bound.n, 1);
	return h->xw->xtab[h->xw->bound.head];
}

/* DELIVER `bytes` (a chat from alice) for x, as sb-control's shard 0 sends
 * it, with flags. */
static void deliver_bytes(struct dp_h *h, const struct sb_xc_conn *x, const char *bytes,
			  uint8_t flags)
{
	static const char from[] = "alice@switchboard.test/r";
	uint8_t buf[SB_MSG_PAYLOAD_MAX];
	struct sb_msg_stanza st = {
		.kind = SB_STANZA_MESSAGE,
		.type = SB_STYPE_CHAT,
		.from_len = sizeof(from) - 1,
		.from_bare_len = sizeof("alice@switchboard.test") - 1,
		.bytes_len = (uint32_t)strlen(bytes),
	};
	size_t off = sizeof(st) + st.from_len;

	assert_true(off + st.bytes_len <= sizeof(buf));
	memcpy(buf, &st, sizeof(st));
	memcpy(buf + sizeof(st), from, st.from_len);
	memcpy(buf + off, bytes, st.bytes_len);
	dp_ctl_reply_flags(h, 0, SB_MSG_DELIVER, flags, sb_xc_handle(x), x->gen, 0, buf,
			   off + st.bytes_len);
}

/* Stored message number i for x, its body PAD bytes long. */
static void deliver(struct dp_h *h, const struct sb_xc_conn *x, unsigned i, uint8_t flags)
{
	char b[PAD + 64];

	snprintf(b, sizeof(b), "<message type='chat'><body>[%u]%0*u</body></message>", i,
		 (int)PAD, 0);
	deliver_bytes(h, x, b, flags);
}

/* The next message up must be a FLUSH_MORE for x (handle, generation,
 * full JID) on its session's shard. */
static void expect_flush_more(struct dp_h *h, const struct sb_xc_conn *x)
{
	struct sb_msg *m = dp_ctl_take(h);
	struct sb_msg_jid j;
	size_t bare = (size_t)(strchr(x->jid, '/') - x->jid);

	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_FLUSH_MORE);
	assert_int_equal(m->conn, sb_xc_handle(x));
	assert_int_equal(m->conn_gen, x->gen);
	assert_int_equal(m->shard, sb_jid_bare_hash_str(x->jid, bare) % DP_SHARDS);
	assert_true(m->len >= sizeof(j));
	memcpy(&j, m->payload, sizeof(j));
	assert_int_equal(j.len, strlen(x->jid));
	assert_int_equal(j.bare_len, bare);
	assert_int_equal(m->len, sizeof(j) + j.len);
	assert_memory_equal(m->payload + sizeof(j), x->jid, j.len);
	dp_msg_free(h, m);
}

static struct dp_h *bob(struct dp_sock **ret_s, uint32_t rcv_limit)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });

	dp_ctl_attach(h, 1);
	*ret_s = dp_c2s_login(h, "bob");
	(*ret_s)->rcv_limit = rcv_limit;
	return h;
}

static void test_written_at_once(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = bob(&s, 0);
	struct sb_xc_conn *x = bound_xc(h);

	(void)state;
	deliver(h, x, 0, 0);
	deliver(h, x, 1, 0);
	assert_null(dp_ctl_take(h)); /* not the window's end: nothing */
	deliver(h, x, 2, SB_MSG_F_FLUSH_MORE);
	assert_true(dp_sock_saw(s, "<body>[2]"));
	expect_flush_more(h, x);
	assert_null(dp_ctl_take(h));
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 1);
	assert_int_equal(DP_CTR(h, xmpp_flush_more_deferred), 0);
	dp_free(h);
}

static void test_held_then_written(void **state)
{
	enum { K = 50 };
	struct dp_sock *s;
	struct dp_h *h = bob(&s, 2048); /* bob does not read yet */
	struct sb_xc_conn *x = bound_xc(h);

	(void)state;
	for (unsigned i = 0; i < K; i++)
		deliver(h, x, i, i == K - 1 ? SB_MSG_F_FLUSH_MORE : 0);
	assert_non_null(x->held_head);
	/* Held, not written: the next window must not come yet. */
	assert_null(dp_ctl_take(h));
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 0);
	for (unsigned turn = 0; turn < 200 && x->held_head != NULL; turn++) {
		dp_read(h, s, s->held);
		dp_advance(h, 5);
	}
	assert_null(x->held_head);
	expect_flush_more(h, x);
	assert_null(dp_ctl_take(h));
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 1);
	dp_free(h);
}

/* Fill shard's up ring with HEARTBEATs: the worker's next send finds no
 * room. Returns how many. */
static unsigned ring_fill(struct dp_h *h, unsigned shard)
{
	struct sb_msg *m;
	unsigned n = 0;

	while (rte_ring_free_count(h->up[shard]) > 0) {
		assert_int_equal(rte_mempool_get(h->msg_pool, (void **)&m), 0);
		sb_msg_encode(m, SB_MSG_HEARTBEAT, h->gw->index, (uint16_t)shard, 0, 0, 0);
		m->next = NULL;
		m->owner = SB_MSG_OWNER_RING;
		assert_int_equal(rte_ring_sp_enqueue(h->up[shard], m), 0);
		n++;
	}
	return n;
}

static void test_ring_full_deferred(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = bob(&s, 0);
	struct sb_xc_conn *x = bound_xc(h);
	unsigned shard = sb_jid_bare_hash_str(x->jid, (size_t)(strchr(x->jid, '/') - x->jid)) %
			 DP_SHARDS;
	unsigned filled = ring_fill(h, shard);

	(void)state;
	deliver(h, x, 0, SB_MSG_F_FLUSH_MORE);
	assert_true(dp_sock_saw(s, "<body>[0]"));
	assert_int_equal(DP_CTR(h, xmpp_flush_more_deferred), 1);
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 0);
	assert_int_equal(x->flush_owed, 1);
	dp_advance(h, 2); /* still full: still owed */
	assert_int_equal(x->flush_owed, 1);
	assert_true(dp_ctl_drain(h) >= filled);
	dp_advance(h, 1); /* room: sent on the worker's turn */
	expect_flush_more(h, x);
	assert_int_equal(x->flush_owed, 0);
	assert_int_equal(h->xw->flush_wait.n, 0);
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 1);
	dp_free(h);
}

/* Empty the message pool into taken (returns how many), then the window's
 * last DELIVER is written (sb_xc_flush_more called as sb_xc_deliver_write
 * does): the FLUSH_MORE is owed, the flag spent. */
static unsigned owed_on_dry_pool(struct dp_h *h, struct sb_xc_conn *x, void **taken)
{
	struct sb_msg written = { .kind = SB_MSG_DELIVER, .flags = SB_MSG_F_FLUSH_MORE };
	unsigned n = 0;

	sb_ctl_link_stash_release(h->gw);
	while (n < POOL_MAX && rte_mempool_get(h->msg_pool, &taken[n]) == 0)
		n++;
	sb_xc_flush_more(h->xw, x, &written);
	assert_false(written.flags & SB_MSG_F_FLUSH_MORE);
	assert_int_equal(x->flush_owed, 1);
	assert_int_equal(h->xw->flush_wait.n, 1);
	/* A second window's end while one is owed adds nothing. */
	written.flags = SB_MSG_F_FLUSH_MORE;
	sb_xc_flush_more(h->xw, x, &written);
	assert_int_equal(h->xw->flush_wait.n, 1);
	return n;
}

/* No message object for the FLUSH_MORE: owed, and sent on a turn once the
 * pool has room. */
static void test_pool_dry_deferred(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = bob(&s, 0);
	struct sb_xc_conn *x = bound_xc(h);
	void *taken[POOL_MAX];
	unsigned n_taken = owed_on_dry_pool(h, x, taken);

	(void)state;
	assert_int_equal(DP_CTR(h, xmpp_flush_more_deferred), 1);
	dp_advance(h, 2); /* still dry: still owed */
	assert_int_equal(x->flush_owed, 1);
	assert_null(dp_ctl_take(h));
	rte_mempool_put_bulk(h->msg_pool, taken, n_taken);
	dp_advance(h, 1);
	expect_flush_more(h, x);
	assert_null(dp_ctl_take(h));
	assert_int_equal(x->flush_owed, 0);
	assert_int_equal(h->xw->flush_wait.n, 0);
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 1);
	dp_free(h);
}

/* Owed, then the connection closes: nothing is sent, the list is empty. */
static void test_owed_then_closed(void **state)
{
	struct dp_sock *s;
	struct dp_h *h = bob(&s, 0);
	struct sb_xc_conn *x = bound_xc(h);
	void *taken[POOL_MAX];
	unsigned n_taken = owed_on_dry_pool(h, x, taken);
	struct sb_msg *m;

	(void)state;
	rte_mempool_put_bulk(h->msg_pool, taken, n_taken);
	sb_xc_slow_reader(h->xw, x); /* reset before the turn (its close is posted) */
	dp_run(h);
	assert_int_equal(h->xw->flush_wait.n, 0);
	while ((m = dp_ctl_take(h)) != NULL) {
		assert_int_not_equal(m->kind, SB_MSG_FLUSH_MORE);
		dp_msg_free(h, m);
	}
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 0);
	dp_free(h);
}

/* XEP-0352: the window's last message is not urgent (a chat state) and
 * bob is inactive: kept back, maybe for hours, and the next window is not
 * held up by it. */
static void test_csi_kept_back(void **state)
{
	static const char inactive[] = "<inactive xmlns='urn:xmpp:csi:0'/>";
	struct dp_sock *s;
	struct dp_h *h = bob(&s, 0);
	struct sb_xc_conn *x = bound_xc(h);

	(void)state;
	dp_send(h, s, inactive, sizeof(inactive) - 1);
	assert_true(sb_c2s_csi_inactive(&x->c2s));
	deliver_bytes(h, x, "<message type='chat'><composing xmlns="
			    "'http://jabber.org/protocol/chatstates'/></message>",
		      SB_MSG_F_FLUSH_MORE);
	assert_non_null(x->csi);
	assert_false(dp_sock_saw(s, "<composing"));
	expect_flush_more(h, x);
	/* Written later (an urgent one came): nothing more is asked for. */
	deliver(h, x, 1, 0);
	assert_true(dp_sock_saw(s, "<composing"));
	assert_null(dp_ctl_take(h));
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 1);
	dp_free(h);
}

/* Reset before the flagged DELIVER was written: no FLUSH_MORE, and it
 * goes back unflagged behind the UNBIND. */
static void test_reset_before_written(void **state)
{
	enum { K = 50 };
	struct dp_sock *s;
	struct dp_h *h = bob(&s, 2048);
	struct sb_xc_conn *x = bound_xc(h);
	struct sb_msg *m;
	unsigned returned = 0;

	(void)state;
	for (unsigned i = 0; i < K; i++)
		deliver(h, x, i, i == K - 1 ? SB_MSG_F_FLUSH_MORE : 0);
	assert_non_null(x->held_head);
	sb_xc_slow_reader(h->xw, x);
	dp_run(h);
	while ((m = dp_ctl_take(h)) != NULL) {
		assert_int_not_equal(m->kind, SB_MSG_FLUSH_MORE);
		if (m->kind == SB_MSG_STANZA) {
			assert_true(m->flags & SB_MSG_F_RETURNED);
			assert_false(m->flags & SB_MSG_F_FLUSH_MORE);
			returned++;
		}
		dp_msg_free(h, m);
	}
	assert_true(returned > 0);
	assert_int_equal(DP_CTR(h, xmpp_flush_more), 0);
	assert_int_equal(DP_CTR(h, xmpp_flush_more_deferred), 0);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_at_once),
		cmocka_unit_test(test_held_then_written),
		cmocka_unit_test(test_ring_full_deferred),
		cmocka_unit_test(test_pool_dry_deferred),
		cmocka_unit_test(test_owed_then_closed),
		cmocka_unit_test(test_csi_kept_back),
		cmocka_unit_test(test_reset_before_written),
	};

	dp_eal_init("dp_flush");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
