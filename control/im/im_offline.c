/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Offline messages (XEP-0160, RFC 6121 §8.5.2.2): a chat or normal message
 * (or one of an unknown type, §5.2.2) for an existing user with no
 * available resource is stored with an XEP-0203 <delay/> and delivered in
 * order to the first resource that sends initial presence with a
 * non-negative priority, then deleted; groupchat is answered
 * service-unavailable, headline and error are dropped (§8.5.2.2.1).
 *
 * Flow control. They go a window (im.offline_flush_window) at a time: the
 * last DELIVER of a window after which more are stored is flagged
 * SB_MSG_F_FLUSH_MORE, and the next window follows the worker's
 * FLUSH_MORE, sent once it wrote that one to the connection
 * (dataplane/xmpp/xc_flush.c). While the session is flushing, a live
 * message that would reach it is stored behind the rest, so order holds.
 * If the session ends first (or goes unavailable), the flush continues on
 * another available resource of the account, if there is one
 * (sb_im_offline_ended); else the rest stays stored for the account's
 * next available presence.
 *
 * Group commit. Messages wait in the shard's batch until it holds
 * im.offline_commit_batch of them or the oldest has waited
 * im.offline_commit_us; one kv_write (one fsync) then stores them all.
 *
 * Durability. The sender's stanza is acknowledged to its TCP stack when
 * the dataplane reads it, before it reaches here. A message stays in its
 * chain of shared-pool objects, tagged as held by sb-control, until the
 * commit that stores it has returned (fsync done); only then are the
 * objects freed. A SIGKILLed sb-control therefore leaves every message
 * that was not yet stored in the shared pool, and the next sb-control
 * routes those chains again before anything else (control/attach.c,
 * offline_recovered): such a message is delivered or stored. The
 * guarantee holds while sb-dataplane (which owns the pool) lives. A
 * message committed but not yet freed when the kill came is not stored a
 * second time: its record carries the chain's origin and the successor
 * drops a recovered chain it finds stored (im_recover.c). A window of a
 * flush is purged before its chains go on a ring, and each chain names
 * its record (SB_MSG_ST_STORED), so a kill in between neither loses nor
 * repeats it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "im_priv.h"
#include "router.h"
#include "shard.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* XEP-0082 DateTime in UTC with milliseconds. */
static void put_stamp(struct imx_out *o, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;
	char s[64];

	gmtime_r(&t, &tm);
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ms % 1000u));
	imx_puts(o, s);
}

/* The message bytes with <delay/> (XEP-0203 §4) added as the last child. */
static void put_delayed(struct sb_shard *sh, struct imx_out *o, const char *b, size_t n,
			uint64_t ms)
{
	struct imx_el el;
	size_t cs, ce;

	if (imx_open(&el, (const uint8_t *)b, n) < 0) {
		o->over = true;
		return;
	}
	imx_content(&el, &cs, &ce);
	if (el.empty) {
		imx_put(o, b, el.stag_end - 2); /* without "/>" */
		imx_puts(o, ">");
	} else {
		imx_put(o, b, ce);
	}
	imx_puts(o, "<delay xmlns='urn:xmpp:delay'");
	imx_attr_put(o, "from", sh->router.domain, sh->router.domain_len);
	imx_puts(o, " stamp='");
	put_stamp(o, ms);
	imx_puts(o, "'/>");
	if (el.empty) {
		imx_puts(o, "</");
		imx_put(o, b + 1, el.name_len);
		imx_puts(o, ">");
	} else {
		imx_put(o, b + ce, n - ce);
	}
}

/* Messages of bare in the batch, and the highest seq among them. */
static uint32_t batch_count(const struct sb_im *im, const char *bare, size_t len, uint64_t *last)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < im->batch_n; i++) {
		const struct sb_im_pending *p = &im->batch[i];

		if (p->key_len == len + 9 && memcmp(p->rec, bare, len) == 0 && p->rec[len] == 0) {
			n++;
			if (p->seq > *last)
				*last = p->seq;
		}
	}
	return n;
}

/* Queue m for the group commit; notify: tell the user's app servers
 * (XEP-0357), not for a message stored behind a flush to a live session. */
