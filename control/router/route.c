/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Sessions and stanza routing for one shard (RFC 6121 §8, simplified where
 * rosters and offline storage do not exist yet, see README.md):
 *
 *   to a full JID with a session   -> that session
 *   to a full JID without one      -> message: as to the bare JID;
 *                                     iq: service-unavailable; presence: dropped
 *   to a bare JID                  -> message and presence: every available
 *                                     resource of the highest non-negative
 *                                     priority; iq: service-unavailable (the
 *                                     server answers for the account)
 *   no available resource          -> message/iq: service-unavailable;
 *                                     presence: dropped
 *   another domain                 -> remote-server-not-found (no s2s)
 *   no to (the server), presence   -> records availability (RFC 6121 §4.2)
 *
 * An error is never answered with an error (RFC 6120 §8.3.1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "fifo.h"
#include "component/component.h"
#include "router.h"
#include "shard.h"

const char *const sb_route_ctr_names[SB_ROUTE_CTR_MAX] = {
#define SB_CTR(name, help) [SB_ROUTE_CTR_##name] = #name,
#include "route_counters.def"
#undef SB_CTR
};

int sb_router_backlog_init(struct sb_router *r, unsigned n_workers, uint32_t cap)
{
	for (unsigned w = 0; w < n_workers; w++) {
		r->backlog[w].q = calloc(cap, sizeof(r->backlog[w].q[0]));
		if (r->backlog[w].q == NULL)
			return -ENOMEM;
		r->backlog[w].cap = cap;
	}
	r->backlog_high = cap / 2;
	return 0;
}

static int route_enqueue(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	return sb_promise_enqueue(sh, w, m);
}

/* Double a backlog's capacity. A message that reached the shard is never
 * dropped for want of room: the backlog only grows past its configured
 * size by what one burst of stanzas fans out to, because the shard stops
 * reading its up rings above backlog_high (sb_router_congested). This runs
 * only past that size, so the allocation is off the steady path. */
static int route_backlog_grow(struct sb_route_backlog *b)
{
	void *q = b->q;
	int rc = sb_ctl_fifo_grow(&q, sizeof(b->q[0]), &b->head, b->n, &b->cap, b->cap * 2);

	b->q = q;
	return rc;
}

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_route_backlog *b;

	if (w == SB_COMP_WORKER)
		return sb_comp_deliver(sh, m); /* an answer to an external component */
	if (w >= sh->n_workers) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return -EINVAL;
	}
	m->epoch = sh->epoch;
	b = &r->backlog[w];
	/* Behind a backlog, never overtake it: order per worker is kept. */
	if (b->n == 0 && route_enqueue(sh, w, m) == 0)
		return 0;
	if (b->n == b->cap && route_backlog_grow(b) < 0) {
		sh->stats->ctr[SB_SHARD_CTR_ring_full]++;
		SB_ROUTE_INC(r, ring_full);
		sb_msg_free_chain(m, &r->pool);
		return -ENOBUFS;
	}
	sb_promise_keep(&r->pr, m); /* owed when the flush puts it on the ring */
	b->q[(b->head + b->n) % b->cap] = m;
	b->n++;
	r->backlog_total++;
	SB_ROUTE_INC(r, backlogged);
	return 0;
}

unsigned sb_router_flush(struct sb_shard *sh)
{
	struct sb_router *r = &sh->router;
	unsigned moved = 0;

	for (unsigned w = 0; w < sh->n_workers && r->backlog_total > 0; w++) {
		struct sb_route_backlog *b = &r->backlog[w];

		while (b->n > 0 && route_enqueue(sh, w, b->q[b->head]) == 0) {
			b->head = (b->head + 1) % b->cap;
			b->n--;
			r->backlog_total--;
			moved++;
		}
	}
	return moved;
}

/* A JID payload, checked against the object it came in. */
static const struct sb_msg_jid *route_jid(const struct sb_msg *m)
{
	const struct sb_msg_jid *j = (const struct sb_msg_jid *)m->payload;

	if (m->len < sizeof(*j) || sizeof(*j) + j->len > m->len || j->bare_len > j->len ||
	    j->bare_len == 0)
		return NULL;
	return j;
}

