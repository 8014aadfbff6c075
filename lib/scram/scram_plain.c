/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram PLAIN (RFC 4616) checked against stored SCRAM credentials, and
 * the identity rules both mechanisms share: the authentication identity is
 * a username normalised like a JID localpart (PRECIS UsernameCaseMapped,
 * lib/jid), and an authorization identity may only name the user's own bare
 * JID (RFC 6120 §6.3.8): nobody logs in as someone else.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jid.h"
#include "scram.h"
#include "scram_priv.h"

enum sb_scram_result scram_user_normalise(const char *in, size_t len, struct sb_scram_user *user)
{
	size_t n = 0;

	if (len > SB_SCRAM_USER_MAX ||
	    sb_jid_local_normalise(in, len, user->name, sizeof(user->name), &n, NULL) < 0)
		return SB_SCRAM_ERR_USERNAME;
	user->len = (uint16_t)n;
	return SB_SCRAM_OK;
}

bool scram_authzid_ok(const char *authzid, size_t len, const struct sb_scram_user *user,
		      const char *domain, size_t domain_len)
{
	struct sb_jid j;

	if (sb_jid_parse(&j, authzid, len) < 0)
		return false;
	return j.resource_len == 0 && j.local_len == user->len &&
	       memcmp(sb_jid_local(&j), user->name, user->len) == 0 &&
	       j.domain_len == domain_len && memcmp(sb_jid_domain(&j), domain, domain_len) == 0;
}

enum sb_scram_result sb_scram_plain_parse(const char *msg, size_t len, const char *domain,
					  size_t domain_len, struct sb_scram_plain *out)
{
	const char *nul1, *nul2, *authcid;
	size_t authz_len, authc_len, pw_len;
	enum sb_scram_result r;

	memset(out, 0, sizeof(*out));
	if (len > 3 * SB_SCRAM_PLAIN_MAX + 2)
		return SB_SCRAM_ERR_TOO_LONG;
	nul1 = memchr(msg, '\0', len);
	if (nul1 == NULL)
		return SB_SCRAM_ERR_MALFORMED;
	authcid = nul1 + 1;
	nul2 = memchr(authcid, '\0', len - (size_t)(authcid - msg));
	if (nul2 == NULL)
		return SB_SCRAM_ERR_MALFORMED;
	authz_len = (size_t)(nul1 - msg);
	authc_len = (size_t)(nul2 - authcid);
	pw_len = len - (size_t)(nul2 + 1 - msg);
	/* RFC 4616 §2: authcid and passwd are 1*SAFE (no NUL). */
	if (authc_len == 0 || pw_len == 0 || memchr(nul2 + 1, '\0', pw_len) != NULL)
		return SB_SCRAM_ERR_MALFORMED;
	if (authz_len > SB_SCRAM_PLAIN_MAX || authc_len > SB_SCRAM_PLAIN_MAX ||
	    pw_len > SB_SCRAM_PLAIN_MAX)
		return SB_SCRAM_ERR_TOO_LONG;
	r = scram_user_normalise(authcid, authc_len, &out->user);
	if (r != SB_SCRAM_OK)
		return r;
	if (authz_len > 0 && !scram_authzid_ok(msg, authz_len, &out->user, domain, domain_len))
		return SB_SCRAM_ERR_AUTHZID;
	out->passwd = nul2 + 1;
	out->passwd_len = (uint16_t)pw_len;
	return SB_SCRAM_OK;
}

enum sb_scram_result sb_scram_plain_verify(const struct sb_scram_creds *creds,
					   const char *passwd, size_t len)
{
	char pw[SB_SCRAM_PASS_MAX + 1];
	uint8_t salted[SB_SCRAM_KEY_MAX], stored[SB_SCRAM_KEY_MAX], server[SB_SCRAM_KEY_MAX];
	enum sb_scram_mech mech;
	size_t pw_len = 0;
	enum sb_scram_result r = SB_SCRAM_ERR_INTERNAL;
	int rc;

	if (creds == NULL || !scram_creds_valid(creds, (enum sb_scram_mech)creds->mech))
		return SB_SCRAM_ERR_CREDS;
	mech = (enum sb_scram_mech)creds->mech;
	/* A password SASLprep refuses cannot be the one that was stored. */
	rc = sb_scram_saslprep(passwd, len, false, pw, sizeof(pw), &pw_len);
	if (rc < 0) {
		r = SB_SCRAM_ERR_PROOF;
		goto out;
	}
	if (scram_salted_password(mech, pw, pw_len, creds->salt, creds->salt_len,
				  creds->iterations, salted) < 0 ||
	    scram_keys_from_salted(mech, salted, stored, server) < 0)
		goto out;
	r = CRYPTO_memcmp(stored, creds->stored_key, scram_hash_len(mech)) == 0 ?
		    SB_SCRAM_OK : SB_SCRAM_ERR_PROOF;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(server, sizeof(server));
	return r;
}
