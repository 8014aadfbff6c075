/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The hand-off of a finished TLS 1.3 handshake from libssl to the record
 * layer, and the application data path of the connections that keep their
 * SSL object (TLS 1.2). After the hand-off a session costs struct
 * sb_tls_conn (256 bytes) instead of libssl's ~15 KB.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include "tls_priv.h"

static uint16_t tls_frag_max(SSL *ssl)
{
	uint8_t mfl = SSL_SESSION_get_max_fragment_length(SSL_get_session(ssl));

	/* RFC 6066 §4: codes 1..4 are 2^9..2^12 bytes of plaintext. */
	return mfl >= 1 && mfl <= 4 ? (uint16_t)(512u << (mfl - 1)) : SB_TLS_PLAIN_MAX;
}

static int tls_handoff_check(struct sb_tls_ssl *s, int *ret_suite)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
	int suite = c ? tls_suite_of((uint16_t)(SSL_CIPHER_get_id(c) & 0xffff)) : -1;

	if (suite < 0)
		return -EPROTO;
	if (s->cap.client_len != tls_suites[suite].hash_len ||
	    s->cap.server_len != tls_suites[suite].hash_len)
		return -EPROTO;
	/* Anything libssl has read but not processed would be lost with it
	 * (read_ahead is off, so this should never be so). */
	if (SSL_has_pending(s->ssl))
		return -EPROTO;
	*ret_suite = suite;
	return 0;
}

int sb_tls_ssl_handoff(struct sb_tls_worker *w, struct sb_tls_ssl *s, struct sb_tls_conn *conn,
		       uint8_t *rest, size_t rest_cap, size_t *ret_rest_len)
{
	size_t unread;
	int suite, rc;

	if (s->ssl == NULL || !s->done)
		return -ENOTCONN;
	if (SSL_version(s->ssl) != TLS1_3_VERSION)
		return -EPROTONOSUPPORT;
	/* The tickets must have left: they were written under the key we are
	 * about to take over, and a half-written record cannot be resumed. */
	if (BIO_ctrl_pending(s->wbio) > 0)
		return -EAGAIN;
	unread = BIO_ctrl_pending(s->rbio);
	if (unread > rest_cap)
		return -ENOSPC;
	if (tls_handoff_check(s, &suite) < 0) {
		w->ctr[SB_TLS_CTR_hs_handoff_failed]++;
		return -EPROTO;
	}
	memset(conn, 0, sizeof(*conn));
	conn->suite = (uint8_t)suite;
	conn->domain = s->srv != NULL ? (uint8_t)tls_domain_of(s->srv, s->ssl) : 0;
	if (s->client)
		conn->flags |= SB_TLS_F_CLIENT;
	conn->tx_frag_max = tls_frag_max(s->ssl);
	/* The exporter reads the exporter master secret inside the SSL object:
	 * compute it now or never (RFC 9266 §2). */
	rc = sb_tls_ssl_exporter(s, conn->exporter);
	/* A server reads under the client's secret; a client, the server's. */
	if (rc == 0)
		rc = tls_dir_set(w, (unsigned)suite, &conn->rx,
				 s->client ? s->cap.server_secret : s->cap.client_secret);
	if (rc == 0)
		rc = tls_dir_set(w, (unsigned)suite, &conn->tx,
				 s->client ? s->cap.client_secret : s->cap.server_secret);
	if (rc < 0) {
		sb_tls_conn_wipe(conn);
		w->ctr[SB_TLS_CTR_hs_handoff_failed]++;
		return rc;
	}
	conn->rx.seq = s->cap.rx_records;
	conn->tx.seq = s->cap.tx_records;
	*ret_rest_len = unread > 0 ? (size_t)BIO_read(s->rbio, rest, (int)unread) : 0;
	SSL_set_shutdown(s->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(s->ssl);
	s->ssl = NULL;
	s->rbio = s->wbio = NULL;
	OPENSSL_cleanse(&s->cap, sizeof(s->cap));
	w->ctr[SB_TLS_CTR_hs_handoff]++;
	return 0;
}

int sb_tls_ssl_read(struct sb_tls_worker *w, struct sb_tls_ssl *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int rc;

	if (s->ssl == NULL || !s->done)
		return -ENOTCONN;
	rc = SSL_read_ex(s->ssl, out, cap, &n);
	if (rc == 1)
		return (int)n;
	switch (SSL_get_error(s->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		/* Answer the close_notify; the caller sends the output. */
		SSL_shutdown(s->ssl);
		w->ctr[SB_TLS_CTR_rec_close_notify]++;
		return -ECONNRESET;
	default:
		ERR_clear_error();
		w->ctr[SB_TLS_CTR_rec_alert_fatal]++;
		return -EPROTO;
	}
}

int sb_tls_ssl_write(struct sb_tls_worker *w, struct sb_tls_ssl *s, const uint8_t *in, size_t len)
{
	size_t n = 0;

	if (s->ssl == NULL || !s->done)
		return -ENOTCONN;
	if (len > INT32_MAX)
		len = INT32_MAX;
	if (SSL_write_ex(s->ssl, in, len, &n) != 1) {
		ERR_clear_error();
		w->ctr[SB_TLS_CTR_rec_crypto_err]++;
		return -EPROTO;
	}
	return (int)n;
}