static int offline_queue(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
			 bool notify)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	const char *bare = in->to;
	size_t len = in->st.to_bare_len;
	uint64_t last = 0, ms = now_ms();
	uint32_t n = 0;
	struct sb_offline_msg om;
	struct sb_im_pending *p;
	ssize_t bn;
	int rc;

	if (im->batch_n >= im->lim.commit_batch)
		return -ENOBUFS; /* the store refuses commits: nothing more is taken */
	rc = sb_store_offline_count(sh->router.store, bare, len, im->lim.offline_quota, &n, &last);
	if (rc < 0)
		return rc;
	n += batch_count(im, bare, len, &last);
	if (n >= im->lim.offline_quota)
		return -EDQUOT;
	bn = im_bytes(sh, m, in);
	if (bn < 0)
		return (int)bn;
	put_delayed(sh, &o, im->buf, (size_t)bn, ms);
	if (o.over)
		return -E2BIG;
	om = (struct sb_offline_msg){
		.stamp_ms = ms,
		.kind = in->st.kind,
		.type = in->st.type,
		.from_len = in->st.from_len,
		.from_bare_len = in->st.from_bare_len,
		.from = in->from,
		.bytes = (const uint8_t *)o.p,
		.bytes_len = o.len,
	};
	im_origin_of(m, &in->st, &om.origin); /* exactly once (im_recover.c) */
	p = &im->batch[im->batch_n];
	p->rec = malloc(len + 9 + sb_offline_rec_len(&om));
	if (p->rec == NULL)
		return -ENOMEM;
	p->seq = last + 1;
	p->key_len = (uint32_t)sb_offline_key(p->rec, len + 9, bare, len, p->seq);
	p->rec_len = (uint32_t)sb_offline_pack(&om, p->rec + p->key_len, sb_offline_rec_len(&om));
	if (p->key_len == 0 || p->rec_len == 0) {
		free(p->rec);
		return -ENAMETOOLONG;
	}
	/* The chain is kept, not freed, until the commit (durability). */
	p->m = m;
	if (im->batch_n++ == 0)
		im->batch_deadline_tsc = rte_rdtsc() + im->lim.commit_tsc;
	SB_IM_INC(im, offline_queued);
	if (notify)
		im_push_notify(sh, bare, len, in->from, in->st.from_len, im->buf, (size_t)bn,
			       n + 1);
	return 0;
}

static void offline_store(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
			  bool notify)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	int rc;

	switch (in->st.type) {
	case SB_STYPE_ERROR:
	case SB_STYPE_HEADLINE:
		SB_IM_INC(im, offline_dropped);
		goto free;
	case SB_STYPE_GROUPCHAT:
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
		goto free;
	default:
		break;
	}
	rc = sb_store_user_exists(r->store, in->to, in->st.to_bare_len);
	if (rc == 0 || im->lim.offline_quota == 0) {
		SB_IM_INC(im, offline_no_user);
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
		goto free;
	}
	rc = offline_queue(sh, m, in, notify);
	if (rc == 0) {
		sb_promise_keep(&r->pr, m); /* XEP-0198: owed at the commit */
		if (im->batch_n >= im->lim.commit_batch)
			sb_im_offline_commit(sh);
		return;
	}
	if (rc == -EDQUOT) {
		SB_IM_INC(im, offline_quota);
		sb_router_error(sh, in, "wait", "resource-constraint",
				SB_ROUTE_CTR_err_unavailable);
	} else {
		SB_IM_INC(im, offline_failed);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
	}
free:
	sb_msg_free_chain(m, &r->pool);
}

void sb_im_offline(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	offline_store(sh, m, in, true);
}

void sb_im_offline_commit(struct sb_shard *sh)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_store_op *ops;
	uint32_t n = im->batch_n, na = im_mam_pending(im);
	int rc = -ENOMEM;

	if (n + na == 0)
		return;
	/* Archive records ride the same transaction (im_mam.c). */
	ops = malloc((n + na) * sizeof(*ops));
	if (ops != NULL) {
		for (uint32_t i = 0; i < n; i++) {
			struct sb_im_pending *p = &im->batch[i];

			ops[i] = (struct sb_store_op){ .kind = SB_STORE_OFFLINE,
						       .key = p->rec,
						       .klen = p->key_len,
						       .val = p->rec + p->key_len,
						       .vlen = p->rec_len };
		}
		im_mam_ops(im, ops + n);
		/* All of the batch belongs to this shard's users. */
		rc = r->store->ops->kv_write(r->store->impl, sh->index % r->store->n_shards, ops,
					     n + na);
		free(ops);
	}
	if (rc < 0) {
		/* Kept for the next turn: a full map may be an operator's
		 * fix away, and dropping would break the guarantee. */
		SB_IM_INC(im, store_errors);
		im->batch_deadline_tsc = rte_rdtsc() + im->lim.commit_tsc * 64u;
		if (im->ctr[SB_IM_CTR_store_errors] % 1024u == 1u)
			fprintf(stderr, "sb-control: shard %u offline commit of %u messages: %s "
					"(retrying)\n", sh->index, n, strerror(-rc));
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		sb_promise_fulfil(sh, im->batch[i].m);
		sb_msg_free_chain(im->batch[i].m, &r->pool);
		free(im->batch[i].rec);
	}
	im->batch_n = 0;
	im_mam_committed(im);
	im->ctr[SB_IM_CTR_offline_stored] += n;
	SB_IM_INC(im, offline_commits);
}

