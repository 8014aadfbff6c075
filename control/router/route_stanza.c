/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stanza routing (the rules are in route.c's header). A stanza arrives as a
 * chain whose payload is struct sb_msg_stanza, the recipient, sender and id
 * strings, then the bytes the recipient gets. The first recipient gets the
 * chain itself (re-labelled DELIVER: nothing is copied); any further one a
 * copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "component/component.h"
#include "router.h"
#include "shard.h"
#include "xmpp_error.h"

#define JID_MAX SB_ROUTE_JID_MAX

int sb_router_buffers_init(struct sb_router *r, uint64_t max_stanza_bytes)
{
	/* The error stanza names both JIDs and repeats the id; the rest of it
	 * is a few hundred bytes of markup. */
	r->err_cap = (size_t)max_stanza_bytes + 2u * SB_ROUTE_JID_MAX + 1024u;
	r->in.id_cap = (size_t)max_stanza_bytes;
	r->in.id = malloc(r->in.id_cap + 1u);
	r->err_body = malloc(r->err_cap);
	return r->in.id != NULL && r->err_body != NULL ? 0 : -ENOMEM;
}

int sb_router_parse(const struct sb_msg *m, struct sb_route_in *in)
{
	if (sb_msg_stanza_read(m, &in->st) < 0 || in->st.from_len == 0 ||
	    in->st.id_len > in->id_cap)
		return -EINVAL;
	sb_msg_read(m, sizeof(in->st), in->to, in->st.to_len);
	sb_msg_read(m, sizeof(in->st) + in->st.to_len, in->from, in->st.from_len);
	sb_msg_read(m, sb_msg_stanza_bytes_off(&in->st) + in->st.id_off, in->id, in->st.id_len);
	in->to[in->st.to_len] = in->from[in->st.from_len] = in->id[in->st.id_len] = '\0';
	return 0;
}

static const char *const kind_names[SB_STANZA_KIND_MAX] = {
	[SB_STANZA_MESSAGE] = "message",
	[SB_STANZA_PRESENCE] = "presence",
	[SB_STANZA_IQ] = "iq",
};

/* Answer the sender with an error stanza (RFC 6120 §8.3) built here; the
 * original content is not echoed back. The sender's connection is the one
 * the stanza header names: a returned stanza's message was re-addressed. */
void sb_router_error(struct sb_shard *sh, const struct sb_route_in *in,
		     const char *etype, const char *cond, enum sb_route_ctr c)
{
	sb_router_error_app(sh, in, etype, cond, NULL, c);
}

void sb_router_error_app(struct sb_shard *sh, const struct sb_route_in *in, const char *etype,
			 const char *cond, const char *app, enum sb_route_ctr c)
{
	struct sb_router *r = &sh->router;
	char *body = r->err_body;
	const char *from = in->st.to_len ? in->to : r->domain;
	size_t from_len = in->st.to_len ? in->st.to_len : r->domain_len;
	struct sb_msg_stanza st = { .kind = in->st.kind, .type = SB_STYPE_ERROR };
	const struct sb_xmpp_error spec = {
		.kind = kind_names[in->st.kind],
		.from = from,
		.from_len = from_len,
		.to = in->from,
		.to_len = in->st.from_len,
		.id = in->st.id_len ? in->id : NULL,
		.id_len = in->st.id_len,
		.type = etype,
		.condition = cond,
		.app = app,
	};
	struct sb_msg *e;
	int n;

	if (in->st.from_worker >= sh->n_workers && in->st.from_worker != SB_COMP_WORKER) {
		SB_ROUTE_INC(r, malformed); /* names no worker: nowhere to answer */
		return;
	}
	if (in->st.type == SB_STYPE_ERROR) {
		SB_ROUTE_INC(r, dropped_error);
		return;
	}
	n = sb_xmpp_error_write(&spec, body, r->err_cap);
	e = r->pool.alloc(r->pool.arg);
	if (e == NULL || n < 0) {
		SB_ROUTE_INC(r, pool_empty);
		if (e != NULL)
			sb_msg_free_chain(e, &r->pool);
		return;
	}
	sb_msg_encode(e, SB_MSG_DELIVER, in->st.from_worker, sh->index, 0, 0, 0);
	e->owner = SB_MSG_OWNER_CONTROL;
	e->conn = in->st.from_conn;
	e->conn_gen = in->st.from_gen;
	st.to_len = in->st.from_len;
	st.to_bare_len = in->st.from_bare_len;
	st.from_len = (uint16_t)from_len;
	st.from_bare_len = (uint16_t)from_len;
	st.bytes_len = (uint32_t)n;
	if (sb_msg_append(e, &st, sizeof(st), &r->pool) < 0 ||
	    sb_msg_append(e, in->from, in->st.from_len, &r->pool) < 0 ||
	    sb_msg_append(e, from, from_len, &r->pool) < 0 ||
	    sb_msg_append(e, body, (size_t)n, &r->pool) < 0) {
		SB_ROUTE_INC(r, pool_empty);
		sb_msg_free_chain(e, &r->pool);
		return;
	}
	r->ctr[c]++;
	sb_router_send(sh, in->st.from_worker, e);
}

/* A copy of chain m (for a second recipient); NULL when the pool is empty. */
struct sb_msg *sb_router_copy(struct sb_router *r, const struct sb_msg *m)
{
	struct sb_msg *c = r->pool.alloc(r->pool.arg);
	uint8_t buf[1024];
	size_t off = 0;

	if (c == NULL)
		return NULL;
	sb_msg_encode(c, (enum sb_msg_kind)m->kind, m->worker, m->shard, 0, m->seq, m->t0_tsc);
	c->owner = SB_MSG_OWNER_CONTROL;
	while (off < m->total_len) {
		size_t n = sb_msg_read(m, off, buf, sizeof(buf));

		if (sb_msg_append(c, buf, n, &r->pool) < 0) {
			sb_msg_free_chain(c, &r->pool);
			return NULL;
		}
		off += n;
	}
	return c;
}

void sb_router_deliver(struct sb_shard *sh, struct sb_msg *m, const struct sb_session *s)
{
	/* XEP-0198: a hibernated session's stanzas wait for its resume. */
	if (s->sm != NULL && sb_sm_take(sh, (struct sb_session *)s, m))
		return;
	m->kind = SB_MSG_DELIVER;
	m->conn = s->conn;
	m->conn_gen = s->conn_gen;
	if (sb_router_send(sh, s->worker, m) == 0)
		SB_ROUTE_INC(&sh->router, delivered);
}

/* Deliver to every available resource of the highest non-negative priority
 * (RFC 6121 §8.5.2.1.1). Returns how many got it; m is consumed when > 0. */
unsigned sb_router_to_user(struct sb_shard *sh, struct sb_msg *m, struct sb_session_user *u)
{
	struct sb_session *best[16];
	unsigned n = 0;
	int16_t top = 0;

	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
		if (!s->available || s->priority < 0 || s->priority < top)
			continue;
		if (s->priority > top)
			n = 0;
		top = s->priority;
		if (n < RTE_DIM(best))
			best[n++] = s;
	}
	for (unsigned i = 1; i < n; i++) {
		struct sb_msg *c = sb_router_copy(&sh->router, m);

		if (c == NULL) {
			SB_ROUTE_INC(&sh->router, pool_empty);
			break;
		}
		sb_router_deliver(sh, c, best[i]);
	}
	if (n > 0)
		sb_router_deliver(sh, m, best[0]);
	return n;
}

