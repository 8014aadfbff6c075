/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TLS 1.3 record layer after the hand-off (RFC 8446 §5, §4.6.3, §6):
 * opens records from a byte stream and seals application data, with the
 * worker's AEAD contexts re-keyed per record from struct sb_tls_conn.
 *
 * Receive rules: the outer type must be application_data (ChangeCipherSpec
 * and plaintext alerts are over once the handshake is); a length past
 * 2^14+256 is refused on the header alone, so no more than one record of
 * unverified ciphertext is ever held; plaintext is released only after its
 * tag verified (and wiped when it did not); the inner type is the last
 * non-zero byte. After the handshake the peer may send only application
 * data, alerts and KeyUpdate; everything else is unexpected_message.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tls_priv.h"

/* RFC 8446 §5.1 ContentType and §6 AlertDescription values we use. */
enum {
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPDATA = 23,
	HS_KEY_UPDATE = 24,
	HS_NEW_SESSION_TICKET = 4,
	AL_WARNING = 1,
	AL_FATAL = 2,
	AD_CLOSE_NOTIFY = 0,
	AD_UNEXPECTED_MESSAGE = 10,
	AD_BAD_RECORD_MAC = 20,
	AD_RECORD_OVERFLOW = 22,
	AD_ILLEGAL_PARAMETER = 47,
	AD_DECODE_ERROR = 50,
	AD_INTERNAL_ERROR = 80,
	AD_USER_CANCELED = 90,
};

#define KU_MSG_LEN 5u /* HandshakeType(1) length(3) KeyUpdateRequest(1) */

size_t sb_tls_rec_size(const uint8_t hdr[SB_TLS_REC_HDR])
{
	size_t len = (size_t)hdr[3] << 8 | hdr[4];

	return len > SB_TLS_CIPHER_MAX ? 0 : SB_TLS_REC_HDR + len;
}

/* RFC 8446 §5.3: the 64-bit sequence number, big endian, left-padded to the
 * IV length and XORed into the IV. */
static void rec_nonce(const struct sb_tls_dir *d, uint8_t n[12])
{
	memcpy(n, d->iv, 12);
	for (unsigned i = 0; i < 8; i++)
		n[4 + i] ^= (uint8_t)(d->seq >> (56 - 8 * i));
}

static enum sb_tls_rec_result rec_fatal(struct sb_tls_worker *w, struct sb_tls_conn *c,
					uint8_t alert, enum sb_tls_ctr why)
{
	w->ctr[why]++;
	c->alert = alert;
	c->flags |= SB_TLS_F_ALERT_OWED | SB_TLS_F_RX_CLOSED;
	return SB_TLS_REC_FATAL;
}

/* Decrypt and verify in[5..5+rlen) into out. false when the tag does not
 * verify; out is then wiped. */
static bool rec_decrypt(struct sb_tls_worker *w, struct sb_tls_conn *c, const uint8_t *in,
			size_t rlen, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = w->dec[c->suite];
	size_t ctlen = rlen - SB_TLS_TAG;
	uint8_t nonce[12];
	int n = 0, m = 0;

	rec_nonce(&c->rx, nonce);
	/* The whole header as received is the additional data (§5.2). */
	if (!tls_ctx_key(ctx, w->dec_key[c->suite], c->rx.key, tls_suites[c->suite].key_len, nonce,
			 0) ||
	    !EVP_DecryptUpdate(ctx, NULL, &n, in, SB_TLS_REC_HDR) ||
	    !EVP_DecryptUpdate(ctx, out, &n, in + SB_TLS_REC_HDR, (int)ctlen) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SB_TLS_TAG,
				 (void *)(in + SB_TLS_REC_HDR + ctlen)) ||
	    EVP_DecryptFinal_ex(ctx, out + n, &m) <= 0) {
		OPENSSL_cleanse(out, ctlen);
		return false;
	}
	return true;
}

/* A post-handshake handshake message, possibly in pieces across records.
 * Only KeyUpdate (§4.6.3) is legal from a client, and it must end its
 * record, since the next record is under the new key (§5.1). */
