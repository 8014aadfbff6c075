/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The client side of SCRAM-SHA-1 (RFC 5802 §3) for sb-loadgen, with
 * OpenSSL. SaltedPassword depends only on the password, the salt and the
 * iteration count, and every account has one salt, so ClientKey and
 * ServerKey are kept per user and reused on the next login while the
 * server sends the same salt and count (RFC 5802 §5.1 allows the client to
 * cache them): the 4096 PBKDF2 rounds then run once per user, not once per
 * login, and the loadgen's core measures the gateway rather than itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lg_xsasl.h"
#include "scram.h"

#define LG_SHA1_LEN 20u

/* server-first-message: r=NONCE,s=SALT,i=ITER[,ext]. Fields by position,
 * RFC 5802 §7 (no m= extension is ever sent to us). */
static int lg_sfm_parse(const char *sfm, size_t len, const char **r, size_t *r_len,
			const char **s, size_t *s_len, uint32_t *iter)
{
	const char *end = sfm + len, *p = sfm, *q;
	unsigned long v = 0;

	if (len < 2 || memcmp(p, "r=", 2) != 0)
		return -EINVAL;
	q = memchr(p, ',', len);
	if (q == NULL)
		return -EINVAL;
	*r = p + 2;
	*r_len = (size_t)(q - p - 2);
	p = q + 1;
	if (end - p < 2 || memcmp(p, "s=", 2) != 0)
		return -EINVAL;
	q = memchr(p, ',', (size_t)(end - p));
	if (q == NULL)
		return -EINVAL;
	*s = p + 2;
	*s_len = (size_t)(q - p - 2);
	p = q + 1;
	if (end - p < 3 || memcmp(p, "i=", 2) != 0)
		return -EINVAL;
	for (p += 2; p < end && *p >= '0' && *p <= '9' && v < 100000000ul; p++)
		v = v * 10u + (unsigned long)(*p - '0');
	if (v == 0 || (p < end && *p != ','))
		return -EINVAL;
	*iter = (uint32_t)v;
	return 0;
}

static int lg_keys(struct sb_lg_scram_user *u, const char *password, const char *salt_b64,
		   size_t salt_b64_len, uint32_t iter, bool *ran_pbkdf2)
{
	uint8_t salt[64], salted[LG_SHA1_LEN];
	unsigned int n;
	int salt_len;

	*ran_pbkdf2 = false;
	if (u->iter == iter && u->salt_len == salt_b64_len &&
	    memcmp(u->salt_b64, salt_b64, salt_b64_len) == 0)
		return 0;
	if (salt_b64_len >= sizeof(u->salt_b64))
		return -E2BIG;
	salt_len = sb_scram_b64_decode(salt_b64, salt_b64_len, salt, sizeof(salt));
	if (salt_len <= 0)
		return -EINVAL;
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, salt_len, (int)iter,
			      EVP_sha1(), LG_SHA1_LEN, salted) != 1)
		return -EIO;
	*ran_pbkdf2 = true;
	HMAC(EVP_sha1(), salted, LG_SHA1_LEN, (const uint8_t *)"Client Key", 10, u->ck, &n);
	HMAC(EVP_sha1(), salted, LG_SHA1_LEN, (const uint8_t *)"Server Key", 10, u->sk, &n);
	memcpy(u->salt_b64, salt_b64, salt_b64_len);
	u->salt_len = (uint8_t)salt_b64_len;
	u->iter = iter;
	return 0;
}

int sb_lg_scram_first(char *out, size_t cap, const char *user, const char *cnonce)
{
	int n = snprintf(out, cap, "n,,n=%s,r=%s", user, cnonce);

	return n < 0 || (size_t)n >= cap ? -E2BIG : n;
}

int sb_lg_scram_final(struct sb_lg_scram_user *u, const char *user, const char *password,
		      const char *cnonce, const char *sfm, size_t sfm_len, char *out, size_t cap,
		      uint8_t ssig[20], bool *ran_pbkdf2)
{
	const char *r, *s;
	size_t r_len, s_len, cn_len = strlen(cnonce);
	uint8_t stored[LG_SHA1_LEN], csig[LG_SHA1_LEN], proof[LG_SHA1_LEN];
	char am[768], cfwp[160], b64[40];
	unsigned int n;
	uint32_t iter;
	int am_len, len;

	*ran_pbkdf2 = false;
	if (lg_sfm_parse(sfm, sfm_len, &r, &r_len, &s, &s_len, &iter) < 0)
		return -EINVAL;
	/* The server's nonce must extend ours (RFC 5802 §5.1). */
	if (r_len <= cn_len || memcmp(r, cnonce, cn_len) != 0)
		return -EPROTO;
	if (lg_keys(u, password, s, s_len, iter, ran_pbkdf2) < 0)
		return -EINVAL;
	/* c=biws: base64 of the GS2 header "n,," (no channel binding, no authzid). */
	len = snprintf(cfwp, sizeof(cfwp), "c=biws,r=%.*s", (int)r_len, r);
	if (len < 0 || (size_t)len >= sizeof(cfwp))
		return -E2BIG;
	am_len = snprintf(am, sizeof(am), "n=%s,r=%s,%.*s,%s", user, cnonce, (int)sfm_len, sfm,
			  cfwp);
	if (am_len < 0 || (size_t)am_len >= sizeof(am))
		return -E2BIG;
	EVP_Digest(u->ck, LG_SHA1_LEN, stored, &n, EVP_sha1(), NULL);
	HMAC(EVP_sha1(), stored, LG_SHA1_LEN, (const uint8_t *)am, (size_t)am_len, csig, &n);
	HMAC(EVP_sha1(), u->sk, LG_SHA1_LEN, (const uint8_t *)am, (size_t)am_len, ssig, &n);
	for (size_t k = 0; k < LG_SHA1_LEN; k++)
		proof[k] = u->ck[k] ^ csig[k];
	if (sb_scram_b64_encode(proof, LG_SHA1_LEN, b64, sizeof(b64)) < 0)
		return -E2BIG;
	len = snprintf(out, cap, "%s,p=%s", cfwp, b64);
	return len < 0 || (size_t)len >= cap ? -E2BIG : len;
}

bool sb_lg_scram_verify(const uint8_t ssig[20], const char *sfinal, size_t len)
{
	uint8_t v[32];

	/* server-final-message: v=ServerSignature (e=... is a failure). */
	if (len < 2 || memcmp(sfinal, "v=", 2) != 0)
		return false;
	return sb_scram_b64_decode(sfinal + 2, len - 2, v, sizeof(v)) == (int)LG_SHA1_LEN &&
	       CRYPTO_memcmp(v, ssig, LG_SHA1_LEN) == 0;
}
