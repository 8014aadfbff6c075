/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shard's half of admin.h: answering operator requests from its own
 * session table, on its own thread, between ring polls. One request is
 * worked at a time, oldest first; a list that has more buckets to walk,
 * or a kick or message that found the pool empty, is held for the next
 * turn (admin_held) so that the rings keep moving; a SHOW waits for its
 * worker's CONN_INFO (admin_wait), bounded by SB_ADMIN_INFO_WAIT_MS.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "admin.h"
#include "im_xml.h"
#include "router.h"
#include "shard.h"

void sb_admin_init(struct sb_router *r)
{
	cds_wfcq_init(&r->admin_head, &r->admin_tail);
	r->admin_held = NULL;
	r->admin_wait = NULL;
	r->admin_cookie = 0;
	r->admin_pending = 0;
}

static void admin_row(const struct sb_shard *sh, struct sb_admin_req *req,
		      const struct sb_session *s)
{
	struct sb_admin_row *row;

	req->sessions++;
	if (req->n >= req->cap)
		return; /* counted, not shown: the answer says how many were left out */
	row = &req->rows[req->n++];
	row->conn = s->conn;
	row->conn_gen = s->conn_gen;
	row->bound_tsc = s->bound_tsc;
	row->worker = s->worker;
	row->shard = sh->index;
	row->priority = s->priority;
	row->available = s->available;
	row->roster_requested = s->roster_requested;
	snprintf(row->jid, sizeof(row->jid), "%s", s->jid);
}

/* One turn of a LIST: true when the whole table has been walked. */
static bool admin_list(struct sb_shard *sh, struct sb_admin_req *req)
{
	const struct sb_session_table *t = &sh->router.sessions;
	uint32_t end = req->cursor + SB_ADMIN_BUCKETS_PER_TURN;

	for (; req->cursor <= t->mask && req->cursor < end; req->cursor++)
		for (const struct sb_session_user *u = t->buckets[req->cursor]; u; u = u->next)
			for (const struct sb_session *s = u->res; s != NULL; s = s->next)
				admin_row(sh, req, s);
	return req->cursor > t->mask;
}

/* The session of a full JID, or every session of a bare one, into rows. */
static void admin_find(struct sb_shard *sh, struct sb_admin_req *req)
{
	struct sb_session_table *t = &sh->router.sessions;

	if (req->jid_len > req->bare_len) {
		const struct sb_session *s = sb_session_find(t, req->jid, req->jid_len,
							     req->bare_len);

		if (s != NULL)
			admin_row(sh, req, s);
	} else {
		const struct sb_session_user *u = sb_session_user_find(t, req->jid, req->jid_len);

		for (const struct sb_session *s = u != NULL ? u->res : NULL; s != NULL; s = s->next)
			admin_row(sh, req, s);
	}
	req->rc = req->sessions > 0 ? 0 : -ENOENT;
}

/* A KICK with the reason as its payload to s's worker. -ENOBUFS when the
 * pool is empty. */
static int admin_kick_one(struct sb_shard *sh, const struct sb_admin_req *req,
			  const struct sb_session *s)
{
	struct sb_router *r = &sh->router;
	struct sb_msg *k = r->pool.alloc(r->pool.arg);
	size_t len = req->text_len > SB_MSG_KICK_TEXT_MAX ? SB_MSG_KICK_TEXT_MAX : req->text_len;

	if (k == NULL) {
		SB_ROUTE_INC(r, pool_empty);
		return -ENOBUFS;
	}
	sb_msg_encode(k, SB_MSG_KICK, s->worker, sh->index, (uint32_t)len, 0, 0);
	k->owner = SB_MSG_OWNER_CONTROL;
	k->conn = s->conn;
	k->conn_gen = s->conn_gen;
	k->status = req->status;
	k->total_len = (uint32_t)len;
	memcpy(k->payload, req->text, len);
	SB_ROUTE_INC(r, admin_kicked);
	sb_router_send(sh, s->worker, k);
	return 0;
}

/* KICK the session of a full JID or each of a bare JID's. A pool that runs
 * dry part-way holds the request; the sessions already told get a second
 * KICK next turn, which their worker counts as stale. */
