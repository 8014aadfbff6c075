/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Unit test of sb-loadgen's SCRAM-SHA-1 client (lg_xsasl.c): the RFC 5802
 * §5 example exchange byte for byte, the per-user key cache (PBKDF2 once per
 * salt and count, again when either changes), and what it must refuse: a
 * server nonce that does not extend ours, a malformed server-first-message,
 * and a wrong or malformed server signature.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lg_xsasl.h"

/* RFC 5802 §5 */
#define CNONCE "fyko+d2lbbFgONRv9qkxdawL"
#define SFM "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
#define CFM "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define SFINAL "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

static int lg_final(struct sb_lg_scram_user *u, const char *sfm, char *out, size_t cap,
		    uint8_t ssig[20], bool *ran)
{
	return sb_lg_scram_final(u, "user", "pencil", CNONCE, sfm, strlen(sfm), out, cap, ssig,
				 ran);
}

static void test_rfc5802_example(void **state)
{
	struct sb_lg_scram_user u = { 0 };
	char first[128], final[256];
	uint8_t ssig[20];
	bool ran = false;
	int n;

	(void)state;
	n = sb_lg_scram_first(first, sizeof(first), "user", CNONCE);
	assert_int_equal(n, strlen("n,,n=user,r=" CNONCE));
	assert_string_equal(first, "n,,n=user,r=" CNONCE);
	n = lg_final(&u, SFM, final, sizeof(final), ssig, &ran);
	assert_int_equal(n, strlen(CFM));
	assert_string_equal(final, CFM);
	assert_true(ran);
	assert_true(sb_lg_scram_verify(ssig, SFINAL, strlen(SFINAL)));
}

static void test_cache(void **state)
{
	static const char other_salt[] =
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf93,i=4096";
	static const char other_iter[] =
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4097";
	struct sb_lg_scram_user u = { 0 };
	char a[256], b[256];
	uint8_t ssig[20];
	bool ran = false;

	(void)state;
	assert_true(lg_final(&u, SFM, a, sizeof(a), ssig, &ran) > 0);
	assert_true(ran);
	assert_true(lg_final(&u, SFM, b, sizeof(b), ssig, &ran) > 0);
	assert_false(ran);
	assert_string_equal(a, b);
	assert_true(sb_lg_scram_verify(ssig, SFINAL, strlen(SFINAL)));
	assert_true(lg_final(&u, other_salt, b, sizeof(b), ssig, &ran) > 0);
	assert_true(ran);
	assert_string_not_equal(a, b);
	assert_true(lg_final(&u, other_iter, b, sizeof(b), ssig, &ran) > 0);
	assert_true(ran);
	assert_true(lg_final(&u, other_iter, b, sizeof(b), ssig, &ran) > 0);
	assert_false(ran);
}

static void test_refused(void **state)
{
	struct sb_lg_scram_user u = { 0 };
	char out[256];
	uint8_t ssig[20];
	bool ran = false;

	(void)state;
	/* The server's nonce must start with ours and add to it. */
	assert_int_equal(lg_final(&u, "r=XXXX+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
				  out, sizeof(out), ssig, &ran), -EPROTO);
	assert_int_equal(lg_final(&u, "r=" CNONCE ",s=QSXCR+Q6sek8bf92,i=4096", out, sizeof(out),
				  ssig, &ran), -EPROTO);
	assert_false(ran);
	assert_int_equal(lg_final(&u, "s=QSXCR+Q6sek8bf92,i=4096", out, sizeof(out), ssig, &ran),
			 -EINVAL);
	assert_int_equal(lg_final(&u, "r=" CNONCE "x,s=QSXCR+Q6sek8bf92,i=0", out, sizeof(out),
				  ssig, &ran), -EINVAL);
	assert_int_equal(lg_final(&u, "r=" CNONCE "x,s=QSXCR+Q6sek8bf92", out, sizeof(out), ssig,
				  &ran), -EINVAL);
	assert_int_equal(lg_final(&u, "r=" CNONCE "x,s=!!!!,i=4096", out, sizeof(out), ssig, &ran),
			 -EINVAL);
	/* Output too small for client-final-message. */
	assert_int_equal(lg_final(&u, SFM, out, 16, ssig, &ran), -E2BIG);
	/* The server's proof. */
	assert_true(lg_final(&u, SFM, out, sizeof(out), ssig, &ran) > 0);
	assert_false(sb_lg_scram_verify(ssig, "v=rmF9pqV8S7suAoZWja4dJRkFsKR=", 30));
	assert_false(sb_lg_scram_verify(ssig, "e=invalid-proof", 15));
	assert_false(sb_lg_scram_verify(ssig, "v=", 2));
	assert_false(sb_lg_scram_verify(ssig, SFINAL, strlen(SFINAL) - 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5802_example),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
