/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See promise.h: when sb-control owes a stream-management client's worker
 * the word that a stanza is safe, and the batched STANZA_DONE that says
 * it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msg_link.h"
#include "router.h"
#include "shard.h"

/* Append one entry for worker w; false only when memory for a larger
 * batch cannot be had (counted: the sender's h then waits for the next
 * epoch's sync). */
static bool promise_add(struct sb_router *r, unsigned w, uint64_t conn, uint32_t gen, uint32_t h)
{
	struct sb_promise_batch *b = &r->pr.w[w];

	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2u : 64u;
		struct sb_msg_done_ent *e = realloc(b->e, cap * sizeof(*e));

		if (e == NULL) {
			SB_ROUTE_INC(r, promise_lost);
			return false;
		}
		b->e = e;
		b->cap = cap;
	}
	b->e[b->n++] = (struct sb_msg_done_ent){ .conn = conn, .conn_gen = gen, .sm_h = h };
	r->pr.pending++;
	return true;
}

/* The sender named by stanza header st, if it is a worker. */
static void promise_entry(struct sb_shard *sh, const struct sb_msg_stanza *st)
{
	struct sb_router *r = &sh->router;

	if (st->from_worker >= sh->n_workers) {
		SB_ROUTE_INC(r, malformed);
		return;
	}
	if (promise_add(r, st->from_worker, st->from_conn, st->from_gen, st->sm_h))
		SB_ROUTE_INC(r, promise_done);
}

void sb_promise_fulfil(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_promise *p = &sh->router.pr;
	struct sb_msg_stanza st;

	if (!(m->flags & SB_MSG_F_SM_PROMISE))
		return;
	m->flags &= (uint8_t)~SB_MSG_F_SM_PROMISE;
	if (m == p->cur)
		p->cur_open = false;
	/* The routing header is still the chain's first bytes: a DELIVER
	 * keeps the STANZA's layout. */
	if (sb_msg_read(m, 0, &st, sizeof(st)) != sizeof(st)) {
		SB_ROUTE_INC(&sh->router, malformed);
		return;
	}
	promise_entry(sh, &st);
}

int sb_promise_enqueue(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	struct sb_msg_stanza st;
	int rc;

	if (!(m->flags & SB_MSG_F_SM_PROMISE))
		return sb_msg_link_send(&sh->link, w, m);
	/* Read before the hand-over: once on the ring the chain is the
	 * worker's, and may already be written and freed. */
	if (sb_msg_read(m, 0, &st, sizeof(st)) != sizeof(st)) {
		m->flags &= (uint8_t)~SB_MSG_F_SM_PROMISE;
		SB_ROUTE_INC(&sh->router, malformed);
		return sb_msg_link_send(&sh->link, w, m);
	}
	m->flags &= (uint8_t)~SB_MSG_F_SM_PROMISE;
	rc = sb_msg_link_send(&sh->link, w, m);
	if (rc < 0) {
		m->flags |= SB_MSG_F_SM_PROMISE; /* still ours: the backlog keeps it */
		return rc;
	}
	if (m == sh->router.pr.cur)
		sh->router.pr.cur_open = false;
	promise_entry(sh, &st);
	return 0;
}

void sb_promise_route(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_promise *p = &sh->router.pr;
	struct sb_msg_stanza st;

	if (!(m->flags & SB_MSG_F_SM_PROMISE) || sb_msg_read(m, 0, &st, sizeof(st)) != sizeof(st)) {
		sb_router_stanza(sh, m);
		return;
	}
	p->cur = m;
	p->cur_open = true;
	sb_router_stanza(sh, m);
	/* Nothing kept it for later: routing is all that was owed (answered,
	 * refused, presence applied, queued for a hibernated session). */
	if (p->cur_open)
		promise_entry(sh, &st);
	p->cur = NULL;
	p->cur_open = false;
}

void sb_promise_sync(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_promise *p = &sh->router.pr;
	unsigned w = m->worker;

	if (w >= sh->n_workers) {
		SB_ROUTE_INC(&sh->router, malformed);
		sb_msg_free_chain(m, &sh->router.pool);
		return;
	}
	/* A second one from the same worker (yet another epoch) replaces the
	 * first: the worker waits only for the newest. */
	if (p->sync[w] != NULL)
		sb_msg_free_chain(p->sync[w], &sh->router.pool);
	else
		p->sync_n++;
	p->sync[w] = m;
}

/* One STANZA_DONE with up to SB_MSG_DONE_MAX of worker w's entries. */
static int promise_send(struct sb_shard *sh, unsigned w)
{
	struct sb_router *r = &sh->router;
	struct sb_promise_batch *b = &r->pr.w[w];
	uint32_t n = b->n < SB_MSG_DONE_MAX ? b->n : (uint32_t)SB_MSG_DONE_MAX;
	struct sb_msg_done d = { .n = n };
	struct sb_msg *m = r->pool.alloc(r->pool.arg);
	size_t len = sizeof(d) + n * sizeof(b->e[0]);

	if (m == NULL) {
		SB_ROUTE_INC(r, pool_empty);
		return -ENOBUFS; /* kept: the next turn tries again */
	}
	sb_msg_encode(m, SB_MSG_STANZA_DONE, w, sh->index, (uint32_t)len, 0, 0);
	m->owner = SB_MSG_OWNER_CONTROL;
	memcpy(m->payload, &d, sizeof(d));
	memcpy(m->payload + sizeof(d), b->e, n * sizeof(b->e[0]));
	b->n -= n;
	memmove(b->e, b->e + n, b->n * sizeof(b->e[0]));
	r->pr.pending -= n;
	SB_ROUTE_INC(r, promise_msgs);
	sb_router_send(sh, w, m);
	return 0;
}

/* Nothing this shard holds still owes an entry: no DELIVER waits in the
 * backlog and no offline message waits for its commit. */
static bool promise_quiet(struct sb_shard *sh)
{
	if (sh->router.im.batch_n > 0)
		sb_im_offline_commit(sh);
	return sh->router.backlog_total == 0 && sh->router.im.batch_n == 0;
}

unsigned sb_promise_turn(struct sb_shard *sh)
{
	struct sb_promise *p = &sh->router.pr;
	bool quiet = p->sync_n > 0 && promise_quiet(sh);
	unsigned sent = 0;

	for (unsigned w = 0; w < sh->n_workers && p->pending > 0; w++)
		while (p->w[w].n > 0 && promise_send(sh, w) == 0)
			sent++;
	if (!quiet || p->pending > 0)
		return sent;
	/* After this turn's entries on the same rings: the worker reads
	 * them before the echo. */
	for (unsigned w = 0; w < sh->n_workers && p->sync_n > 0; w++) {
		struct sb_msg *m = p->sync[w];

		if (m == NULL)
			continue;
		p->sync[w] = NULL;
		p->sync_n--;
		m->flags |= SB_MSG_F_REPLY;
		m->owner = SB_MSG_OWNER_CONTROL;
		SB_ROUTE_INC(&sh->router, promise_syncs);
		sb_router_send(sh, w, m);
		sent++;
	}
	return sent;
}

void sb_promise_free(struct sb_shard *sh)
{
	struct sb_promise *p = &sh->router.pr;

	for (unsigned w = 0; w < SB_MAX_WORKERS; w++) {
		free(p->w[w].e);
		p->w[w] = (struct sb_promise_batch){ 0 };
		if (p->sync[w] != NULL)
			sb_msg_free_chain(p->sync[w], &sh->router.pool);
		p->sync[w] = NULL;
	}
	p->pending = p->sync_n = 0;
}
