/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0352 client state indication in the dataplane: what an inactive
 * client is spared, and when it gets it.
 *
 * A client that said <inactive/> (lib/xmpp keeps the bit) gets urgent
 * stanzas at once; the rest wait on the connection, in order, as the
 * DELIVER chains themselves (no copy: linked through sb_msg.held, like
 * xc_hold.c's). The ring's one pointer on the connection is the newest,
 * whose `held` points back to the oldest, so appending and taking the
 * whole ring cost O(1) with 8 bytes per connection.
 *
 * Urgent (Prosody's mod_csi_simple and Conversations agree on it): every
 * iq (a request waits for its answer), subscription requests and probes,
 * message errors, and a message carrying one of the elements
 * sb_c2s_csi_scan() looks for (<body>, <subject>, <encrypted>, a carbon
 * <sent>, an invite, a call proposal). Not urgent: available and
 * unavailable presence, presence errors, headlines (PEP notifications),
 * and messages with none of those: chat states, XEP-0184 receipts,
 * XEP-0333 markers. An urgent stanza writes the held ones first, then
 * itself: order is never changed, only delayed.
 *
 * Presence is state: a newer available or unavailable presence from the
 * same full JID drops the held one (xmpp_csi_superseded); the newer one
 * takes its turn at the end. The key is a hash of `from` kept in
 * sb_msg.sm_seq while the chain waits here (it is numbered for XEP-0198
 * only once written), checked byte by byte on a match; the arrival time
 * (worker ms) waits in sb_msg.epoch, spent once a DELIVER reached its
 * worker.
 *
 * Bounds: xmpp.csi_held_max stanzas and xmpp.csi_held_bytes per
 * connection, and the worker's share of the message pool
 * (xmpp.hold_pool_pct, with held and unacknowledged chains): past any,
 * what waits is written (xmpp_csi_flush_full), as for an active client.
 * CSI saves a phone's radio; it never makes the server hold more than
 * it would for a slow reader.
 *
 * XEP-0198: a held stanza was not written, so it is neither counted in
 * the outbound h nor kept as unacknowledged; once written it is numbered
 * and kept like any other (sb_xc_deliver_out). When the connection ends,
 * what waits here joins the end of its held list (sb_xc_csi_spill: it is
 * newer than any of those) and goes back to sb-control after the UNBIND
 * or before the HIBERNATE like them (xc_hold.c, xc_ctl.c): to another
 * resource, offline storage or the resumed session. Nothing is lost.
 *
 * A presence broadcast (DELIVER_MULTI) is one chain for many connections
 * and cannot be linked to one; an inactive recipient gets its copy as a
 * DELIVER of its own (sb_xc_csi_multi: one object for a usual presence,
 * made instead of the write that would copy the same bytes into mbufs).
 */
#include <string.h>

#include <rte_common.h>

#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xc.h"

static uint16_t csi_objs_of(const struct sb_msg *m)
{
	uint16_t n = 0;

	for (; m != NULL; m = m->next)
		n++;
	return n;
}

/* Whether h is an available/unavailable presence: state that a newer
 * one from the same full JID replaces. */
static bool csi_is_state(const struct sb_msg_stanza *h)
{
	return h->kind == SB_STANZA_PRESENCE &&
	       (h->type == SB_STYPE_NONE || h->type == SB_STYPE_UNAVAILABLE);
}

/* Call fn on each piece of chain bytes [off, off + len) of m, in order,
 * until it returns non-zero, which is returned (0 when all were seen). */
static int csi_range(const struct sb_msg *m, size_t off, size_t len,
		     int (*fn)(void *arg, const uint8_t *p, size_t n), void *arg)
{
	for (const struct sb_msg *o = m; o != NULL && len > 0; o = o->next) {
		size_t n;
		int rc;

		if (off >= o->len) {
			off -= o->len;
			continue;
		}
		n = RTE_MIN((size_t)o->len - off, len);
		rc = fn(arg, o->payload + off, n);
		if (rc != 0)
			return rc;
		len -= n;
		off = 0;
	}
	return 0;
}

static int csi_scan_piece(void *arg, const uint8_t *p, size_t n)
{
	return sb_c2s_csi_scan(arg, p, n) ? 1 : 0;
}

/* Whether chain bytes [off, off + len) of m hold an urgent element. */
static bool csi_scan_chain(const struct sb_msg *m, size_t off, size_t len)
{
	struct sb_c2s_csi_scan s;

	sb_c2s_csi_scan_init(&s);
	return csi_range(m, off, len, csi_scan_piece, &s) != 0;
}

static bool csi_urgent(const struct sb_msg *m, const struct sb_msg_stanza *h)
{
	switch (h->kind) {
	case SB_STANZA_PRESENCE:
		return !csi_is_state(h) && h->type != SB_STYPE_ERROR;
	case SB_STANZA_MESSAGE:
		if (h->type == SB_STYPE_ERROR)
			return true;  /* a delivery failure the user should see */
		if (h->type == SB_STYPE_HEADLINE)
			return false; /* ephemeral by definition (RFC 6121 §5.2.2) */
		return csi_scan_chain(m, sb_msg_stanza_bytes_off(h), h->bytes_len);
	default:
		return true;
	}
}

static int csi_hash_piece(void *arg, const uint8_t *p, size_t n)
{
	uint64_t *k = arg;

	for (size_t i = 0; i < n; i++)
		*k = (*k ^ p[i]) * 0x100000001b3ull;
	return 0;
}

/* FNV-1a over the `from` of DELIVER m (header h); never 0 (0: no key). */
static uint64_t csi_key(const struct sb_msg *m, const struct sb_msg_stanza *h)
{
	uint64_t k = 0xcbf29ce484222325ull;

	(void)csi_range(m, sizeof(*h) + h->to_len, h->from_len, csi_hash_piece, &k);
	return k == 0 ? 1 : k;
}

/* Whether held DELIVER a has the same `from` as m (header h): the hash
 * matched, a peer could have forged that, so the bytes decide. */
static bool csi_same_from(const struct sb_msg *a, const struct sb_msg *m,
			  const struct sb_msg_stanza *h)
{
	struct sb_msg_stanza ha;
	uint8_t x[64], y[64];

	if (sb_msg_stanza_read(a, &ha) < 0 || ha.from_len != h->from_len)
		return false;
	for (size_t done = 0; done < h->from_len;) {
		size_t n = RTE_MIN(sizeof(x), (size_t)h->from_len - done);

		sb_msg_read(a, sizeof(ha) + ha.to_len + done, x, n);
		sb_msg_read(m, sizeof(*h) + h->to_len + done, y, n);
		if (memcmp(x, y, n) != 0)
			return false;
		done += n;
	}
	return true;
}

/* Unlink and free the held presence from m's sender, if any. */
static void csi_supersede(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m,
			  const struct sb_msg_stanza *h, uint64_t key)
{
	struct sb_worker *w = xw->w;
	struct sb_msg *prev = x->csi;

	for (uint32_t i = 0; i < x->csi_n; i++) {
		struct sb_msg *cur = prev->held;
		uint16_t n;

		if (cur->sm_seq != key || !csi_same_from(cur, m, h)) {
			prev = cur;
			continue;
		}
		if (cur == prev)
			x->csi = NULL;
		else
			prev->held = cur->held;
		if (cur == x->csi)
			x->csi = prev;
		n = csi_objs_of(cur);
		x->csi_n--;
		x->csi_bytes -= RTE_MIN(x->csi_bytes, cur->total_len);
		xw->csi_objs -= RTE_MIN(xw->csi_objs, (uint32_t)n);
		SB_CTR_INC(w, xmpp_csi_superseded);
		sb_msg_free_chain(cur, &w->msg_ops);
		return; /* at most one: each took the place of the one before */
	}
}

static void csi_link(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m, uint64_t key)
{
	struct sb_worker *w = xw->w;

	m->sm_seq = key;
	m->epoch = (uint32_t)(w->now_us / 1000);
	if (x->csi == NULL) {
		m->held = m;
	} else {
		m->held = x->csi->held;
		x->csi->held = m;
	}
	x->csi = m;
	x->csi_n++;
	x->csi_bytes += m->total_len;
	xw->csi_objs += csi_objs_of(m);
	SB_CTR_INC(w, xmpp_csi_held);
}

/* Take x's whole ring: the oldest, the list NULL-terminated, x empty. */
static struct sb_msg *csi_detach(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_msg *head;

	if (x->csi == NULL)
		return NULL;
	head = x->csi->held;
	x->csi->held = NULL;
	x->csi = NULL;
	x->csi_n = 0;
	x->csi_bytes = 0;
	(void)xw;
	return head;
}

static void csi_unlinked(struct sb_xc_worker *xw, struct sb_msg *m)
{
	struct sb_worker *w = xw->w;
	uint32_t now_ms = (uint32_t)(w->now_us / 1000);

	xw->csi_objs -= RTE_MIN(xw->csi_objs, (uint32_t)csi_objs_of(m));
	SB_CTR_ADD(w, xmpp_csi_held_ms, (uint32_t)(now_ms - m->epoch));
}

void sb_xc_csi_flush(struct sb_xc_worker *xw, struct sb_xc_conn *x, enum sb_xc_csi_why why)
{
	static const unsigned ctr[SB_XC_CSI_WHY_MAX] = {
		[SB_XC_CSI_URGENT] = SB_DP_CTR_xmpp_csi_flush_urgent,
		[SB_XC_CSI_ACTIVE] = SB_DP_CTR_xmpp_csi_flush_active,
		[SB_XC_CSI_FULL] = SB_DP_CTR_xmpp_csi_flush_full,
		[SB_XC_CSI_CLOSING] = SB_DP_CTR_xmpp_csi_flush_closing,
	};
	struct sb_worker *w = xw->w;
	/* Detached first: a stanza written below that has to be held
	 * (xc_hold.c) must not find these on the ring and overtake them. */
	struct sb_msg *m = csi_detach(xw, x);

	if (m == NULL)
		return;
	w->ctr[ctr[why]]++;
	while (m != NULL) {
		struct sb_msg *next = m->held;
		struct sb_msg_stanza h;

		m->held = NULL;
		csi_unlinked(xw, m);
		SB_CTR_INC(w, xmpp_csi_flushed);
		/* Checked when it arrived (sb_xc_deliver). */
		(void)sb_msg_stanza_read(m, &h);
		if (!sb_xc_deliver_out(xw, x, m, &h))
			sb_msg_free_chain(m, &w->msg_ops);
		m = next;
	}
}

void sb_xc_csi_spill(struct sb_xc_worker *xw, struct sb_xc_conn *x)
{
	struct sb_worker *w = xw->w;
	struct sb_msg *m = csi_detach(xw, x);

	if (m != NULL)
		SB_CTR_INC(w, xmpp_csi_flush_closing);
	while (m != NULL) {
		struct sb_msg *next = m->held;

		csi_unlinked(xw, m);
		sb_xc_hold_link(xw, x, m);
		m = next;
	}
}

/* Whether one more stanza of len bytes and objs objects stays within x's
 * caps and the worker's share of the pool. */
static bool csi_room(const struct sb_xc_worker *xw, const struct sb_xc_conn *x, uint32_t len,
		     uint16_t objs)
{
	return x->csi_n < xw->csi_held_max && (uint64_t)x->csi_bytes + len <= xw->csi_bytes_max &&
	       (uint64_t)xw->held_objs + xw->sm_objs + xw->csi_objs + objs <= xw->hold_worker_max;
}

bool sb_xc_csi_take(struct sb_xc_worker *xw, struct sb_xc_conn *x, struct sb_msg *m,
		    const struct sb_msg_stanza *h)
{
	uint16_t objs;
	uint64_t key;

	if (x->conn == NULL || (x->flags & SB_XC_F_CLOSING)) {
		sb_xc_csi_flush(xw, x, SB_XC_CSI_CLOSING);
		return false;
	}
	if (!sb_c2s_csi_inactive(&x->c2s) || xw->csi_held_max == 0 || csi_urgent(m, h)) {
		sb_xc_csi_flush(xw, x, sb_c2s_csi_inactive(&x->c2s) ? SB_XC_CSI_URGENT
								    : SB_XC_CSI_ACTIVE);
		return false;
	}
	key = csi_is_state(h) ? csi_key(m, h) : 0;
	if (key != 0 && x->csi != NULL)
		csi_supersede(xw, x, m, h, key);
	objs = csi_objs_of(m);
	if (!csi_room(xw, x, m->total_len, objs)) {
		sb_xc_csi_flush(xw, x, SB_XC_CSI_FULL);
		if (!csi_room(xw, x, m->total_len, objs))
			return false; /* too big to wait even alone: written */
	}
	csi_link(xw, x, m, key);
	/* A window's last stored message waiting here may wait for hours:
	 * the next window is not held up by it (CSI's bounds keep what waits
	 * small, and an urgent stanza writes it all first, in order). */
	sb_xc_flush_more(xw, x, m);
	return true;
}

struct csi_append {
	struct sb_msg *c;
	const struct sb_msg_pool_ops *ops;
};

static int csi_append_piece(void *arg, const uint8_t *p, size_t n)
{
	struct csi_append *a = arg;

	return sb_msg_append(a->c, p, n, a->ops);
}

/* Append chain bytes [off, off + len) of m to c. 0 or negative errno. */
static int csi_append_range(struct sb_msg *c, const struct sb_msg *m, size_t off, size_t len,
			    const struct sb_msg_pool_ops *ops)
{
	struct csi_append a = { c, ops };

	return csi_range(m, off, len, csi_append_piece, &a);
}

static const char *csi_escape(char ch)
{
	return ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;"
	       : ch == '\'' ? "&apos;" : ch == '"' ? "&quot;" : NULL;
}

/* " to='jid'" as xc_route.c writes it for a DELIVER_MULTI, appended to c
 * (len: NULL c only measures). */
static int csi_append_to(struct sb_msg *c, const char *jid, const struct sb_msg_pool_ops *ops,
			 size_t *len)
{
	const char *run = jid;
	size_t n = 6;
	int rc = c != NULL ? sb_msg_append(c, " to='", 5, ops) : 0;

	for (const char *p = jid; *p != '\0' && rc == 0; p++) {
		const char *rep = csi_escape(*p);

		if (rep == NULL) {
			n++;
			continue;
		}
		n += strlen(rep);
		if (c == NULL)
			continue;
		rc = sb_msg_append(c, run, (size_t)(p - run), ops);
		if (rc == 0)
			rc = sb_msg_append(c, rep, strlen(rep), ops);
		run = p + 1;
	}
	if (c != NULL && rc == 0)
		rc = sb_msg_append(c, run, strlen(run), ops);
	if (c != NULL && rc == 0)
		rc = sb_msg_append(c, "'", 1, ops);
	if (len != NULL)
		*len = n;
	return rc;
}

/* The DELIVER x would have had: header, x's JID as `to`, the sender, the
 * bytes with " to='…'" at mh->to_off. NULL when the pool is short. */
static struct sb_msg *csi_multi_copy(struct sb_xc_worker *xw, const struct sb_xc_conn *x,
				     const struct sb_msg *m, const struct sb_msg_multi *mh,
				     const struct sb_msg_stanza *h, size_t base)
{
	struct sb_worker *w = xw->w;
	struct sb_msg_stanza st = *h;
	size_t jid_len = strlen(x->jid), to_len;
	struct sb_msg *c;
	int rc;

	if (sb_ctl_link_msgs_low(w))
		return NULL; /* sb-control's reserve is not for saving radio */
	(void)csi_append_to(NULL, x->jid, NULL, &to_len);
	st.to_len = (uint16_t)jid_len;
	st.to_bare_len = x->c2s.bare_len;
	st.bytes_len = h->bytes_len + (uint32_t)to_len;
	if (st.id_len != 0 && st.id_off >= mh->to_off)
		st.id_off += (uint32_t)to_len;
	c = w->msg_ops.alloc(w->msg_ops.arg);
	if (c == NULL)
		return NULL;
	sb_msg_encode(c, SB_MSG_DELIVER, (uint16_t)w->index, m->shard, 0, 0, 0);
	c->flags = SB_MSG_F_FROM_CONTROL;
	c->conn = sb_xc_handle(x);
	c->conn_gen = x->gen;
	rc = sb_msg_append(c, &st, sizeof(st), &w->msg_ops);
	if (rc == 0)
		rc = sb_msg_append(c, x->jid, jid_len, &w->msg_ops);
	if (rc == 0)
		rc = csi_append_range(c, m, base - h->from_len, h->from_len, &w->msg_ops);
	if (rc == 0)
		rc = csi_append_range(c, m, base, mh->to_off, &w->msg_ops);
	if (rc == 0)
		rc = csi_append_to(c, x->jid, &w->msg_ops, NULL);
	if (rc == 0)
		rc = csi_append_range(c, m, base + mh->to_off, h->bytes_len - mh->to_off,
				      &w->msg_ops);
	if (rc < 0) {
		sb_msg_free_chain(c, &w->msg_ops);
		return NULL;
	}
	return c;
}

bool sb_xc_csi_multi(struct sb_xc_worker *xw, struct sb_xc_conn *x, const struct sb_msg *m,
		     const struct sb_msg_multi *mh, const struct sb_msg_stanza *h, size_t base)
{
	struct sb_worker *w = xw->w;
	struct sb_msg *c;

	if (xw->csi_held_max == 0)
		return false;
	c = csi_multi_copy(xw, x, m, mh, h, base);
	if (c == NULL) {
		/* Written as for an active client, after what waits. */
		SB_CTR_INC(w, xmpp_csi_copy_failed);
		sb_xc_csi_flush(xw, x, SB_XC_CSI_FULL);
		return false;
	}
	if (!sb_xc_deliver(xw, x, c))
		sb_msg_free_chain(c, &w->msg_ops);
	return true;
}
