/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram server state machine: the RFC 5802 §5 and RFC 7677 §3 exchanges
 * byte for byte, then every refusal: wrong password, tampered nonce and
 * proof, channel binding, authzid, malformed messages, calls out of order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scram.h"
#include "scram_test_client.h"

#define DOMAIN "example.com"

static struct sb_scram_creds creds_for(enum sb_scram_mech mech, const char *pw,
				       const char *salt64)
{
	struct sb_scram_creds c;
	uint8_t salt[64];
	int n = sb_scram_b64_decode(salt64, strlen(salt64), salt, sizeof(salt));

	assert_true(n > 0);
	assert_int_equal(sb_scram_credentials_derive(mech, pw, strlen(pw), salt, (size_t)n, 4096,
						     &c), 0);
	return c;
}

static enum sb_scram_result start(struct sb_scram_server *st, enum sb_scram_mech mech,
				  const char *cf, struct sb_scram_user *u)
{
	return sb_scram_server_start(st, mech, DOMAIN, strlen(DOMAIN), cf, strlen(cf), u);
}

static enum sb_scram_result final(struct sb_scram_server *st, const char *cf, char *out)
{
	size_t n = 0;
	enum sb_scram_result r = sb_scram_server_final(st, cf, strlen(cf), out, 320, &n);

	assert_int_equal(strlen(out), n);
	return r;
}

static void rfc_exchange(enum sb_scram_mech mech, const char *cfm, const char *snonce,
			 const char *salt64, const char *sfm_want, const char *cfinal,
			 const char *sfinal_want)
{
	struct sb_scram_server st;
	struct sb_scram_user u;
	struct sb_scram_creds c = creds_for(mech, "pencil", salt64);
	char out[SB_SCRAM_SERVER_MSG_MAX];
	size_t n = 0;

	assert_int_equal(start(&st, mech, cfm, &u), SB_SCRAM_OK);
	assert_string_equal(u.name, "user");
	assert_int_equal(u.len, 4);
	assert_int_equal(sb_scram_server_first_nonce(&st, &c, snonce, strlen(snonce), out,
						     sizeof(out), &n), SB_SCRAM_OK);
	assert_string_equal(out, sfm_want);
	assert_int_equal(n, strlen(sfm_want));
	assert_int_equal(final(&st, cfinal, out), SB_SCRAM_OK);
	assert_string_equal(out, sfinal_want);
}

