/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp + lib/xml: what a routed stanza may depend on. A stanza is
 * written byte for byte into another user's stream, so it must be
 * namespace-well-formed there: a prefix bound only on the sender's stream
 * header is refused with <bad-namespace-prefix/> (RFC 6120 §4.9.3.2), and
 * a prefixed from/to/id/type (c:from='victim') with a bad-request stanza
 * error (§8.3.3.1), since parsers that match attributes by local name
 * would take it for the address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define SERR(cond) "<stream:error><" cond " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" \
		   "</stream:error></stream:stream>"
#define STANZAS_NS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define ME "juliet@example.com/balcony"
/* a stream header with one more prefix, x, as RFC 6120 §4.8.4 allows */
#define OPEN_X "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:x='urn:a' " \
	       "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"

H_FIXTURE((void)0) /* h, setup, teardown (c2s_harness.h) */

/* Log in as juliet/balcony with hdr as both stream headers. */
static void login_with(const char *hdr)
{
	static const char msg[] = "\0juliet\0secret";

	h_send(h, hdr);
	h_auth(h, "PLAIN", msg, sizeof(msg) - 1);
	h_plain(h, true);
	h_send(h, hdr);
	h_send(h, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
		  "<resource>balcony</resource></bind></iq>");
	h_bind(h, SB_C2S_BIND_OK, h->jid);
	assert_true(sb_c2s_bound(&h->c));
	h_since(h);
}

/* Finding 2 of issue 14: <x:y/> would be unbound in Bob's stream. */
static void test_stream_extra_prefix_in_stanza(void **state)
{
	(void)state;
	login_with(OPEN_X);
	h_send(h, "<message to='bob@example.com'><x:y/></message>");
	assert_string_equal(h_since(h), SERR("bad-namespace-prefix"));
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
	assert_true(h->closed);
	assert_int_equal(h->stream_err, SB_C2S_SERR_BAD_NAMESPACE_PREFIX);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_xml_stream_prefix_in_stanza], 1);
}

static void test_stream_extra_prefix_on_attribute(void **state)
{
	(void)state;
	login_with(OPEN_X);
	h_send(h, "<message to='bob@example.com'><body x:a='1'>hi</body></message>");
	assert_string_equal(h_since(h), SERR("bad-namespace-prefix"));
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
}

/* The stream: prefix is bound in every stream we write, but a stanza still
 * may not lean on it: the rule is one, whatever the prefix. */
static void test_stream_prefix_in_stanza(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message to='bob@example.com'><stream:x/></message>");
	assert_string_equal(h_since(h), SERR("bad-namespace-prefix"));
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
}

/* A stanza that declares what it uses is routed unchanged but for from. */
static void test_own_declarations_routed(void **state)
{
	(void)state;
	login_with(OPEN_X);
	h_send(h, "<message to='bob@example.com'><x:y xmlns:x='urn:b'><x:z x:k='v'/></x:y>"
		  "</message>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_string_equal(h->routed, "<message from='" ME "' to='bob@example.com'><x:y "
			    "xmlns:x='urn:b'><x:z x:k='v'/></x:y></message>");
	assert_memory_equal(h->stanza.child_ns, "urn:b", 5);
	assert_false(h->closed);
}

/* Finding 3 of issue 14. */
static void test_prefixed_from_refused(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message xmlns:c='jabber:client' to='bob@example.com' "
		  "c:from='victim@example.com/r' id='s1'><body>x</body></message>");
	assert_string_equal(h_since(h), "<message type='error' id='s1' from='example.com' to='"
			    ME "'><error type='modify'><bad-request xmlns='" STANZAS_NS
			    "'/></error></message>");
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
	assert_false(h->closed);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stanza_prefixed_address], 1);
	/* the stream stays usable */
	h_send(h, "<message to='bob@example.com' id='s2'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
}

static void test_prefixed_to_id_type_refused(void **state)
{
	static const char *const bad[] = {
		"<message xmlns:c='urn:x' to='bob@example.com' c:to='eve@example.com'/>",
		"<iq xmlns:c='jabber:client' to='bob@example.com' type='get' id='1' c:id='2'>"
		"<q xmlns='urn:q'/></iq>",
		"<presence xmlns:c='jabber:client' c:type='unavailable'/>",
		"<c:message xmlns:c='jabber:client' to='bob@example.com' c:from='v@example.com'/>",
	};

	(void)state;
	h_login(h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h->nacts = 0;
		h_send(h, bad[i]);
		assert_non_null(strstr(h_since(h), "<bad-request xmlns='" STANZAS_NS "'/>"));
		assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
	}
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stanza_prefixed_address], 4);
	assert_false(h->closed);
}

/* An error stanza is never answered with an error (§8.3.1), and still not
 * routed. */
static void test_prefixed_from_on_error_dropped(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message xmlns:c='urn:x' type='error' to='bob@example.com' c:from='v@e'/>");
	assert_string_equal(h_since(h), "");
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_error_stanza_not_answered], 1);
}

/* Two unqualified froms are not well-formed XML (XML 1.0 §3.1). */
static void test_duplicate_from(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message to='bob@example.com' from='a@example.com' from='v@example.com'/>");
	assert_string_equal(h_since(h), SERR("not-well-formed"));
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
}

/* A prefixed address attribute deeper in the stanza is payload, not an
 * address, and a prefixed attribute with another local name is fine. */
static void test_prefixed_payload_attribute_routed(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message to='bob@example.com' xmlns:c='urn:x' c:fromage='brie'>"
		  "<c:item c:from='a@b' c:to='c@d'/></message>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stanza_prefixed_address], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_extra_prefix_in_stanza, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_extra_prefix_on_attribute, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stream_prefix_in_stanza, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_declarations_routed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefixed_from_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefixed_to_id_type_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefixed_from_on_error_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_from, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefixed_payload_attribute_routed, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
