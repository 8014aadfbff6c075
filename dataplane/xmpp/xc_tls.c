/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TLS on c2s connections (RFC 6120 §5, STARTTLS): the handshake in libssl
 * over memory BIOs, then, for TLS 1.3, lib/tls's own record layer on a
 * 256-byte state (TLS 1.2 keeps its SSL object). Received ciphertext waits
 * in its mbufs on the connection's TLS list; each whole record is opened
 * into plaintext appended to the input list the tokenizer reads, so the
 * rest of the glue does not know TLS is there. Output is sealed into
 * records on its way to the send queue. A plaintext session pays one
 * pointer: the TLS state comes from a per-worker pool at STARTTLS.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tcp/conn.h"
#include "worker.h"
#include "xc.h"

/* ------------------------------------------------------ ciphertext list */

static void tls_ct_append(struct sb_xc_tls *t, struct rte_mbuf *m)
{
	m->next = NULL;
	if (t->ct_tail != NULL)
		t->ct_tail->next = m;
	else
		t->ct_head = m;
	t->ct_tail = m;
}

/* Release n bytes from the front of the ciphertext list. */
static void tls_ct_consume(struct sb_xc_conn *x, size_t n)
{
	struct sb_xc_tls *t = x->tls;

	while (n > 0 && t->ct_head != NULL) {
		struct rte_mbuf *m = t->ct_head;

		if (n < m->data_len) {
			rte_pktmbuf_adj(m, (uint16_t)n);
			return;
		}
		n -= m->data_len;
		x->in_bytes -= m->buf_len;
		t->ct_head = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		rte_pktmbuf_free(m);
	}
	if (t->ct_head == NULL)
		t->ct_tail = NULL;
}

/* Ciphertext bytes held, up to cap (a walk of a few mbufs: one record). */
static size_t tls_ct_len(const struct sb_xc_tls *t, size_t cap)
{
	size_t n = 0;

	for (const struct rte_mbuf *m = t->ct_head; m != NULL && n < cap; m = m->next)
		n += m->data_len;
	return n;
}

/* Copy up to cap bytes from the front of the ciphertext list. */
static size_t tls_ct_gather(const struct sb_xc_tls *t, uint8_t *dst, size_t cap)
{
	size_t got = 0;

	for (const struct rte_mbuf *m = t->ct_head; m != NULL && got < cap; m = m->next) {
		size_t n = RTE_MIN((size_t)m->data_len, cap - got);

		memcpy(dst + got, rte_pktmbuf_mtod(m, const uint8_t *), n);
		got += n;
	}
	return got;
}

static void tls_ct_free(struct sb_xc_conn *x)
{
	struct rte_mbuf *m;

	while ((m = x->tls->ct_head) != NULL) {
		x->tls->ct_head = m->next;
		m->next = NULL;
		x->in_bytes -= m->buf_len;
		rte_pktmbuf_free(m);
	}
	x->tls->ct_tail = NULL;
}

/* Plaintext onto the input list: into the last mbuf's room, then new ones.
 * -ENOMEM when the pool is empty: a verified record cannot be opened twice
 * (its sequence number is spent), so the caller closes the connection. */
static int tls_plain_append(struct sb_xc_worker *xw, struct sb_xc_conn *x, const uint8_t *p,
			    size_t len)
{
	while (len > 0) {
		struct rte_mbuf *t = x->in_tail;
		size_t n;

		if (t == NULL || rte_pktmbuf_tailroom(t) == 0 || rte_mbuf_refcnt_read(t) != 1) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(xw->w->pkt_pool);

			if (m == NULL)
				return -ENOMEM;
			if (t != NULL)
				t->next = m;
			else
				x->in_head = m;
			x->in_tail = t = m;
			x->in_bytes += m->buf_len;
		}
		n = RTE_MIN(len, (size_t)rte_pktmbuf_tailroom(t));
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), p, n);
		t->data_len = (uint16_t)(t->data_len + n);
		t->pkt_len = t->data_len;
		p += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------ handshake */

/* libssl's output (handshake flight, alert, TLS 1.2 records) to TCP. */
static int tls_ssl_flush(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	size_t n;

	while ((n = sb_tls_ssl_output(x->tls->ssl, xw->tls_buf, SB_XC_TLS_BUF)) > 0)
		if (sb_conn_send_bytes(xw->w, x->conn, xw->tls_buf, (uint32_t)n) < 0)
			return -ENOBUFS;
	return 0;
}

