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

#include "ring/ctl_link.h"
#include "worker.h"
#include "xconn.h"
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

static const char *const route_kind_name[SB_C2S_KIND_MAX] = {
	[SB_C2S_KIND_MESSAGE] = "message",
	[SB_C2S_KIND_PRESENCE] = "presence",
	[SB_C2S_KIND_IQ] = "iq",
};

/* sb-control is away: tell the sender to wait and retry (RFC 6120 §8.3.2);
 * presence and errors are dropped as RFC 6120 §8.3.1 asks. */
static void route_wait_error(struct sb_worker *w, struct sb_xconn *x, const char *to,
			     size_t to_len)
{
	const struct sb_c2s_stanza *st = &w->xmpp->env.res.stanza;
	const struct sb_c2s_config *cfg = &w->xmpp->env.cfg;
	struct sb_xmpp_error e = {
		.kind = route_kind_name[st->kind],
		.from = to_len ? to : cfg->domain,
		.from_len = to_len ? to_len : cfg->domain_len,
		.id = (const char *)st->id,
		.id_len = st->id_len,
		.type = "wait",
		.condition = "service-unavailable",
	};
	char buf[8192];
	int n;

	if (st->kind == SB_C2S_KIND_PRESENCE || st->type == SB_C2S_T_ERROR)
		return;
	e.to = sb_c2s_full_jid(&x->c2s, &e.to_len);
	n = sb_xmpp_error_write(&e, buf, sizeof(buf));
	if (n > 0)
		sb_xconn_write(w, x, (const uint8_t *)buf, (size_t)n);
}

/* Pack the ROUTE result into a message chain; NULL when the pool is dry. */
static struct sb_msg *route_pack(struct sb_worker *w, struct sb_xconn *x, const char *to,
				 size_t to_len, size_t to_bare_len)
{
	const struct sb_c2s_stanza *st = &w->xmpp->env.res.stanza;
	struct sb_msg_stanza h = {
		.kind = route_kind[st->kind],
		.type = route_type[st->type],
		.to_len = (uint16_t)to_len,
		.to_bare_len = (uint16_t)to_bare_len,
		.from_len = x->c2s.jid_len,
		.from_bare_len = x->c2s.bare_len,
		.id_len = (uint16_t)st->id_len,
		.bytes_len = (uint32_t)st->len,
	};
	struct sb_msg *m = w->msg_ops.alloc(w->msg_ops.arg);

	if (m == NULL)
		return NULL;
	sb_msg_encode(m, SB_MSG_STANZA, w->index, 0, 0, ++w->hb_seq, rte_rdtsc());
	m->conn = sb_xconn_handle(x);
	m->conn_gen = x->gen;
	if (sb_msg_append(m, &h, sizeof(h), &w->msg_ops) < 0 ||
	    sb_msg_append(m, to, to_len, &w->msg_ops) < 0 ||
	    sb_msg_append(m, x->c2s.jid, x->c2s.jid_len, &w->msg_ops) < 0 ||
	    sb_msg_append(m, st->id, st->id_len, &w->msg_ops) < 0 ||
	    sb_msg_append(m, st->bytes, st->len, &w->msg_ops) < 0) {
		sb_msg_free_chain(m, &w->msg_ops);
		return NULL;
	}
	return m;
}

void sb_xconn_route(struct sb_worker *w, struct sb_xconn *x)
{
	struct sb_xmpp_worker *xw = w->xmpp;
	const struct sb_c2s_stanza *st = &xw->env.res.stanza;
	char *to = xw->to_buf;
	size_t to_len = 0, to_bare_len = 0;
	unsigned shard;
	struct sb_msg *m;
	int rc;

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
	m = route_pack(w, x, to, to_len, to_bare_len);
	if (m == NULL) {
		SB_CTR_INC(w, msg_alloc_fail);
		route_wait_error(w, x, to, to_len);
		return;
	}
	rc = sb_ctl_link_send(w, shard, m, rte_rdtsc());
	if (rc == 0) {
		SB_CTR_INC(w, xmpp_routed);
		return;
	}
	if (rc == -ENOBUFS && xw->n_blocked < RTE_DIM(xw->blocked)) {
		/* Ring full: hold the stanza and stop reading this client. */
		SB_CTR_INC(w, xmpp_ring_blocked);
		x->blocked = m;
		x->blocked_shard = (uint16_t)shard;
		x->flags |= SB_XC_F_BLOCKED;
		xw->blocked[xw->n_blocked++] = x;
		return;
	}
	SB_CTR_INC(w, xmpp_ctl_unavailable);
	sb_msg_free_chain(m, &w->msg_ops);
	route_wait_error(w, x, to, to_len);
}

/* Write a DELIVER's stanza bytes to x. */
void sb_xconn_deliver(struct sb_worker *w, struct sb_xconn *x, const struct sb_msg *m)
{
	struct sb_xmpp_worker *xw = w->xmpp;
	struct sb_msg_stanza h;
	size_t off;

	if (sb_msg_read(m, 0, &h, sizeof(h)) != sizeof(h) || h.bytes_len > xw->elem_cap) {
		SB_CTR_INC(w, msg_bad);
		return;
	}
	off = sizeof(h) + h.to_len + h.from_len + h.id_len;
	if (sb_msg_read(m, off, xw->elem, h.bytes_len) != h.bytes_len) {
		SB_CTR_INC(w, msg_bad);
		return;
	}
	sb_xconn_write(w, x, xw->elem, h.bytes_len);
	SB_CTR_INC(w, xmpp_delivered);
}