static void route_kick(struct sb_shard *sh, const struct sb_session *old)
{
	struct sb_msg *k = sh->router.pool.alloc(sh->router.pool.arg);

	if (k == NULL) {
		SB_ROUTE_INC(&sh->router, pool_empty);
		return;
	}
	sb_msg_encode(k, SB_MSG_KICK, old->worker, sh->index, 0, 0, 0);
	k->owner = SB_MSG_OWNER_CONTROL;
	k->conn = old->conn;
	k->conn_gen = old->conn_gen;
	k->status = -EEXIST; /* conflict: replaced by a newer session */
	sb_router_send(sh, old->worker, k);
}

/* The session just bound to j, stamped with the time (sbctl session shows
 * its age; a replayed one's age starts at the replay). */
static struct sb_session *route_stamp(struct sb_router *r, const struct sb_msg_jid *j)
{
	struct sb_session *s = sb_session_find(&r->sessions, j->jid, j->len, j->bare_len);

	if (s != NULL)
		s->bound_tsc = rte_rdtsc();
	return s;
}

void sb_router_bind(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	const struct sb_msg_jid *j = route_jid(m);
	struct sb_session *old = NULL;
	int rc;

	if (j == NULL) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	if (r->refuse_conflict && !(m->flags & SB_MSG_F_REPLAY)) {
		const struct sb_session *cur = sb_session_find(&r->sessions, j->jid, j->len,
							       j->bare_len);

		/* RFC 6120 §7.7.2.2, second option: the new bind is refused. */
		if (cur != NULL && (cur->conn != m->conn || cur->conn_gen != m->conn_gen)) {
			SB_ROUTE_INC(r, binds_refused);
			m->kind = SB_MSG_BIND_RESP;
			m->status = -EEXIST;
			sb_router_send(sh, m->worker, m);
			return;
		}
	}
	rc = sb_session_bind(&r->sessions, j->jid, j->len, j->bare_len, m->worker, m->conn,
			     m->conn_gen, &old);
	if (old != NULL) {
		/* A hibernated session replaced: what waited for it goes to
		 * the new one (or wherever routing says). */
		struct sb_msg *q = sb_sm_detach(sh, old);

		if (old->conn != m->conn || old->conn_gen != m->conn_gen) {
			SB_ROUTE_INC(r, binds_replaced);
			route_kick(sh, old);
		}
		sb_session_free(old);
		sb_sm_reroute(sh, q);
	}
	if (rc == 0)
		sb_im_user_bound(sh, j->jid, j->bare_len);
	if (rc < 0) {
		SB_ROUTE_INC(r, binds_refused);
	} else if (m->flags & SB_MSG_F_REPLAY) {
		struct sb_session *s = route_stamp(r, j);

		if (s != NULL) {
			s->available = (j->flags & SB_MSG_JID_AVAILABLE) != 0;
			s->priority = j->priority;
			if (s->available)
				sb_im_session_replayed(sh, s);
		}
		SB_ROUTE_INC(r, binds_replayed);
		sb_msg_free_chain(m, &r->pool);
		return;
	} else {
		route_stamp(r, j);
		SB_ROUTE_INC(r, binds);
	}
	m->kind = SB_MSG_BIND_RESP;
	m->status = (int16_t)rc;
	sb_router_send(sh, m->worker, m);
}

void sb_router_unbind(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	const struct sb_msg_jid *j = route_jid(m);
	struct sb_msg *q = NULL;

	if (j != NULL) {
		struct sb_session *s = sb_session_find(&r->sessions, j->jid, j->len, j->bare_len);

		/* RFC 6121 §4.5.2: a session that ends without unavailable
		 * presence (closed, reset, timed out) is broadcast as if it
		 * had sent it. */
		if (s != NULL && s->conn == m->conn && s->conn_gen == m->conn_gen) {
			sb_im_session_gone(sh, s);
			q = sb_sm_detach(sh, s);
		}
	}
	if (j == NULL)
		SB_ROUTE_INC(r, malformed);
	else if (sb_session_unbind(&r->sessions, j->jid, j->len, j->bare_len, m->conn,
				   m->conn_gen) == 0) {
		SB_ROUTE_INC(r, unbinds);
		if (sb_session_user_find(&r->sessions, j->jid, j->bare_len) == NULL)
			sb_im_user_gone(sh, j->jid, j->bare_len);
	} else
		SB_ROUTE_INC(r, unbind_unknown);
	sb_msg_free_chain(m, &r->pool);
	sb_sm_reroute(sh, q);
}
