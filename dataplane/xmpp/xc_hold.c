/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DELIVERs a recipient cannot take yet, and what becomes of them.
 *
 * A stanza that reached the recipient's worker is never dropped because the
 * recipient reads slowly. While its TCP send queue is full, the DELIVER
 * chain itself is kept on the connection (no copy: the message objects are
 * linked through sb_msg.held) and written, in order, as ACKs free room
 * (on_writable). Later DELIVERs queue behind it so order holds.
 *
 * A reader that makes no progress for xmpp.slow_reader_ms, or whose held
 * stanzas outgrow their share (xmpp.hold_bytes per connection; past the
 * worker's part of the message pool, xmpp.hold_pool_pct, the readers
 * furthest behind), is not reading: its connection is reset
 * (an orderly close would wait on the window it keeps shut) and counted.
 * What it held is not lost, nor what it was written and its TCP did not
 * acknowledge (xc_sm.c): once the connection's UNBIND is on the ring,
 * each of those, oldest first, then each held DELIVER goes back to
 * sb-control as a STANZA flagged
 * SB_MSG_F_RETURNED, which routes it again (RFC 6121 §8.5.3.2.1: another
 * resource of the account, else what the account's rules say). DELIVERs
 * that arrive after the connection's object was released are returned the
 * same way at once: sb-control has had the UNBIND before them.
 */
#include <errno.h>

#include <rte_cycles.h>

#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xc.h"

static uint16_t hold_objs(const struct sb_msg *m)
{
	uint16_t n = 0;

	for (; m != NULL; m = m->next)
		n++;
	return n;
}

static void hold_arm(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;

	sb_wheel_cancel(&xw->wheel, &x->deadline);
	sb_wheel_arm(&xw->wheel, &x->deadline, w->now_us / 1000 + xw->slow_reader_ms);
}

void sb_xc_slow_reader(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	if (x->conn == NULL || (x->conn->flags & SB_CONN_F_DEAD))
		return; /* already going */
	/* A stream already closing is only not waited for any more. */
	if (!(x->flags & SB_XC_F_CLOSING))
		SB_CTR_INC(w, xmpp_slow_reader);
	x->flags |= SB_XC_F_CLOSING;
	sb_conn_abort(w, x->conn);
}

/* Whether x, over a share, is the one to reset: over its own always;
 * over the worker's only if it holds at least the average of those that
 * hold, so the pool's pressure falls on the readers furthest behind and
 * not on whoever got the next stanza. (Pausing the control link instead
 * was tried: under 4.5 x overload it stalled both processes; see
 * docs/BENCHMARKS.md.) */
static bool hold_over_share(const struct sb_xc_worker *xw, const struct sb_xc_conn *x)
{
	/* Held objects only: stanzas written and kept until TCP's ACK
	 * (xc_sm.c) are bounded by tcp.snd_queue_max and the pool's reserve;
	 * counted here they reset readers that kept up (docs/BENCHMARKS.md). */
	if (x->held_objs > xw->hold_conn_max)
		return true;
	return xw->held_objs > xw->hold_worker_max &&
	       (uint64_t)x->held_objs * xw->holders >= xw->held_objs;
}

void sb_xc_hold_link(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m)
{
	uint16_t n = hold_objs(m);

	m->held = NULL;
	if (x->held_tail != NULL) {
		x->held_tail->held = m;
	} else {
		x->held_head = m;
		xw->holders++;
	}
	x->held_tail = m;
	x->held_objs = (uint16_t)RTE_MIN((uint32_t)x->held_objs + n, (uint32_t)UINT16_MAX);
	xw->held_objs += n;
}

void sb_xc_hold(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
		const struct sb_msg_stanza *h)
{
	struct sb_worker *w = xw->w;
	bool first = x->held_head == NULL;

	(void)h;
	/* What a closed, inactive client was spared is older: it goes first. */
	if (x->csi != NULL)
		sb_xc_csi_spill(xw, x);
	sb_xc_hold_link(xw, x, m);
	SB_CTR_INC(w, xmpp_deliver_held);
	if (x->conn == NULL)
		return; /* closed: returned after its UNBIND (sb_xc_linger) */
	/* Over its own share the reader is too far behind to wait for; the
	 * held chains stay until the close returns them (a bounded overshoot:
	 * what sb-control sent before it learns of the close). */
	if (hold_over_share(xw, x)) {
		sb_xc_slow_reader(xw, x);
		return;
	}
	if (first)
		hold_arm(xw, x);
}

static struct sb_msg *hold_pop(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_msg *m = x->held_head;
	uint16_t n = hold_objs(m);

	x->held_head = m->held;
	if (x->held_head == NULL) {
		x->held_tail = NULL;
		xw->holders--;
	}
	m->held = NULL;
	x->held_objs = (uint16_t)(x->held_objs > n ? x->held_objs - n : 0);
	xw->held_objs -= RTE_MIN(xw->held_objs, (uint32_t)n);
	return m;
}

void sb_xc_hold_flush(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	bool moved = false;

	while (x->held_head != NULL && x->conn != NULL && !(x->flags & SB_XC_F_CLOSING)) {
		struct sb_msg_stanza h;
		struct sb_msg *m;

		/* Checked when it arrived (sb_xc_deliver). */
		(void)sb_msg_stanza_read(x->held_head, &h);
		if (!sb_xc_deliver_fits(xw, x, &h) || sb_xc_sm_full(xw, x))
			break;
		m = hold_pop(xw, x);
		sb_xc_deliver_write(xw, x, m, &h);
		if (!sb_xc_sm_keep(xw, x, m))
			sb_msg_free_chain(m, &w->msg_ops);
		moved = true;
	}
	if (!moved)
		return;
	/* Progress: the reader gets a new deadline for what is left. */
	if (x->held_head != NULL) {
		hold_arm(xw, x);
	} else {
		sb_wheel_cancel(&xw->wheel, &x->deadline);
		sb_xc_sm_probe_arm(xw, x); /* the deadline is the probe's again */
	}
}

void sb_xc_hold_expired(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	if (x->held_head != NULL)
		sb_xc_slow_reader(xw, x);
	else
		sb_xc_sm_probe_expired(xw, x);
}

/* Re-label a DELIVER as a returned STANZA for the shard that routed it. */
static struct sb_msg *hold_relabel(struct sb_xc_worker *xw, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	m->kind = SB_MSG_STANZA;
	/* Not written: no FLUSH_MORE is owed for it, and routed again it
	 * is no window's end. */
	m->flags = (uint8_t)((m->flags & ~(SB_MSG_F_FROM_CONTROL | SB_MSG_F_FLUSH_MORE)) |
			     SB_MSG_F_RETURNED);
	m->worker = (uint16_t)w->index;
	m->seq = 0;
	m->t0_tsc = rte_rdtsc();
	SB_CTR_INC(w, xmpp_deliver_returned);
	return m;
}

struct sb_msg *sb_xc_hold_return(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	/* Written but not acknowledged (by TCP, or XEP-0198) comes first:
	 * it is older. A stream-management one keeps its outbound number,
	 * so that a resumed session drops the ones the client's h says it
	 * had after all. */
	if (x->sm_head != NULL) {
		struct sb_msg *m = sb_xc_sm_pop(xw, x);
		uint64_t seq = m->sm_seq;

		hold_relabel(xw, m);
		if (seq == SB_XC_KEPT_TCP) {
			/* Written without stream management, its bytes not
			 * acknowledged by the client's TCP: routed again
			 * like a held one (at-least-once, see xc_sm.c). */
			SB_CTR_INC(xw->w, xmpp_unacked_returned);
			return m;
		}
		m->sm_seq = seq;
		m->flags |= SB_MSG_F_SM_SENT;
		return m;
	}
	/* XEP-0352: what an inactive client was spared is newer than what
	 * its send queue held (an urgent stanza wrote it out first). */
	if (x->csi != NULL)
		sb_xc_csi_spill(xw, x);
	if (x->held_head == NULL)
		return NULL;
	return hold_relabel(xw, hold_pop(xw, x));
}

/* Send returned messages parked on the worker, oldest first. */
void sb_xc_hold_returns_turn(struct sb_xc_worker *xw, uint64_t now_tsc)
{
	struct sb_worker *w = xw->w;

	for (unsigned budget = 256; xw->ret_head != NULL && budget > 0; budget--) {
		struct sb_msg *m = xw->ret_head;
		int rc = sb_ctl_link_send(w, m->shard, m, now_tsc);

		if (rc == -ENOBUFS)
			return;
		xw->ret_head = m->held;
		if (xw->ret_head == NULL)
			xw->ret_tail = NULL;
		if (rc < 0) {
			/* sb-control is gone: nobody is left to route it. */
			SB_CTR_INC(w, xmpp_deliver_lost);
			sb_msg_free_chain(m, &w->msg_ops);
		}
	}
}

void sb_xc_hold_return_late(struct sb_xc_worker *xw, struct sb_msg *m)
{
	hold_relabel(xw, m);
	m->held = NULL;
	if (xw->ret_tail != NULL)
		xw->ret_tail->held = m;
	else
		xw->ret_head = m;
	xw->ret_tail = m;
	sb_xc_hold_returns_turn(xw, rte_rdtsc());
}
