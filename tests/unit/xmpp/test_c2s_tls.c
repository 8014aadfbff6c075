/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp STARTTLS (RFC 6120 §5) and the TLS policy: features per policy,
 * <proceed/> and the stream restart after the handshake, refusals
 * (<failure/> and close) when STARTTLS is not on offer, no SASL before TLS
 * when it is required, PLAIN only over TLS unless allowed, direct TLS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define STARTTLS "<starttls xmlns='" NS_TLS "'/>"
#define PROCEED "<proceed xmlns='" NS_TLS "'/>"
#define PLAIN_MECH "<mechanism>PLAIN</mechanism>"
#define PLAIN_OK "\0juliet\0secret"

static struct h_conn *h;

static int setup(void **state)
{
	(void)state;
	h = h_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_free(h);
	return 0;
}

static const char *open_stream(uint8_t policy, bool plain_without_tls)
{
	h->env.cfg.tls_policy = policy;
	h->env.cfg.plain_without_tls = plain_without_tls;
	h_send(h, H_OPEN);
	return h_since(h);
}

static void test_features_off(void **state)
{
	const char *s;

	(void)state;
	s = open_stream(SB_C2S_TLS_OFF, true);
	assert_null(strstr(s, "starttls"));
	assert_non_null(strstr(s, PLAIN_MECH));
}

static void test_features_optional(void **state)
{
	const char *s;

	(void)state;
	s = open_stream(SB_C2S_TLS_OPTIONAL, true);
	assert_non_null(strstr(s, "<stream:features><starttls xmlns='" NS_TLS "'/><mechanisms"));
	assert_non_null(strstr(s, PLAIN_MECH));
}

/* Required: STARTTLS with <required/> is the only feature. */
static void test_features_required(void **state)
{
	const char *s;

	(void)state;
	s = open_stream(SB_C2S_TLS_REQUIRED, true);
	assert_non_null(strstr(s, "<stream:features><starttls xmlns='" NS_TLS "'><required/>"
				  "</starttls></stream:features>"));
	assert_null(strstr(s, "mechanisms"));
}

/* Required: a client that skips STARTTLS gets encryption-required and a
 * policy-violation, and its credentials go nowhere. */
static void test_required_refuses_sasl(void **state)
{
	const char *s;

	(void)state;
	open_stream(SB_C2S_TLS_REQUIRED, true);
	h_auth(h, "PLAIN", PLAIN_OK, sizeof(PLAIN_OK) - 1);
	s = h_since(h);
	assert_non_null(strstr(s, "<failure xmlns='" H_NS_SASL "'><encryption-required/></failure>"
				  "<stream:error><policy-violation"));
	assert_non_null(strstr(s, "STARTTLS"));
	assert_false(h_saw(h, SB_C2S_ACT_AUTH_PLAIN_VERIFY));
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->stream_err, SB_C2S_SERR_POLICY_VIOLATION);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_tls_required_refused], 1);
}

static void test_required_refuses_stanza(void **state)
{
	(void)state;
	open_stream(SB_C2S_TLS_REQUIRED, true);
	h_send(h, "<message to='romeo@example.com'><body>hi</body></message>");
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->stream_err, SB_C2S_SERR_POLICY_VIOLATION);
}

/* The whole STARTTLS path: proceed, the handshake (played by the test),
 * the client's new stream, features without STARTTLS, login, bind. */
static void test_starttls_then_login(void **state)
{
	const char *s;

	(void)state;
	open_stream(SB_C2S_TLS_REQUIRED, false);
	h_send(h, STARTTLS);
	assert_int_equal(h_last(h), SB_C2S_ACT_STARTTLS);
	assert_string_equal(h_since(h), PROCEED);
	assert_true(sb_c2s_waiting(&h->c));
	assert_false(sb_c2s_encrypted(&h->c));
	h_tls_done(h, true);
	assert_true(sb_c2s_encrypted(&h->c));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_tls_established], 1);
	h_send(h, H_OPEN);
	s = h_since(h);
	assert_non_null(strstr(s, "<stream:stream"));
	assert_null(strstr(s, "starttls"));
	assert_non_null(strstr(s, PLAIN_MECH)); /* over TLS, PLAIN is fine */
	h_auth(h, "PLAIN", PLAIN_OK, sizeof(PLAIN_OK) - 1);
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	h_plain(h, true);
	assert_int_equal(h_last(h), SB_C2S_ACT_RESTART);
	h_send(h, H_OPEN);
	h_send(h, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
}

/* Plaintext slipped in after <starttls/> never reaches the stream: the
 * machine stops before it, and after the handshake only the new stream
 * counts. */
