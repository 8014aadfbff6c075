/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0198 acks as promises (issue 18: "the ack is a promise"), the
 * worker's side; the arithmetic is xc_promise.h's, sb-control's side is
 * control/router/promise.h.
 *
 * A stanza read from a stream-management client is routed flagged
 * SB_MSG_F_SM_PROMISE with its number; the client's h moves past it only
 * when its shard says, in a STANZA_DONE, that it reached its recipient's
 * worker ring or storage. A stanza handled here (answered, refused, or
 * answered with type='wait' because sb-control is gone) is safe at once.
 * An <r/> is answered at once when everything read is safe (an idle
 * client's, or one whose stanzas were all local); else its <a/> waits
 * for the missing reports, at most xmpp.sm_ack_wait_ms, and then says
 * what is safe so far: never a number too high.
 *
 * Cost: one 16-byte entry per routed stanza in a STANZA_DONE shared by
 * up to 124 of them, a bit set and a count-trailing-zeros per entry here,
 * no timer per connection (the waiting list is in deadline order).
 *
 * A SIGKILLed sb-control takes unsent reports with it. The stanzas it
 * held are routed again by its successor (control/recover.c), which owes
 * their reports in turn; the others had reached a worker or storage.
 * So at a new epoch every connection with stanzas not yet safe notes the
 * count read so far (its barrier), the worker sends PROMISE_SYNC up every
 * shard's ring behind anything parked for it, and once every shard has
 * echoed it (after its recovered stanzas' reports, with nothing left to
 * report) the barriers are taken as safe.
 */
#include <string.h>

#include <rte_cycles.h>

#include "ring/ctl_link.h"
#include "worker.h"
#include "xc.h"

/* Write one <a/> per waiting <r/> with the h that is safe now. */
static void promise_answer(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	uint8_t a[SB_C2S_SM_ACK_MAX];
	size_t n = sb_c2s_sm_ack_write(a, x->pr.done);

	for (unsigned i = 0; i < x->pr.r_n; i++)
		sb_xc_write(xw, x, a, n);
	if (x->pr.r_n > 0)
		sb_xc_list_del(&xw->pr_wait, (void *const *)xw->xtab, SB_XC_PR_LINK, x->idx);
	x->pr.r_n = 0;
}

void sb_xc_promise_safe(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint32_t h)
{
	struct sb_worker *w = xw->w;
	uint32_t old = x->pr.done;

	if (!sb_xc_promise_mark(&x->pr, h, x->c2s.sm_in))
		return;
	SB_CTR_ADD(w, xmpp_sm_promised, x->pr.done - old);
	if (x->pr.r_n > 0 && sb_c2s_sm_le(x->pr.r_h, x->pr.done))
		promise_answer(xw, x);
}

void sb_xc_promise_element(struct sb_xc_worker *xw, struct sb_xc_conn *x, bool was_sm,
			   uint32_t rcvd_before, enum sb_c2s_action act)
{
	if (!sb_c2s_sm_enabled(&x->c2s))
		return;
	if (!was_sm) {
		/* <enable/>: both counts start at 0 (§4). */
		sb_xc_promise_reset(&x->pr, x->c2s.sm_in);
		return;
	}
	/* A stanza lib/xmpp handled without routing: safe now. A routed
	 * one waits for its shard (sb_xc_route flags it). */
	if (x->c2s.sm_in != rcvd_before && act != SB_C2S_ACT_ROUTE)
		sb_xc_promise_safe(xw, x, x->c2s.sm_in);
}

void sb_xc_promise_request(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;

	if (x->pr.done == x->c2s.sm_in && x->pr.r_n == 0) {
		uint8_t a[SB_C2S_SM_ACK_MAX];

		sb_xc_write(xw, x, a, sb_c2s_sm_ack_write(a, x->pr.done));
		return;
	}
	SB_CTR_INC(w, xmpp_sm_ack_waited);
	x->pr.r_h = x->c2s.sm_in; /* a later <r/> waits for its own stanzas too */
	if (x->pr.r_n == 0) {
		x->pr.r_deadline_ms = (uint32_t)(w->now_us / 1000) + xw->pr_wait_ms;
		sb_xc_list_push(&xw->pr_wait, (void *const *)xw->xtab, SB_XC_PR_LINK, x->idx);
	}
	if (x->pr.r_n < UINT8_MAX)
		x->pr.r_n++;
	if (xw->pr_wait_ms == 0) {
		SB_CTR_INC(w, xmpp_sm_ack_short);
		promise_answer(xw, x);
	}
}

/* XEP-0198 §5: the HIBERNATE of a closed connection carries the h that
 * <resumed/> or, once the window is over, <failed/> will tell. Sent while
 * stanzas the client sent are still on their way (their reports a few
 * microseconds behind, usually), it would tell less than the server
 * handled, and the client would send those again: duplicates. So it waits
 * for the reports as an <r/> does, at most xmpp.sm_ack_wait_ms, on the
 * same list; sb_xc_linger sends it when they are in. */
void sb_xc_promise_close(struct sb_xc_worker *xw, struct sb_xc_conn *x, bool hib)
{
	struct sb_worker *w = xw->w;

	if (x->pr.r_n > 0)
		sb_xc_list_del(&xw->pr_wait, (void *const *)xw->xtab, SB_XC_PR_LINK, x->idx);
	x->pr.r_n = 0;
	x->pr.hib_wait = 0;
	if (!hib || !sb_c2s_sm_enabled(&x->c2s) || x->pr.done == x->c2s.sm_in ||
	    xw->pr_wait_ms == 0)
		return;
	SB_CTR_INC(w, xmpp_sm_hibernate_waited);
	x->pr.hib_wait = 1;
	x->pr.r_deadline_ms = (uint32_t)(w->now_us / 1000) + xw->pr_wait_ms;
	sb_xc_list_push(&xw->pr_wait, (void *const *)xw->xtab, SB_XC_PR_LINK, x->idx);
}

/* The wait of a closed connection's HIBERNATE is over. */
static void promise_hib_end(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	sb_xc_list_del(&xw->pr_wait, (void *const *)xw->xtab, SB_XC_PR_LINK, x->idx);
	x->pr.hib_wait = 0;
	sb_xc_linger(xw, x);
}

/* A report for connection (conn, gen): the table lookup without the
 * stale-reply count, as a closed sender is an ordinary case here. */
static struct sb_xc_conn *promise_conn(struct sb_xc_worker *xw, uint64_t conn, uint32_t gen)
{
	struct sb_xc_conn *x;

	if (conn >= xw->xtab_n)
		return NULL;
	x = xw->xtab[conn];
	if (x->gen != gen)
		return NULL;
	if (x->pr.hib_wait)
		return x; /* closed, its HIBERNATE waiting for this */
	return x->conn != NULL && sb_c2s_sm_enabled(&x->c2s) ? x : NULL;
}

static void promise_done(struct sb_xc_worker *xw, const struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	struct sb_msg_done d;

	if (m->len < sizeof(d)) {
		SB_CTR_INC(w, msg_bad);
		return;
	}
	memcpy(&d, m->payload, sizeof(d));
	if (d.n > SB_MSG_DONE_MAX || sizeof(d) + d.n * sizeof(d.e[0]) > m->len) {
		SB_CTR_INC(w, msg_bad);
		return;
	}
	for (uint32_t i = 0; i < d.n; i++) {
		struct sb_msg_done_ent e;
		struct sb_xc_conn *x;
		bool paused;

		memcpy(&e, m->payload + sizeof(d) + i * sizeof(e), sizeof(e));
		x = promise_conn(xw, e.conn, e.conn_gen);
		if (x == NULL) {
			SB_CTR_INC(w, xmpp_sm_promise_stale);
			continue;
		}
		paused = sb_xc_promise_full(&x->pr, x->c2s.sm_in);
		sb_xc_promise_safe(xw, x, e.sm_h);
		if (x->conn == NULL) {
			if (x->pr.done == x->c2s.sm_in)
				promise_hib_end(xw, x);
			continue;
		}
		/* Input paused on a full window reads again. */
		if (paused && !sb_xc_promise_full(&x->pr, x->c2s.sm_in))
			sb_xc_pump(xw, x);
	}
}

/* Every shard echoed: stanzas read before the epoch are safe. */
static void promise_sync_done(struct sb_xc_worker *xw)
{
	struct sb_worker *w = xw->w;

	for (uint32_t i = xw->bound.head; i != SB_XC_LIST_NONE;) {
		struct sb_xc_conn *x = xw->xtab[i];
		bool paused;
		uint32_t old = x->pr.done;

		i = x->bound_link.next;
		if (!x->pr.barrier_set || x->conn == NULL)
			continue;
		x->pr.barrier_set = 0;
		paused = sb_xc_promise_full(&x->pr, x->c2s.sm_in);
		if (!sb_xc_promise_upto(&x->pr, x->pr.barrier, x->c2s.sm_in))
			continue;
		SB_CTR_INC(w, xmpp_sm_promise_synced);
		SB_CTR_ADD(w, xmpp_sm_promised, x->pr.done - old);
		if (x->pr.r_n > 0 && sb_c2s_sm_le(x->pr.r_h, x->pr.done))
			promise_answer(xw, x);
		if (paused && !sb_xc_promise_full(&x->pr, x->c2s.sm_in))
			sb_xc_pump(xw, x);
	}
	xw->pr_syncing = false;
}

void sb_xc_promise_from_control(struct sb_xc_worker *xw, unsigned shard, const struct sb_msg *m)
{
	if (m->kind == SB_MSG_STANZA_DONE) {
		promise_done(xw, m);
		return;
	}
	/* PROMISE_SYNC echo: only the newest epoch's counts. */
	if (!xw->pr_syncing || m->seq != xw->pr_epoch || shard >= 64u)
		return;
	xw->pr_sync_got |= 1ull << shard;
	if (xw->pr_sync_got == xw->pr_sync_sent &&
	    __builtin_popcountll(xw->pr_sync_got) == (int)xw->w->n_shards)
		promise_sync_done(xw);
}

/* A new epoch: note each connection's barrier; none pending, no sync. */
static void promise_sync_start(struct sb_xc_worker *xw, uint32_t epoch)
{
	bool any = false;

	xw->pr_epoch = epoch;
	for (uint32_t i = xw->bound.head; i != SB_XC_LIST_NONE;) {
		struct sb_xc_conn *x = xw->xtab[i];

		i = x->bound_link.next;
		x->pr.barrier_set = 0;
		if (x->conn == NULL || !sb_c2s_sm_enabled(&x->c2s) || x->pr.done == x->c2s.sm_in)
			continue;
		x->pr.barrier = x->c2s.sm_in;
		x->pr.barrier_set = 1;
		any = true;
	}
	xw->pr_syncing = any;
	xw->pr_sync_sent = xw->pr_sync_got = 0;
}

/* PROMISE_SYNC to every shard not sent yet, each behind what is parked
 * for it (nothing overtakes a parked message). */
static void promise_sync_send(struct sb_xc_worker *xw)
{
	struct sb_worker *w = xw->w;

	for (unsigned s = 0; s < w->n_shards; s++) {
		struct sb_msg *m;

		if ((xw->pr_sync_sent >> s) & 1u || xw->waiting[s].n > 0)
			continue;
		m = w->msg_ops.alloc(w->msg_ops.arg);
		if (m == NULL) {
			SB_CTR_INC(w, msg_alloc_fail);
			return;
		}
		sb_msg_encode(m, SB_MSG_PROMISE_SYNC, w->index, (uint16_t)s, 0, xw->pr_epoch,
			      rte_rdtsc());
		if (sb_ctl_link_send(w, s, m, rte_rdtsc()) < 0) {
			sb_msg_free_chain(m, &w->msg_ops);
			return;
		}
		xw->pr_sync_sent |= 1ull << s;
	}
}

void sb_xc_promise_turn(struct sb_xc_worker *xw, uint64_t now_ms)
{
	struct sb_worker *w = xw->w;
	uint32_t budget = 256;

	while (xw->pr_wait.head != SB_XC_LIST_NONE && budget-- > 0) {
		struct sb_xc_conn *x = xw->xtab[xw->pr_wait.head];

		if ((int32_t)((uint32_t)now_ms - x->pr.r_deadline_ms) < 0)
			break;
		if (x->pr.hib_wait) {
			SB_CTR_INC(w, xmpp_sm_hibernate_short);
			promise_hib_end(xw, x); /* with what is safe so far */
			continue;
		}
		SB_CTR_INC(w, xmpp_sm_ack_short);
		promise_answer(xw, x);
	}
	if (w->n_shards > 64u)
		return;
	if (__atomic_load_n(&w->shm->ctl_epoch, __ATOMIC_ACQUIRE) != xw->pr_epoch &&
	    sb_ctl_link_attached(w, rte_rdtsc()))
		promise_sync_start(xw, __atomic_load_n(&w->shm->ctl_epoch, __ATOMIC_ACQUIRE));
	if (xw->pr_syncing && sb_ctl_link_attached(w, rte_rdtsc()))
		promise_sync_send(xw);
}
