/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Flow control of a login's stored offline messages, the worker's half.
 *
 * sb-control sends a session its stored messages a window at a time
 * (im.offline_flush_window, control/im/im_offline.c); the last DELIVER of
 * a window after which more are stored carries SB_MSG_F_FLUSH_MORE. When
 * that DELIVER is written to the connection's send queue, directly or from
 * the held list as ACKs free room (sb_xc_deliver_write), or is taken by
 * XEP-0352 for an inactive client (xc_csi.c: it may wait there for hours,
 * within CSI's own bounds), the worker answers FLUSH_MORE to the shard
 * that owns the session, and the next window comes. So a login holds at
 * most about a window on its connection, never the thousands of chains
 * that would outgrow its share (xmpp.hold_bytes) and get a client that
 * reads at full speed reset as a slow reader.
 *
 * A FLUSH_MORE is never lost silently: with no message object or no ring
 * room it is owed on the connection (flush_owed, on the worker's flush
 * list) and sent on a later turn, counted. A connection that closes owes
 * nothing: its unwritten and unacknowledged DELIVERs go back to sb-control
 * (xc_hold.c, the flag cleared) and what was not sent stays stored.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>

#include "ring/ctl_link.h"
#include "worker.h"
#include "xc.h"

#define FLUSH_TURN_BUDGET 64u /* owed FLUSH_MOREs retried per turn */

/* FLUSH_MORE for x to its session's shard. 0, -ENOBUFS (no object or no
 * ring room: try again later), -ENOTCONN (sb-control is gone: its
 * successor knows of no flush, and the rest stays stored). */
static int flush_send(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint64_t now_tsc)
{
	struct sb_worker *w = xw->w;
	size_t len = strlen(x->jid);
	const char *slash = memchr(x->jid, '/', len);
	struct sb_msg_jid j = {
		.len = (uint16_t)len,
		.bare_len = (uint16_t)(slash != NULL ? (size_t)(slash - x->jid) : len),
	};
	unsigned shard = (unsigned)(sb_jid_bare_hash_str(x->jid, j.bare_len) % w->n_shards);
	struct sb_msg *m = w->msg_ops.alloc(w->msg_ops.arg);
	int rc;

	if (m == NULL)
		return -ENOBUFS;
	sb_msg_encode(m, SB_MSG_FLUSH_MORE, w->index, (uint16_t)shard,
		      (uint32_t)(sizeof(j) + len), 0, now_tsc);
	m->conn = sb_xc_handle(x);
	m->conn_gen = x->gen;
	memcpy(m->payload, &j, sizeof(j));
	memcpy(m->payload + sizeof(j), x->jid, len);
	rc = sb_ctl_link_send(w, shard, m, now_tsc);
	if (rc == 0)
		return 0;
	sb_msg_free_chain(m, &w->msg_ops);
	return rc == -ENOBUFS ? rc : -ENOTCONN;
}

static void flush_unowe(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	sb_xc_list_del(&xw->flush_wait, (void *const *)xw->xtab, SB_XC_FLUSH_LINK, x->idx);
	x->flush_owed = 0;
}

static void flush_result(struct sb_xc_worker *xw, int rc)
{
	if (rc == 0)
		SB_CTR_INC(xw->w, xmpp_flush_more);
	else
		SB_CTR_INC(xw->w, xmpp_flush_more_lost);
}

void sb_xc_flush_more(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m)
{
	int rc;

	if (!(m->flags & SB_MSG_F_FLUSH_MORE))
		return;
	/* Once: a DELIVER kept until acknowledged is never written again,
	 * and one given back must not read as a window's end. */
	m->flags &= (uint8_t)~SB_MSG_F_FLUSH_MORE;
	if (x->jid == NULL || x->flush_owed || (x->flags & SB_XC_F_CLOSING))
		return; /* not bound (cannot be), one owed already, or going */
	rc = flush_send(xw, x, rte_rdtsc());
	if (rc == -ENOBUFS) {
		SB_CTR_INC(xw->w, xmpp_flush_more_deferred);
		x->flush_owed = 1;
		sb_xc_list_push(&xw->flush_wait, (void *const *)xw->xtab, SB_XC_FLUSH_LINK,
				x->idx);
		return;
	}
	flush_result(xw, rc);
}

void sb_xc_flush_turn(struct sb_xc_worker *xw, uint64_t now_tsc)
{
	for (unsigned budget = FLUSH_TURN_BUDGET; xw->flush_wait.n > 0 && budget > 0; budget--) {
		struct sb_xc_conn *x = xw->xtab[xw->flush_wait.head];
		int rc;

		if (x->flags & SB_XC_F_CLOSING) {
			/* Reset, its close posted (sb_conn_abort): no next
			 * window for a stream that is going. */
			flush_unowe(xw, x);
			continue;
		}
		rc = flush_send(xw, x, now_tsc);
		if (rc == -ENOBUFS)
			return; /* the pool or the ring is still short: next turn */
		flush_unowe(xw, x);
		flush_result(xw, rc);
	}
}

void sb_xc_flush_close(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	if (x->flush_owed)
		flush_unowe(xw, x);
}
