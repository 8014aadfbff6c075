/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/jid: RFC 7622 §3.5 examples, PRECIS case and width mapping, domain
 * rules, length limits, formatting and the stability of the shard hash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jid.h"

static struct sb_jid jid_a, jid_b; /* 3 KB each: keep them off the test stack */

static int parse_s(struct sb_jid *j, const char *s, enum sb_jid_reason *why)
{
	return sb_jid_parse_why(j, s, strlen(s), why);
}

static void expect_ok(const char *in, const char *norm)
{
	enum sb_jid_reason why = SB_JID_REASON_MAX;
	int rc = parse_s(&jid_a, in, &why);

	if (rc != 0)
		fail_msg("'%s' refused: %d %s", in, rc, sb_jid_reason_str(why));
	assert_int_equal(why, SB_JID_OK);
	assert_string_equal(jid_a.buf, norm);
	assert_int_equal(jid_a.full_len, strlen(norm));
}

static void expect_bad(const char *in, size_t len, int err, enum sb_jid_reason reason)
{
	enum sb_jid_reason why = SB_JID_OK;
	int rc = sb_jid_parse_why(&jid_a, in, len, &why);

	if (rc != err || why != reason)
		fail_msg("'%s': got %d %s, want %d %s", in, rc, sb_jid_reason_str(why), err,
			 sb_jid_reason_str(reason));
}

static void expect_bad_s(const char *in, int err, enum sb_jid_reason reason)
{
	expect_bad(in, strlen(in), err, reason);
}

/* RFC 7622 §3.5.1 */
static void test_rfc7622_valid(void **state)
{
	(void)state;
	expect_ok("juliet@example.com", "juliet@example.com");
	expect_ok("juliet@example.com/foo", "juliet@example.com/foo");
	expect_ok("juliet@example.com/foo bar", "juliet@example.com/foo bar");
	expect_ok("juliet@example.com/foo@bar", "juliet@example.com/foo@bar");
	expect_ok("foo\\20bar@example.com", "foo\\20bar@example.com");
	expect_ok("fussball@example.com", "fussball@example.com");
	expect_ok("fu\xc3\x9f" "ball@example.com", "fu\xc3\x9f" "ball@example.com");
	expect_ok("\xcf\x80@example.com", "\xcf\x80@example.com");               /* π */
	expect_ok("\xce\xa3@example.com/foo", "\xcf\x83@example.com/foo");       /* Σ -> σ */
	expect_ok("\xcf\x83@example.com/foo", "\xcf\x83@example.com/foo");       /* σ */
	expect_ok("\xcf\x82@example.com/foo", "\xcf\x82@example.com/foo");       /* ς */
	expect_ok("king@example.com/\xe2\x99\x9a", "king@example.com/\xe2\x99\x9a"); /* ♚ */
	expect_ok("example.com", "example.com");
	expect_ok("example.com/foobar", "example.com/foobar");
	expect_ok("a.example.com/b@example.net", "a.example.com/b@example.net");
	assert_int_equal(jid_a.local_len, 0);
	assert_int_equal(jid_a.domain_len, strlen("a.example.com"));
	assert_int_equal(jid_a.resource_len, strlen("b@example.net"));
}

/* RFC 7622 §3.5.2 */
static void test_rfc7622_invalid(void **state)
{
	(void)state;
	expect_bad_s("\"juliet\"@example.com", -EILSEQ, SB_JID_LOCAL_FORBIDDEN);
	expect_bad_s("foo bar@example.com", -EILSEQ, SB_JID_LOCAL_FORBIDDEN);
	expect_bad_s("juliet@example.com/", -EINVAL, SB_JID_EMPTY_RESOURCE);
	expect_bad_s("@example.com/", -EINVAL, SB_JID_EMPTY_LOCAL);
	expect_bad_s("henri\xe2\x85\xa3@example.com", -EILSEQ, SB_JID_LOCAL_DISALLOWED); /* Ⅳ */
	expect_bad_s("\xe2\x99\x9a@example.com", -EILSEQ, SB_JID_LOCAL_DISALLOWED);      /* ♚ */
	expect_bad_s("juliet@", -EINVAL, SB_JID_EMPTY_DOMAIN);
	expect_bad_s("/foobar", -EINVAL, SB_JID_EMPTY_DOMAIN);
	expect_bad_s("", -EINVAL, SB_JID_EMPTY_DOMAIN);
}

