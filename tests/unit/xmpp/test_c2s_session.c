/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp after authentication: resource binding (RFC 6120 §7) with and
 * without a resource, refusals and retries, the legacy session, the iqs
 * answered locally (XEP-0199 ping, service-unavailable, RFC 6120 §8.4),
 * and routed stanzas: from stamped and a forged from removed, to
 * normalised, jid-malformed (§8.3.3.8), type and id rules, escaping.
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
#define BIND_NS "urn:ietf:params:xml:ns:xmpp-bind"
#define STANZAS_NS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define ME "juliet@example.com/balcony"

H_FIXTURE((void)0) /* h, setup, teardown (c2s_harness.h) */

/* Open, authenticate, restart: ready to bind. */
static void to_bind(void)
{
	static const char msg[] = "\0juliet\0secret";

	h_send(h, H_OPEN);
	h_auth(h, "PLAIN", msg, sizeof(msg) - 1);
	h_plain(h, true);
	h_send(h, H_OPEN);
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
	h_since(h);
}

static void test_bind_resource(void **state)
{
	size_t n;
	const char *j;

	(void)state;
	to_bind();
	h_send(h, "<iq type='set' id='b1'><bind xmlns='" BIND_NS "'><resource>Balcony</resource>"
		  "</bind></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
	assert_string_equal(h->jid, "juliet@example.com/Balcony");
	assert_true(sb_c2s_waiting(&h->c));
	assert_false(h->env.res.generated);
	assert_int_equal(h->env.res.conflict_policy, SB_C2S_CONFLICT_KICK_OLD);
	assert_string_equal(h_since(h), "");
	h_bind(h, SB_C2S_BIND_OK, "juliet@example.com/Balcony");
	assert_string_equal(h_since(h), "<iq type='result' id='b1'><bind xmlns='" BIND_NS "'><jid>"
			    "juliet@example.com/Balcony</jid></bind></iq>");
	assert_true(sb_c2s_bound(&h->c));
	j = sb_c2s_full_jid(&h->c, &n);
	assert_int_equal(n, 26);
	assert_memory_equal(j, "juliet@example.com/Balcony", n);
	j = sb_c2s_bare_jid(&h->c, &n);
	assert_int_equal(n, 18);
	assert_memory_equal(j, "juliet@example.com", n);
	assert_int_equal(h->aux_in_use, 0);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_bind_ok], 1);
}

static void test_bind_generated(void **state)
{
	(void)state;
	to_bind();
	h->rnd = 0xa0;
	h_send(h, "<iq type='set' id='b2'><bind xmlns='" BIND_NS "'/></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
	assert_string_equal(h->jid, "juliet@example.com/a0a1a2a3a4a5a6a7");
	assert_true(h->env.res.generated);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_bind_resource_generated], 1);
	h_bind(h, SB_C2S_BIND_OK, h->jid);
	assert_non_null(strstr(h_since(h), "<jid>juliet@example.com/a0a1a2a3a4a5a6a7</jid>"));
}

static void test_bind_empty_bind_element(void **state)
{
	(void)state;
	to_bind();
	h_send(h, "<iq type='set' id='b2'><bind xmlns='" BIND_NS "'>  </bind></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
	assert_true(h->env.res.generated);
	h_bind(h, SB_C2S_BIND_NOT_ALLOWED, NULL);
	assert_non_null(strstr(h_since(h), "<not-allowed xmlns='" STANZAS_NS "'/>"));
}

static void test_bind_conflict_then_retry(void **state)
{
	(void)state;
	to_bind();
	h_send(h, "<iq type='set' id='b1'><bind xmlns='" BIND_NS "'><resource>balcony</resource>"
		  "</bind></iq>");
	h_bind(h, SB_C2S_BIND_CONFLICT, NULL);
	assert_string_equal(h_since(h), "<iq type='error' id='b1'><error type='cancel'><conflict "
			    "xmlns='" STANZAS_NS "'/></error></iq>");
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_bind_conflict], 1);
	h_send(h, "<iq type='set' id='b3'><bind xmlns='" BIND_NS "'><resource>garden</resource>"
		  "</bind></iq>");
	assert_string_equal(h->jid, "juliet@example.com/garden");
	h_bind(h, SB_C2S_BIND_OK, h->jid);
	assert_non_null(strstr(h_since(h), "id='b3'"));
	assert_true(sb_c2s_bound(&h->c));
}

