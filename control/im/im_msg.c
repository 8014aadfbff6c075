/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What happens to a one-to-one message besides its delivery: carbons
 * (XEP-0280), the archive of both parties (XEP-0313) and the stanza-id the
 * recipient sees (XEP-0359). The router calls sb_im_message on the
 * recipient's shard before it routes the message; the sender's side runs
 * on the sender's shard from an inter-shard copy (SB_IM_X_SENT).
 *
 *  recipient's shard: archive for the recipient (if it has a body), the
 *      bytes re-made with <stanza-id by='recipient' id='its archive id'/>
 *      (a forged one with that by removed), <received/> copies to the
 *      recipient's carbons-enabled resources that do not get the message
 *      itself, a copy of the original to the sender's shard;
 *  sender's shard: archive for the sender, <sent/> copies to the sender's
 *      other carbons-enabled resources.
 *
 * So a message is stored once per party, and a carbon copy is never
 * archived (it is built here, not routed). Eligibility (XEP-0280 §6):
 * chat; normal (or no type) with a body or an IM payload (chat states,
 * receipts, chat markers); error. Never groupchat or headline. Not copied:
 * <private xmlns='urn:xmpp:carbons:2'/> or <no-copy xmlns='urn:xmpp:hints'/>
 * (XEP-0334). Not archived: no body, type error, or <no-store/> /
 * <no-permanent-store/> hints. A message given back by a closed connection
 * (SB_MSG_F_RETURNED) was handled the first time and is only routed.
 */
#include <string.h>

#include "im_priv.h"
#include "router.h"
#include "session.h"
#include "shard.h"
#include "store_mam.h"

#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_HINTS "urn:xmpp:hints"
#define NS_SID "urn:xmpp:sid:0"

struct msg_info {
	bool body, payload, no_copy, no_store;
	unsigned n_forged;
	size_t forged[4][2];  /* [start, end) of a stanza-id to drop */
};

static bool is_payload(const struct imx_el *c)
{
	static const char *const ns[] = { "http://jabber.org/protocol/chatstates",
					  "urn:xmpp:receipts", "urn:xmpp:chat-markers:0" };
	char v[64];

	if (imx_attr_text(c, "xmlns", v, sizeof(v)) < 0)
		return false;
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (strcmp(v, ns[i]) == 0)
			return true;
	return false;
}

/* Read the message's children; by: the recipient whose stanza-id a
 * client may not forge (NULL: none). false if it does not parse. */
static bool msg_scan(const char *b, size_t n, const char *by, size_t by_len,
		     struct msg_info *mi)
{
	struct imx_el el, c;
	size_t pos = 0, prev;
	char v[SB_MSG_JID_MAX + 1];
	int vl;

	memset(mi, 0, sizeof(*mi));
	if (imx_open(&el, (const uint8_t *)b, n) < 0)
		return false;
	for (prev = pos; imx_child(&el, &pos, &c); prev = pos) {
		if (imx_is(&c, "body", IM_NS_CLIENT, IM_NS_CLIENT)) {
			mi->body = true;
		} else if (imx_is(&c, "private", NS_CARBONS, IM_NS_CLIENT) ||
			   imx_is(&c, "no-copy", NS_HINTS, IM_NS_CLIENT)) {
			mi->no_copy = true;
		} else if (imx_is(&c, "no-store", NS_HINTS, IM_NS_CLIENT) ||
			   imx_is(&c, "no-permanent-store", NS_HINTS, IM_NS_CLIENT)) {
			mi->no_store = true;
		} else if (by != NULL && imx_is(&c, "stanza-id", NS_SID, IM_NS_CLIENT)) {
			/* XEP-0359 §3.1: one with our by is removed. */
			vl = imx_attr_text(&c, "by", v, sizeof(v));
			if (vl >= 0 && (size_t)vl == by_len && memcmp(v, by, by_len) == 0 &&
			    mi->n_forged < 4) {
				mi->forged[mi->n_forged][0] = (size_t)(c.p - (const uint8_t *)b);
				mi->forged[mi->n_forged][1] =
					(size_t)(c.p - (const uint8_t *)b) + c.len;
				mi->n_forged++;
			}
		} else if (is_payload(&c)) {
			mi->payload = true;
		}
	}
	(void)prev;
	return true;
}

