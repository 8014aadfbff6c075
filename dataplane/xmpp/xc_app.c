/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The c2s listener's application (struct sb_app_ops) and the per-worker
 * XMPP state: connection objects and their generations, the bound list the
 * dataplane replays to a restarted sb-control, login deadlines, answers
 * from the control plane, and stanzas waiting for ring room.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "app/app.h"
#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xc.h"

static struct sb_xc_conn *app_xc(const struct sb_conn *c)
{
	return (struct sb_xc_conn *)(uintptr_t)c->app_data;
}

static void *const *app_tab(const struct sb_xc_worker *xw)
{
	return (void *const *)xw->xtab;
}

static void app_list_add(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	sb_xc_list_push(&xw->bound, app_tab(xw), SB_XC_BOUND_LINK, x->idx);
	x->flags |= SB_XC_F_LISTED;
}

static void app_list_del(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	if (!(x->flags & SB_XC_F_LISTED))
		return;
	if (xw->replay_next == x->idx)
		xw->replay_next = x->bound_link.next; /* the replay walks on past it */
	sb_xc_list_del(&xw->bound, app_tab(xw), SB_XC_BOUND_LINK, x->idx);
	x->flags &= (uint8_t)~SB_XC_F_LISTED;
}

/* Refuse a new connection with a stream error saying why (RFC 6120
 * §4.9.1.2: our stream header first), then close. Nothing is kept for it:
 * the stream state lives on the stack for these few bytes. */
static void app_refuse(struct sb_xc_worker *xw, struct sb_conn *c, enum sb_c2s_stream_err e,
		       const char *why)
{
	struct sb_worker *w = xw->w;
	struct sb_c2s_env *env = &xw->env;
	struct sb_c2s tmp;

	sb_c2s_start(&tmp, env);
	sb_c2s_shutdown_text(&tmp, env, e, why);
	if (env->out_len > 0 && sb_conn_send_bytes(w, c, env->out, (uint32_t)env->out_len) == 0)
		SB_CTR_INC(w, xmpp_refused_told);
	sb_conn_close(w, c);
}

/* A new connection's object, or NULL when refused (told why, closed; on
 * the direct-TLS port only closed: a client there expects a ServerHello,
 * and a stream error in clear would be garbage to it). */
static struct sb_xc_conn *app_open(struct sb_xc_worker *xw, struct sb_worker *w,
				   struct sb_conn *c, bool direct)
{
	struct sb_xc_conn *x;

	const char *why = sb_xc_limits_accept(xw, c->tuple.raddr, w->now_us / 1000);

	if (unlikely(xw->draining)) {
		/* RFC 6120 §4.9.3.20: the server is being shut down. */
		SB_CTR_INC(w, xmpp_shutdown_refused);
		if (direct)
			sb_conn_close(w, c);
		else
			app_refuse(xw, c, SB_C2S_SERR_SYSTEM_SHUTDOWN, xw->drain_text);
		return NULL;
	}
	if (why != NULL) {
		if (direct)
			sb_conn_close(w, c);
		else
			app_refuse(xw, c, SB_C2S_SERR_POLICY_VIOLATION, why);
		return NULL;
	}
	if (rte_mempool_get(xw->conn_pool, (void **)&x) != 0) {
		SB_CTR_INC(w, xmpp_accept_full);
		if (direct)
			sb_conn_close(w, c);
		else
			app_refuse(xw, c, SB_C2S_SERR_RESOURCE_CONSTRAINT,
				   "the server is full: try later");
		return NULL;
	}
	memset(x, 0, offsetof(struct sb_xc_conn, gen));
	x->conn = c;
	x->in_bytes = 0;
	x->shaper_tokens = (int32_t)xw->limits.shaper_burst;
	x->shaper_ms = (uint32_t)(w->now_us / 1000);
	sb_wheel_timer_init(&x->deadline);
	sb_wheel_arm(&xw->wheel, &x->deadline, w->now_us / 1000 + xw->login_timeout_ms);
	sb_xml_init(&x->xml);
	sb_c2s_start(&x->c2s, &xw->env);
	c->app_data = (uint64_t)(uintptr_t)x;
	SB_CTR_INC(w, xmpp_accepted);
	return x;
}

