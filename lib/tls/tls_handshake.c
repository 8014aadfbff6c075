/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One connection while libssl owns it: the handshake over two memory BIOs,
 * then either the hand-off of a TLS 1.3 session to the record layer
 * (struct sb_tls_conn) or, for TLS 1.2, the SSL object kept for good.
 *
 * The hand-off needs the sequence numbers OpenSSL keeps private. They are
 * counted: the msg callback reports each record header read or written, and
 * the count restarts when the keylog callback delivers the matching traffic
 * secret (OpenSSL installs a key right after logging its secret). With
 * read_ahead off libssl reads one record at a time, so client data sent
 * right behind its Finished stays unread in the read BIO; the tickets are
 * written before SSL_do_handshake() returns 1 (num_tickets is 1), so they are
 * the only records under the new send key.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include "tls_priv.h"

static void tls_msg_cb(int write_p, int version, int content_type, const void *buf,
		       size_t len, SSL *ssl, void *arg)
{
	struct sb_tls_ssl *s = arg;

	(void)version, (void)ssl;
	/* A ClientHello after a finished TLS 1.2 handshake is a renegotiation
	 * attempt; SSL_OP_NO_RENEGOTIATION refuses it, this counts it. */
	if (content_type == SSL3_RT_HANDSHAKE && !write_p && s->done && len > 0 &&
	    ((const uint8_t *)buf)[0] == SSL3_MT_CLIENT_HELLO)
		s->w->ctr[SB_TLS_CTR_hs_reneg_refused]++;
	if (content_type != SSL3_RT_HEADER)
		return;
	if (write_p)
		s->cap.tx_records++;
	else
		s->cap.rx_records++;
}

struct sb_tls_ssl *tls_ssl_alloc(struct sb_tls_worker *w, SSL_CTX *ctx)
{
	struct sb_tls_ssl *s = OPENSSL_zalloc(sizeof(*s));

	if (s == NULL)
		goto nomem;
	s->w = w;
	s->ssl = SSL_new(ctx);
	s->rbio = BIO_new(BIO_s_mem());
	s->wbio = BIO_new(BIO_s_mem());
	if (s->ssl == NULL || s->rbio == NULL || s->wbio == NULL) {
		BIO_free(s->rbio);
		BIO_free(s->wbio);
		SSL_free(s->ssl);
		OPENSSL_free(s);
		goto nomem;
	}
	SSL_set_bio(s->ssl, s->rbio, s->wbio);
	SSL_set_app_data(s->ssl, s);
	SSL_set_msg_callback(s->ssl, tls_msg_cb);
	SSL_set_msg_callback_arg(s->ssl, s);
	return s;
nomem:
	ERR_clear_error();
	w->ctr[SB_TLS_CTR_hs_nomem]++;
	return NULL;
}

struct sb_tls_ssl *sb_tls_ssl_new(struct sb_tls_worker *w, struct sb_tls_server *srv)
{
	struct sb_tls_ssl *s;

	if (w->hs_live >= w->hs_max) {
		w->ctr[SB_TLS_CTR_hs_refused_cap]++;
		return NULL;
	}
	if (srv->n_domains == 0) {
		w->ctr[SB_TLS_CTR_hs_nomem]++;
		return NULL;
	}
	s = tls_ssl_alloc(w, srv->dom[0].ctx);
	if (s == NULL)
		return NULL;
	SSL_set_accept_state(s->ssl);
	__atomic_add_fetch(&srv->refs, 1, __ATOMIC_RELAXED);
	s->srv = srv;
	s->counted_live = true;
	w->hs_live++;
	w->ctr[SB_TLS_CTR_hs_started]++;
	return s;
}

static void tls_release_live(struct sb_tls_worker *w, struct sb_tls_ssl *s)
{
	if (s->counted_live) {
		s->counted_live = false;
		w->hs_live--;
	}
}

