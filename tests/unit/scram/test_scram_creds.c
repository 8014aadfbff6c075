/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram credentials and encodings: derivation against an independent
 * PBKDF2/HMAC computation, SASLprep (RFC 4013 §3 examples), the storage
 * record round trip and its strict validation, strict base64 (RFC 4648 §10).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "scram.h"

static void test_derive_matches_rfc5802_formulas(void **state)
{
	static const uint8_t salt[] = "NaCl-salt-16byte";
	struct sb_scram_creds c;
	uint8_t salted[32], ck[32], sk[32], stored[32];
	unsigned int n;

	(void)state;
	for (int m = 0; m < SB_SCRAM_MECH_MAX; m++) {
		const EVP_MD *md = m == SB_SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
		int hl = EVP_MD_get_size(md);

		assert_int_equal(sb_scram_credentials_derive((enum sb_scram_mech)m, "pencil", 6,
							     salt, 16, 4096, &c), 0);
		PKCS5_PBKDF2_HMAC("pencil", 6, salt, 16, 4096, md, hl, salted);
		HMAC(md, salted, hl, (const uint8_t *)"Client Key", 10, ck, &n);
		HMAC(md, salted, hl, (const uint8_t *)"Server Key", 10, sk, &n);
		EVP_Digest(ck, (size_t)hl, stored, &n, md, NULL);
		assert_int_equal(c.mech, m);
		assert_int_equal(c.iterations, 4096);
		assert_int_equal(c.salt_len, 16);
		assert_memory_equal(c.salt, salt, 16);
		assert_memory_equal(c.stored_key, stored, (size_t)hl);
		assert_memory_equal(c.server_key, sk, (size_t)hl);
	}
}

static void test_derive_limits(void **state)
{
	struct sb_scram_creds c;
	uint8_t salt[65] = { 1 };

	(void)state;
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA256, "pw", 2, salt, 16, 4095, &c),
			 -EINVAL);
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA256, "pw", 2, salt, 16,
						     SB_SCRAM_ITER_MAX + 1, &c), -EINVAL);
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA256, "pw", 2, salt, 0, 4096, &c),
			 -EINVAL);
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA256, "pw", 2, salt, 65, 4096, &c),
			 -EINVAL);
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_MECH_MAX, "pw", 2, salt, 16, 4096,
						     &c), -EINVAL);
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA256, "", 0, salt, 16, 4096, &c),
			 -EINVAL);
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA256, "a\tb", 3, salt, 16, 4096,
						     &c), -EILSEQ);
}

static void test_new_uses_fresh_salt(void **state)
{
	struct sb_scram_creds a, b;

	(void)state;
	assert_int_equal(sb_scram_credentials_new(SB_SCRAM_SHA256, "pencil", 6, 4096, &a), 0);
	assert_int_equal(sb_scram_credentials_new(SB_SCRAM_SHA256, "pencil", 6, 4096, &b), 0);
	assert_int_equal(a.salt_len, SB_SCRAM_SALT_DEFAULT);
	assert_memory_not_equal(a.salt, b.salt, SB_SCRAM_SALT_DEFAULT);
	assert_memory_not_equal(a.stored_key, b.stored_key, 32);
}

static void prep_ok(const char *in, bool stored, const char *want)
{
	char out[64];
	size_t n = 0;
	int rc = sb_scram_saslprep(in, strlen(in), stored, out, sizeof(out), &n);

	if (rc != 0)
		fail_msg("SASLprep('%s') = %d", in, rc);
	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
}

static void prep_bad(const char *in, int err)
{
	char out[64];
	size_t n = 0;

	assert_int_equal(sb_scram_saslprep(in, strlen(in), true, out, sizeof(out), &n), err);
}

/* RFC 4013 §3 examples, plus the ASCII fast path. */
static void test_saslprep(void **state)
{
	(void)state;
	prep_ok("I\xc2\xadX", true, "IX");          /* SOFT HYPHEN mapped to nothing */
	prep_ok("user", true, "user");
	prep_ok("USER", true, "USER");              /* no case mapping */
	prep_ok("\xc2\xaa", true, "a");             /* FEMININE ORDINAL: NFKC */
	prep_ok("\xe2\x85\xa8", true, "IX");        /* ROMAN NUMERAL NINE: NFKC */
	prep_ok("a\xc2\xa0" "b", true, "a b");      /* NO-BREAK SPACE -> SPACE */
	prep_ok("p@ss w0rd!~", false, "p@ss w0rd!~");
	prep_bad("\x07", -EILSEQ);                  /* prohibited control */
	prep_bad("\xd8\xa7" "1", -EILSEQ);          /* bidi check */
	prep_bad("a\xff", -EILSEQ);                 /* not UTF-8 */
	prep_bad("\xc2\xad", -EINVAL);              /* empty after mapping */
	prep_bad("", -EINVAL);
	/* Unassigned code point U+0221 (in Unicode 3.2): refused when stored only. */
	prep_bad("a\xc8\xa1", -EILSEQ);
	{
		char out[8];
		size_t n;

		assert_int_equal(sb_scram_saslprep("a\xc8\xa1", 3, false, out, sizeof(out), &n), 0);
		assert_int_equal(sb_scram_saslprep("abcdefgh", 8, true, out, sizeof(out), &n),
				 -ENOSPC);
	}
}

