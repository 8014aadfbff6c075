/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TLS 1.3 key schedule the record layer needs after the hand-off
 * (RFC 8446 §7.1-7.3): HKDF-Expand-Label through OpenSSL's "TLS13-KDF",
 * traffic key and IV from a traffic secret, and the KeyUpdate step of the
 * secret. Also the per-worker crypto context: ciphers fetched once and one
 * encrypt and one decrypt context per suite, re-keyed per record.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "tls_priv.h"

const struct tls_suite_info tls_suites[SB_TLS_SUITE_MAX] = {
	[SB_TLS_AES_128_GCM_SHA256] = {0x1301, 16, 32, "AES-128-GCM", "SHA256"},
	[SB_TLS_AES_256_GCM_SHA384] = {0x1302, 32, 48, "AES-256-GCM", "SHA384"},
	[SB_TLS_CHACHA20_POLY1305_SHA256] = {0x1303, 32, 32, "ChaCha20-Poly1305", "SHA256"},
};

const struct sb_ctr_desc sb_tls_ctr_desc[SB_TLS_CTR_MAX] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_TLS_CTR_, name, help)
#include "tls_counters.def"
#undef SB_CTR
};

const char *sb_tls_ctr_name(unsigned i)
{
	return i < SB_TLS_CTR_MAX ? sb_tls_ctr_desc[i].name : NULL;
}

int tls_suite_of(uint16_t id)
{
	for (unsigned i = 0; i < SB_TLS_SUITE_MAX; i++)
		if (tls_suites[i].id == id)
			return (int)i;
	return -1;
}

int sb_tls_worker_init(struct sb_tls_worker *w, const struct sb_tls_worker_opts *opts)
{
	EVP_KDF *kdf;

	memset(w, 0, sizeof(*w));
	w->hs_max = opts != NULL && opts->hs_max ? opts->hs_max : 1024;
	w->rekey_records = opts != NULL && opts->rekey_records ? opts->rekey_records
							       : SB_TLS_REKEY_RECORDS_DEFAULT;
	for (unsigned i = 0; i < SB_TLS_SUITE_MAX; i++) {
		w->aead[i] = EVP_CIPHER_fetch(NULL, tls_suites[i].cipher, NULL);
		w->enc[i] = EVP_CIPHER_CTX_new();
		w->dec[i] = EVP_CIPHER_CTX_new();
		if (w->aead[i] == NULL || w->enc[i] == NULL || w->dec[i] == NULL)
			goto fail;
		/* Bind the cipher now, so the per-record init passes only key and
		 * nonce (passing the cipher again costs a fetch each time). */
		if (!EVP_EncryptInit_ex2(w->enc[i], w->aead[i], NULL, NULL, NULL) ||
		    !EVP_DecryptInit_ex2(w->dec[i], w->aead[i], NULL, NULL, NULL))
			goto fail;
	}
	w->ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	if (kdf == NULL || w->ticket_cipher == NULL)
		goto fail_kdf;
	w->kdf = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf); /* the context keeps its own reference */
	if (w->kdf == NULL)
		goto fail;
	return 0;
fail_kdf:
	EVP_KDF_free(kdf);
fail:
	sb_tls_worker_fini(w);
	return -ENOMEM;
}

void sb_tls_worker_fini(struct sb_tls_worker *w)
{
	for (unsigned i = 0; i < SB_TLS_SUITE_MAX; i++) {
		EVP_CIPHER_CTX_free(w->enc[i]);
		EVP_CIPHER_CTX_free(w->dec[i]);
		EVP_CIPHER_free(w->aead[i]);
		w->enc[i] = w->dec[i] = NULL;
		w->aead[i] = NULL;
	}
	OPENSSL_cleanse(w->enc_key, sizeof(w->enc_key));
	OPENSSL_cleanse(w->dec_key, sizeof(w->dec_key));
	EVP_CIPHER_free(w->ticket_cipher);
	EVP_KDF_CTX_free(w->kdf);
	w->ticket_cipher = NULL;
	w->kdf = NULL;
}

/* HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 §7.1. The
 * TLS13-KDF takes every parameter in the one derive call; the "tls13 "
 * prefix is passed apart from the label, as OpenSSL's own key schedule does. */
int tls_hkdf_label(struct sb_tls_worker *w, const char *digest, const uint8_t *secret,
		   size_t secret_len, const char *label, const uint8_t *ctx, size_t ctx_len,
		   uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[7], *q = p;

	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, (void *)prefix,
						 sizeof(prefix) - 1);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						 strlen(label));
	if (ctx_len > 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, (void *)ctx,
							 ctx_len);
	*q = OSSL_PARAM_construct_end();
	EVP_KDF_CTX_reset(w->kdf);
	if (EVP_KDF_derive(w->kdf, out, out_len, p) <= 0) {
		w->ctr[SB_TLS_CTR_rec_crypto_err]++;
		return -EIO;
	}
	return 0;
}

int tls_dir_set(struct sb_tls_worker *w, unsigned suite, struct sb_tls_dir *d,
		const uint8_t *secret)
{
	const struct tls_suite_info *si = &tls_suites[suite];
	int rc;

	if (secret != d->secret)
		memcpy(d->secret, secret, si->hash_len);
	rc = tls_hkdf_label(w, si->digest, d->secret, si->hash_len, "key", NULL, 0, d->key,
			    si->key_len);
	if (rc == 0)
		rc = tls_hkdf_label(w, si->digest, d->secret, si->hash_len, "iv", NULL, 0, d->iv,
				    sizeof(d->iv));
	d->seq = 0;
	return rc;
}

int tls_dir_update(struct sb_tls_worker *w, unsigned suite, struct sb_tls_dir *d)
{
	const struct tls_suite_info *si = &tls_suites[suite];
	uint8_t next[TLS_SECRET_MAX];
	int rc;

	rc = tls_hkdf_label(w, si->digest, d->secret, si->hash_len, "traffic upd", NULL, 0,
			    next, si->hash_len);
	if (rc == 0)
		rc = tls_dir_set(w, suite, d, next);
	OPENSSL_cleanse(next, sizeof(next));
	return rc;
}

int tls_ctx_key(EVP_CIPHER_CTX *ctx, uint8_t held[32], const uint8_t *key, unsigned key_len,
		const uint8_t nonce[12], int enc)
{
	const uint8_t *k = key;
	int ok;

	/* Only equality matters here, not timing: both keys are ours. */
	if (memcmp(held, key, key_len) == 0)
		k = NULL;
	ok = enc ? EVP_EncryptInit_ex2(ctx, NULL, k, nonce, NULL)
		 : EVP_DecryptInit_ex2(ctx, NULL, k, nonce, NULL);
	if (ok && k != NULL)
		memcpy(held, key, key_len);
	else if (!ok)
		memset(held, 0, 32);
	return ok;
}

void sb_tls_conn_wipe(struct sb_tls_conn *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}
