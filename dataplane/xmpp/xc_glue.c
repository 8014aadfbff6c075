/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The c2s application on the TCP glue: received bytes are kept as mbufs in
 * the connection's input list and run through the tokenizer; each complete
 * element is copied out once (into the worker's element buffer), its bytes
 * released, and handed to lib/xmpp; what lib/xmpp returns is sent and acted
 * on. While lib/xmpp waits for the control plane, or a stanza waits for
 * ring room, input stays in its mbufs and the TCP window closes as the
 * receive space runs out: backpressure, never a silent drop.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "app/app.h"
#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xc.h"

/* Bytes are packed into the send queue's mbufs (sealed into records over
 * TLS). A client that lets its queue fill is closed: it is not reading. */
void sb_xc_write(struct sb_xc_worker *xw, struct sb_xc_conn *x, const uint8_t *p, size_t len)
{
	struct sb_worker *w = xw->w;
	int rc;

	if ((x->flags & SB_XC_F_CLOSING) || len == 0)
		return;
	rc = x->tls != NULL ? sb_xc_tls_write(xw, x, p, len)
			    : sb_conn_send_bytes(w, x->conn, p, (uint32_t)len);
	if (rc == 0)
		x->bytes_out += len;
	if (rc < 0 && rc != -EPIPE)
		sb_xc_slow_reader(xw, x);
}

/* Release input bytes before stream offset off. */
static void glue_consume(struct sb_xc_conn *x, uint64_t off)
{
	while (x->in_head != NULL && x->in_off < off) {
		struct rte_mbuf *m = x->in_head;
		uint64_t left = off - x->in_off;

		if (left < m->data_len) {
			rte_pktmbuf_adj(m, (uint16_t)left);
			x->in_off = off;
			return;
		}
		x->in_off += m->data_len;
		x->in_bytes -= m->buf_len;
		x->in_head = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		rte_pktmbuf_free(m);
	}
	if (x->in_head == NULL) {
		x->in_tail = NULL;
		x->in_off = off;
	}
}

/* Copy stream bytes [from, to) out of the input list. */
static size_t glue_gather(const struct sb_xc_conn *x, uint64_t from, uint64_t to, uint8_t *dst,
			   size_t cap)
{
	uint64_t skip = from - x->in_off;
	size_t want = (size_t)RTE_MIN(to - from, (uint64_t)cap), got = 0;

	for (const struct rte_mbuf *m = x->in_head; m != NULL && got < want; m = m->next) {
		size_t n;

		if (skip >= m->data_len) {
			skip -= m->data_len;
			continue;
		}
		n = RTE_MIN((size_t)(m->data_len - skip), want - got);
		memcpy(dst + got, rte_pktmbuf_mtod_offset(m, const uint8_t *, skip), n);
		got += n;
		skip = 0;
	}
	return got;
}

void sb_xc_close_now(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;

	if (x->tls != NULL && !(x->flags & SB_XC_F_CLOSING))
		sb_xc_tls_shutdown(xw, x); /* close_notify before the FIN (RFC 8446 §6.1) */
	x->flags |= SB_XC_F_CLOSING;
	glue_consume(x, UINT64_MAX);
	sb_conn_close(w, x->conn);
}

/* <starttls/> accepted by lib/xmpp: the TLS object is taken first, so
 * that a refusal (pool, handshake cap) is answered with <failure/> and a
 * close (RFC 6120 §5.4.2.2) instead of the <proceed/> lib/xmpp wrote. On
 * success <proceed/> goes in clear; every byte after it, those already
 * received behind <starttls/> included, is TLS. */
static void glue_starttls(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	static const char failure[] = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
				      "</stream:stream>";
	struct sb_c2s_env *env = &xw->env;
	struct sb_xc_tls *t = sb_xc_tls_take(xw);

	if (t == NULL) {
		sb_xc_write(xw, x, (const uint8_t *)failure, sizeof(failure) - 1);
		sb_xc_close_now(xw, x);
		return;
	}
	sb_xc_write(xw, x, env->out, env->out_len);
	/* Attached even when writing <proceed/> reset the connection: its
	 * close releases it with the rest. */
	sb_xc_tls_start(xw, x, t);
	if (!(x->flags & SB_XC_F_CLOSING))
		(void)sb_xc_tls_input(xw, x);
}

void sb_xc_act(struct sb_xc_worker *xw, struct sb_xc_conn *x, enum sb_c2s_action act)
{
	struct sb_worker *w = xw->w;
	struct sb_c2s_env *env = &xw->env;

	/* Failed logins count against the client's address (bans). */
	while (x->auth_seen < x->c2s.auth_failures) {
		x->auth_seen++;
		sb_xc_limits_auth_failed(xw, x->conn->tuple.raddr, w->now_us / 1000);
	}
	if (act == SB_C2S_ACT_STARTTLS) {
		glue_starttls(xw, x);
		return;
	}
	sb_xc_write(xw, x, env->out, env->out_len);
	switch (act) {
	case SB_C2S_ACT_NONE:
		/* After <enable/> or <resumed/>: the idle probe starts. */
		if (!sb_wheel_timer_armed(&x->deadline) && sb_c2s_sm_enabled(&x->c2s))
			sb_xc_sm_probe_arm(xw, x);
		break;
	case SB_C2S_ACT_AUTH_LOOKUP:
		sb_xc_auth_request(xw, x, false);
		break;
	case SB_C2S_ACT_AUTH_PLAIN_VERIFY:
		sb_xc_auth_request(xw, x, true);
		break;
	case SB_C2S_ACT_RESTART:
		/* RFC 6120 §6.4.6: a new stream from the next byte on. */
		sb_xml_init(&x->xml);
		x->in_off = 0;
		x->bytes_out = 0; /* like in_off: the session's bytes are the new stream's */
		SB_CTR_INC(w, xmpp_logins);
		break;
	case SB_C2S_ACT_BIND_REQUEST:
		sb_xc_bind_request(xw, x);
		break;
	case SB_C2S_ACT_ROUTE:
		sb_xc_route(xw, x);
		break;
	case SB_C2S_ACT_SM_ACK:
		sb_xc_sm_acked(xw, x);
		break;
	case SB_C2S_ACT_SM_ENABLED:
		sb_xc_sm_enabled(xw, x);
		sb_xc_sm_probe_arm(xw, x);
		break;
	case SB_C2S_ACT_SM_RESUME:
		sb_xc_sm_resume_request(xw, x);
		break;
	case SB_C2S_ACT_CSI:
		/* XEP-0352: <active/> gets what waited; <inactive/> only
		 * changes what comes next. */
		if (!sb_c2s_csi_inactive(&x->c2s))
			sb_xc_csi_flush(xw, x, SB_XC_CSI_ACTIVE);
		break;
	case SB_C2S_ACT_REGISTER:
		sb_xc_register_request(xw, x);
		break;
	case SB_C2S_ACT_SM_REQUEST:
		sb_xc_promise_request(xw, x);
		break;
	case SB_C2S_ACT_CLOSE:
	default:
		sb_xc_close_now(xw, x);
		break;
	}
}

/* Stream bytes [from, to) contiguous: a pointer into the mbuf that holds
 * them all (the usual case: a stanza that came in one segment), else a
 * copy in the worker's element buffer. */
static const uint8_t *glue_span(const struct sb_xc_conn *x, uint64_t from, uint64_t to,
				 uint8_t *buf, size_t cap, size_t *len)
{
	uint64_t skip = from - x->in_off;

	for (const struct rte_mbuf *m = x->in_head; m != NULL; m = m->next) {
		if (skip >= m->data_len) {
			skip -= m->data_len;
			continue;
		}
		if (skip + (to - from) <= m->data_len) {
			*len = (size_t)(to - from);
			return rte_pktmbuf_mtod_offset(m, const uint8_t *, skip);
		}
		break;
	}
	*len = glue_gather(x, from, to, buf, cap);
	return buf;
}

/* One tokenizer event: hand the element to lib/xmpp (in place when it is
 * contiguous), then release its bytes. */
static enum sb_c2s_action glue_event(struct sb_xc_worker *xw, struct sb_xc_conn *x,
				      const struct sb_xml_event *ev)
{
	struct sb_worker *w = xw->w;
	enum sb_c2s_action act;
	const uint8_t *p;
	size_t len;

	switch (ev->type) {
	case SB_XML_EV_STREAM_OPEN:
		p = glue_span(x, ev->start_off, ev->end_off, xw->elem, xw->elem_cap, &len);
		act = sb_c2s_stream_open(&x->c2s, &xw->env, ev->hdr, p, len, ev->start_off);
		break;
	case SB_XML_EV_ELEMENT: {
		bool was_sm = sb_c2s_sm_enabled(&x->c2s);
		uint32_t rcvd = x->c2s.sm_in;

		SB_CTR_INC(w, xmpp_elements);
		p = glue_span(x, ev->start_off, ev->end_off, xw->elem, xw->elem_cap, &len);
		act = sb_c2s_element(&x->c2s, &xw->env, ev->hdr, p, len, ev->start_off);
		sb_xc_promise_element(xw, x, was_sm, rcvd, act);
		break;
	}
	case SB_XML_EV_STREAM_CLOSE:
		sb_xc_sm_stream_closed(xw, x);
		act = sb_c2s_stream_close(&x->c2s, &xw->env);
		break;
	default:
		SB_CTR_INC(w, xmpp_keepalives);
		xw->env.out_len = 0;
		act = SB_C2S_ACT_NONE;
		break;
	}
	/* lib/xmpp keeps nothing pointing into the element past the call
	 * (what it routes is in env->route): its bytes can go. */
	glue_consume(x, ev->end_off);
	return act;
}

static bool glue_paused(const struct sb_xc_conn *x)
{
	return (x->flags & (SB_XC_F_CLOSING | SB_XC_F_BLOCKED | SB_XC_F_SHAPED)) ||
	       sb_c2s_waiting(&x->c2s) ||
	       (sb_c2s_sm_enabled(&x->c2s) && sb_xc_promise_full(&x->pr, x->c2s.sm_in));
}

/* The next unfed bytes: a pointer into the input list and their count. */
static const uint8_t *glue_next_bytes(const struct sb_xc_conn *x, size_t *n)
{
	uint64_t skip = sb_xml_offset(&x->xml) - x->in_off;

	for (const struct rte_mbuf *m = x->in_head; m != NULL; m = m->next) {
		if (skip < m->data_len) {
			*n = m->data_len - (size_t)skip;
			return rte_pktmbuf_mtod_offset(m, const uint8_t *, skip);
		}
		skip -= m->data_len;
	}
	*n = 0;
	return NULL;
}

/* Keep the tokenizer's working state of a split stanza with the
 * connection; false when the pool is empty. */
static bool glue_save_ctx(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	if (x->ctx == NULL && rte_mempool_get(xw->ctx_pool, (void **)&x->ctx) != 0) {
		x->ctx = NULL;
		SB_CTR_INC(w, xmpp_partial_full);
		return false;
	}
	memcpy(x->ctx, &xw->ctx, sizeof(*x->ctx));
	return true;
}

/* Whether the objects element ev can need are in the worker's hands: a
 * stanza routed with its recipient and stamped sender, or one request
 * (auth, bind, register, resume), all taken from the stash. Checked
 * before the element is handled because what it changes (a SASL step, the
 * XEP-0198 count) cannot be undone once its request finds no object. */
static bool glue_objects(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
			 const struct sb_xml_event *ev)
{
	size_t bytes = sizeof(struct sb_msg_stanza) + (size_t)(ev->end_off - ev->start_off) +
		       SB_MSG_JID_MAX + (size_t)x->c2s.jid_len;

	return sb_ctl_link_stash(xw->w, sb_ctl_link_objs_for(bytes)) == 0;
}

void sb_xc_window(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	uint32_t budget = xw->input_budget;
	/* Under pool pressure only connections between stanzas are stopped:
	 * one in the middle of a stanza needs its remaining bytes to finish
	 * it and give its mbufs back. */
	bool low = w->mbufs_low && !sb_xml_busy(&x->xml);
	bool shut = (x->flags & SB_XC_F_SHAPED) || x->in_bytes >= budget || low;

	if (x->conn == NULL || (x->flags & SB_XC_F_CLOSING))
		return;
	/* Buffered input is charged by the mbufs it holds, not its bytes: a
	 * client sending tiny segments pins a whole mbuf with each, and the
	 * pool is what must not run dry (receiving depends on it). */
	sb_conn_set_rcv_space(w, x->conn, shut ? 0 : budget - x->in_bytes);
	/* A window shut for the pool is reopened when the pool recovers
	 * (sb_xc_ctl_turn): the client, only probing a zero window, sends
	 * nothing that would bring us back here. */
	if (low && !(x->flags & SB_XC_F_BLOCKED))
		sb_xc_pool_wait(xw, x);
}

void sb_xc_pump(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	struct sb_xml_event ev;

	/* Over TLS: the handshake, or whole records opened onto the input
	 * list; the tokenizer below reads only plaintext. */
	if (x->tls != NULL && !sb_xc_tls_input(xw, x))
		return;
	if (glue_paused(x))
		return;
	if (x->ctx != NULL) {
		memcpy(&xw->ctx, x->ctx, sizeof(xw->ctx));
		rte_mempool_put(xw->ctx_pool, x->ctx);
		x->ctx = NULL;
	}
	while (!glue_paused(x)) {
		size_t n, used = 0, max = sb_c2s_max_element(&x->c2s, &xw->env);
		const uint8_t *p = glue_next_bytes(x, &n);
		enum sb_xml_status st;

		if (p == NULL)
			break;
		if (sb_ctl_link_msgs_low(w)) {
			/* A stanza read now might find no object to travel in:
			 * leave it in TCP until the pool recovers. */
			sb_xc_pool_wait(xw, x);
			break;
		}
		xw->lim.max_stanza_bytes = (uint32_t)RTE_MIN(max, (size_t)xw->elem_cap);
		st = sb_xml_feed(&x->xml, &xw->ctx, &xw->lim, p, n, &ev, &used);
		if (st == SB_XML_NEED_MORE)
			continue;
		if (st >= SB_XML_ERR_FIRST) {
			SB_CTR_INC(w, xmpp_xml_errors);
			sb_xc_act(xw, x, sb_c2s_xml_error(&x->c2s, &xw->env, st));
			return;
		}
		if (ev.type == SB_XML_EV_ELEMENT && !glue_objects(xw, x, &ev)) {
			/* Unread: the client's window stays shut on it until the
			 * pool has room (nothing refused, nothing lost). */
			sb_xml_unread(&x->xml, &ev);
			sb_xc_pool_wait(xw, x);
			break;
		}
		sb_xc_act(xw, x, glue_event(xw, x, &ev));
	}
	if (!(x->flags & SB_XC_F_CLOSING) && sb_xml_busy(&x->xml)) {
		if (!glue_save_ctx(xw, x)) {
			sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env,
							   SB_C2S_SERR_RESOURCE_CONSTRAINT));
		} else if (x->in_bytes >= xw->input_budget) {
			/* A stanza that does not fit the input budget even though
			 * it is within the size limit: sent in tiny segments, each
			 * pinning an mbuf. It could never complete. */
			SB_CTR_INC(w, xmpp_fragmented);
			sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env,
							   SB_C2S_SERR_POLICY_VIOLATION));
		}
	}
	sb_xc_window(xw, x);
}
