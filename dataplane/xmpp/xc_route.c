/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stanzas between a client and the control plane. Outbound (ROUTE): the
 * stanza lib/xmpp stamped is packed with its routing header into a message
 * chain for the shard that owns its recipient. Inbound (DELIVER): the bytes
 * are written to the connection the handle names.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xc.h"
#include "xmpp_error.h"

static const uint8_t route_kind[SB_C2S_KIND_MAX] = {
	[SB_C2S_KIND_MESSAGE] = SB_STANZA_MESSAGE,
	[SB_C2S_KIND_PRESENCE] = SB_STANZA_PRESENCE,
	[SB_C2S_KIND_IQ] = SB_STANZA_IQ,
};

static const uint8_t route_type[SB_C2S_T_MAX] = {
	[SB_C2S_T_NONE] = SB_STYPE_NONE,
	[SB_C2S_T_GET] = SB_STYPE_GET,
	[SB_C2S_T_SET] = SB_STYPE_SET,
	[SB_C2S_T_RESULT] = SB_STYPE_RESULT,
	[SB_C2S_T_ERROR] = SB_STYPE_ERROR,
	[SB_C2S_T_CHAT] = SB_STYPE_CHAT,
	[SB_C2S_T_GROUPCHAT] = SB_STYPE_GROUPCHAT,
	[SB_C2S_T_HEADLINE] = SB_STYPE_HEADLINE,
	[SB_C2S_T_NORMAL] = SB_STYPE_NORMAL,
	[SB_C2S_T_UNAVAILABLE] = SB_STYPE_UNAVAILABLE,
	[SB_C2S_T_PROBE] = SB_STYPE_PROBE,
	[SB_C2S_T_SUBSCRIBE] = SB_STYPE_SUBSCRIBE,
	[SB_C2S_T_SUBSCRIBED] = SB_STYPE_SUBSCRIBED,
	[SB_C2S_T_UNSUBSCRIBE] = SB_STYPE_UNSUBSCRIBE,
	[SB_C2S_T_UNSUBSCRIBED] = SB_STYPE_UNSUBSCRIBED,
	[SB_C2S_T_OTHER] = SB_STYPE_OTHER,
};

static const char *const route_kind_name[SB_STANZA_KIND_MAX] = {
	[SB_STANZA_MESSAGE] = "message",
	[SB_STANZA_PRESENCE] = "presence",
	[SB_STANZA_IQ] = "iq",
};

/* sb-control is gone: tell the sender to wait and retry (RFC 6120 §8.3.2)
 * the stanza m carried; presence and errors are dropped as RFC 6120 §8.3.1
 * asks. */
void sb_xc_wait_error(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m)
{
	const struct sb_c2s_config *cfg = &xw->env.cfg;
	struct sb_msg_stanza h;
	struct sb_xmpp_error e = { .type = "wait", .condition = "service-unavailable" };
	char to[SB_JID_FULL_MAX + 1];
	/* The stanza has been packed: the element and route buffers are free,
	 * and big enough for any id the size limit lets in. */
	char *id = (char *)xw->elem, *buf = (char *)xw->route;
	int n;

	if (sb_msg_stanza_read(m, &h) < 0 || h.id_len > xw->elem_cap ||
	    h.kind == SB_STANZA_PRESENCE || h.type == SB_STYPE_ERROR)
		return;
	sb_msg_read(m, sizeof(h), to, h.to_len);
	sb_msg_read(m, sb_msg_stanza_bytes_off(&h) + h.id_off, id, h.id_len);
	e.kind = route_kind_name[h.kind];
	e.from = h.to_len ? to : cfg->domain;
	e.from_len = h.to_len ? h.to_len : cfg->domain_len;
	e.id = h.id_len ? id : NULL;
	e.id_len = h.id_len;
	e.to = sb_c2s_full_jid(&x->c2s, &e.to_len);
	n = sb_xmpp_error_write(&e, buf, xw->elem_cap + SB_C2S_ROUTE_EXTRA);
	if (n > 0) {
		sb_xc_write(xw, x, (const uint8_t *)buf, (size_t)n);
		sb_xc_sm_sent(x);
	}
}