static void test_plaintext_after_starttls_not_parsed(void **state)
{
	(void)state;
	open_stream(SB_C2S_TLS_OPTIONAL, true);
	h_send(h, STARTTLS "<auth xmlns='" H_NS_SASL "' mechanism='PLAIN'>AGp1bGlldABzZWNyZXQ="
			   "</auth>");
	assert_int_equal(h_last(h), SB_C2S_ACT_STARTTLS);
	assert_false(h_saw(h, SB_C2S_ACT_AUTH_PLAIN_VERIFY));
	h_tls_done(h, true);
	assert_false(h_saw(h, SB_C2S_ACT_AUTH_PLAIN_VERIFY));
	assert_int_equal(h->c.state, SB_C2S_S_STREAM);
}

/* Not offered: <failure/>, close (§5.4.2.2). */
static void test_starttls_when_off(void **state)
{
	const char *s;

	(void)state;
	open_stream(SB_C2S_TLS_OFF, true);
	h_send(h, STARTTLS);
	s = h_since(h);
	assert_string_equal(s, "<failure xmlns='" NS_TLS "'/></stream:stream>");
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_starttls_refused], 1);
}

/* Twice: the second, on the encrypted stream, is refused. */
static void test_starttls_twice(void **state)
{
	(void)state;
	open_stream(SB_C2S_TLS_OPTIONAL, true);
	h_send(h, STARTTLS);
	h_tls_done(h, true);
	h_send(h, H_OPEN);
	h_since(h);
	h_send(h, STARTTLS);
	assert_string_equal(h_since(h), "<failure xmlns='" NS_TLS "'/></stream:stream>");
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
}

/* Inside a SASL exchange (after an empty <auth/>): refused. */
static void test_starttls_inside_sasl(void **state)
{
	(void)state;
	open_stream(SB_C2S_TLS_OPTIONAL, true);
	h_send(h, "<auth xmlns='" H_NS_SASL "' mechanism='SCRAM-SHA-1'/>");
	assert_int_equal(h->c.state, SB_C2S_S_SASL_INITIAL);
	h_send(h, STARTTLS);
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_starttls_refused], 1);
}

/* PLAIN without TLS not allowed: not offered, refused with
 * encryption-required (a SASL failure: the client may pick SCRAM). */
static void test_plain_needs_tls(void **state)
{
	const char *s;

	(void)state;
	s = open_stream(SB_C2S_TLS_OPTIONAL, false);
	assert_null(strstr(s, PLAIN_MECH));
	assert_non_null(strstr(s, "<mechanism>SCRAM-SHA-1</mechanism>"));
	h_auth(h, "PLAIN", PLAIN_OK, sizeof(PLAIN_OK) - 1);
	assert_string_equal(h_since(h), "<failure xmlns='" H_NS_SASL "'><encryption-required/>"
					"</failure>");
	assert_int_equal(h_last(h), SB_C2S_ACT_NONE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_fail_encryption_required], 1);
	assert_true(h_scram(h, SB_SCRAM_SHA256, "juliet", "secret", "secret"));
}

/* Direct TLS: the handshake comes first; the stream never offers STARTTLS
 * and allows SASL even under REQUIRED. */
static void test_direct_tls(void **state)
{
	const char *s;

	(void)state;
	h->env.cfg.tls_policy = SB_C2S_TLS_REQUIRED;
	h->env.cfg.plain_without_tls = false;
	h_tls_done(h, false);
	assert_true(sb_c2s_encrypted(&h->c));
	h_send(h, H_OPEN);
	s = h_since(h);
	assert_null(strstr(s, "starttls"));
	assert_non_null(strstr(s, PLAIN_MECH));
	h_auth(h, "PLAIN", PLAIN_OK, sizeof(PLAIN_OK) - 1);
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	h_plain(h, true);
}

/* sb_c2s_tls_done() outside its two moments is the glue's error. */
static void test_tls_done_bad_state(void **state)
{
	(void)state;
	open_stream(SB_C2S_TLS_OPTIONAL, true);
	h_tls_done(h, false);
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_bad_state_call], 1);
	assert_false(sb_c2s_encrypted(&h->c));
}

static void test_policy_parse(void **state)
{
	(void)state;
	assert_int_equal(sb_c2s_tls_policy_parse("required"), SB_C2S_TLS_REQUIRED);
	assert_int_equal(sb_c2s_tls_policy_parse("optional"), SB_C2S_TLS_OPTIONAL);
	assert_int_equal(sb_c2s_tls_policy_parse("off"), SB_C2S_TLS_OFF);
	assert_true(sb_c2s_tls_policy_parse("Required") < 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_features_off), T(test_features_optional), T(test_features_required),
		T(test_required_refuses_sasl), T(test_required_refuses_stanza),
		T(test_starttls_then_login), T(test_plaintext_after_starttls_not_parsed),
		T(test_starttls_when_off), T(test_starttls_twice), T(test_starttls_inside_sasl),
		T(test_plain_needs_tls), T(test_direct_tls), T(test_tls_done_bad_state),
		cmocka_unit_test(test_policy_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