static void app_accept(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)app_open(ctx, w, c, false);
}

/* Direct TLS (XEP-0368): the handshake from the first byte; the stream
 * starts once it is done (sb_c2s_tls_done in xc_tls.c). A refusal at the
 * handshake cap closes the connection (counted): the client retries. */
static void app_accept_direct(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_xc_worker *xw = ctx;
	struct sb_xc_conn *x = app_open(xw, w, c, true);
	struct sb_xc_tls *t;

	if (x == NULL)
		return;
	t = sb_xc_tls_take(xw);
	if (t == NULL) {
		sb_xc_close_now(xw, x); /* refused, counted: the client retries */
		return;
	}
	sb_xc_tls_start(xw, x, t);
	SB_CTR_INC(w, xmpp_tls_direct);
}

/* Keep m in x's input list. A segment small enough to fit the room left in
 * the last mbuf is copied there and its own mbuf freed at once: a client
 * sending tiny segments then holds about one mbuf per 2 KiB it sends, not
 * one per segment (the pool is what must not run dry). */
static void app_keep(struct sb_xc_conn *x, struct rte_mbuf *m)
{
	struct rte_mbuf *t = x->in_tail;

	if (t != NULL && m->data_len <= rte_pktmbuf_tailroom(t) && rte_mbuf_refcnt_read(t) == 1) {
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len),
		       rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		t->data_len = (uint16_t)(t->data_len + m->data_len);
		t->pkt_len = t->data_len;
		rte_pktmbuf_free(m);
		return;
	}
	/* The glue hands over single-segment mbufs; keep them as they are. */
	m->next = NULL;
	if (t != NULL)
		t->next = m;
	else
		x->in_head = m;
	x->in_tail = m;
	x->in_bytes += m->buf_len;
}

static void app_data(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	struct sb_xc_worker *xw = ctx;
	struct sb_xc_conn *x = app_xc(c);
	uint16_t len = m->data_len;

	if (x == NULL || (x->flags & SB_XC_F_CLOSING)) {
		rte_pktmbuf_free(m);
		return;
	}
	x->last_in_ms = (uint32_t)(w->now_us / 1000);
	if (x->tls != NULL)
		sb_xc_tls_keep(xw, x, m); /* ciphertext: opened by the pump */
	else
		app_keep(x, m);
	if (!sb_xc_limits_charge(xw, x, len, w->now_us / 1000) && !(x->flags & SB_XC_F_SHAPED)) {
		/* Over its byte rate: keep the bytes, close the window, and
		 * let sb_xc_turn() reopen both when the bucket refills. */
		SB_CTR_INC(w, xmpp_shaped);
		x->flags |= SB_XC_F_SHAPED;
		sb_xc_list_push(&xw->shaped, app_tab(xw), SB_XC_SHAPE_LINK, x->idx);
		sb_xc_window(xw, x);
		return;
	}
	sb_xc_pump(xw, x);
	sb_xc_window(xw, x); /* also when the pump was paused */
}

static void app_writable(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_xc_worker *xw = ctx;
	struct sb_xc_conn *x = app_xc(c);

	(void)w;
	if (x == NULL)
		return;
	if (x->sm_head != NULL)
		sb_xc_sm_tcp_acked(xw, x); /* what the ACK says it has */
	if (x->held_head != NULL)
		sb_xc_hold_flush(xw, x);
}

static void app_peer_fin(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_xc_conn *x = app_xc(c);

	(void)ctx;
	/* TCP ended without </stream:stream>: nothing more can be said. */
	if (x != NULL)
		x->flags |= SB_XC_F_CLOSING;
	sb_conn_close(w, c);
}

