/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/msg/msg_link.c's poll: every message of a burst taken off a ring is
 * tagged its new holder's before the first is handled. A control shard
 * killed while it handles the first (control/recover.c finds only what is
 * tagged CONTROL) must leave the others findable: tagged RING off the
 * ring, they were lost, and with them stanzas already acknowledged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "msg_link.h"

#define BURST 3u

static struct sb_msg *ring_q[BURST];
static unsigned ring_n;
static unsigned handled;

static int ring_enqueue(void *arg, unsigned p, struct sb_msg *m)
{
	(void)arg;
	(void)p;
	(void)m;
	return -1;
}

static unsigned ring_dequeue(void *arg, unsigned p, struct sb_msg **out, unsigned n)
{
	unsigned k = 0;

	(void)arg;
	(void)p;
	for (; k < n && k < ring_n; k++)
		out[k] = ring_q[k];
	ring_n = 0;
	return k;
}

static struct sb_msg *pool_alloc(void *arg)
{
	(void)arg;
	return calloc(1, SB_MSG_OBJ_SIZE);
}

static void pool_free(void *arg, struct sb_msg *m)
{
	(void)arg;
	free(m);
}

/* At the first stanza handled, every one of the burst is the shard's. */
static void on_stanza(void *ctx, unsigned p, struct sb_msg *m)
{
	(void)ctx;
	(void)p;
	if (handled++ == 0)
		for (unsigned i = 0; i < BURST; i++)
			assert_int_equal(ring_q[i]->owner, SB_MSG_OWNER_CONTROL);
	(void)m;
}

static void test_burst_tagged_before_handling(void **state)
{
	const struct sb_msg_link_ring ring = { ring_enqueue, ring_dequeue, NULL };
	const struct sb_msg_pool_ops pool = { pool_alloc, pool_free, NULL };
	struct sb_msg_link l;

	(void)state;
	sb_msg_link_init(&l, SB_MSG_OWNER_CONTROL, 0, 1, 1, &ring, &pool);
	assert_int_equal(sb_msg_link_register(&l, SB_MSG_STANZA, on_stanza, NULL), 0);
	for (unsigned i = 0; i < BURST; i++) {
		ring_q[i] = pool_alloc(NULL);
		assert_int_equal(sb_msg_encode(ring_q[i], SB_MSG_STANZA, 0, 0, 0, 0, 0), 0);
		ring_q[i]->owner = SB_MSG_OWNER_RING;
	}
	ring_n = BURST;
	assert_int_equal(sb_msg_link_poll(&l, 0, 64, 0), BURST);
	assert_int_equal(handled, BURST);
	for (unsigned i = 0; i < BURST; i++)
		free(ring_q[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_tagged_before_handling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
