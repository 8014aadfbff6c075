/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp's XEP-0352 client state indication: <csi/> offered with bind
 * (and only when configured), <inactive/> and <active/> after bind set and
 * clear the state without a reply and without counting in XEP-0198's h,
 * before bind they are refused like any unknown element, an unknown
 * element in the namespace is a stream error; and the urgency scan over a
 * stanza's bytes, whole and split at every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define CSI "urn:xmpp:csi:0"
#define INACTIVE "<inactive xmlns='" CSI "'/>"
#define ACTIVE "<active xmlns='" CSI "'/>"
#define SM "urn:xmpp:sm:3"

H_FIXTURE(h->env.cfg.csi = true; h->env.cfg.sm = true)

static void to_bind(void)
{
	static const char msg[] = "\0juliet\0secret";

	h_send(h, H_OPEN);
	h_auth(h, "PLAIN", msg, sizeof(msg) - 1);
	h_plain(h, true);
	h_send(h, H_OPEN);
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
}

static void test_offered_with_bind(void **state)
{
	const char *s;

	(void)state;
	to_bind();
	s = h_since(h);
	assert_non_null(strstr(s, "<sm xmlns='" SM "'/><csi xmlns='" CSI "'/></stream:features>"));
}

static void test_not_offered_before_auth_or_when_off(void **state)
{
	(void)state;
	h_send(h, H_OPEN);
	assert_null(strstr(h_since(h), CSI));
	h_free(h);
	h = h_new();
	h->env.cfg.csi = false;
	to_bind();
	assert_null(strstr(h_since(h), CSI));
}

static void test_inactive_active(void **state)
{
	(void)state;
	h_login(h);
	h_since(h);
	assert_false(sb_c2s_csi_inactive(&h->c));
	h_send(h, INACTIVE);
	assert_int_equal(h_last(h), SB_C2S_ACT_CSI);
	assert_string_equal(h_since(h), ""); /* §4: no reply */
	assert_true(sb_c2s_csi_inactive(&h->c));
	h_send(h, INACTIVE); /* repeated: harmless */
	assert_true(sb_c2s_csi_inactive(&h->c));
	h_send(h, ACTIVE);
	assert_int_equal(h_last(h), SB_C2S_ACT_CSI);
	assert_false(sb_c2s_csi_inactive(&h->c));
	assert_false(h->closed);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_csi_inactive], 2);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_csi_active], 1);
}

static void test_not_counted_in_h(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<enable xmlns='" SM "'/>");
	h_send(h, "<presence/>");
	h_send(h, INACTIVE ACTIVE INACTIVE);
	h_since(h);
	h_send(h, "<r xmlns='" SM "'/>");
	assert_string_equal(h_since(h), "<a xmlns='" SM "' h='1'/>");
	assert_true(sb_c2s_csi_inactive(&h->c));
}

static void test_before_bind_refused(void **state)
{
	(void)state;
	to_bind();
	h_since(h);
	h_send(h, INACTIVE);
	assert_true(h->closed);
	assert_false(sb_c2s_csi_inactive(&h->c));
	assert_false(h_saw(h, SB_C2S_ACT_CSI));
}

static void test_when_off_refused(void **state)
{
	(void)state;
	h->env.cfg.csi = false;
	h_login(h);
	h_send(h, INACTIVE);
	assert_true(h->closed);
	assert_false(sb_c2s_csi_inactive(&h->c));
}

static void test_unknown_element(void **state)
{
	(void)state;
	h_login(h);
	h_since(h);
	h_send(h, "<sleepy xmlns='" CSI "'/>");
	assert_non_null(strstr(h_since(h), "<unsupported-stanza-type "));
	assert_true(h->closed);
}

/* Urgency of s, scanned whole and split at every byte. */
static bool urgent(const char *s)
{
	size_t n = strlen(s);
	struct sb_c2s_csi_scan sc;
	bool whole;

	sb_c2s_csi_scan_init(&sc);
	whole = sb_c2s_csi_scan(&sc, (const uint8_t *)s, n);
	for (size_t cut = 0; cut <= n; cut++) {
		sb_c2s_csi_scan_init(&sc);
		(void)sb_c2s_csi_scan(&sc, (const uint8_t *)s, cut);
		assert_int_equal(sb_c2s_csi_scan(&sc, (const uint8_t *)s + cut, n - cut), whole);
	}
	return whole;
}

static void test_scan(void **state)
{
	(void)state;
	assert_true(urgent("<message type='chat'><body>hi</body></message>"));
	assert_true(urgent("<message><subject/></message>"));
	assert_true(urgent("<message><encrypted xmlns='eu.siacs.conversations.axolotl'>"
			   "<header sid='1'/></encrypted></message>"));
	assert_true(urgent("<message><encryption xmlns='urn:xmpp:eme:0'/></message>"));
	assert_true(urgent("<message><x:body xmlns:x='jabber:client'>p</x:body></message>"));
	assert_true(urgent("<message><sent xmlns='urn:xmpp:carbons:2'><forwarded/></sent></message>"));
	assert_true(urgent("<message><received xmlns='urn:xmpp:carbons:2'><forwarded "
			   "xmlns='urn:xmpp:forward:0'><message><body>x</body></message>"
			   "</forwarded></received></message>"));
	assert_true(urgent("<message><x xmlns='http://jabber.org/protocol/muc#user'>"
			   "<invite from='a@b'/></x></message>"));
	assert_true(urgent("<message><propose xmlns='urn:xmpp:jingle-message:0'/></message>"));
	assert_true(urgent("<message>\n<body\n>x</body></message>"));
	/* chat states, receipts, markers: not urgent */
	assert_false(urgent("<message type='chat'><composing "
			    "xmlns='http://jabber.org/protocol/chatstates'/></message>"));
	assert_false(urgent("<message><received xmlns='urn:xmpp:receipts' id='x'/></message>"));
	assert_false(urgent("<message><displayed xmlns='urn:xmpp:chat-markers:0' id='x'/>"
			    "</message>"));
	/* names that only begin or end like one, text, attribute values */
	assert_false(urgent("<message><bodyguard/><nobody/><x:sentinel xmlns:x='y'/></message>"));
	assert_false(urgent("<message id='&lt;body&gt;'><x a='body'>body &lt;body/&gt;</x></message>"));
	assert_false(urgent("<message><averyveryverylongnamebody/></message>"));
	assert_false(urgent("</body>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_offered_with_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_offered_before_auth_or_when_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inactive_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_counted_in_h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_bind_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_when_off_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_element, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