static void app_close(void *ctx, struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why)
{
	struct sb_xc_worker *xw = ctx;
	struct sb_xc_conn *x = app_xc(c);
	struct rte_mbuf *m;
	bool hib;

	(void)w;
	(void)why;
	if (x == NULL)
		return;
	/* XEP-0198 §5: a resumable session whose stream did not end (RST,
	 * timeout, FIN without </stream>, a reset for not reading) is kept
	 * for resumption; a closed stream ends the session. */
	hib = (x->c2s.sm & SB_C2S_SM_RESUMABLE) && sb_c2s_bound(&x->c2s);
	app_list_del(xw, x);
	/* (A session handed over already sent its HIBERNATE: no UNBIND owed.) */
	sb_xc_promise_close(xw, x, hib && (x->flags & SB_XC_F_UNBIND));
	sb_xc_flush_close(xw, x);
	sb_wheel_cancel(&xw->wheel, &x->deadline);
	/* The last word on what the client's TCP has: the rest of what was
	 * written goes back to sb-control (sb_xc_linger). */
	if (x->sm_head != NULL)
		sb_xc_sm_tcp_acked(xw, x);
	while ((m = x->in_head) != NULL) {
		x->in_head = m->next;
		m->next = NULL;
		rte_pktmbuf_free(m);
	}
	x->in_tail = NULL;
	if (x->tls != NULL)
		sb_xc_tls_release(xw, x);
	if (x->ctx != NULL) {
		rte_mempool_put(xw->ctx_pool, x->ctx);
		x->ctx = NULL;
	}
	if (x->flags & SB_XC_F_SHAPED) {
		sb_xc_list_del(&xw->shaped, app_tab(xw), SB_XC_SHAPE_LINK, x->idx);
		x->flags &= (uint8_t)~SB_XC_F_SHAPED;
	}
	if (hib)
		x->flags |= SB_XC_F_HIBERNATE;
	sb_c2s_release(&x->c2s, &xw->env);
	x->flags |= SB_XC_F_CLOSING;
	x->conn = NULL;
	c->app_data = 0;
	/* What x still owes sb-control (a parked stanza, an UNBIND) is sent
	 * before the object is reused. */
	xw->lingering++;
	sb_xc_linger(xw, x);
}

void sb_xc_release(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	if (x->jid != NULL) {
		rte_mempool_put(xw->jid_pool, x->jid);
		x->jid = NULL;
	}
	x->gen++; /* late replies for this connection no longer match */
	rte_mempool_put(xw->conn_pool, x);
}

/* The connection a control reply names, or NULL when the handle is not
 * one of our objects or its connection has gone since. O(1). */
struct sb_xc_conn *sb_xc_by_handle(struct sb_xc_worker *xw, uint64_t conn, uint32_t gen)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_conn *x;

	if (conn >= xw->xtab_n) {
		SB_CTR_INC(w, xmpp_bad_handle);
		return NULL;
	}
	x = xw->xtab[conn];
	if (x->gen != gen || x->conn == NULL) {
		SB_CTR_INC(w, xmpp_stale_reply);
		return NULL;
	}
	return x;
}

static struct sb_xc_conn *app_from_handle(struct sb_xc_worker *xw, const struct sb_msg *m)
{
	return sb_xc_by_handle(xw, m->conn, m->conn_gen);
}

static void app_auth_resp(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_c2s_env *env = &xw->env;
	struct sb_scram_creds creds;

	if (x->c2s.state == SB_C2S_S_SASL_VERIFY) {
		sb_xc_act(xw, x, sb_c2s_plain_result(&x->c2s, env, m->status == 0));
	} else if (x->c2s.state == SB_C2S_S_SASL_LOOKUP) {
		bool have = m->status == 0 && m->len >= SB_SCRAM_CREDS_RECORD_LEN &&
			    sb_scram_credentials_unpack(&creds, m->payload, m->len) == 0;

		sb_xc_act(xw, x, sb_c2s_credentials(&x->c2s, env, have ? &creds : NULL));
		explicit_bzero(&creds, sizeof(creds));
	} else {
		SB_CTR_INC(w, xmpp_stale_reply);
	}
}

/* XEP-0077: sb-control's verdict on a registration request. */
static void app_register_resp(struct sb_xc_worker *xw, struct sb_xc_conn *x,
			      const struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	enum sb_c2s_reg_status st;

	if (x->c2s.state != SB_C2S_S_REG_WAIT) {
		SB_CTR_INC(w, xmpp_stale_reply);
		return;
	}
	switch (m->status) {
	case SB_MSG_REG_OK: st = SB_C2S_REG_OK; break;
	case SB_MSG_REG_EXISTS: st = SB_C2S_REG_CONFLICT; break;
	case SB_MSG_REG_BAD_PASSWORD: st = SB_C2S_REG_NOT_ACCEPTABLE; break;
	case SB_MSG_REG_TOKEN: st = SB_C2S_REG_NOT_ALLOWED; break;
	case SB_MSG_REG_RATE:
	case SB_MSG_REG_BUSY: st = SB_C2S_REG_RATE_LIMITED; break;
	default: st = SB_C2S_REG_UNAVAILABLE; break;
	}
	sb_xc_act(xw, x, sb_c2s_register_result(&x->c2s, &xw->env, st));
}

