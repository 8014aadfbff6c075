/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's XMPP requests to sb-control: credential lookups and PLAIN
 * checks, binds and unbinds, stanzas to route. A request goes to the shard
 * that owns the user, hash(bare JID) % shards (lib/jid); a stanza to the
 * shard that owns its recipient.
 *
 * Every request gets to sb-control while it lives. A full ring parks the
 * message on its connection (`pending`), puts the connection on the
 * shard's waiting list and pauses its input, so the client's TCP window
 * closes; sb_xc_ctl_turn() retries the lists in order. sb-control being
 * gone parks requests the same way, for rings.control_grace_ms, so that a
 * restart (systemd's, a second or two) is a pause to the clients, not an
 * error. Only when sb-control stays gone past that is a request answered
 * here: logins and binds with a stream error, stanzas with a type='wait'
 * error (RFC 6120 §8.3.2).
 *
 * A connection that closes after a BIND_REQ went up owes sb-control an
 * UNBIND, whatever the bind's state: its object lingers, off the TCP
 * connection, until that UNBIND (and any stanza parked before it) is on a
 * ring, so no session is ever left behind in sb-control.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mempool.h>

#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xc.h"

#define CTL_TURN_BUDGET 256u /* parked messages retried per shard per turn */

static unsigned ctl_shard_of(const struct sb_xc_worker *xw, const char *bare, size_t len)
{
	struct sb_worker *w = xw->w;
	return (unsigned)(sb_jid_bare_hash_str(bare, len) % w->n_shards);
}

static struct sb_msg *ctl_msg(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
			       enum sb_msg_kind kind)
{
	struct sb_worker *w = xw->w;
	struct sb_msg *m = w->msg_ops.alloc(w->msg_ops.arg);

	if (m == NULL) {
		SB_CTR_INC(w, msg_alloc_fail);
		return NULL;
	}
	sb_msg_encode(m, kind, w->index, 0, 0, 0, rte_rdtsc());
	m->conn = sb_xc_handle(x);
	m->conn_gen = x->gen;
	return m;
}

static void ctl_refuse(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	sb_xc_act(xw, x, sb_c2s_shutdown(&x->c2s, &xw->env,
					   SB_C2S_SERR_RESOURCE_CONSTRAINT));
}

/* sb-control is gone: answer what m asked for, then free it. */
static void ctl_unanswerable(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	SB_CTR_INC(w, xmpp_ctl_unavailable);
	if (x->conn != NULL && !(x->flags & SB_XC_F_CLOSING)) {
		if (m->kind == SB_MSG_STANZA) {
			struct sb_msg_stanza h;

			sb_xc_wait_error(xw, x, m);
			/* XEP-0198: answered (type='wait'): handled. */
			if ((m->flags & SB_MSG_F_SM_PROMISE) && sb_msg_stanza_read(m, &h) == 0)
				sb_xc_promise_safe(xw, x, h.sm_h);
		}
		else if (m->kind == SB_MSG_AUTH_REQ || m->kind == SB_MSG_BIND_REQ)
			ctl_refuse(xw, x);
		else if (m->kind == SB_MSG_REGISTER_REQ)
			sb_xc_act(xw, x, sb_c2s_register_result(&x->c2s, &xw->env,
								  SB_C2S_REG_UNAVAILABLE));
		else if (m->kind == SB_MSG_RESUME_REQ)
			sb_xc_act(xw, x, sb_c2s_resume_result(&x->c2s, &xw->env, false, NULL, 0,
								0, false));
	}
	/* An UNBIND needs no answer: the next sb-control learns the bound
	 * sessions from the replay, which no longer lists this one. */
	sb_msg_free_chain(m, &w->msg_ops);
}

static void ctl_park(struct sb_xc_worker *xw, struct sb_xc_conn *x, unsigned shard, struct sb_msg *m)
{
	x->pending = m;
	x->pending_shard = (uint16_t)shard;
	x->flags |= SB_XC_F_BLOCKED;
	sb_xc_list_push(&xw->waiting[shard], (void *const *)xw->xtab, SB_XC_WAIT_LINK, x->idx);
}

/* Whether a request refused for want of sb-control should wait for its
 * restart: within rings.control_grace_ms of this worker finding it gone.
 * Measured on the turn's clock, as every other deadline of the worker. */
static bool ctl_grace(struct sb_xc_worker *xw)
{
	uint64_t now_us = xw->w->now_us;

	if (!xw->ctl_gone) {
		xw->ctl_gone = true;
		xw->ctl_gone_us = now_us;
		SB_CTR_INC(xw->w, xmpp_ctl_gone);
	}
	return now_us - xw->ctl_gone_us < xw->ctl_grace_us;
}

int sb_xc_send(struct sb_xc_worker *xw, struct sb_xc_conn *x, unsigned shard, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	uint64_t now_tsc = rte_rdtsc();
	int rc;

	/* Behind a parked message of the same shard nothing may overtake. */
	if (xw->waiting[shard].n > 0)
		rc = -ENOBUFS;
	else
		rc = sb_ctl_link_send(w, shard, m, now_tsc);
	if (rc == 0)
		return 0;
	if (rc == -ENOBUFS || (rc == -ENOTCONN && ctl_grace(xw))) {
		if (rc == -ENOTCONN)
			SB_CTR_INC(w, xmpp_ctl_waited);
		else
			SB_CTR_INC(w, xmpp_ring_blocked);
		ctl_park(xw, x, shard, m);
		return 0;
	}
	ctl_unanswerable(xw, x, m);
	return rc;
}

void sb_xc_auth_request(struct sb_xc_worker *xw, struct sb_xc_conn *x, bool plain)
{
	const struct sb_c2s_result *res = &xw->env.res;
	struct sb_msg_auth a = {
		.mech = res->mech,
		.flags = plain ? SB_MSG_AUTH_PLAIN : 0,
		.user_len = (uint16_t)res->bare_len,
		.pass_len = plain ? (uint16_t)res->passwd_len : 0,
	};
	struct sb_msg *m;

	if (sizeof(a) + a.user_len + a.pass_len > SB_MSG_PAYLOAD_MAX ||
	    (m = ctl_msg(xw, x, SB_MSG_AUTH_REQ)) == NULL) {
		ctl_refuse(xw, x);
		return;
	}
	memcpy(m->payload, &a, sizeof(a));
	memcpy(m->payload + sizeof(a), res->bare, a.user_len);
	if (plain)
		memcpy(m->payload + sizeof(a) + a.user_len, res->passwd, a.pass_len);
	m->len = m->total_len = (uint32_t)(sizeof(a) + a.user_len + a.pass_len);
	sb_xc_send(xw, x, ctl_shard_of(xw, res->bare, res->bare_len), m);
}

void sb_xc_register_request(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	const struct sb_c2s_result *res = &xw->env.res;
	struct sb_msg_register r = {
		.op = res->reg_op,
		.user_len = (uint16_t)res->bare_len,
		.pass_len = (uint16_t)res->passwd_len,
		.token_len = (uint16_t)res->token_len,
		.addr = x->conn->tuple.raddr,
	};
	size_t len = sizeof(r) + r.user_len + r.pass_len + r.token_len;
	struct sb_msg *m;

	if (len > SB_MSG_PAYLOAD_MAX || (m = ctl_msg(xw, x, SB_MSG_REGISTER_REQ)) == NULL) {
		sb_xc_act(xw, x, sb_c2s_register_result(&x->c2s, &xw->env,
							  SB_C2S_REG_UNAVAILABLE));
		return;
	}
	memcpy(m->payload, &r, sizeof(r));
	memcpy(m->payload + sizeof(r), res->bare, r.user_len);
	memcpy(m->payload + sizeof(r) + r.user_len, res->passwd, r.pass_len);
	if (r.token_len > 0)
		memcpy(m->payload + sizeof(r) + r.user_len + r.pass_len, res->token, r.token_len);
	m->len = m->total_len = (uint32_t)len;
	sb_xc_send(xw, x, ctl_shard_of(xw, res->bare, res->bare_len), m);
}

static size_t ctl_bare_len(const char *jid, size_t len)
{
	const char *slash = memchr(jid, '/', len);

	return slash ? (size_t)(slash - jid) : len;
}

/* A JID message (BIND_REQ, UNBIND) for jid. */
static struct sb_msg *ctl_jid_msg(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
				   enum sb_msg_kind kind, const char *jid, size_t len)
{
	struct sb_msg *m = ctl_msg(xw, x, kind);
	struct sb_msg_jid j = { .len = (uint16_t)len, .bare_len = (uint16_t)ctl_bare_len(jid, len) };

	if (m == NULL)
		return NULL;
	memcpy(m->payload, &j, sizeof(j));
	memcpy(m->payload + sizeof(j), jid, len);
	m->len = m->total_len = (uint32_t)(sizeof(j) + len);
	return m;
}

void sb_xc_bind_request(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	const struct sb_c2s_result *res = &xw->env.res;
	struct sb_msg *m;

	if (res->jid_len >= SB_XC_JID_MAX) {
		SB_CTR_INC(w, xmpp_jid_too_long);
		sb_xc_act(xw, x, sb_c2s_bind_result(&x->c2s, &xw->env, SB_C2S_BIND_NOT_ALLOWED,
						      NULL, 0));
		return;
	}
	if (x->jid == NULL && rte_mempool_get(xw->jid_pool, (void **)&x->jid) != 0) {
		x->jid = NULL;
		ctl_refuse(xw, x);
		return;
	}
	memcpy(x->jid, res->jid, res->jid_len);
	x->jid[res->jid_len] = '\0';
	m = ctl_jid_msg(xw, x, SB_MSG_BIND_REQ, x->jid, res->jid_len);
	if (m == NULL) {
		ctl_refuse(xw, x);
		return;
	}
	/* From here sb-control may hold a session for x: whatever becomes of
	 * the bind, the connection's end must be reported. */
	x->flags |= SB_XC_F_UNBIND;
	sb_xc_send(xw, x, ctl_shard_of(xw, x->jid, ctl_bare_len(x->jid, res->jid_len)), m);
}

struct sb_msg *sb_xc_sm_msg(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
			    enum sb_msg_kind kind, const struct sb_msg_sm *p, const char *jid,
			    size_t len, unsigned *shard)
{
	struct sb_msg *m;
	struct sb_msg_sm h = *p;

	if (sizeof(h) + len > SB_MSG_PAYLOAD_MAX || (m = ctl_msg(xw, x, kind)) == NULL)
		return NULL;
	h.jid_len = (uint16_t)len;
	h.bare_len = (uint16_t)ctl_bare_len(jid, len);
	memcpy(m->payload, &h, sizeof(h));
	memcpy(m->payload + sizeof(h), jid, len);
	m->len = m->total_len = (uint32_t)(sizeof(h) + len);
	*shard = ctl_shard_of(xw, jid, h.bare_len);
	m->shard = (uint16_t)*shard;
	return m;
}

/* XEP-0198 §5: a resumable session's connection died without a stream
 * close: HIBERNATE (the session stays, with the inbound count the client
 * will be told at <resumed/>) instead of UNBIND. */
static struct sb_msg *ctl_hibernate_msg(struct sb_xc_worker *xw, struct sb_xc_conn *x,
					 unsigned *shard)
{
	/* The h <resumed/> will tell: what is safe, not what was read
	 * (stanzas still unreported are sent again by the client). */
	struct sb_msg_sm p = { .h_in = sb_xc_promise_h(x), .h_out = x->c2s.sm_out };

	memcpy(p.id, x->sm_id, sizeof(p.id));
	return sb_xc_sm_msg(xw, x, SB_MSG_HIBERNATE, &p, x->jid, strlen(x->jid), shard);
}

/* Replay a bound session to a new sb-control. -ENOBUFS: try again later. */
int sb_xc_replay(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	size_t len, bare_len;
	const char *jid = sb_c2s_full_jid(&x->c2s, &len);
	struct sb_msg *m;
	int rc;

	sb_c2s_bare_jid(&x->c2s, &bare_len);
	m = ctl_jid_msg(xw, x, SB_MSG_BIND_REQ, jid, len);
	if (m == NULL)
		return -ENOBUFS;
	m->flags |= SB_MSG_F_REPLAY;
	if (x->flags & SB_XC_F_AVAILABLE)
		((struct sb_msg_jid *)m->payload)->flags |= SB_MSG_JID_AVAILABLE;
	rc = sb_ctl_link_send(w, ctl_shard_of(xw, jid, bare_len), m, rte_rdtsc());
	if (rc < 0)
		sb_msg_free_chain(m, &w->msg_ops);
	return rc;
}

/* A closed connection's next message for sb-control in x->pending: its
 * parked one, else the UNBIND it owes, built now, else a held DELIVER given
 * back (after the UNBIND, so sb-control routes it past the gone session).
 * 1: there is one, 0: x owes nothing more, -ENOBUFS: the UNBIND is owed but
 * the pool is dry. */
static int ctl_owed(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	size_t len;
	unsigned shard;

	if (x->pending != NULL)
		return 1;
	if ((x->flags & (SB_XC_F_UNBIND | SB_XC_F_HIBERNATE)) ==
	    (SB_XC_F_UNBIND | SB_XC_F_HIBERNATE) && x->jid != NULL) {
		/* Hibernating: what it kept and held goes first, to the
		 * session's shard, which queues it on the session; HIBERNATE
		 * comes last and says that all of it is there. */
		len = strlen(x->jid);
		shard = ctl_shard_of(xw, x->jid, ctl_bare_len(x->jid, len));
		x->pending = sb_xc_hold_return(xw, x);
		if (x->pending == NULL) {
			if (x->pr.hib_wait)
				return 0; /* sb_xc_promise_close: not yet */
			x->pending = ctl_hibernate_msg(xw, x, &shard);
			if (x->pending == NULL)
				return -ENOBUFS;
			x->flags &= (uint8_t)~SB_XC_F_UNBIND;
		}
		x->pending->shard = (uint16_t)shard;
		x->pending_shard = (uint16_t)shard;
		return 1;
	}
	if ((x->flags & SB_XC_F_UNBIND) && x->jid != NULL) {
		len = strlen(x->jid);
		x->pending_shard = (uint16_t)ctl_shard_of(xw, x->jid, ctl_bare_len(x->jid, len));
		x->pending = ctl_jid_msg(xw, x, SB_MSG_UNBIND, x->jid, len);
		if (x->pending == NULL)
			return -ENOBUFS;
		x->flags &= (uint8_t)~SB_XC_F_UNBIND;
		return 1;
	}
	x->pending = sb_xc_hold_return(xw, x);
	if (x->pending == NULL)
		return 0;
	x->pending_shard = x->pending->shard;
	return 1;
}

/* Send what x owes, in order, until done or a ring or the pool makes it
 * wait (then x is parked and sb_xc_ctl_turn() comes back). */
static void ctl_owed_flush(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	int rc;

	while (!(x->flags & SB_XC_F_BLOCKED) && (rc = ctl_owed(xw, x)) != 0) {
		struct sb_msg *m = x->pending;

		if (rc < 0) {
			/* Wait for a pool object on the list of the shard
			 * the UNBIND goes to, like a full ring. */
			x->flags |= SB_XC_F_BLOCKED;
			sb_xc_list_push(&xw->waiting[x->pending_shard], (void *const *)xw->xtab,
				      SB_XC_WAIT_LINK, x->idx);
			return;
		}
		x->pending = NULL;
		sb_xc_send(xw, x, x->pending_shard, m);
	}
}

void sb_xc_sm_handover(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	x->flags |= SB_XC_F_HIBERNATE;
	ctl_owed_flush(xw, x);
}

void sb_xc_linger(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	ctl_owed_flush(xw, x);
	if (x->flags & SB_XC_F_BLOCKED)
		return; /* parked: sb_xc_ctl_turn() comes back here */
	if (x->pr.hib_wait)
		return; /* its HIBERNATE waits: xc_promise.c comes back here */
	xw->lingering--;
	sb_xc_release(xw, x);
}

/* Retry the connections parked on shard s's list, oldest first. */
static void ctl_retry(struct sb_xc_worker *xw, unsigned s, uint64_t now_tsc)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_list *l = &xw->waiting[s];

	for (unsigned budget = CTL_TURN_BUDGET; l->n > 0 && budget > 0; budget--) {
		struct sb_xc_conn *x = xw->xtab[l->head];
		struct sb_msg *m;
		int rc;

		if (ctl_owed(xw, x) < 0)
			return; /* the pool is still dry */
		m = x->pending;
		rc = sb_ctl_link_send(w, s, m, now_tsc);
		if (rc == -ENOBUFS || (rc == -ENOTCONN && ctl_grace(xw)))
			return;
		sb_xc_list_del(l, (void *const *)xw->xtab, SB_XC_WAIT_LINK, x->idx);
		x->pending = NULL;
		x->flags &= (uint8_t)~SB_XC_F_BLOCKED;
		if (rc < 0)
			ctl_unanswerable(xw, x, m);
		else if (m->kind == SB_MSG_STANZA)
			SB_CTR_INC(w, xmpp_routed);
		if (x->conn != NULL)
			sb_xc_pump(xw, x);
		else
			sb_xc_linger(xw, x);
	}
}