static void test_saslprep_equivalent_passwords_derive_equal(void **state)
{
	static const uint8_t salt[8] = "saltsalt";
	struct sb_scram_creds a, b;

	(void)state;
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA1, "I\xc2\xadX", 4, salt, 8, 4096,
						     &a), 0);
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA1, "IX", 2, salt, 8, 4096, &b), 0);
	assert_memory_equal(a.stored_key, b.stored_key, 20);
}

static void test_record_round_trip(void **state)
{
	static const uint8_t salt[20] = "twenty-byte-salt-123";
	struct sb_scram_creds c, d;
	uint8_t rec[SB_SCRAM_CREDS_RECORD_LEN];

	(void)state;
	assert_int_equal(SB_SCRAM_CREDS_RECORD_LEN, 136);
	for (int m = 0; m < SB_SCRAM_MECH_MAX; m++) {
		assert_int_equal(sb_scram_credentials_derive((enum sb_scram_mech)m, "pencil", 6,
							     salt, 20, 5000, &c), 0);
		sb_scram_credentials_pack(&c, rec);
		assert_int_equal(rec[0], SB_SCRAM_CREDS_VERSION);
		assert_int_equal(rec[4] << 24 | rec[5] << 16 | rec[6] << 8 | rec[7], 5000);
		assert_int_equal(sb_scram_credentials_unpack(&d, rec, sizeof(rec)), 0);
		assert_memory_equal(&c, &d, sizeof(c));
	}
}

static void test_record_rejects(void **state)
{
	static const uint8_t salt[16] = "0123456789abcdef";
	struct sb_scram_creds c, d;
	uint8_t rec[SB_SCRAM_CREDS_RECORD_LEN], bad[SB_SCRAM_CREDS_RECORD_LEN];
	static const struct {
		size_t off;
		uint8_t val;
	} flips[] = {
		{ 0, 2 },                 /* version */
		{ 1, SB_SCRAM_MECH_MAX }, /* mechanism */
		{ 2, 0 },                 /* salt_len 0 */
		{ 2, 65 },                /* salt_len > 64 */
		{ 3, 1 },                 /* reserved byte */
		{ 6, 0 },                 /* iterations 4096 -> 0 */
		{ 8 + 16, 1 },            /* salt padding */
		{ 72 + 20, 1 },           /* SHA-1 StoredKey padding */
		{ 104 + 31, 1 },          /* SHA-1 ServerKey padding */
	};

	(void)state;
	assert_int_equal(sb_scram_credentials_derive(SB_SCRAM_SHA1, "pencil", 6, salt, 16, 4096,
						     &c), 0);
	sb_scram_credentials_pack(&c, rec);
	assert_int_equal(sb_scram_credentials_unpack(&d, rec, sizeof(rec) - 1), -EINVAL);
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, rec, sizeof(rec));
		bad[flips[i].off] = flips[i].val;
		if (sb_scram_credentials_unpack(&d, bad, sizeof(bad)) != -EINVAL)
			fail_msg("flip %zu at offset %zu accepted", i, flips[i].off);
	}
}

static void test_base64(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = {
		"Zg=", "Zh==", "Zm9=", "Z===", "Zm 9v", "Zm9v\n", "=Zm9", "Zg==Zg==", "Zm9v!A==",
		"Zg=a", "Z",
	};
	char enc[16];
	uint8_t dec[16];

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t l = strlen(vec[i][0]);

		assert_int_equal(sb_scram_b64_encode((const uint8_t *)vec[i][0], l, enc,
						     sizeof(enc)), strlen(vec[i][1]));
		assert_string_equal(enc, vec[i][1]);
		assert_int_equal(sb_scram_b64_decode(vec[i][1], strlen(vec[i][1]), dec,
						     sizeof(dec)), l);
		assert_memory_equal(dec, vec[i][0], l);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sb_scram_b64_decode(bad[i], strlen(bad[i]), dec, sizeof(dec)) != -EINVAL)
			fail_msg("'%s' decoded", bad[i]);
	assert_int_equal(sb_scram_b64_encode((const uint8_t *)"foo", 3, enc, 4), -ENOSPC);
	assert_int_equal(sb_scram_b64_decode("Zm9vYmFy", 8, dec, 5), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_matches_rfc5802_formulas),
		cmocka_unit_test(test_derive_limits),
		cmocka_unit_test(test_new_uses_fresh_salt),
		cmocka_unit_test(test_saslprep),
		cmocka_unit_test(test_saslprep_equivalent_passwords_derive_equal),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_record_rejects),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