static void app_bind_resp(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	enum sb_c2s_bind_status st = m->status == 0	    ? SB_C2S_BIND_OK
				     : m->status == -EEXIST ? SB_C2S_BIND_CONFLICT
							    : SB_C2S_BIND_RESOURCE_LIMIT;

	if (x->c2s.state != SB_C2S_S_BIND_WAIT || x->jid == NULL) {
		SB_CTR_INC(w, xmpp_stale_reply);
		return;
	}
	sb_xc_act(xw, x, sb_c2s_bind_result(&x->c2s, &xw->env, st, x->jid, strlen(x->jid)));
	if (sb_c2s_bound(&x->c2s)) {
		SB_CTR_INC(w, xmpp_binds);
		/* SASL is over: the channel binding value is not needed again. */
		if (x->tls != NULL)
			explicit_bzero(x->tls->rec.exporter, sizeof(x->tls->rec.exporter));
		sb_wheel_cancel(&xw->wheel, &x->deadline);
		app_list_add(xw, x);
	}
}

/* The shard's answer to <resume/> (XEP-0198 §5). A success for a
 * connection already gone hands the session back at once: HIBERNATE with
 * the counts it was resumed with, so what the shard now sends it comes
 * back to the session's queue and the client may try again. */
bool sb_xc_sm_resume_resp(struct sb_xc_worker *xw, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_conn *x = app_from_handle(xw, m);
	struct sb_msg_sm p;
	size_t len;

	if (m->len < sizeof(p)) {
		SB_CTR_INC(w, msg_bad);
		return false;
	}
	memcpy(&p, m->payload, sizeof(p));
	len = p.jid_len;
	if (sizeof(p) + len > m->len || len >= SB_XC_JID_MAX) {
		SB_CTR_INC(w, msg_bad);
		return false;
	}
	if (x == NULL || x->c2s.state != SB_C2S_S_RESUME_WAIT) {
		if (m->status != 0)
			return false;
		SB_CTR_INC(w, xmpp_sm_resume_lost);
		m->kind = SB_MSG_HIBERNATE;
		m->flags = 0;
		return sb_ctl_link_send(w, m->shard, m, rte_rdtsc()) == 0;
	}
	if (m->status != 0) {
		sb_xc_act(xw, x, sb_c2s_resume_result(&x->c2s, &xw->env, false, NULL, 0, p.h_in,
						      (p.flags & SB_MSG_SM_H_KNOWN) != 0));
		return false;
	}
	if (x->jid == NULL && rte_mempool_get(xw->jid_pool, (void **)&x->jid) != 0) {
		x->jid = NULL;
		SB_CTR_INC(w, xmpp_sm_resume_lost);
		sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env,
						   SB_C2S_SERR_RESOURCE_CONSTRAINT));
		return false;
	}
	memcpy(x->jid, m->payload + sizeof(p), len);
	x->jid[len] = '\0';
	memcpy(x->sm_id, p.id, sizeof(x->sm_id));
	/* The session is this connection's now: its end is owed. */
	x->flags |= SB_XC_F_UNBIND;
	if (p.flags & SB_MSG_SM_AVAILABLE)
		x->flags |= SB_XC_F_AVAILABLE;
	sb_xc_act(xw, x, sb_c2s_resume_result(&x->c2s, &xw->env, true, x->jid, len, p.h_in,
					      false));
	if (sb_c2s_bound(&x->c2s)) {
		SB_CTR_INC(w, xmpp_sm_resumed);
		sb_xc_promise_reset(&x->pr, x->c2s.sm_in);
		sb_wheel_cancel(&xw->wheel, &x->deadline);
		sb_xc_sm_probe_arm(xw, x); /* the login deadline's place */
		app_list_add(xw, x);
	}
	if (x->conn != NULL)
		sb_xc_pump(xw, x);
	return false;
}

