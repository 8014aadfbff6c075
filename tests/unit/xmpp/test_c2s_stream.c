/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp stream level: the stream header and its errors (RFC 6120 §4.7,
 * §4.9), features before authentication, close, tokenizer errors mapped to
 * stream errors, pre-authentication limits, anything but SASL before
 * authentication, shutdown.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define HDR_OUT "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " \
		"xmlns:stream='http://etherx.jabber.org/streams' " \
		"id='000102030405060708090a0b0c0d0e0f' from='example.com' version='1.0' " \
		"xml:lang='en'>"
#define SERR(cond) "<stream:error><" cond " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" \
		   "</stream:error></stream:stream>"

H_FIXTURE((void)0) /* h, setup, teardown (c2s_harness.h) */

static void open_with(const char *attrs)
{
	char s[512];

	snprintf(s, sizeof(s), "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' %s>",
		 attrs);
	h_send(h, s);
}

static void test_open_features(void **state)
{
	(void)state;
	h_send(h, H_OPEN);
	assert_string_equal(h_since(h), HDR_OUT "<stream:features><mechanisms "
			    "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256"
			    "</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN"
			    "</mechanism></mechanisms></stream:features>");
	assert_int_equal(h_last(h), SB_C2S_ACT_NONE);
	assert_int_equal(h->c.state, SB_C2S_S_SASL);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stream_opened], 1);
}

static void test_open_mechs_config(void **state)
{
	(void)state;
	h->env.cfg.mechs = SB_C2S_MECH_BIT(SB_C2S_MECH_SCRAM_SHA1);
	h_send(h, H_OPEN);
	assert_non_null(strstr(h_since(h), "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
				       "<mechanism>SCRAM-SHA-1</mechanism></mechanisms>"));
}

static void test_open_to_case_normalised(void **state)
{
	(void)state;
	open_with("xmlns='jabber:client' to='EXAMPLE.com.' version='1.0'");
	assert_false(h->closed);
	assert_int_equal(h->c.state, SB_C2S_S_SASL);
}

static void expect_error(const char *cond, enum sb_c2s_stream_err e)
{
	char want[512];

	snprintf(want, sizeof(want), HDR_OUT SERR("%s"), cond);
	assert_string_equal(h_since(h), want);
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_true(h->closed);
	assert_int_equal(h->stream_err, e);
	assert_int_equal(h->c.state, SB_C2S_S_CLOSED);
}

static void test_open_wrong_to(void **state)
{
	(void)state;
	open_with("xmlns='jabber:client' to='example.org' version='1.0'");
	expect_error("host-unknown", SB_C2S_SERR_HOST_UNKNOWN);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_err_host_unknown], 1);
}

static void test_open_to_not_domain(void **state)
{
	(void)state;
	open_with("xmlns='jabber:client' to='juliet@example.com' version='1.0'");
	expect_error("host-unknown", SB_C2S_SERR_HOST_UNKNOWN);
}

static void test_open_no_to(void **state)
{
	(void)state;
	open_with("xmlns='jabber:client' version='1.0'");
	expect_error("host-unknown", SB_C2S_SERR_HOST_UNKNOWN);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_err_no_to], 1);
}

static void test_open_wrong_ns(void **state)
{
	(void)state;
	open_with("xmlns='jabber:server' to='example.com' version='1.0'");
	expect_error("invalid-namespace", SB_C2S_SERR_INVALID_NAMESPACE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_err_namespace], 1);
}

static void test_open_no_ns(void **state)
{
	(void)state;
	open_with("to='example.com' version='1.0'");
	expect_error("invalid-namespace", SB_C2S_SERR_INVALID_NAMESPACE);
}

static void test_open_version_missing(void **state)
{
	(void)state;
	open_with("xmlns='jabber:client' to='example.com'");
	expect_error("unsupported-version", SB_C2S_SERR_UNSUPPORTED_VERSION);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_err_version], 1);
}

static void test_open_version_2(void **state)
{
	(void)state;
	open_with("xmlns='jabber:client' to='example.com' version='2.0'");
	expect_error("unsupported-version", SB_C2S_SERR_UNSUPPORTED_VERSION);
}

