/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Presence (RFC 6121 §3, §4). Subscription stanzas: outbound processing on
 * the sender's shard (roster state, push, the stanza stamped with the
 * sender's bare JID, §3.1.2), then inbound on the contact's (state, push,
 * delivery to every available resource or storage for the next login,
 * §3.1.3; the server's own answer when already approved). Availability:
 * initial presence broadcast to contacts with a subscription from (from,
 * both) and reflected to the user's resources, probes to contacts the user
 * is subscribed to (to, both), answered on the contact's shard from its
 * session table (§4.3), pending requests and offline messages delivered
 * after it; unavailable broadcast when sent or when the connection went
 * (the dataplane's UNBIND, §4.5.2: "the server MUST ... as if the client
 * had sent unavailable presence").
 *
 * A session's presence is stored as its client sent it; every time it goes
 * out (the broadcast, and each re-send: probe answers, the presence a new
 * resource gets of the others, after an approval or an unblock) the
 * avatar's hash as it is then is put in (im_pres_out, XEP-0398 §4). Stored
 * with the hash, a re-send would carry the one of the presence's time, and
 * a new avatar's hash could not replace it (a photo element is the
 * client's and left alone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "im_priv.h"
#include "router.h"
#include "shard.h"
#include "sub.h"

static size_t jid_bare_len(const char *jid, size_t len)
{
	const char *slash = memchr(jid, '/', len);

	return slash != NULL ? (size_t)(slash - jid) : len;
}

static const char *const sub_type_names[SB_STYPE_MAX] = {
	[SB_STYPE_SUBSCRIBE] = "subscribe",
	[SB_STYPE_SUBSCRIBED] = "subscribed",
	[SB_STYPE_UNSUBSCRIBE] = "unsubscribe",
	[SB_STYPE_UNSUBSCRIBED] = "unsubscribed",
};

static uint8_t sub_type_of(const char *name)
{
	for (unsigned t = 0; t < SB_STYPE_MAX; t++)
		if (sub_type_names[t] != NULL && strcmp(sub_type_names[t], name) == 0)
			return (uint8_t)t;
	return SB_STYPE_OTHER;
}

const char *im_pres_out(struct sb_shard *sh, const struct sb_session *s, size_t *n)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->hbuf, .cap = im->buf_cap };

	if (im_pep_vcard_presence(sh, s->jid, s->bare_len, s->pres, s->pres_len, &o)) {
		*n = o.len;
		return o.p;
	}
	*n = s->pres_len;
	return s->pres;
}

/* Send presence bytes b (from the full JID from) to contact (bare or
 * full) as inbound on the contact's shard, with to inserted. */
static void pres_send_to(struct sb_shard *sh, const char *b, size_t n, uint8_t type,
			 const char *from, size_t from_len, size_t from_bare_len, const char *to,
			 size_t to_len)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct sb_msg *m;

	im_put_with_to(&o, b, n, to, to_len);
	if (o.over)
		return;
	m = im_chain(sh, SB_MSG_STANZA, SB_STANZA_PRESENCE, type, to, to_len,
		     jid_bare_len(to, to_len), from, from_len, from_bare_len, o.p, o.len);
	if (m != NULL) {
		SB_IM_INC(im, presence_fanout);
		sb_im_send_inbound(sh, m);
	}
}

/* Deliver presence bytes b to one of the user's own sessions. */
static void pres_to_session(struct sb_shard *sh, const struct sb_session *s, const char *b,
			    size_t n, uint8_t type, const char *from, size_t from_len,
			    size_t from_bare_len)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };

	im_put_with_to(&o, b, n, s->jid, s->jid_len);
	if (o.over)
		return;
	SB_IM_INC(im, presence_fanout);
	im_deliver_bytes(sh, s, SB_STANZA_PRESENCE, type, from, from_len, from_bare_len, o.p,
			 o.len);
}

