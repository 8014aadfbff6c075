/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp SASL (RFC 6120 §6): PLAIN and SCRAM-SHA-1/-256 transcripts with
 * a scripted client, every failure condition we send, attempt limits, the
 * asynchronous steps and what happens to elements that arrive meanwhile,
 * the aux pool, and the restart to the post-auth features.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"

#define FAILURE(cond) "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><" cond "/></failure>"
#define SERR(cond) "<stream:error><" cond " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" \
		   "</stream:error></stream:stream>"
#define PLAIN_OK "\0juliet\0secret"

H_FIXTURE(h_send(h, H_OPEN); h_since(h)) /* h, setup, teardown (c2s_harness.h) */

static void plain(const char *msg, size_t len)
{
	h_auth(h, "PLAIN", msg, len);
}

static void test_plain_success(void **state)
{
	const char *s;

	(void)state;
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	assert_string_equal(h->user, "juliet");
	assert_string_equal(h->bare, "juliet@example.com");
	assert_string_equal(h->passwd, "secret");
	assert_int_equal(h->mech, SB_C2S_MECH_PLAIN);
	assert_true(sb_c2s_waiting(&h->c));
	assert_int_equal(h->aux_in_use, 1);
	assert_string_equal(h_since(h), "");
	assert_true(memmem(h->scratch.sasl, sizeof(h->scratch.sasl), "secret", 6) != NULL);
	h_plain(h, true);
	/* the password does not outlive the call that reported it */
	assert_null(memmem(h->scratch.sasl, sizeof(h->scratch.sasl), "secret", 6));
	assert_string_equal(h_since(h), "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_RESTART);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_success], 1);
	/* RFC 6120 §6.4.6: new stream, new id, post-auth features. */
	assert_int_equal(sb_c2s_max_element(&h->c, &h->env), SIZE_MAX);
	h_send(h, H_OPEN);
	s = h_since(h);
	assert_non_null(strstr(s, "<?xml version='1.0'?><stream:stream "));
	assert_null(strstr(s, "id='000102030405060708090a0b0c0d0e0f'"));
	assert_non_null(strstr(s, "id='101112131415161718191a1b1c1d1e1f'"));
	assert_non_null(strstr(s, "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
				  "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>"
				  "</session></stream:features>"));
	assert_null(strstr(s, "mechanisms"));
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_stream_restarted], 1);
}

static void test_plain_no_legacy_session(void **state)
{
	(void)state;
	h->env.cfg.legacy_session = false;
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	h_plain(h, true);
	h_since(h);
	h_send(h, H_OPEN);
	assert_non_null(strstr(h_since(h), "<stream:features><bind xmlns='urn:ietf:params:xml:"
					 "ns:xmpp-bind'/></stream:features>"));
}

static void test_plain_wrong_password(void **state)
{
	(void)state;
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	h_plain(h, false);
	assert_string_equal(h_since(h), FAILURE("not-authorized"));
	assert_int_equal(h->c.state, SB_C2S_S_SASL);
	assert_int_equal(h->aux_in_use, 0);
	assert_int_equal(h->c.auth_failures, 1);
	/* a retry may succeed */
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	h_plain(h, true);
	assert_int_equal(h_last(h), SB_C2S_ACT_RESTART);
}

static void test_plain_authzid(void **state)
{
	static const char other[] = "romeo@example.com\0juliet\0secret";
	static const char self[] = "juliet@example.com\0Juliet\0secret";

	(void)state;
	plain(other, sizeof(other) - 1);
	assert_string_equal(h_since(h), FAILURE("invalid-authzid"));
	assert_false(h_saw(h, SB_C2S_ACT_AUTH_PLAIN_VERIFY));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_fail_invalid_authzid], 1);
	plain(self, sizeof(self) - 1);
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	assert_string_equal(h->user, "juliet");
	h_plain(h, false);
}

static void test_plain_malformed(void **state)
{
	static const char bad[] = "juliet\0secret";

	(void)state;
	plain(bad, sizeof(bad) - 1);
	assert_string_equal(h_since(h), FAILURE("malformed-request"));
}

