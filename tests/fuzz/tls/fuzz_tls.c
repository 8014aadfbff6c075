/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target for lib/tls's record parser (sb_tls_rec_open) and the send
 * side it drives (owed KeyUpdate answers, alerts, close_notify). A session
 * is set up without a handshake, from fixed traffic secrets, in the suite
 * chosen by the first input byte (low 2 bits). Bit 2 of that byte picks the
 * mode:
 *  - raw (bit 2 set): the rest is the byte stream from the peer, fed to
 *    sb_tls_rec_open in chunks whose sizes come from bits 3..7 (so record
 *    boundaries fall anywhere); exercises framing and the tag check.
 *  - sealed (bit 2 clear): the rest is a list of inner plaintexts, each
 *    [len_hi len_lo][bytes], that the target seals itself under the peer's
 *    current key (following the peer's key updates, as a real peer would)
 *    before opening them; exercises inner type, padding, KeyUpdate,
 *    alerts and the post-handshake message rules past the tag.
 * After every record, owed control records are flushed with sb_tls_rec_seal
 * and the peer opens them with its own copy of our send direction.
 * Promises checked (abort on a broken one): NEED_MORE consumes nothing;
 * consumed bytes never exceed the input; data is only returned after a
 * verified tag and never longer than the inner plaintext; after CLOSED or
 * FATAL every further record is refused; after FATAL with an alert owed
 * the flush is exactly one 2-byte alert and nothing may be sent after it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "tls_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sb_tls_worker fz_w;
static int fz_ready;
static uint8_t fz_plain[SB_TLS_CIPHER_MAX];
static uint8_t fz_rec[SB_TLS_REC_IN_MAX + 64];
static uint8_t fz_out[4096];

static void fz_check(int ok)
{
	if (!ok)
		abort();
}

/* The peer's side of the session: it seals with our rx direction and opens
 * with our tx direction (a second conn with the two swapped). */
static void fz_session(unsigned suite, struct sb_tls_conn *c, struct sb_tls_conn *peer)
{
	uint8_t cs[48], ss[48];

	memset(cs, 0xc1, sizeof(cs));
	memset(ss, 0x5e, sizeof(ss));
	memset(c, 0, sizeof(*c));
	c->suite = (uint8_t)suite;
	c->tx_frag_max = SB_TLS_PLAIN_MAX;
	fz_check(tls_dir_set(&fz_w, suite, &c->rx, cs) == 0);
	fz_check(tls_dir_set(&fz_w, suite, &c->tx, ss) == 0);
	*peer = *c;
	peer->rx = c->tx;
	peer->tx = c->rx;
}

/* Seal one inner plaintext as the peer (tls_seal.c only seals data, so the
 * target builds the record itself with the worker's encrypt context). */
static size_t fz_seal_inner(struct sb_tls_conn *peer, const uint8_t *inner, size_t len)
{
	EVP_CIPHER_CTX *ctx = fz_w.enc[peer->suite];
	size_t rlen = len + SB_TLS_TAG;
	uint8_t nonce[12];
	int l = 0;

	fz_rec[0] = 23, fz_rec[1] = 3, fz_rec[2] = 3;
	fz_rec[3] = (uint8_t)(rlen >> 8), fz_rec[4] = (uint8_t)rlen;
	memcpy(nonce, peer->tx.iv, 12);
	for (unsigned i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(peer->tx.seq >> (56 - 8 * i));
	fz_check(EVP_EncryptInit_ex2(ctx, NULL, peer->tx.key, nonce, NULL) == 1);
	fz_check(EVP_EncryptUpdate(ctx, NULL, &l, fz_rec, 5) == 1);
	if (len > 0)
		fz_check(EVP_EncryptUpdate(ctx, fz_rec + 5, &l, inner, (int)len) == 1);
	fz_check(EVP_EncryptFinal_ex(ctx, fz_rec + 5 + len, &l) == 1);
	fz_check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, fz_rec + 5 + len) == 1);
	peer->tx.seq++;
	return 5 + rlen;
}

/* Flush what we owe and have the peer open it; returns 1 if our side is
 * closed afterwards. */
