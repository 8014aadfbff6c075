/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xml: the events of a realistic stream (XML declaration, stream header,
 * stanzas with entities, character references, multibyte UTF-8, CDATA,
 * in-stanza namespace prefixes, keepalives, the close) do not depend on how
 * the bytes are split: every single split point, every chunk size up to 64
 * and byte-by-byte feeding all give the events of the one-chunk feed. The
 * harness scribbles over the shared ctx whenever the parser is idle, so this
 * also proves that nothing outlives a stanza in the ctx.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xml_harness.h"

static const char stream[] =
	"<?xml version='1.0' encoding='UTF-8'?>\n"
	"<stream:stream from='juliet@im.example.com' to='im.example.com' version='1.0' "
	"xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
	"biwsbj1qdWxpZXQscj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQQ==</auth>\n"
	"<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
	"<resource>balcony</resource></bind></iq>"
	"<message type='chat' to='r\xC3\xA9my@example.net/\xE6\x97\xA5' id='a&amp;b&#x41;' "
	"from='juliet@example.com/balcony' xml:lang='fr'>"
	"<body>Caf\xC3\xA9 &lt;3 &#128512; \xF0\x9F\x8C\xB9 ]] > &quot;ok&apos;</body>"
	"<x:data xmlns:x='urn:example:x'><x:f x:k='v'><![CDATA[<raw> & ]]></x:f></x:data>"
	"<request xmlns='urn:xmpp:receipts'/></message>"
	"  \n  "
	"<presence><show>away</show><status>\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"
	"</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' "
	"ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>"
	"<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>"
	"<r xmlns='urn:xmpp:sm:3'/>\n"
	"</stream:stream>";

static struct h_run ref_run, run;

static void feed_ref(void)
{
	struct sb_xml_limits lim;

	sb_xml_limits_default(&lim);
	h_feed(&ref_run, stream, sizeof(stream) - 1, 0, 0, &lim);
}

static void test_reference_events(void **state)
{
	(void)state;
	feed_ref();
	assert_int_equal(ref_run.st, SB_XML_NEED_MORE);
	assert_int_equal(ref_run.nev, 8);
	assert_int_equal(ref_run.ev[0].type, SB_XML_EV_STREAM_OPEN);
	assert_string_equal(ref_run.ev[1].name, "auth");
	assert_string_equal(ref_run.ev[2].child, "bind");
	assert_string_equal(ref_run.ev[2].child_ns, "urn:ietf:params:xml:ns:xmpp-bind");
	assert_string_equal(ref_run.ev[3].name, "message");
	assert_string_equal(ref_run.ev[3].id, "a&bA");
	assert_string_equal(ref_run.ev[3].to, "r\xC3\xA9my@example.net/\xE6\x97\xA5");
	assert_string_equal(ref_run.ev[4].name, "presence");
	assert_string_equal(ref_run.ev[5].child_ns, "urn:xmpp:ping");
	assert_string_equal(ref_run.ev[6].name, "r");
	assert_int_equal(ref_run.ev[7].type, SB_XML_EV_STREAM_CLOSE);
	assert_int_equal(ref_run.ev[7].end, sizeof(stream) - 1);
	assert_int_equal(ref_run.ws_total, 1 + 1 + 5 + 1);
}

static void test_every_split_point(void **state)
{
	struct sb_xml_limits lim;

	(void)state;
	feed_ref();
	sb_xml_limits_default(&lim);
	for (size_t cut = 0; cut <= sizeof(stream) - 1; cut++) {
		h_feed(&run, stream, sizeof(stream) - 1, SIZE_MAX, cut, &lim);
		if (h_cmp(&run, &ref_run) != 0)
			fail_msg("split at %zu differs (status %s)", cut,
				 sb_xml_status_str(run.st));
	}
}

static void test_byte_by_byte(void **state)
{
	struct sb_xml_limits lim;

	(void)state;
	feed_ref();
	sb_xml_limits_default(&lim);
	h_feed(&run, stream, sizeof(stream) - 1, 1, 0, &lim);
	assert_int_equal(h_cmp(&run, &ref_run), 0);
	assert_true(run.keepalives >= 1);
}

static void test_every_chunk_size(void **state)
{
	struct sb_xml_limits lim;

	(void)state;
	feed_ref();
	sb_xml_limits_default(&lim);
	for (size_t chunk = 2; chunk <= 64; chunk++) {
		h_feed(&run, stream, sizeof(stream) - 1, chunk, 0, &lim);
		if (h_cmp(&run, &ref_run) != 0)
			fail_msg("chunk size %zu differs", chunk);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_events),
		cmocka_unit_test(test_every_split_point),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_every_chunk_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
