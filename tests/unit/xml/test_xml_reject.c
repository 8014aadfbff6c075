/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xml: every rejection rule, one test per rule, generated from a table.
 * Each test checks the error code, the stream offset of the offending byte,
 * that the same error comes back byte by byte, and that the parser stays in
 * the error (a later valid chunk returns the same error, consuming nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xml_harness.h"

#define S H_STREAM
/* a stream header that declares one more prefix, x (RFC 6120 §4.8.4) */
#define SX "<stream:stream xmlns='jabber:client' xmlns:x='urn:a' " \
	   "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"

struct reject_case {
	const char *name;
	const char *in;
	enum sb_xml_status want;
	const char *at;       /* the offending byte starts the last occurrence of this */
	int tight;            /* use the tight limits of limit_tight() */
	long off;             /* when at is NULL: offset of the offending byte, < 0 from the end */
	size_t len;           /* input length when it holds a NUL byte, else 0 */
};

#define S_LEN (sizeof(H_STREAM) - 1)

static const struct reject_case cases[] = {
	{ "syntax_no_space_between_attrs", S "<message a='1'b='2'/>", SB_XML_ERR_SYNTAX, "b='2'" },
	{ "syntax_lt_space", S "<message>< a/></message>", SB_XML_ERR_SYNTAX, " a/>" },
	{ "syntax_attr_without_value", S "<message a/>", SB_XML_ERR_SYNTAX, "/>" },
	{ "syntax_unquoted_value", S "<message a=1/>", SB_XML_ERR_SYNTAX, "1/>" },
	{ "syntax_end_tag_at_prolog", "</stream:stream>", SB_XML_ERR_SYNTAX, "/stream" },
	{ "syntax_text_before_stream", "hello", SB_XML_ERR_SYNTAX, "hello" },
	{ "name_digit_start", S "<1message/>", SB_XML_ERR_NAME, "1message" },
	{ "name_double_colon", S "<a:b:c/>", SB_XML_ERR_NAME, ":c/>" },
	{ "name_colon_first", S "<message :a='1'/>", SB_XML_ERR_NAME, ":a=" },
	{ "name_colon_last", S "<a: x='1'/>", SB_XML_ERR_NAME, " x=" },
	{ "name_bad_unicode_start", S "<\xCC\x80" "a/>", SB_XML_ERR_NAME, "\x80" "a/>" },
	{ "tag_mismatch", S "<message></messag>", SB_XML_ERR_TAG_MISMATCH, ">" },
	{ "tag_mismatch_longer", S "<message></messages>", SB_XML_ERR_TAG_MISMATCH, "s>" },
	{ "tag_mismatch_nested", S "<a><b></a></b>", SB_XML_ERR_TAG_MISMATCH, "a></b>" },
	{ "tag_mismatch_stream_close", S "</stream:streamx>", SB_XML_ERR_TAG_MISMATCH, "x>" },
	{ "dup_attr", S "<message id='1' to='x' id='2'/>", SB_XML_ERR_DUP_ATTR, "='2'" },
	{ "dup_xmlns", S "<message xmlns='a' xmlns='b'/>", SB_XML_ERR_DUP_ATTR, "='b'" },
	{ "dup_attr_same_namespace", S "<message xmlns:p='urn:x' xmlns:q='urn:x' p:a='1' q:a='2'/>",
	  SB_XML_ERR_DUP_ATTR, ">" },
	{ "dup_attr_namespace_via_charref", S "<m xmlns:p='urn:&#x78;' xmlns:q='urn:x' p:a='1' "
	  "q:a='2'/>", SB_XML_ERR_DUP_ATTR, ">" },
	{ "dup_attr_namespace_normalised_ws", S "<m xmlns:p='a\r\nb' xmlns:q='a\tb'><n p:a='1' "
	  "q:a='2'/></m>", SB_XML_ERR_DUP_ATTR, "></m>" },
	{ "dup_attr_stream_namespace", S "<m xmlns:s='http://etherx.jabber.org/streams' "
	  "xmlns:stream='http://etherx.jabber.org/streams' s:a='1' stream:a='2'/>",
	  SB_XML_ERR_DUP_ATTR, ">" },
	/* A stanza must carry its own prefix declarations: one bound only on
	 * the stream header would be unbound in the recipient's stream. */
	{ "stream_prefix_child", S "<message to='b@d'><stream:x/></message>",
	  SB_XML_ERR_STREAM_PREFIX, "></message>" },
	{ "stream_prefix_attr_on_stanza", S "<message stream:a='1'/>", SB_XML_ERR_STREAM_PREFIX,
	  ">" },
	{ "extra_prefix_child", SX "<message to='bob@d'><x:y/></message>",
	  SB_XML_ERR_STREAM_PREFIX, "></message>" },
	{ "extra_prefix_deep", SX "<message to='bob@d'><a><b><x:y>t</x:y></b></a></message>",
	  SB_XML_ERR_STREAM_PREFIX, ">t<" },
	{ "extra_prefix_attr_on_stanza", SX "<message to='bob@d' x:a='1'/>",
	  SB_XML_ERR_STREAM_PREFIX, ">" },
	{ "extra_prefix_attr_on_child", SX "<message to='bob@d'><body x:a='1'>h</body></message>",
	  SB_XML_ERR_STREAM_PREFIX, ">h<" },
	/* the binding is popped when its element closes */
	{ "prefix_out_of_scope", S "<message><a xmlns:p='urn:a'/><p:b/></message>",
	  SB_XML_ERR_UNBOUND_PREFIX, "></message>" },
	{ "prefix_of_previous_stanza", S "<message xmlns:p='urn:a'/><message><p:b/></message>",
	  SB_XML_ERR_UNBOUND_PREFIX, "></message>" },
	{ "xmlns_prefix_on_child", S "<message><xmlns:a/></message>", SB_XML_ERR_NS_DECL, "/>" },
	{ "lt_in_attr", S "<message id='a<b'/>", SB_XML_ERR_LT_IN_ATTR, "<b'/>" },
	/* '<' inside an 8-byte word of the value that holds no other delimiter */
	{ "lt_in_long_attr", S "<message id='abcdefgh<ijklmnop'/>", SB_XML_ERR_LT_IN_ATTR,
	  "<ijk" },
	{ "lt_in_long_attr_after_utf8", S "<message id='\xC3\xA9\xC3\xA9" "abcdefgh<ijklmnop'/>",
	  SB_XML_ERR_LT_IN_ATTR, "<ijk" },
	{ "amp_alone_in_attr", S "<message id='a&b'/>", SB_XML_ERR_ENTITY, "b'/>" },
	{ "ref_syntax_empty", S "<message>&;</message>", SB_XML_ERR_REF_SYNTAX, ";</" },
	{ "ref_syntax_space", S "<message>a & b</message>", SB_XML_ERR_REF_SYNTAX, " b<" },
	{ "ref_syntax_bad_digit", S "<message>&#12a;</message>", SB_XML_ERR_REF_SYNTAX, "a;<" },
	{ "ref_syntax_hex_empty", S "<message>&#x;</message>", SB_XML_ERR_REF_SYNTAX, ";<" },
	{ "charref_nul", S "<message>&#0;</message>", SB_XML_ERR_CHARREF, ";</" },
	{ "charref_control", S "<message>&#x8;</message>", SB_XML_ERR_CHARREF, ";</" },
	{ "charref_surrogate", S "<message>&#xD800;</message>", SB_XML_ERR_CHARREF, ";</" },
	{ "charref_fffe", S "<message>&#xFFFE;</message>", SB_XML_ERR_CHARREF, ";</" },
	{ "charref_too_big", S "<message>&#x110000;</message>", SB_XML_ERR_CHARREF, ";</" },
	{ "charref_huge_decimal", S "<message>&#99999999999999;</message>", SB_XML_ERR_CHARREF,
	  ";</" },
	{ "cdata_end_in_long_text", S "<message>abcdefgh]]>bcdefghijkl</message>",
	  SB_XML_ERR_CDATA_END, ">bcd" },
	{ "cdata_end_in_text", S "<message>a]]>b</message>", SB_XML_ERR_CDATA_END, ">b<" },
	{ "text_at_stream_level", S "hello", SB_XML_ERR_TEXT_AT_STREAM, "hello" },
	{ "ref_at_stream_level", S "&amp;", SB_XML_ERR_TEXT_AT_STREAM, "&amp;" },
	{ "cdata_at_stream_level", S "<![CDATA[x]]>", SB_XML_ERR_TEXT_AT_STREAM, "[CDATA" },
	{ "after_close_element", S "</stream:stream><message/>", SB_XML_ERR_AFTER_CLOSE,
	  "<message/>" },
	{ "after_close_text", S "</stream:stream> x", SB_XML_ERR_AFTER_CLOSE, "x" },
	{ "unbound_element_prefix", S "<foo:message/>", SB_XML_ERR_UNBOUND_PREFIX, ">" },
	{ "unbound_attr_prefix", S "<message foo:id='1'/>", SB_XML_ERR_UNBOUND_PREFIX, ">" },
	{ "unbound_prefix_sibling_scope", S "<m><a xmlns:p='u'/><p:b/></m>",
	  SB_XML_ERR_UNBOUND_PREFIX, "></m>" },
	{ "ns_decl_empty_prefixed", S "<message xmlns:p=''/>", SB_XML_ERR_NS_DECL, "'/>" },
	{ "ns_decl_xml_prefix", S "<message xmlns:xml='u'/>", SB_XML_ERR_NS_DECL, "'/>" },
	{ "ns_decl_xmlns_prefix", S "<message xmlns:xmlns='u'/>", SB_XML_ERR_NS_DECL, "'/>" },
	{ "ns_decl_bind_xml_namespace", S "<m xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
	  SB_XML_ERR_NS_DECL, "'/>" },
	{ "ns_decl_bind_xmlns_namespace", S "<m xmlns:p='http://www.w3.org/2000/xmlns/'/>",
	  SB_XML_ERR_NS_DECL, "'/>" },
	{ "ns_decl_default_xml_namespace", S "<m xmlns='http://www.w3.org/XML/1998/namespace'/>",
	  SB_XML_ERR_NS_DECL, "'/>" },
	{ "ns_decl_default_xmlns_namespace", S "<m xmlns='http://www.w3.org/2000/xmln&#x73;/'/>",
	  SB_XML_ERR_NS_DECL, "'/>" },
	{ "ns_decl_xmlns_element", S "<xmlns:a/>", SB_XML_ERR_NS_DECL, "/>" },
	{ "utf8_bare_continuation", S "<message>\x80</message>", SB_XML_ERR_UTF8, "\x80<" },
	{ "utf8_truncated", S "<message>\xC3" "a</message>", SB_XML_ERR_UTF8, "a</" },
	{ "utf8_invalid_lead", S "<message>\xFF</message>", SB_XML_ERR_UTF8, "\xFF<" },
	{ "utf8_overlong_2", S "<message>\xC0\xAF</message>", SB_XML_ERR_UTF8_OVERLONG,
	  "\xC0\xAF" },
	{ "utf8_overlong_3", S "<message>\xE0\x80\xAF</message>", SB_XML_ERR_UTF8_OVERLONG,
	  "\x80\xAF" },
	{ "utf8_overlong_4", S "<message>\xF0\x80\x80\xAF</message>", SB_XML_ERR_UTF8_OVERLONG,
	  "\x80\x80\xAF" },
	{ "utf8_surrogate", S "<message>\xED\xA0\x80</message>", SB_XML_ERR_UTF8_SURROGATE,
	  "\xA0\x80" },
	{ "utf8_above_10ffff", S "<message>\xF4\x90\x80\x80</message>", SB_XML_ERR_UTF8_RANGE,
	  "\x90\x80\x80" },
	{ "utf8_f5_lead", S "<message>\xF5\x80\x80\x80</message>", SB_XML_ERR_UTF8_RANGE,
	  "\xF5\x80" },
	{ "illegal_control_char", S "<message>\x01</message>", SB_XML_ERR_ILLEGAL_CHAR, "\x01<" },
	{ "illegal_nul_in_attr", S "<message id='\x00'/>", SB_XML_ERR_ILLEGAL_CHAR, NULL, 0, -4,
	  sizeof(S "<message id='\x00'/>") - 1 },
	{ "illegal_fffe", S "<message>\xEF\xBF\xBE</message>", SB_XML_ERR_ILLEGAL_CHAR,
	  "\xBE<" },
	{ "illegal_ffff_in_name", S "<a\xEF\xBF\xBF/>", SB_XML_ERR_ILLEGAL_CHAR, "\xBF/>" },
	{ "doctype", "<!DOCTYPE stream>" S, SB_XML_ERR_DTD, "DOCTYPE" },
	{ "entity_decl_in_stanza", S "<message><!ENTITY x 'y'></message>", SB_XML_ERR_DTD,
	  "ENTITY" },
	{ "comment_prolog", "<!-- hi -->" S, SB_XML_ERR_COMMENT, "-- hi" },
	{ "comment_in_stanza", S "<message><!-- hi --></message>", SB_XML_ERR_COMMENT, "-- hi" },
	{ "comment_at_stream_level", S "<!-- hi -->", SB_XML_ERR_COMMENT, "-- hi" },
	{ "pi_in_stanza", S "<message><?foo bar?></message>", SB_XML_ERR_PI, "?foo" },
	{ "pi_at_start", "<?foo bar?>" S, SB_XML_ERR_PI, "foo bar" },
	{ "pi_xml_prefixed_target", "<?xml-stylesheet href='a'?>" S, SB_XML_ERR_PI,
	  "-stylesheet" },
	{ "xml_decl_after_whitespace", " <?xml version='1.0'?>" S, SB_XML_ERR_PI, "?xml" },
	{ "xml_decl_in_stream", S "<?xml version='1.0'?>", SB_XML_ERR_PI, "?xml" },
	{ "undefined_entity", S "<message>&nbsp;</message>", SB_XML_ERR_ENTITY, "nbsp;" },
	{ "undefined_entity_prefix_of_known", S "<message>&ampx;</message>", SB_XML_ERR_ENTITY,
	  "x;" },
	{ "undefined_entity_short", S "<message>&am;</message>", SB_XML_ERR_ENTITY, ";</" },
	{ "xml_decl_no_version", "<?xml encoding='UTF-8'?>" S, SB_XML_ERR_XML_DECL,
	  "='UTF" },
	{ "xml_decl_empty", "<?xml ?>" S, SB_XML_ERR_XML_DECL, ">" S },
	{ "xml_decl_wrong_order", "<?xml version='1.0' standalone='no' encoding='UTF-8'?>" S,
	  SB_XML_ERR_XML_DECL, "='UTF" },
	{ "xml_decl_unknown_pseudo_attr", "<?xml version='1.0' foo='1'?>" S,
	  SB_XML_ERR_XML_DECL, "oo=" },
	{ "xml_decl_bad_standalone", "<?xml version='1.0' standalone='maybe'?>" S,
	  SB_XML_ERR_XML_DECL, "'?>" },
	{ "xml_version_1_1", "<?xml version='1.1'?>" S, SB_XML_ERR_XML_VERSION, "'?>" },
	{ "encoding_latin1", "<?xml version='1.0' encoding='ISO-8859-1'?>" S,
	  SB_XML_ERR_ENCODING, "'?>" },
	{ "encoding_utf16", "<?xml version='1.0' encoding='UTF-16'?>" S, SB_XML_ERR_ENCODING,
	  "'?>" },
	{ "stream_wrong_root", "<stream xmlns='http://etherx.jabber.org/streams'>",
	  SB_XML_ERR_STREAM_NAME, " xmlns" },
	{ "stream_wrong_prefix", "<s:stream xmlns:s='http://etherx.jabber.org/streams'>",
	  SB_XML_ERR_STREAM_NAME, " xmlns" },
	{ "stream_self_closing", "<stream:stream xmlns:stream='http://etherx.jabber.org/"
	  "streams'/>", SB_XML_ERR_STREAM_NAME, ">" },
	{ "stream_ns_missing", "<stream:stream xmlns='jabber:client'>", SB_XML_ERR_STREAM_NS,
	  ">" },
	{ "stream_ns_wrong", "<stream:stream xmlns:stream='http://etherx.jabber.org/stream'>",
	  SB_XML_ERR_STREAM_NS, "'>" },
	{ "stream_ns_escaped", "<stream:stream xmlns:stream='http://etherx.jabber.org/stream"
	  "&#115;'>", SB_XML_ERR_STREAM_NS, "'>" },
	{ "stream_unbound_attr_prefix", "<stream:stream xmlns:stream='http://etherx.jabber.org/"
	  "streams' foo:x='1'>", SB_XML_ERR_UNBOUND_PREFIX, ">" },
	{ "stream_two_extra_prefixes", "<stream:stream xmlns:a='1' xmlns:b='2'",
	  SB_XML_ERR_LIMIT_NS, "'" },
	{ "limit_stanza", S "<message><body>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</body>"
	  "</message>", SB_XML_ERR_LIMIT_STANZA, NULL, 1, 2 * S_LEN },
	{ "limit_depth", S "<message><a><b><c/></b></a></message>", SB_XML_ERR_LIMIT_DEPTH,
	  "c/>", 1 },
	{ "limit_attrs", S "<message a='1' b='2' c='3' d='4' e='5'/>", SB_XML_ERR_LIMIT_ATTRS,
	  "='5'", 1 },
	{ "limit_value", S "<message id='0123456789abcdef0123456789abcdefX'/>",
	  SB_XML_ERR_LIMIT_VALUE, "X'/>", 1 },
	{ "limit_value_ref", S "<message id='0123456789abcdef0123456789abcde&amp;'/>",
	  SB_XML_ERR_LIMIT_VALUE, "amp;", 1 },
	{ "limit_name", S "<abcdefghijklmn/>", SB_XML_ERR_LIMIT_NAME, "n/>", 1 },
	{ "limit_namespaces", S "<m xmlns:a='1' xmlns:b='2' xmlns:c='3' xmlns:d='4' xmlns:e='5' "
	  "xmlns:f='6' xmlns:g='7' xmlns:h='8'><n xmlns:i='1' xmlns:j='2' xmlns:k='3' "
	  "xmlns:l='4' xmlns:m='5' xmlns:n='6' xmlns:o='7' xmlns:p='8' xmlns:q='9'/></m>",
	  SB_XML_ERR_LIMIT_NS, "'/></m>" },
};

static void limit_tight(struct sb_xml_limits *lim)
{
	lim->max_stanza_bytes = (uint32_t)strlen(H_STREAM);
	lim->max_attr_value_bytes = 32;
	lim->max_depth = 3;
	lim->max_attrs = 4;
	lim->max_name_bytes = 13;
}

static const char *last_occurrence(const char *hay, const char *needle)
{
	const char *hit = NULL;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		hit = p;
	return hit;
}

static void test_reject(void **state)
{
	const struct reject_case *c = *state;
	struct sb_xml_limits lim;
	struct h_run one, bytes;
	size_t len = strlen(c->in), at;
	const char *hit;

	if (c->tight)
		limit_tight(&lim);
	else
		sb_xml_limits_default(&lim);
	if (c->len)
		len = c->len;
	if (c->at != NULL) {
		hit = last_occurrence(c->in, c->at);
		assert_non_null(hit);
		at = (size_t)(hit - c->in);
	} else {
		at = c->off < 0 ? len - (size_t)-c->off : (size_t)c->off;
	}
	h_feed(&one, c->in, len, 0, 0, &lim);
	if (one.st != c->want)
		print_error("%s: got %s want %s\n", c->name, sb_xml_status_str(one.st),
			    sb_xml_status_str(c->want));
	assert_int_equal(one.st, c->want);
	assert_int_equal(one.err_off, at);
	h_feed(&bytes, c->in, len, 1, 0, &lim);
	assert_int_equal(bytes.st, c->want);
	assert_int_equal(bytes.err_off, at);
}

static void test_error_is_sticky(void **state)
{
	struct sb_xml x;
	struct sb_xml_ctx ctx;
	struct sb_xml_limits lim;
	struct sb_xml_event ev;
	size_t used;
	const char *bad = "<!-- x -->";

	(void)state;
	sb_xml_init(&x);
	sb_xml_limits_default(&lim);
	assert_int_equal(sb_xml_feed(&x, &ctx, &lim, (const uint8_t *)bad, strlen(bad), &ev, &used),
			 SB_XML_ERR_COMMENT);
	assert_int_equal(used, 2);
	assert_int_equal(sb_xml_feed(&x, &ctx, &lim, (const uint8_t *)H_STREAM, strlen(H_STREAM),
				     &ev, &used), SB_XML_ERR_COMMENT);
	assert_int_equal(used, 0);
}

/* Limits above the ctx capacities are clamped to them, not trusted. */
static void test_limit_clamped_to_capacity(void **state)
{
	char in[1024];
	struct sb_xml_limits lim;
	struct h_run r;
	size_t len = strlen(H_STREAM), at = 0;

	(void)state;
	sb_xml_limits_default(&lim);
	lim.max_depth = 1000;
	memcpy(in, H_STREAM, len);
	for (unsigned d = 0; d <= SB_XML_DEPTH_MAX; d++) {
		at = len + 1;
		memcpy(in + len, "<a>", 3);
		len += 3;
	}
	h_feed(&r, in, len, 0, 0, &lim);
	assert_int_equal(r.st, SB_XML_ERR_LIMIT_DEPTH);
	assert_int_equal(r.err_off, at);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 2];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tests[n] = (struct CMUnitTest){ .name = cases[i].name, .test_func = test_reject,
						.initial_state = (void *)&cases[i] };
		n++;
	}
	tests[n++] = (struct CMUnitTest){ .name = "error_is_sticky",
					  .test_func = test_error_is_sticky };
	tests[n++] = (struct CMUnitTest){ .name = "limit_clamped_to_capacity",
					  .test_func = test_limit_clamped_to_capacity };
	return _cmocka_run_group_tests("xml-reject", tests, n, NULL, NULL);
}
