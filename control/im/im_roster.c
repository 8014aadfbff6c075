/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The roster (RFC 6121 §2): get with versioning (§2.6: an empty result when
 * the client's version is current, the changes since it as pushes when the
 * tombstones still cover it, else the whole roster), set and remove (§2.3,
 * §2.5: one item per set, a remove cancels the subscriptions both ways),
 * pushes to every interested resource, the setter included (§2.1.6), and
 * the size limits (im.roster_max_items: resource-constraint;
 * im.roster_item_bytes and empty groups: not-acceptable). Also the iq
 * dispatcher of the account and the server (sb_im_iq).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "im_priv.h"
#include "jid.h"
#include "router.h"
#include "shard.h"

static const char *const sub_names[SB_SUB_MAX] = {
	[SB_SUB_NONE] = "none", [SB_SUB_TO] = "to", [SB_SUB_FROM] = "from", [SB_SUB_BOTH] = "both",
};

unsigned im_roster_live(const struct sb_roster *r)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < r->n; i++)
		n += !(r->items[i].flags & SB_ROSTER_F_GONE);
	return n;
}

static void put_ver(struct imx_out *o, uint64_t ver)
{
	char v[24];

	snprintf(v, sizeof(v), "%" PRIu64, ver);
	imx_attr_put(o, "ver", v, strlen(v));
}

/* <item .../> as RFC 6121 §2.1.2 shows it. */
static void put_item(struct imx_out *o, const struct sb_roster_item *it)
{
	imx_puts(o, "<item");
	imx_attr_put(o, "jid", it->jid, it->jid_len);
	if (it->flags & SB_ROSTER_F_GONE) {
		imx_puts(o, " subscription='remove'/>");
		return;
	}
	if (it->has_name)
		imx_attr_put(o, "name", it->name, it->name_len);
	imx_puts(o, " subscription='");
	imx_puts(o, sub_names[it->sub < SB_SUB_MAX ? it->sub : 0]);
	imx_puts(o, "'");
	if (it->flags & SB_ROSTER_F_PENDING_OUT)
		imx_puts(o, " ask='subscribe'");
	if (it->flags & SB_ROSTER_F_PREAPPROVED)
		imx_puts(o, " approved='true'");
	if (it->n_groups == 0) {
		imx_puts(o, "/>");
		return;
	}
	imx_puts(o, ">");
	for (unsigned g = 0; g < it->n_groups; g++) {
		imx_puts(o, "<group>");
		imx_esc(o, it->groups[g], it->group_len[g]);
		imx_puts(o, "</group>");
	}
	imx_puts(o, "</item>");
}

static bool item_visible(const struct sb_roster_item *it)
{
	return (it->flags & (SB_ROSTER_F_SHOWN | SB_ROSTER_F_GONE)) != 0;
}

void im_roster_push(struct sb_shard *sh, const char *bare, size_t len, const struct sb_roster *r,
		    const struct sb_roster_item *it, const struct sb_session *only)
{
	struct sb_im *im = &sh->router.im;
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, bare, len);
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	char id[32];

	if (u == NULL || !item_visible(it))
		return;
	snprintf(id, sizeof(id), "push%" PRIu64, ++im->push_id);
	imx_puts(&o, "<iq type='set'");
	imx_attr_put(&o, "id", id, strlen(id));
	imx_puts(&o, "><query xmlns='" IM_NS_ROSTER "'");
	put_ver(&o, r->ver);
	imx_puts(&o, ">");
	put_item(&o, it);
	imx_puts(&o, "</query></iq>");
	if (o.over)
		return;
	for (struct sb_session *s = u->res; s != NULL; s = s->next) {
		if (!s->roster_requested || (only != NULL && s != only))
			continue;
		im_deliver_bytes(sh, s, SB_STANZA_IQ, SB_STYPE_SET, bare, len, len, o.p, o.len);
		SB_IM_INC(im, roster_pushes);
	}
}

/* RFC 6121 §2.6.3: a client at version v gets, instead of the roster, the
 * items changed since v as pushes (in version order), if the tombstones
 * reach back that far. */
