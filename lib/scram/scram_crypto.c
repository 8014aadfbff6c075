/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram primitives: the mechanism table, one-shot HMAC and hashes over
 * OpenSSL 3, strict base64 (RFC 4648 §4) and the result names. The base64
 * decoder is our own because EVP_DecodeBlock accepts whitespace and does not
 * report padding, and SCRAM wants exactly one encoding per value.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "scram.h"
#include "scram_priv.h"

static const char *const scram_mech_names[SB_SCRAM_MECH_MAX] = {
	[SB_SCRAM_SHA1] = "SCRAM-SHA-1",
	[SB_SCRAM_SHA256] = "SCRAM-SHA-256",
};

static const char *const scram_result_names[SB_SCRAM_RESULT_MAX] = {
	[SB_SCRAM_OK] = "ok",
	[SB_SCRAM_ERR_MALFORMED] = "malformed",
	[SB_SCRAM_ERR_TOO_LONG] = "too_long",
	[SB_SCRAM_ERR_EXTENSION] = "extension",
	[SB_SCRAM_ERR_CB_NOT_SUPPORTED] = "cb_not_supported",
	[SB_SCRAM_ERR_USERNAME] = "username",
	[SB_SCRAM_ERR_AUTHZID] = "authzid",
	[SB_SCRAM_ERR_CB_MISMATCH] = "cb_mismatch",
	[SB_SCRAM_ERR_NONCE] = "nonce",
	[SB_SCRAM_ERR_PROOF] = "proof",
	[SB_SCRAM_ERR_CREDS] = "creds",
	[SB_SCRAM_ERR_STATE] = "state",
	[SB_SCRAM_ERR_INTERNAL] = "internal",
	[SB_SCRAM_ERR_CB_DOWNGRADE] = "cb_downgrade",
};

const char *sb_scram_mech_name(enum sb_scram_mech mech)
{
	return (unsigned)mech < SB_SCRAM_MECH_MAX ? scram_mech_names[mech] : NULL;
}

enum sb_scram_mech sb_scram_mech_from_name(const char *name, size_t len)
{
	for (unsigned m = 0; m < SB_SCRAM_MECH_MAX; m++) {
		const char *n = scram_mech_names[m];

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return (enum sb_scram_mech)m;
	}
	return SB_SCRAM_MECH_MAX;
}

const char *sb_scram_result_str(enum sb_scram_result r)
{
	return (unsigned)r < SB_SCRAM_RESULT_MAX ? scram_result_names[r] : "unknown";
}

static const EVP_MD *scram_md(enum sb_scram_mech mech)
{
	switch (mech) {
	case SB_SCRAM_SHA1:
		return EVP_sha1();
	case SB_SCRAM_SHA256:
		return EVP_sha256();
	default:
		return NULL;
	}
}

size_t scram_hash_len(enum sb_scram_mech mech)
{
	switch (mech) {
	case SB_SCRAM_SHA1:
		return 20;
	case SB_SCRAM_SHA256:
		return 32;
	default:
		return 0;
	}
}

/* The AuthMessage is at most the state buffer plus one client message, so
 * it is assembled on the stack for OpenSSL's one-shot HMAC(): no
 * EVP_MAC_CTX allocation per login. */
int scram_hmac2(enum sb_scram_mech mech, const uint8_t *key, size_t key_len, const void *a,
		size_t a_len, const void *b, size_t b_len, uint8_t *out)
{
	uint8_t msg[sizeof(((struct sb_scram_server *)0)->buf) + SB_SCRAM_CLIENT_MSG_MAX];
	unsigned int n = 0;
	const EVP_MD *md = scram_md(mech);

	if (md == NULL || a_len + b_len > sizeof(msg))
		return -EINVAL;
	if (a_len > 0)
		memcpy(msg, a, a_len);
	if (b_len > 0)
		memcpy(msg + a_len, b, b_len);
	if (HMAC(md, key, (int)key_len, msg, a_len + b_len, out, &n) == NULL ||
	    n != scram_hash_len(mech))
		return -EIO;
	return 0;
}

int scram_hash(enum sb_scram_mech mech, const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;
	const EVP_MD *md = scram_md(mech);

	if (md == NULL)
		return -EINVAL;
	if (EVP_Digest(data, len, out, &n, md, NULL) != 1 || n != scram_hash_len(mech))
		return -EIO;
	return 0;
}

int scram_salted_password(enum sb_scram_mech mech, const char *pw, size_t pw_len,
			  const uint8_t *salt, size_t salt_len, uint32_t iterations, uint8_t *out)
{
	const EVP_MD *md = scram_md(mech);

	if (md == NULL)
		return -EINVAL;
	if (PKCS5_PBKDF2_HMAC(pw, (int)pw_len, salt, (int)salt_len, (int)iterations, md,
			      (int)scram_hash_len(mech), out) != 1)
		return -EIO;
	return 0;
}

static const char scram_b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sb_scram_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t need = (len + 2) / 3 * 4, o = 0;

	if (cap < need + 1)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[o++] = scram_b64_alphabet[(v >> 18) & 63];
		out[o++] = scram_b64_alphabet[(v >> 12) & 63];
		out[o++] = left > 1 ? scram_b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = left > 2 ? scram_b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int scram_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sb_scram_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;
		uint32_t w;

		for (size_t k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];

			/* '=' only in the last quantum, only at its end. */
			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = scram_b64_val(c);
			if (v[k] < 0 || pad > 0)
				return -EINVAL;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		    (uint32_t)v[3];
		/* Canonical form: the bits a pad character hides must be zero. */
		if ((pad == 1 && (w & 0xff) != 0) || (pad == 2 && (w & 0xffff) != 0))
			return -EINVAL;
		if (o + 3 - pad > cap)
			return -ENOSPC;
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	return (int)o;
}