/* Records owed without data (KeyUpdate answer, close_notify, alert). */
static void tls_rec_flush(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	size_t used;
	long n;

	if (!sb_tls_conn_owed(&x->tls->rec))
		return;
	n = sb_tls_rec_seal(&xw->tls, &x->tls->rec, NULL, 0, &used, xw->tls_buf, SB_XC_TLS_BUF);
	if (n > 0)
		(void)sb_conn_send_bytes(xw->w, x->conn, xw->tls_buf, (uint32_t)n);
}

/* TLS ended (failure, fatal record, close_notify): no more XMPP on x. */
static bool tls_dead(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	tls_ct_free(x);
	sb_xc_close_now(xw, x);
	return false;
}

struct sb_xc_tls *sb_xc_tls_take(struct sb_xc_worker *xw)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_tls *t;

	if (xw->tls_pool == NULL || rte_mempool_get(xw->tls_pool, (void **)&t) != 0) {
		SB_CTR_INC(w, xmpp_tls_refused_pool);
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->ssl = sb_tls_ssl_new(&xw->tls, xw->tls_srv);
	if (t->ssl == NULL) {
		/* The handshake cap (or ENOMEM): the client retries later. */
		rte_mempool_put(xw->tls_pool, t);
		SB_CTR_INC(w, xmpp_tls_refused_cap);
		return NULL;
	}
	t->state = SB_XC_TLS_HS;
	return t;
}

void sb_xc_tls_start(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_xc_tls *t)
{
	/* §5.4.2.3: whatever followed <starttls/> is TLS, never XML. */
	t->ct_head = x->in_head;
	t->ct_tail = x->in_tail;
	x->in_head = x->in_tail = NULL;
	x->tls = t;
	sb_xml_init(&x->xml);
	x->in_off = 0;
	SB_CTR_INC(xw->w, xmpp_tls_started);
}

/* As for plaintext (xc_app.c): a segment that fits the last mbuf's room is
 * copied there, so tiny segments do not pin an mbuf each. */
void sb_xc_tls_keep(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct rte_mbuf *m)
{
	struct rte_mbuf *t = x->tls->ct_tail;

	(void)xw;
	if (t != NULL && m->data_len <= rte_pktmbuf_tailroom(t) && rte_mbuf_refcnt_read(t) == 1) {
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len),
		       rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		t->data_len = (uint16_t)(t->data_len + m->data_len);
		t->pkt_len = t->data_len;
		rte_pktmbuf_free(m);
		return;
	}
	tls_ct_append(x->tls, m);
	x->in_bytes += m->buf_len;
}

/* The handshake is done and libssl's output sent: hand TLS 1.3 off to the
 * record layer (what the client sent behind its Finished goes back to the
 * front of the ciphertext list), keep the SSL for TLS 1.2. */
static bool tls_established(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_tls *t = x->tls;
	size_t rest = 0;
	int rc = !xw->tls_handoff ? -ECANCELED
				  : sb_tls_ssl_handoff(&xw->tls, t->ssl, &t->rec, xw->tls_buf,
						       SB_XC_TLS_BUF, &rest);

	if (rc == -EPROTONOSUPPORT || rc == -ECANCELED) {
		/* TLS 1.2, or tls.handoff off: libssl keeps the session. */
		t->state = SB_XC_TLS_SSL;
		if (rc == -ECANCELED)
			SB_CTR_INC(w, xmpp_tls_kept);
		else
			SB_CTR_INC(w, xmpp_tls_done_12);
	} else if (rc < 0) {
		SB_CTR_INC(w, xmpp_tls_handoff_failed);
		return tls_dead(xw, x);
	} else {
		struct rte_mbuf *old = t->ct_head, *old_tail = t->ct_tail;

		sb_tls_ssl_free(&xw->tls, t->ssl);
		t->ssl = NULL;
		t->state = SB_XC_TLS_REC;
		SB_CTR_INC(w, xmpp_tls_done_13);
		if (rest > 0) {
			/* Rebuild the list: rest first, then what libssl never took. */
			struct rte_mbuf *save_head = x->in_head, *save_tail = x->in_tail;
			int arc;

			x->in_head = x->in_tail = NULL;
			arc = tls_plain_append(xw, x, xw->tls_buf, rest);
			t->ct_head = x->in_head;
			t->ct_tail = x->in_tail;
			x->in_head = save_head;
			x->in_tail = save_tail;
			if (t->ct_tail != NULL) {
				t->ct_tail->next = old;
				if (old != NULL)
					t->ct_tail = old_tail;
			} else {
				t->ct_head = old;
				t->ct_tail = old_tail;
			}
			if (arc < 0) {
				SB_CTR_INC(w, xmpp_tls_no_mbuf);
				return tls_dead(xw, x);
			}
		}
	}
	sb_xc_act(xw, x, sb_c2s_tls_done(&x->c2s, &xw->env));
	return !(x->flags & SB_XC_F_CLOSING);
}