static void test_plain_no_initial_response(void **state)
{
	char el[256], b64[64];

	(void)state;
	h_send(h, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
	assert_string_equal(h_since(h), "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	assert_int_equal(h->c.state, SB_C2S_S_SASL_INITIAL);
	h_b64(PLAIN_OK, sizeof(PLAIN_OK) - 1, b64, sizeof(b64));
	snprintf(el, sizeof(el), "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s</response>",
		 b64);
	h_send(h, el);
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	assert_string_equal(h->passwd, "secret");
	h_plain(h, true);
	assert_int_equal(h_last(h), SB_C2S_ACT_RESTART);
}

static void test_scram_sha1(void **state)
{
	(void)state;
	assert_true(h_scram(h, SB_SCRAM_SHA1, "juliet", "secret", "secret"));
	assert_string_equal(h->user, "juliet");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_scram_sha1], 1);
	assert_int_equal(h->c.state, SB_C2S_S_STREAM_AUTHED);
	assert_int_equal(h->aux_in_use, 1); /* the username waits for binding */
}

static void test_scram_sha256(void **state)
{
	(void)state;
	assert_true(h_scram(h, SB_SCRAM_SHA256, "Juliet", "secret", "secret"));
	assert_string_equal(h->user, "juliet");
	assert_string_equal(h->bare, "juliet@example.com");
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_scram_sha256], 1);
	h_send(h, H_OPEN);
	assert_int_equal(h->c.state, SB_C2S_S_BIND);
}

static void test_scram_wrong_password(void **state)
{
	(void)state;
	assert_false(h_scram(h, SB_SCRAM_SHA256, "juliet", "wrong", "secret"));
	assert_string_equal(h_since(h), FAILURE("not-authorized"));
	assert_int_equal(h->c.state, SB_C2S_S_SASL);
	assert_int_equal(h->aux_in_use, 0);
}

static void test_scram_unknown_user(void **state)
{
	char first[1024], second[1024];

	(void)state;
	assert_false(h_scram(h, SB_SCRAM_SHA1, "ghost", "secret", NULL));
	assert_string_equal(h_since(h), FAILURE("not-authorized"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_unknown_user], 1);
	/* The challenge looked real and its salt is stable per user (RFC 5802
	 * §9): compare the s= of two attempts. */
	h_auth(h, "SCRAM-SHA-1", "n,,n=ghost,r=abc", 16);
	h_credentials(h, NULL);
	snprintf(first, sizeof(first), "%s", h_since(h));
	h_send(h, "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	h_since(h);
	h->env.cfg.max_auth_attempts = 10;
	h_auth(h, "SCRAM-SHA-1", "n,,n=ghost,r=abd", 16);
	h_credentials(h, NULL);
	snprintf(second, sizeof(second), "%s", h_since(h));
	assert_non_null(strstr(first, "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"));
	{
		char a[256], b[256];
		int na, nb;
		const char *pa = strchr(first, '>') + 1, *pb = strchr(second, '>') + 1;

		na = sb_scram_b64_decode(pa, (size_t)(strchr(pa, '<') - pa), (uint8_t *)a, 255);
		nb = sb_scram_b64_decode(pb, (size_t)(strchr(pb, '<') - pb), (uint8_t *)b, 255);
		assert_true(na > 0 && nb > 0);
		a[na] = b[nb] = 0;
		assert_non_null(strstr(a, ",i=4096"));
		assert_string_equal(strstr(a, ",s="), strstr(b, ",s="));
	}
}

static void test_max_attempts(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
		h_plain(h, false);
		assert_string_equal(h_since(h), FAILURE("not-authorized"));
		assert_false(h->closed);
	}
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	h_plain(h, false);
	assert_string_equal(h_since(h), FAILURE("not-authorized") SERR("policy-violation"));
	assert_int_equal(h_last(h), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->stream_err, SB_C2S_SERR_POLICY_VIOLATION);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_max_attempts], 1);
}

