/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram credentials: SASLprep of passwords (RFC 4013, via ICU's stringprep
 * profile; printable ASCII never reaches ICU), derivation of SaltedPassword,
 * StoredKey and ServerKey (RFC 5802 §3) with OpenSSL's PBKDF2, stand-in
 * credentials for unknown users, and the fixed binary storage record.
 * Passwords and SaltedPassword are wiped from the stack before returning.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include "scram.h"
#include "scram_priv.h"

#define SASLPREP_U16_MAX 2048 /* NFKC may expand; a longer result is refused */

static int saslprep_icu(const char *in, size_t len, bool stored, char *out, size_t cap,
			size_t *out_len)
{
	UChar a[SB_SCRAM_PASS_MAX + 1], b[SASLPREP_U16_MAX];
	UErrorCode err = U_ZERO_ERROR;
	UStringPrepProfile *prof;
	int32_t na = 0, nb, n = 0;
	int rc = 0;

	u_strFromUTF8(a, (int32_t)(sizeof(a) / sizeof(a[0])), &na, in, (int32_t)len, &err);
	if (U_FAILURE(err))
		return -EILSEQ;
	prof = usprep_openByType(USPREP_RFC4013_SASLPREP, &err);
	if (U_FAILURE(err))
		return -EIO;
	/* RFC 4013 §2 uses the stringprep rules for stored strings when a
	 * password is set, and the query rules when one is checked. */
	nb = usprep_prepare(prof, a, na, b, SASLPREP_U16_MAX,
			    stored ? USPREP_DEFAULT : USPREP_ALLOW_UNASSIGNED, NULL, &err);
	usprep_close(prof);
	if (err == U_BUFFER_OVERFLOW_ERROR || err == U_STRING_NOT_TERMINATED_WARNING)
		rc = -ENOSPC;
	else if (U_FAILURE(err))
		rc = -EILSEQ;
	else if (nb == 0)
		rc = -EINVAL;
	if (rc == 0) {
		u_strToUTF8(out, (int32_t)cap, &n, b, nb, &err);
		if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING ||
		    (size_t)n > SB_SCRAM_PASS_MAX)
			rc = -ENOSPC;
		else
			*out_len = (size_t)n;
	}
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

int sb_scram_saslprep(const char *in, size_t len, bool stored, char *out, size_t cap,
		      size_t *out_len)
{
	bool ascii = true;

	if (len == 0)
		return -EINVAL;
	if (len > SB_SCRAM_PASS_MAX)
		return -ENOSPC;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c == 0x7f)
			return -EILSEQ; /* RFC 3454 C.2.1 ASCII control characters */
		if (c >= 0x80)
			ascii = false;
	}
	if (!ascii)
		return saslprep_icu(in, len, stored, out, cap, out_len);
	/* Printable ASCII is unchanged by every SASLprep step. */
	if (cap < len + 1)
		return -ENOSPC;
	memcpy(out, in, len);
	out[len] = '\0';
	*out_len = len;
	return 0;
}

int scram_keys_from_salted(enum sb_scram_mech mech, const uint8_t *salted, uint8_t *stored_key,
			   uint8_t *server_key)
{
	uint8_t client_key[SB_SCRAM_KEY_MAX];
	size_t hl = scram_hash_len(mech);
	int rc;

	rc = scram_hmac2(mech, salted, hl, "Client Key", 10, NULL, 0, client_key);
	if (rc == 0)
		rc = scram_hash(mech, client_key, hl, stored_key);
	if (rc == 0)
		rc = scram_hmac2(mech, salted, hl, "Server Key", 10, NULL, 0, server_key);
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return rc;
}

bool scram_creds_valid(const struct sb_scram_creds *c, enum sb_scram_mech mech)
{
	return c != NULL && c->mech == mech && (unsigned)mech < SB_SCRAM_MECH_MAX &&
	       c->salt_len >= 1 && c->salt_len <= SB_SCRAM_SALT_MAX &&
	       c->iterations >= SB_SCRAM_ITER_MIN && c->iterations <= SB_SCRAM_ITER_MAX;
}

int sb_scram_credentials_derive(enum sb_scram_mech mech, const char *password, size_t len,
				const uint8_t *salt, size_t salt_len, uint32_t iterations,
				struct sb_scram_creds *out)
{
	char pw[SB_SCRAM_PASS_MAX + 1];
	uint8_t salted[SB_SCRAM_KEY_MAX];
	size_t pw_len = 0;
	int rc;