/* Whether m was given back by session s's own connection. Its UNBIND is
 * ahead of it on the ring, so this only guards against a loop. */
static bool route_returned_by(const struct sb_msg *m, const struct sb_session *s)
{
	return (m->flags & SB_MSG_F_RETURNED) && s->worker == m->worker && s->conn == m->conn &&
	       s->conn_gen == m->conn_gen;
}

static bool route_local(const struct sb_router *r, const struct sb_route_in *in)
{
	const char *at = memchr(in->to, '@', in->st.to_bare_len);
	const char *dom = at ? at + 1 : in->to;
	size_t dlen = in->st.to_bare_len - (size_t)(dom - in->to);

	return dlen == r->domain_len && memcmp(dom, r->domain, dlen) == 0;
}

static bool route_is_sub(uint8_t type)
{
	return type == SB_STYPE_SUBSCRIBE || type == SB_STYPE_SUBSCRIBED ||
	       type == SB_STYPE_UNSUBSCRIBE || type == SB_STYPE_UNSUBSCRIBED ||
	       type == SB_STYPE_PROBE;
}

/* Presence to a local JID that is not a subscription stanza: directed
 * presence (RFC 6121 §4.6), remembered on the sender's session (its
 * shard), then delivered to the full JID's session or to every available
 * resource of the bare JID (§8.5.2.1.1 for presence). */