/* A DELIVER: to its live connection; held on a closed one that still owes
 * sb-control its UNBIND; else returned at once (the UNBIND went first). */
static bool app_deliver(struct sb_xc_worker *xw, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_conn *x;

	if (m->conn >= xw->xtab_n) {
		SB_CTR_INC(w, xmpp_bad_handle);
		return false;
	}
	x = xw->xtab[m->conn];
	if (x->gen == m->conn_gen && x->conn != NULL) {
		if (sb_c2s_bound(&x->c2s) || (x->flags & SB_XC_F_CLOSING))
			return sb_xc_deliver(xw, x, m); /* closing: held, returned */
		SB_CTR_INC(w, xmpp_stale_reply);
		return false;
	}
	if (x->gen == m->conn_gen && (x->pending != NULL || (x->flags & SB_XC_F_UNBIND))) {
		struct sb_msg_stanza h;

		if (sb_msg_stanza_read(m, &h) < 0) {
			SB_CTR_INC(w, msg_bad);
			return false;
		}
		sb_xc_hold(xw, x, m, &h);
		return true;
	}
	sb_xc_hold_return_late(xw, m);
	return true;
}

/* KICK: the reason (lib/msg's enum sb_msg_kick) picks the stream error;
 * an operator's kick carries its <text/> in the payload. */
static void app_kick(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	char text[SB_MSG_KICK_TEXT_MAX + 1];
	size_t len = m->len < SB_MSG_KICK_TEXT_MAX ? m->len : SB_MSG_KICK_TEXT_MAX;
	enum sb_c2s_stream_err e;

	switch (m->status) {
	case SB_MSG_KICK_ACCOUNT_DELETED:
		e = SB_C2S_SERR_NOT_AUTHORIZED;
		break;
	case SB_MSG_KICK_PASSWORD_CHANGED:
	case SB_MSG_KICK_ADMIN_RESET:
		e = SB_C2S_SERR_RESET;
		break;
	case SB_MSG_KICK_ADMIN:
		e = SB_C2S_SERR_POLICY_VIOLATION;
		break;
	default:
		e = SB_C2S_SERR_CONFLICT;
		break;
	}
	if (m->status == SB_MSG_KICK_ADMIN || m->status == SB_MSG_KICK_ADMIN_RESET) {
		SB_CTR_INC(w, xmpp_kicked_admin);
		memcpy(text, m->payload, len);
		text[len] = '\0';
		/* lib/xmpp escapes it; an empty reason gives no <text/>. */
		sb_xc_act(xw, x, sb_c2s_shutdown_text(&x->c2s, &xw->env, e,
						      len > 0 ? text : NULL));
		return;
	}
	SB_CTR_INC(w, xmpp_kicked);
	sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env, e));
	/* Resumed elsewhere (XEP-0198 §5): the old stream got conflict and
	 * hands its session over now. */
	if (m->status == SB_MSG_KICK_RESUMED && (x->c2s.sm & SB_C2S_SM_RESUMABLE) &&
	    (x->flags & SB_XC_F_UNBIND))
		sb_xc_sm_handover(xw, x);
}

/* CONN_INFO (sbctl session show): the connection as this worker sees it,
 * written into the same object and sent back to the shard that asked. A
 * full ring drops the answer: the operator's command says it had none. */
static void app_conn_info(struct sb_xc_worker *xw, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_conn *x = app_from_handle(xw, m);
	struct sb_msg_conn_info ci = { 0 };

	if (x != NULL) {
		const struct sb_conn *c = x->conn;

		ci.tcp_state = c->tcb.state;
		ci.tls = x->tls == NULL ? 0 : x->tls->state == SB_XC_TLS_HS ? 1 : 2;
		ci.closing = (x->flags & SB_XC_F_CLOSING) != 0;
		ci.idle_ms = (uint32_t)(w->now_us / 1000) - x->last_in_ms;
		ci.send_queue_bytes = c->snd_queued;
		ci.srtt_us = c->tcb.srtt_us;
		ci.bytes_in = x->in_off;
		ci.bytes_out = x->bytes_out;
	}
	m->next = NULL;
	m->len = m->total_len = (uint32_t)sizeof(ci);
	memcpy(m->payload, &ci, sizeof(ci));
	m->status = x != NULL ? 0 : -ENOENT;
	m->owner = SB_MSG_OWNER_DATAPLANE;
	if (sb_ctl_link_send(w, m->shard, m, rte_rdtsc()) < 0)
		sb_msg_free_chain(m, &w->msg_ops);
}