static void test_open_version_garbage(void **state)
{
	(void)state;
	open_with("xmlns='jabber:client' to='example.com' version='1.'");
	expect_error("unsupported-version", SB_C2S_SERR_UNSUPPORTED_VERSION);
}

static void test_open_version_1_1(void **state)
{
	(void)state;
	/* RFC 6120 §4.7.5: we answer a higher minor version with ours. */
	open_with("xmlns='jabber:client' to='example.com' version='1.1'");
	assert_false(h->closed);
	assert_non_null(strstr(h_since(h), "version='1.0'"));
}

static void test_close(void **state)
{
	(void)state;
	h_send(h, H_OPEN);
	h_since(h);
	h_send(h, "</stream:stream>");
	assert_string_equal(h_since(h), "</stream:stream>");
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->stream_err, SB_C2S_SERR_NONE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_client_closed], 1);
	/* Anything after: refused without output. */
	assert_int_equal(sb_c2s_stream_close(&h->c, &h->env), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.out_len, 0);
	assert_int_equal(sb_c2s_xml_error(&h->c, &h->env, SB_XML_ERR_AFTER_CLOSE),
			 SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.out_len, 0);
}

static void after_open(const char *bytes, const char *cond, enum sb_c2s_stream_err e,
		       enum sb_c2s_ctr ctr)
{
	char want[256];

	h_send(h, H_OPEN);
	h_since(h);
	h_send(h, bytes);
	snprintf(want, sizeof(want), SERR("%s"), cond);
	assert_string_equal(h_since(h), want);
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->stream_err, e);
	assert_int_equal(h->env.ctr[ctr], 1);
}

static void test_xml_comment(void **state)
{
	(void)state;
	after_open("<!-- hi -->", "restricted-xml", SB_C2S_SERR_RESTRICTED_XML,
		   SB_C2S_CTR_xml_restricted);
}

static void test_xml_entity(void **state)
{
	(void)state;
	after_open("<message><body>&nbsp;</body></message>", "restricted-xml",
		   SB_C2S_SERR_RESTRICTED_XML, SB_C2S_CTR_xml_restricted);
}

static void test_xml_mismatch(void **state)
{
	(void)state;
	after_open("<message><a></b></message>", "not-well-formed", SB_C2S_SERR_NOT_WELL_FORMED,
		   SB_C2S_CTR_xml_not_well_formed);
}

static void test_xml_text_at_stream(void **state)
{
	(void)state;
	after_open("hello", "bad-format", SB_C2S_SERR_BAD_FORMAT, SB_C2S_CTR_xml_bad_format);
}

static void test_xml_limit(void **state)
{
	(void)state;
	h->lim.max_depth = 3;
	after_open("<message><a><b><c/></b></a></message>", "policy-violation",
		   SB_C2S_SERR_POLICY_VIOLATION, SB_C2S_CTR_xml_limit);
}

static void test_xml_error_in_header(void **state)
{
	(void)state;
	/* RFC 6120 §4.9.1.2: our header precedes the error. */
	h_send(h, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
		  "xmlns='jabber:client' to='example.com' version='1.0' a='<'>");
	expect_error("not-well-formed", SB_C2S_SERR_NOT_WELL_FORMED);
}

static void test_xml_wrong_root(void **state)
{
	(void)state;
	h_send(h, "<foo/>");
	expect_error("bad-format", SB_C2S_SERR_BAD_FORMAT);
}

static void test_xml_encoding(void **state)
{
	(void)state;
	h_send(h, "<?xml version='1.0' encoding='ISO-8859-1'?>");
	expect_error("unsupported-encoding", SB_C2S_SERR_UNSUPPORTED_ENCODING);
}

static void test_stanza_before_auth(void **state)
{
	(void)state;
	after_open("<message to='romeo@example.com'><body>hi</body></message>", "not-authorized",
		   SB_C2S_SERR_NOT_AUTHORIZED, SB_C2S_CTR_not_authorized);
}

static void test_iq_before_auth(void **state)
{
	(void)state;
	after_open("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", "not-authorized",
		   SB_C2S_SERR_NOT_AUTHORIZED, SB_C2S_CTR_not_authorized);
}

