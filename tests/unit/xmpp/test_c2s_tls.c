/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp STARTTLS (RFC 6120 §5) and the TLS policy: features per policy,
 * <proceed/> and the stream restart after the handshake, refusals
 * (<failure/> and close) when STARTTLS is not on offer, no SASL before TLS
 * when it is required, PLAIN only over TLS unless allowed, direct TLS;
 * SCRAM -PLUS over TLS with the glue's binding data (RFC 5802 §6).
 */
#include <errno.h>
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

/* The glue's channel binding data: a fixed tls-exporter value on a TLS
 * stream, none in clear (lib/xmpp asks only over TLS anyway). */
static uint8_t cb_exporter[32];

static int cbind_stub(void *arg, const struct sb_c2s *c, struct sb_scram_cbind *out)
{
	(void)arg;
	if (!sb_c2s_encrypted(c))
		return -ENOTSUP;
	out->data[SB_SCRAM_CB_TLS_EXPORTER] = cb_exporter;
	out->len[SB_SCRAM_CB_TLS_EXPORTER] = sizeof(cb_exporter);
	return 0;
}

/* An encrypted stream with the stub's binding; returns its features. */
static const char *open_tls_cb(void)
{
	memset(cb_exporter, 0x42, sizeof(cb_exporter));
	h->env.cbind = cbind_stub;
	open_stream(SB_C2S_TLS_REQUIRED, false);
	h_send(h, STARTTLS);
	h_tls_done(h, true);
	h_send(h, H_OPEN);
	return h_since(h);
}

/* SCRAM -PLUS (RFC 5802 §6): offered over TLS with the types the glue
 * has (XEP-0440), strongest first; a -PLUS login with the binding; the
 * credentials looked up are the hash mechanism's. */
static void test_scram_plus(void **state)
{
	const char *s;

	(void)state;
	s = open_tls_cb();
	assert_non_null(strstr(s, "<mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>"
				  "SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism>"));
	assert_non_null(strstr(s, "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding "
				  "type='tls-exporter'/></sasl-channel-binding>"));
	assert_true(h_scram_cb(h, "SCRAM-SHA-256-PLUS", SB_SCRAM_SHA256, "p=tls-exporter,,",
			       cb_exporter, sizeof(cb_exporter), "secret"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_scram_plus], 1);
}

/* Another TLS session's binding (a man in the middle): not-authorized. */
static void test_scram_plus_tampered(void **state)
{
	uint8_t other[32];

	(void)state;
	open_tls_cb();
	memset(other, 0x43, sizeof(other));
	assert_false(h_scram_cb(h, "SCRAM-SHA-1-PLUS", SB_SCRAM_SHA1, "p=tls-exporter,,", other,
				sizeof(other), "secret"));
	assert_non_null(strstr(h_since(h), "<not-authorized/>"));
	assert_int_equal(h->c.auth_failures, 1);
}

/* "y" (client can bind, thinks we cannot) while -PLUS was offered is a
 * downgrade: refused at client-first and counted. */
static void test_scram_plus_downgrade(void **state)
{
	(void)state;
	open_tls_cb();
	assert_false(h_scram_cb(h, "SCRAM-SHA-256", SB_SCRAM_SHA256, "y,,", NULL, 0, "secret"));
	assert_non_null(strstr(h_since(h), "<not-authorized/>"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_fail_cb_downgrade], 1);
}

/* A type we lack (tls-unique: none in TLS 1.3, what slixmpp 1.8 sends):
 * refused without an auth failure; the client's following "y" is then no
 * downgrade and logs in. */
static void test_scram_plus_unknown_type_then_y(void **state)
{
	(void)state;
	open_tls_cb();
	assert_false(h_scram_cb(h, "SCRAM-SHA-256-PLUS", SB_SCRAM_SHA256, "p=tls-unique,,",
				cb_exporter, sizeof(cb_exporter), "secret"));
	assert_non_null(strstr(h_since(h), "<malformed-request/>"));
	assert_int_equal(h->c.auth_failures, 0);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_fail_cb_type], 1);
	assert_true(h_scram_cb(h, "SCRAM-SHA-256", SB_SCRAM_SHA256, "y,,", NULL, 0, "secret"));
}

/* In clear, or with scram_plus off: no -PLUS offered, and asking for it is
 * an invalid mechanism; "y" is then fine. */
static void test_scram_plus_not_offered(void **state)
{
	const char *s;

	(void)state;
	h->env.cbind = cbind_stub;
	s = open_stream(SB_C2S_TLS_OPTIONAL, false);
	assert_null(strstr(s, "-PLUS"));
	assert_null(strstr(s, "sasl-channel-binding"));
	h_auth(h, "SCRAM-SHA-256-PLUS", "p=tls-exporter,,n=juliet,r=x", 28);
	assert_non_null(strstr(h_since(h), "<invalid-mechanism/>"));
	assert_true(h_scram_cb(h, "SCRAM-SHA-256", SB_SCRAM_SHA256, "y,,", NULL, 0, "secret"));
}

static void test_scram_plus_off(void **state)
{
	const char *s;

	(void)state;
	h->env.cfg.scram_plus = false;
	s = open_tls_cb();
	assert_null(strstr(s, "-PLUS"));
	assert_true(h_scram_cb(h, "SCRAM-SHA-256", SB_SCRAM_SHA256, "y,,", NULL, 0, "secret"));
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
		T(test_scram_plus),
		T(test_scram_plus_tampered),
		T(test_scram_plus_downgrade),
		T(test_scram_plus_unknown_type_then_y),
		T(test_scram_plus_not_offered),
		T(test_scram_plus_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
