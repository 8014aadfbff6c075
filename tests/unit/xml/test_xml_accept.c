/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xml: every construct the tokenizer accepts, the header it extracts
 * (name, namespace, type/to/from/id, the first child of an iq), keepalives,
 * limits at their exact bounds, and the value decoder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xml_harness.h"

static struct h_run run;

/* Feed H_STREAM + body and expect success with the stream-open event first. */
static const struct h_rec *body(const char *b, size_t want_events)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "%s%s", H_STREAM, b);
	h_feed_all(&run, buf);
	if (run.st != SB_XML_NEED_MORE)
		print_error("status %s at offset %llu\n", sb_xml_status_str(run.st),
			    (unsigned long long)run.err_off);
	assert_int_equal(run.st, SB_XML_NEED_MORE);
	assert_int_equal(run.nev, want_events + 1);
	assert_int_equal(run.ev[0].type, SB_XML_EV_STREAM_OPEN);
	return &run.ev[1];
}

static void test_stream_open_header(void **state)
{
	const char *s = "<?xml version='1.0'?>\n<stream:stream from='juliet@im.example.com' "
			"to='im.example.com' version='1.0' xml:lang='en' "
			"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

	(void)state;
	h_feed_all(&run, s);
	assert_int_equal(run.st, SB_XML_NEED_MORE);
	assert_int_equal(run.nev, 1);
	assert_int_equal(run.ev[0].type, SB_XML_EV_STREAM_OPEN);
	assert_string_equal(run.ev[0].name, "stream");
	assert_string_equal(run.ev[0].to, "im.example.com");
	assert_string_equal(run.ev[0].from, "juliet@im.example.com");
	assert_string_equal(run.ev[0].version, "1.0");
	assert_string_equal(run.ev[0].lang, "en");
	assert_int_equal(run.ev[0].ns_src, SB_XML_NS_SPAN);
	assert_string_equal(run.ev[0].ns, "jabber:client");
	assert_int_equal(run.ev[0].start, 22);
	assert_int_equal(run.ev[0].end, strlen(s));
}

static void test_xml_decl_full(void **state)
{
	(void)state;
	h_feed_all(&run, "<?xml version=\"1.0\" encoding='Utf-8' standalone='yes' ?>" H_STREAM);
	assert_int_equal(run.st, SB_XML_NEED_MORE);
	assert_int_equal(run.nev, 1);
}

static void test_bom_then_decl(void **state)
{
	(void)state;
	h_feed_all(&run, "\xEF\xBB\xBF<?xml version='1.0'?>" H_STREAM);
	assert_int_equal(run.st, SB_XML_NEED_MORE);
	assert_int_equal(run.nev, 1);
}

static void test_message_header(void **state)
{
	const char *m = "<message type='chat' to='romeo@example.net' from='juliet@example.com/b' "
			"id='ktx72v49'><body>Art thou not Romeo?</body></message>";
	const struct h_rec *e = body(m, 1);

	(void)state;
	assert_int_equal(e->type, SB_XML_EV_ELEMENT);
	assert_string_equal(e->name, "message");
	assert_int_equal(e->ns_src, SB_XML_NS_STREAM_DEFAULT);
	assert_string_equal(e->type_attr, "chat");
	assert_string_equal(e->to, "romeo@example.net");
	assert_string_equal(e->from, "juliet@example.com/b");
	assert_string_equal(e->id, "ktx72v49");
	assert_string_equal(e->child, "body");
	assert_int_equal(e->start, strlen(H_STREAM));
	assert_int_equal(e->end, strlen(H_STREAM) + strlen(m));
}

static void test_iq_child_namespace(void **state)
{
	const struct h_rec *e = body("<iq type='get' id='r1'><query xmlns='jabber:iq:roster' "
				     "ver='v'><item jid='a@b'/></query></iq>", 1);

	(void)state;
	assert_string_equal(e->name, "iq");
	assert_string_equal(e->type_attr, "get");
	assert_string_equal(e->child, "query");
	assert_int_equal(e->child_ns_src, SB_XML_NS_SPAN);
	assert_string_equal(e->child_ns, "jabber:iq:roster");
	assert_int_equal(e->ns_src, SB_XML_NS_STREAM_DEFAULT);
}

