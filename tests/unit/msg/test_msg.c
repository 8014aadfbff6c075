/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/msg: the ring message header, encoded and checked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"

static _Alignas(64) uint8_t obj[SB_MSG_OBJ_SIZE];

static void test_encode_decode_roundtrip(void **state)
{
	struct sb_msg *m = (struct sb_msg *)obj;

	(void)state;
	memset(obj, 0xa5, sizeof(obj));
	assert_int_equal(sb_msg_encode(m, SB_MSG_HEARTBEAT, 1, 2, 0, 77, 123456789), 0);
	assert_int_equal(m->magic, SB_MSG_MAGIC);
	assert_int_equal(m->version, SB_MSG_VERSION);
	assert_int_equal(m->kind, SB_MSG_HEARTBEAT);
	assert_int_equal(m->owner, SB_MSG_OWNER_DATAPLANE);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->worker, 1);
	assert_int_equal(m->shard, 2);
	assert_int_equal(m->seq, 77);
	assert_int_equal(m->t0_tsc, 123456789);
	assert_int_equal(sb_msg_decode(m, 2, 3), SB_MSG_OK);
}

static void test_encode_rejects(void **state)
{
	struct sb_msg *m = (struct sb_msg *)obj;

	(void)state;
	assert_int_equal(sb_msg_encode(m, 0, 0, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sb_msg_encode(m, SB_MSG_KIND_MAX, 0, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sb_msg_encode(m, SB_MSG_HEARTBEAT, 0, 0, SB_MSG_PAYLOAD_MAX + 1, 0, 0),
			 -EINVAL);
	assert_int_equal(sb_msg_encode(m, SB_MSG_HEARTBEAT, 0, 0, SB_MSG_PAYLOAD_MAX, 0, 0), 0);
}

static void test_decode_each_fault(void **state)
{
	struct sb_msg *m = (struct sb_msg *)obj;

	(void)state;
	assert_int_equal(sb_msg_encode(m, SB_MSG_HEARTBEAT, 0, 0, 0, 1, 1), 0);
	m->magic ^= 1;
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_BAD_MAGIC);
	m->magic ^= 1;
	m->version = 9;
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_BAD_VERSION);
	m->version = SB_MSG_VERSION;
	m->kind = SB_MSG_KIND_MAX;
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_BAD_KIND);
	m->kind = 0;
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_BAD_KIND);
	m->kind = SB_MSG_HEARTBEAT;
	m->len = SB_MSG_PAYLOAD_MAX + 1;
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_BAD_LEN);
	m->len = 0;
	m->worker = 1;
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_BAD_INDEX);
	m->worker = 0;
	m->shard = 4;
	assert_int_equal(sb_msg_decode(m, 1, 4), SB_MSG_BAD_INDEX);
	assert_int_equal(sb_msg_decode(m, 1, 5), SB_MSG_OK);
}

static struct sb_msg *chain_alloc(void *arg)
{
	uint8_t (*objs)[SB_MSG_OBJ_SIZE] = arg;
	static unsigned used;

	if (used == 8)
		return NULL;
	return (struct sb_msg *)objs[used++];
}

static unsigned chain_freed;

static void chain_free(void *arg, struct sb_msg *m)
{
	(void)arg;
	assert_int_equal(m->owner, SB_MSG_OWNER_FREE);
	chain_freed++;
}

static _Alignas(64) uint8_t pool[8][SB_MSG_OBJ_SIZE];

static void test_chain_append_read_free(void **state)
{
	struct sb_msg *m = (struct sb_msg *)obj;
	const struct sb_msg_pool_ops ops = { chain_alloc, chain_free, pool };
	static uint8_t big[3 * SB_MSG_PAYLOAD_MAX + 100], back[sizeof(big)];
	unsigned n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(sb_msg_encode(m, SB_MSG_STANZA, 0, 0, 0, 9, 9), 0);
	assert_int_equal(sb_msg_append(m, big, 10, &ops), 0);
	assert_int_equal(sb_msg_append(m, big + 10, sizeof(big) - 10, &ops), 0);
	assert_int_equal(m->total_len, sizeof(big));
	for (struct sb_msg *c = m; c != NULL; c = c->next)
		n++;
	assert_int_equal(n, 4);
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_OK);
	assert_int_equal(sb_msg_read(m, 0, back, sizeof(back)), sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	/* a read across an object boundary, and one past the end */
	assert_int_equal(sb_msg_read(m, SB_MSG_PAYLOAD_MAX - 5, back, 10), 10);
	assert_memory_equal(back, big + SB_MSG_PAYLOAD_MAX - 5, 10);
	assert_int_equal(sb_msg_read(m, sizeof(big) - 4, back, 10), 4);
	sb_msg_set_owner(m, SB_MSG_OWNER_RING);
	assert_int_equal(m->next->next->owner, SB_MSG_OWNER_RING);
	/* the pool runs dry: -ENOBUFS, what was appended stays */
	assert_int_equal(sb_msg_append(m, big, sizeof(big), &ops), 0);
	assert_int_equal(sb_msg_append(m, big, sizeof(big), &ops), -ENOBUFS);
	assert_true(m->total_len > 2 * sizeof(big));
	chain_freed = 0;
	sb_msg_free_chain(m->next, &ops);
	assert_true(chain_freed >= 3);
}

