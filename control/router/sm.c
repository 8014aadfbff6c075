/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0198 §5 resumption in a control shard (sm.h has the design): the
 * SM state of resumable sessions, hibernation, the per-session queue,
 * resume (here or on another worker), window expiry with tombstones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "router.h"
#include "shard.h"
#include "sm.h"

static uint64_t sm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* XEP-0198 §4: serial number a at or before b, mod 2^32. */
static bool sm_le(uint32_t a, uint32_t b)
{
	return (uint32_t)(b - a) < 0x80000000u;
}

/* The payload of an SM message, checked against its object. */
static bool sm_payload(const struct sb_msg *m, struct sb_msg_sm *p, const char **jid)
{
	if (m->len < sizeof(*p))
		return false;
	memcpy(p, m->payload, sizeof(*p));
	if (sizeof(*p) + p->jid_len > m->len || p->bare_len > p->jid_len || p->bare_len == 0)
		return false;
	*jid = (const char *)m->payload + sizeof(*p);
	return true;
}

/* The session m names by JID, if it is still m's connection's. */
static struct sb_session *sm_session_of(struct sb_router *r, const struct sb_msg *m,
					const struct sb_msg_sm *p, const char *jid)
{
	struct sb_session *s = sb_session_find(&r->sessions, jid, p->jid_len, p->bare_len);

	if (s == NULL || s->worker != m->worker || s->conn != m->conn || s->conn_gen != m->conn_gen)
		return NULL;
	return s;
}

static void sm_unlink(struct sb_sm_shard *q, struct sb_session_sm *sm)
{
	if (!sm->hibernated)
		return;
	if (sm->prev != NULL)
		sm->prev->next = sm->next;
	else
		q->head = sm->next;
	if (sm->next != NULL)
		sm->next->prev = sm->prev;
	else
		q->tail = sm->prev;
	sm->prev = sm->next = NULL;
	sm->hibernated = false;
	q->hibernated--;
}

/* Into the hibernated list by deadline: from the tail, where a new one
 * nearly always belongs (most clients get the same window). */
static void sm_link(struct sb_sm_shard *q, struct sb_session_sm *sm)
{
	struct sb_session_sm *after = q->tail;

	while (after != NULL && after->deadline_ms > sm->deadline_ms)
		after = after->prev;
	sm->prev = after;
	sm->next = after != NULL ? after->next : q->head;
	if (sm->next != NULL)
		sm->next->prev = sm;
	else
		q->tail = sm;
	if (after != NULL)
		after->next = sm;
	else
		q->head = sm;
	sm->hibernated = true;
	q->hibernated++;
}

/* RESUME_RESP to (worker, conn, gen): status 0 with s's JID and count,
 * or a failure with the count when h_known. */
static void sm_resp(struct sb_shard *sh, uint16_t worker, uint64_t conn, uint32_t gen,
		    const struct sb_session *s, int16_t status, uint32_t h_in, bool h_known)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_sm p = { .h_in = h_in };
	struct sb_msg *m = r->pool.alloc(r->pool.arg);

	if (m == NULL) {
		/* The new connection waits for its login deadline. */
		SB_ROUTE_INC(r, pool_empty);
		return;
	}
	sb_msg_encode(m, SB_MSG_RESUME_RESP, worker, sh->index, 0, 0, 0);
	m->owner = SB_MSG_OWNER_CONTROL;
	m->flags = SB_MSG_F_FROM_CONTROL;
	m->conn = conn;
	m->conn_gen = gen;
	m->status = status;
	if (s != NULL) {
		memcpy(p.id, s->sm->id, sizeof(p.id));
		p.jid_len = s->jid_len;
		p.bare_len = s->bare_len;
		p.flags = s->available ? SB_MSG_SM_AVAILABLE : 0;
	} else if (h_known) {
		p.flags = SB_MSG_SM_H_KNOWN;
	}
	if (sb_msg_append(m, &p, sizeof(p), &r->pool) < 0 ||
	    (s != NULL && sb_msg_append(m, s->jid, s->jid_len, &r->pool) < 0)) {
		SB_ROUTE_INC(r, pool_empty);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	sb_router_send(sh, worker, m);
}

void sb_sm_enable(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_sm p;
	const char *jid;
	struct sb_session *s;

	if (!sm_payload(m, &p, &jid)) {
		SB_ROUTE_INC(r, malformed);
	} else if ((s = sm_session_of(r, m, &p, jid)) != NULL) {
		if (s->sm == NULL)
			s->sm = calloc(1, sizeof(*s->sm));
		if (s->sm != NULL) {
			memcpy(s->sm->id, p.id, sizeof(p.id));
			s->sm->max_s = p.max_s;
			s->sm->sess = s;
			SB_ROUTE_INC(r, sm_enabled);
		}
	}
	sb_msg_free_chain(m, &r->pool);
}

/* Session s now lives on (worker, conn, gen), whose client had h stanzas:
 * tell it, then send it the queue less what h covers. */