static bool roster_since(struct sb_shard *sh, const char *bare, size_t len,
			 const struct sb_roster *r, uint64_t v, const struct sb_session *s)
{
	uint64_t last = v;

	if (v < r->floor || v > r->ver)
		return false;
	for (;;) {
		const struct sb_roster_item *next = NULL;

		for (uint32_t i = 0; i < r->n; i++) {
			const struct sb_roster_item *it = &r->items[i];

			if (it->ver > last && item_visible(it) && (next == NULL || it->ver < next->ver))
				next = it;
		}
		if (next == NULL)
			return true;
		im_roster_push(sh, bare, len, r, next, s);
		last = next->ver;
	}
}

static void roster_get(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		       const struct imx_el *q, struct sb_session *s)
{
	struct sb_im *im = &sh->router.im;
	const char *bare = in->from;
	size_t len = in->st.from_bare_len;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct sb_roster r;
	char ver[24];
	int vl = imx_attr_text(q, "ver", ver, sizeof(ver));
	int rc = sb_store_roster_load(sh->router.store, bare, len, &r);

	if (rc < 0) {
		SB_IM_INC(im, store_errors);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
		return;
	}
	s->roster_requested = true;
	SB_IM_INC(im, roster_gets);
	im_result_open(&o, in);
	if (vl > 0) {
		char *end;
		uint64_t v = strtoull(ver, &end, 10);

		if (*end == '\0' && v == r.ver) {
			/* §2.6.3: nothing changed; no pushes follow. */
			imx_puts(&o, "/>");
			im_reply(sh, m, in, o.p, o.len);
			SB_IM_INC(im, roster_unchanged);
			sb_roster_free(&r);
			return;
		}
		if (*end == '\0' && v >= r.floor && v < r.ver) {
			imx_puts(&o, "/>");
			im_reply(sh, m, in, o.p, o.len);
			roster_since(sh, bare, len, &r, v, s);
			sb_roster_free(&r);
			return;
		}
	}
	imx_puts(&o, "><query xmlns='" IM_NS_ROSTER "'");
	if (vl >= 0)
		put_ver(&o, r.ver);
	imx_puts(&o, ">");
	for (uint32_t i = 0; i < r.n; i++)
		if ((r.items[i].flags & (SB_ROSTER_F_SHOWN | SB_ROSTER_F_GONE)) == SB_ROSTER_F_SHOWN)
			put_item(&o, &r.items[i]);
	imx_puts(&o, "</query></iq>");
	sb_roster_free(&r);
	if (o.over) {
		sb_router_error(sh, in, "wait", "resource-constraint",
				SB_ROUTE_CTR_err_unavailable);
		return;
	}
	im_reply(sh, m, in, o.p, o.len);
}

/* What a roster set carries (§2.3.2). */
struct roster_req {
	struct sb_jid jid;
	char jid_s[SB_JID_FULL_MAX + 1];
	size_t jid_len;
	bool remove;
	bool has_name;
	char name[SB_ROSTER_TEXT_MAX + 1];
	size_t name_len;
	unsigned n_groups;
	char group[SB_ROSTER_GROUPS_MAX][SB_ROSTER_TEXT_MAX + 1];
	uint16_t group_len[SB_ROSTER_GROUPS_MAX];
};

/* Parse the one item of a set. Returns NULL, or the condition to answer. */
static const char *roster_parse(const struct imx_el *q, struct roster_req *rq, uint32_t max_bytes)
{
	struct imx_el item, g;
	size_t pos = 0, gp = 0;
	char sub[16];
	int n, total = 0;

	if (!imx_child(q, &pos, &item) || !imx_is(&item, "item", IM_NS_ROSTER, IM_NS_ROSTER))
		return "bad-request";
	{
		struct imx_el extra;

		if (imx_child(q, &pos, &extra))
			return "bad-request"; /* §2.3.3: one item per set */
	}
	n = imx_attr_text(&item, "jid", rq->jid_s, sizeof(rq->jid_s));
	if (n <= 0 || sb_jid_parse(&rq->jid, rq->jid_s, (size_t)n) < 0)
		return "bad-request";
	rq->jid_len = sb_jid_format(&rq->jid, false, rq->jid_s, sizeof(rq->jid_s));
	n = imx_attr_text(&item, "subscription", sub, sizeof(sub));
	rq->remove = n > 0 && strcmp(sub, "remove") == 0;
	n = imx_attr_text(&item, "name", rq->name, sizeof(rq->name));
	if (n == -ENOSPC)
		return "not-acceptable";
	rq->has_name = n >= 0;
	rq->name_len = n > 0 ? (size_t)n : 0;
	total = (int)rq->name_len;
	rq->n_groups = 0;
	while (imx_child(&item, &gp, &g)) {
		if (!imx_is(&g, "group", IM_NS_ROSTER, IM_NS_ROSTER))
			continue;
		if (rq->n_groups == SB_ROSTER_GROUPS_MAX)
			return "not-acceptable";
		n = imx_text(&g, rq->group[rq->n_groups], sizeof(rq->group[0]));
		if (n == -ENOSPC)
			return "not-acceptable";
		if (n < 0)
			return "bad-request";
		if (n == 0)
			return "not-acceptable"; /* §2.3.3: an empty group */
		for (unsigned k = 0; k < rq->n_groups; k++)
			if (rq->group_len[k] == n && memcmp(rq->group[k], rq->group[rq->n_groups],
							     (size_t)n) == 0)
				return "bad-request"; /* §2.3.3: a group twice */
		rq->group_len[rq->n_groups++] = (uint16_t)n;
		total += n;
	}
	return (uint32_t)total > max_bytes ? "not-acceptable" : NULL;
}