/* One window of a session's stored messages: every chain is built
 * (marked SB_MSG_ST_STORED with its record's number) before the records
 * are purged, and sent after, so that a SIGKILL at any point leaves each
 * message either stored or in a chain that says whether it still is
 * (im_recover.c). */
struct deliver_ctx {
	struct sb_shard *sh;
	const struct sb_session *s;
	struct sb_msg **win;  /* built, not sent yet (heap) */
	uint32_t n, cap, max;
	uint64_t last;        /* seq of the last one built */
	bool more;            /* something is left stored after this window */
};

/* Mark DELIVER m as the stored message seq (its routing header is in the
 * first object, where im_chain put it), addressed to session s already:
 * a successor that finds it after the purge sends it as it is. */
static void window_mark(struct sb_msg *m, uint64_t seq, const struct sb_session *s)
{
	struct sb_msg_stanza st;

	memcpy(&st, m->payload, sizeof(st));
	st.cflags |= SB_MSG_ST_STORED;
	memcpy(m->payload, &st, sizeof(st));
	m->seq = seq;
	m->worker = s->worker;
	m->conn = s->conn;
	m->conn_gen = s->conn_gen;
}

static bool window_room(struct deliver_ctx *d)
{
	uint32_t cap = d->cap ? 2 * d->cap : 64u;
	struct sb_msg **w;

	if (d->n < d->cap)
		return true;
	w = realloc(d->win, cap * sizeof(*w));
	if (w == NULL)
		return false;
	d->win = w;
	d->cap = cap;
	return true;
}

/* One stored message of the window; the walk stops at the first past the
 * window, or when no chain can be built for it (the message pool is dry):
 * it and the rest stay stored for the next window. Never purged unsent. */
static int offline_one(void *arg, const struct sb_offline_msg *om)
{
	struct deliver_ctx *d = arg;
	struct sb_msg *m;

	if (d->n == d->max) {
		d->more = true;
		return 1;
	}
	m = window_room(d) ? im_chain(d->sh, SB_MSG_DELIVER, om->kind, om->type, d->s->jid,
				      d->s->jid_len, d->s->bare_len, om->from, om->from_len,
				      om->from_bare_len, om->bytes, om->bytes_len)
			   : NULL;
	if (m == NULL) {
		SB_IM_INC(&d->sh->router.im, offline_deferred);
		d->more = true;
		return 1;
	}
	window_mark(m, om->seq, d->s);
	d->win[d->n++] = m;
	d->last = om->seq;
	return 0;
}

/* Send session s its next window: at most im.offline_flush_window stored
 * messages, oldest first, purged before they go. When more remain, the last
 * one carries SB_MSG_F_FLUSH_MORE and s is marked flushing: its worker
 * answers FLUSH_MORE once it wrote that one to the connection, which runs
 * the next window (sb_im_offline_more). Sending all at once would hold
 * thousands of chains on the connection, past its share
 * (xmpp.hold_bytes), and the worker would reset it as a slow reader
 * however fast the client reads. */
static void offline_window(struct sb_shard *sh, struct sb_session *s)
{
	struct sb_im *im = &sh->router.im;
	struct deliver_ctx d = { .sh = sh, .s = s, .max = im->lim.offline_window };

	/* Messages still in the batch are stored first, so order holds. */
	if (im->batch_n > 0)
		sb_im_offline_commit(sh);
	if (d.max == 0)
		d.max = UINT32_MAX; /* unit tests that set no window: all at once */
	sb_store_offline_list(sh->router.store, s->jid, s->bare_len,
			      d.max == UINT32_MAX ? im->lim.offline_quota + 1u : d.max + 1u,
			      offline_one, &d);
	/* A window that could send nothing (pool dry) has no last message to
	 * bring a FLUSH_MORE: what is stored waits for the next available
	 * presence, as it did before windows. */
	s->flushing = d.more && d.n != 0;
	if (d.n == 0) {
		free(d.win);
		return;
	}
	/* Each message once: deleted before it is on its way. */
	while (sb_store_offline_purge(sh->router.store, s->jid, s->bare_len, d.last,
				      UINT32_MAX) > 0)
		;
	if (d.more)
		d.win[d.n - 1]->flags |= SB_MSG_F_FLUSH_MORE;
	for (uint32_t i = 0; i < d.n; i++) {
		sb_router_deliver(sh, d.win[i], s);
		SB_IM_INC(im, offline_delivered);
	}
	SB_IM_INC(im, offline_windows);
	free(d.win);
}

void im_offline_deliver(struct sb_shard *sh, struct sb_session *s)
{
	/* A window already on its way (available, unavailable and available
	 * again before its FLUSH_MORE came back): that one continues. */
	if (s->flushing)
		return;
	offline_window(sh, s);
}