static int fz_flush(struct sb_tls_conn *c, struct sb_tls_conn *peer, int expect_alert)
{
	size_t used = 0, off = 0;
	long n = sb_tls_rec_seal(&fz_w, c, NULL, 0, &used, fz_out, sizeof(fz_out));

	if (n == -EPIPE)
		return 1;
	fz_check(n >= 0 && used == 0);
	while (off < (size_t)n) {
		size_t u, plen;
		enum sb_tls_rec_result r = sb_tls_rec_open(&fz_w, peer, fz_out + off,
							   (size_t)n - off, &u, fz_plain,
							   sizeof(fz_plain), &plen);

		if (expect_alert)
			fz_check(r == SB_TLS_REC_FATAL || r == SB_TLS_REC_CLOSED);
		/* the peer may itself give up (our KeyUpdates in a row) */
		if (r == SB_TLS_REC_FATAL || r == SB_TLS_REC_CLOSED)
			break;
		fz_check(u > 0);
		off += u;
	}
	return (c->flags & SB_TLS_F_TX_CLOSED) != 0;
}

/* Open one record (or report NEED_MORE) and check the promises. */
static enum sb_tls_rec_result fz_open(struct sb_tls_conn *c, const uint8_t *in, size_t len,
				      size_t *used, size_t inner_max)
{
	size_t plen = 0;
	int closed = (c->flags & SB_TLS_F_RX_CLOSED) != 0;
	enum sb_tls_rec_result r = sb_tls_rec_open(&fz_w, c, in, len, used, fz_plain,
						   sizeof(fz_plain), &plen);

	fz_check(*used <= len);
	if (closed)
		fz_check(r == SB_TLS_REC_FATAL);
	if (r == SB_TLS_REC_NEED_MORE)
		fz_check(*used == 0);
	if (r == SB_TLS_REC_DATA)
		fz_check(plen <= inner_max && plen <= SB_TLS_PLAIN_MAX);
	else
		fz_check(plen == 0);
	return r;
}

static void fz_raw(struct sb_tls_conn *c, struct sb_tls_conn *peer, uint8_t mode,
		   const uint8_t *p, size_t n)
{
	size_t chunk = (size_t)(mode >> 3) * 97 + 1, have = 0, off = 0;

	while (off < n) {
		size_t used;
		enum sb_tls_rec_result r;

		have = have + chunk > n - off ? n - off : have + chunk;
		r = fz_open(c, p + off, have, &used, SB_TLS_CIPHER_MAX);
		if (r == SB_TLS_REC_NEED_MORE) {
			if (have == n - off)
				break;
			continue;
		}
		if (fz_flush(c, peer, r == SB_TLS_REC_FATAL) || used == 0)
			break;
		off += used;
		have = 0;
	}
}

static void fz_sealed(struct sb_tls_conn *c, struct sb_tls_conn *peer, const uint8_t *p,
		      size_t n)
{
	size_t off = 0;

	while (off + 2 <= n) {
		size_t len = (size_t)p[off] << 8 | p[off + 1], used, rec;
		enum sb_tls_rec_result r;

		off += 2;
		if (len > n - off)
			len = n - off;
		if (len > SB_TLS_CIPHER_MAX - SB_TLS_TAG)
			len = SB_TLS_CIPHER_MAX - SB_TLS_TAG;
		rec = fz_seal_inner(peer, p + off, len);
		off += len;
		r = fz_open(c, fz_rec, rec, &used, len);
		fz_check(r != SB_TLS_REC_NEED_MORE && used == rec);
		/* A KeyUpdate we accepted: the peer moved to its next key too. */
		if (r == SB_TLS_REC_CONTROL && memcmp(c->rx.secret, peer->tx.secret, 48) != 0) {
			fz_check(tls_dir_update(&fz_w, peer->suite, &peer->tx) == 0);
			fz_check(memcmp(c->rx.key, peer->tx.key, 32) == 0);
		}
		if (fz_flush(c, peer, r == SB_TLS_REC_FATAL) || r == SB_TLS_REC_FATAL ||
		    r == SB_TLS_REC_CLOSED)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_tls_conn c, peer;

	if (!fz_ready) {
		fz_check(sb_tls_worker_init(&fz_w, NULL) == 0);
		fz_ready = 1;
	}
	if (size < 1)
		return 0;
	fz_session(data[0] % SB_TLS_SUITE_MAX, &c, &peer);
	if (data[0] & 4)
		fz_raw(&c, &peer, data[0], data + 1, size - 1);
	else
		fz_sealed(&c, &peer, data + 1, size - 1);
	return 0;
}