/* §2.5.2: removing a contact cancels the subscriptions both ways. */
static void roster_remove_subs(struct sb_shard *sh, const char *bare, size_t len,
			       const struct sb_roster_item *it)
{
	if (it->sub == SB_SUB_TO || it->sub == SB_SUB_BOTH || (it->flags & SB_ROSTER_F_PENDING_OUT))
		im_sub_send(sh, bare, len, it->jid, it->jid_len, "unsubscribe", NULL, 0);
	if (it->sub == SB_SUB_FROM || it->sub == SB_SUB_BOTH || (it->flags & SB_ROSTER_F_PENDING_IN))
		im_sub_send(sh, bare, len, it->jid, it->jid_len, "unsubscribed", NULL, 0);
	if (it->flags & SB_ROSTER_F_PENDING_IN)
		sb_store_subreq_del(sh->router.store, bare, len, it->jid, it->jid_len);
}

static const char *roster_apply(struct sb_shard *sh, const char *bare, size_t len,
				struct sb_roster *r, struct roster_req *rq,
				struct sb_roster_item **ret)
{
	struct sb_im *im = &sh->router.im;
	struct sb_roster_item *it = sb_roster_find(r, rq->jid_s, rq->jid_len);
	const char *gp[SB_ROSTER_GROUPS_MAX];

	if (rq->remove) {
		if (it == NULL || (it->flags & SB_ROSTER_F_GONE) || !(it->flags & SB_ROSTER_F_SHOWN))
			return "item-not-found"; /* §2.5.3 */
		roster_remove_subs(sh, bare, len, it);
		sb_roster_remove(r, it);
		*ret = sb_roster_find(r, rq->jid_s, rq->jid_len);
		SB_IM_INC(im, roster_removes);
		return NULL;
	}
	if ((it == NULL || (it->flags & SB_ROSTER_F_GONE)) &&
	    im_roster_live(r) >= im->lim.roster_max_items) {
		SB_IM_INC(im, roster_full);
		return "resource-constraint";
	}
	it = sb_roster_get(r, rq->jid_s, rq->jid_len);
	for (unsigned g = 0; g < rq->n_groups; g++)
		gp[g] = rq->group[g];
	if (it == NULL || sb_roster_item_set(it, rq->has_name ? rq->name : NULL, rq->name_len, gp,
					     rq->group_len, rq->n_groups) < 0)
		return "internal-server-error";
	it->flags |= SB_ROSTER_F_SHOWN;
	sb_roster_touch(r, it);
	*ret = it;
	SB_IM_INC(im, roster_sets);
	return NULL;
}

