/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TLS for sb-loadgen's XMPP client (loadgen.xmpp_tls = starttls | direct):
 * lib/tls's client role over the loadgen's own TCP connections. libssl runs
 * each handshake (at most loadgen.xmpp_logins_max at once); the moment it
 * is done the session is handed off to lib/tls's record layer, so a held
 * session costs the loadgen 256 bytes of TLS state, and a million of them
 * fit beside the gateway on one box (the gateway does the same on its side).
 *
 * Per connection while TLS is on: a pointer to the handshake in progress,
 * a struct sb_tls_conn, and a ciphertext tail of ct_cap bytes (a record
 * from the gateway is one stanza or a login element, so it fits; a longer
 * one fails the connection, counted tls_rec_fail). Plaintext goes to the
 * same tokenizer path as without TLS (lg_xmpp.c's lg_xfeed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>

#include "lg_xmpp_priv.h"
#include "loadgen.h"
#include "tls.h"

#define LG_XTLS_CHUNK 1400u   /* handshake bytes per segment sent */

int lg_xtls_create(struct sb_lg_xmpp *xm, const char *mode, const char *ca, uint32_t n)
{
	struct lg_xtls *t = &xm->tls;
	struct sb_tls_worker_opts wo = { .hs_max = xm->logins_max };
	struct sb_tls_client_opts co = { .sni = xm->domain };
	struct sb_tls_error err;

	if (strcmp(mode, "off") == 0)
		return 0;
	if (strcmp(mode, "starttls") == 0)
		t->mode = LG_XTLS_STARTTLS;
	else if (strcmp(mode, "direct") == 0)
		t->mode = LG_XTLS_DIRECT;
	else
		return -EINVAL;
	co.ca_file = ca[0] != '\0' ? ca : NULL;
	co.alpn_xmpp = t->mode == LG_XTLS_DIRECT;
	t->w = calloc(1, sizeof(*t->w));
	if (t->w == NULL || sb_tls_worker_init(t->w, &wo) < 0)
		return -ENOMEM;
	t->cl = sb_tls_client_new(&co, &err);
	if (t->cl == NULL)
		return -EINVAL;
	/* A record: header, the largest element the client keeps, type, tag,
	 * and room for padding the gateway does not send but a peer may. */
	t->ct_cap = xm->rx_cap + SB_TLS_REC_OVERHEAD + 256u;
	t->ssl = calloc(n, sizeof(*t->ssl));
	t->conn = calloc(n, sizeof(*t->conn));
	t->ct = calloc(n, t->ct_cap);
	t->ct_len = calloc(n, sizeof(*t->ct_len));
	t->plain = malloc(SB_TLS_CIPHER_MAX);
	if (t->ssl == NULL || t->conn == NULL || t->ct == NULL || t->ct_len == NULL ||
	    t->plain == NULL)
		return -ENOMEM;
	sb_lg_hist_reset(&t->hs_ns);
	return 0;
}

static uint8_t *lg_ct(const struct lg_xtls *t, uint32_t idx)
{
	return t->ct + (uint64_t)idx * t->ct_cap;
}

/* libssl's handshake output, in segments. */
static int lg_xtls_flush_hs(struct sb_lg *lg, uint32_t idx)
{
	struct lg_xtls *t = &lg->xmpp->tls;
	uint8_t buf[LG_XTLS_CHUNK];
	size_t n;

	while ((n = sb_tls_ssl_output(t->ssl[idx], buf, sizeof(buf))) > 0)
		if (lg_xsend_raw(lg, idx, buf, n) < 0)
			return -ENOBUFS;
	return 0;
}

static void lg_xtls_fail(struct sb_lg *lg, uint32_t idx, uint64_t *why)
{
	struct lg_xtls *t = &lg->xmpp->tls;

	sb_tls_ssl_free(t->w, t->ssl[idx]);
	t->ssl[idx] = NULL;
	lg_xfail(lg, idx, why);
}

void lg_xtls_start(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xtls *t = &xm->tls;
	struct lg_xconn *xc = &xm->xc[idx];

	t->ssl[idx] = sb_tls_ssl_new_client(t->w, t->cl);
	xc->tls = LG_XC_TLS_HS;
	xc->st = LG_X_TLS_HS;
	t->ct_len[idx] = 0;
	if (t->ssl[idx] == NULL) {
		lg_xtls_fail(lg, idx, &t->hs_fail);
		return;
	}
	if (sb_tls_ssl_handshake(t->w, t->ssl[idx]) == SB_TLS_HS_FAILED ||
	    lg_xtls_flush_hs(lg, idx) < 0)
		lg_xtls_fail(lg, idx, &t->hs_fail);
}

/* Open the whole records of the tail; plaintext to the tokenizer. */
static void lg_xtls_open(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xtls *t = &xm->tls;
	struct sb_tls_conn *c = &t->conn[idx];
	uint8_t *ct = lg_ct(t, idx);
	size_t off = 0;

	while (off < t->ct_len[idx] && xm->xc[idx].tls == LG_XC_TLS_ON) {
		size_t used = 0, pl = 0;
		enum sb_tls_rec_result r = sb_tls_rec_open(t->w, c, ct + off, t->ct_len[idx] - off,
							   &used, t->plain, SB_TLS_CIPHER_MAX, &pl);

		if (r == SB_TLS_REC_NEED_MORE)
			break;
		off += used;
		if (r == SB_TLS_REC_FATAL || r == SB_TLS_REC_CLOSED) {
			lg_xtls_fail(lg, idx, &t->rec_fail);
			return;
		}
		if (sb_tls_conn_owed(c) && lg_xtls_send(lg, idx, NULL, 0) < 0)
			return;
		if (r == SB_TLS_REC_DATA && pl > 0 && !lg_xfeed(lg, idx, t->plain, pl))
			break; /* the stream restarted or failed: the rest is void */
	}
	if (xm->xc[idx].tls != LG_XC_TLS_ON) {
		t->ct_len[idx] = 0;
		return;
	}
	memmove(ct, ct + off, t->ct_len[idx] - off);
	t->ct_len[idx] = (uint16_t)(t->ct_len[idx] - off);
}

/* The handshake is done: hand the session off to the record layer. */
static void lg_xtls_done(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xtls *t = &xm->tls;
	size_t rest = 0;
	int rc;

	if (lg_xtls_flush_hs(lg, idx) < 0) {
		lg_xtls_fail(lg, idx, &t->hs_fail);
		return;
	}
	rc = sb_tls_ssl_handoff(t->w, t->ssl[idx], &t->conn[idx], lg_ct(t, idx), t->ct_cap, &rest);
	sb_tls_ssl_free(t->w, t->ssl[idx]);
	t->ssl[idx] = NULL;
	if (rc < 0) {
		lg_xtls_fail(lg, idx, &t->hs_fail);
		return;
	}
	t->ct_len[idx] = (uint16_t)rest;
	t->hs_ok++;
	sb_lg_hist_add(&t->hs_ns, lg_ns_since(lg, xm->xc[idx].login_tsc));
	xm->xc[idx].tls = LG_XC_TLS_ON;
	lg_xtls_ready(lg, idx); /* a new stream header, under TLS */
	if (xm->xc[idx].tls == LG_XC_TLS_ON && t->ct_len[idx] > 0)
		lg_xtls_open(lg, idx);
}

void lg_xtls_input(struct sb_lg *lg, uint32_t idx, const uint8_t *p, size_t n)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xtls *t = &xm->tls;
	struct lg_xconn *xc = &xm->xc[idx];

	while (n > 0 && xc->tls == LG_XC_TLS_HS) {
		size_t k = sb_tls_ssl_input(t->w, t->ssl[idx], p, n);
		enum sb_tls_hs_result r = sb_tls_ssl_handshake(t->w, t->ssl[idx]);

		p += k;
		n -= k;
		if (r == SB_TLS_HS_FAILED) {
			lg_xtls_flush_hs(lg, idx); /* the alert, if any */
			lg_xtls_fail(lg, idx, &t->hs_fail);
			return;
		}
		if (r == SB_TLS_HS_DONE) {
			lg_xtls_done(lg, idx);
		} else if (lg_xtls_flush_hs(lg, idx) < 0) {
			lg_xtls_fail(lg, idx, &t->hs_fail);
			return;
		} else if (k == 0) {
			lg_xtls_fail(lg, idx, &t->hs_fail); /* more than a handshake may hold */
			return;
		}
	}
	if (n == 0 || xc->tls != LG_XC_TLS_ON)
		return;
	while (n > 0 && xc->tls == LG_XC_TLS_ON) {
		size_t k = RTE_MIN(n, (size_t)(t->ct_cap - t->ct_len[idx]));

		if (k == 0) {
			lg_xtls_fail(lg, idx, &t->rec_fail); /* a record longer than the tail */
			return;
		}
		memcpy(lg_ct(t, idx) + t->ct_len[idx], p, k);
		t->ct_len[idx] = (uint16_t)(t->ct_len[idx] + k);
		p += k;
		n -= k;
		lg_xtls_open(lg, idx);
	}
}