/* Pack the ROUTE result into a message chain; NULL when the pool is dry. */
static struct sb_msg *route_pack(struct sb_xc_worker *xw, struct sb_xc_conn *x, const char *to,
				 size_t to_len, size_t to_bare_len)
{
	struct sb_worker *w = xw->w;
	const struct sb_c2s_stanza *st = &xw->env.res.stanza;
	struct sb_msg_stanza h = {
		.kind = route_kind[st->kind],
		.type = route_type[st->type],
		.to_len = (uint16_t)to_len,
		.to_bare_len = (uint16_t)to_bare_len,
		.from_len = x->c2s.jid_len,
		.from_bare_len = x->c2s.bare_len,
		.priority = st->priority,
		.id_off = st->id ? (uint32_t)(st->id - st->bytes) : 0,
		.id_len = (uint32_t)st->id_len,
		.bytes_len = (uint32_t)st->len,
		.from_worker = (uint16_t)w->index,
		.from_gen = x->gen,
		.from_conn = sb_xc_handle(x),
	};
	struct sb_msg *m = w->msg_ops.alloc(w->msg_ops.arg);

	if (m == NULL)
		return NULL;
	sb_msg_encode(m, SB_MSG_STANZA, w->index, 0, 0, 0, rte_rdtsc());
	if (sb_c2s_sm_enabled(&x->c2s)) {
		/* XEP-0198: its shard reports when it is safe (xc_promise.c). */
		m->flags |= SB_MSG_F_SM_PROMISE;
		h.sm_h = x->c2s.sm_in;
	}
	m->conn = sb_xc_handle(x);
	m->conn_gen = x->gen;
	if (sb_msg_append(m, &h, sizeof(h), &w->msg_ops) < 0 ||
	    sb_msg_append(m, to, to_len, &w->msg_ops) < 0 ||
	    sb_msg_append(m, x->c2s.jid, x->c2s.jid_len, &w->msg_ops) < 0 ||
	    sb_msg_append(m, st->bytes, st->len, &w->msg_ops) < 0) {
		sb_msg_free_chain(m, &w->msg_ops);
		return NULL;
	}
	return m;
}

void sb_xc_route(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	const struct sb_c2s_stanza *st = &xw->env.res.stanza;
	char *to = xw->to_buf;
	size_t to_len = 0, to_bare_len = 0;
	unsigned shard;
	struct sb_msg *m;

	if (st->kind == SB_C2S_KIND_PRESENCE && st->to == NULL) {
		/* The session's availability (RFC 6121 §4.2, §4.5): kept here
		 * too, so a restarted sb-control learns it from the replay. */
		if (st->type == SB_C2S_T_UNAVAILABLE)
			x->flags &= (uint8_t)~SB_XC_F_AVAILABLE;
		else if (st->type == SB_C2S_T_NONE)
			x->flags |= SB_XC_F_AVAILABLE;
	}
	if (st->to != NULL) {
		to_len = sb_jid_format(st->to, false, to, sizeof(xw->to_buf));
		to_bare_len = sb_jid_format(st->to, true, NULL, 0);
		shard = (unsigned)(sb_jid_bare_hash(st->to) % w->n_shards);
	} else {
		shard = (unsigned)(sb_jid_bare_hash_str(x->c2s.jid, x->c2s.bare_len) % w->n_shards);
	}
	m = route_pack(xw, x, to, to_len, to_bare_len);
	if (m == NULL) {
		/* Not reached: the pump took the objects this stanza can need
		 * before reading it (glue_objects). Were it reached, the
		 * stanza could not travel: the client is told, never left to
		 * think it went (XEP-0198: not counted in h, so a resuming
		 * client sends it again). */
		SB_CTR_INC(w, msg_alloc_fail);
		sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env, SB_C2S_SERR_RESOURCE_CONSTRAINT));
		return;
	}
	if (sb_c2s_sm_enabled(&x->c2s) && sb_xc_promise_full(&x->pr, x->c2s.sm_in))
		SB_CTR_INC(w, xmpp_sm_promise_full);
	if (sb_xc_send(xw, x, shard, m) == 0 && !(x->flags & SB_XC_F_BLOCKED))
		SB_CTR_INC(w, xmpp_routed);
}