static void test_bind_resource_limit(void **state)
{
	(void)state;
	to_bind();
	h_send(h, "<iq type='set' id='b1'><bind xmlns='" BIND_NS "'/></iq>");
	h_bind(h, SB_C2S_BIND_RESOURCE_LIMIT, NULL);
	assert_string_equal(h_since(h), "<iq type='error' id='b1'><error type='wait'>"
			    "<resource-constraint xmlns='" STANZAS_NS "'/></error></iq>");
}

static void test_bind_bad_resource(void **state)
{
	(void)state;
	to_bind();
	/* U+0085 (a control) is not allowed by OpaqueString (RFC 8265 §4.2). */
	h_send(h, "<iq type='set' id='b1'><bind xmlns='" BIND_NS "'><resource>a&#x85;b"
		  "</resource></bind></iq>");
	assert_string_equal(h_since(h), "<iq type='error' id='b1' from='example.com'><error "
			    "type='modify'><bad-request xmlns='" STANZAS_NS "'/></error></iq>");
	assert_false(h_saw(h, SB_C2S_ACT_BIND_REQUEST));
	h_send(h, "<iq type='set' id='b2'><bind xmlns='" BIND_NS "'><foo/></bind></iq>");
	assert_non_null(strstr(h_since(h), "bad-request"));
	h_send(h, "<iq type='get' id='b3'><bind xmlns='" BIND_NS "'/></iq>");
	assert_non_null(strstr(h_since(h), "bad-request"));
	h_send(h, "<iq type='set'><bind xmlns='" BIND_NS "'/></iq>");
	assert_non_null(strstr(h_since(h), "bad-request"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_bind_bad_request], 4);
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
}

static void test_stanza_before_bind(void **state)
{
	(void)state;
	to_bind();
	h_send(h, "<message to='romeo@example.com'><body>hi</body></message>");
	assert_string_equal(h_since(h), SERR("not-authorized"));
	assert_true(h->closed);
}

static void test_bind_escaped(void **state)
{
	(void)state;
	to_bind();
	h_send(h, "<iq type='set' id='b1'><bind xmlns='" BIND_NS "'><resource>o'&amp;&lt;\""
		  "</resource></bind></iq>");
	assert_string_equal(h->jid, "juliet@example.com/o'&<\"");
	h_bind(h, SB_C2S_BIND_OK, h->jid);
	assert_non_null(strstr(h_since(h), "<jid>juliet@example.com/o&apos;&amp;&lt;&quot;</jid>"));
	h_send(h, "<message to='romeo@example.com'/>");
	assert_string_equal(h->routed, "<message from='juliet@example.com/o&apos;&amp;&lt;&quot;'"
			    " to='romeo@example.com'/>");
}

static void test_session(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
		  "</iq>");
	assert_string_equal(h_since(h), "<iq type='result' id='s1' from='example.com' to='" ME
			    "'/>");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_session], 1);
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
}

static void test_ping(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
	assert_string_equal(h_since(h), "<iq type='result' id='p1' from='example.com' to='" ME
			    "'/>");
	h_send(h, "<iq type=\"get\" id=\"a'b\"><ping xmlns=\"urn:xmpp:ping\"/></iq>");
	assert_string_equal(h_since(h), "<iq type='result' id=\"a'b\" to='" ME "'/>");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_ping_local], 2);
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
}

static void test_message_routed(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message to='Romeo@Example.com' type='chat' id='m1'><body>hi &amp; bye</body>"
		  "</message>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_string_equal(h_since(h), "");
	assert_string_equal(h->routed, "<message from='" ME "' to='Romeo@Example.com' type='chat' "
			    "id='m1'><body>hi &amp; bye</body></message>");
	assert_string_equal(h->routed_to, "romeo@example.com");
	assert_string_equal(h->routed_id, "m1");
	assert_int_equal(h->stanza.kind, SB_C2S_KIND_MESSAGE);
	assert_int_equal(h->stanza.type, SB_C2S_T_CHAT);
	assert_string_equal(h->stanza.child, "body");
	assert_int_equal(h->stanza.child_ns_len, 13);
	assert_memory_equal(h->stanza.child_ns, "jabber:client", 13);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_routed_message], 1);
}