static bool msg_copied(uint8_t type, const struct msg_info *mi)
{
	if (mi->no_copy)
		return false;
	return type == SB_STYPE_CHAT || type == SB_STYPE_ERROR ||
	       ((type == SB_STYPE_NORMAL || type == SB_STYPE_NONE) && (mi->body || mi->payload));
}

static bool msg_archived(uint8_t type, const struct msg_info *mi)
{
	return mi->body && !mi->no_store && type != SB_STYPE_ERROR;
}

/* The bytes b[0..n) without the forged stanza-ids and with ours as the
 * last child. */
static void put_with_sid(struct imx_out *o, const char *b, size_t n, const struct msg_info *mi,
			 const char *by, size_t by_len, const char *id)
{
	struct imx_el el;
	size_t cs, ce, at = 0;

	if (imx_open(&el, (const uint8_t *)b, n) < 0) {
		o->over = true;
		return;
	}
	imx_content(&el, &cs, &ce);
	if (el.empty) {
		imx_put(o, b, el.stag_end - 2);
		imx_puts(o, ">");
	} else {
		for (unsigned i = 0; i < mi->n_forged; i++) {
			imx_put(o, b + at, mi->forged[i][0] - at);
			at = mi->forged[i][1];
		}
		imx_put(o, b + at, ce - at);
	}
	imx_puts(o, "<stanza-id xmlns='" NS_SID "'");
	imx_attr_put(o, "by", by, by_len);
	imx_puts(o, " id='");
	imx_puts(o, id);
	imx_puts(o, "'/>");
	if (el.empty) {
		imx_puts(o, "</");
		imx_put(o, b + 1, el.name_len);
		imx_puts(o, ">");
	} else {
		imx_put(o, b + ce, n - ce);
	}
}

struct rcpt {
	const struct sb_route_in *in;
	const struct sb_session *direct; /* addressed to this full JID */
	int16_t top;                     /* else: available resources of this priority */
	bool any;
};

/* The resources that get the message itself (RFC 6121 §8.5.2.1.1, as
 * sb_router_to_user picks them) get no <received/> copy. */
static bool rcpt_gets_it(const struct sb_session *s, const void *arg)
{
	const struct rcpt *rc = arg;

	/* A message to one's own other resource: no copy back to the sender. */
	if (s->jid_len == rc->in->st.from_len &&
	    memcmp(s->jid, rc->in->from, s->jid_len) == 0)
		return true;
	if (rc->direct != NULL)
		return s == rc->direct;
	return rc->any && s->available && s->priority >= 0 && s->priority == rc->top;
}

static void rcpt_of(struct sb_shard *sh, const struct sb_route_in *in, struct rcpt *rc)
{
	struct sb_router *r = &sh->router;
	struct sb_session_user *u;

	memset(rc, 0, sizeof(*rc));
	rc->in = in;
	if (in->st.to_len > in->st.to_bare_len) {
		rc->direct = sb_session_find(&r->sessions, in->to, in->st.to_len,
					     in->st.to_bare_len);
		if (rc->direct != NULL)
			return;
	}
	u = sb_session_user_find(&r->sessions, in->to, in->st.to_bare_len);
	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
		if (!s->available || s->priority < 0 || (rc->any && s->priority <= rc->top))
			continue;
		rc->top = s->priority;
		rc->any = true;
	}
}

static bool same_bare(const struct sb_route_in *in)
{
	return in->st.to_bare_len == in->st.from_bare_len &&
	       memcmp(in->to, in->from, in->st.from_bare_len) == 0;
}

