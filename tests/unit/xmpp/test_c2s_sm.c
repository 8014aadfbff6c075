/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp's XEP-0198 stream management: the feature offered with bind,
 * <enable/> only after bind and only once, <r/> answered with the count of
 * handled stanzas (iq, message, presence only), <a h/> checked against what
 * was sent (handled-count-too-high), both counters wrapping at 2^32, h's
 * parser, and <resume/> refused with item-not-found so the client binds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define SM "urn:xmpp:sm:3"
#define SERR(cond) "<stream:error><" cond " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" \
		   "</stream:error></stream:stream>"
#define ENABLE "<enable xmlns='" SM "'/>"
#define R "<r xmlns='" SM "'/>"
#define MSG "<message to='romeo@example.com' type='chat'><body>hi</body></message>"

H_FIXTURE(h->env.cfg.sm = true)

static void to_bind(void)
{
	static const char msg[] = "\0juliet\0secret";

	h_send(h, H_OPEN);
	h_auth(h, "PLAIN", msg, sizeof(msg) - 1);
	h_plain(h, true);
	h_send(h, H_OPEN);
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
}

static void enable(void)
{
	const char *s;

	h_login(h);
	h_send(h, ENABLE);
	s = h_since(h);
	assert_int_equal(strncmp(s, "<enabled xmlns='" SM "' id='", 35), 0);
	assert_int_equal(strlen(s), 35 + 32 + 3);
	assert_true(sb_c2s_sm_enabled(&h->c));
}

static void test_offered_with_bind(void **state)
{
	(void)state;
	to_bind();
	assert_non_null(strstr(h_since(h), "<sm xmlns='" SM "'/></stream:features>"));
}

static void test_not_offered_when_off(void **state)
{
	(void)state;
	h->env.cfg.sm = false;
	to_bind();
	assert_null(strstr(h_since(h), SM));
	h_send(h, ENABLE);
	assert_non_null(strstr(h_since(h), SERR("not-authorized")));
}

static void test_enable_before_bind(void **state)
{
	(void)state;
	to_bind();
	h_since(h);
	h_send(h, ENABLE);
	assert_string_equal(h_since(h), "<failed xmlns='" SM "'><unexpected-request xmlns='"
			    "urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
	assert_false(sb_c2s_sm_enabled(&h->c));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_enable_early], 1);
	/* The stream goes on: binding still works. */
	h_send(h, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
}

static void test_enable_id_random(void **state)
{
	(void)state;
	h_login(h);
	h->rnd = 0x10;
	h_send(h, ENABLE);
	assert_string_equal(h_since(h), "<enabled xmlns='" SM "' "
			    "id='101112131415161718191a1b1c1d1e1f'/>");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_enabled], 1);
}

static void test_enable_twice(void **state)
{
	(void)state;
	enable();
	h_send(h, ENABLE);
	assert_non_null(strstr(h_since(h), "<stream:error><policy-violation "));
	assert_true(h->closed);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_enable_twice], 1);
}

static void test_r_counts_stanzas_only(void **state)
{
	(void)state;
	enable();
	h_send(h, R);
	assert_string_equal(h_since(h), "<a xmlns='" SM "' h='0'/>");
	h_send(h, MSG);
	h_send(h, "<presence/>");
	/* answered here, refused: handled all the same */
	h_send(h, "<iq type='get' id='p' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
	h_send(h, "<message to='a@b@c'/>");
	h_since(h);
	/* nonzas are not counted */
	h_send(h, R R);
	assert_string_equal(h_since(h), "<a xmlns='" SM "' h='4'/><a xmlns='" SM "' h='4'/>");
	/* two replies were written here: the pong and the error */
	assert_int_equal(h->c.sm_out, 2);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_requests_in], 3);
}