static void test_forged_from(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message from='romeo@example.com/x' to='romeo@example.com' id='m2'>"
		  "<body>x</body></message>");
	assert_string_equal(h->routed, "<message from='" ME "' to='romeo@example.com' id='m2'>"
			    "<body>x</body></message>");
	assert_string_equal(h->routed_id, "m2");
	h_send(h, "<presence to='romeo@example.com'\n\tfrom = \"evil@example.com\" id='p'/>");
	assert_string_equal(h->routed, "<presence from='" ME "' to='romeo@example.com' id='p'/>");
	assert_string_equal(h->routed_id, "p");
	h_send(h, "<message id='m3' from='a@b'\n><body/></message>");
	assert_string_equal(h->routed, "<message from='" ME "' id='m3'\n><body/></message>");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_from_replaced], 3);
	assert_null(h->stanza.to);
}

static void test_jid_malformed(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message to='@example.com' id='m2'><body>x</body></message>");
	assert_string_equal(h_since(h), "<message type='error' id='m2' from='example.com' to='" ME
			    "'><error type='modify'><jid-malformed xmlns='" STANZAS_NS
			    "'/></error></message>");
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
	assert_false(h->closed);
	h_send(h, "<presence to='a@b@c'/>");
	assert_non_null(strstr(h_since(h), "<presence type='error' from='example.com'"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stanza_jid_malformed], 2);
}

static void test_error_not_answered(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<message type='error' to='@bad' id='e'/>");
	assert_string_equal(h_since(h), "");
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_error_stanza_not_answered], 1);
}

static void test_iq_to_server(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<iq type='get' id='v1' to='example.com'><query xmlns='jabber:iq:version'/>"
		  "</iq>");
	assert_string_equal(h_since(h), "<iq type='error' id='v1' from='example.com' to='" ME
			    "'><error type='cancel'><service-unavailable xmlns='" STANZAS_NS
			    "'/></error></iq>");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stanza_service_unavailable], 1);
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
	/* configured to route them instead */
	h->env.cfg.route_server_iq = true;
	h_send(h, "<iq type='get' id='v2' to='example.com'><query xmlns='jabber:iq:version'/>"
		  "</iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_string_equal(h->routed_to, "example.com");
}