static void test_rfc5802_sha1(void **state)
{
	(void)state;
	rfc_exchange(SB_SCRAM_SHA1, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j",
		     "QSXCR+Q6sek8bf92",
		     "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		     "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		     "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

static void test_rfc7677_sha256(void **state)
{
	(void)state;
	rfc_exchange(SB_SCRAM_SHA256, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
		     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		     "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		     "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

/* Runs start + first with a random nonce for "user"/"pencil" (SHA-256) and
 * returns the server-first-message in sfm. */
static void begin(struct sb_scram_server *st, const char *cfm, const char *pw, char *sfm)
{
	struct sb_scram_user u;
	struct sb_scram_creds c = creds_for(SB_SCRAM_SHA256, pw, "W22ZaJ0SNY7soEsUEjb6gQ==");
	size_t n = 0;

	assert_int_equal(start(st, SB_SCRAM_SHA256, cfm, &u), SB_SCRAM_OK);
	assert_int_equal(sb_scram_server_first(st, &c, sfm, SB_SCRAM_SERVER_MSG_MAX, &n),
			 SB_SCRAM_OK);
}

/* The nonce of a server-first-message, up to the first ','. */
static void nonce_of(const char *sfm, char *nonce, size_t cap)
{
	size_t n = (size_t)(strchr(sfm, ',') - sfm) - 2;

	assert_true(n < cap);
	memcpy(nonce, sfm + 2, n);
	nonce[n] = '\0';
}

static void test_random_nonce_and_full_client(void **state)
{
	struct sb_scram_server st;
	struct test_client tc;
	char sfm[SB_SCRAM_SERVER_MSG_MAX], sfm2[SB_SCRAM_SERVER_MSG_MAX], nonce[200],
		cfwp[300], out[SB_SCRAM_SERVER_MSG_MAX];

	(void)state;
	begin(&st, "n,,n=user,r=abcdef", "pencil", sfm2);
	begin(&st, "n,,n=user,r=abcdef", "pencil", sfm);
	nonce_of(sfm, nonce, sizeof(nonce));
	/* c-nonce then 24 base64 characters of 18 fresh CSPRNG bytes. */
	assert_int_equal(strlen(nonce), 6 + 24);
	assert_memory_equal(nonce, "abcdef", 6);
	assert_string_not_equal(sfm, sfm2);
	snprintf(cfwp, sizeof(cfwp), "c=biws,r=%s", nonce);
	test_client_final(&tc, SB_SCRAM_SHA256, "pencil", "n=user,r=abcdef", sfm, cfwp);
	assert_int_equal(final(&st, tc.final_msg, out), SB_SCRAM_OK);
	assert_string_equal(out, tc.expect_v);
}

/* Copy tmpl into dst with its one "%s" replaced by nonce (the templates
 * are data, so no printf format is built at run time). */
static void subst(char *dst, size_t cap, const char *tmpl, const char *nonce)
{
	const char *at = strstr(tmpl, "%s");
	size_t pre;

	if (at == NULL) {
		assert_true(strlen(tmpl) < cap);
		memcpy(dst, tmpl, strlen(tmpl) + 1);
		return;
	}
	pre = (size_t)(at - tmpl);
	assert_true(strlen(tmpl) - 2 + strlen(nonce) < cap);
	memcpy(dst, tmpl, pre);
	memcpy(dst + pre, nonce, strlen(nonce));
	memcpy(dst + pre + strlen(nonce), at + 2, strlen(at + 2) + 1);
}

/* One exchange where the client computes its proof with client_pw over
 * client-final-without-proof built from fmt (which gets the nonce). */
static enum sb_scram_result exchange(const char *cfm, const char *server_pw,
				     const char *client_pw, const char *fmt, char *out)
{
	struct sb_scram_server st;
	struct test_client tc;
	char sfm[SB_SCRAM_SERVER_MSG_MAX], nonce[200], cfwp[400];
	const char *cfb = cfm;

	for (int commas = 0; commas < 2; cfb++)
		if (*cfb == ',')
			commas++;
	begin(&st, cfm, server_pw, sfm);
	nonce_of(sfm, nonce, sizeof(nonce));
	subst(cfwp, sizeof(cfwp), fmt, nonce);
	test_client_final(&tc, SB_SCRAM_SHA256, client_pw, cfb, sfm, cfwp);
	return final(&st, tc.final_msg, out);
}

static void test_wrong_password(void **state)
{
	char out[SB_SCRAM_SERVER_MSG_MAX];

	(void)state;
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=biws,r=%s", out),
			 SB_SCRAM_OK);
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "Pencil", "c=biws,r=%s", out),
			 SB_SCRAM_ERR_PROOF);
	assert_string_equal(out, "e=invalid-proof");
}

static void test_tampered_nonce_and_proof(void **state)
{
	char out[SB_SCRAM_SERVER_MSG_MAX];

	(void)state;
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=biws,r=%sX", out),
			 SB_SCRAM_ERR_NONCE);
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=biws,r=Y%s", out),
			 SB_SCRAM_ERR_NONCE);
	{
		struct sb_scram_server st;
		struct test_client tc;
		char sfm[SB_SCRAM_SERVER_MSG_MAX], nonce[200], cfwp[300];
		char *p;

		begin(&st, "n,,n=user,r=x1", "pencil", sfm);
		nonce_of(sfm, nonce, sizeof(nonce));
		snprintf(cfwp, sizeof(cfwp), "c=biws,r=%s", nonce);
		test_client_final(&tc, SB_SCRAM_SHA256, "pencil", "n=user,r=x1", sfm, cfwp);
		p = strstr(tc.final_msg, ",p=") + 3;
		*p = *p == 'A' ? 'B' : 'A';
		assert_int_equal(final(&st, tc.final_msg, out), SB_SCRAM_ERR_PROOF);
	}
}