static void test_ack_releases(void **state)
{
	(void)state;
	enable();
	assert_int_equal(sb_c2s_sm_sent(&h->c), 1);
	assert_int_equal(sb_c2s_sm_sent(&h->c), 2);
	assert_int_equal(sb_c2s_sm_sent(&h->c), 3);
	h_send(h, "<a xmlns='" SM "' h='2'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_SM_ACK);
	assert_int_equal(h->env.res.sm_h, 2);
	assert_int_equal(sb_c2s_sm_unacked(&h->c), 1);
	/* the same h again changes nothing */
	h->nacts = 0;
	h_send(h, "<a xmlns='" SM "' h='2'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_NONE);
	h_send(h, "<a xmlns='" SM "' h='3'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_SM_ACK);
	assert_int_equal(sb_c2s_sm_unacked(&h->c), 0);
	assert_string_equal(h_since(h), "");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_acks_in], 3);
}

static void test_ack_too_high(void **state)
{
	(void)state;
	enable();
	(void)sb_c2s_sm_sent(&h->c);
	h_send(h, "<a xmlns='" SM "' h='2'/>");
	assert_string_equal(h_since(h), "<stream:error><undefined-condition xmlns='urn:ietf:params:"
			    "xml:ns:xmpp-streams'/><handled-count-too-high xmlns='" SM "' h='2' "
			    "send-count='1'/></stream:error></stream:stream>");
	assert_true(h->closed);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_ack_too_high], 1);
}

/* What a client storing h in a signed 32-bit int sends as -1. */
static void test_ack_max_when_nothing_sent(void **state)
{
	(void)state;
	enable();
	h_send(h, "<a xmlns='" SM "' h='4294967295'/>");
	assert_non_null(strstr(h_since(h), "<handled-count-too-high xmlns='" SM "' "
				       "h='4294967295' send-count='0'/>"));
}

static void test_ack_bad_values(void **state)
{
	static const char *const bad[] = { "4294967296", "-1", "", "1x", "99999999999", " 1" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char el[96];

		h_free(h);
		h = h_new();
		h->env.cfg.sm = true;
		enable();
		snprintf(el, sizeof(el), "<a xmlns='" SM "' h='%s'/>", bad[i]);
		h_send(h, el);
		assert_string_equal(h_since(h), SERR("bad-format"));
		assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_bad_ack], 1);
	}
	h_free(h);
	h = h_new();
	h->env.cfg.sm = true;
	enable();
	h_send(h, "<a xmlns='" SM "'/>");
	assert_string_equal(h_since(h), SERR("bad-format"));
}

static void test_wrap_inbound(void **state)
{
	(void)state;
	enable();
	h->c.sm_in = UINT32_MAX - 1;
	h_send(h, MSG);
	h_send(h, R);
	assert_string_equal(h_since(h), "<a xmlns='" SM "' h='4294967295'/>");
	h_send(h, MSG);
	h_send(h, MSG);
	h_send(h, R);
	assert_string_equal(h_since(h), "<a xmlns='" SM "' h='1'/>");
}

static void test_wrap_outbound(void **state)
{
	(void)state;
	enable();
	h->c.sm_out = h->c.sm_acked = UINT32_MAX - 1;
	assert_int_equal(sb_c2s_sm_sent(&h->c), UINT32_MAX);
	assert_int_equal(sb_c2s_sm_sent(&h->c), 0);
	assert_int_equal(sb_c2s_sm_sent(&h->c), 1);
	assert_int_equal(sb_c2s_sm_unacked(&h->c), 3);
	assert_true(sb_c2s_sm_le(UINT32_MAX, 1));
	assert_false(sb_c2s_sm_le(1, UINT32_MAX));
	h_send(h, "<a xmlns='" SM "' h='0'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_SM_ACK);
	assert_int_equal(h->env.res.sm_h, 0);
	assert_int_equal(sb_c2s_sm_unacked(&h->c), 1);
	/* behind the last ack, seen from past the wrap: too high */
	h_send(h, "<a xmlns='" SM "' h='4294967295'/>");
	assert_non_null(strstr(h_since(h), "<handled-count-too-high "));
}

static void test_r_before_enable(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, R);
	assert_string_equal(h_since(h), SERR("unsupported-stanza-type"));
}

