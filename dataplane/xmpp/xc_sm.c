/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DELIVERs written to a client and not yet acknowledged, and what becomes
 * of them: by XEP-0198 stream management when the client enabled it, else
 * by its TCP.
 *
 * A DELIVER's bytes already exist as a message chain when they are
 * written; instead of freeing it, the connection keeps the chain itself
 * (no copy) on its kept list (sm_head), linked through sb_msg.held, with
 * the TCP sequence number one past its last byte in sb_msg.epoch (spent
 * once a DELIVER reached its worker).
 *
 * Without stream management (sb_msg.sm_seq == SB_XC_KEPT_TCP), a chain is
 * released when the connection's SND.UNA passes its last byte: the
 * client's TCP has it (sb_xc_sm_tcp_acked, on the ACK's on_writable and
 * once more when the connection closes; each release is a compare at the
 * list's head, no per-segment bookkeeping). What its TCP had not
 * acknowledged when the connection is reset or closed (a slow reader
 * reset in xc_hold.c, an RST, a timeout) is not lost: it goes back to
 * sb-control with the held ones (below). This is at-least-once: a stanza
 * whose bytes reached the client but whose ACK did not reach us before the
 * reset is routed again and may arrive twice (at another resource or from
 * offline storage); one whose bytes the client's TCP acknowledged but the
 * application never read (it died with them in its socket buffer) counts
 * as delivered, as with any TCP server.
 *
 * Their cost: one message object or more per stanza in flight. They are
 * counted with XEP-0198's (sm_objs; gauges xmpp_unacked_objs / _peak) but
 * trigger no reset: counted in the hold shares (xmpp.hold_bytes,
 * xmpp.hold_pool_pct), they reset readers that kept up under overload
 * (docs/BENCHMARKS.md). What bounds them: a chain is kept only while its
 * bytes are in the send queue (tcp.snd_queue_max per connection); a reader
 * that stops is held behind them and reset after xmpp.slow_reader_ms; and
 * every chain began as a client's stanza, which the glue stops taking at
 * the message pool's reserve (sb_ctl_link_msgs_low), so the senders'
 * windows close and the reserve stays for the UNBINDs the returns wait on.
 *
 * With stream management on, a kept chain is numbered in sb_msg.sm_seq
 * with the outbound count lib/xmpp keeps (sb_c2s_sm_sent()). The client's
 * <a h/> releases every chain numbered up to h (serial arithmetic, so the
 * count may wrap at 2^32). Stanzas written without a chain of their own
 * (replies the dataplane writes, each copy of a DELIVER_MULTI presence)
 * are counted in h but not kept: errors and pongs answer a request the
 * client can repeat, and presence is state the next broadcast replaces.
 * Chains kept by TCP before the client enabled stream management stay
 * TCP's to release.
 *
 * Limits: a connection keeps at most xmpp.sm_unacked_max DELIVERs. At half
 * of it, and again at the cap, the server asks for an ack (<r/>). At the
 * cap nothing more is written: further DELIVERs are held (xc_hold.c, no
 * copy) until an ack frees room, so a burst (a resumed session's queue)
 * waits for the client's acks instead of ending its stream; a client that
 * does not ack is a reader that makes no progress, reset after
 * xmpp.slow_reader_ms like any other (counted xmpp_sm_unacked_full when
 * the cap holds stanzas back). The chains count in the worker's share of
 * the message pool together with held ones (xmpp.hold_pool_pct): past it,
 * a connection keeping a quarter of its cap or more is reset.
 *
 * A client that closes its stream (</stream:stream>) without a last <a/>
 * (libstrophe does) had read what its TCP acknowledged before the close:
 * a socket closed with unread data is reset, not closed. So on a clean
 * close from the client, a kept chain whose last byte is below SND.UNA
 * counts as delivered (xmpp_sm_closed_delivered); only the rest is routed
 * again, which would otherwise reach the client twice (live, then from
 * offline storage at its next login).
 *
 * Dead peers: a connection with stream management on that has received
 * nothing for xmpp.sm_probe_idle_ms gets an <r/>; if still nothing comes
 * back (not one byte: RCV.NXT is the witness, so no per-packet
 * bookkeeping) within xmpp.sm_probe_wait_ms, it is reset (counted
 * xmpp_sm_dead_peer) and, resumable, hibernates: stanzas stop waiting on a
 * dead link. The probe uses the connection's deadline timer while nothing
 * is held (held DELIVERs use it for the slow-reader deadline).
 *
 * Nothing kept is lost when the connection ends without every stanza
 * acknowledged (RST, timeout, </stream> with some outstanding, a reset
 * above): after the connection's UNBIND, each kept chain goes back to
 * sb-control as a STANZA flagged SB_MSG_F_RETURNED (and SB_MSG_F_SM_SENT
 * with its number when stream management kept it), oldest first and
 * before any held one (sb_xc_sm_pop, called by the return path in
 * xc_hold.c), and sb-control routes it again: another available resource,
 * else offline storage with a <delay/> (XEP-0198 §5's advice for a session
 * that is not resumed).
 */
#include <rte_common.h>

#include "tcp/conn.h"
#include "tcp_seq.h"
#include "worker.h"
#include "xc.h"

static const char sm_r[] = "<r xmlns='urn:xmpp:sm:3'/>";

static uint16_t sm_objs_of(const struct sb_msg *m)
{
	uint16_t n = 0;

	for (; m != NULL; m = m->next)
		n++;
	return n;
}

/* Over the worker's share of the pool (held and kept together), the
 * connections keeping many are the ones reset. */
static bool sm_over_share(const struct sb_xc_worker *xw, const struct sb_xc_conn *x)
{
	return sb_xc_share_objs(xw) > xw->hold_worker_max &&
	       x->sm_kept >= xw->sm_kept_max / 4u;
}

bool sb_xc_sm_full(struct sb_xc_worker *xw, const struct sb_xc_conn *x)
{
	if (!sb_c2s_sm_enabled(&x->c2s) || x->sm_kept < xw->sm_kept_max)
		return false;
	SB_CTR_INC(xw->w, xmpp_sm_unacked_full);
	return true;
}

/* Link m at the tail of x's kept list and count its objects. */
static void sm_link(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m, uint16_t n)
{
	struct sb_worker *w = xw->w;

	m->held = NULL;
	if (x->sm_tail != NULL)
		x->sm_tail->held = m;
	else
		x->sm_head = m;
	x->sm_tail = m;
	x->sm_kept++;
	x->sm_objs = (uint16_t)RTE_MIN((uint32_t)x->sm_objs + n, (uint32_t)UINT16_MAX);
	xw->sm_objs += n;
	if (m->sm_seq == SB_XC_KEPT_TCP)
		xw->tcp_objs += n;
	w->ctr[SB_DP_CTR_xmpp_unacked_objs] = xw->sm_objs;
	if (xw->sm_objs > w->ctr[SB_DP_CTR_xmpp_unacked_objs_peak])
		w->ctr[SB_DP_CTR_xmpp_unacked_objs_peak] = xw->sm_objs;
}

bool sb_xc_sm_keep(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	uint16_t n = sm_objs_of(m);

	if (x->conn == NULL) {
		/* The write itself ended the connection (its queue refused
		 * the bytes: reset as not reading). Released already, its
		 * UNBIND went up: give it back now; else it goes back with
		 * the rest of what x kept. */
		if (x->gen != m->conn_gen) {
			sb_xc_hold_return_late(xw, m);
			return true;
		}
		m->sm_seq = SB_XC_KEPT_TCP;
		m->epoch = 0;
		sm_link(xw, x, m, n);
		return true;
	}
	/* The sequence number one past its last byte. */
	m->epoch = x->conn->tcb.snd_una + x->conn->snd_queued;
	if (!sb_c2s_sm_enabled(&x->c2s)) {
		/* Kept until the client's TCP has it. No share here: a
		 * reader that keeps up still has its last window in flight. */
		m->sm_seq = SB_XC_KEPT_TCP;
		sm_link(xw, x, m, n);
		SB_CTR_INC(w, xmpp_unacked_kept);
		return true;
	}
	m->sm_seq = sb_c2s_sm_sent(&x->c2s);
	sm_link(xw, x, m, n);
	SB_CTR_INC(w, xmpp_sm_kept);
	if (sm_over_share(xw, x)) {
		SB_CTR_INC(w, xmpp_sm_unacked_over);
		sb_xc_slow_reader(xw, x);
	} else if (x->sm_kept == xw->sm_kept_max / 2u || x->sm_kept == xw->sm_kept_max) {
		/* XEP-0198 §4: ask before the cap is near, and at it. */
		sb_xc_write(xw, x, (const uint8_t *)sm_r, sizeof(sm_r) - 1);
		SB_CTR_INC(w, xmpp_sm_requests_out);
	}
	return true;
}

/* Whether the client's TCP acknowledged kept m's last byte (una: SND.UNA). */
static bool sm_tcp_has(const struct sb_msg *m, uint32_t una)
{
	return m->sm_seq == SB_XC_KEPT_TCP && sb_seq_leq(m->epoch, una);
}

void sb_xc_sm_tcp_acked(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	uint32_t una;

	if (x->conn == NULL)
		return;
	una = x->conn->tcb.snd_una;
	while (x->sm_head != NULL && sm_tcp_has(x->sm_head, una)) {
		sb_msg_free_chain(sb_xc_sm_pop(xw, x), &w->msg_ops);
		SB_CTR_INC(w, xmpp_unacked_tcp_acked);
	}
}

void sb_xc_sm_sent(struct sb_xc_conn *x)
{
	(void)sb_c2s_sm_sent(&x->c2s);
}

void sb_xc_sm_enabled(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	const struct sb_c2s_result *res = &xw->env.res;
	struct sb_msg_sm p = { .max_s = res->sm_max };
	struct sb_msg *m;
	unsigned shard;

	memcpy(x->sm_id, res->sm_id, sizeof(x->sm_id));
	memcpy(p.id, res->sm_id, sizeof(p.id));
	m = sb_xc_sm_msg(xw, x, SB_MSG_SM_ENABLE, &p, x->jid, strlen(x->jid), &shard);
	if (m == NULL) {
		/* The shard will not know the id: a <resume/> with it fails
		 * and the client binds anew; nothing is lost but the session. */
		SB_CTR_INC(xw->w, msg_alloc_fail);
		return;
	}
	sb_xc_send(xw, x, shard, m);
}

void sb_xc_sm_resume_request(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	const struct sb_c2s_result *res = &xw->env.res;
	struct sb_msg_sm p = { .h_out = res->sm_h };
	struct sb_msg *m;
	unsigned shard;

	memcpy(p.id, res->sm_id, sizeof(p.id));
	m = sb_xc_sm_msg(xw, x, SB_MSG_RESUME_REQ, &p, res->bare, res->bare_len, &shard);
	if (m == NULL) {
		SB_CTR_INC(xw->w, msg_alloc_fail);
		sb_xc_act(xw, x, sb_c2s_resume_result(&x->c2s, &xw->env, false, NULL, 0, 0, false));
		return;
	}
	sb_xc_send(xw, x, shard, m);
}

struct sb_msg *sb_xc_sm_pop(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_msg *m = x->sm_head;
	uint16_t n;

	if (m == NULL)
		return NULL;
	n = sm_objs_of(m);
	x->sm_head = m->held;
	if (x->sm_head == NULL)
		x->sm_tail = NULL;
	m->held = NULL;
	x->sm_kept--;
	x->sm_objs = (uint16_t)(x->sm_objs > n ? x->sm_objs - n : 0);
	xw->sm_objs -= RTE_MIN(xw->sm_objs, (uint32_t)n);
	if (m->sm_seq == SB_XC_KEPT_TCP)
		xw->tcp_objs -= RTE_MIN(xw->tcp_objs, (uint32_t)n);
	xw->w->ctr[SB_DP_CTR_xmpp_unacked_objs] = xw->sm_objs;
	return m;
}

static void sm_probe_at(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint32_t ms)
{
	x->sm_rcv = x->conn->tcb.rcv_nxt;
	sb_wheel_arm(&xw->wheel, &x->deadline, xw->w->now_us / 1000 + ms);
}

void sb_xc_sm_probe_arm(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	if (xw->sm_probe_idle_ms == 0 || x->conn == NULL || !sb_c2s_sm_enabled(&x->c2s) ||
	    sb_wheel_timer_armed(&x->deadline) || (x->flags & SB_XC_F_CLOSING))
		return;
	x->flags &= (uint8_t)~SB_XC_F_SM_PROBED;
	sm_probe_at(xw, x, xw->sm_probe_idle_ms);
}

void sb_xc_sm_probe_expired(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;

	if (x->conn == NULL || (x->flags & SB_XC_F_CLOSING) || !sb_c2s_sm_enabled(&x->c2s) ||
	    xw->sm_probe_idle_ms == 0)
		return;
	if (x->conn->tcb.rcv_nxt != x->sm_rcv) {
		/* It spoke since: alive; look again after a full idle time. */
		x->flags &= (uint8_t)~SB_XC_F_SM_PROBED;
		sm_probe_at(xw, x, xw->sm_probe_idle_ms);
		return;
	}
	if (!(x->flags & SB_XC_F_SM_PROBED)) {
		x->flags |= SB_XC_F_SM_PROBED;
		sb_xc_write(xw, x, (const uint8_t *)sm_r, sizeof(sm_r) - 1);
		SB_CTR_INC(w, xmpp_sm_requests_out);
		sm_probe_at(xw, x, xw->sm_probe_wait_ms);
		return;
	}
	SB_CTR_INC(w, xmpp_sm_dead_peer);
	sb_conn_abort(w, x->conn);
}

void sb_xc_sm_stream_closed(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	uint32_t una;

	if (x->conn == NULL)
		return;
	sb_xc_sm_tcp_acked(xw, x);
	una = x->conn->tcb.snd_una;
	while (x->sm_head != NULL && sb_seq_leq(x->sm_head->epoch, una)) {
		sb_msg_free_chain(sb_xc_sm_pop(xw, x), &w->msg_ops);
		SB_CTR_INC(w, xmpp_sm_closed_delivered);
	}
}

void sb_xc_sm_acked(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	uint32_t h = xw->env.res.sm_h;

	/* Kept by TCP before stream management was on: TCP's to release
	 * (sb_xc_sm_tcp_acked), ahead of the numbered ones. */
	sb_xc_sm_tcp_acked(xw, x);
	while (x->sm_head != NULL && x->sm_head->sm_seq != SB_XC_KEPT_TCP &&
	       sb_c2s_sm_le((uint32_t)x->sm_head->sm_seq, h)) {
		sb_msg_free_chain(sb_xc_sm_pop(xw, x), &w->msg_ops);
		SB_CTR_INC(w, xmpp_sm_acked);
	}
	/* Room under the cap: what it held back can go. */
	if (x->held_head != NULL)
		sb_xc_hold_flush(xw, x);
}