/* Broadcast b (a presence from s, without to) to the contacts with a
 * subscription from the user and to the user's available resources
 * (skip aside); with probes, ask the contacts the user is subscribed to
 * for theirs (§4.2.2, §4.3). */
static void pres_broadcast(struct sb_shard *sh, const struct sb_session *s, const char *b, size_t n,
			   uint8_t type, const struct sb_session *skip, bool probes)
{
	struct sb_im *im = &sh->router.im;
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, s->jid, s->bare_len);
	struct sb_roster r;

	if (sb_store_roster_load(sh->router.store, s->jid, s->bare_len, &r) < 0) {
		SB_IM_INC(im, store_errors);
		sb_roster_init(&r);
	}
	im_block_filter_roster(sh, s->jid, s->bare_len, &r); /* XEP-0191 */
	/* One message per shard holding contacts, one per worker there. */
	im_broadcast_contacts(sh, s, &r, type, b, n);
	{
		struct sb_session *v[SB_MSG_MULTI_MAX];
		unsigned k = 0;

		for (struct sb_session *o = u ? u->res : NULL; o != NULL; o = o->next) {
			if (o == skip || !o->available)
				continue;
			v[k++] = o;
			if (k == SB_MSG_MULTI_MAX) {
				im_deliver_multi(sh, v, k, type, s->jid, s->jid_len, s->bare_len, b, n,
						 im_to_off(b, n));
				k = 0;
			}
		}
		if (k > 0)
			im_deliver_multi(sh, v, k, type, s->jid, s->jid_len, s->bare_len, b, n,
					 im_to_off(b, n));
	}
	for (uint32_t i = 0; probes && i < r.n; i++) {
		const struct sb_roster_item *it = &r.items[i];
		static const char probe[] = "<presence type='probe'/>";
		struct imx_out o = { .p = im->buf, .cap = im->buf_cap };

		if ((it->flags & SB_ROSTER_F_GONE) || (it->sub != SB_SUB_TO && it->sub != SB_SUB_BOTH))
			continue;
		imx_puts(&o, "<presence");
		imx_attr_put(&o, "from", s->jid, s->jid_len);
		imx_puts(&o, probe + 9);
		pres_send_to(sh, o.p, o.len, SB_STYPE_PROBE, s->jid, s->jid_len, s->bare_len,
			     it->jid, it->jid_len);
		SB_IM_INC(im, probes_sent);
	}
	sb_roster_free(&r);
}

static int subreq_deliver(void *arg, const char *contact, size_t clen, const uint8_t *stanza,
			  size_t slen)
{
	struct sb_shard *sh = ((void **)arg)[0];
	const struct sb_session *s = ((void **)arg)[1];

	im_deliver_bytes(sh, s, SB_STANZA_PRESENCE, SB_STYPE_SUBSCRIBE, contact, clen, clen,
			 stanza, slen);
	SB_IM_INC(&sh->router.im, subreq_delivered);
	return 0;
}

/* After initial presence: the other resources' presence, the requests
 * waiting for an answer (§3.1.3), the offline messages (XEP-0160 §3). */
static void pres_initial(struct sb_shard *sh, struct sb_session *s, int16_t priority)
{
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, s->jid, s->bare_len);
	void *arg[2] = { sh, s };

	for (struct sb_session *o = u ? u->res : NULL; o != NULL; o = o->next) {
		const char *b;
		size_t n;

		if (o == s || !o->available || o->pres == NULL)
			continue;
		b = im_pres_out(sh, o, &n);
		pres_to_session(sh, s, b, n, SB_STYPE_NONE, o->jid, o->jid_len, o->bare_len);
	}
	sb_store_subreq_list(sh->router.store, s->jid, s->bare_len, sh->router.im.lim.roster_max_items,
			     subreq_deliver, arg);
	if (priority >= 0)
		im_offline_deliver(sh, s);
	im_mam_expire(sh, s->jid, s->bare_len);
}