static void test_forbidden_local_chars(void **state)
{
	const char *bad = "\"&':<>";
	char in[32];

	(void)state;
	for (const char *c = bad; *c; c++) {
		snprintf(in, sizeof(in), "a%cb@example.com", *c);
		expect_bad_s(in, -EILSEQ, SB_JID_LOCAL_FORBIDDEN);
	}
	expect_bad_s("a\tb@example.com", -EILSEQ, SB_JID_LOCAL_DISALLOWED);
	expect_bad("a\0b@example.com", 15, -EILSEQ, SB_JID_LOCAL_DISALLOWED);
	/* FULLWIDTH COMMERCIAL AT maps to '@' after the split: still forbidden. */
	expect_bad_s("a\xef\xbc\xa0" "b@example.com", -EILSEQ, SB_JID_LOCAL_FORBIDDEN);
	expect_bad_s("a@b@example.com", -EINVAL, SB_JID_DOMAIN_LABEL);
}

static void test_case_and_width_mapping(void **state)
{
	(void)state;
	expect_ok("Juliet@Example.COM/Balcony", "juliet@example.com/Balcony");
	expect_ok("\xef\xbc\xaa\xef\xbd\x95liet@example.com", "juliet@example.com"); /* Ｊｕ */
	expect_ok("\xc3\x89milie@example.com", "\xc3\xa9milie@example.com");         /* É -> é */
	/* NFC: e + COMBINING ACUTE composes in both localpart and resourcepart. */
	expect_ok("e\xcc\x81@example.com/e\xcc\x81", "\xc3\xa9@example.com/\xc3\xa9");
	/* Resourcepart is not case-mapped, but NO-BREAK SPACE becomes a space. */
	expect_ok("a@example.com/Caf\xc3\xa9\xc2\xa0X", "a@example.com/Caf\xc3\xa9 X");
	/* Fullwidth in a resourcepart is kept (OpaqueString does no width map). */
	expect_ok("a@example.com/\xef\xbc\xa1", "a@example.com/\xef\xbc\xa1");
}

/* RFC 8265 §3.3.2 uses toLowerCase, not case folding: ß and ς stay, a
 * final capital sigma becomes ς in context; compatibility characters are
 * refused in a localpart (HasCompat) and kept in a resourcepart. */
static void test_lowercase_not_fold(void **state)
{
	(void)state;
	expect_ok("STRA\xc3\x9f" "E@example.com", "stra\xc3\x9f" "e@example.com");
	expect_ok("\xce\xa3\xce\x91\xce\xa3@example.com", "\xcf\x83\xce\xb1\xcf\x82@example.com");
	expect_ok("\xed\x95\x9c\xea\xb5\xad@example.com", "\xed\x95\x9c\xea\xb5\xad@example.com");
	expect_bad_s("\xef\xac\x81@example.com", -EILSEQ, SB_JID_LOCAL_DISALLOWED);   /* ﬁ */
	expect_bad_s("a\xc2\xb7" "b@example.com", -EILSEQ, SB_JID_LOCAL_DISALLOWED); /* CONTEXTO */
	expect_ok("a@example.com/\xef\xac\x81", "a@example.com/\xef\xac\x81");
	expect_ok("a@example.com/c/d@e", "a@example.com/c/d@e");
	assert_int_equal(jid_a.resource_len, 5);
}

static void test_bidi_rule(void **state)
{
	(void)state;
	expect_ok("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d@example.com",
		  "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d@example.com"); /* Hebrew */
	expect_bad_s("a\xd7\xa9@example.com", -EILSEQ, SB_JID_LOCAL_DISALLOWED);
}

static void test_bad_utf8_and_controls(void **state)
{
	(void)state;
	expect_bad_s("\xc3(@example.com", -EILSEQ, SB_JID_BAD_UTF8);
	expect_bad_s("\xc0\xaf@example.com", -EILSEQ, SB_JID_BAD_UTF8);     /* overlong '/' */
	expect_bad_s("\xed\xa0\x80@example.com", -EILSEQ, SB_JID_BAD_UTF8); /* surrogate */
	expect_bad_s("a@example.com/\xff", -EILSEQ, SB_JID_BAD_UTF8);
	expect_bad_s("a@example.com/x\x01", -EILSEQ, SB_JID_RESOURCE_DISALLOWED);
	expect_bad_s("a@example.com/x\xc2\x85", -EILSEQ, SB_JID_RESOURCE_DISALLOWED); /* NEL */
	expect_bad_s("a\xe2\x80\x8d@example.com", -EILSEQ, SB_JID_LOCAL_DISALLOWED);  /* ZWJ */
}

