/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp in-band registration (XEP-0077): the feature only where a
 * password may travel and only when on; the form before and after login;
 * a submission parsed into REGISTER (username normalised, password and
 * token carried, the stream waiting) and every refusal the dataplane makes
 * itself (off, unencrypted, malformed, bad username, empty password,
 * cancel before login, another user's name); the answers mapped to their
 * stanza errors; a login after a registration on the same stream; a bound
 * user's password change and cancellation (which closes the stream).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define FEATURE "<register xmlns='http://jabber.org/features/iq-register'/>"
#define Q_OPEN "<query xmlns='jabber:iq:register'>"
#define GET "<iq type='get' id='g1'><query xmlns='jabber:iq:register'/></iq>"
#define SET(body) "<iq type='set' id='s1'>" Q_OPEN body "</query></iq>"
#define STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

H_FIXTURE()

static const char *open_with(bool reg, uint8_t policy, bool plain, bool tls)
{
	h->env.cfg.reg = reg;
	h->env.cfg.tls_policy = policy;
	h->env.cfg.plain_without_tls = plain;
	if (tls)
		h_tls_done(h, false);
	h_send(h, H_OPEN);
	return h_since(h);
}

static void expect_error(const char *out, const char *id, const char *etype, const char *cond)
{
	char want[256];

	snprintf(want, sizeof(want), "id='%s'", id);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "type='error'"));
	snprintf(want, sizeof(want), "<error type='%s'><%s xmlns='" STANZAS "'/>", etype, cond);
	if (strstr(out, want) == NULL)
		fail_msg("expected %s, got %s", want, out);
}

/* Off: not offered, and an iq before login is service-unavailable (not a
 * stream error: the stream goes on and the client may log in). */
static void test_off(void **state)
{
	(void)state;
	assert_null(strstr(open_with(false, SB_C2S_TLS_OFF, true, false), "iq-register"));
	h_send(h, GET);
	expect_error(h_since(h), "g1", "cancel", "service-unavailable");
	h_send(h, SET("<username>x</username><password>y</password>"));
	expect_error(h_since(h), "s1", "cancel", "service-unavailable");
	assert_false(h_saw(h, SB_C2S_ACT_REGISTER));
	assert_false(h->closed);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_iqreg_disabled], 2);
}

/* The feature follows PLAIN's rule: over TLS, or in clear only when
 * allowed; an unencrypted stream that may not carry a password gets
 * policy-violation for the form and for a submission. */
static void test_feature_policy(void **state)
{
	(void)state;
	assert_non_null(strstr(open_with(true, SB_C2S_TLS_OFF, true, false), FEATURE));
	h_free(h);
	h = h_new();
	assert_non_null(strstr(open_with(true, SB_C2S_TLS_OPTIONAL, false, true), FEATURE));
	h_free(h);
	h = h_new();
	assert_null(strstr(open_with(true, SB_C2S_TLS_OPTIONAL, false, false), FEATURE));
	h_send(h, GET);
	expect_error(h_since(h), "g1", "modify", "policy-violation");
	h_send(h, SET("<username>mallory</username><password>pw</password>"));
	expect_error(h_since(h), "s1", "modify", "policy-violation");
	assert_false(h_saw(h, SB_C2S_ACT_REGISTER));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_iqreg_encryption_required], 2);
}

/* Required and not yet TLS: the TLS gate closes the stream first. */
static void test_required_gate(void **state)
{
	(void)state;
	open_with(true, SB_C2S_TLS_REQUIRED, false, false);
	h_send(h, GET);
	assert_non_null(strstr(h_since(h), "<policy-violation"));
	assert_true(h->closed);
}

static void test_form(void **state)
{
	const char *s;

	(void)state;
	open_with(true, SB_C2S_TLS_OFF, true, false);
	h_send(h, GET);
	s = h_since(h);
	assert_non_null(strstr(s, "<iq type='result' id='g1'"));
	assert_non_null(strstr(s, "<username/><password/>"));
	assert_null(strstr(s, "<key/>"));
	h->env.cfg.reg_token = true;
	h_send(h, GET);
	assert_non_null(strstr(h_since(h), "<key/>"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_iqreg_form], 2);
}

/* A submission: the name normalised (case-mapped), the password and the
 * token decoded, the stream waiting; then the answer and a login. */