void sb_im_presence_own(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_session *s = sb_session_find(&r->sessions, in->from, in->st.from_len,
					       in->st.from_bare_len);
	ssize_t n;
	bool was;

	if (s == NULL || (in->st.type != SB_STYPE_NONE && in->st.type != SB_STYPE_UNAVAILABLE))
		goto free;
	n = im_bytes(sh, m, in);
	if (n < 0)
		goto free;
	SB_ROUTE_INC(r, presence_state);
	was = s->available;
	if (in->st.type == SB_STYPE_UNAVAILABLE) {
		if (was) {
			SB_IM_INC(im, presence_unavailable);
			pres_broadcast(sh, s, im->buf, (size_t)n, SB_STYPE_UNAVAILABLE, NULL, false);
		}
		im_directed_gone(sh, s, NULL); /* RFC 6121 §4.6.3 */
		s->available = false;
		free(s->pres);
		s->pres = NULL;
		sb_im_offline_ended(sh, s); /* the rest of a flush: elsewhere */
		goto free;
	}
	{
		char *copy = malloc((size_t)n);

		if (copy != NULL) {
			memcpy(copy, im->buf, (size_t)n);
			free(s->pres);
			s->pres = copy;
			s->pres_len = (uint32_t)n;
		}
	}
	s->available = true;
	s->priority = in->st.priority;
	if (was)
		SB_IM_INC(im, presence_updates);
	else
		SB_IM_INC(im, presence_initial);
	if (s->pres != NULL) {
		size_t bn;
		const char *b = im_pres_out(sh, s, &bn); /* XEP-0398 §4 */

		pres_broadcast(sh, s, b, bn, SB_STYPE_NONE, NULL, !was);
	}
	if (!was)
		pres_initial(sh, s, in->st.priority);
	/* XEP-0115 caps: PEP interest, last items at initial presence. */
	im_caps_presence(sh, s, !was);
free:
	sb_msg_free_chain(m, &r->pool);
}

void sb_im_session_gone(struct sb_shard *sh, struct sb_session *s)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->buf, .cap = im->buf_cap };

	im_directed_gone(sh, s, NULL); /* RFC 6121 §4.6.3 */
	sb_im_offline_ended(sh, s); /* the rest of a flush: elsewhere */
	if (!s->available)
		return;
	SB_IM_INC(im, presence_unavailable);
	SB_IM_INC(im, presence_lost);
	imx_puts(&o, "<presence");
	imx_attr_put(&o, "from", s->jid, s->jid_len);
	imx_puts(&o, " type='unavailable'/>");
	s->available = false;
	if (!o.over)
		pres_broadcast(sh, s, o.p, o.len, SB_STYPE_UNAVAILABLE, s, false);
}

void sb_im_session_replayed(struct sb_shard *sh, struct sb_session *s)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->buf, .cap = im->buf_cap };
	char prio[16];
	char *copy;

	imx_puts(&o, "<presence");
	imx_attr_put(&o, "from", s->jid, s->jid_len);
	snprintf(prio, sizeof(prio), "%d", s->priority);
	imx_puts(&o, "><priority>");
	imx_puts(&o, prio);
	imx_puts(&o, "</priority></presence>");
	copy = o.over ? NULL : malloc(o.len);
	if (copy == NULL)
		return;
	memcpy(copy, o.p, o.len);
	free(s->pres);
	s->pres = copy;
	s->pres_len = (uint32_t)o.len;
}