/* The sender's side goes to the sender's shard as a copy of the original:
 * SENT_HDR_LEN zero bytes, then a STANZA payload. The zero byte where a
 * stanza header has its kind makes it no stanza to control/recover.c, so
 * a copy caught in an inter-shard ring by a SIGKILL is freed, not routed
 * to the recipient a second time. */
#define SENT_HDR_LEN 8u

static void msg_to_sender(struct sb_shard *sh, const struct sb_route_in *in, const char *b,
			  size_t n)
{
	struct sb_router *r = &sh->router;
	const uint8_t hdr[SENT_HDR_LEN] = { 0 };
	struct sb_msg_stanza st = in->st;
	struct sb_msg *c = r->pool.alloc(r->pool.arg);

	if (c == NULL) {
		SB_IM_INC(&r->im, pool_empty);
		return;
	}
	sb_msg_encode(c, SB_MSG_STANZA, 0, sh->index, 0, 0, 0);
	c->owner = SB_MSG_OWNER_CONTROL;
	st.bytes_len = (uint32_t)n;
	if (sb_msg_append(c, hdr, sizeof(hdr), &r->pool) < 0 ||
	    sb_msg_append(c, &st, sizeof(st), &r->pool) < 0 ||
	    sb_msg_append(c, in->to, in->st.to_len, &r->pool) < 0 ||
	    sb_msg_append(c, in->from, in->st.from_len, &r->pool) < 0 ||
	    sb_msg_append(c, b, n, &r->pool) < 0) {
		SB_IM_INC(&r->im, pool_empty);
		sb_msg_free_chain(c, &r->pool);
		return;
	}
	im_xsend(sh, im_bare_shard(sh, in->from, in->st.from_bare_len), c, SB_IM_X_SENT);
}

/* Read what msg_to_sender wrote: the header, JIDs and bytes (into
 * im->buf). The stanza's length, or -EINVAL. */
static ssize_t msg_sent_read(struct sb_shard *sh, const struct sb_msg *m, struct sb_route_in *in)
{
	struct sb_im *im = &sh->router.im;
	size_t off = SENT_HDR_LEN + sizeof(in->st);

	if (sb_msg_read(m, SENT_HDR_LEN, &in->st, sizeof(in->st)) != sizeof(in->st) ||
	    in->st.to_len > SB_MSG_JID_MAX || in->st.from_len > SB_MSG_JID_MAX ||
	    in->st.to_bare_len > in->st.to_len || in->st.from_bare_len > in->st.from_len ||
	    in->st.from_bare_len == 0 || in->st.bytes_len >= im->buf_cap ||
	    off + in->st.to_len + in->st.from_len + (uint64_t)in->st.bytes_len != m->total_len)
		return -EINVAL;
	sb_msg_read(m, off, in->to, in->st.to_len);
	sb_msg_read(m, off + in->st.to_len, in->from, in->st.from_len);
	in->to[in->st.to_len] = in->from[in->st.from_len] = '\0';
	sb_msg_read(m, off + in->st.to_len + in->st.from_len, im->buf, in->st.bytes_len);
	im->buf[in->st.bytes_len] = '\0';
	return (ssize_t)in->st.bytes_len;
}

