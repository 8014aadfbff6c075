/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stateless session tickets (RFC 8446 §4.6.1, RFC 5077 §4's format) with
 * keys rotated on a schedule and nothing shared between workers at run time:
 * the keys of epoch e = floor(now / rotate_s) are derived from the server's
 * 32-byte ticket secret (HKDF-Expand-Label, labels "tk name", "tk hmac",
 * "tk aes", context e as 8 big-endian bytes), so every worker computes the
 * same keys from its own clock. New tickets use epoch e; tickets of epoch
 * e-1 are still accepted; older ones fall back to a full handshake. Every
 * resumption gets a fresh ticket. A reload keeps the secret, so tickets survive it.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "tls_priv.h"

struct tls_ticket_key {
	uint8_t name[16];
	uint8_t hmac[32];
	uint8_t aes[32];
};

static int ticket_key(struct sb_tls_worker *w, const struct sb_tls_server *srv, uint64_t epoch,
		      struct tls_ticket_key *k)
{
	uint8_t ctx[8];

	for (unsigned i = 0; i < 8; i++)
		ctx[i] = (uint8_t)(epoch >> (56 - 8 * i));
	if (tls_hkdf_label(w, "SHA256", srv->ticket_secret, sizeof(srv->ticket_secret),
			   "tk name", ctx, sizeof(ctx), k->name, sizeof(k->name)) < 0 ||
	    tls_hkdf_label(w, "SHA256", srv->ticket_secret, sizeof(srv->ticket_secret),
			   "tk hmac", ctx, sizeof(ctx), k->hmac, sizeof(k->hmac)) < 0 ||
	    tls_hkdf_label(w, "SHA256", srv->ticket_secret, sizeof(srv->ticket_secret),
			   "tk aes", ctx, sizeof(ctx), k->aes, sizeof(k->aes)) < 0)
		return -EIO;
	return 0;
}

static int ticket_keys_apply(struct sb_tls_worker *w, const struct tls_ticket_key *k,
			     unsigned char *iv, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM p[3];

	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac,
						 sizeof(k->hmac));
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(hctx, p))
		return -EIO;
	if (!EVP_CipherInit_ex(cctx, w->ticket_cipher, NULL, k->aes, iv, enc))
		return -EIO;
	return 0;
}

/* SSL_CTX_set_tlsext_ticket_key_evp_cb: on enc, name the key and fill a
 * fresh IV; on decrypt, find the key by name. Returns 1 (ok), 2 (ok, but
 * issue a new ticket), 0 (unknown key: full handshake), -1 (error). */
int tls_ticket_cb(SSL *ssl, unsigned char key_name[16], unsigned char *iv,
		  EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct sb_tls_ssl *s = SSL_get_app_data(ssl);
	struct sb_tls_worker *w = s->w;
	uint64_t epoch = w->now_s / s->srv->ticket_rotate_s;
	struct tls_ticket_key k;
	int rc = -1;

	if (enc) {
		if (ticket_key(w, s->srv, epoch, &k) == 0 &&
		    RAND_bytes(iv, EVP_CIPHER_get_iv_length(w->ticket_cipher)) == 1 &&
		    ticket_keys_apply(w, &k, iv, cctx, hctx, 1) == 0) {
			memcpy(key_name, k.name, sizeof(k.name));
			w->ctr[SB_TLS_CTR_ticket_issued]++;
			rc = 1;
		}
		goto out;
	}
	for (unsigned back = 0; back < 2 && back <= epoch; back++) {
		if (ticket_key(w, s->srv, epoch - back, &k) < 0)
			goto out;
		if (CRYPTO_memcmp(k.name, key_name, sizeof(k.name)) != 0)
			continue;
		if (ticket_keys_apply(w, &k, iv, cctx, hctx, 0) < 0)
			goto out;
		w->ctr[back == 0 ? SB_TLS_CTR_ticket_current : SB_TLS_CTR_ticket_renew]++;
		/* Always 2 (issue a new ticket): a TLS 1.3 client should not use a
		 * ticket twice (RFC 8446 §C.4), so it needs a fresh one from every
		 * resumption, and libssl sends none after a plain 1. */
		rc = 2;
		goto out;
	}
	w->ctr[SB_TLS_CTR_ticket_unknown]++;
	rc = 0;
out:
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}