static void sm_complete(struct sb_shard *sh, struct sb_session *s, uint16_t worker, uint64_t conn,
			uint32_t gen, uint32_t h)
{
	struct sb_router *r = &sh->router;
	struct sb_session_sm *sm = s->sm;
	struct sb_msg *q = sm->q_head;

	sm_unlink(&r->sm, sm);
	sm->resume_pending = false;
	sm->resume_h = h;
	sm->q_head = sm->q_tail = NULL;
	sm->q_n = 0;
	s->worker = worker;
	s->conn = conn;
	s->conn_gen = gen;
	SB_ROUTE_INC(r, sm_resumed);
	sm_resp(sh, worker, conn, gen, s, 0, sm->h_in, false);
	while (q != NULL) {
		struct sb_msg *m = q;

		q = m->held;
		m->held = NULL;
		if ((m->flags & SB_MSG_F_SM_SENT) && sm_le((uint32_t)m->sm_seq, h)) {
			/* The client had it: its ack was lost with the link. */
			SB_ROUTE_INC(r, sm_replay_had);
			sb_msg_free_chain(m, &r->pool);
			continue;
		}
		m->flags &= (uint8_t)~(SB_MSG_F_RETURNED | SB_MSG_F_SM_SENT | SB_MSG_F_FLUSH_MORE);
		SB_ROUTE_INC(r, sm_replayed);
		sb_router_deliver(sh, m, s);
	}
	/* After the queue: stored offline messages are newer than it. */
	sb_im_offline_resumed(sh, s);
}

/* XEP-0357: what the dead connection gave back waits for the client;
 * one notification for the newest message among it (not one per stanza
 * of the burst). */
static void sm_push_queued(struct sb_shard *sh, const struct sb_session *s)
{
	if (s->sm->q_head != NULL)
		sb_im_push_hibernated(sh, s, s->sm->q_head, s->sm->q_n);
}

void sb_sm_hibernate(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_sm p;
	const char *jid;
	struct sb_session *s;
	struct sb_session_sm *sm;

	if (!sm_payload(m, &p, &jid)) {
		SB_ROUTE_INC(r, malformed);
		goto out;
	}
	s = sm_session_of(r, m, &p, jid);
	if (s == NULL) {
		SB_ROUTE_INC(r, unbind_unknown);
		goto out;
	}
	if (s->sm == NULL) {
		/* Its SM_ENABLE was lost (pool dry): an ordinary end. */
		sb_sm_end(sh, s, false);
		goto out;
	}
	sm = s->sm;
	sm->h_in = p.h_in;
	if (sm->resume_pending) {
		sm_complete(sh, s, sm->rworker, sm->rconn, sm->rgen, sm->rh);
		goto out;
	}
	sm->deadline_ms = sm_now_ms() + (uint64_t)sm->max_s * 1000u;
	sm_link(&r->sm, sm);
	SB_ROUTE_INC(r, sm_hibernated);
	sm_push_queued(sh, s);
out:
	sb_msg_free_chain(m, &r->pool);
}

static const struct sb_sm_tomb *sm_tomb_find(const struct sb_sm_shard *q, const uint8_t *id)
{
	uint64_t now = 0;

	for (uint32_t i = 0; q->tombs != NULL && i < SB_SM_TOMBS; i++) {
		const struct sb_sm_tomb *t = &q->tombs[i];

		if (t->until_ms == 0 || memcmp(t->id, id, SB_MSG_SM_ID) != 0)
			continue;
		if (now == 0)
			now = sm_now_ms();
		return t->until_ms > now ? t : NULL;
	}
	return NULL;
}

void sb_sm_resume(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_sm p;
	const char *bare;
	struct sb_session_user *u;
	struct sb_session *s = NULL;
	const struct sb_sm_tomb *t;

	if (!sm_payload(m, &p, &bare)) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	u = sb_session_user_find(&r->sessions, bare, p.bare_len);
	for (s = u != NULL ? u->res : NULL; s != NULL; s = s->next)
		if (s->sm != NULL && memcmp(s->sm->id, p.id, sizeof(p.id)) == 0)
			break;
	if (s == NULL) {
		t = sm_tomb_find(&r->sm, p.id);
		SB_ROUTE_INC(r, sm_resume_unknown);
		sm_resp(sh, m->worker, m->conn, m->conn_gen, NULL, -ENOENT, t ? t->h_in : 0,
			t != NULL);
	} else if (s->sm->hibernated) {
		sm_complete(sh, s, m->worker, m->conn, m->conn_gen, p.h_out);
	} else {
		/* §5: the old stream is still open: it ends with conflict and
		 * hands the session over; the resume completes then. */
		struct sb_session_sm *sm = s->sm;
		struct sb_msg *k;

		if (sm->resume_pending)
			sm_resp(sh, sm->rworker, sm->rconn, sm->rgen, NULL, -ENOENT, 0, false);
		sm->resume_pending = true;
		sm->rworker = m->worker;
		sm->rconn = m->conn;
		sm->rgen = m->conn_gen;
		sm->rh = p.h_out;
		SB_ROUTE_INC(r, sm_resume_conflict);
		k = r->pool.alloc(r->pool.arg);
		if (k != NULL) {
			sb_msg_encode(k, SB_MSG_KICK, s->worker, sh->index, 0, 0, 0);
			k->owner = SB_MSG_OWNER_CONTROL;
			k->conn = s->conn;
			k->conn_gen = s->conn_gen;
			k->status = SB_MSG_KICK_RESUMED;
			sb_router_send(sh, s->worker, k);
		} else {
			SB_ROUTE_INC(r, pool_empty);
		}
	}
	sb_msg_free_chain(m, &r->pool);
}