static void test_channel_binding(void **state)
{
	char out[SB_SCRAM_SERVER_MSG_MAX];
	struct sb_scram_server st;
	struct sb_scram_user u;

	(void)state;
	/* "y": client supports channel binding, thinks we do not: accepted,
	 * and c= must then be base64("y,,") = "eSws". */
	assert_int_equal(exchange("y,,n=user,r=x1", "pencil", "pencil", "c=eSws,r=%s", out),
			 SB_SCRAM_OK);
	assert_int_equal(exchange("y,,n=user,r=x1", "pencil", "pencil", "c=biws,r=%s", out),
			 SB_SCRAM_ERR_CB_MISMATCH);
	assert_string_equal(out, "e=channel-bindings-dont-match");
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=eSws,r=%s", out),
			 SB_SCRAM_ERR_CB_MISMATCH);
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=biw,r=%s", out),
			 SB_SCRAM_ERR_MALFORMED);
	assert_string_equal(out, "e=invalid-encoding");
	/* "p=": channel binding required; we offer no -PLUS mechanism. */
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "p=tls-unique,,n=user,r=x1", &u),
			 SB_SCRAM_ERR_CB_NOT_SUPPORTED);
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "p=tls-exporter,,n=user,r=x1", &u),
			 SB_SCRAM_ERR_CB_NOT_SUPPORTED);
}

/* One -PLUS (plus) or plain exchange against cb where the client's c=
 * carries gs2 header + cdata (cdata_len bytes; the binding it computed on
 * its side). Returns the first refusal, or the final step's result. */
static enum sb_scram_result exchange_cb(bool plus, const struct sb_scram_cbind *cb,
					const char *cfm, const uint8_t *cdata, size_t cdata_len)
{
	struct sb_scram_server st;
	struct sb_scram_user u;
	struct sb_scram_creds c = creds_for(SB_SCRAM_SHA256, "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==");
	struct test_client tc;
	char sfm[SB_SCRAM_SERVER_MSG_MAX], nonce[200], cfwp[420], c64[200],
		out[SB_SCRAM_SERVER_MSG_MAX];
	uint8_t cbin[128];
	const char *cfb = strstr(cfm, ",n=") + 1;
	size_t gs2 = (size_t)(cfb - cfm), n = 0;
	enum sb_scram_result r;

	r = sb_scram_server_start_cb(&st, SB_SCRAM_SHA256, plus, cb, DOMAIN, strlen(DOMAIN), cfm,
				     strlen(cfm), &u);
	if (r != SB_SCRAM_OK)
		return r;
	assert_int_equal(sb_scram_server_first(&st, &c, sfm, sizeof(sfm), &n), SB_SCRAM_OK);
	nonce_of(sfm, nonce, sizeof(nonce));
	memcpy(cbin, cfm, gs2);
	memcpy(cbin + gs2, cdata, cdata_len);
	assert_true(sb_scram_b64_encode(cbin, gs2 + cdata_len, c64, sizeof(c64)) > 0);
	snprintf(cfwp, sizeof(cfwp), "c=%s,r=%s", c64, nonce);
	test_client_final(&tc, SB_SCRAM_SHA256, "pencil", cfb, sfm, cfwp);
	r = final(&st, tc.final_msg, out);
	if (r == SB_SCRAM_OK)
		assert_string_equal(out, tc.expect_v);
	return r;
}

/* SCRAM-SHA-256-PLUS (RFC 5802 §6, RFC 9266, RFC 5929): both binding
 * types, a tampered binding refused, unknown or unavailable types refused,
 * -PLUS without binding malformed, and the downgrade ("y" although we
 * offered -PLUS) detected. */