static void roster_set(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		       const struct imx_el *q)
{
	struct sb_im *im = &sh->router.im;
	const char *bare = in->from;
	size_t len = in->st.from_bare_len;
	struct roster_req *rq = malloc(sizeof(*rq));
	struct sb_roster_item *it = NULL;
	struct sb_roster r;
	const char *cond;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };

	if (rq == NULL)
		return;
	cond = roster_parse(q, rq, im->lim.roster_item_bytes);
	if (cond != NULL) {
		if (strcmp(cond, "bad-request") == 0)
			SB_IM_INC(im, roster_bad);
		else
			SB_IM_INC(im, roster_not_acceptable);
		sb_router_error(sh, in, "modify", cond, SB_ROUTE_CTR_err_unavailable);
		free(rq);
		return;
	}
	if (sb_store_roster_load(sh->router.store, bare, len, &r) < 0) {
		SB_IM_INC(im, store_errors);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
		free(rq);
		return;
	}
	cond = roster_apply(sh, bare, len, &r, rq, &it);
	if (cond == NULL && sb_store_roster_save(sh->router.store, bare, len, &r) < 0) {
		SB_IM_INC(im, store_errors);
		cond = "internal-server-error";
	}
	if (cond != NULL) {
		sb_router_error(sh, in,
				strcmp(cond, "resource-constraint") == 0 ? "wait"
				: strcmp(cond, "item-not-found") == 0	 ? "cancel"
									 : "modify",
				cond, SB_ROUTE_CTR_err_unavailable);
	} else {
		/* §2.3.2: the result, then the push to every interested
		 * resource, the one that set included. */
		im_result_open(&o, in);
		imx_puts(&o, "/>");
		if (!o.over)
			im_reply(sh, m, in, o.p, o.len);
		if (it != NULL)
			im_roster_push(sh, bare, len, &r, it, NULL);
	}
	sb_roster_free(&r);
	free(rq);
}

void im_roster_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		  const struct imx_el *query)
{
	struct sb_session *s = sb_session_find(&sh->router.sessions, in->from, in->st.from_len,
					       in->st.from_bare_len);

	if (s == NULL)
		return; /* the session went meanwhile */
	if (in->st.type == SB_STYPE_GET)
		roster_get(sh, m, in, query, s);
	else
		roster_set(sh, m, in, query);
}

static bool im_to_server(const struct sb_router *r, const struct sb_route_in *in)
{
	return in->st.to_len == r->domain_len && memcmp(in->to, r->domain, r->domain_len) == 0;
}

void sb_im_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct imx_el iq, child;
	size_t pos = 0;
	ssize_t n;
	bool own = in->st.to_len == 0 ||
		   (in->st.to_len == in->st.from_bare_len &&
		    memcmp(in->to, in->from, in->st.from_bare_len) == 0);

	if (in->st.type != SB_STYPE_GET && in->st.type != SB_STYPE_SET) {
		/* Results and errors for the server: answers to roster
		 * pushes, to push notifications (XEP-0357, im_push.c) and to
		 * caps queries (XEP-0115, im_caps.c). */
		im_push_answer(sh, in);
		if (in->st.to_len > 0)
			im_caps_result(sh, m, in);
		goto free;
	}
	n = im_bytes(sh, m, in);
	if (n < 0 || imx_open(&iq, (const uint8_t *)r->im.buf, (size_t)n) < 0 ||
	    !imx_child(&iq, &pos, &child)) {
		sb_router_error(sh, in, "modify", "bad-request", SB_ROUTE_CTR_err_unavailable);
		goto free;
	}
	if (own && imx_is(&child, "query", IM_NS_ROSTER, NULL)) {
		im_roster_iq(sh, m, in, &child);
		goto free;
	}
	if ((own && im_block_iq(sh, m, in, &child)) || im_vcard_iq(sh, m, in, &child, own) ||
	    im_private_iq(sh, m, in, &child, own) || im_push_iq(sh, m, in, &child, own) ||
	    im_pep_iq(sh, m, in, &child, own))
		goto free;
	if (own && (imx_is(&child, "enable", "urn:xmpp:carbons:2", NULL) ||
		    imx_is(&child, "disable", "urn:xmpp:carbons:2", NULL))) {
		im_carbons_iq(sh, m, in, &child);
		goto free;
	}
	if (own && r->im.lim.mam && (imx_is(&child, "query", "urn:xmpp:mam:2", NULL) ||
		    imx_is(&child, "metadata", "urn:xmpp:mam:2", NULL) ||
		    imx_is(&child, "prefs", "urn:xmpp:mam:2", NULL))) {
		im_mam_iq(sh, m, in, &child);
		goto free;
	}
	im_disco_iq(sh, m, in, &child, im_to_server(r, in));
free:
	sb_msg_free_chain(m, &r->pool);
}