bool sb_xc_deliver_fits(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
			const struct sb_msg_stanza *h)
{
	struct sb_worker *w = xw->w;
	uint32_t space = sb_conn_snd_space(w, x->conn);
	uint32_t need = h->bytes_len;

	/* Over TLS each started 2^14 bytes is one record's overhead more. */
	if (x->tls != NULL)
		need += SB_TLS_REC_OVERHEAD * (h->bytes_len / SB_TLS_PLAIN_MAX + 1);
	return space >= need || space >= w->tcp->snd_queue_max;
}

/* Over TLS, the pieces of DELIVER m gathered so the stanza leaves as one
 * record (22 bytes of overhead and one AEAD pass, not one per piece). */
static void route_write_gathered(struct sb_xc_worker *xw, struct sb_xc_conn *x,
				 const struct sb_msg *m, const struct sb_msg_stanza *h)
{
	size_t skip = sb_msg_stanza_bytes_off(h), got = 0;

	for (const struct sb_msg *o = m; o != NULL && got < h->bytes_len; o = o->next) {
		size_t n;

		if (skip >= o->len) {
			skip -= o->len;
			continue;
		}
		n = RTE_MIN((size_t)(o->len - skip), h->bytes_len - got);
		memcpy(xw->tls_plain + got, o->payload + skip, n);
		got += n;
		skip = 0;
	}
	sb_xc_write(xw, x, xw->tls_plain, got);
}

void sb_xc_deliver_write(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
			 const struct sb_msg_stanza *h)
{
	struct sb_worker *w = xw->w;
	size_t skip = sb_msg_stanza_bytes_off(h);

	if (x->tls != NULL && h->bytes_len <= xw->tls_plain_cap && m->next != NULL) {
		route_write_gathered(xw, x, m, h);
	} else {
		for (const struct sb_msg *o = m; o != NULL && !(x->flags & SB_XC_F_CLOSING);
		     o = o->next) {
			if (skip >= o->len) {
				skip -= o->len;
				continue;
			}
			sb_xc_write(xw, x, o->payload + skip, o->len - skip);
			skip = 0;
		}
	}
	SB_CTR_INC(w, xmpp_delivered);
	/* In the send queue: the next window of stored messages may come. A
	 * write that closed x asks for nothing (the rest stays stored). */
	if (!(x->flags & SB_XC_F_CLOSING))
		sb_xc_flush_more(xw, x, m);
}

/* A DELIVER for live, bound x: written at once when nothing is held and
 * the send queue takes it; else held behind the others (xc_hold.c), so a
 * slow reader delays its own stanzas and loses none. A closing x holds
 * them for the return that follows its close. */
bool sb_xc_deliver(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_msg_stanza h;

	if (sb_msg_stanza_read(m, &h) < 0) {
		SB_CTR_INC(w, msg_bad);
		return false;
	}
	/* XEP-0352: an inactive client is spared what is not urgent. */
	if ((x->csi != NULL || sb_c2s_csi_inactive(&x->c2s)) && sb_xc_csi_take(xw, x, m, &h))
		return true;
	return sb_xc_deliver_out(xw, x, m, &h);
}

bool sb_xc_deliver_out(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
		       const struct sb_msg_stanza *h)
{
	if (x->held_head == NULL && !(x->flags & SB_XC_F_CLOSING) &&
	    sb_xc_deliver_fits(xw, x, h) && !sb_xc_sm_full(xw, x)) {
		sb_xc_deliver_write(xw, x, m, h);
		return sb_xc_sm_keep(xw, x, m); /* kept until acknowledged */
	}
	sb_xc_hold(xw, x, m, h);
	return true;
}