	if ((unsigned)mech >= SB_SCRAM_MECH_MAX || salt_len == 0 || salt_len > SB_SCRAM_SALT_MAX ||
	    iterations < SB_SCRAM_ITER_MIN || iterations > SB_SCRAM_ITER_MAX)
		return -EINVAL;
	rc = sb_scram_saslprep(password, len, true, pw, sizeof(pw), &pw_len);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->mech = (uint8_t)mech;
	out->salt_len = (uint8_t)salt_len;
	out->iterations = iterations;
	memcpy(out->salt, salt, salt_len);
	rc = scram_salted_password(mech, pw, pw_len, salt, salt_len, iterations, salted);
	if (rc == 0)
		rc = scram_keys_from_salted(mech, salted, out->stored_key, out->server_key);
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(salted, sizeof(salted));
	return rc;
}

int sb_scram_credentials_new(enum sb_scram_mech mech, const char *password, size_t len,
			     uint32_t iterations, struct sb_scram_creds *out)
{
	uint8_t salt[SB_SCRAM_SALT_DEFAULT];

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -EIO;
	return sb_scram_credentials_derive(mech, password, len, salt, sizeof(salt), iterations,
					   out);
}

int sb_scram_credentials_fake(enum sb_scram_mech mech, const uint8_t *secret, size_t secret_len,
			      const char *user, size_t user_len, struct sb_scram_creds *out)
{
	uint8_t mac[SB_SCRAM_KEY_MAX];
	const char *name = sb_scram_mech_name(mech);
	size_t hl = scram_hash_len(mech);

	if (name == NULL || user_len > SB_SCRAM_FAKE_NAME_MAX)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->mech = (uint8_t)mech;
	out->iterations = SB_SCRAM_ITER_MIN;
	out->salt_len = SB_SCRAM_SALT_DEFAULT;
	/* The mechanism name keeps the fake salts of the two mechanisms apart,
	 * as real accounts' salts are. */
	if (scram_hmac2(SB_SCRAM_SHA256, secret, secret_len, name, strlen(name) + 1, user,
			user_len, mac) < 0)
		return -EIO;
	memcpy(out->salt, mac, SB_SCRAM_SALT_DEFAULT);
	if (RAND_bytes(out->stored_key, (int)hl) != 1 || RAND_bytes(out->server_key, (int)hl) != 1)
		return -EIO;
	return 0;
}

void sb_scram_credentials_pack(const struct sb_scram_creds *c,
			       uint8_t rec[SB_SCRAM_CREDS_RECORD_LEN])
{
	memset(rec, 0, SB_SCRAM_CREDS_RECORD_LEN);
	rec[0] = SB_SCRAM_CREDS_VERSION;
	rec[1] = c->mech;
	rec[2] = c->salt_len;
	rec[4] = (uint8_t)(c->iterations >> 24);
	rec[5] = (uint8_t)(c->iterations >> 16);
	rec[6] = (uint8_t)(c->iterations >> 8);
	rec[7] = (uint8_t)c->iterations;
	memcpy(rec + 8, c->salt, c->salt_len <= SB_SCRAM_SALT_MAX ? c->salt_len : 0);
	memcpy(rec + 8 + SB_SCRAM_SALT_MAX, c->stored_key, scram_hash_len(c->mech));
	memcpy(rec + 8 + SB_SCRAM_SALT_MAX + SB_SCRAM_KEY_MAX, c->server_key,
	       scram_hash_len(c->mech));
}

static bool scram_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int sb_scram_credentials_unpack(struct sb_scram_creds *c, const uint8_t *rec, size_t len)
{
	const uint8_t *keys = rec + 8 + SB_SCRAM_SALT_MAX;
	size_t hl;

	if (len != SB_SCRAM_CREDS_RECORD_LEN || rec[0] != SB_SCRAM_CREDS_VERSION || rec[3] != 0)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->mech = rec[1];
	c->salt_len = rec[2];
	c->iterations = (uint32_t)rec[4] << 24 | (uint32_t)rec[5] << 16 | (uint32_t)rec[6] << 8 |
			rec[7];
	if (!scram_creds_valid(c, (enum sb_scram_mech)c->mech))
		return -EINVAL;
	hl = scram_hash_len((enum sb_scram_mech)c->mech);
	/* Padding must be zero so that one set of credentials has one record. */
	if (!scram_all_zero(rec + 8 + c->salt_len, SB_SCRAM_SALT_MAX - c->salt_len) ||
	    !scram_all_zero(keys + hl, SB_SCRAM_KEY_MAX - hl) ||
	    !scram_all_zero(keys + SB_SCRAM_KEY_MAX + hl, SB_SCRAM_KEY_MAX - hl))
		return -EINVAL;
	memcpy(c->salt, rec + 8, c->salt_len);
	memcpy(c->stored_key, keys, hl);
	memcpy(c->server_key, keys + SB_SCRAM_KEY_MAX, hl);
	return 0;
}