static void test_iq_child_prefixed(void **state)
{
	const struct h_rec *e = body("<iq type='set' id='b'><p:bind xmlns:p='urn:ietf:params:xml:"
				     "ns:xmpp-bind'><p:resource>x</p:resource></p:bind></iq>", 1);

	(void)state;
	assert_string_equal(e->child, "bind");
	assert_int_equal(e->child_ns_src, SB_XML_NS_SPAN);
	assert_string_equal(e->child_ns, "urn:ietf:params:xml:ns:xmpp-bind");
}

static void test_nonza_own_namespace(void **state)
{
	const struct h_rec *e = body("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
				     "mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>", 1);

	(void)state;
	assert_string_equal(e->name, "auth");
	assert_int_equal(e->ns_src, SB_XML_NS_SPAN);
	assert_string_equal(e->ns, "urn:ietf:params:xml:ns:xmpp-sasl");
	assert_int_equal(e->child[0], '\0');
}

static void test_self_closing_nonza(void **state)
{
	const struct h_rec *e = body("<r xmlns='urn:xmpp:sm:3'/>"
				     "<a xmlns='urn:xmpp:sm:3' h='1'/>", 2);

	(void)state;
	assert_string_equal(e[0].name, "r");
	assert_string_equal(e[1].name, "a");
	assert_string_equal(e[1].ns, "urn:xmpp:sm:3");
	assert_int_equal(e[1].start, e[0].end);
}

static void test_stream_prefixed_element(void **state)
{
	const struct h_rec *e = body("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:"
				     "xmpp-tls'/></stream:features>", 1);

	(void)state;
	assert_string_equal(e->name, "features");
	assert_int_equal(e->ns_src, SB_XML_NS_STREAMS);
}

static void test_stream_extra_prefix(void **state)
{
	(void)state;
	h_feed_all(&run, "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' "
			 "xmlns:stream='http://etherx.jabber.org/streams'>"
			 "<db:result from='a' to='b'>k</db:result>");
	assert_int_equal(run.st, SB_XML_NEED_MORE);
	assert_int_equal(run.nev, 2);
	assert_string_equal(run.ev[1].name, "result");
	assert_int_equal(run.ev[1].ns_src, SB_XML_NS_STREAM_EXTRA);
}

/* The stanza-local prefix rule (lib/xml/README.md, Namespaces): whatever a
 * stanza declares itself resolves at any depth inside it. */
static void test_stanza_own_prefixes(void **state)
{
	const struct h_rec *e = body("<message xmlns:p='urn:a' p:k='v'><p:x><p:y q:z='1' "
				     "xmlns:q='urn:q'/></p:x><b><q:c xmlns:q='urn:c'/></b>"
				     "</message>", 1);

	(void)state;
	assert_string_equal(e->child, "x");
	assert_int_equal(e->child_ns_src, SB_XML_NS_SPAN);
	assert_string_equal(e->child_ns, "urn:a");
	assert_int_equal(e->hdr_flags, 0);
}

/* The stream header's extra prefix, declared again inside the stanza, is
 * the stanza's own binding: accepted, and resolved to the stanza's value. */
static void test_stream_prefix_redeclared_in_stanza(void **state)
{
	(void)state;
	h_feed_all(&run, "<stream:stream xmlns='jabber:client' xmlns:x='urn:a' "
			 "xmlns:stream='http://etherx.jabber.org/streams'>"
			 "<message><x:y xmlns:x='urn:b'/></message>"
			 "<stream:error><x xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
			 "</stream:error>");
	assert_int_equal(run.st, SB_XML_NEED_MORE);
	assert_int_equal(run.nev, 3);
	assert_string_equal(run.ev[1].child_ns, "urn:b");
	assert_int_equal(run.ev[2].ns_src, SB_XML_NS_STREAMS);
}

/* A prefixed from/to/id/type on a top-level element is well-formed XML and
 * is accepted, but flagged for the router (RFC 6120 §8.1). */
