/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram PLAIN (RFC 4616): message parsing and limits, the authzid rule,
 * and password checks against stored SCRAM credentials.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scram.h"

#define DOMAIN "example.com"

static enum sb_scram_result parse(const char *msg, size_t len, struct sb_scram_plain *p)
{
	return sb_scram_plain_parse(msg, len, DOMAIN, strlen(DOMAIN), p);
}

static void test_parse_good(void **state)
{
	struct sb_scram_plain p;

	(void)state;
	assert_int_equal(parse("\0User\0pencil", 12, &p), SB_SCRAM_OK);
	assert_string_equal(p.user.name, "user");
	assert_int_equal(p.passwd_len, 6);
	assert_memory_equal(p.passwd, "pencil", 6);
	assert_int_equal(parse("user@EXAMPLE.com\0user\0pencil", 28, &p), SB_SCRAM_OK);
	assert_string_equal(p.user.name, "user");
}

static void test_parse_authzid_mismatch(void **state)
{
	struct sb_scram_plain p;

	(void)state;
	assert_int_equal(parse("admin@example.com\0user\0pencil", 29, &p), SB_SCRAM_ERR_AUTHZID);
	assert_int_equal(parse("user@example.org\0user\0pencil", 28, &p), SB_SCRAM_ERR_AUTHZID);
	assert_int_equal(parse("user@example.com/r\0user\0pencil", 30, &p),
			 SB_SCRAM_ERR_AUTHZID);
	assert_int_equal(parse("user\0user\0pencil", 16, &p), SB_SCRAM_ERR_AUTHZID);
	assert_null(p.passwd);
}

static void test_parse_malformed(void **state)
{
	struct sb_scram_plain p;
	char big[3 * SB_SCRAM_PLAIN_MAX + 8];

	(void)state;
	assert_int_equal(parse("", 0, &p), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(parse("user\0pencil", 11, &p), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(parse("\0user\0", 6, &p), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(parse("\0\0pencil", 8, &p), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(parse("\0user\0pen\0cil", 14, &p), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(parse("\0us:er\0pencil", 13, &p), SB_SCRAM_ERR_USERNAME);
	memset(big, 'a', sizeof(big));
	big[0] = '\0';
	big[5] = '\0';
	assert_int_equal(parse(big, 6 + SB_SCRAM_PLAIN_MAX, &p), SB_SCRAM_OK);
	assert_int_equal(parse(big, 6 + SB_SCRAM_PLAIN_MAX + 1, &p), SB_SCRAM_ERR_TOO_LONG);
	assert_int_equal(parse(big, sizeof(big), &p), SB_SCRAM_ERR_TOO_LONG);
}

static void test_verify(void **state)
{
	static const uint8_t salt[16] = "0123456789abcdef";
	struct sb_scram_creds c;

	(void)state;
	for (int m = 0; m < SB_SCRAM_MECH_MAX; m++) {
		assert_int_equal(sb_scram_credentials_derive((enum sb_scram_mech)m, "pencil", 6,
							     salt, 16, 4096, &c), 0);
		assert_int_equal(sb_scram_plain_verify(&c, "pencil", 6), SB_SCRAM_OK);
		assert_int_equal(sb_scram_plain_verify(&c, "pencil", 5), SB_SCRAM_ERR_PROOF);
		assert_int_equal(sb_scram_plain_verify(&c, "Pencil", 6), SB_SCRAM_ERR_PROOF);
		assert_int_equal(sb_scram_plain_verify(&c, "penc\x01l", 6), SB_SCRAM_ERR_PROOF);
	}
	/* SASLprep applies on both sides: a soft hyphen is invisible. */
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA256, "pen\xc2\xad" "cil", 8, salt,
						     16, 4096, &c), 0);
	assert_int_equal(sb_scram_plain_verify(&c, "pencil", 6), SB_SCRAM_OK);
	c.iterations = 10;
	assert_int_equal(sb_scram_plain_verify(&c, "pencil", 6), SB_SCRAM_ERR_CREDS);
	assert_int_equal(sb_scram_plain_verify(NULL, "pencil", 6), SB_SCRAM_ERR_CREDS);
}

static void test_parse_then_verify(void **state)
{
	static const char msg[] = "\0juliet\0r0m30myr0m30";
	struct sb_scram_creds c;
	struct sb_scram_plain p;

	(void)state;
	assert_int_equal(sb_scram_credentials_new(SB_SCRAM_SHA256, "r0m30myr0m30", 12, 4096, &c),
			 0);
	assert_int_equal(parse(msg, sizeof(msg) - 1, &p), SB_SCRAM_OK);
	assert_int_equal(sb_scram_plain_verify(&c, p.passwd, p.passwd_len), SB_SCRAM_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_authzid_mismatch),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_parse_then_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
