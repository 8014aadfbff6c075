/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dataplane/ring/ctl_link.c on real rings and a real message pool: a send
 * while sb-control is away, a send onto a full ring, heartbeats up and
 * their round trip, sb-control's probe echoed, and a message for another
 * worker refused. Ownership tags are checked at every hand-over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp_harness.h"
#include "ring/ctl_link.h"
#include "worker.h"

static struct sb_msg *new_msg(struct dp_h *h, enum sb_msg_kind kind)
{
	struct sb_msg *m = h->gw->msg_ops.alloc(h->gw->msg_ops.arg);

	assert_non_null(m);
	assert_int_equal(m->owner, SB_MSG_OWNER_DATAPLANE);
	assert_int_equal(sb_msg_encode(m, kind, h->gw->index, 0, 0, 0, 0), 0);
	return m;
}

static void test_send_needs_control(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct sb_msg *m = new_msg(h, SB_MSG_UNBIND);

	(void)state;
	assert_int_equal(sb_ctl_link_send(h->gw, 1, m, 0), -ENOTCONN);
	assert_int_equal(DP_CTR(h, no_control), 1);
	assert_int_equal(m->owner, SB_MSG_OWNER_DATAPLANE);
	assert_int_equal(rte_ring_count(h->up[1]), 0);

	dp_ctl_attach(h, 1);
	assert_int_equal(sb_ctl_link_send(h->gw, 1, m, 0), 0);
	assert_ptr_equal(dp_ctl_take(h), m); /* checks owner RING and shard 1 */
	assert_int_equal(m->worker, h->gw->index);
	dp_msg_free(h, m);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_full_ring(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .ring_size = 8 });
	unsigned cap = rte_ring_get_capacity(h->up[0]), sent = 0;
	struct sb_msg *m;

	(void)state;
	dp_ctl_attach(h, 1);
	for (;;) {
		m = new_msg(h, SB_MSG_UNBIND);
		if (sb_ctl_link_send(h->gw, 0, m, 0) != 0)
			break;
		sent++;
	}
	assert_int_equal(sent, cap);
	/* Refused: still ours, tagged so, counted. */
	assert_int_equal(m->owner, SB_MSG_OWNER_DATAPLANE);
	assert_int_equal(DP_CTR(h, ring_full), 1);
	assert_int_equal(sb_ctl_link_send(h->gw, 0, m, 0), -ENOBUFS);
	assert_int_equal(DP_CTR(h, ring_full), 2);
	/* Room again once sb-control consumed one. */
	dp_msg_free(h, dp_ctl_take(h));
	assert_int_equal(sb_ctl_link_send(h->gw, 0, m, 0), 0);
	assert_int_equal(dp_ctl_drain(h), cap);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_heartbeat_round_trip(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct sb_msg *m = NULL;

	(void)state;
	/* Nobody consumes the rings: no probe goes up. */
	sb_ctl_link_heartbeat(h->gw, 5000);
	assert_int_equal(DP_CTR(h, hb_sent), 0);
	assert_int_equal(DP_CTR(h, no_control), 1);

	dp_ctl_attach(h, 3);
	sb_ctl_link_heartbeat(h->gw, 10000);
	assert_int_equal(DP_CTR(h, hb_sent), DP_SHARDS);
	sb_ctl_link_heartbeat(h->gw, 10500); /* not due yet (interval 1000) */
	assert_int_equal(DP_CTR(h, hb_sent), DP_SHARDS);
	for (unsigned s = 0; s < DP_SHARDS; s++) {
		assert_int_equal(rte_ring_dequeue(h->up[s], (void **)&m), 0);
		assert_int_equal(m->kind, SB_MSG_HEARTBEAT);
		assert_int_equal(m->owner, SB_MSG_OWNER_RING);
		assert_int_equal(m->epoch, 3);
		assert_int_equal(m->t0_tsc, 10000);
		/* sb-control echoes it down: the worker records the round trip. */
		m->flags |= SB_MSG_F_REPLY;
		assert_int_equal(rte_ring_enqueue(h->down[s], m), 0);
	}
	assert_int_equal(sb_ctl_link_poll(h->gw, 10250), DP_SHARDS);
	assert_int_equal(DP_CTR(h, hb_rtt_samples), DP_SHARDS);
	assert_int_equal(h->gw->stats->hb_rtt_tsc[1], 250);
	assert_int_equal(h->gw->stats->hb_last_tsc[0], 10250);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_control_probe_echoed(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct sb_msg *m, *back;

	(void)state;
	dp_ctl_attach(h, 1);
	assert_int_equal(rte_mempool_get(h->msg_pool, (void **)&m), 0);
	sb_msg_encode(m, SB_MSG_HEARTBEAT, h->gw->index, 1, 0, 77, 1234);
	m->flags = SB_MSG_F_FROM_CONTROL;
	m->owner = SB_MSG_OWNER_RING;
	assert_int_equal(rte_ring_enqueue(h->down[1], m), 0);
	assert_int_equal(sb_ctl_link_poll(h->gw, 2000), 1);
	assert_int_equal(DP_CTR(h, hb_echoed), 1);
	back = dp_ctl_take(h);
	assert_ptr_equal(back, m); /* the same object, back up the paired ring */
	assert_true(back->flags & SB_MSG_F_REPLY);
	assert_int_equal(back->seq, 77);
	assert_int_equal(back->t0_tsc, 1234);
	dp_msg_free(h, back);
	dp_free(h);
}

static void test_message_for_another_worker(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct sb_msg *m;

	(void)state;
	assert_int_equal(rte_mempool_get(h->msg_pool, (void **)&m), 0);
	sb_msg_encode(m, SB_MSG_HEARTBEAT, (uint16_t)(h->gw->index + 1), 0, 0, 0, 0);
	m->next = NULL;
	m->flags = SB_MSG_F_FROM_CONTROL;
	assert_int_equal(rte_ring_enqueue(h->down[0], m), 0);
	assert_int_equal(sb_ctl_link_poll(h->gw, 0), 1);
	assert_int_equal(DP_CTR(h, msg_bad), 1);
	assert_int_equal(DP_CTR(h, hb_echoed), 0);
	assert_null(dp_ctl_take(h));
	assert_int_equal(m->owner, SB_MSG_OWNER_FREE);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_needs_control),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_heartbeat_round_trip),
		cmocka_unit_test(test_control_probe_echoed),
		cmocka_unit_test(test_message_for_another_worker),
	};

	dp_eal_init("dp_ctl_link");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