static enum sb_tls_rec_result rec_handshake(struct sb_tls_worker *w, struct sb_tls_conn *c,
					    const uint8_t *p, size_t plen)
{
	uint8_t msg[KU_MSG_LEN];
	size_t have = c->hs_len;

	if (plen == 0)
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_empty_hs);
	/* A client's end: the server's NewSessionTickets (§4.6.1), whole in
	 * their record, are skipped (this end keeps no session). */
	while ((c->flags & SB_TLS_F_CLIENT) && have == 0 && plen >= 4 &&
	       p[0] == HS_NEW_SESSION_TICKET) {
		size_t l = 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);

		if (l > plen)
			return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_hs_decode);
		w->ctr[SB_TLS_CTR_rec_nst_skipped]++;
		p += l;
		plen -= l;
		if (plen == 0)
			return SB_TLS_REC_CONTROL;
	}
	memcpy(msg, c->hs_frag, have);
	if (have + plen > KU_MSG_LEN) {
		if (have == 0 && p[0] != HS_KEY_UPDATE)
			return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_hs_bad);
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_hs_decode);
	}
	memcpy(msg + have, p, plen);
	have += plen;
	if (msg[0] != HS_KEY_UPDATE)
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_hs_bad);
	/* uint24 length: exactly 1 */
	if ((have > 1 && msg[1] != 0) || (have > 2 && msg[2] != 0) || (have > 3 && msg[3] != 1))
		return rec_fatal(w, c, AD_DECODE_ERROR, SB_TLS_CTR_rec_hs_decode);
	if (have < KU_MSG_LEN) {
		memcpy(c->hs_frag, msg, have);
		c->hs_len = (uint8_t)have;
		return SB_TLS_REC_CONTROL;
	}
	c->hs_len = 0;
	if (msg[4] > 1)
		return rec_fatal(w, c, AD_ILLEGAL_PARAMETER, SB_TLS_CTR_rec_ku_bad_value);
	/* Each one costs us a key derivation and, if requested, a record:
	 * a peer that sends nothing else is cut off. */
	if (++c->ku_in_row > SB_TLS_KU_IN_MAX)
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_ku_flood);
	if (tls_dir_update(w, c->suite, &c->rx) < 0)
		return rec_fatal(w, c, AD_INTERNAL_ERROR, SB_TLS_CTR_rec_crypto_err);
	w->ctr[SB_TLS_CTR_rec_ku_in]++;
	if (msg[4] == 1) {
		/* Several requests while we were silent get one answer (§4.6.3). */
		c->flags |= SB_TLS_F_KU_OWED;
		w->ctr[SB_TLS_CTR_rec_ku_requested]++;
	}
	return SB_TLS_REC_CONTROL;
}

/* An alert record (§6): exactly one 2-byte alert. close_notify closes our
 * receive side and owes an answer; user_canceled is a warning; everything
 * else is an error whatever its level, and gets no answer. */
static enum sb_tls_rec_result rec_alert(struct sb_tls_worker *w, struct sb_tls_conn *c,
					const uint8_t *p, size_t plen)
{
	if (plen != 2)
		return rec_fatal(w, c, plen == 0 ? AD_UNEXPECTED_MESSAGE : AD_DECODE_ERROR,
				 plen == 0 ? SB_TLS_CTR_rec_empty_hs : SB_TLS_CTR_rec_alert_len);
	if (p[1] == AD_CLOSE_NOTIFY) {
		w->ctr[SB_TLS_CTR_rec_close_notify]++;
		c->flags |= SB_TLS_F_RX_CLOSED;
		if (!(c->flags & SB_TLS_F_TX_CLOSED))
			c->flags |= SB_TLS_F_CLOSE_OWED;
		return SB_TLS_REC_CLOSED;
	}
	if (p[1] == AD_USER_CANCELED) {
		w->ctr[SB_TLS_CTR_rec_user_canceled]++;
		return SB_TLS_REC_CONTROL;
	}
	w->ctr[SB_TLS_CTR_rec_alert_fatal]++;
	c->flags |= SB_TLS_F_RX_CLOSED | SB_TLS_F_TX_CLOSED;
	return SB_TLS_REC_FATAL;
}