static void test_preauth_elements(void **state)
{
	(void)state;
	h->env.cfg.preauth_elements_max = 5;
	h->env.cfg.max_auth_attempts = 100;
	h_send(h, H_OPEN); /* element 1 */
	for (int i = 0; i < 4; i++)
		h_send(h, "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	assert_false(h->closed);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_aborted], 4);
	h_since(h);
	h_send(h, "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	assert_string_equal(h_since(h), SERR("policy-violation"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_preauth_elements_exceeded], 1);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_aborted], 4);
}

static void test_preauth_bytes(void **state)
{
	static char big[9000];
	size_t left;

	(void)state;
	h_send(h, H_OPEN);
	left = sb_c2s_max_element(&h->c, &h->env);
	assert_int_equal(left, 8192 - strlen(H_OPEN) + strlen("<?xml version='1.0'?>"));
	snprintf(big, sizeof(big), "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%0*d</abort>",
		 (int)left, 0);
	h_since(h);
	h_send(h, big);
	assert_string_equal(h_since(h), SERR("policy-violation"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_preauth_bytes_exceeded], 1);
	assert_int_equal(sb_c2s_max_element(&h->c, &h->env), 0);
}

static void test_shutdown(void **state)
{
	(void)state;
	h_send(h, H_OPEN);
	h_since(h);
	assert_int_equal(sb_c2s_shutdown(&h->c, &h->env, SB_C2S_SERR_SYSTEM_SHUTDOWN),
			 SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.out_len, strlen(SERR("system-shutdown")));
	assert_memory_equal(h->env.out, SERR("system-shutdown"), h->env.out_len);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_shutdown_system], 1);
	assert_int_equal(h->c.state, SB_C2S_S_CLOSED);
}

static void test_shutdown_before_header(void **state)
{
	(void)state;
	assert_int_equal(sb_c2s_shutdown(&h->c, &h->env, SB_C2S_SERR_CONNECTION_TIMEOUT),
			 SB_C2S_ACT_CLOSE);
	h->out[h->env.out_len] = 0;
	assert_string_equal((char *)h->out, HDR_OUT SERR("connection-timeout"));
}

static void test_real_csprng(void **state)
{
	char id1[40], id2[40];
	const char *s;

	(void)state;
	h->env.random = NULL; /* OpenSSL RAND_bytes */
	h_send(h, H_OPEN);
	s = strstr(h_since(h), " id='");
	assert_non_null(s);
	memcpy(id1, s + 5, 32);
	id1[32] = 0;
	assert_int_equal(s[37], '\'');
	sb_c2s_start(&h->c, &h->env);
	sb_xml_init(&h->x);
	h_send(h, H_OPEN);
	s = strstr(h_since(h), " id='");
	memcpy(id2, s + 5, 32);
	id2[32] = 0;
	assert_string_not_equal(id1, id2);
}

static void test_random_failure(void **state)
{
	(void)state;
	h->rnd_fail = true;
	h_send(h, H_OPEN);
	assert_true(h->closed);
	assert_int_equal(h->stream_err, SB_C2S_SERR_INTERNAL_SERVER_ERROR);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_random_failed], 1);
}

static void test_split_bytes(void **state)
{
	const char *in = H_OPEN "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
			 "mechanism='PLAIN'>AGp1bGlldABzZWNyZXQ=</auth>";
	char one[2] = { 0 };

	(void)state;
	/* One byte at a time: the same actions as in one chunk. */
	for (size_t i = 0; in[i]; i++) {
		one[0] = in[i];
		h_send(h, one);
	}
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	assert_string_equal(h->user, "juliet");
	assert_string_equal(h->passwd, "secret");
	h_plain(h, false);
}

/* A whole session transcript: feed it in chunks of every size from 1 to 64
 * bytes and get the same output, actions and routed stanzas as in one
 * chunk. Answers to the asynchronous actions are given whenever one is
 * pending. */