void im_sub_send(struct sb_shard *sh, const char *user, size_t ulen, const char *contact,
		 size_t clen, const char *type, const char *inner, size_t inner_len)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct sb_msg *m;

	imx_puts(&o, "<presence");
	imx_attr_put(&o, "from", user, ulen);
	imx_attr_put(&o, "to", contact, clen);
	imx_attr_put(&o, "type", type, strlen(type));
	if (inner_len > 0) {
		imx_puts(&o, ">");
		imx_put(&o, inner, inner_len);
		imx_puts(&o, "</presence>");
	} else {
		imx_puts(&o, "/>");
	}
	if (o.over)
		return;
	m = im_chain(sh, SB_MSG_STANZA, SB_STANZA_PRESENCE, sub_type_of(type), contact, clen, clen,
		     user, ulen, ulen, o.p, o.len);
	if (m != NULL) {
		SB_IM_INC(im, sub_routed);
		sb_im_send_inbound(sh, m);
	}
}

/* The user's available resources' presence, or unavailable from each, to
 * a contact (after an approval or a cancellation, §3.1.5, §3.2.2). */
static void pres_to_contact(struct sb_shard *sh, const char *bare, size_t len, const char *contact,
			    size_t clen, bool available)
{
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, bare, len);
	struct sb_im *im = &sh->router.im;

	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
		struct imx_out o = { .p = im->buf, .cap = im->buf_cap };

		if (!s->available || s->pres == NULL)
			continue;
		if (available) {
			size_t n;
			const char *b = im_pres_out(sh, s, &n);

			pres_send_to(sh, b, n, SB_STYPE_NONE, s->jid, s->jid_len, s->bare_len,
				     contact, clen);
			continue;
		}
		imx_puts(&o, "<presence");
		imx_attr_put(&o, "from", s->jid, s->jid_len);
		imx_puts(&o, " type='unavailable'/>");
		if (!o.over)
			pres_send_to(sh, o.p, o.len, SB_STYPE_UNAVAILABLE, s->jid, s->jid_len,
				     s->bare_len, contact, clen);
	}
}

static const enum sb_sub_event out_ev[SB_STYPE_MAX] = {
	[SB_STYPE_SUBSCRIBE] = SB_SUB_OUT_SUBSCRIBE,
	[SB_STYPE_SUBSCRIBED] = SB_SUB_OUT_SUBSCRIBED,
	[SB_STYPE_UNSUBSCRIBE] = SB_SUB_OUT_UNSUBSCRIBE,
	[SB_STYPE_UNSUBSCRIBED] = SB_SUB_OUT_UNSUBSCRIBED,
};

/* What a roster item shows of its state (RFC 6121 §2.1.2): pending-in is
 * not part of it, so a change of that alone is not pushed. */
static unsigned visible(uint8_t sub, uint8_t flags)
{
	return (unsigned)sub << 8 |
	       (flags & (SB_ROSTER_F_PENDING_OUT | SB_ROSTER_F_PREAPPROVED | SB_ROSTER_F_SHOWN));
}

/* Store an item's new state; push it (push: its visible state changed)
 * when the user can see it. */
static void sub_commit(struct sb_shard *sh, const char *bare, size_t len, struct sb_roster *r,
		       struct sb_roster_item *it, bool push)
{
	struct sb_im *im = &sh->router.im;

	if (!(it->flags & SB_ROSTER_F_SHOWN) && it->sub == SB_SUB_NONE &&
	    !(it->flags & (SB_ROSTER_F_PENDING_IN | SB_ROSTER_F_PENDING_OUT |
			   SB_ROSTER_F_PREAPPROVED))) {
		sb_roster_remove(r, it); /* nothing left to remember */
		it = NULL;
	} else if (push) {
		sb_roster_touch(r, it);
	}
	if (sb_store_roster_save(sh->router.store, bare, len, r) < 0) {
		SB_IM_INC(im, store_errors);
		return;
	}
	if (it != NULL && push && (it->flags & SB_ROSTER_F_SHOWN))
		im_roster_push(sh, bare, len, r, it, NULL);
}

/* The user's roster and the contact's item in it (NULL: none, or a
 * tombstone) with its state. 0, or -1 (counted) if the roster cannot be
 * read. */
