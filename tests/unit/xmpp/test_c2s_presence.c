/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp: the presence priority handed to the control plane in the
 * routed stanza (RFC 6121 §4.7.2.3): one <priority/> child in
 * jabber:client holding an xs:byte (-128..127, whitespace collapsed, sign
 * and leading zeros allowed), 0 when absent; anything else is a
 * bad-request stanza error (RFC 6120 §8.3.3.1) and nothing is routed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define STANZAS_NS "urn:ietf:params:xml:ns:xmpp-stanzas"

H_FIXTURE(h_login(h)) /* h, setup, teardown (c2s_harness.h) */

/* Send one presence; true if it was routed (h->stanza then holds it). */
static bool send(const char *presence)
{
	h->nacts = 0;
	h_send(h, presence);
	return h_saw(h, SB_C2S_ACT_ROUTE);
}

static void test_priority_values(void **state)
{
	static const struct {
		const char *in;
		int want;
	} ok[] = {
		{ "<presence><priority>5</priority></presence>", 5 },
		{ "<presence><priority>-128</priority></presence>", -128 },
		{ "<presence><priority>127</priority></presence>", 127 },
		{ "<presence><priority>+7</priority></presence>", 7 },
		{ "<presence><priority>0000000000000000000042</priority></presence>", 42 },
		{ "<presence><priority> \n\t-1\r\n</priority></presence>", -1 },
		{ "<presence><show>away</show><status>I'm <away/></status>"
		  "<priority>3</priority></presence>", 3 },
		{ "<presence><priority>&#49;&#x32;</priority></presence>", 12 },
		{ "<presence><priority><![CDATA[9]]></priority></presence>", 9 },
		{ "<presence><priority xmlns='jabber:client'>8</priority></presence>", 8 },
		{ "<presence xmlns='jabber:client'><priority>4</priority></presence>", 4 },
		{ "<presence type='unavailable'><priority>-5</priority></presence>", -5 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (!send(ok[i].in))
			fail_msg("not routed: %s (%s)", ok[i].in, h_since(h));
		assert_true(h->stanza.has_priority);
		assert_int_equal(h->stanza.priority, ok[i].want);
	}
}

/* Absent means 0; a priority that is not ours (another namespace, deeper
 * in the stanza, prefixed) is payload. */
static void test_priority_absent(void **state)
{
	static const char *const absent[] = {
		"<presence/>",
		"<presence><show>dnd</show></presence>",
		"<presence><priority xmlns='urn:other'>x</priority></presence>",
		"<presence><x xmlns='urn:y'><priority>999</priority></x></presence>",
		"<presence xmlns:p='urn:p'><p:priority>abc</p:priority></presence>",
		"<presence><prioritys>1</prioritys></presence>",
		"<p:presence xmlns:p='jabber:client' xmlns='urn:o'><priority>z</priority>"
		"</p:presence>",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		if (!send(absent[i]))
			fail_msg("not routed: %s (%s)", absent[i], h_since(h));
		assert_false(h->stanza.has_priority);
		assert_int_equal(h->stanza.priority, 0);
	}
}

static void test_priority_invalid(void **state)
{
	static const char *const bad[] = {
		"<presence><priority>128</priority></presence>",
		"<presence><priority>-129</priority></presence>",
		"<presence><priority>99999999999999999999</priority></presence>",
		"<presence><priority></priority></presence>",
		"<presence><priority/></presence>",
		"<presence><priority>1 2</priority></presence>",
		"<presence><priority>- 1</priority></presence>",
		"<presence><priority>1.0</priority></presence>",
		"<presence><priority>0x10</priority></presence>",
		"<presence><priority>&amp;1</priority></presence>",
		"<presence><priority>1<b/></priority></presence>",
		"<presence><priority>1</priority><priority>2</priority></presence>",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (send(bad[i]))
			fail_msg("routed: %s", bad[i]);
		assert_non_null(strstr(h_since(h), "<presence type='error' from='example.com' "));
	}
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stanza_bad_priority], sizeof(bad) / sizeof(bad[0]));
	assert_false(h->closed);
}

/* Messages and iqs never carry a priority, whatever their payload. */
static void test_priority_only_for_presence(void **state)
{
	(void)state;
	assert_true(send("<message to='romeo@example.com'><priority>9</priority></message>"));
	assert_false(h->stanza.has_priority);
	assert_int_equal(h->stanza.priority, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_priority_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_only_for_presence, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