/* Whether x's handshake step waits for a later turn (tls.handshake_budget_us).
 * A full handshake costs the worker about 256 µs of CPU (docs/BENCHMARKS.md),
 * and a burst of ClientHellos in one poll would otherwise run back to back
 * inline, ahead of every established connection's data in the same turn.
 * So a step runs at once only while this turn's budget lasts and nobody is
 * waiting (first come, first served); else it joins the list, and the
 * end of each turn runs the list while that turn's budget lasts. The list
 * holds at most the handshakes in progress (tls.handshakes_per_worker). */
static bool tls_hs_wait(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;

	if (x->tls->hs_waiting)
		return true; /* its place in line is kept */
	if (x->tls->ct_head == NULL || xw->tls_hs_budget_tsc == 0 || xw->tls_hs_running == x ||
	    (xw->tls_hs_wait.n == 0 && xw->tls_hs_spent_tsc < xw->tls_hs_budget_tsc))
		return false;
	sb_xc_list_push(&xw->tls_hs_wait, (void *const *)xw->xtab, SB_XC_BOUND_LINK, x->idx);
	x->tls->hs_waiting = 1;
	SB_CTR_INC(w, xmpp_tls_hs_deferred);
	if (xw->tls_hs_wait.n > w->ctr[SB_DP_CTR_xmpp_tls_hs_wait_peak])
		w->ctr[SB_DP_CTR_xmpp_tls_hs_wait_peak] = xw->tls_hs_wait.n;
	return true;
}

static void tls_hs_unwait(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	sb_xc_list_del(&xw->tls_hs_wait, (void *const *)xw->xtab, SB_XC_BOUND_LINK, x->idx);
	x->tls->hs_waiting = 0;
}

unsigned sb_xc_tls_hs_turn(struct sb_xc_worker *xw)
{
	unsigned n = 0;

	while (xw->tls_hs_wait.n > 0 && xw->tls_hs_spent_tsc < xw->tls_hs_budget_tsc) {
		struct sb_xc_conn *x = xw->xtab[xw->tls_hs_wait.head];

		tls_hs_unwait(xw, x);
		xw->tls_hs_running = x;
		sb_xc_pump(xw, x); /* the step, then what it unblocked */
		xw->tls_hs_running = NULL;
		n++;
	}
	if (xw->tls_hs_wait.n > 0)
		SB_CTR_INC(xw->w, xmpp_tls_hs_budget_turns);
	xw->tls_hs_spent_tsc = 0;
	return n;
}

static bool tls_handshake(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_tls *t = x->tls;
	enum sb_tls_hs_result r;
	uint64_t t0;

	if (tls_hs_wait(xw, x))
		return true; /* the ciphertext waits on its list */
	t0 = rte_rdtsc();
	while (t->ct_head != NULL) {
		struct rte_mbuf *m = t->ct_head;
		size_t took = sb_tls_ssl_input(&xw->tls, t->ssl, rte_pktmbuf_mtod(m, const uint8_t *),
					       m->data_len);

		tls_ct_consume(x, took);
		if (took < m->data_len)
			break; /* 32 KiB unread already: the rest waits, the window closes */
	}
	r = sb_tls_ssl_handshake(&xw->tls, t->ssl);
	t0 = rte_rdtsc() - t0;
	xw->tls_hs_spent_tsc += t0;
	SB_CTR_ADD(w, xmpp_tls_hs_tsc, t0);
	if (tls_ssl_flush(xw, x) < 0 || r == SB_TLS_HS_FAILED) {
		SB_CTR_INC(w, xmpp_tls_hs_failed);
		return tls_dead(xw, x);
	}
	if (r == SB_TLS_HS_AGAIN)
		return true;
	if (!tls_established(xw, x))
		return false;
	return sb_xc_tls_input(xw, x); /* records sent behind the Finished */
}