static int sub_load(struct sb_shard *sh, const char *user, size_t ulen, const char *contact,
		    size_t clen, struct sb_roster *ro, struct sb_roster_item **it,
		    struct sb_sub_state *st)
{
	if (sb_store_roster_load(sh->router.store, user, ulen, ro) < 0) {
		SB_IM_INC(&sh->router.im, store_errors);
		return -1;
	}
	*it = sb_roster_find(ro, contact, clen);
	if (*it != NULL && ((*it)->flags & SB_ROSTER_F_GONE))
		*it = NULL;
	*st = *it != NULL ? (struct sb_sub_state){ (*it)->sub, (*it)->flags }
			  : (struct sb_sub_state){ SB_SUB_NONE, 0 };
	return 0;
}

/* Outbound processing on the sender's shard (RFC 6121 A.2). */
void im_sub_outbound(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_route_in *in = &r->in;
	struct sb_roster ro;
	struct sb_roster_item *it;
	struct sb_sub_state st = { SB_SUB_NONE, 0 };
	const char *user = in->from, *contact = in->to;
	size_t ulen, clen, cs = 0, ce = 0;
	struct imx_el el;
	unsigned a;
	ssize_t n;
	bool shown;

	if (sb_router_parse(m, in) < 0 || (n = im_bytes(sh, m, in)) < 0 ||
	    imx_open(&el, (const uint8_t *)im->buf, (size_t)n) < 0 || in->st.type >= SB_STYPE_MAX)
		goto free;
	ulen = in->st.from_bare_len;
	clen = in->st.to_bare_len;
	imx_content(&el, &cs, &ce);
	SB_IM_INC(im, sub_out);
	if (sub_load(sh, user, ulen, contact, clen, &ro, &it, &st) < 0)
		goto free;
	if (it == NULL && in->st.type == SB_STYPE_SUBSCRIBE &&
	    im_roster_live(&ro) >= im->lim.roster_max_items) {
		SB_IM_INC(im, roster_full);
		sb_router_error(sh, in, "wait", "resource-constraint",
				SB_ROUTE_CTR_err_unavailable);
		sb_roster_free(&ro);
		goto free;
	}
	a = sb_sub_step(&st, out_ev[in->st.type], true);
	shown = in->st.type == SB_STYPE_SUBSCRIBE ||
		(in->st.type == SB_STYPE_SUBSCRIBED && (a & SB_SUB_A_CHANGED));
	if (it == NULL && ((a & SB_SUB_A_CHANGED) || shown))
		it = sb_roster_get(&ro, contact, clen);
	if (it != NULL && ((a & SB_SUB_A_CHANGED) || (shown && !(it->flags & SB_ROSTER_F_SHOWN)))) {
		unsigned before = visible(it->sub, it->flags);

		it->sub = st.sub;
		it->flags = (uint8_t)(st.flags | (it->flags & SB_ROSTER_F_SHOWN) |
				      (shown ? SB_ROSTER_F_SHOWN : 0));
		sub_commit(sh, user, ulen, &ro, it, before != visible(it->sub, it->flags));
	}
	sb_roster_free(&ro);
	if ((in->st.type == SB_STYPE_SUBSCRIBED || in->st.type == SB_STYPE_UNSUBSCRIBED) &&
	    (a & SB_SUB_A_CHANGED))
		sb_store_subreq_del(r->store, user, ulen, contact, clen);
	if (a & SB_SUB_A_ROUTE) {
		/* §3.1.2: stamped with the user's bare JID, to the contact's. */
		im_sub_send(sh, user, ulen, contact, clen, sub_type_names[in->st.type],
			    im->buf + cs, ce - cs);
		if (in->st.type == SB_STYPE_SUBSCRIBED)
			pres_to_contact(sh, user, ulen, contact, clen, true);
		else if (in->st.type == SB_STYPE_UNSUBSCRIBED)
			pres_to_contact(sh, user, ulen, contact, clen, false);
	}
free:
	sb_msg_free_chain(m, &r->pool);
}