void sb_xc_from_control(struct sb_xc_worker *xw, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_conn *x;

	if (m->kind == SB_MSG_CONN_INFO) {
		app_conn_info(xw, m);
		return;
	}

	if (m->kind == SB_MSG_DELIVER_MULTI) {
		/* It names its connections inside (xc_route.c). */
		if (sb_xc_deliver_multi(xw, m))
			sb_msg_free_chain(m, &w->msg_ops);
		else
			sb_msg_link_defer(&w->link); /* short of mbufs: later, in order */
		return;
	}
	if (m->kind == SB_MSG_STANZA_DONE || m->kind == SB_MSG_PROMISE_SYNC) {
		sb_xc_promise_from_control(xw, m->shard, m);
		sb_msg_free_chain(m, &w->msg_ops);
		return;
	}
	if (m->kind == SB_MSG_DELIVER) {
		if (!app_deliver(xw, m))
			sb_msg_free_chain(m, &w->msg_ops);
		return;
	}
	if (m->kind == SB_MSG_RESUME_RESP) {
		if (!sb_xc_sm_resume_resp(xw, m))
			sb_msg_free_chain(m, &w->msg_ops);
		return;
	}
	x = app_from_handle(xw, m);
	if (x != NULL) {
		switch (m->kind) {
		case SB_MSG_AUTH_RESP:
			app_auth_resp(xw, x, m);
			break;
		case SB_MSG_BIND_RESP:
			app_bind_resp(xw, x, m);
			break;
		case SB_MSG_REGISTER_RESP:
			app_register_resp(xw, x, m);
			break;
		case SB_MSG_KICK:
			app_kick(xw, x, m);
			break;
		default:
			SB_CTR_INC(w, msg_bad);
			break;
		}
	}
	/* Input held while waiting for this answer can flow again. */
	if (x != NULL && x->conn != NULL)
		sb_xc_pump(xw, x);
	sb_msg_free_chain(m, &w->msg_ops);
}

void sb_xc_link_handler(void *ctx, unsigned shard, struct sb_msg *m)
{
	(void)shard;
	sb_xc_from_control(ctx, m);
}

static void app_deadline(struct sb_wheel_timer *t, void *arg)
{
	struct sb_xc_worker *xw = arg;
	struct sb_worker *w = xw->w;
	struct sb_xc_conn *x = container_of(t, struct sb_xc_conn, deadline);

	if (sb_c2s_bound(&x->c2s)) {
		sb_xc_hold_expired(xw, x);
		return;
	}
	SB_CTR_INC(w, xmpp_login_timeout);
	sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env,
					   SB_C2S_SERR_CONNECTION_TIMEOUT));
}

/* A new sb-control knows no session: tell it about every bound one
 * (DESIGN.md: a control-plane restart is invisible to users). The walk
 * keeps its place across turns; a session leaving the list moves it on. */
static void app_replay(struct sb_xc_worker *xw, uint64_t now_tsc)
{
	struct sb_worker *w = xw->w;
	uint32_t epoch = __atomic_load_n(&w->shm->ctl_epoch, __ATOMIC_ACQUIRE);
	uint32_t budget = 256;

	if (epoch == xw->ctl_epoch || !sb_ctl_link_attached(w, now_tsc))
		return;
	if (xw->replay_epoch != epoch) {
		xw->replay_epoch = epoch;
		xw->replay_next = xw->bound.head;
	}
	while (xw->replay_next != SB_XC_LIST_NONE && budget-- > 0) {
		struct sb_xc_conn *x = xw->xtab[xw->replay_next];

		if (sb_xc_replay(xw, x) < 0)
			return; /* ring full: the rest next turn */
		xw->replay_next = x->bound_link.next;
		SB_CTR_INC(w, xmpp_replayed);
		if (x->c2s.state == SB_C2S_S_REG_WAIT) {
			/* XEP-0077: the request may have died with the old
			 * sb-control; a bound stream has no login deadline to
			 * end the wait, so answer it (a wait-type error: the
			 * client may ask again) and read on. A late answer of
			 * the old request is then stale. */
			SB_CTR_INC(w, xmpp_reg_abandoned);
			sb_xc_act(xw, x, sb_c2s_register_result(&x->c2s, &xw->env,
								  SB_C2S_REG_UNAVAILABLE));
			if (x->conn != NULL)
				sb_xc_pump(xw, x);
		}
	}
	if (xw->replay_next == SB_XC_LIST_NONE)
		xw->ctl_epoch = epoch;
}