/* ---------------------------------------------------------- established */

/* TLS 1.3: every whole record on the ciphertext list opened (gathered
 * into the worker's buffer, verified there) onto the input list. */
static bool tls_open_records(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_tls *t = x->tls;
	uint8_t *buf = xw->tls_buf;

	for (;;) {
		size_t have = tls_ct_gather(t, buf, SB_TLS_REC_HDR), size, used, out_len;
		enum sb_tls_rec_result r;

		if (have < SB_TLS_REC_HDR)
			return true;
		/* An over-long length field is refused on the header alone. */
		size = sb_tls_rec_size(buf);
		if (size == 0)
			size = SB_TLS_REC_HDR;
		else if (tls_ct_len(t, size) < size)
			return true; /* the record is not complete yet: copy nothing */
		else
			tls_ct_gather(t, buf, size);
		r = sb_tls_rec_open(&xw->tls, &t->rec, buf, size, &used, buf + SB_TLS_REC_HDR,
				    SB_XC_TLS_BUF - SB_TLS_REC_HDR, &out_len);
		switch (r) {
		case SB_TLS_REC_NEED_MORE:
			return true;
		case SB_TLS_REC_DATA:
			if (tls_plain_append(xw, x, buf + SB_TLS_REC_HDR, out_len) < 0) {
				/* The record is verified and consumed: its
				 * plaintext cannot be dropped, nor kept. */
				SB_CTR_INC(w, xmpp_tls_no_mbuf);
				return tls_dead(xw, x);
			}
			tls_ct_consume(x, used);
			break;
		case SB_TLS_REC_CONTROL:
			tls_ct_consume(x, used);
			tls_rec_flush(xw, x);
			break;
		case SB_TLS_REC_CLOSED:
			SB_CTR_INC(w, xmpp_tls_close_notify);
			tls_rec_flush(xw, x);
			return tls_dead(xw, x);
		case SB_TLS_REC_FATAL:
		default:
			SB_CTR_INC(w, xmpp_tls_fatal);
			tls_rec_flush(xw, x);
			return tls_dead(xw, x);
		}
	}
}

/* TLS 1.2: libssl reads the records. */
static bool tls_ssl_records(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_tls *t = x->tls;

	for (;;) {
		int n;

		while (t->ct_head != NULL) {
			struct rte_mbuf *m = t->ct_head;
			size_t took = sb_tls_ssl_input(&xw->tls, t->ssl,
						       rte_pktmbuf_mtod(m, const uint8_t *),
						       m->data_len);

			tls_ct_consume(x, took);
			if (took < m->data_len)
				break;
		}
		n = sb_tls_ssl_read(&xw->tls, t->ssl, xw->tls_buf, SB_TLS_PLAIN_MAX);
		if (n <= 0)
			(void)tls_ssl_flush(xw, x); /* an alert; the buffer is free again */
		if (n == 0)
			return true;
		if (n < 0) {
			if (n == -ECONNRESET)
				SB_CTR_INC(w, xmpp_tls_close_notify);
			else
				SB_CTR_INC(w, xmpp_tls_fatal);
			return tls_dead(xw, x);
		}
		if (tls_plain_append(xw, x, xw->tls_buf, (size_t)n) < 0) {
			SB_CTR_INC(w, xmpp_tls_no_mbuf);
			return tls_dead(xw, x);
		}
		(void)tls_ssl_flush(xw, x); /* after the copy: it reuses tls_buf */
	}
}

bool sb_xc_tls_input(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	if (x->flags & SB_XC_F_CLOSING)
		return false;
	switch (x->tls->state) {
	case SB_XC_TLS_HS:
		return tls_handshake(xw, x);
	case SB_XC_TLS_REC:
		return tls_open_records(xw, x);
	default:
		return tls_ssl_records(xw, x);
	}
}