void sb_tls_ssl_free(struct sb_tls_worker *w, struct sb_tls_ssl *s)
{
	if (s == NULL)
		return;
	tls_release_live(w, s);
	if (s->ssl != NULL) {
		/* Without both flags SSL_free() marks the session not resumable
		 * (ssl_clear_bad_session); a closed connection's session is fine. */
		SSL_set_shutdown(s->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		SSL_free(s->ssl);
	}
	sb_tls_server_put(s->srv);
	OPENSSL_clear_free(s, sizeof(*s));
}

size_t sb_tls_ssl_input(struct sb_tls_worker *w, struct sb_tls_ssl *s, const uint8_t *in,
			size_t len)
{
	size_t unread, room;
	int n;

	if (s->ssl == NULL || len == 0)
		return 0;
	unread = BIO_ctrl_pending(s->rbio);
	room = unread < SB_TLS_HS_IN_MAX ? SB_TLS_HS_IN_MAX - unread : 0;
	if (len > room) {
		w->ctr[SB_TLS_CTR_hs_input_cap]++;
		len = room;
	}
	if (len == 0)
		return 0;
	n = BIO_write(s->rbio, in, (int)len);
	return n > 0 ? (size_t)n : 0;
}

enum sb_tls_hs_result sb_tls_ssl_handshake(struct sb_tls_worker *w, struct sb_tls_ssl *s)
{
	int rc;

	if (s->failed || s->ssl == NULL)
		return SB_TLS_HS_FAILED;
	if (s->done)
		return SB_TLS_HS_DONE;
	rc = SSL_do_handshake(s->ssl);
	if (rc == 1) {
		s->done = true;
		tls_release_live(w, s);
		w->ctr[SSL_version(s->ssl) == TLS1_3_VERSION ? SB_TLS_CTR_hs_done_13
							     : SB_TLS_CTR_hs_done_12]++;
		if (SSL_session_reused(s->ssl))
			w->ctr[SB_TLS_CTR_hs_resumed]++;
		return SB_TLS_HS_DONE;
	}
	switch (SSL_get_error(s->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return SB_TLS_HS_AGAIN;
	default:
		/* The alert libssl wrote, if any, is in the write BIO. */
		ERR_clear_error();
		s->failed = true;
		tls_release_live(w, s);
		w->ctr[SB_TLS_CTR_hs_failed]++;
		return SB_TLS_HS_FAILED;
	}
}

size_t sb_tls_ssl_pending(const struct sb_tls_ssl *s)
{
	return s->ssl != NULL ? BIO_ctrl_pending(s->wbio) : 0;
}

size_t sb_tls_ssl_output(struct sb_tls_ssl *s, uint8_t *out, size_t cap)
{
	int n;

	if (s->ssl == NULL || cap == 0 || BIO_ctrl_pending(s->wbio) == 0)
		return 0;
	n = BIO_read(s->wbio, out, cap > INT32_MAX ? INT32_MAX : (int)cap);
	return n > 0 ? (size_t)n : 0;
}

bool sb_tls_ssl_is_tls13(const struct sb_tls_ssl *s)
{
	return s->ssl != NULL && SSL_version(s->ssl) == TLS1_3_VERSION;
}

bool sb_tls_ssl_resumed(const struct sb_tls_ssl *s)
{
	return s->ssl != NULL && SSL_session_reused(s->ssl);
}

const char *sb_tls_ssl_alpn(const struct sb_tls_ssl *s)
{
	static const char none[] = "";
	const unsigned char *p;
	unsigned len;

	if (s->ssl == NULL)
		return none;
	SSL_get0_alpn_selected(s->ssl, &p, &len);
	/* The one protocol we ever select; its bytes are not NUL-terminated. */
	return len == 11 && memcmp(p, "xmpp-client", 11) == 0 ? "xmpp-client" : none;
}

const char *sb_tls_ssl_sni(const struct sb_tls_ssl *s)
{
	const char *n = s->ssl ? SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name) : NULL;

	return n != NULL ? n : "";
}

int sb_tls_ssl_exporter(struct sb_tls_ssl *s, uint8_t out[SB_TLS_EXPORTER_LEN])
{
	static const char label[] = "EXPORTER-Channel-Binding";

	if (s->ssl == NULL || !s->done)
		return -ENOTCONN;
	if (SSL_export_keying_material(s->ssl, out, SB_TLS_EXPORTER_LEN, label,
				       sizeof(label) - 1, NULL, 0, 0) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}