/* What a verified TLSInnerPlaintext of ptlen bytes in out carries (§5.4). */
static enum sb_tls_rec_result rec_inner(struct sb_tls_worker *w, struct sb_tls_conn *c,
					uint8_t *out, size_t ptlen, size_t *ret_out_len)
{
	size_t i = ptlen;
	uint8_t type;

	if (ptlen > SB_TLS_PLAIN_MAX + 1)
		return rec_fatal(w, c, AD_RECORD_OVERFLOW, SB_TLS_CTR_rec_overflow);
	while (i > 0 && out[i - 1] == 0)
		i--;
	if (i == 0)
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_no_type);
	type = out[--i];
	/* Handshake messages may not be interleaved with other types (§5.1). */
	if (c->hs_len > 0 && type != CT_HANDSHAKE)
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_hs_decode);
	switch (type) {
	case CT_APPDATA:
		c->ku_in_row = 0;
		*ret_out_len = i;
		w->ctr[SB_TLS_CTR_rec_in_bytes] += i;
		return SB_TLS_REC_DATA;
	case CT_HANDSHAKE:
		return rec_handshake(w, c, out, i);
	case CT_ALERT:
		return rec_alert(w, c, out, i);
	default:
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_inner_bad);
	}
}

enum sb_tls_rec_result sb_tls_rec_open(struct sb_tls_worker *w, struct sb_tls_conn *c,
				       const uint8_t *in, size_t len, size_t *ret_used,
				       uint8_t *out, size_t out_cap, size_t *ret_out_len)
{
	size_t rlen;

	*ret_used = 0;
	*ret_out_len = 0;
	if (c->flags & SB_TLS_F_RX_CLOSED) {
		w->ctr[SB_TLS_CTR_rec_after_close]++;
		return SB_TLS_REC_FATAL;
	}
	if (len < SB_TLS_REC_HDR)
		return SB_TLS_REC_NEED_MORE;
	if (in[0] != CT_APPDATA)
		return rec_fatal(w, c, AD_UNEXPECTED_MESSAGE, SB_TLS_CTR_rec_bad_type);
	rlen = (size_t)in[3] << 8 | in[4];
	if (rlen > SB_TLS_CIPHER_MAX)
		return rec_fatal(w, c, AD_RECORD_OVERFLOW, SB_TLS_CTR_rec_overflow);
	if (len < SB_TLS_REC_HDR + rlen)
		return SB_TLS_REC_NEED_MORE;
	*ret_used = SB_TLS_REC_HDR + rlen;
	if (rlen < SB_TLS_TAG + 1)
		return rec_fatal(w, c, AD_BAD_RECORD_MAC, SB_TLS_CTR_rec_bad_mac);
	if (out_cap < rlen - SB_TLS_TAG)
		return rec_fatal(w, c, AD_INTERNAL_ERROR, SB_TLS_CTR_rec_crypto_err);
	/* §5.3: the sequence number must not wrap; KeyUpdate resets it long
	 * before, so only a peer that never updates gets here. */
	if (c->rx.seq == UINT64_MAX)
		return rec_fatal(w, c, AD_INTERNAL_ERROR, SB_TLS_CTR_rec_seq_wrap);
	if (!rec_decrypt(w, c, in, rlen, out))
		return rec_fatal(w, c, AD_BAD_RECORD_MAC, SB_TLS_CTR_rec_bad_mac);
	c->rx.seq++;
	w->ctr[SB_TLS_CTR_rec_in]++;
	/* §5.5 binds the peer's key too: ask it to move on when it has not
	 * by itself (once per key: the count passes the limit once). */
	if (c->rx.seq == w->rekey_records) {
		sb_tls_conn_key_update(c, true);
		w->ctr[SB_TLS_CTR_rec_ku_asked]++;
	}
	return rec_inner(w, c, out, rlen - SB_TLS_TAG, ret_out_len);
}