/* A DELIVER_MULTI: header, targets, then a DELIVER's payload without to. */
static void multi_build(struct sb_msg *m, uint32_t n, uint32_t to_off, uint16_t to_len)
{
	const struct sb_msg_pool_ops ops = { chain_alloc, chain_free, pool };
	struct sb_msg_multi mh = { .n = n, .to_off = to_off };
	struct sb_msg_stanza st = { .kind = SB_STANZA_PRESENCE, .to_len = to_len,
				    .from_len = 5, .from_bare_len = 3, .bytes_len = 11 };

	assert_int_equal(sb_msg_encode(m, SB_MSG_DELIVER_MULTI, 0, 0, 0, 0, 0), 0);
	assert_int_equal(sb_msg_append(m, &mh, sizeof(mh), &ops), 0);
	for (uint32_t i = 0; i < n; i++) {
		struct sb_msg_target t = { .conn = i, .conn_gen = 7 };

		assert_int_equal(sb_msg_append(m, &t, sizeof(t), &ops), 0);
	}
	assert_int_equal(sb_msg_append(m, &st, sizeof(st), &ops), 0);
	assert_int_equal(sb_msg_append(m, "ab@x/r", 5u + to_len, &ops), 0);
	assert_int_equal(sb_msg_append(m, "<presence/>", 11, &ops), 0);
}

static void test_multi_read(void **state)
{
	struct sb_msg *m = (struct sb_msg *)obj;
	struct sb_msg_multi mh;
	struct sb_msg_stanza st;
	struct sb_msg_target t;

	(void)state;
	multi_build(m, 3, 9, 0);
	assert_int_equal(sb_msg_multi_read(m, &mh, &st), 0);
	assert_int_equal(mh.n, 3);
	assert_int_equal(mh.to_off, 9);
	assert_int_equal(st.bytes_len, 11);
	sb_msg_read(m, sizeof(mh) + 2 * sizeof(t), &t, sizeof(t));
	assert_int_equal(t.conn, 2);
	assert_int_equal(t.conn_gen, 7);
	multi_build(m, SB_MSG_MULTI_MAX, 0, 0);
	assert_int_equal(sb_msg_multi_read(m, &mh, &st), 0);
	/* no targets, too many, a to, an insertion point past the end */
	multi_build(m, 0, 0, 0);
	assert_int_equal(sb_msg_multi_read(m, &mh, &st), -EINVAL);
	multi_build(m, SB_MSG_MULTI_MAX + 1, 0, 0);
	assert_int_equal(sb_msg_multi_read(m, &mh, &st), -EINVAL);
	multi_build(m, 1, 0, 1);
	assert_int_equal(sb_msg_multi_read(m, &mh, &st), -EINVAL);
	multi_build(m, 1, 12, 0);
	assert_int_equal(sb_msg_multi_read(m, &mh, &st), -EINVAL);
	/* a chain shorter than its header says */
	multi_build(m, 2, 0, 0);
	m->total_len--;
	m->len--;
	assert_int_equal(sb_msg_multi_read(m, &mh, &st), -EINVAL);
}

static void test_total_len_checked(void **state)
{
	struct sb_msg *m = (struct sb_msg *)obj;

	(void)state;
	assert_int_equal(sb_msg_encode(m, SB_MSG_STANZA, 0, 0, 5, 1, 1), 0);
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_OK);
	m->total_len = 6; /* claims a continuation it does not have */
	assert_int_equal(sb_msg_decode(m, 1, 1), SB_MSG_BAD_LEN);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(sb_msg_status_str(SB_MSG_OK), "ok");
	assert_string_equal(sb_msg_status_str(SB_MSG_BAD_INDEX), "bad_index");
	assert_string_equal(sb_msg_status_str(SB_MSG_STATUS_MAX), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_decode_roundtrip),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_each_fault),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_chain_append_read_free),
		cmocka_unit_test(test_total_len_checked),
		cmocka_unit_test(test_multi_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