/* The session a FLUSH_MORE names, if it is still that connection's. */
static struct sb_session *offline_more_session(struct sb_router *r, const struct sb_msg *m)
{
	const struct sb_msg_jid *j = (const struct sb_msg_jid *)m->payload;
	struct sb_session *s;

	if (m->len < sizeof(*j) || sizeof(*j) + j->len > m->len || j->bare_len > j->len ||
	    j->bare_len == 0)
		return NULL;
	s = sb_session_find(&r->sessions, j->jid, j->len, j->bare_len);
	if (s == NULL || s->worker != m->worker || s->conn != m->conn ||
	    s->conn_gen != m->conn_gen)
		return NULL;
	return s;
}

void sb_im_offline_more(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_session *s = offline_more_session(r, m);

	SB_IM_INC(&r->im, offline_flush_more);
	if (s == NULL) {
		/* Its connection is gone: what is left stays stored for the
		 * account's next available presence. */
		SB_IM_INC(&r->im, offline_flush_stale);
	} else if (s->sm != NULL && s->sm->hibernated) {
		/* XEP-0198: away. The resume continues the flush
		 * (sb_im_offline_resumed), not a queue of it here. */
	} else if (!s->available || s->priority < 0) {
		/* RFC 6121 §8.5.2.2: stored messages go to an available
		 * resource of non-negative priority: another one of the
		 * account, else the rest waits for the next such presence. */
		sb_im_offline_ended(sh, s);
	} else {
		/* Also when s is not marked (a FLUSH_MORE for a window a
		 * killed predecessor sent): the flush goes on. */
		offline_window(sh, s);
	}
	sb_msg_free_chain(m, &r->pool);
}

/* The account's available resource of the highest non-negative priority
 * other than s that is not away (XEP-0198 hibernated), or NULL. */
static struct sb_session *offline_heir(struct sb_shard *sh, const struct sb_session *s)
{
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, s->jid, s->bare_len);
	struct sb_session *best = NULL;

	for (struct sb_session *o = u != NULL ? u->res : NULL; o != NULL; o = o->next) {
		if (o == s || !o->available || o->priority < 0 ||
		    (o->sm != NULL && o->sm->hibernated))
			continue;
		if (best == NULL || o->priority > best->priority)
			best = o;
	}
	return best;
}

void sb_im_offline_ended(struct sb_shard *sh, struct sb_session *s)
{
	struct sb_session *heir;

	if (!s->flushing)
		return;
	s->flushing = false;
	heir = offline_heir(sh, s);
	if (heir == NULL)
		return; /* stored, for the account's next available presence */
	SB_IM_INC(&sh->router.im, offline_flush_moved);
	/* One already flushing goes on at its own FLUSH_MORE. */
	if (!heir->flushing)
		offline_window(sh, heir);
}

void sb_im_offline_resumed(struct sb_shard *sh, struct sb_session *s)
{
	/* The window's last message may have gone back with the dead
	 * connection (its flag cleared): nothing else would bring the
	 * next window. */
	if (s->flushing && s->available && s->priority >= 0)
		offline_window(sh, s);
}

/* A message type that offline storage keeps (sb_im_offline). */
static bool offline_storable(uint8_t type)
{
	return type != SB_STYPE_ERROR && type != SB_STYPE_HEADLINE && type != SB_STYPE_GROUPCHAT;
}

/* Whether a flushing session of the account would get the message routing
 * is about to deliver: the full JID's session, else one of the available
 * resources of the highest non-negative priority (as sb_router_to_user). */
static bool offline_flush_target(struct sb_shard *sh, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_session_user *u;
	struct sb_session *s;
	int16_t top = -1;
	bool flushing = false;

	if (in->st.to_len > in->st.to_bare_len) {
		s = sb_session_find(&r->sessions, in->to, in->st.to_len, in->st.to_bare_len);
		if (s != NULL)
			return s->flushing;
	}
	u = sb_session_user_find(&r->sessions, in->to, in->st.to_bare_len);
	for (s = u != NULL ? u->res : NULL; s != NULL; s = s->next) {
		if (!s->available || s->priority < 0 || s->priority < top)
			continue;
		if (s->priority > top)
			flushing = false;
		top = s->priority;
		flushing |= s->flushing;
	}
	return flushing;
}

bool sb_im_offline_behind(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	if (in->st.kind != SB_STANZA_MESSAGE || !offline_storable(in->st.type) ||
	    !offline_flush_target(sh, in))
		return false;
	/* Issue 17: stored messages reach the client in order after its
	 * initial presence, so a live one waits behind them, stored: the
	 * flush sends it in its turn. (Headlines and errors are never
	 * stored and go at once; their order does not matter.) */
	SB_IM_INC(&sh->router.im, offline_behind_flush);
	offline_store(sh, m, in, false); /* the user is online: no push */
	return true;
}