/* Clients the shaper paused whose bucket has refilled read again. */
static void app_unshape(struct sb_xc_worker *xw, uint64_t now_ms)
{
	uint32_t i = xw->shaped.head;

	while (i != SB_XC_LIST_NONE) {
		struct sb_xc_conn *x = xw->xtab[i];

		i = x->shape_link.next;
		if (!sb_xc_limits_refill(xw, x, now_ms))
			continue;
		sb_xc_list_del(&xw->shaped, app_tab(xw), SB_XC_SHAPE_LINK, x->idx);
		x->flags &= (uint8_t)~SB_XC_F_SHAPED;
		sb_xc_pump(xw, x);
	}
}

/* Once per worker loop turn (struct sb_app_ops.on_turn). */
/* sbctl shutdown (struct sb_shm_shutdown): every open stream gets
 * <system-shutdown/> with the operator's text and is closed, and from now
 * on new ones are refused the same way. The walk covers the whole
 * connection table once (its size is the configured maximum), which is
 * why it runs once per process lifetime and never per turn. */
static void app_drain(struct sb_xc_worker *xw, struct sb_worker *w)
{
	const struct sb_shm_shutdown *sd = &w->shm->shutdown;

	memcpy(xw->drain_text, sd->text, sizeof(xw->drain_text));
	xw->drain_text[sizeof(xw->drain_text) - 1] = '\0';
	xw->draining = true;
	for (uint32_t i = 0; i < xw->xtab_n; i++) {
		struct sb_xc_conn *x = xw->xtab[i];

		if (x->conn == NULL || (x->flags & SB_XC_F_CLOSING))
			continue;
		SB_CTR_INC(w, xmpp_shutdown_told);
		sb_xc_act(xw, x, sb_c2s_shutdown_text(&x->c2s, &xw->env,
						      SB_C2S_SERR_SYSTEM_SHUTDOWN,
						      xw->drain_text[0] ? xw->drain_text : NULL));
	}
}

static unsigned app_turn(void *ctx, struct sb_worker *w, uint64_t now_us)
{
	struct sb_xc_worker *xw = ctx;
	uint64_t now_tsc = rte_rdtsc();

	/* One read each of lines sb-control writes once in a while: shared,
	 * not bounced between cores. */
	if (unlikely(!xw->draining) &&
	    __atomic_load_n(&w->shm->shutdown.requested, __ATOMIC_ACQUIRE) != 0)
		app_drain(xw, w);
	if (sb_xc_limits_live(&xw->limits, &w->shm->live, &xw->live_seq))
		SB_CTR_INC(w, xmpp_limits_changed);
	sb_xc_tls_turn(xw, now_us);
	if (xw->shaped.n > 0)
		app_unshape(xw, now_us / 1000);
	sb_wheel_advance(&xw->wheel, now_us / 1000, app_deadline, xw, 64);
	sb_xc_ctl_turn(xw, now_tsc);
	if (xw->ret_head != NULL)
		sb_xc_hold_returns_turn(xw, now_tsc);
	app_replay(xw, now_tsc);
	sb_xc_promise_turn(xw, now_us / 1000);
	if (xw->flush_wait.n > 0)
		sb_xc_flush_turn(xw, now_tsc);
	/* Last: whatever else this turn did has run before the handshake
	 * steps put off, and leaves in the same TX burst. */
	return sb_xc_tls_hs_turn(xw);
}