static void test_invalid_mechanism(void **state)
{
	(void)state;
	h_send(h, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5'>eA==</auth>");
	assert_string_equal(h_since(h), FAILURE("invalid-mechanism"));
	h->env.cfg.mechs &= (uint8_t)~SB_C2S_MECH_BIT(SB_C2S_MECH_PLAIN);
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	assert_string_equal(h_since(h), FAILURE("invalid-mechanism"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_fail_invalid_mechanism], 2);
	assert_false(h_saw(h, SB_C2S_ACT_AUTH_PLAIN_VERIFY));
}

static void test_bad_base64(void **state)
{
	(void)state;
	h_send(h, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1b*==</auth>");
	assert_string_equal(h_since(h), FAILURE("incorrect-encoding"));
	h_send(h, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
		  "<x/></auth>");
	assert_string_equal(h_since(h), FAILURE("incorrect-encoding"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_sasl_fail_incorrect_encoding], 2);
}

static void test_abort(void **state)
{
	(void)state;
	h_send(h, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
	assert_int_equal(h->aux_in_use, 1);
	h_since(h);
	h_send(h, "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	assert_string_equal(h_since(h), FAILURE("aborted"));
	assert_int_equal(h->aux_in_use, 0);
	assert_int_equal(h->c.state, SB_C2S_S_SASL);
}

static void test_response_out_of_order(void **state)
{
	(void)state;
	h_send(h, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>eA==</response>");
	assert_string_equal(h_since(h), FAILURE("malformed-request"));
}

static void test_other_sasl_element(void **state)
{
	(void)state;
	h_send(h, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	assert_string_equal(h_since(h), SERR("not-authorized"));
}

static void test_pipelined_while_waiting(void **state)
{
	(void)state;
	/* The glue pauses feeding while waiting; the abort is read after. */
	h_send(h, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
		  "biwsbj1qdWxpZXQscj1hYmM=</auth>"
		  "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_LOOKUP);
	assert_string_equal(h->user, "juliet");
	assert_string_equal(h_since(h), "");
	h_credentials(h, NULL);
	assert_string_equal(strstr(h_since(h), "</challenge>"), "</challenge>" FAILURE("aborted"));
	assert_int_equal(h->aux_in_use, 0);
}

static void test_element_while_waiting(void **state)
{
	struct sb_xml_header hdr;
	static const uint8_t el[] = "<abort/>";

	(void)state;
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	assert_true(sb_c2s_waiting(&h->c));
	memset(&hdr, 0, sizeof(hdr));
	assert_int_equal(sb_c2s_element(&h->c, &h->env, &hdr, el, sizeof(el) - 1, 500),
			 SB_C2S_ACT_CLOSE);
	h->out[h->env.out_len] = 0;
	assert_string_equal((char *)h->out, SERR("policy-violation"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_element_while_waiting], 1);
	assert_int_equal(h->aux_in_use, 0);
	/* the late verdict finds a closed connection */
	assert_int_equal(sb_c2s_plain_result(&h->c, &h->env, true), SB_C2S_ACT_CLOSE);
	assert_int_equal(h->env.out_len, 0);
}

static void test_answer_out_of_state(void **state)
{
	(void)state;
	assert_int_equal(sb_c2s_plain_result(&h->c, &h->env, true), SB_C2S_ACT_NONE);
	assert_int_equal(sb_c2s_credentials(&h->c, &h->env, NULL), SB_C2S_ACT_NONE);
	assert_int_equal(h->env.out_len, 0);
	assert_int_equal(h->env.ctr[SB_C2S_CTR_bad_state_call], 2);
	assert_int_equal(h->c.state, SB_C2S_S_SASL);
}

static void test_pool_empty(void **state)
{
	(void)state;
	h->pool_empty = true;
	plain(PLAIN_OK, sizeof(PLAIN_OK) - 1);
	assert_string_equal(h_since(h), FAILURE("temporary-auth-failure"));
	assert_int_equal(h->env.ctr[SB_C2S_CTR_aux_pool_empty], 1);
}

static void test_release_while_waiting(void **state)
{
	(void)state;
	h_auth(h, "SCRAM-SHA-256", "n,,n=juliet,r=abc", 17);
	assert_int_equal(h->aux_in_use, 1);
	assert_int_equal(sb_c2s_shutdown(&h->c, &h->env, SB_C2S_SERR_CONNECTION_TIMEOUT),
			 SB_C2S_ACT_CLOSE);
	assert_int_equal(h->aux_in_use, 0);
	assert_int_equal(sb_c2s_credentials(&h->c, &h->env, NULL), SB_C2S_ACT_CLOSE);
}

static void test_scram_bad_client_first(void **state)
{
	(void)state;
	h_auth(h, "SCRAM-SHA-256", "p=tls-unique,,n=juliet,r=abc", 28);
	assert_string_equal(h_since(h), FAILURE("malformed-request"));
	h_auth(h, "SCRAM-SHA-256", "n,a=romeo@example.com,n=juliet,r=abc", 36);
	assert_string_equal(h_since(h), FAILURE("invalid-authzid"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plain_success), T(test_plain_no_legacy_session),
		T(test_plain_wrong_password), T(test_plain_authzid), T(test_plain_malformed),
		T(test_plain_no_initial_response), T(test_scram_sha1), T(test_scram_sha256),
		T(test_scram_wrong_password), T(test_scram_unknown_user), T(test_max_attempts),
		T(test_invalid_mechanism), T(test_bad_base64), T(test_abort),
		T(test_response_out_of_order), T(test_other_sasl_element),
		T(test_pipelined_while_waiting), T(test_element_while_waiting),
		T(test_answer_out_of_state), T(test_pool_empty), T(test_release_while_waiting),
		T(test_scram_bad_client_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
