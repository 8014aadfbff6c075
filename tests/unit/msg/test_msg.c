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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