void sb_xc_pool_wait(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;

	SB_CTR_INC(w, xmpp_pool_blocked);
	x->flags |= SB_XC_F_BLOCKED;
	sb_xc_list_push(&xw->waiting[SB_XC_POOL_WAIT], (void *const *)xw->xtab, SB_XC_WAIT_LINK,
		      x->idx);
}

/* The pools have room again: let the connections waiting for them read
 * (the pump reopens their windows). */
static void ctl_pool_resume(struct sb_xc_worker *xw)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_list *l = &xw->waiting[SB_XC_POOL_WAIT];

	for (unsigned budget = CTL_TURN_BUDGET; l->n > 0 && budget > 0; budget--) {
		struct sb_xc_conn *x;

		if (w->mbufs_low || sb_ctl_link_msgs_low(w))
			return;
		x = xw->xtab[l->head];
		sb_xc_list_del(l, (void *const *)xw->xtab, SB_XC_WAIT_LINK, x->idx);
		x->flags &= (uint8_t)~SB_XC_F_BLOCKED;
		if (x->conn != NULL)
			sb_xc_pump(xw, x);
		else
			sb_xc_linger(xw, x);
	}
}

void sb_xc_ctl_turn(struct sb_xc_worker *xw, uint64_t now_tsc)
{
	struct sb_worker *w = xw->w;

	if (xw->ctl_gone && sb_ctl_link_attached(w, now_tsc))
		xw->ctl_gone = false; /* back: the next absence has its own grace */
	for (unsigned s = 0; s < w->n_shards; s++)
		if (xw->waiting[s].n > 0)
			ctl_retry(xw, s, now_tsc);
	if (xw->waiting[SB_XC_POOL_WAIT].n > 0)
		ctl_pool_resume(xw);
}