static void test_channel_binding_plus(void **state)
{
	uint8_t exp[32], ep[32], other[32];
	struct sb_scram_cbind cb = { .plus_offered = true };
	struct sb_scram_cbind none = { .plus_offered = false };

	(void)state;
	memset(exp, 0xab, sizeof(exp));
	memset(ep, 0xcd, sizeof(ep));
	memset(other, 0xab, sizeof(other));
	other[31] ^= 1;
	cb.data[SB_SCRAM_CB_TLS_EXPORTER] = exp;
	cb.len[SB_SCRAM_CB_TLS_EXPORTER] = sizeof(exp);
	cb.data[SB_SCRAM_CB_TLS_ENDPOINT] = ep;
	cb.len[SB_SCRAM_CB_TLS_ENDPOINT] = sizeof(ep);
	assert_int_equal(exchange_cb(true, &cb, "p=tls-exporter,,n=user,r=x1", exp, 32),
			 SB_SCRAM_OK);
	assert_int_equal(exchange_cb(true, &cb, "p=tls-server-end-point,,n=user,r=x1", ep, 32),
			 SB_SCRAM_OK);
	assert_int_equal(exchange_cb(true, &cb, "p=tls-exporter,a=user@example.com,n=user,r=x1",
				     exp, 32), SB_SCRAM_OK);
	/* A man in the middle has other TLS: other binding data. */
	assert_int_equal(exchange_cb(true, &cb, "p=tls-exporter,,n=user,r=x1", other, 32),
			 SB_SCRAM_ERR_CB_MISMATCH);
	assert_int_equal(exchange_cb(true, &cb, "p=tls-exporter,,n=user,r=x1", ep, 32),
			 SB_SCRAM_ERR_CB_MISMATCH);
	assert_int_equal(exchange_cb(true, &cb, "p=tls-exporter,,n=user,r=x1", exp, 31),
			 SB_SCRAM_ERR_CB_MISMATCH);
	assert_int_equal(exchange_cb(true, &cb, "p=tls-exporter,,n=user,r=x1", NULL, 0),
			 SB_SCRAM_ERR_CB_MISMATCH);
	assert_int_equal(exchange_cb(true, &cb, "p=tls-unique,,n=user,r=x1", exp, 32),
			 SB_SCRAM_ERR_CB_NOT_SUPPORTED);
	cb.len[SB_SCRAM_CB_TLS_EXPORTER] = 0; /* e.g. TLS 1.2: no exporter binding */
	assert_int_equal(exchange_cb(true, &cb, "p=tls-exporter,,n=user,r=x1", exp, 32),
			 SB_SCRAM_ERR_CB_NOT_SUPPORTED);
	cb.len[SB_SCRAM_CB_TLS_EXPORTER] = sizeof(exp);
	assert_int_equal(exchange_cb(true, &cb, "n,,n=user,r=x1", NULL, 0), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(exchange_cb(true, &cb, "y,,n=user,r=x1", NULL, 0), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(exchange_cb(true, NULL, "p=tls-exporter,,n=user,r=x1", exp, 32),
			 SB_SCRAM_ERR_CB_NOT_SUPPORTED);
	/* Without -PLUS: "p=" refused; "y" is a downgrade only if we offered
	 * -PLUS on this stream (RFC 5802 §6). */
	assert_int_equal(exchange_cb(false, &cb, "p=tls-exporter,,n=user,r=x1", exp, 32),
			 SB_SCRAM_ERR_CB_NOT_SUPPORTED);
	assert_int_equal(exchange_cb(false, &cb, "y,,n=user,r=x1", NULL, 0),
			 SB_SCRAM_ERR_CB_DOWNGRADE);
	assert_int_equal(exchange_cb(false, &none, "y,,n=user,r=x1", NULL, 0), SB_SCRAM_OK);
	assert_int_equal(exchange_cb(false, &cb, "n,,n=user,r=x1", NULL, 0), SB_SCRAM_OK);
	assert_string_equal(sb_scram_cb_name(SB_SCRAM_CB_TLS_EXPORTER), "tls-exporter");
	assert_string_equal(sb_scram_result_str(SB_SCRAM_ERR_CB_DOWNGRADE), "cb_downgrade");
}

static void test_authzid(void **state)
{
	char out[SB_SCRAM_SERVER_MSG_MAX], cfwp[64];
	struct sb_scram_server st;
	struct sb_scram_user u;

	(void)state;
	/* Own bare JID, in any case: accepted; c= repeats the authzid. */
	snprintf(cfwp, sizeof(cfwp), "c=%s,r=%%s", "bixhPVVzZXJARXhhbXBsZS5jb20s");
	assert_int_equal(exchange("n,a=User@Example.com,n=user,r=x1", "pencil", "pencil", cfwp,
				  out), SB_SCRAM_OK);
	/* ...and c= without the authzid does not match the gs2 header. */
	assert_int_equal(exchange("n,a=User@Example.com,n=user,r=x1", "pencil", "pencil",
				  "c=biws,r=%s", out), SB_SCRAM_ERR_CB_MISMATCH);
	/* Someone else, another domain, a full JID, a bare username: refused. */
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,a=admin@example.com,n=user,r=x", &u),
			 SB_SCRAM_ERR_AUTHZID);
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,a=user@example.org,n=user,r=x", &u),
			 SB_SCRAM_ERR_AUTHZID);
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,a=user@example.com/r,n=user,r=x", &u),
			 SB_SCRAM_ERR_AUTHZID);
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,a=user,n=user,r=x", &u),
			 SB_SCRAM_ERR_AUTHZID);
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,a=,n=user,r=x", &u),
			 SB_SCRAM_ERR_MALFORMED);
	/* A refused start leaves nothing to continue. */
	assert_int_equal(sb_scram_server_first(&st, NULL, out, sizeof(out), &(size_t){ 0 }),
			 SB_SCRAM_ERR_STATE);
}