static void run_chunked(struct h_conn *r, const char *in, size_t chunk)
{
	size_t n = strlen(in);
	char part[1024];

	assert_true(n < sizeof(part));
	h_init(r);
	for (size_t i = 0; i < n; i += chunk) {
		size_t k = n - i < chunk ? n - i : chunk;

		memcpy(part, in + i, k);
		part[k] = 0;
		h_send(r, part);
		while (sb_c2s_waiting(&r->c)) {
			if (h_last(r) == SB_C2S_ACT_AUTH_PLAIN_VERIFY)
				h_plain(r, true);
			else if (h_last(r) == SB_C2S_ACT_BIND_REQUEST)
				h_bind(r, SB_C2S_BIND_OK, r->jid);
			else
				fail();
		}
	}
}

static void test_split_every_chunk(void **state)
{
	static const char in[] =
		H_OPEN "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
		"AGp1bGlldABzZWNyZXQ=</auth>" H_OPEN
		"<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
		"<resource>r</resource></bind></iq>"
		"<iq type='get' id='p' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>"
		"<message to='romeo@example.com' from='x@y'><body>hi</body></message>"
		"<message to='@bad' id='e'/></stream:stream>";
	struct h_conn *r = calloc(1, sizeof(*r));

	(void)state;
	run_chunked(h, in, sizeof(in));
	assert_true(h->closed);
	assert_non_null(strstr(h->sent, "<jid>juliet@example.com/r</jid>"));
	assert_non_null(strstr(h->sent, "jid-malformed"));
	assert_string_equal(h->routed, "<message from='juliet@example.com/r' "
			    "to='romeo@example.com'><body>hi</body></message>");
	for (size_t chunk = 1; chunk <= 64; chunk++) {
		run_chunked(r, in, chunk);
		assert_string_equal(r->sent, h->sent);
		assert_int_equal(r->nacts, h->nacts);
		assert_memory_equal(r->acts, h->acts, h->nacts * sizeof(h->acts[0]));
		assert_string_equal(r->routed, h->routed);
	}
	free(r);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sb_c2s_ctr_name(SB_C2S_CTR_sasl_success), "sasl_success");
	assert_null(sb_c2s_ctr_name(SB_C2S_CTR_MAX));
	for (int i = 0; i < SB_C2S_CTR_MAX; i++)
		assert_non_null(sb_c2s_ctr_name((enum sb_c2s_ctr)i));
	for (int i = 0; i < SB_C2S_SERR_MAX; i++)
		assert_non_null(sb_c2s_stream_err_name((enum sb_c2s_stream_err)i));
	for (int i = 0; i < SB_C2S_S_MAX; i++)
		assert_non_null(sb_c2s_state_name((enum sb_c2s_state)i));
}

static void test_config_default(void **state)
{
	struct sb_c2s_config cfg;

	(void)state;
	assert_int_equal(sb_c2s_config_default(&cfg, "Example.COM", 11), 0);
	assert_string_equal(cfg.domain, "example.com");
	assert_int_equal(cfg.max_auth_attempts, 3);
	assert_int_equal(cfg.preauth_bytes_max, 8192);
	assert_int_equal(cfg.preauth_elements_max, 32);
	assert_true(cfg.legacy_session);
	assert_int_equal(cfg.tls_policy, SB_C2S_TLS_REQUIRED);
	assert_false(cfg.plain_without_tls);
	assert_int_equal(sb_c2s_config_default(&cfg, "a@example.com", 13), -EINVAL);
	assert_int_equal(sb_c2s_config_default(&cfg, "", 0), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_features), T(test_open_mechs_config), T(test_open_to_case_normalised),
		T(test_open_wrong_to), T(test_open_to_not_domain), T(test_open_no_to),
		T(test_open_wrong_ns), T(test_open_no_ns), T(test_open_version_missing),
		T(test_open_version_2), T(test_open_version_garbage), T(test_open_version_1_1),
		T(test_close), T(test_xml_comment), T(test_xml_entity), T(test_xml_mismatch),
		T(test_xml_text_at_stream), T(test_xml_limit), T(test_xml_error_in_header),
		T(test_xml_wrong_root), T(test_xml_encoding), T(test_stanza_before_auth),
		T(test_iq_before_auth), T(test_preauth_elements), T(test_preauth_bytes),
		T(test_shutdown), T(test_shutdown_before_header), T(test_real_csprng),
		T(test_random_failure), T(test_split_bytes), T(test_split_every_chunk), T(test_names),
		T(test_config_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
