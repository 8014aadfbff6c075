/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A minimal SCRAM client for the unit tests, written straight from RFC 5802
 * §3 with OpenSSL so that the server is checked against an independent
 * computation of ClientProof and ServerSignature.
 */
#ifndef SB_SCRAM_TEST_CLIENT_H
#define SB_SCRAM_TEST_CLIENT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "scram.h"

struct test_client {
	const EVP_MD *md;
	size_t hl;
	uint8_t salted[32];
	char final_msg[512];       /* client-final-message */
	char expect_v[80];         /* "v=" ServerSignature the server must send */
};

/* Given the password, client-first-message-bare, the server-first-message
 * and client-final-message-without-proof, fill final_msg and expect_v. */
static inline void test_client_final(struct test_client *tc, enum sb_scram_mech mech,
				     const char *password, const char *cfb, const char *sfm,
				     const char *cfwp)
{
	uint8_t salt[64], ck[32], sk[32], stored[32], csig[32], ssig[32], proof[32];
	char am[1400], b64[64];
	const char *s = strstr(sfm, ",s="), *i = strstr(sfm, ",i=");
	unsigned int n;
	int salt_len;

	tc->md = mech == SB_SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
	tc->hl = (size_t)EVP_MD_get_size(tc->md);
	salt_len = sb_scram_b64_decode(s + 3, (size_t)(i - s - 3), salt, sizeof(salt));
	PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, salt_len, atoi(i + 3), tc->md,
			  (int)tc->hl, tc->salted);
	HMAC(tc->md, tc->salted, (int)tc->hl, (const uint8_t *)"Client Key", 10, ck, &n);
	HMAC(tc->md, tc->salted, (int)tc->hl, (const uint8_t *)"Server Key", 10, sk, &n);
	EVP_Digest(ck, tc->hl, stored, &n, tc->md, NULL);
	snprintf(am, sizeof(am), "%s,%s,%s", cfb, sfm, cfwp);
	HMAC(tc->md, stored, (int)tc->hl, (const uint8_t *)am, strlen(am), csig, &n);
	HMAC(tc->md, sk, (int)tc->hl, (const uint8_t *)am, strlen(am), ssig, &n);
	for (size_t k = 0; k < tc->hl; k++)
		proof[k] = ck[k] ^ csig[k];
	sb_scram_b64_encode(proof, tc->hl, b64, sizeof(b64));
	snprintf(tc->final_msg, sizeof(tc->final_msg), "%s,p=%s", cfwp, b64);
	sb_scram_b64_encode(ssig, tc->hl, b64, sizeof(b64));
	snprintf(tc->expect_v, sizeof(tc->expect_v), "v=%s", b64);
}

#endif