static void test_username(void **state)
{
	struct sb_scram_server st;
	struct sb_scram_user u;

	(void)state;
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=JuLiet,r=x", &u), SB_SCRAM_OK);
	assert_string_equal(u.name, "juliet");
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=a=2Cb=3Dc,r=x", &u), SB_SCRAM_OK);
	assert_string_equal(u.name, "a,b=c");
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=\xc3\x89mile,r=x", &u), SB_SCRAM_OK);
	assert_string_equal(u.name, "\xc3\xa9mile");
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=a=41,r=x", &u), SB_SCRAM_ERR_USERNAME);
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=a=2,r=x", &u), SB_SCRAM_ERR_USERNAME);
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=a:b,r=x", &u), SB_SCRAM_ERR_USERNAME);
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=,r=x", &u), SB_SCRAM_ERR_USERNAME);
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=\xff,r=x", &u), SB_SCRAM_ERR_USERNAME);
}

static void test_malformed_client_first(void **state)
{
	static const char *const bad[] = {
		"", "n", "n,", "n,,", "x,,n=user,r=a", "n,,n=user", "n,,r=abc", "n,,n=user,r=",
		"n,,n=user,r=a b", "n,,n=user,r=a,", "n,,n=user,r=a,1=x", "n,,n=user,r=a,x=",
		"n,,n=user,x=1,r=a", "n,x=y,n=user,r=a", "n,,n=user,,r=a", "nn,,n=user,r=a",
	};
	struct sb_scram_server st;
	struct sb_scram_user u;
	char big[SB_SCRAM_CLIENT_MSG_MAX + 8];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum sb_scram_result r = start(&st, SB_SCRAM_SHA256, bad[i], &u);

		if (r != SB_SCRAM_ERR_MALFORMED)
			fail_msg("'%s': %s", bad[i], sb_scram_result_str(r));
	}
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,,m=ext,n=user,r=a", &u),
			 SB_SCRAM_ERR_EXTENSION);
	/* Optional extensions after the nonce are allowed and ignored. */
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,,n=user,r=a,x=1,y=2", &u), SB_SCRAM_OK);
	assert_int_equal(sb_scram_server_start(&st, SB_SCRAM_SHA256, DOMAIN, strlen(DOMAIN),
					       "n,,n=us\0er,r=a", 14, &u),
			 SB_SCRAM_ERR_MALFORMED);
	memset(big, 'a', sizeof(big));
	memcpy(big, "n,,n=user,r=", 12);
	assert_int_equal(sb_scram_server_start(&st, SB_SCRAM_SHA256, DOMAIN, strlen(DOMAIN),
					       big, sizeof(big), &u), SB_SCRAM_ERR_TOO_LONG);
	assert_int_equal(sb_scram_server_start(&st, SB_SCRAM_SHA256, DOMAIN, strlen(DOMAIN),
					       big, SB_SCRAM_CNONCE_MAX + 13, &u),
			 SB_SCRAM_ERR_TOO_LONG);
	assert_int_equal(sb_scram_server_start(&st, SB_SCRAM_SHA256, DOMAIN, strlen(DOMAIN),
					       big, SB_SCRAM_CNONCE_MAX + 12, &u), SB_SCRAM_OK);
}