int sb_xc_tls_write(struct sb_xc_worker *xw, struct sb_xc_conn *x, const uint8_t *p, size_t len)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_tls *t = x->tls;

	if (t->state == SB_XC_TLS_HS) {
		/* Nothing of XMPP may cross before the handshake ends. */
		SB_CTR_INC(w, xmpp_tls_out_dropped);
		return 0;
	}
	if (t->state == SB_XC_TLS_SSL) {
		while (len > 0) {
			int n = sb_tls_ssl_write(&xw->tls, t->ssl, p, len);

			if (n <= 0 || tls_ssl_flush(xw, x) < 0)
				return -ENOBUFS;
			p += n;
			len -= (size_t)n;
		}
		return 0;
	}
	do {
		size_t used = 0;
		long n = sb_tls_rec_seal(&xw->tls, &t->rec, p, len, &used, xw->tls_buf,
					 SB_XC_TLS_BUF);

		if (n < 0)
			return (int)n; /* -EPIPE: our side is closed */
		if (n > 0 && sb_conn_send_bytes(w, x->conn, xw->tls_buf, (uint32_t)n) < 0)
			return -ENOBUFS;
		p += used;
		len -= used;
	} while (len > 0);
	return 0;
}

void sb_xc_tls_shutdown(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_xc_tls *t = x->tls;

	if (t->state == SB_XC_TLS_REC) {
		sb_tls_conn_close(&t->rec);
		tls_rec_flush(xw, x);
	}
}

void sb_xc_tls_release(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_xc_tls *t = x->tls;

	tls_ct_free(x);
	if (t->hs_waiting)
		tls_hs_unwait(xw, x);
	if (t->state == SB_XC_TLS_SSL)
		SB_CTR_INC(xw->w, xmpp_tls_12_released);
	if (t->ssl != NULL)
		sb_tls_ssl_free(&xw->tls, t->ssl);
	sb_tls_conn_wipe(&t->rec);
	rte_mempool_put(xw->tls_pool, t);
	x->tls = NULL;
}

_Static_assert(offsetof(struct sb_xc_conn, c2s) == 0, "sb_xc_tls_cbind finds the conn by its c2s");

int sb_xc_tls_cbind(void *arg, const struct sb_c2s *c, struct sb_scram_cbind *out)
{
	struct sb_xc_worker *xw = arg;
	const struct sb_xc_conn *x = (const struct sb_xc_conn *)(const void *)c;
	size_t len = 0;

	/* TLS 1.2 keeps libssl and its exporter is only safe with extended
	 * master secret (RFC 9266 §3): no -PLUS there. */
	if (x->tls == NULL || x->tls->state != SB_XC_TLS_REC)
		return -ENOTSUP;
	out->data[SB_SCRAM_CB_TLS_EXPORTER] = x->tls->rec.exporter;
	out->len[SB_SCRAM_CB_TLS_EXPORTER] = SB_TLS_EXPORTER_LEN;
	/* The current server's certificate: a reload between this session's
	 * handshake and its SASL would give the new one's hash (the client
	 * then fails tls-server-end-point and may retry; tls-exporter is
	 * unaffected). */
	if (xw->tls_srv != NULL &&
	    sb_tls_server_endpoint(xw->tls_srv, x->tls->rec.domain, xw->tls_endpoint, &len) == 0 &&
	    len <= SB_SCRAM_CB_DATA_MAX) {
		out->data[SB_SCRAM_CB_TLS_ENDPOINT] = xw->tls_endpoint;
		out->len[SB_SCRAM_CB_TLS_ENDPOINT] = (uint8_t)len;
	}
	return 0;
}

void sb_xc_tls_turn(struct sb_xc_worker *xw, uint64_t now_us)
{
	/* sbctl tls reload: new handshakes start on the new certificates;
	 * handshakes in progress hold their own reference to the old ones.
	 * Dropping ours may free them here, once per reload. */
	if (__atomic_load_n(&xw->tls_next, __ATOMIC_RELAXED) != NULL) {
		struct sb_tls_server *n = __atomic_exchange_n(&xw->tls_next, NULL,
							      __ATOMIC_ACQUIRE);

		if (n != NULL) {
			sb_tls_server_put(xw->tls_srv);
			xw->tls_srv = n;
		}
	}
	/* Ticket key epochs follow the wall clock; one read a second. */
	if (xw->tls_srv != NULL && now_us / 1000000 != xw->tls_clock_s) {
		xw->tls_clock_s = now_us / 1000000;
		sb_tls_worker_set_time(&xw->tls, (uint64_t)time(NULL));
	}
}