int lg_xtls_send(struct sb_lg *lg, uint32_t idx, const void *s, size_t len)
{
	struct lg_xtls *t = &lg->xmpp->tls;
	/* Our elements are short; room for them and what may be owed first
	 * (a KeyUpdate answer). */
	uint8_t out[LG_X_TLS_OUT_BYTES];
	size_t used = 0;
	long n = sb_tls_rec_seal(t->w, &t->conn[idx], s, len, &used, out, sizeof(out));

	if (n < 0 || used != len) {
		lg_xtls_fail(lg, idx, &t->rec_fail);
		return -EPIPE;
	}
	/* Sealed is numbered: a record that cannot leave breaks the stream. */
	if (n > 0 && lg_xsend_raw(lg, idx, out, (size_t)n) < 0) {
		lg_xtls_fail(lg, idx, &t->rec_fail);
		return -ENOBUFS;
	}
	return 0;
}

void lg_xtls_closed(struct sb_lg *lg, uint32_t idx)
{
	struct lg_xtls *t = &lg->xmpp->tls;

	if (t->mode == LG_XTLS_OFF)
		return;
	sb_tls_ssl_free(t->w, t->ssl[idx]);
	t->ssl[idx] = NULL;
	sb_tls_conn_wipe(&t->conn[idx]);
	t->ct_len[idx] = 0;
}

void lg_xtls_time(struct lg_xtls *t)
{
	if (t->w != NULL)
		sb_tls_worker_set_time(t->w, (uint64_t)time(NULL));
}

void lg_xtls_report(const struct sb_lg_xmpp *xm)
{
	const struct lg_xtls *t = &xm->tls;
	static const char *const names[] = { "off", "starttls", "direct" };

	printf(" tls=%s", names[t->mode]);
	if (t->mode == LG_XTLS_OFF)
		return;
	printf(" tls_hs_ok=%" PRIu64 " tls_hs_fail=%" PRIu64 " tls_rec_fail=%" PRIu64
	       " tls_hs_ms_p50=%.2f tls_hs_ms_p99=%.2f tls_nst_skipped=%" PRIu64,
	       t->hs_ok, t->hs_fail, t->rec_fail, (double)sb_lg_hist_quantile(&t->hs_ns, 0.5) / 1e6,
	       (double)sb_lg_hist_quantile(&t->hs_ns, 0.99) / 1e6,
	       t->w->ctr[SB_TLS_CTR_rec_nst_skipped]);
}