static void test_malformed_client_final(void **state)
{
	char out[SB_SCRAM_SERVER_MSG_MAX];

	(void)state;
	/* Extensions before the proof are covered by the proof: accepted. */
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=biws,r=%s,x=1", out),
			 SB_SCRAM_OK);
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=biws,r=%s,=1", out),
			 SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "r=%s", out),
			 SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(exchange("n,,n=user,r=x1", "pencil", "pencil", "c=biws,%s", out),
			 SB_SCRAM_ERR_MALFORMED);
	{
		static const char *const bad[] = {
			"c=biws,r=%s", "c=biws,r=%s,p=", "c=biws,r=%s,p=AAAA",
			"c=biws,r=%s,p=!!!!", "c=biws,r=%s,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsq"
			"mmiz7AndVQ=,x=1", "c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7Andw=",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct sb_scram_server st;
			char sfm[SB_SCRAM_SERVER_MSG_MAX], nonce[200], msg[400];
			enum sb_scram_result r;

			begin(&st, "n,,n=user,r=x1", "pencil", sfm);
			nonce_of(sfm, nonce, sizeof(nonce));
			subst(msg, sizeof(msg), bad[i], nonce);
			r = final(&st, msg, out);
			if (r != SB_SCRAM_ERR_MALFORMED)
				fail_msg("'%s': %s", msg, sb_scram_result_str(r));
		}
	}
}

static void test_state_order_and_creds(void **state)
{
	struct sb_scram_server st;
	struct sb_scram_user u;
	struct sb_scram_creds c1 = creds_for(SB_SCRAM_SHA1, "pencil", "QSXCR+Q6sek8bf92");
	char out[SB_SCRAM_SERVER_MSG_MAX];
	size_t n = 0;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(sb_scram_server_final(&st, "c=biws", 6, out, sizeof(out), &n),
			 SB_SCRAM_ERR_STATE);
	assert_int_equal(sb_scram_server_first(&st, &c1, out, sizeof(out), &n),
			 SB_SCRAM_ERR_STATE);
	/* SHA-1 credentials cannot serve a SHA-256 exchange. */
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,,n=user,r=x", &u), SB_SCRAM_OK);
	assert_int_equal(sb_scram_server_first(&st, &c1, out, sizeof(out), &n),
			 SB_SCRAM_ERR_CREDS);
	assert_int_equal(sb_scram_server_first(&st, &c1, out, sizeof(out), &n),
			 SB_SCRAM_ERR_STATE);
	/* After a final, successful or not, the exchange is over. */
	assert_int_equal(start(&st, SB_SCRAM_SHA1, "n,,n=user,r=x", &u), SB_SCRAM_OK);
	assert_int_equal(sb_scram_server_first(&st, &c1, out, sizeof(out), &n), SB_SCRAM_OK);
	assert_int_equal(final(&st, "garbage", out), SB_SCRAM_ERR_MALFORMED);
	assert_int_equal(final(&st, "garbage", out), SB_SCRAM_ERR_STATE);
	assert_int_equal(start(&st, SB_SCRAM_MECH_MAX, "n,,n=user,r=x", &u), SB_SCRAM_ERR_STATE);
}