static void test_create_then_login(void **state)
{
	(void)state;
	open_with(true, SB_C2S_TLS_OFF, true, false);
	h_send(h, SET("<username>Romeo</username><password>s&amp;cret</password>"
		      "<key>inv-1</key>"));
	assert_int_equal(h_last(h), SB_C2S_ACT_REGISTER);
	assert_int_equal(h->reg_op, SB_C2S_REG_CREATE);
	assert_string_equal(h->user, "romeo");
	assert_string_equal(h->bare, "romeo@example.com");
	assert_string_equal(h->passwd, "s&cret");
	assert_true(h->has_token);
	assert_string_equal(h->token, "inv-1");
	assert_true(sb_c2s_waiting(&h->c));
	assert_int_equal(h->c.state, SB_C2S_S_REG_WAIT);
	assert_int_equal(h->aux_in_use, 1);
	h_register(h, SB_C2S_REG_OK);
	assert_non_null(strstr(h_since(h), "<iq type='result' id='s1' from='example.com'/>"));
	assert_int_equal(h->c.state, SB_C2S_S_SASL);
	assert_int_equal(h->aux_in_use, 0);
	h_auth(h, "PLAIN", "\0romeo\0s&cret", 13);
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	assert_string_equal(h->user, "romeo");
}

/* Each answer of sb-control as its stanza error; the stream goes on. */
static void test_refusals_mapped(void **state)
{
	static const struct {
		enum sb_c2s_reg_status st;
		const char *etype, *cond;
	} tab[] = {
		{ SB_C2S_REG_CONFLICT, "cancel", "conflict" },
		{ SB_C2S_REG_NOT_ACCEPTABLE, "modify", "not-acceptable" },
		{ SB_C2S_REG_NOT_ALLOWED, "cancel", "not-allowed" },
		{ SB_C2S_REG_RATE_LIMITED, "wait", "resource-constraint" },
		{ SB_C2S_REG_UNAVAILABLE, "wait", "internal-server-error" },
		{ (enum sb_c2s_reg_status)99, "wait", "internal-server-error" },
	};

	(void)state;
	open_with(true, SB_C2S_TLS_OFF, true, false);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		h_send(h, SET("<username>juliet</username><password>pw</password>"));
		assert_int_equal(h_last(h), SB_C2S_ACT_REGISTER);
		assert_false(h->has_token);
		h_register(h, tab[i].st);
		expect_error(h_since(h), "s1", tab[i].etype, tab[i].cond);
		assert_int_equal(h->c.state, SB_C2S_S_SASL);
	}
	assert_int_equal(h->env.ctr[SB_C2S_CTR_iqreg_conflict], 1);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_iqreg_refused], 5);
	assert_false(h->closed);
}

/* What the dataplane refuses without asking sb-control. */
static void test_local_refusals(void **state)
{
	static const struct {
		const char *iq, *etype, *cond;
	} tab[] = {
		/* XEP-0077 §3.1: required fields missing */
		{ SET("<username>a</username>"), "modify", "not-acceptable" },
		{ SET("<password>p</password>"), "modify", "not-acceptable" },
		{ SET("<username>a</username><password></password>"), "modify", "not-acceptable" },
		/* RFC 7622 §3.3.1: characters a localpart may not hold */
		{ SET("<username>a@b</username><password>p</password>"), "modify",
		  "not-acceptable" },
		{ SET("<username>a b</username><password>p</password>"), "modify",
		  "not-acceptable" },
		{ SET("<username>a/b</username><password>p</password>"), "modify",
		  "not-acceptable" },
		{ SET("<username>&lt;x&gt;</username><password>p</password>"), "modify",
		  "not-acceptable" },
		{ SET("<username></username><password>p</password>"), "modify", "not-acceptable" },
		/* malformed */
		{ SET("<username>a</username><username>b</username><password>p</password>"),
		  "modify", "bad-request" },
		{ SET("<username><b>a</b></username><password>p</password>"), "modify",
		  "bad-request" },
		{ SET("text<username>a</username><password>p</password>"), "modify", "bad-request" },
		/* only a logged-in user cancels (§3.2) */
		{ SET("<remove/>"), "auth", "not-authorized" },
	};

	(void)state;
	h->env.cfg.preauth_elements_max = 64;
	open_with(true, SB_C2S_TLS_OFF, true, false);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		h_send(h, tab[i].iq);
		expect_error(h_since(h), "s1", tab[i].etype, tab[i].cond);
		assert_false(h_saw(h, SB_C2S_ACT_REGISTER));
	}
	/* A result (we asked nothing) or an error is not answered. */
	h_send(h, "<iq type='result' id='s1'><query xmlns='jabber:iq:register'/></iq>");
	h_send(h, "<iq type='error' id='s2'><query xmlns='jabber:iq:register'/></iq>");
	assert_string_equal(h_since(h), "");
	/* No id: nothing to answer by; bad-request without one. */
	h_send(h, "<iq type='set'>" Q_OPEN "<username>a</username><password>p</password>"
		  "</query></iq>");
	assert_non_null(strstr(h_since(h), "bad-request"));
	assert_false(h_saw(h, SB_C2S_ACT_REGISTER));
	assert_false(h->closed);
	assert_int_equal(h->aux_in_use, 0);
}

