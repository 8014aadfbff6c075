/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Exactly once across a SIGKILL of sb-control: what a killed predecessor
 * left in shared memory (control/recover.c) is routed again, except what
 * it had already finished. Three windows let a chain be both finished and
 * still the predecessor's when the kill came:
 *
 *  - an offline commit returned, its chains not yet freed: the stored
 *    record carries the chain's origin (store_im.h: worker, its TSC at the
 *    read, connection generation), so a recovered stanza whose origin is
 *    among its recipient's stored messages is dropped, with its archive
 *    record (same transaction);
 *  - a message made again with its archive stanza-id (im_msg.c), the
 *    original not yet freed: two chains of one origin; the remade one
 *    (SB_MSG_ST_ARCHIVED) is kept and is not archived a second time;
 *  - a window of stored messages built for a flush (im_offline.c) is
 *    purged before it goes on a ring: a recovered DELIVER marked
 *    SB_MSG_ST_STORED whose record is still stored is dropped (the next
 *    flush sends the record), one whose record is gone is sent.
 *
 * A chain on a worker ring is tagged RING before the enqueue and never
 * found here. The cost is here, once per recovered chain (a scan of the
 * recipient's stored messages); the steady path writes 14 bytes more per
 * stored message and nothing per delivered one.
 */
#include <stdlib.h>
#include <string.h>

#include "component/component.h"
#include "im_priv.h"
#include "router.h"
#include "shard.h"

void im_origin_of(const struct sb_msg *m, const struct sb_msg_stanza *st,
		  struct sb_offline_origin *o)
{
	memset(o, 0, sizeof(*o));
	/* A chain given back by a connection carries the recipient's
	 * XEP-0198 number where t0_tsc was: no origin. */
	if (m->kind != SB_MSG_STANZA || (m->flags & SB_MSG_F_RETURNED) || m->t0_tsc == 0 ||
	    st->from_worker == SB_COMP_WORKER)
		return;
	o->tsc = m->t0_tsc;
	o->gen = st->from_gen;
	o->worker = st->from_worker;
	o->set = 1;
}

static bool rec_origin(const struct sb_msg *m, struct sb_msg_stanza *st,
		       struct sb_offline_origin *o)
{
	memset(o, 0, sizeof(*o));
	if (m->kind != SB_MSG_STANZA || sb_msg_stanza_read(m, st) < 0)
		return false;
	im_origin_of(m, st, o);
	return o->set;
}

/* Whether h[i] has a twin (same origin) that is kept instead: the one
 * remade with the stanza-id, else the first. Twins share t0_tsc, so they
 * are neighbours in the age order. */
static bool rec_twin(struct sb_msg *const *h, uint32_t n, uint32_t i)
{
	struct sb_msg_stanza st, sj;
	struct sb_offline_origin o, oj;
	uint32_t lo = i, hi = i;
	bool mine;

	if (!rec_origin(h[i], &st, &o))
		return false;
	mine = (st.cflags & SB_MSG_ST_ARCHIVED) != 0;
	while (lo > 0 && h[lo - 1]->t0_tsc == h[i]->t0_tsc)
		lo--;
	while (hi + 1 < n && h[hi + 1]->t0_tsc == h[i]->t0_tsc)
		hi++;
	for (uint32_t j = lo; j <= hi; j++) {
		bool theirs;

		if (j == i || !rec_origin(h[j], &sj, &oj) || oj.gen != o.gen ||
		    oj.worker != o.worker)
			continue;
		theirs = (sj.cflags & SB_MSG_ST_ARCHIVED) != 0;
		if (theirs != mine ? theirs : j < i)
			return true;
	}
	return false;
}

/* The recipient's bare JID of stanza header st in m, into bare. */
static size_t rec_bare(const struct sb_msg *m, const struct sb_msg_stanza *st, char *bare)
{
	sb_msg_read(m, sizeof(*st), bare, st->to_bare_len);
	bare[st->to_bare_len] = '\0';
	return st->to_bare_len;
}

/* A stanza the predecessor had committed to offline storage. */
static bool rec_stored(struct sb_shard *sh, const struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	char bare[SB_MSG_JID_MAX + 1];
	struct sb_msg_stanza st;
	struct sb_offline_origin o;
	size_t len;

	if (!rec_origin(m, &st, &o) || st.kind != SB_STANZA_MESSAGE || st.to_bare_len == 0)
		return false;
	len = rec_bare(m, &st, bare);
	return sb_store_offline_has(r->store, bare, len, r->im.lim.offline_quota + 1u, &o, 0) == 1;
}

/* A DELIVER of a flush whose record is still stored (not yet purged). */
static bool rec_unpurged(struct sb_shard *sh, const struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	char bare[SB_MSG_JID_MAX + 1];
	struct sb_msg_stanza st;
	size_t len;

	if (sb_msg_stanza_read(m, &st) < 0 || !(st.cflags & SB_MSG_ST_STORED) || m->seq == 0 ||
	    st.to_bare_len == 0)
		return false;
	len = rec_bare(m, &st, bare);
	return sb_store_offline_has(r->store, bare, len, r->im.lim.offline_quota + 1u, NULL,
				    m->seq) == 1;
}

void sb_im_recovered(struct sb_shard *sh, struct sb_msg **h, uint32_t n)
{
	struct sb_router *r = &sh->router;
	bool *twin = calloc(n ? n : 1, sizeof(*twin));

	/* Decided before anything is routed: routing frees chains. */
	for (uint32_t i = 0; twin != NULL && i < n; i++)
		twin[i] = rec_twin(h, n, i);
	for (uint32_t i = 0; i < n; i++) {
		struct sb_msg *m = h[i];

		if (m->kind == SB_MSG_DELIVER) {
			if (rec_unpurged(sh, m)) {
				SB_IM_INC(&r->im, recover_dedup_flush);
				sb_msg_free_chain(m, &r->pool);
			} else {
				sb_router_send(sh, m->worker, m);
			}
		} else if (twin != NULL && twin[i]) {
			/* Its twin carries the promise and is routed. */
			SB_IM_INC(&r->im, recover_dedup_twin);
			sb_msg_free_chain(m, &r->pool);
		} else if (rec_stored(sh, m)) {
			SB_IM_INC(&r->im, recover_dedup_stored);
			sb_promise_fulfil(sh, m); /* it is in storage */
			sb_msg_free_chain(m, &r->pool);
		} else {
			SB_IM_INC(&r->im, offline_recovered);
			sb_promise_route(sh, m);
		}
	}
	free(twin);
}