/* The worker stops: bound sessions are told why (on_stop). */
static void app_stop(void *ctx, struct sb_worker *w)
{
	struct sb_xc_worker *xw = ctx;
	uint32_t i = xw->bound.head;

	(void)w;
	while (i != SB_XC_LIST_NONE) {
		struct sb_xc_conn *x = xw->xtab[i];

		i = x->bound_link.next;
		if (!(x->flags & SB_XC_F_CLOSING))
			sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env,
							   SB_C2S_SERR_SYSTEM_SHUTDOWN));
	}
}

/* Connections a publication sweeps for the buffer gauges: a bounded slice
 * (a few tens of microseconds every 100 ms), so the sums are those of the
 * last complete sweep: 65,536 connections every 3.2 s. */
#define XC_SWEEP_PER_PUBLISH 2048u

/* Buffer bytes held by connections (sbctl memory): no running total is
 * kept on the paths that add and free them, so a slice of the table is
 * summed per publication and the gauges change when a sweep completes. */
static void app_sweep(struct sb_xc_worker *xw, uint64_t *ctr)
{
	uint32_t end = RTE_MIN(xw->sweep_next + XC_SWEEP_PER_PUBLISH, xw->xtab_n);

	for (uint32_t i = xw->sweep_next; i < end; i++) {
		const struct sb_xc_conn *x = xw->xtab[i];

		if (x->conn == NULL)
			continue;
		xw->sweep_in_bytes += x->in_bytes;
		xw->sweep_snd_bytes += x->conn->snd_queued;
	}
	xw->sweep_next = end;
	if (end < xw->xtab_n)
		return;
	ctr[SB_DP_CTR_xmpp_in_bytes] = xw->sweep_in_bytes;
	ctr[SB_DP_CTR_xmpp_snd_bytes] = xw->sweep_snd_bytes;
	xw->sweep_next = 0;
	xw->sweep_in_bytes = xw->sweep_snd_bytes = 0;
}

/* The worker's levels: sessions, and the backlogs sb-control's alarms
 * watch (control/metrics/alarm.h). The waiting lists keep their counts. */
static void app_publish_levels(struct sb_xc_worker *xw, uint64_t *ctr)
{
	uint64_t waiters = 0;

	for (unsigned s = 0; s <= SB_XC_POOL_WAIT; s++)
		waiters += xw->waiting[s].n;
	ctr[SB_DP_CTR_xmpp_bound] = xw->bound.n;
	ctr[SB_DP_CTR_xmpp_held_objs] = xw->held_objs;
	ctr[SB_DP_CTR_xmpp_hold_max] = xw->hold_worker_max;
	ctr[SB_DP_CTR_xmpp_ring_waiters] = waiters;
	ctr[SB_DP_CTR_xmpp_sm_objs] = xw->sm_objs;
	app_sweep(xw, ctr);
}

/* lib/xmpp's counters to where sbctl and telemetry read them (on_publish). */
static void app_publish(void *ctx, struct sb_worker *w)
{
	struct sb_xc_worker *xw = ctx;

	memcpy(w->stats->ctr + SB_XC_CTR_SLOT, xw->env.ctr, sizeof(xw->env.ctr));
	memcpy(w->stats->ctr + SB_XC_TLS_SLOT, xw->tls.ctr, sizeof(xw->tls.ctr));
	app_publish_levels(xw, w->stats->ctr);
	/* After this turn's tcp_* gauges (worker_publish): the main lcore
	 * reads them as of after the drain began. */
	if (xw->draining)
		__atomic_store_n(&w->stats->drained, 1, __ATOMIC_RELEASE);
}

const struct sb_app_ops sb_xc_app = {
	.name = "c2s",
	.on_accept = app_accept,
	.on_data = app_data,
	.on_writable = app_writable,
	.on_peer_fin = app_peer_fin,
	.on_close = app_close,
	.on_turn = app_turn,
	.on_publish = app_publish,
	.on_stop = app_stop,
};

/* The same connections on tls.direct_port; the worker hooks run once, with
 * sb_xc_app's registration. */
const struct sb_app_ops sb_xc_app_direct = {
	.name = "c2s-tls",
	.on_accept = app_accept_direct,
	.on_data = app_data,
	.on_writable = app_writable,
	.on_peer_fin = app_peer_fin,
	.on_close = app_close,
};
