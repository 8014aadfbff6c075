/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Unit test of the XMPP client pieces sb-loadgen and sb-kclient share
 * (lg_xproto.c): a bounce is counted under the condition RFC 6120 §8.3.3
 * names whatever the order of <error/>'s children, anything else falls in
 * "other"; the chat body round-trips its sequence number and stamp and a
 * foreign body is refused; the bound JID is read out of a bind result;
 * a roster result's items are counted, nothing else that starts "<item";
 * elements that do not fit are refused rather than cut.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lg_xproto.h"

#define NS_ST "urn:ietf:params:xml:ns:xmpp-stanzas"

static unsigned cond_of(const char *e)
{
	return sb_lg_xp_cond((const uint8_t *)e, strlen(e));
}

static void test_bounce_condition(void **state)
{
	(void)state;
	/* RFC 6120 §8.3.2: the condition, maybe after a <text/>. */
	assert_string_equal(sb_lg_xp_cond_name[cond_of(
		"<message type='error' from='a@b'><body>1 2</body><error type='wait'>"
		"<resource-constraint xmlns='" NS_ST "'/></error></message>")],
			    "resource-constraint");
	assert_string_equal(sb_lg_xp_cond_name[cond_of(
		"<message type='error'><error type='cancel'><text xmlns='" NS_ST "'>gone</text>"
		"<service-unavailable xmlns='" NS_ST "'/></error></message>")],
			    "service-unavailable");
	/* The body's words are not the error's. */
	assert_string_equal(sb_lg_xp_cond_name[cond_of(
		"<message type='error'><body><conflict/></body><error type='modify'>"
		"<policy-violation xmlns='" NS_ST "'/></error></message>")],
			    "policy-violation");
	assert_int_equal(cond_of("<iq type='error'><error type='cancel'><made-up/></error></iq>"),
			 SB_LG_XP_CONDS - 1);
	assert_int_equal(cond_of("<presence type='error'/>"), SB_LG_XP_CONDS - 1);
}

static void test_chat_round_trip(void **state)
{
	char buf[256];
	uint64_t seq = 0, stamp = 0;
	int n;

	(void)state;
	n = sb_lg_xp_chat(buf, sizeof(buf), "u1", "example.test", 42, 123456789);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "to='u1@example.test'"));
	assert_int_equal(sb_lg_xp_chat_parse((const uint8_t *)buf, (size_t)n, &seq, &stamp), 0);
	assert_int_equal(seq, 42);
	assert_int_equal(stamp, 123456789);
	/* A full JID is used as it is. */
	n = sb_lg_xp_chat(buf, sizeof(buf), "u1@example.test/r1", "example.test", 0, 1);
	assert_non_null(strstr(buf, "to='u1@example.test/r1'"));
	assert_int_equal(sb_lg_xp_chat(buf, 40, "u1", "example.test", 1, 1), -E2BIG);
	/* Not ours: no body, no stamp, text after the numbers. */
	assert_int_equal(sb_lg_xp_chat_parse((const uint8_t *)"<message/>", 10, &seq, &stamp),
			 -EINVAL);
	assert_int_equal(sb_lg_xp_chat_parse((const uint8_t *)"<message><body>7</body></message>",
					     33, &seq, &stamp), -EINVAL);
	assert_int_equal(sb_lg_xp_chat_parse(
		(const uint8_t *)"<message><body>7 9 x</body></message>", 37, &seq, &stamp),
			 -EINVAL);
}

static void test_bound_jid(void **state)
{
	static const char ok[] = "<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:"
				 "ns:xmpp-bind'><jid>u7@example.test/abc</jid></bind></iq>";
	char jid[32], tiny[8];

	(void)state;
	assert_int_equal(sb_lg_xp_bound_jid((const uint8_t *)ok, strlen(ok), jid, sizeof(jid)), 19);
	assert_string_equal(jid, "u7@example.test/abc");
	assert_int_equal(sb_lg_xp_bound_jid((const uint8_t *)ok, strlen(ok), tiny, sizeof(tiny)),
			 -EINVAL);
	assert_int_equal(sb_lg_xp_bound_jid((const uint8_t *)"<iq type='result'/>", 19, jid,
					    sizeof(jid)), -EINVAL);
}

static void test_login_elements(void **state)
{
	char buf[512], cnonce[SB_LG_XP_NONCE_BYTES];
	int n;

	(void)state;
	n = sb_lg_xp_header(buf, sizeof(buf), "example.test");
	assert_true(n > 0);
	assert_non_null(strstr(buf, "to='example.test'"));
	assert_int_equal(sb_lg_xp_header(buf, 20, "example.test"), -E2BIG);
	/* PLAIN: base64 of "\0u1\0pw" (RFC 4616 §2). */
	n = sb_lg_xp_auth(buf, sizeof(buf), false, "u1", "pw", cnonce);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "mechanism='PLAIN'>AHUxAHB3</auth>"));
	/* SCRAM: a fresh 24-character nonce each time. */
	n = sb_lg_xp_auth(buf, sizeof(buf), true, "u1", "pw", cnonce);
	assert_true(n > 0);
	assert_int_equal(strlen(cnonce), 24);
	assert_non_null(strstr(buf, "mechanism='SCRAM-SHA-1'"));
}

static void test_roster_items(void **state)
{
	static const char res[] =
		"<iq type='result' id='r' to='u1@d/x'><query xmlns='jabber:iq:roster' ver='18'>"
		"<item jid='u0@d' subscription='both'/>"
		"<item subscription='both' jid='u2@d' name='two'><group>g</group></item>"
		"<item jid='u3@d' subscription='both'></item></query></iq>";
	static const char empty[] = "<iq type='result' id='r'><query xmlns='jabber:iq:roster'/></iq>";
	static const char other[] = "<iq type='result' id='r'><items/><itemx/><item";

	(void)state;
	assert_int_equal(sb_lg_xp_roster_items((const uint8_t *)res, strlen(res)), 3);
	assert_int_equal(sb_lg_xp_roster_items((const uint8_t *)empty, strlen(empty)), 0);
	/* Neither <items/> nor a tag cut at the end counts. */
	assert_int_equal(sb_lg_xp_roster_items((const uint8_t *)other, strlen(other)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounce_condition),
		cmocka_unit_test(test_chat_round_trip),
		cmocka_unit_test(test_bound_jid),
		cmocka_unit_test(test_login_elements),
		cmocka_unit_test(test_roster_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