/* Write chain bytes [off, off + len) of m to x, object by object. */
static void route_write_range(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m,
			      size_t off, size_t len)
{
	for (const struct sb_msg *o = m; o != NULL && len > 0; o = o->next) {
		size_t n;

		if (off >= o->len) {
			off -= o->len;
			continue;
		}
		n = RTE_MIN((size_t)o->len - off, len);
		sb_xc_write(xw, x, o->payload + off, n);
		len -= n;
		off = 0;
	}
}

/* " to='jid'" with the five predefined entities escaped (a resource may
 * hold any of them). */
static void route_write_to(struct sb_xc_worker *xw, struct sb_xc_conn *x, const char *jid)
{
	const char *run = jid;

	sb_xc_write(xw, x, (const uint8_t *)" to='", 5);
	for (const char *p = jid; *p != '\0'; p++) {
		const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
				: *p == '\'' ? "&apos;" : *p == '"' ? "&quot;" : NULL;

		if (rep == NULL)
			continue;
		sb_xc_write(xw, x, (const uint8_t *)run, (size_t)(p - run));
		sb_xc_write(xw, x, (const uint8_t *)rep, strlen(rep));
		run = p + 1;
	}
	sb_xc_write(xw, x, (const uint8_t *)run, strlen(run));
	sb_xc_write(xw, x, (const uint8_t *)"'", 1);
}

bool sb_xc_deliver_multi(struct sb_xc_worker *xw, const struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_msg_multi mh;
	struct sb_msg_stanza h;
	size_t base;

	if (sb_msg_multi_read(m, &mh, &h) < 0) {
		SB_CTR_INC(w, msg_bad);
		return true;
	}
	base = sb_msg_multi_stanza_off(mh.n) + sb_msg_stanza_bytes_off(&h);
	/* Copies would take the mbufs kept for receiving and for the ACKs
	 * that free send queues; a failed write resets its reader. So the
	 * fan-out waits, with everything behind it from its shard, until the
	 * pool is back above the reserve: a login's presence is the only one
	 * its contacts get until the next, and must not be lost to a burst.
	 * (One pool count per message, not per copy: it walks every lcore
	 * cache.) */
	if (rte_mempool_avail_count(w->pkt_pool) < w->mbuf_reserve) {
		SB_CTR_INC(w, xmpp_multi_deferred);
		w->mbufs_low = true; /* no more deliveries until the recount */
		return false;
	}
	for (uint32_t i = 0; i < mh.n; i++) {
		struct sb_msg_target t;
		struct sb_xc_conn *x;

		sb_msg_read(m, sizeof(mh) + i * sizeof(t), &t, sizeof(t));
		x = sb_xc_by_handle(xw, t.conn, t.conn_gen);
		if (x == NULL || !sb_c2s_bound(&x->c2s) || x->jid == NULL ||
		    (x->flags & SB_XC_F_CLOSING))
			continue;
		/* XEP-0352: kept for an inactive client (the newest per
		 * contact), on a chain of its own. */
		if (sb_c2s_csi_inactive(&x->c2s) && sb_xc_csi_multi(xw, x, m, &mh, &h, base))
			continue;
		if (x->held_head != NULL ||
		    sb_conn_snd_space(w, x->conn) < h.bytes_len + 6u * strlen(x->jid) + 8u) {
			/* A reader behind on its stanzas: this copy would
			 * overtake them or not fit. Presence is state, and the
			 * next one replaces it; counted, not held. */
			SB_CTR_INC(w, xmpp_multi_skipped);
			continue;
		}
		route_write_range(xw, x, m, base, mh.to_off);
		route_write_to(xw, x, x->jid);
		route_write_range(xw, x, m, base + mh.to_off, h.bytes_len - mh.to_off);
		sb_xc_sm_sent(x);
		SB_CTR_INC(w, xmpp_delivered);
	}
	return true;
}