/* A foreign child (a data form) is skipped; a password past the SCRAM
 * limit is refused before it is carried. */
static void test_foreign_child_and_long_password(void **state)
{
	char iq[2048];
	char pw[1100];

	(void)state;
	open_with(true, SB_C2S_TLS_OFF, true, false);
	h_send(h, SET("<x xmlns='jabber:x:data' type='submit'><field var='a'><value>1</value>"
		      "</field></x><username>bob</username><password>pw</password>"));
	assert_int_equal(h_last(h), SB_C2S_ACT_REGISTER);
	assert_string_equal(h->bare, "bob@example.com");
	h_register(h, SB_C2S_REG_OK);
	h_since(h);
	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	snprintf(iq, sizeof(iq), SET("<username>bob</username><password>%s</password>"), pw);
	h->env.cfg.preauth_bytes_max = 1 << 16;
	h_send(h, iq);
	expect_error(h_since(h), "s1", "modify", "not-acceptable");
}

/* Answers only while waiting; elements while waiting are the glue's to
 * hold back (the harness does). */
static void test_answer_out_of_state(void **state)
{
	(void)state;
	open_with(true, SB_C2S_TLS_OFF, true, false);
	h_register(h, SB_C2S_REG_OK);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_bad_state_call], 1);
	assert_string_equal(h_since(h), "");
}

/* Bound: the form says registered; a password change of one's own account
 * (the username, if given, must be one's own); another name is refused. */
static void test_bound_passwd(void **state)
{
	const char *s;

	(void)state;
	h->env.cfg.reg = true;
	h_login(h);
	h_send(h, GET);
	s = h_since(h);
	assert_non_null(strstr(s, "<registered/><username>juliet</username>"));
	h_send(h, SET("<username>romeo</username><password>new</password>"));
	expect_error(h_since(h), "s1", "auth", "not-authorized");
	h_send(h, SET("<username>Juliet</username><password>new</password>"));
	assert_int_equal(h_last(h), SB_C2S_ACT_REGISTER);
	assert_int_equal(h->reg_op, SB_C2S_REG_PASSWD);
	assert_string_equal(h->bare, "juliet@example.com");
	assert_string_equal(h->passwd, "new");
	h_register(h, SB_C2S_REG_OK);
	assert_non_null(strstr(h_since(h), "<iq type='result' id='s1'"));
	assert_true(sb_c2s_bound(&h->c));
	assert_int_equal(h->aux_in_use, 0);
	/* Routing goes on. */
	h_send(h, "<message to='romeo@example.com'><body>x</body></message>");
	assert_int_equal(h_last(h), SB_C2S_ACT_ROUTE);
}

/* Bound cancellation: the result, then the stream ends (§3.2). */
static void test_bound_remove(void **state)
{
	const char *s;

	(void)state;
	h->env.cfg.reg = true;
	h_login(h);
	h_send(h, SET("<remove/>"));
	assert_int_equal(h_last(h), SB_C2S_ACT_REGISTER);
	assert_int_equal(h->reg_op, SB_C2S_REG_REMOVE);
	assert_string_equal(h->bare, "juliet@example.com");
	h_register(h, SB_C2S_REG_OK);
	s = h_since(h);
	assert_non_null(strstr(s, "<iq type='result' id='s1'"));
	assert_non_null(strstr(s, "<not-authorized"));
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_iqreg_removed_closed], 1);
}

/* Bound while off: service-unavailable, routed nowhere. */
static void test_bound_off(void **state)
{
	(void)state;
	h_login(h);
	h_send(h, SET("<username>juliet</username><password>new</password>"));
	expect_error(h_since(h), "s1", "cancel", "service-unavailable");
	assert_false(h_saw(h, SB_C2S_ACT_REGISTER));
	assert_false(h_saw(h, SB_C2S_ACT_ROUTE));
}

/* A bound user on an unencrypted stream where PLAIN is not allowed may
 * not send a new password in clear. */
static void test_bound_unencrypted(void **state)
{
	(void)state;
	h->env.cfg.reg = true;
	h_login(h);
	h->env.cfg.plain_without_tls = false;
	h_send(h, SET("<username>juliet</username><password>new</password>"));
	expect_error(h_since(h), "s1", "modify", "policy-violation");
	assert_false(h_saw(h, SB_C2S_ACT_REGISTER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feature_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_then_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_child_and_long_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_answer_out_of_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_unencrypted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