static int admin_kick(struct sb_shard *sh, struct sb_admin_req *req)
{
	struct sb_session_table *t = &sh->router.sessions;
	uint64_t n = 0;

	if (req->jid_len > req->bare_len) {
		const struct sb_session *s = sb_session_find(t, req->jid, req->jid_len,
							     req->bare_len);

		if (s != NULL) {
			if (admin_kick_one(sh, req, s) < 0)
				return -ENOBUFS;
			n = 1;
		}
	} else {
		const struct sb_session_user *u = sb_session_user_find(t, req->jid, req->jid_len);

		for (const struct sb_session *s = u != NULL ? u->res : NULL; s; s = s->next, n++)
			if (admin_kick_one(sh, req, s) < 0)
				return -ENOBUFS;
	}
	req->sessions = n;
	req->rc = n > 0 ? 0 : -ENOENT;
	return 0;
}

/* A <message type='chat'/> from req->from to req->jid, built as the
 * dataplane would have stamped it and routed like any other: to the
 * recipient's available resources, else to offline storage (control/im).
 * It names no sender connection (from_worker past every worker), so an
 * error about it is dropped rather than answered. */
static int admin_send(struct sb_shard *sh, struct sb_admin_req *req)
{
	struct sb_router *r = &sh->router;
	char body[SB_ADMIN_TEXT_MAX * 6 + 3 * SB_MSG_JID_MAX * 6 + 256];
	struct imx_out o = { .p = body, .cap = sizeof(body) };
	char id[32];
	struct sb_msg_stanza st = {
		.kind = SB_STANZA_MESSAGE,
		.type = SB_STYPE_CHAT,
		.to_len = req->jid_len,
		.to_bare_len = req->bare_len,
		.from_len = req->from_len,
		.from_bare_len = (uint16_t)strcspn(req->from, "/"),
		.from_worker = UINT16_MAX,
	};
	const struct sb_session_user *u = sb_session_user_find(&r->sessions, req->jid,
								req->bare_len);
	struct sb_msg *m;

	snprintf(id, sizeof(id), "sbctl-%" PRIu64, req->id);
	imx_puts(&o, "<message");
	imx_attr_put(&o, "from", req->from, req->from_len);
	imx_attr_put(&o, "to", req->jid, req->jid_len);
	imx_puts(&o, " type='chat' id='");
	st.id_off = (uint32_t)o.len;
	st.id_len = (uint32_t)strlen(id);
	imx_puts(&o, id);
	imx_puts(&o, "'><body>");
	imx_esc(&o, req->text, req->text_len);
	imx_puts(&o, "</body></message>");
	if (o.over)
		return -E2BIG;
	st.bytes_len = (uint32_t)o.len;
	m = r->pool.alloc(r->pool.arg);
	if (m == NULL) {
		SB_ROUTE_INC(r, pool_empty);
		return -ENOBUFS;
	}
	sb_msg_encode(m, SB_MSG_STANZA, 0, sh->index, 0, 0, 0);
	m->owner = SB_MSG_OWNER_CONTROL;
	m->flags |= SB_MSG_F_FROM_CONTROL;
	if (sb_msg_append(m, &st, sizeof(st), &r->pool) < 0 ||
	    sb_msg_append(m, req->jid, req->jid_len, &r->pool) < 0 ||
	    sb_msg_append(m, req->from, req->from_len, &r->pool) < 0 ||
	    sb_msg_append(m, body, o.len, &r->pool) < 0) {
		SB_ROUTE_INC(r, pool_empty);
		sb_msg_free_chain(m, &r->pool);
		return -ENOBUFS;
	}
	/* What routing will find: available resources, else offline. */
	for (const struct sb_session *s = u != NULL ? u->res : NULL; s != NULL; s = s->next)
		req->sessions += s->available;
	SB_ROUTE_INC(r, admin_sent);
	sb_router_stanza(sh, m);
	return 0;
}

/* A live limit, written by the thread that reads it. */
static int admin_limit(struct sb_shard *sh, const struct sb_admin_req *req)
{
	struct sb_router *r = &sh->router;

	switch (req->limit) {
	case SB_ADMIN_LIM_MAX_SESSIONS:
		/* Sessions over a lowered bound stay; new binds are refused. */
		r->sessions.max_sessions = (uint32_t)req->value;
		return 0;
	case SB_ADMIN_LIM_MAX_RESOURCES:
		r->sessions.max_resources = (uint32_t)req->value;
		return 0;
	case SB_ADMIN_LIM_ROSTER_MAX_ITEMS:
		r->im.lim.roster_max_items = (uint32_t)req->value;
		return 0;
	case SB_ADMIN_LIM_OFFLINE_QUOTA:
		r->im.lim.offline_quota = (uint32_t)req->value;
		return 0;
	case SB_ADMIN_LIM_OFFLINE_COMMIT_US:
		r->im.lim.commit_tsc = req->value * rte_get_tsc_hz() / 1000000u;
		return 0;
	default:
		return -EINVAL;
	}
}