void sb_im_presence_sub(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	unsigned owner = im_bare_shard(sh, in->from, in->st.from_bare_len);

	if (in->st.type == SB_STYPE_PROBE) {
		sb_im_send_inbound(sh, m);
		return;
	}
	/* Outbound first, on the sender's shard: its roster lives there. */
	im_xsend(sh, owner, m, SB_IM_X_OUTBOUND);
}

static const enum sb_sub_event in_ev[SB_STYPE_MAX] = {
	[SB_STYPE_SUBSCRIBE] = SB_SUB_IN_SUBSCRIBE,
	[SB_STYPE_SUBSCRIBED] = SB_SUB_IN_SUBSCRIBED,
	[SB_STYPE_UNSUBSCRIBE] = SB_SUB_IN_UNSUBSCRIBE,
	[SB_STYPE_UNSUBSCRIBED] = SB_SUB_IN_UNSUBSCRIBED,
};

/* Every available resource of the bare JID gets m (copies); m consumed. */
static unsigned deliver_available(struct sb_shard *sh, struct sb_msg *m, const char *bare,
				  size_t len)
{
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, bare, len);
	struct sb_session *last = NULL;
	unsigned n = 0;

	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
		struct sb_msg *c;

		if (!s->available)
			continue;
		if (last != NULL && (c = sb_router_copy(&sh->router, m)) != NULL) {
			sb_router_deliver(sh, c, last);
			n++;
		}
		last = s;
	}
	if (last != NULL) {
		sb_router_deliver(sh, m, last);
		return n + 1;
	}
	sb_msg_free_chain(m, &sh->router.pool);
	return 0;
}

/* Inbound processing on the contact's shard (RFC 6121 A.3); the stanza
 * names the user (to) and the contact (from) by bare JID. */
void im_sub_inbound(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_roster ro;
	struct sb_roster_item *it;
	struct sb_sub_state st = { SB_SUB_NONE, 0 };
	char user[SB_ROUTE_JID_MAX], contact[SB_ROUTE_JID_MAX];
	size_t ulen = in->st.to_bare_len, clen = in->st.from_bare_len;
	uint8_t type = in->st.type;
	unsigned a;

	memcpy(user, in->to, ulen);
	memcpy(contact, in->from, clen);
	SB_IM_INC(im, sub_in);
	if (type == SB_STYPE_SUBSCRIBE && sb_store_user_exists(r->store, user, ulen) == 0) {
		/* §3.1.3: no such account: the server says unsubscribed. */
		im_sub_send(sh, user, ulen, contact, clen, "unsubscribed", NULL, 0);
		goto free;
	}
	if (sub_load(sh, user, ulen, contact, clen, &ro, &it, &st) < 0)
		goto free;
	if (it == NULL && type == SB_STYPE_SUBSCRIBE &&
	    im_roster_live(&ro) >= im->lim.roster_max_items) {
		/* A flood of requests from many JIDs stops at the limit. */
		SB_IM_INC(im, roster_full);
		sb_roster_free(&ro);
		goto free;
	}
	a = sb_sub_step(&st, in_ev[type], true);
	if (it == NULL && (a & SB_SUB_A_CHANGED))
		it = sb_roster_get(&ro, contact, clen);
	if (it != NULL && (a & SB_SUB_A_CHANGED)) {
		unsigned before = visible(it->sub, it->flags);

		it->sub = st.sub;
		it->flags = (uint8_t)(st.flags | (it->flags & SB_ROSTER_F_SHOWN));
		/* An approval by pre-approval shows the item (§3.4). */
		if (a & SB_SUB_A_AUTOREPLY)
			it->flags |= SB_ROSTER_F_SHOWN;
		sub_commit(sh, user, ulen, &ro, it, before != visible(it->sub, it->flags));
	}
	sb_roster_free(&ro);
	if (a & SB_SUB_A_AUTOREPLY) {
		SB_IM_INC(im, sub_autoreplied);
		im_sub_send(sh, user, ulen, contact, clen, "subscribed", NULL, 0);
		pres_to_contact(sh, user, ulen, contact, clen, true);
	}
	if (type == SB_STYPE_UNSUBSCRIBE && (a & SB_SUB_A_CHANGED)) {
		sb_store_subreq_del(r->store, user, ulen, contact, clen);
		pres_to_contact(sh, user, ulen, contact, clen, false);
	}
	if (!(a & SB_SUB_A_DELIVER)) {
		SB_IM_INC(im, sub_ignored);
		goto free;
	}
	SB_IM_INC(im, sub_delivered);
	if (type == SB_STYPE_SUBSCRIBE) {
		ssize_t n = im_bytes(sh, m, in);

		/* Kept until answered, delivered again at each login. */
		if (n > 0 && sb_store_subreq_put(r->store, user, ulen, contact, clen, im->buf,
						 (size_t)n) == 0)
			SB_IM_INC(im, subreq_stored);
	}
	deliver_available(sh, m, user, ulen);
	return;
free:
	sb_msg_free_chain(m, &r->pool);
}