static void test_domain_rules(void **state)
{
	(void)state;
	expect_ok("user@example.com.", "user@example.com");
	expect_ok("example.com./r", "example.com/r");
	expect_bad_s("user@example.com..", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_bad_s("user@.", -EINVAL, SB_JID_EMPTY_DOMAIN);
	expect_bad_s("user@a..b", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_bad_s("user@.a", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_bad_s("user@-a.com", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_bad_s("user@a-.com", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_bad_s("user@a_b.com", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_bad_s("user@ab--cd.com", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_bad_s("user@a b.com", -EINVAL, SB_JID_DOMAIN_LABEL);
	expect_ok("user@a-b.c0m", "user@a-b.c0m");
	expect_ok("user@192.0.2.1", "user@192.0.2.1");
	expect_ok("user@[2001:DB8:0::0:1]/r", "user@[2001:db8::1]/r");
	expect_ok("[::1]", "[::1]");
	expect_bad_s("user@[zz]", -EINVAL, SB_JID_IP_LITERAL);
	expect_bad_s("user@[::1", -EINVAL, SB_JID_IP_LITERAL);
	expect_bad_s("user@[192.0.2.1]x", -EINVAL, SB_JID_IP_LITERAL);
}

static void test_label_length(void **state)
{
	char in[128];

	(void)state;
	memset(in, 'a', 63);
	memcpy(in + 63, ".com", 5);
	assert_int_equal(parse_s(&jid_a, in, NULL), 0);
	memset(in, 'a', 64);
	memcpy(in + 64, ".com", 5);
	expect_bad_s(in, -EINVAL, SB_JID_DOMAIN_LABEL);
}

static void test_idna(void **state)
{
	(void)state;
	expect_ok("juliet@B\xc3\xbc" "cher.Example", "juliet@b\xc3\xbc" "cher.example");
	expect_ok("juliet@xn--bcher-kva.example", "juliet@b\xc3\xbc" "cher.example");
	expect_ok("juliet@XN--BCHER-KVA.example/r", "juliet@b\xc3\xbc" "cher.example/r");
	assert_int_equal(parse_s(&jid_b, "JULIET@B\xc3\x9c" "CHER.EXAMPLE", NULL), 0);
	assert_true(sb_jid_bare_eq(&jid_a, &jid_b));
	expect_bad_s("juliet@xn--zz-zz.com", -EINVAL, SB_JID_DOMAIN_IDNA);
	expect_bad_s("juliet@\xe2\x99\x9a.example", -EINVAL, SB_JID_DOMAIN_IDNA);
	expect_bad_s("juliet@b\xc3\xbc_cher.example", -EINVAL, SB_JID_DOMAIN_IDNA);
}

static void fill_part(char *dst, size_t n, char c)
{
	memset(dst, c, n);
}

static void test_length_limits(void **state)
{
	static char in[SB_JID_FULL_MAX + 64];
	size_t n;

	(void)state;
	/* 1023-octet localpart and resourcepart are the maximum (§3.1). */
	fill_part(in, 1023, 'U');
	memcpy(in + 1023, "@example.com/", 13);
	fill_part(in + 1036, 1023, 'r');
	assert_int_equal(sb_jid_parse(&jid_a, in, 1036 + 1023), 0);
	assert_int_equal(jid_a.local_len, 1023);
	assert_int_equal(jid_a.resource_len, 1023);
	assert_int_equal(jid_a.buf[0], 'u');
	expect_bad(in, 1036 + 1024, -ENAMETOOLONG, SB_JID_RESOURCE_TOO_LONG);

	fill_part(in, 1024, 'u');
	memcpy(in + 1024, "@example.com", 12);
	expect_bad(in, 1036, -ENAMETOOLONG, SB_JID_LOCAL_TOO_LONG);

	/* A 1023-octet domain of 63-octet labels; one more octet is too long. */
	n = 0;
	while (n + 64 <= 1023) {
		fill_part(in + n, 63, 'd');
		in[n + 63] = '.';
		n += 64;
	}
	fill_part(in + n, 1023 - n, 'e');
	assert_int_equal(sb_jid_parse(&jid_a, in, 1023), 0);
	assert_int_equal(jid_a.domain_len, 1023);
	in[1023] = 'e';
	expect_bad(in, 1024, -ENAMETOOLONG, SB_JID_DOMAIN_TOO_LONG);
	/* ...unless the 1024th octet is the final dot, which is stripped. */
	in[1023] = '.';
	assert_int_equal(sb_jid_parse(&jid_a, in, 1024), 0);

	/* The maximum full JID fits with its terminator. */
	fill_part(in, 1023, 'l');
	in[1023] = '@';
	memcpy(in + 1024, jid_a.buf, 1023);
	in[2047] = '/';
	fill_part(in + 2048, 1023, 'r');
	assert_int_equal(sb_jid_parse(&jid_a, in, SB_JID_FULL_MAX), 0);
	assert_int_equal(jid_a.full_len, SB_JID_FULL_MAX);
	assert_int_equal(strlen(jid_a.buf), SB_JID_FULL_MAX);
}

static void test_format_and_eq(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(parse_s(&jid_a, "Romeo@Example.net/Orchard", NULL), 0);
	assert_int_equal(parse_s(&jid_b, "romeo@example.NET/balcony", NULL), 0);
	assert_true(sb_jid_bare_eq(&jid_a, &jid_b));
	assert_false(sb_jid_full_eq(&jid_a, &jid_b));
	assert_int_equal(sb_jid_format(&jid_a, true, buf, sizeof(buf)), 17);
	assert_string_equal(buf, "romeo@example.net");
	assert_int_equal(sb_jid_format(&jid_a, false, buf, sizeof(buf)), 25);
	assert_string_equal(buf, "romeo@example.net/Orchard");
	assert_int_equal(sb_jid_format(&jid_a, false, buf, 6), 25); /* truncated */
	assert_string_equal(buf, "romeo");
	assert_memory_equal(sb_jid_domain(&jid_a), "example.net", 11);
	assert_memory_equal(sb_jid_resource(&jid_a), "Orchard", 7);

	assert_int_equal(parse_s(&jid_b, "example.net", NULL), 0);
	assert_false(sb_jid_bare_eq(&jid_a, &jid_b));
	assert_int_equal(sb_jid_format(&jid_b, true, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "example.net");
}

static void test_local_normalise(void **state)
{
	char out[16];
	size_t n = 0;
	enum sb_jid_reason why;

	(void)state;
	assert_int_equal(sb_jid_local_normalise("JuLiet", 6, out, sizeof(out), &n, &why), 0);
	assert_int_equal(n, 6);
	assert_string_equal(out, "juliet");
	assert_int_equal(sb_jid_local_normalise("a:b", 3, out, sizeof(out), &n, &why), -EILSEQ);
	assert_int_equal(why, SB_JID_LOCAL_FORBIDDEN);
	assert_int_equal(sb_jid_local_normalise("", 0, out, sizeof(out), &n, &why), -EINVAL);
	assert_int_equal(why, SB_JID_EMPTY_LOCAL);
	assert_int_equal(sb_jid_local_normalise("abcdefghijklmnop", 16, out, sizeof(out), &n,
						&why), -ENOSPC);
}

/* Reference vectors from the SipHash paper (Appendix A): key 00..0f,
 * messages 00..(n-1). */
static void test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(sb_jid_siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	assert_int_equal(sb_jid_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
}

static void test_bare_hash_stable(void **state)
{
	uint64_t h;

	(void)state;
	assert_int_equal(parse_s(&jid_a, "juliet@example.com", NULL), 0);
	h = sb_jid_bare_hash(&jid_a);
	/* Case variants, a trailing dot and any resource hash the same. */
	assert_int_equal(parse_s(&jid_b, "JULIET@Example.Com./phone", NULL), 0);
	assert_int_equal(sb_jid_bare_hash(&jid_b), h);
	assert_int_equal(parse_s(&jid_b, "\xef\xbc\xaa" "uliet@EXAMPLE.com", NULL), 0);
	assert_int_equal(sb_jid_bare_hash(&jid_b), h);
	assert_int_equal(parse_s(&jid_b, "romeo@example.com", NULL), 0);
	assert_int_not_equal(sb_jid_bare_hash(&jid_b), h);
	/* Pinned (computed by an independent SipHash implementation): a change of
	 * key or algorithm would move users between shards. */
	assert_int_equal(h, 0x152acf3b6cca0fc7ULL);
	/* The text form gives the same placement as the parsed form. */
	assert_int_equal(sb_jid_bare_hash_str("juliet@example.com", 18), h);
	assert_int_not_equal(sb_jid_bare_hash_str("juliet@example.co", 17), h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7622_valid),
		cmocka_unit_test(test_rfc7622_invalid),
		cmocka_unit_test(test_forbidden_local_chars),
		cmocka_unit_test(test_case_and_width_mapping),
		cmocka_unit_test(test_lowercase_not_fold),
		cmocka_unit_test(test_bidi_rule),
		cmocka_unit_test(test_bad_utf8_and_controls),
		cmocka_unit_test(test_domain_rules),
		cmocka_unit_test(test_label_length),
		cmocka_unit_test(test_idna),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_format_and_eq),
		cmocka_unit_test(test_local_normalise),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_bare_hash_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