/* SHOW found its session: ask its worker for the connection's side
 * (CONN_INFO), and hold req until the answer or SB_ADMIN_INFO_WAIT_MS.
 * false: no message could be had, answer with what control knows. */
static bool admin_ask_worker(struct sb_shard *sh, struct sb_admin_req *req)
{
	struct sb_router *r = &sh->router;
	const struct sb_admin_row *row = &req->rows[0];
	struct sb_msg *m;

	if (req->n == 0 || row->worker >= sh->n_workers)
		return false;
	m = r->pool.alloc(r->pool.arg);
	if (m == NULL) {
		SB_ROUTE_INC(r, pool_empty);
		return false;
	}
	sb_msg_encode(m, SB_MSG_CONN_INFO, row->worker, sh->index, 0, ++r->admin_cookie, 0);
	m->owner = SB_MSG_OWNER_CONTROL;
	m->conn = row->conn;
	m->conn_gen = row->conn_gen;
	r->admin_wait = req;
	r->admin_wait_until_tsc = rte_rdtsc() + rte_get_tsc_hz() / 1000u * SB_ADMIN_INFO_WAIT_MS;
	sb_router_send(sh, row->worker, m);
	return true;
}

/* Work req for one turn: true when it is answered. */
static bool admin_run(struct sb_shard *sh, struct sb_admin_req *req)
{
	struct sb_session_table *t = &sh->router.sessions;
	int rc = 0;

	switch (req->op) {
	case SB_ADMIN_COUNT:
		req->sessions = t->sessions;
		req->users = t->users;
		break;
	case SB_ADMIN_LIST:
		if (!admin_list(sh, req))
			return false;
		break;
	case SB_ADMIN_USER:
		admin_find(sh, req);
		break;
	case SB_ADMIN_SHOW:
		admin_find(sh, req);
		if (admin_ask_worker(sh, req))
			return false; /* answered by sb_admin_conn_info() or the timeout */
		break;
	case SB_ADMIN_KICK:
		rc = admin_kick(sh, req);
		break;
	case SB_ADMIN_SEND:
		rc = admin_send(sh, req);
		if (rc != -ENOBUFS)
			req->rc = rc;
		break;
	case SB_ADMIN_LIMIT:
		req->rc = admin_limit(sh, req);
		break;
	default:
		req->rc = -EINVAL;
		break;
	}
	return rc != -ENOBUFS;
}

/* req is answered: hand it back to its poster. */
static void admin_finish(struct sb_router *r, struct sb_admin_req *req)
{
	SB_ROUTE_INC(r, admin_requests);
	__atomic_fetch_sub(&r->admin_pending, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
	sb_admin_put(req);
}

void sb_admin_conn_info(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_admin_req *req = r->admin_wait;

	if (req != NULL && m->seq == r->admin_cookie) {
		if (m->status == 0 && m->total_len == sizeof(req->rows[0].dp_info)) {
			sb_msg_read(m, 0, &req->rows[0].dp_info, sizeof(req->rows[0].dp_info));
			req->rows[0].dp = true;
		}
		r->admin_wait = NULL;
		admin_finish(r, req);
	}
	sb_msg_free_chain(m, &r->pool);
}

unsigned sb_admin_drain(struct sb_shard *sh)
{
	struct sb_router *r = &sh->router;
	struct sb_admin_req *req = r->admin_held;
	struct cds_wfcq_node *n;

	if (r->admin_wait != NULL) {
		/* The worker may never answer (ring full, connection gone). */
		if (rte_rdtsc() < r->admin_wait_until_tsc)
			return 0;
		req = r->admin_wait;
		r->admin_wait = NULL;
		admin_finish(r, req);
		return 1;
	}
	if (req == NULL) {
		if (cds_wfcq_empty(&r->admin_head, &r->admin_tail))
			return 0;
		n = cds_wfcq_dequeue_blocking(&r->admin_head, &r->admin_tail);
		if (n == NULL)
			return 0;
		req = caa_container_of(n, struct sb_admin_req, node);
	}
	r->admin_held = NULL;
	if (!admin_run(sh, req)) {
		if (r->admin_wait != req)
			r->admin_held = req;
		return 1;
	}
	admin_finish(r, req);
	return 1;
}