static void route_presence(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	SB_IM_INC(&sh->router.im, presence_directed);
	sb_im_presence_directed(sh, m, in);
}

void sb_router_stanza(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_route_in *in = &r->in;
	struct sb_session_user *u;
	struct sb_session *s;

	SB_ROUTE_INC(r, stanzas_in);
	if (m->flags & SB_MSG_F_RETURNED)
		SB_ROUTE_INC(r, returned);
	if (sb_router_parse(m, in) < 0) {
		SB_ROUTE_INC(r, malformed);
		goto free;
	}
	/* XEP-0198: given back by a resumable session's own connection (it
	 * died, or is handing its session over): kept for the resume. */
	if ((m->flags & SB_MSG_F_RETURNED) && in->st.to_len > in->st.to_bare_len) {
		s = sb_session_find(&r->sessions, in->to, in->st.to_len, in->st.to_bare_len);
		if (s != NULL && s->sm != NULL && sb_sm_take(sh, s, m))
			return;
	}
	if (in->st.to_len == 0) {
		/* For the sender's own account (RFC 6120 §10.3.3): presence
		 * is its availability and broadcast, an iq asks the server
		 * on the account's behalf (roster, disco). */
		if (in->st.kind == SB_STANZA_PRESENCE) {
			sb_im_presence_own(sh, m, in);
			return;
		}
		if (in->st.kind == SB_STANZA_IQ) {
			sb_im_iq(sh, m, in);
			return;
		}
		goto free;
	}
	if (!route_local(r, in)) {
		if (sb_im_block_route(sh, m, in))
			return; /* XEP-0191: the sender's block list */
		if (in->st.kind == SB_STANZA_PRESENCE && !route_is_sub(in->st.type) &&
		    in->st.from_worker != SB_COMP_WORKER &&
		    sb_comp_is(sh, in->to, in->st.to_bare_len)) {
			/* A user's directed presence to a component (a group
			 * chat join): remembered, then to the component. */
			route_presence(sh, m, in);
			return;
		}
		if (sb_comp_route(sh, m, in))
			return; /* to an external component (XEP-0114) */
		sb_router_error(sh, in, "cancel", "remote-server-not-found",
				SB_ROUTE_CTR_err_remote);
		goto free;
	}
	if (sb_im_block_route(sh, m, in))
		return; /* XEP-0191: a block list of the sender or the recipient */
	if (in->st.kind == SB_STANZA_PRESENCE && route_is_sub(in->st.type)) {
		sb_im_presence_sub(sh, m, in);
		return;
	}
	if (in->st.kind == SB_STANZA_PRESENCE) {
		route_presence(sh, m, in);
		return;
	}
	if (in->st.kind == SB_STANZA_MESSAGE) {
		/* Carbons, archive, stanza-id (control/im/im_msg.c). */
		m = sb_im_message(sh, m, in);
		if (m == NULL)
			return;
		/* Behind a flush of stored messages, stored too (order). */
		if (sb_im_offline_behind(sh, m, in))
			return;
	}
	if (in->st.to_len > in->st.to_bare_len) {
		s = sb_session_find(&r->sessions, in->to, in->st.to_len, in->st.to_bare_len);
		if (s != NULL && !route_returned_by(m, s)) {
			sb_router_deliver(sh, m, s);
			return;
		}
		if (in->st.kind == SB_STANZA_IQ)
			goto none;
	} else if (in->st.kind == SB_STANZA_IQ) {
		/* To the domain or an account: the server answers. */
		sb_im_iq(sh, m, in);
		return;
	}
	u = sb_session_user_find(&r->sessions, in->to, in->st.to_bare_len);
	if (sb_router_to_user(sh, m, u) > 0)
		return;
	if (in->st.kind == SB_STANZA_MESSAGE) {
		sb_im_offline(sh, m, in);
		return;
	}
none:
	sb_router_error(sh, in, "cancel", "service-unavailable", SB_ROUTE_CTR_err_unavailable);
free:
	sb_msg_free_chain(m, &r->pool);
}
