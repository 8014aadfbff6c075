/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The send half of the TLS 1.3 record layer (RFC 8446 §5.2-5.5, §4.6.3,
 * §6): owed control records first (a fatal alert ends everything; a
 * KeyUpdate goes out under the old key and then the send key rotates), then
 * application data in records of at most tx_frag_max bytes, then an owed
 * close_notify. Our own KeyUpdate also goes out when the send key has
 * sealed w->rekey_records records, under AES-GCM's usage limit (§5.5).
 * Records carry no padding: XMPP traffic analysis is not in scope, and
 * padding would cost bytes on every message.
 */
#include <errno.h>
#include <string.h>

#include "tls_priv.h"

enum {
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPDATA = 23,
	HS_KEY_UPDATE = 24,
};

/* Seal one record of type `type` around p[0..n) into out (room for
 * n + SB_TLS_REC_OVERHEAD checked by the caller). Returns its length, or
 * -EIO if libcrypto failed. */
static long seal_one(struct sb_tls_worker *w, struct sb_tls_conn *c, uint8_t type,
		     const uint8_t *p, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = w->enc[c->suite];
	size_t rlen = n + 1 + SB_TLS_TAG;
	uint8_t nonce[12], *o = out + SB_TLS_REC_HDR;
	int l = 0;

	out[0] = CT_APPDATA; /* opaque_type: every protected record (§5.2) */
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(rlen >> 8);
	out[4] = (uint8_t)rlen;
	for (unsigned i = 0; i < 12; i++)
		nonce[i] = c->tx.iv[i];
	for (unsigned i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(c->tx.seq >> (56 - 8 * i));
	if (!tls_ctx_key(ctx, w->enc_key[c->suite], c->tx.key, tls_suites[c->suite].key_len, nonce,
			 1) ||
	    !EVP_EncryptUpdate(ctx, NULL, &l, out, SB_TLS_REC_HDR))
		goto fail;
	if (n > 0) {
		if (!EVP_EncryptUpdate(ctx, o, &l, p, (int)n))
			goto fail;
		o += l;
	}
	if (!EVP_EncryptUpdate(ctx, o, &l, &type, 1))
		goto fail;
	o += l;
	if (!EVP_EncryptFinal_ex(ctx, o, &l))
		goto fail;
	o += l;
	if ((size_t)(o - out) != SB_TLS_REC_HDR + n + 1 ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SB_TLS_TAG, o))
		goto fail;
	c->tx.seq++;
	w->ctr[SB_TLS_CTR_rec_out]++;
	return (long)(SB_TLS_REC_HDR + rlen);
fail:
	w->ctr[SB_TLS_CTR_rec_crypto_err]++;
	return -EIO;
}

static long seal_alert(struct sb_tls_worker *w, struct sb_tls_conn *c, uint8_t level,
		       uint8_t desc, uint8_t *out)
{
	const uint8_t a[2] = {level, desc};
	long n = seal_one(w, c, CT_ALERT, a, sizeof(a), out);

	c->flags |= SB_TLS_F_TX_CLOSED;
	if (n > 0)
		w->ctr[SB_TLS_CTR_rec_alert_out]++;
	return n;
}

/* KeyUpdate under the current send key, then the key rotates (§4.6.3). */
static long seal_key_update(struct sb_tls_worker *w, struct sb_tls_conn *c, bool request,
			    uint8_t *out)
{
	const uint8_t m[5] = {HS_KEY_UPDATE, 0, 0, 1, request ? 1 : 0};
	long n = seal_one(w, c, CT_HANDSHAKE, m, sizeof(m), out);

	if (n < 0 || tls_dir_update(w, c->suite, &c->tx) < 0)
		return -EIO;
	c->flags &= (uint8_t)~(SB_TLS_F_KU_OWED | SB_TLS_F_KU_WANTED | SB_TLS_F_KU_REQUEST);
	w->ctr[SB_TLS_CTR_rec_ku_out]++;
	return n;
}

/* A fatal error on our side: the connection is done. */
static long seal_failed(struct sb_tls_conn *c)
{
	c->flags |= SB_TLS_F_TX_CLOSED | SB_TLS_F_RX_CLOSED;
	return -EIO;
}

long sb_tls_rec_seal(struct sb_tls_worker *w, struct sb_tls_conn *c, const uint8_t *data,
		     size_t len, size_t *ret_used, uint8_t *out, size_t cap)
{
	size_t off = 0, used = 0;
	long n;

	*ret_used = 0;
	if (c->flags & SB_TLS_F_TX_CLOSED)
		return -EPIPE;
	if (c->flags & SB_TLS_F_ALERT_OWED) {
		if (cap < SB_TLS_REC_OVERHEAD + 2)
			return 0;
		c->flags &= (uint8_t)~SB_TLS_F_ALERT_OWED;
		n = seal_alert(w, c, 2, c->alert, out);
		return n < 0 ? seal_failed(c) : n;
	}
	for (;;) {
		bool limit = c->tx.seq >= w->rekey_records;
		bool ku = (c->flags & (SB_TLS_F_KU_OWED | SB_TLS_F_KU_WANTED)) || limit;
		size_t chunk = len - used;

		if (ku) {
			if (cap - off < SB_TLS_REC_OVERHEAD + 5)
				break;
			/* An answer to the peer's request must not request (§4.6.3). */
			n = seal_key_update(w, c, (c->flags & SB_TLS_F_KU_REQUEST) &&
						  !(c->flags & SB_TLS_F_KU_OWED), out + off);
			if (n < 0)
				return seal_failed(c);
			off += (size_t)n;
			if (limit)
				w->ctr[SB_TLS_CTR_rec_ku_limit]++;
		}
		if (chunk == 0 || cap - off <= SB_TLS_REC_OVERHEAD)
			break;
		if (chunk > c->tx_frag_max)
			chunk = c->tx_frag_max;
		if (chunk > cap - off - SB_TLS_REC_OVERHEAD)
			chunk = cap - off - SB_TLS_REC_OVERHEAD;
		n = seal_one(w, c, CT_APPDATA, data + used, chunk, out + off);
		if (n < 0)
			return seal_failed(c);
		off += (size_t)n;
		used += chunk;
		w->ctr[SB_TLS_CTR_rec_out_bytes] += chunk;
	}
	*ret_used = used;
	if ((c->flags & SB_TLS_F_CLOSE_OWED) && used == len &&
	    !(c->flags & (SB_TLS_F_KU_OWED | SB_TLS_F_KU_WANTED)) &&
	    cap - off >= SB_TLS_REC_OVERHEAD + 2) {
		c->flags &= (uint8_t)~SB_TLS_F_CLOSE_OWED;
		n = seal_alert(w, c, 1, 0, out + off);
		if (n < 0)
			return seal_failed(c);
		off += (size_t)n;
	}
	return (long)off;
}

void sb_tls_conn_close(struct sb_tls_conn *c)
{
	if (!(c->flags & SB_TLS_F_TX_CLOSED))
		c->flags |= SB_TLS_F_CLOSE_OWED;
}

void sb_tls_conn_key_update(struct sb_tls_conn *c, bool request)
{
	c->flags |= SB_TLS_F_KU_WANTED;
	if (request)
		c->flags |= SB_TLS_F_KU_REQUEST;
}