/* A probe from a user (full JID) to a contact of this shard (§4.3.2):
 * answered from the contact's sessions if the user may see them. */
void im_probe_inbound(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_session_user *u;
	const struct sb_roster_item *it;
	char to[SB_ROUTE_JID_MAX];
	size_t to_len = in->st.from_len;
	struct sb_roster ro;
	bool ok, any = false;

	memcpy(to, in->from, to_len);
	if (sb_store_roster_load(r->store, in->to, in->st.to_bare_len, &ro) < 0) {
		SB_IM_INC(im, store_errors);
		goto free;
	}
	it = sb_roster_find(&ro, in->from, in->st.from_bare_len);
	ok = it != NULL && !(it->flags & SB_ROSTER_F_GONE) &&
	     (it->sub == SB_SUB_FROM || it->sub == SB_SUB_BOTH);
	sb_roster_free(&ro);
	if (!ok) {
		SB_IM_INC(im, probes_refused);
		goto free;
	}
	u = sb_session_user_find(&r->sessions, in->to, in->st.to_bare_len);
	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
		const char *b;
		size_t n;

		if (!s->available || s->pres == NULL)
			continue;
		any = true;
		SB_IM_INC(im, probes_answered);
		b = im_pres_out(sh, s, &n);
		pres_send_to(sh, b, n, SB_STYPE_NONE, s->jid, s->jid_len, s->bare_len, to, to_len);
	}
	if (!any) {
		struct imx_out o = { .p = im->buf, .cap = im->buf_cap };

		imx_puts(&o, "<presence");
		imx_attr_put(&o, "from", in->to, in->st.to_bare_len);
		imx_puts(&o, " type='unavailable'/>");
		SB_IM_INC(im, probes_answered);
		if (!o.over)
			pres_send_to(sh, o.p, o.len, SB_STYPE_UNAVAILABLE, in->to,
				     in->st.to_bare_len, in->st.to_bare_len, to, to_len);
	}
free:
	sb_msg_free_chain(m, &r->pool);
}

/* Available, unavailable or error presence for a user of this shard. */
void im_presence_inbound(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;

	if (in->st.to_len > in->st.to_bare_len) {
		struct sb_session *s = sb_session_find(&r->sessions, in->to, in->st.to_len,
						       in->st.to_bare_len);

		if (s != NULL) {
			sb_router_deliver(sh, m, s);
			return;
		}
		SB_ROUTE_INC(r, dropped_presence);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	if (deliver_available(sh, m, in->to, in->st.to_bare_len) == 0)
		SB_ROUTE_INC(r, dropped_presence);
}