struct sb_msg *sb_im_message(struct sb_shard *sh, struct sb_msg *m, struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct msg_info mi;
	struct sb_msg *c;
	struct rcpt rc;
	bool copied, archived, sender_done = false;
	uint64_t ord;
	char id[17];
	ssize_t n;

	/* Remade here before, found again after a SIGKILL (im_recover.c):
	 * archived, copied and sent to the sender's shard that time. */
	if ((m->flags & SB_MSG_F_RETURNED) || (in->st.cflags & SB_MSG_ST_ARCHIVED) ||
	    in->st.type == SB_STYPE_GROUPCHAT ||
	    in->st.type == SB_STYPE_HEADLINE || memchr(in->to, '@', in->st.to_bare_len) == NULL)
		return m;
	n = im_bytes(sh, m, in);
	if (n < 0 || !msg_scan(im->buf, (size_t)n, in->to, in->st.to_bare_len, &mi))
		return m;
	copied = msg_copied(in->st.type, &mi);
	archived = im->lim.mam && msg_archived(in->st.type, &mi);
	if (!copied && !archived)
		return m;
	if (sb_session_user_find(&r->sessions, in->to, in->st.to_bare_len) == NULL &&
	    sb_store_user_exists(r->store, in->to, in->st.to_bare_len) != 1)
		return m; /* no such account: the router answers, nothing is kept */
	if (archived) {
		ord = im_mam_next_ord(im);
		im_mam_id(sh, in->to, in->st.to_bare_len, ord, id);
		put_with_sid(&o, im->buf, (size_t)n, &mi, in->to, in->st.to_bare_len, id);
		/* Until m is freed both chains are in shared memory: the mark
		 * tells a successor which one to keep (im_recover.c). */
		in->st.cflags |= SB_MSG_ST_ARCHIVED;
		c = o.over ? NULL : im_rechain(sh, m, in, o.p, o.len);
		if (c == NULL) {
			in->st.cflags &= (uint16_t)~SB_MSG_ST_ARCHIVED;
			SB_IM_INC(im, mam_dropped);
		} else if (im_mam_archive(sh, in->to, in->st.to_bare_len, ord, 0, in->from,
					  in->st.from_len, in->st.from_bare_len, o.p,
					  o.len) == 0) {
			/* After c exists: a successor that finds c does not
			 * send this copy again (at most once, as archiving). */
			if (!same_bare(in))
				msg_to_sender(sh, in, im->buf, (size_t)n);
			sender_done = true;
			sb_promise_moved(&r->pr, m, c); /* XEP-0198: owed for c now */
			sb_msg_free_chain(m, &r->pool);
			m = c;
			in->st.bytes_len = (uint32_t)o.len;
			memcpy(im->buf, o.p, o.len); /* the copies' inner message */
			n = (ssize_t)o.len;
		} else {
			in->st.cflags &= (uint16_t)~SB_MSG_ST_ARCHIVED;
			sb_msg_free_chain(c, &r->pool);
		}
	}
	if (!sender_done && !same_bare(in))
		msg_to_sender(sh, in, im->buf, (size_t)n);
	if (copied) {
		rcpt_of(sh, in, &rc);
		im_carbons_copy(sh, in->to, in->st.to_bare_len, "received", in->st.type, im->buf,
				(size_t)n, rcpt_gets_it, &rc);
	}
	return m;
}

/* The sending resource gets no copy of its own message. */
static bool is_sender(const struct sb_session *s, const void *arg)
{
	const struct sb_route_in *in = arg;

	return s->jid_len == in->st.from_len && memcmp(s->jid, in->from, s->jid_len) == 0;
}

void im_msg_sent(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_route_in *in = &r->in;
	struct msg_info mi;
	ssize_t n;

	n = msg_sent_read(sh, m, in);
	if (n < 0 || !msg_scan(im->buf, (size_t)n, NULL, 0, &mi))
		goto free;
	if (im->lim.mam && msg_archived(in->st.type, &mi))
		im_mam_archive(sh, in->from, in->st.from_bare_len, im_mam_next_ord(im),
			       SB_MAM_F_OUT, in->to, in->st.to_len, in->st.to_bare_len, im->buf,
			       (size_t)n);
	if (msg_copied(in->st.type, &mi))
		im_carbons_copy(sh, in->from, in->st.from_bare_len, "sent", in->st.type, im->buf,
				(size_t)n, is_sender, in);
free:
	sb_msg_free_chain(m, &r->pool);
}