bool sb_sm_take(struct sb_shard *sh, struct sb_session *s, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_session_sm *sm = s->sm;
	bool own;

	if (sm == NULL)
		return false;
	own = (m->flags & SB_MSG_F_RETURNED) && m->worker == s->worker && m->conn == s->conn &&
	      m->conn_gen == s->conn_gen;
	if (!sm->hibernated && !own) {
		/* A copy the old stream had written, given back after the
		 * session moved on: the client's h at resume says whether it
		 * had it. */
		if ((m->flags & SB_MSG_F_SM_SENT) && sm_le((uint32_t)m->sm_seq, sm->resume_h)) {
			SB_ROUTE_INC(r, sm_replay_had);
			sb_msg_free_chain(m, &r->pool);
			return true;
		}
		return false;
	}
	m->held = NULL;
	if (sm->q_tail != NULL)
		sm->q_tail->held = m;
	else
		sm->q_head = m;
	sm->q_tail = m;
	sm->q_n++;
	SB_ROUTE_INC(r, sm_queued);
	if (sm->hibernated)
		sb_im_push_hibernated(sh, s, m, sm->q_n); /* XEP-0357: wake the phone */
	if (sm->hibernated && sm->q_n > r->sm.queue_max && sm->deadline_ms != 0) {
		/* Too much waits for a client that is away: end the session
		 * at the next turn (not here: a caller may be walking the
		 * user's sessions). */
		SB_ROUTE_INC(r, sm_queue_full);
		sm_unlink(&r->sm, sm);
		sm->deadline_ms = 0;
		sm_link(&r->sm, sm);
	}
	return true;
}

struct sb_msg *sb_sm_detach(struct sb_shard *sh, struct sb_session *s)
{
	struct sb_session_sm *sm = s->sm;
	struct sb_msg *q;

	if (sm == NULL)
		return NULL;
	sm_unlink(&sh->router.sm, sm);
	if (sm->resume_pending)
		sm_resp(sh, sm->rworker, sm->rconn, sm->rgen, NULL, -ENOENT, 0, false);
	q = sm->q_head;
	free(sm);
	s->sm = NULL;
	return q;
}

void sb_sm_reroute(struct sb_shard *sh, struct sb_msg *q)
{
	while (q != NULL) {
		struct sb_msg *m = q;

		q = m->held;
		m->held = NULL;
		m->kind = SB_MSG_STANZA;
		m->flags = (uint8_t)((m->flags & ~SB_MSG_F_SM_SENT) | SB_MSG_F_RETURNED);
		sb_router_stanza(sh, m);
	}
}

static void sm_tomb_add(struct sb_sm_shard *q, const struct sb_session_sm *sm)
{
	struct sb_sm_tomb *t;

	if (q->tombs == NULL)
		q->tombs = calloc(SB_SM_TOMBS, sizeof(*q->tombs));
	if (q->tombs == NULL)
		return;
	t = &q->tombs[q->tomb_next];
	q->tomb_next = (q->tomb_next + 1) % SB_SM_TOMBS;
	memcpy(t->id, sm->id, sizeof(t->id));
	t->h_in = sm->h_in;
	t->until_ms = sm_now_ms() + SB_SM_TOMB_MS;
}

void sb_sm_end(struct sb_shard *sh, struct sb_session *s, bool expired)
{
	struct sb_router *r = &sh->router;
	struct sb_msg *q;

	if (expired && s->sm != NULL)
		sm_tomb_add(&r->sm, s->sm);
	/* RFC 6121 §4.5.2: gone without unavailable presence. */
	sb_im_session_gone(sh, s);
	q = sb_sm_detach(sh, s);
	if (sb_session_unbind(&r->sessions, s->jid, s->jid_len, s->bare_len, s->conn,
			      s->conn_gen) == 0)
		SB_ROUTE_INC(r, unbinds);
	sb_sm_reroute(sh, q);
}

unsigned sb_sm_turn(struct sb_shard *sh)
{
	struct sb_sm_shard *q = &sh->router.sm;
	unsigned n = 0;
	uint64_t now;

	if (q->head == NULL)
		return 0;
	now = sm_now_ms();
	while (q->head != NULL && q->head->deadline_ms <= now && n < 64u) {
		SB_ROUTE_INC(&sh->router, sm_expired);
		sb_sm_end(sh, q->head->sess, true);
		n++;
	}
	return n;
}