static void test_resume_refused_then_bind(void **state)
{
	(void)state;
	to_bind();
	h_since(h);
	h_send(h, "<resume xmlns='" SM "' previd='abc' h='3'/>");
	assert_string_equal(h_since(h), "<failed xmlns='" SM "'><item-not-found xmlns='"
			    "urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_resume_failed], 1);
	h_send(h, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
	h_bind(h, SB_C2S_BIND_OK, h->jid);
	assert_true(sb_c2s_bound(&h->c));
	h_send(h, ENABLE);
	assert_true(sb_c2s_sm_enabled(&h->c));
}

#define PREVID "00112233445566778899aabbccddeeff"

static void test_enable_resume_window(void **state)
{
	(void)state;
	h->env.cfg.sm_max_resume_s = 300;
	h_login(h);
	h->rnd = 0x20;
	h_send(h, "<enable xmlns='" SM "' resume='true' max='60'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_SM_ENABLED);
	assert_string_equal(h_since(h), "<enabled xmlns='" SM "' id='202122232425262728292a2b2c2d"
			    "2e2f' resume='true' max='60'/>");
	assert_int_equal(h->env.res.sm_max, 60);
	assert_int_equal(h->env.res.sm_id[0], 0x20);
	assert_int_equal(h->env.res.sm_id[15], 0x2f);
	assert_true(h->c.sm & SB_C2S_SM_RESUMABLE);
}

static void test_enable_resume_ceiling(void **state)
{
	(void)state;
	h->env.cfg.sm_max_resume_s = 300;
	h_login(h);
	h_send(h, "<enable xmlns='" SM "' resume='1' max='100000'/>");
	assert_non_null(strstr(h_since(h), "resume='true' max='300'/>"));
	assert_int_equal(h->env.res.sm_max, 300);
}

static void test_enable_resume_not_offered(void **state)
{
	(void)state;
	h_login(h); /* sm_max_resume_s 0 */
	h_send(h, "<enable xmlns='" SM "' resume='true'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_NONE);
	assert_null(strstr(h_since(h), "resume"));
}

static void test_resume_ok(void **state)
{
	(void)state;
	h->env.cfg.sm_max_resume_s = 300;
	to_bind();
	h_since(h);
	h_send(h, "<resume xmlns='" SM "' previd='" PREVID "' h='5'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_SM_RESUME);
	assert_true(sb_c2s_waiting(&h->c));
	assert_int_equal(h->env.res.sm_h, 5);
	assert_int_equal(h->env.res.sm_id[1], 0x11);
	assert_string_equal(h->env.res.bare, "juliet@example.com");
	assert_string_equal(h_since(h), "");
	h_resume(h, true, "juliet@example.com/phone", 7, false);
	assert_string_equal(h_since(h), "<resumed xmlns='" SM "' previd='" PREVID "' h='7'/>");
	assert_true(sb_c2s_bound(&h->c));
	assert_true(sb_c2s_sm_enabled(&h->c));
	assert_int_equal(h->aux_in_use, 0);
	/* outbound numbering goes on from the client's h, inbound from ours */
	assert_int_equal(sb_c2s_sm_sent(&h->c), 6);
	h_send(h, MSG);
	h_send(h, R);
	assert_string_equal(h_since(h), "<a xmlns='" SM "' h='8'/>");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sm_resumed], 1);
}

static void test_resume_failed_with_h_then_bind(void **state)
{
	(void)state;
	h->env.cfg.sm_max_resume_s = 300;
	to_bind();
	h_since(h);
	h_send(h, "<resume xmlns='" SM "' previd='" PREVID "' h='5'/>");
	h_resume(h, false, NULL, 9, true);
	assert_string_equal(h_since(h), "<failed xmlns='" SM "' h='9'><item-not-found xmlns='"
			    "urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
	h_send(h, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
}

static void test_resume_bad_previd(void **state)
{
	(void)state;
	h->env.cfg.sm_max_resume_s = 300;
	to_bind();
	h_since(h);
	h_send(h, "<resume xmlns='" SM "' previd='00112233445566778899AABBCCDDEEFF' h='5'/>");
	assert_non_null(strstr(h_since(h), "<item-not-found "));
	h_send(h, "<resume xmlns='" SM "' previd='0011' h='5'/>");
	assert_non_null(strstr(h_since(h), "<item-not-found "));
	assert_false(h_saw(h, SB_C2S_ACT_SM_RESUME));
	h_send(h, "<resume xmlns='" SM "' previd='" PREVID "'/>");
	assert_string_equal(h_since(h), SERR("bad-format"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_offered_with_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_offered_when_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_before_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_id_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_r_counts_stanzas_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_releases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_too_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_max_when_nothing_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_inbound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_outbound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_r_before_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_refused_then_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_resume_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_resume_ceiling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_resume_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_failed_with_h_then_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_bad_previd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