static void test_prefixed_address_flagged(void **state)
{
	static const char *const flagged[] = {
		"<message xmlns:c='jabber:client' to='b@d' c:from='v@d/r'/>",
		"<message xmlns:c='urn:x' c:to='v@d'/>",
		"<iq xmlns:c='urn:x' type='get' id='1' c:id='2'/>",
		"<presence xmlns:c='urn:x' c:type='unavailable'/>",
	};
	static const char *const clean[] = {
		"<message xmlns:from='urn:x' from:a='1'/>",
		"<message xmlns:c='urn:x' c:fro='1' c:tox='2' c:i='3'/>",
		"<message><b xmlns:c='urn:x' c:from='v@d'/></message>",
		"<message xml:lang='en' to='b@d' from='a@d' id='1' type='chat'/>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(flagged) / sizeof(flagged[0]); i++)
		assert_int_equal(body(flagged[i], 1)->hdr_flags, SB_XML_HDR_F_PREFIXED_ADDR);
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		assert_int_equal(body(clean[i], 1)->hdr_flags, 0);
}

static void test_entities_in_attr(void **state)
{
	const struct h_rec *e = body("<message id='a&amp;b&lt;&gt;&apos;&quot;'/>", 1);

	(void)state;
	assert_string_equal(e->id, "a&b<>'\"");
	assert_true(e->id_flags & SB_XML_SPAN_ESCAPED);
}

static void test_plain_attr_not_escaped(void **state)
{
	const struct h_rec *e = body("<message id='plain'/>", 1);

	(void)state;
	assert_int_equal(e->id_flags, SB_XML_SPAN_PRESENT);
}

static void test_attr_whitespace_normalised(void **state)
{
	const struct h_rec *e = body("<message id='a\tb\r\nc'/>", 1);

	(void)state;
	assert_true(e->id_flags & SB_XML_SPAN_ESCAPED);
	assert_string_equal(e->id, "a b c");
}

static void test_char_refs(void **state)
{
	const struct h_rec *e = body("<message id='&#65;&#x42;&#x1F600;'><body>&#60;&#x3e;"
				     "&#1114111;</body></message>", 1);

	(void)state;
	assert_string_equal(e->id, "AB\xF0\x9F\x98\x80");
}

static void test_entities_in_text(void **state)
{
	(void)state;
	body("<message><body>a &lt; b &amp;&amp; c &gt; d &apos;&quot;</body></message>", 1);
}

static void test_multibyte_utf8(void **state)
{
	const struct h_rec *e = body("<message to='r\xC3\xA9my@example.com'><body>\xE6\x97\xA5\xE6"
				     "\x9C\xAC \xF0\x9F\x98\x80 \xC2\x80</body></message>", 1);

	(void)state;
	assert_string_equal(e->to, "r\xC3\xA9my@example.com");
}

static void test_non_ascii_names(void **state)
{
	const struct h_rec *e = body("<caf\xC3\xA9 xmlns='urn:x'>"
				     "<\xE6\x97\xA5 \xC3\xA9t\xC3\xA9='1'/>"
				     "</caf\xC3\xA9>", 1);

	(void)state;
	assert_string_equal(e->name, "caf\xC3\xA9");
	assert_string_equal(e->child, "\xE6\x97\xA5");
}

static void test_cdata_section(void **state)
{
	(void)state;
	body("<message><body><![CDATA[<not a tag> & ]] ]>]]></body></message>", 1);
}

static void test_gt_and_brackets_in_text(void **state)
{
	(void)state;
	body("<message id='a>b]]>'><body>a > b ]] ] >]</body></message>", 1);
}

static void test_default_ns_undeclared(void **state)
{
	const struct h_rec *e = body("<message><x xmlns=''/></message>", 1);

	(void)state;
	assert_int_equal(e->child_ns_src, SB_XML_NS_NONE);
}

static void test_prefix_scope_ends_with_element(void **state)
{
	(void)state;
	h_feed_all(&run, H_STREAM "<message><a xmlns:p='urn:p'><p:b/></a><p:c/></message>");
	assert_int_equal(run.st, SB_XML_ERR_UNBOUND_PREFIX);
}

static void test_prefixed_attribute_bound(void **state)
{
	(void)state;
	body("<message xmlns:p='urn:p' p:x='1' xml:lang='en'><p:y p:z='2'/></message>", 1);
}

/* Same local name in two namespaces, or with and without a prefix. */
static void test_same_local_name_other_namespace(void **state)
{
	(void)state;
	body("<message xmlns:p='urn:x' xmlns:q='urn:y' p:a='1' q:a='2' a='3'/>", 1);
}

static void test_space_around_eq_and_end_tag(void **state)
{
	const struct h_rec *e = body("<message id = \"q\" ><body >x</body\n></message >", 1);

	(void)state;
	assert_string_equal(e->id, "q");
}

static void test_keepalive_whitespace(void **state)
{
	(void)state;
	body(" \n\t ", 0);
	assert_int_equal(run.keepalives, 1);
	assert_int_equal(run.ws_total, 4);
}

static void test_whitespace_before_stanza_counted(void **state)
{
	(void)state;
	body("\n\n<presence/>", 1);
	assert_int_equal(run.keepalives, 0);
	assert_int_equal(run.ws_total, 2);
}

static void test_stream_close(void **state)
{
	(void)state;
	body("<presence/></stream:stream>\n", 2);
	assert_int_equal(run.ev[2].type, SB_XML_EV_STREAM_CLOSE);
	assert_int_equal(run.ev[2].end, strlen(H_STREAM) + 11 + 16);
}

/* Limits tight around H_STREAM: its 4 attributes, its 32-byte streams
 * namespace value and its 13-byte "stream:stream" name are all at the bound. */
static void lim_tight(struct sb_xml_limits *lim)
{
	lim->max_stanza_bytes = (uint32_t)strlen(H_STREAM);
	lim->max_attr_value_bytes = 32;
	lim->max_depth = 3;
	lim->max_attrs = 4;
	lim->max_name_bytes = 13;
}

static void lim_body(const char *b)
{
	static char buf[1024];
	struct sb_xml_limits lim;

	lim_tight(&lim);
	snprintf(buf, sizeof(buf), "%s%s", H_STREAM, b);
	h_feed(&run, buf, strlen(buf), 0, 0, &lim);
	assert_int_equal(run.st, SB_XML_NEED_MORE);
	assert_int_equal(run.nev, 2);
}

static void test_limit_stanza_at_bound(void **state)
{
	char b[512];
	size_t k = strlen(H_STREAM) - strlen("<message><body></body></message>");

	(void)state;
	memcpy(b, "<message><body>", 15);
	memset(b + 15, 'x', k);
	memcpy(b + 15 + k, "</body></message>", 18);
	lim_body(b);
	assert_int_equal(run.ev[1].end - run.ev[1].start, strlen(H_STREAM));
}

static void test_limit_depth_at_bound(void **state)
{
	(void)state;
	lim_body("<message><a><b/></a></message>");
}

static void test_limit_attrs_at_bound(void **state)
{
	(void)state;
	lim_body("<message a='1' b='2' c='3' d='4'/>");
}

static void test_limit_value_at_bound(void **state)
{
	(void)state;
	lim_body("<message id='0123456789abcdef0123456789abcdef'/>");
	assert_string_equal(run.ev[1].id, "0123456789abcdef0123456789abcdef");
}

static void test_limit_name_at_bound(void **state)
{
	(void)state;
	lim_body("<abcdefghijklm abcdefghijklm='1'/>");
}

/* The ctx is needed only while an element is incomplete (xml.h). */
static void test_busy_only_inside_elements(void **state)
{
	static struct sb_xml_ctx ctx;
	struct sb_xml x;
	struct sb_xml_limits lim;
	struct sb_xml_event ev;
	size_t used;
	const char *stanza = "<message><body>hi</body></message>";

	(void)state;
	sb_xml_init(&x);
	sb_xml_limits_default(&lim);
	assert_false(sb_xml_busy(&x));
	assert_int_equal(sb_xml_feed(&x, &ctx, &lim, (const uint8_t *)H_STREAM, 10, &ev, &used),
			 SB_XML_NEED_MORE);
	assert_true(sb_xml_busy(&x));
	assert_int_equal(sb_xml_feed(&x, &ctx, &lim, (const uint8_t *)H_STREAM + 10,
				     strlen(H_STREAM) - 10, &ev, &used), SB_XML_EVENT);
	assert_false(sb_xml_busy(&x));
	assert_int_equal(sb_xml_feed(&x, &ctx, &lim, (const uint8_t *)stanza, 12, &ev, &used),
			 SB_XML_NEED_MORE);
	assert_true(sb_xml_busy(&x));
	assert_int_equal(sb_xml_feed(&x, &ctx, &lim, (const uint8_t *)stanza + 12,
				     strlen(stanza) - 12, &ev, &used), SB_XML_EVENT);
	assert_int_equal(ev.type, SB_XML_EV_ELEMENT);
	assert_false(sb_xml_busy(&x));
	assert_int_equal(sb_xml_offset(&x), strlen(H_STREAM) + strlen(stanza));
}

static void test_value_decode_nospace(void **state)
{
	uint8_t out[3];

	(void)state;
	assert_int_equal(sb_xml_value_decode((const uint8_t *)"ab&amp;", 7, out, 3), 3);
	assert_int_equal(sb_xml_value_decode((const uint8_t *)"abcd", 4, out, 3), -ENOSPC);
	assert_int_equal(sb_xml_value_decode((const uint8_t *)"a&bogus;", 8, out, 3), -EINVAL);
}

static void test_status_names_distinct(void **state)
{
	(void)state;
	for (int a = 0; a < SB_XML_ERR_MAX; a++) {
		assert_string_not_equal(sb_xml_status_str(a), "unknown");
		for (int b = a + 1; b < SB_XML_ERR_MAX; b++)
			assert_string_not_equal(sb_xml_status_str(a), sb_xml_status_str(b));
	}
}

static void test_state_size(void **state)
{
	(void)state;
	print_message("sizeof(struct sb_xml) = %zu, sizeof(struct sb_xml_ctx) = %zu\n",
		      sizeof(struct sb_xml), sizeof(struct sb_xml_ctx));
	assert_true(sizeof(struct sb_xml) <= 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_open_header),
		cmocka_unit_test(test_xml_decl_full),
		cmocka_unit_test(test_bom_then_decl),
		cmocka_unit_test(test_message_header),
		cmocka_unit_test(test_iq_child_namespace),
		cmocka_unit_test(test_iq_child_prefixed),
		cmocka_unit_test(test_nonza_own_namespace),
		cmocka_unit_test(test_self_closing_nonza),
		cmocka_unit_test(test_stream_prefixed_element),
		cmocka_unit_test(test_stream_extra_prefix),
		cmocka_unit_test(test_stanza_own_prefixes),
		cmocka_unit_test(test_stream_prefix_redeclared_in_stanza),
		cmocka_unit_test(test_prefixed_address_flagged),
		cmocka_unit_test(test_entities_in_attr),
		cmocka_unit_test(test_plain_attr_not_escaped),
		cmocka_unit_test(test_attr_whitespace_normalised),
		cmocka_unit_test(test_char_refs),
		cmocka_unit_test(test_entities_in_text),
		cmocka_unit_test(test_multibyte_utf8),
		cmocka_unit_test(test_non_ascii_names),
		cmocka_unit_test(test_cdata_section),
		cmocka_unit_test(test_gt_and_brackets_in_text),
		cmocka_unit_test(test_default_ns_undeclared),
		cmocka_unit_test(test_prefix_scope_ends_with_element),
		cmocka_unit_test(test_prefixed_attribute_bound),
		cmocka_unit_test(test_same_local_name_other_namespace),
		cmocka_unit_test(test_space_around_eq_and_end_tag),
		cmocka_unit_test(test_keepalive_whitespace),
		cmocka_unit_test(test_whitespace_before_stanza_counted),
		cmocka_unit_test(test_stream_close),
		cmocka_unit_test(test_limit_stanza_at_bound),
		cmocka_unit_test(test_limit_depth_at_bound),
		cmocka_unit_test(test_limit_attrs_at_bound),
		cmocka_unit_test(test_limit_value_at_bound),
		cmocka_unit_test(test_limit_name_at_bound),
		cmocka_unit_test(test_busy_only_inside_elements),
		cmocka_unit_test(test_value_decode_nospace),
		cmocka_unit_test(test_status_names_distinct),
		cmocka_unit_test(test_state_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