static void test_iq_to_account_routed(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_string_equal(h->routed, "<iq from='" ME "' type='get' id='r1'><query "
			    "xmlns='jabber:iq:roster'/></iq>");
	assert_null(h->stanza.to);
	assert_int_equal(h->stanza.kind, SB_C2S_KIND_IQ);
	assert_int_equal(h->stanza.type, SB_C2S_T_GET);
	assert_string_equal(h->stanza.child, "query");
	assert_int_equal(h->stanza.child_ns_len, 16);
	assert_memory_equal(h->stanza.child_ns, "jabber:iq:roster", 16);
	/* spans after a dropped from still point at the right bytes */
	h_send(h, "<iq from='x@y/z' type='get' id='r2'><query xmlns='jabber:iq:private'/></iq>");
	assert_string_equal(h->routed_id, "r2");
	assert_int_equal(h->stanza.child_ns_len, 17);
	assert_memory_equal(h->stanza.child_ns, "jabber:iq:private", 17);
	assert_true(h->stanza.child_ns > h->stanza.bytes);
	/* a result to the server is routed (the control plane may have asked) */
	h_send(h, "<iq type='result' id='srv1' to='example.com'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
}

static void test_iq_rules(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<iq type='get' to='romeo@example.com'><query xmlns='jabber:iq:version'/></iq>");
	assert_non_null(strstr(h_since(h), "<bad-request xmlns='" STANZAS_NS "'/>"));
	h_send(h, "<iq type='fetch' id='x' to='romeo@example.com'/>");
	assert_non_null(strstr(h_since(h), "id='x'"));
	h_send(h, "<presence type='bogus'/>");
	assert_non_null(strstr(h_since(h), "<presence type='error'"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stanza_bad_request], 3);
	h_send(h, "<message type='weird' to='romeo@example.com'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_int_equal(h->stanza.type, SB_C2S_T_OTHER);
	h_send(h, "<message type='get' to='romeo@example.com' id='g'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_string_equal(h->routed_id, "g");
	assert_int_equal(h->stanza.type, SB_C2S_T_OTHER);
	h_send(h, "<message type='groupchat' to='room@muc.example.com'/>");
	assert_int_equal(h->stanza.type, SB_C2S_T_GROUPCHAT);
	h_send(h, "<iq type='set' id='b9'><bind xmlns='" BIND_NS "'/></iq>");
	assert_non_null(strstr(h_since(h), "<not-allowed xmlns='" STANZAS_NS "'/>"));
}

static void test_presence_routed(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<presence><show>away</show></presence>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	assert_string_equal(h->routed, "<presence from='" ME "'><show>away</show></presence>");
	assert_int_equal(h->stanza.kind, SB_C2S_KIND_PRESENCE);
	assert_int_equal(h->stanza.type, SB_C2S_T_NONE);
	h_send(h, "<presence type='subscribe' to='romeo@example.com'/>");
	assert_int_equal(h->stanza.type, SB_C2S_T_SUBSCRIBE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_routed_presence], 2);
}

static void test_unsupported_element(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, "<enable xmlns='urn:xmpp:sm:3'/>");
	assert_string_equal(h_since(h), SERR("unsupported-stanza-type"));
	assert_int_equal(h->stream_err, SB_C2S_SERR_UNSUPPORTED_STANZA);
}

static void test_route_overflow(void **state)
{
	(void)state;
	h_login(h);
	h->env.route_cap = 40;
	h_send(h, "<message to='romeo@example.com' id='big'><body>0123456789</body></message>");
	assert_non_null(strstr(h_since(h), "<resource-constraint xmlns='" STANZAS_NS "'/>"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_route_overflow], 1);
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
}

static void test_out_overflow(void **state)
{
	(void)state;
	h_login(h);
	h->env.out_cap = 60; /* below SB_C2S_OUT_MIN on purpose */
	h_send(h, "<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
	assert_true(h->closed);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_out_overflow], 1);
	assert_int_equal(h->stream_err, SB_C2S_SERR_INTERNAL_SERVER_ERROR);
}

static void test_kicked(void **state)
{
	(void)state;
	h_login(h);
	assert_int_equal(sb_c2s_shutdown(&h->c, &h->env, SB_C2S_SERR_CONFLICT), SB_C2S_ACT_CLOSE);
	h->out[h->env.out_len] = 0;
	assert_string_equal((char *)h->out, SERR("conflict"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_shutdown_conflict], 1);
}

static void test_full_transcript_one_chunk(void **state)
{
	(void)state;
	/* Everything a pipelining client sends at once after auth. */
	h_send(h, H_OPEN "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
		  "AGp1bGlldABzZWNyZXQ=</auth>" H_OPEN "<iq type='set' id='b'><bind xmlns='"
		  BIND_NS "'/></iq><presence/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	h_plain(h, true);
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
	h_bind(h, SB_C2S_BIND_OK, h->jid);
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
	/* two stream ids took CSPRNG bytes 0x00..0x1f, the resource the next 8 */
	assert_string_equal(h->routed, "<presence from='juliet@example.com/2021222324252627'/>");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bind_resource), T(test_bind_generated), T(test_bind_empty_bind_element),
		T(test_bind_conflict_then_retry), T(test_bind_resource_limit),
		T(test_bind_bad_resource), T(test_stanza_before_bind), T(test_bind_escaped),
		T(test_session), T(test_ping), T(test_message_routed), T(test_forged_from),
		T(test_jid_malformed), T(test_error_not_answered), T(test_iq_to_server),
		T(test_iq_to_account_routed), T(test_iq_rules), T(test_presence_routed),
		T(test_unsupported_element), T(test_route_overflow), T(test_out_overflow),
		T(test_kicked), T(test_full_transcript_one_chunk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
