/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0357's pure parts (control/im/push_rec.c): the registration record
 * round trip and its rejection of damaged records, and the body cut that
 * must never split a UTF-8 sequence or a character reference.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "im/push_rec.h"

#define S(x) (const uint8_t *)(x), sizeof(x) - 1

static void test_round_trip(void **state)
{
	const struct sb_push_reg in[3] = {
		{ S("push.example.org"), S("node-1"), S("<x xmlns='jabber:x:data'/>") },
		{ S("push.example.org"), S("node-2"), NULL, 0 },
		{ S("p2.siacs.eu/res"), S("n"), S("<x/>") },
	};
	struct sb_push_reg out[4];
	uint8_t *rec;
	size_t len;

	(void)state;
	assert_int_equal(sb_push_pack(in, 3, &rec, &len), 0);
	assert_int_equal(sb_push_unpack(rec, len, out, 4), 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(out[i].jid_len, in[i].jid_len);
		assert_memory_equal(out[i].jid, in[i].jid, in[i].jid_len);
		assert_int_equal(out[i].node_len, in[i].node_len);
		assert_memory_equal(out[i].node, in[i].node, in[i].node_len);
		assert_int_equal(out[i].form_len, in[i].form_len);
		if (in[i].form_len > 0)
			assert_memory_equal(out[i].form, in[i].form, in[i].form_len);
	}
	/* A lowered im.push_max_devices reads the first ones only. */
	assert_int_equal(sb_push_unpack(rec, len, out, 2), 2);
	/* Every truncation is refused, never read past. */
	for (size_t l = 0; l < len; l++)
		assert_int_equal(sb_push_unpack(rec, l, out, 4), -EBADMSG);
	rec[0] = 2; /* an unknown version */
	assert_int_equal(sb_push_unpack(rec, len, out, 4), -EBADMSG);
	free(rec);
}

static void test_empty_and_limits(void **state)
{
	struct sb_push_reg big = { S("a"), S("b"), NULL, 70000 };
	struct sb_push_reg out[1];
	uint8_t *rec;
	size_t len;

	(void)state;
	assert_int_equal(sb_push_pack(NULL, 0, &rec, &len), 0);
	assert_int_equal(len, 4);
	assert_int_equal(sb_push_unpack(rec, len, out, 1), 0);
	free(rec);
	assert_int_equal(sb_push_pack(&big, 1, &rec, &len), -EINVAL);
	assert_int_equal(sb_push_pack(&big, 256, &rec, &len), -EINVAL);
}

static void test_body_cut(void **state)
{
	/* "é" is 0xC3 0xA9: a cut at 5 would split it (bytes 4 and 5). */
	const char utf[] = "abcd\xC3\xA9xyz";
	const char ref[] = "0123456789ab&amp;cd";
	const char num[] = "hello &#x1F600; there";

	(void)state;
	assert_int_equal(sb_push_body_cut(utf, sizeof(utf) - 1, 100), sizeof(utf) - 1);
	assert_int_equal(sb_push_body_cut(utf, sizeof(utf) - 1, 5), 4);
	assert_int_equal(sb_push_body_cut(utf, sizeof(utf) - 1, 6), 6);
	assert_int_equal(sb_push_body_cut(utf, sizeof(utf) - 1, 4), 4);
	/* Inside "&amp;" (12..16): cut before the '&'. */
	for (size_t m = 13; m <= 16; m++)
		assert_int_equal(sb_push_body_cut(ref, sizeof(ref) - 1, m), 12);
	assert_int_equal(sb_push_body_cut(ref, sizeof(ref) - 1, 17), 17);
	assert_int_equal(sb_push_body_cut(num, sizeof(num) - 1, 10), 6);
	assert_int_equal(sb_push_body_cut(num, sizeof(num) - 1, 15), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_and_limits),
		cmocka_unit_test(test_body_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