static void test_fake_credentials(void **state)
{
	static const uint8_t secret[16] = "per-deploy-key!";
	struct sb_scram_creds a, b, o;
	struct sb_scram_server st;
	struct sb_scram_user u;
	struct test_client tc;
	char sfm[SB_SCRAM_SERVER_MSG_MAX], nonce[200], cfwp[300], out[SB_SCRAM_SERVER_MSG_MAX];
	size_t n = 0;

	(void)state;
	assert_int_equal(sb_scram_credentials_fake(SB_SCRAM_SHA256, secret, sizeof(secret),
						   "ghost", 5, &a), 0);
	assert_int_equal(sb_scram_credentials_fake(SB_SCRAM_SHA256, secret, sizeof(secret),
						   "ghost", 5, &b), 0);
	assert_int_equal(sb_scram_credentials_fake(SB_SCRAM_SHA256, secret, sizeof(secret),
						   "other", 5, &o), 0);
	assert_memory_equal(a.salt, b.salt, a.salt_len);      /* stable per user */
	assert_memory_not_equal(a.salt, o.salt, a.salt_len);  /* differs between users */
	assert_memory_not_equal(a.stored_key, b.stored_key, 32);
	assert_int_equal(start(&st, SB_SCRAM_SHA256, "n,,n=ghost,r=x1", &u), SB_SCRAM_OK);
	assert_int_equal(sb_scram_server_first(&st, &a, sfm, sizeof(sfm), &n), SB_SCRAM_OK);
	nonce_of(sfm, nonce, sizeof(nonce));
	snprintf(cfwp, sizeof(cfwp), "c=biws,r=%s", nonce);
	test_client_final(&tc, SB_SCRAM_SHA256, "pencil", "n=ghost,r=x1", sfm, cfwp);
	assert_int_equal(final(&st, tc.final_msg, out), SB_SCRAM_ERR_PROOF);
}

static void test_mech_names(void **state)
{
	(void)state;
	assert_string_equal(sb_scram_mech_name(SB_SCRAM_SHA1), "SCRAM-SHA-1");
	assert_string_equal(sb_scram_mech_name(SB_SCRAM_SHA256), "SCRAM-SHA-256");
	assert_null(sb_scram_mech_name(SB_SCRAM_MECH_MAX));
	assert_int_equal(sb_scram_mech_from_name("SCRAM-SHA-256", 13), SB_SCRAM_SHA256);
	assert_int_equal(sb_scram_mech_from_name("SCRAM-SHA-1", 11), SB_SCRAM_SHA1);
	assert_int_equal(sb_scram_mech_from_name("SCRAM-SHA-1-PLUS", 16), SB_SCRAM_MECH_MAX);
	assert_int_equal(sb_scram_mech_from_name("scram-sha-1", 11), SB_SCRAM_MECH_MAX);
	assert_string_equal(sb_scram_result_str(SB_SCRAM_ERR_PROOF), "proof");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5802_sha1),
		cmocka_unit_test(test_rfc7677_sha256),
		cmocka_unit_test(test_random_nonce_and_full_client),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_tampered_nonce_and_proof),
		cmocka_unit_test(test_channel_binding),
		cmocka_unit_test(test_channel_binding_plus),
		cmocka_unit_test(test_authzid),
		cmocka_unit_test(test_username),
		cmocka_unit_test(test_malformed_client_first),
		cmocka_unit_test(test_malformed_client_final),
		cmocka_unit_test(test_state_order_and_creds),
		cmocka_unit_test(test_fake_credentials),
		cmocka_unit_test(test_mech_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
