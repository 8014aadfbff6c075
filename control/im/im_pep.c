/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Personal eventing (XEP-0163 1.2): every account is a pubsub service
 * (XEP-0060) on its bare JID. The owner publishes (nodes are created on
 * the first publish, with publish-options), retracts, deletes and
 * configures; anyone the node's access model lets read gets its items.
 * One store record per (user, node) (store_pep.h), read and written whole.
 *
 * Notifications. A publish (or a retract with notify) is one event
 * message, sent as SB_IM_X_PEPEV to the owner's own shard and, unless the
 * node is whitelist, to the shard of every contact with a subscription
 * from or both that the owner does not block (one inter-shard message per
 * contact). There each available resource whose entity capabilities carry
 * "<node>+notify" (im_caps.c) gets it, as a headline message from the
 * owner's bare JID. When a resource becomes available and its interest is
 * known, it asks (SB_IM_X_PEPLAST) its own account and every local contact
 * it has a subscription to (to, both) for the last item of each node it
 * wants; the owner's shard answers with the events its access model allows
 * (not for send_last_published_item=never), addressed to that resource.
 *
 * Errors (XEP-0060 §7, with pubsub#errors conditions):
 * - publish-options that an existing node does not satisfy, or an access
 *   model not offered: conflict + precondition-not-met (§7.1.5);
 * - an item payload over im.pep_item_max_bytes: not-acceptable +
 *   payload-too-big; a new node past im.pep_max_nodes: resource-constraint
 *   + max-nodes-exceeded; max_items over im.pep_max_items:
 *   policy-violation + max-items-exceeded;
 * - items of a presence node without a subscription: not-authorized +
 *   presence-subscription-required; of a whitelist node: not-allowed +
 *   closed-node; another user's publish/retract/owner request: forbidden.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "im_priv.h"
#include "pep_node.h"
#include "router.h"
#include "session.h"
#include "shard.h"
#include "store/store_pep.h"
#include "store/store_udata.h"

#define ERR(c, t, a) ((struct pep_err){ .cond = (c), .type = (t), .app = (a) })
/* "<item id='…'>" with the id escaped (6 bytes per byte at most). */
#define PEP_HEAD_MAX (SB_PEP_ID_MAX * 6u + 32u)
#define APP(x) "<" x " xmlns='" PEP_NS_ERRORS "'/>"

struct pep_err {
	const char *cond;
	const char *type;
	const char *app; /* raw pubsub#errors element, or NULL */
};

static const struct pep_err PEP_OK = { 0 };

/* A node attribute into node (SB_PEP_NODE_MAX + 1); its length, or 0. */
static size_t node_attr(const struct imx_el *e, char *node)
{
	int n = imx_attr_text(e, "node", node, SB_PEP_NODE_MAX + 1);

	return n > 0 ? (size_t)n : 0;
}

/* An existing node of owner into nd, or the error to answer. */
static struct pep_err node_load(struct sb_shard *sh, const char *owner, size_t olen,
				const char *node, size_t nlen, struct sb_pep_node *nd)
{
	int rc = sb_store_pep_load(sh->router.store, owner, olen, node, nlen, nd);

	/* A name too long for a key cannot have been created. */
	if (rc == -ENOENT || rc == -ENAMETOOLONG)
		return ERR("item-not-found", "cancel", NULL);
	if (rc < 0) {
		SB_IM_INC(&sh->router.im, store_errors);
		return ERR("internal-server-error", "wait", NULL);
	}
	return PEP_OK;
}

/* The owner's subscription state for contact (SB_SUB_NONE: none, or
 * blocked by the owner, or the roster could not be read). */
static enum sb_sub pep_sub_of(struct sb_shard *sh, const char *owner, size_t olen,
			      const char *contact, size_t clen)
{
	struct sb_roster ro;
	struct sb_roster_item *it;
	enum sb_sub sub = SB_SUB_NONE;

	if (im_block_online(sh, owner, olen, contact, clen))
		return SB_SUB_NONE;
	sb_roster_init(&ro);
	if (sb_store_roster_load(sh->router.store, owner, olen, &ro) == 0 &&
	    (it = sb_roster_find(&ro, contact, clen)) != NULL && !(it->flags & SB_ROSTER_F_GONE))
		sub = (enum sb_sub)it->sub;
	sb_roster_free(&ro);
	return sub;
}

/* The event message: node NUL, then <message from=owner type=headline>
 * with <event><items node>inner</items></event>, no to (added per
 * recipient). Built in o. */
static void event_build(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
			const char *node, size_t nlen, const char *inner, size_t ilen,
			const void *payload, size_t plen, const char *inner_end)
{
	struct sb_im *im = &sh->router.im;
	char id[32];

	snprintf(id, sizeof(id), "pep-%llx", (unsigned long long)++im->push_id);
	imx_put(o, node, nlen);
	imx_put(o, "", 1);
	imx_puts(o, "<message");
	imx_attr_put(o, "from", owner, olen);
	imx_puts(o, " type='headline'");
	imx_attr_put(o, "id", id, strlen(id));
	imx_puts(o, "><event xmlns='" PEP_NS_EVENT "'><items");
	imx_attr_put(o, "node", node, nlen);
	imx_puts(o, ">");
	imx_put(o, inner, ilen);
	imx_put(o, payload, plen);
	imx_puts(o, inner_end);
	imx_puts(o, "</items></event></message>");
}

static void event_send(struct sb_shard *sh, const char *to, size_t tlen, size_t tbare,
		       const char *owner, size_t olen, const struct imx_out *o)
{
	struct sb_msg *m = im_chain(sh, SB_MSG_STANZA, SB_STANZA_MESSAGE, SB_STYPE_HEADLINE, to,
				    tlen, tbare, owner, olen, olen, o->p, o->len);

	if (m != NULL)
		im_xsend(sh, im_bare_shard(sh, to, tbare), m, SB_IM_X_PEPEV);
}

/* The event in o to the owner's resources and to the contacts the node's
 * access model lets read it. */
static void pep_notify(struct sb_shard *sh, const char *owner, size_t olen,
		       const struct sb_pep_node *nd, const struct imx_out *o)
{
	struct sb_roster ro;

	if (o->over)
		return;
	event_send(sh, owner, olen, olen, owner, olen, o);
	if (nd->access == SB_PEP_ACCESS_WHITELIST)
		return;
	sb_roster_init(&ro);
	if (sb_store_roster_load(sh->router.store, owner, olen, &ro) < 0) {
		SB_IM_INC(&sh->router.im, store_errors);
		return;
	}
	for (uint32_t i = 0; i < ro.n; i++) {
		const struct sb_roster_item *it = &ro.items[i];

		if ((it->flags & SB_ROSTER_F_GONE) ||
		    !pep_access_allowed(nd->access, false, (enum sb_sub)it->sub) ||
		    im_block_online(sh, owner, olen, it->jid, it->jid_len))
			continue;
		event_send(sh, it->jid, it->jid_len, it->jid_len, owner, olen, o);
		SB_IM_INC(&sh->router.im, pep_events_out);
	}
	sb_roster_free(&ro);
}

/* <publish-options/> of a pubsub element, parsed into o (nothing: none). */
static struct pep_err publish_options(const struct imx_el *ps, struct pep_opts *o)
{
	struct imx_el e, x;
	size_t pos = 0, xp = 0;

	memset(o, 0, sizeof(*o));
	while (imx_child(ps, &pos, &e)) {
		if (!imx_is(&e, "publish-options", PEP_NS, PEP_NS))
			continue;
		if (!imx_child(&e, &xp, &x))
			return PEP_OK;
		switch (pep_form_parse(&x, o)) {
		case PEP_FORM_OK:
			return PEP_OK;
		case PEP_FORM_UNSUPPORTED:
			return ERR("conflict", "cancel", APP("precondition-not-met"));
		default:
			return ERR("bad-request", "modify", APP("invalid-options"));
		}
	}
	return PEP_OK;
}

/* A fresh item id: the time in ns and a counter, in hex. */
static size_t item_id_new(struct sb_im *im, char *id, size_t cap)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (size_t)snprintf(id, cap, "%llx-%llx",
				(unsigned long long)ts.tv_sec * 1000000000ull +
					(unsigned long long)ts.tv_nsec,
				(unsigned long long)++im->push_id);
}

static struct pep_err pep_publish(struct sb_shard *sh, const struct sb_route_in *in,
				  const struct imx_el *ps, const struct imx_el *pub,
				  struct imx_out *o, char *node, char *id)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	const char *owner = in->from;
	size_t olen = in->st.from_bare_len, nlen = node_attr(pub, node), idl, a = 0, b = 0;
	struct sb_pep_node nd;
	struct pep_opts opt;
	struct pep_err err;
	struct imx_el item, extra;
	size_t pos = 0;
	bool fresh;
	int rc;

	if (nlen == 0)
		return ERR("bad-request", "modify", APP("nodeid-required"));
	if (olen + 1 + nlen > SB_STORE_KEY_MAX) {
		SB_IM_INC(im, pep_limited);
		return ERR("not-acceptable", "modify", NULL);
	}
	if (!imx_child(pub, &pos, &item) || !imx_is(&item, "item", PEP_NS, PEP_NS))
		return ERR("bad-request", "modify", APP("item-required"));
	if (imx_child(pub, &pos, &extra))
		return ERR("bad-request", "modify", APP("invalid-payload"));
	imx_content(&item, &a, &b);
	if (b - a > im->lim.pep_item_max_bytes) {
		SB_IM_INC(im, pep_limited);
		return ERR("not-acceptable", "modify", APP("payload-too-big"));
	}
	rc = imx_attr_text(&item, "id", id, SB_PEP_ID_MAX + 1);
	if (rc == -ENOSPC)
		return ERR("not-acceptable", "modify", NULL);
	idl = rc > 0 ? (size_t)rc : item_id_new(im, id, SB_PEP_ID_MAX + 1);
	err = publish_options(ps, &opt);
	if (err.cond != NULL)
		return err;
	rc = sb_store_pep_load(r->store, owner, olen, node, nlen, &nd);
	if (rc < 0 && rc != -ENOENT) {
		SB_IM_INC(im, store_errors);
		return ERR("internal-server-error", "wait", NULL);
	}
	fresh = rc == -ENOENT;
	if (!fresh)
		pep_node_limit(&nd, im->lim.pep_max_items);
	if (fresh && sb_store_udata_count(r->store, SB_STORE_PEP, owner, olen,
					  im->lim.pep_max_nodes) >= (int)im->lim.pep_max_nodes) {
		SB_IM_INC(im, pep_limited);
		return ERR("resource-constraint", "wait", APP("max-nodes-exceeded"));
	}
	if (!fresh && !pep_opts_match(&nd, &opt)) {
		SB_IM_INC(im, pep_precondition);
		sb_pep_node_free(&nd);
		return ERR("conflict", "cancel", APP("precondition-not-met"));
	}
	if (fresh && pep_node_configure(&nd, node, nlen, &opt, im->lim.pep_max_items, true)) {
		SB_IM_INC(im, pep_limited);
		return ERR("policy-violation", "modify", APP("max-items-exceeded"));
	}
	rc = sb_pep_item_put(&nd, id, idl, item.p + a, b - a);
	if (rc == 0)
		rc = sb_store_pep_save(r->store, owner, olen, node, nlen, &nd);
	if (rc < 0) {
		sb_pep_node_free(&nd);
		SB_IM_INC(im, store_errors);
		return ERR("internal-server-error", "wait", NULL);
	}
	SB_IM_INC(im, pep_published);
	{
		struct imx_out ev = { .p = im->obuf, .cap = im->buf_cap };
		struct imx_out head = { .p = id + SB_PEP_ID_MAX + 1, .cap = PEP_HEAD_MAX };

		imx_puts(&head, "<item");
		imx_attr_put(&head, "id", id, idl);
		imx_puts(&head, ">");
		if (!head.over) {
			event_build(sh, &ev, owner, olen, node, nlen, head.p, head.len,
				    item.p + a, b - a, "</item>");
			pep_notify(sh, owner, olen, &nd, &ev);
		}
	}
	sb_pep_node_free(&nd);
	im_result_open(o, in);
	imx_puts(o, "><pubsub xmlns='" PEP_NS "'><publish");
	imx_attr_put(o, "node", node, nlen);
	imx_puts(o, "><item");
	imx_attr_put(o, "id", id, idl);
	imx_puts(o, "/></publish></pubsub></iq>");
	return PEP_OK;
}

static bool attr_true(const struct imx_el *e, const char *name)
{
	char v[8];

	return imx_attr_text(e, name, v, sizeof(v)) > 0 &&
	       (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* <create node/> with an optional <configure><x/></configure> beside it
 * (XEP-0060 §8.1.2, §8.1.3): the node made empty; one that exists is a
 * conflict. */
static struct pep_err pep_create(struct sb_shard *sh, const struct sb_route_in *in,
				 const struct imx_el *ps, const struct imx_el *cr,
				 struct imx_out *o, char *node)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	const char *owner = in->from;
	size_t olen = in->st.from_bare_len, nlen = node_attr(cr, node), pos = 0, xp;
	struct sb_pep_node nd;
	struct pep_opts opt = { 0 };
	struct imx_el e, x;
	int rc;

	if (nlen == 0) /* instant nodes are not offered */
		return ERR("not-acceptable", "modify", APP("nodeid-required"));
	if (olen + 1 + nlen > SB_STORE_KEY_MAX)
		return ERR("not-acceptable", "modify", NULL);
	while (imx_child(ps, &pos, &e)) {
		xp = 0;
		if (imx_is(&e, "configure", PEP_NS, PEP_NS) && imx_child(&e, &xp, &x) &&
		    pep_form_parse(&x, &opt) != PEP_FORM_OK)
			return ERR("not-acceptable", "modify", NULL);
	}
	rc = sb_store_pep_load(r->store, owner, olen, node, nlen, &nd);
	sb_pep_node_free(&nd);
	if (rc == 0)
		return ERR("conflict", "cancel", NULL);
	if (rc != -ENOENT) {
		SB_IM_INC(im, store_errors);
		return ERR("internal-server-error", "wait", NULL);
	}
	if (sb_store_udata_count(r->store, SB_STORE_PEP, owner, olen, im->lim.pep_max_nodes) >=
	    (int)im->lim.pep_max_nodes) {
		SB_IM_INC(im, pep_limited);
		return ERR("resource-constraint", "wait", APP("max-nodes-exceeded"));
	}
	if (pep_node_configure(&nd, node, nlen, &opt, im->lim.pep_max_items, true)) {
		SB_IM_INC(im, pep_limited);
		return ERR("policy-violation", "modify", APP("max-items-exceeded"));
	}
	if (sb_store_pep_save(r->store, owner, olen, node, nlen, &nd) < 0) {
		SB_IM_INC(im, store_errors);
		return ERR("internal-server-error", "wait", NULL);
	}
	SB_IM_INC(im, pep_owner_ops);
	im_result_open(o, in);
	imx_puts(o, "/>");
	return PEP_OK;
}

static struct pep_err pep_retract(struct sb_shard *sh, const struct sb_route_in *in,
				  const struct imx_el *ret, struct imx_out *o, char *node, char *id)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	const char *owner = in->from;
	size_t olen = in->st.from_bare_len, nlen = node_attr(ret, node), pos = 0;
	struct sb_pep_node nd;
	struct imx_el item;
	struct pep_err err;
	int idl;

	if (nlen == 0)
		return ERR("bad-request", "modify", APP("nodeid-required"));
	if (!imx_child(ret, &pos, &item) || !imx_is(&item, "item", PEP_NS, PEP_NS) ||
	    (idl = imx_attr_text(&item, "id", id, SB_PEP_ID_MAX + 1)) <= 0)
		return ERR("bad-request", "modify", APP("item-required"));
	err = node_load(sh, owner, olen, node, nlen, &nd);
	if (err.cond != NULL)
		return err;
	if (sb_pep_item_del(&nd, id, (size_t)idl) == 0) {
		sb_pep_node_free(&nd);
		return ERR("item-not-found", "cancel", NULL);
	}
	if (sb_store_pep_save(r->store, owner, olen, node, nlen, &nd) < 0) {
		sb_pep_node_free(&nd);
		SB_IM_INC(im, store_errors);
		return ERR("internal-server-error", "wait", NULL);
	}
	SB_IM_INC(im, pep_retracted);
	if (attr_true(ret, "notify")) {
		struct imx_out ev = { .p = im->obuf, .cap = im->buf_cap };
		struct imx_out head = { .p = id + SB_PEP_ID_MAX + 1, .cap = PEP_HEAD_MAX };

		imx_puts(&head, "<retract");
		imx_attr_put(&head, "id", id, (size_t)idl);
		imx_puts(&head, "/>");
		if (!head.over) {
			event_build(sh, &ev, owner, olen, node, nlen, head.p, head.len, NULL, 0, "");
			pep_notify(sh, owner, olen, &nd, &ev);
		}
	}
	sb_pep_node_free(&nd);
	im_result_open(o, in);
	imx_puts(o, "/>");
	return PEP_OK;
}

static void item_put(struct imx_out *o, const struct sb_pep_item *it)
{
	imx_puts(o, "<item");
	imx_attr_put(o, "id", it->id, it->id_len);
	imx_puts(o, ">");
	imx_put(o, it->payload, it->len);
	imx_puts(o, "</item>");
}

static struct pep_err pep_items(struct sb_shard *sh, const struct sb_route_in *in,
				const struct imx_el *items, bool own, struct imx_out *o,
				char *node, char *id)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	const char *owner = own ? in->from : in->to;
	size_t olen = own ? in->st.from_bare_len : in->st.to_bare_len;
	size_t nlen = node_attr(items, node), pos = 0;
	struct sb_pep_node nd;
	struct imx_el e;
	char mx[16];
	uint32_t max = UINT32_MAX, first = 0;
	struct pep_err err;
	bool ids = false;

	if (nlen == 0)
		return ERR("bad-request", "modify", APP("nodeid-required"));
	err = node_load(sh, owner, olen, node, nlen, &nd);
	if (err.cond != NULL)
		return err;
	if (!pep_access_allowed(nd.access, own,
				own ? SB_SUB_BOTH
				    : pep_sub_of(sh, owner, olen, in->from, in->st.from_bare_len))) {
		uint8_t access = nd.access;

		sb_pep_node_free(&nd);
		SB_IM_INC(im, pep_denied);
		return access == SB_PEP_ACCESS_PRESENCE
			       ? ERR("not-authorized", "auth", APP("presence-subscription-required"))
			       : ERR("not-allowed", "cancel", APP("closed-node"));
	}
	if (imx_attr_text(items, "max_items", mx, sizeof(mx)) > 0) {
		max = (uint32_t)strtoul(mx, NULL, 10);
		if (max < nd.n)
			first = nd.n - max;
	}
	im_result_open(o, in);
	imx_puts(o, "><pubsub xmlns='" PEP_NS "'><items");
	imx_attr_put(o, "node", node, nlen);
	imx_puts(o, ">");
	while (imx_child(items, &pos, &e)) {
		int l;
		struct sb_pep_item *it;

		if (!imx_is(&e, "item", PEP_NS, PEP_NS) ||
		    (l = imx_attr_text(&e, "id", id, SB_PEP_ID_MAX + 1)) <= 0)
			continue;
		ids = true;
		if ((it = sb_pep_item_find(&nd, id, (size_t)l)) != NULL)
			item_put(o, it);
	}
	for (uint32_t i = first; !ids && i < nd.n; i++)
		item_put(o, &nd.items[i]);
	imx_puts(o, "</items></pubsub></iq>");
	sb_pep_node_free(&nd);
	SB_IM_INC(im, pep_item_gets);
	if (o->over)
		return ERR("resource-constraint", "wait", NULL);
	return PEP_OK;
}

static void config_form(struct imx_out *o, const struct sb_pep_node *nd)
{
	char n[16];

	snprintf(n, sizeof(n), "%u", nd->max_items);
	imx_puts(o, "<x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'>"
		    "<value>" PEP_NS_NODE_CONFIG "</value></field>"
		    "<field var='pubsub#access_model' type='list-single'><value>");
	imx_puts(o, pep_access_name(nd->access));
	imx_puts(o, "</value><option><value>presence</value></option><option><value>open</value>"
		    "</option><option><value>whitelist</value></option></field>"
		    "<field var='pubsub#max_items' type='text-single'><value>");
	imx_puts(o, n);
	imx_puts(o, "</value></field><field var='pubsub#persist_items' type='boolean'><value>");
	imx_puts(o, nd->flags & SB_PEP_F_NO_PERSIST ? "0" : "1");
	imx_puts(o, "</value></field><field var='pubsub#send_last_published_item' "
		    "type='list-single'><value>");
	imx_puts(o, nd->flags & SB_PEP_F_SEND_NEVER ? "never" : "on_sub_and_presence");
	imx_puts(o, "</value></field></x>");
}

/* pubsub#owner: delete a node, get or submit its configuration. */
static struct pep_err pep_owner(struct sb_shard *sh, const struct sb_route_in *in,
				const struct imx_el *ps, struct imx_out *o, char *node)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	const char *owner = in->from;
	size_t olen = in->st.from_bare_len, nlen, pos = 0, xp = 0;
	bool get = in->st.type == SB_STYPE_GET;
	struct sb_pep_node nd;
	struct imx_el op, x;
	struct pep_opts opt;
	struct pep_err err;
	int rc = 0;

	if (!imx_child(ps, &pos, &op))
		return ERR("bad-request", "modify", NULL);
	nlen = node_attr(&op, node);
	if (nlen == 0)
		return ERR("bad-request", "modify", APP("nodeid-required"));
	if (!(imx_is(&op, "delete", PEP_NS_OWNER, PEP_NS_OWNER) && !get) &&
	    !imx_is(&op, "configure", PEP_NS_OWNER, PEP_NS_OWNER))
		return ERR("feature-not-implemented", "cancel", NULL);
	err = node_load(sh, owner, olen, node, nlen, &nd);
	if (err.cond != NULL)
		return err;
	im_result_open(o, in);
	if (imx_is(&op, "delete", PEP_NS_OWNER, PEP_NS_OWNER)) {
		rc = sb_store_pep_save(r->store, owner, olen, node, nlen, NULL);
		imx_puts(o, "/>");
	} else if (get) {
		imx_puts(o, "><pubsub xmlns='" PEP_NS_OWNER "'><configure");
		imx_attr_put(o, "node", node, nlen);
		imx_puts(o, ">");
		config_form(o, &nd);
		imx_puts(o, "</configure></pubsub></iq>");
	} else {
		if (!imx_child(&op, &xp, &x) || pep_form_parse(&x, &opt) != PEP_FORM_OK) {
			sb_pep_node_free(&nd);
			return ERR("not-acceptable", "modify", NULL);
		}
		if (pep_node_configure(&nd, node, nlen, &opt, im->lim.pep_max_items, false)) {
			sb_pep_node_free(&nd);
			SB_IM_INC(im, pep_limited);
			return ERR("policy-violation", "modify", APP("max-items-exceeded"));
		}
		pep_node_limit(&nd, im->lim.pep_max_items);
		sb_pep_node_trim(&nd);
		rc = sb_store_pep_save(r->store, owner, olen, node, nlen, &nd);
		imx_puts(o, "/>");
	}
	sb_pep_node_free(&nd);
	if (rc < 0) {
		SB_IM_INC(im, store_errors);
		return ERR("internal-server-error", "wait", NULL);
	}
	SB_IM_INC(im, pep_owner_ops);
	return PEP_OK;
}

bool im_pep_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
	       const struct imx_el *child, bool own)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	bool get = in->st.type == SB_STYPE_GET;
	bool owner_ns = imx_is(child, "pubsub", PEP_NS_OWNER, NULL);
	struct pep_err err = ERR("bad-request", "modify", NULL);
	struct imx_el op;
	size_t pos = 0;
	char *node, *id, app[128];

	if (!owner_ns && !imx_is(child, "pubsub", PEP_NS, NULL))
		return false;
	/* The domain is not a pubsub service (XEP-0060 services are components). */
	if (!own && memchr(in->to, '@', in->st.to_bare_len) == NULL)
		return false;
	if (!own && sb_store_user_exists(sh->router.store, in->to, in->st.to_bare_len) == 0) {
		SB_IM_INC(im, iq_unsupported);
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
		return true;
	}
	/* node, then an item id with room behind it for the <item id/> head. */
	node = malloc(SB_PEP_NODE_MAX + 1 + SB_PEP_ID_MAX + 1 + PEP_HEAD_MAX);
	if (node == NULL) {
		err = ERR("internal-server-error", "wait", NULL);
		goto fail;
	}
	id = node + SB_PEP_NODE_MAX + 1;
	if (!own && (owner_ns || !get)) {
		err = ERR("forbidden", "auth", NULL);
	} else if (owner_ns) {
		err = pep_owner(sh, in, child, &o, node);
	} else {
		while (imx_child(child, &pos, &op)) {
			if (get && imx_is(&op, "items", PEP_NS, PEP_NS)) {
				err = pep_items(sh, in, &op, own, &o, node, id);
				break;
			}
			if (!get && imx_is(&op, "publish", PEP_NS, PEP_NS)) {
				err = pep_publish(sh, in, child, &op, &o, node, id);
				break;
			}
			if (!get && imx_is(&op, "retract", PEP_NS, PEP_NS)) {
				err = pep_retract(sh, in, &op, &o, node, id);
				break;
			}
			if (!get && imx_is(&op, "create", PEP_NS, PEP_NS)) {
				err = pep_create(sh, in, child, &op, &o, node);
				break;
			}
			if (imx_is(&op, "configure", PEP_NS, PEP_NS))
				continue; /* create's options */
			if (!imx_is(&op, "publish-options", PEP_NS, PEP_NS)) {
				/* subscribe, options, affiliations…: XEP-0060
				 * names the feature the element stands for. */
				snprintf(app, sizeof(app),
					 "<unsupported xmlns='" PEP_NS_ERRORS "' feature='%.*s'/>",
					 (int)(op.name_len < 32 ? op.name_len : 32), op.p + 1);
				err = ERR("feature-not-implemented", "cancel", app);
				break;
			}
		}
	}
	free(node);
	if (err.cond == NULL) {
		if (!o.over)
			im_reply(sh, m, in, o.p, o.len);
		return true;
	}
fail:
	SB_IM_INC(im, pep_refused);
	if (err.app != NULL)
		sb_router_error_app(sh, in, err.type, err.cond, err.app,
				    SB_ROUTE_CTR_err_unavailable);
	else
		sb_router_error(sh, in, err.type, err.cond, SB_ROUTE_CTR_err_unavailable);
	return true;
}

/* A request chain from s (full JID) to owner with s's node list. */
static void last_ask(struct sb_shard *sh, const struct sb_session *s, const char *owner,
		     size_t olen)
{
	const struct sb_im_caps *c = s->caps;
	struct sb_msg *m = im_chain(sh, SB_MSG_STANZA, SB_STANZA_MESSAGE, SB_STYPE_HEADLINE, owner,
				    olen, olen, s->jid, s->jid_len, s->bare_len,
				    c->data + c->ver_len + 1, c->notify_len);

	if (m == NULL)
		return;
	SB_IM_INC(&sh->router.im, pep_last_asked);
	im_xsend(sh, im_bare_shard(sh, owner, olen), m, SB_IM_X_PEPLAST);
}

void im_pep_login(struct sb_shard *sh, const struct sb_session *s)
{
	struct sb_router *r = &sh->router;
	struct sb_roster ro;

	if (s->caps == NULL || s->caps->notify_len == 0)
		return;
	last_ask(sh, s, s->jid, s->bare_len);
	sb_roster_init(&ro);
	if (sb_store_roster_load(r->store, s->jid, s->bare_len, &ro) < 0) {
		SB_IM_INC(&r->im, store_errors);
		return;
	}
	for (uint32_t i = 0; i < ro.n; i++) {
		const struct sb_roster_item *it = &ro.items[i];
		const char *at = memchr(it->jid, '@', it->jid_len);
		size_t dl = at ? it->jid_len - (size_t)(at + 1 - it->jid) : 0;

		/* Local accounts only: no server-to-server. */
		if ((it->flags & SB_ROSTER_F_GONE) || (it->sub != SB_SUB_TO && it->sub != SB_SUB_BOTH) ||
		    at == NULL || dl != r->domain_len || memcmp(at + 1, r->domain, dl) != 0)
			continue;
		last_ask(sh, s, it->jid, it->jid_len);
	}
	sb_roster_free(&ro);
}

void im_pep_last_in(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_route_in *in = &r->in;
	const char *owner = in->to, *p, *end;
	size_t olen;
	enum sb_sub sub;
	bool own;
	ssize_t n;

	if (sb_router_parse(m, in) < 0 || in->st.to_len == 0 ||
	    in->st.to_len != in->st.to_bare_len || (n = im_bytes(sh, m, in)) < 0)
		goto free;
	olen = in->st.to_bare_len;
	own = in->st.from_bare_len == olen && memcmp(in->from, owner, olen) == 0;
	sub = own ? SB_SUB_BOTH : pep_sub_of(sh, owner, olen, in->from, in->st.from_bare_len);
	p = im->buf;
	end = im->buf + n;
	while (p < end) {
		size_t nl = strnlen(p, (size_t)(end - p));
		struct sb_pep_node nd;
		const struct sb_pep_item *it;

		if (nl > 0 && nl <= SB_PEP_NODE_MAX &&
		    sb_store_pep_load(r->store, owner, olen, p, nl, &nd) == 0) {
			it = sb_pep_item_last(&nd);
			if (it != NULL && !(nd.flags & SB_PEP_F_SEND_NEVER) &&
			    pep_access_allowed(nd.access, own, sub)) {
				struct imx_out ev = { .p = im->obuf, .cap = im->buf_cap };
				struct imx_out head = { .p = malloc(PEP_HEAD_MAX),
							.cap = PEP_HEAD_MAX };

				if (head.p != NULL) {
					imx_puts(&head, "<item");
					imx_attr_put(&head, "id", it->id, it->id_len);
					imx_puts(&head, ">");
					event_build(sh, &ev, owner, olen, p, nl, head.p, head.len,
						    it->payload, it->len, "</item>");
					if (!ev.over && !head.over) {
						event_send(sh, in->from, in->st.from_len,
							   in->st.from_bare_len, owner, olen, &ev);
						SB_IM_INC(im, pep_last_sent);
					}
					free(head.p);
				}
			}
			sb_pep_node_free(&nd);
		}
		p += nl + 1;
	}
free:
	sb_msg_free_chain(m, &r->pool);
}

void im_pep_event_in(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_route_in *in = &r->in;
	struct sb_session *s;
	size_t nl, ml;
	const char *msg;
	ssize_t n;

	if (sb_router_parse(m, in) < 0 || in->st.to_len == 0 || (n = im_bytes(sh, m, in)) < 0)
		goto free;
	nl = strnlen(im->buf, (size_t)n);
	if (nl == 0 || nl >= (size_t)n)
		goto free;
	msg = im->buf + nl + 1;
	ml = (size_t)n - nl - 1;
	/* XEP-0191: the recipient's block list. */
	if (im_block_online(sh, in->to, in->st.to_bare_len, in->from, in->st.from_len))
		goto free;
	if (in->st.to_len > in->st.to_bare_len) {
		s = sb_session_find(&r->sessions, in->to, in->st.to_len, in->st.to_bare_len);
	} else {
		struct sb_session_user *u = sb_session_user_find(&r->sessions, in->to,
								 in->st.to_bare_len);

		s = u ? u->res : NULL;
	}
	for (; s != NULL; s = in->st.to_len > in->st.to_bare_len ? NULL : s->next) {
		struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };

		if (!s->available || !im_caps_wants(s, im->buf, nl))
			continue;
		im_put_with_to(&o, msg, ml, s->jid, s->jid_len);
		if (o.over)
			continue;
		im_deliver_bytes(sh, s, SB_STANZA_MESSAGE, SB_STYPE_HEADLINE, in->from,
				 in->st.from_len, in->st.from_bare_len, o.p, o.len);
		SB_IM_INC(im, pep_notified);
	}
free:
	sb_msg_free_chain(m, &r->pool);
}

struct disco_walk {
	struct sb_shard *sh;
	struct imx_out *o;
	const char *owner;
	size_t olen;
	bool own;
	enum sb_sub sub;
	char (*names)[SB_PEP_NODE_MAX + 1];
	unsigned n, cap;
};

static int disco_node(void *arg, const char *node, size_t nlen)
{
	struct disco_walk *w = arg;

	if (w->n < w->cap && nlen <= SB_PEP_NODE_MAX) {
		memcpy(w->names[w->n], node, nlen);
		w->names[w->n++][nlen] = 0;
	}
	return 0;
}

void im_pep_disco_items(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
			const char *requester, size_t rlen)
{
	struct sb_router *r = &sh->router;
	struct disco_walk w = { .sh = sh, .o = o, .owner = owner, .olen = olen };

	w.own = rlen == olen && memcmp(owner, requester, olen) == 0;
	w.cap = r->im.lim.pep_max_nodes;
	w.names = malloc((size_t)w.cap * sizeof(*w.names));
	if (w.names == NULL)
		return;
	/* Names first: the scan's visitor must not read the store again. */
	sb_store_pep_list(r->store, owner, olen, w.cap, disco_node, &w);
	w.sub = w.own ? SB_SUB_BOTH : pep_sub_of(sh, owner, olen, requester, rlen);
	for (unsigned i = 0; i < w.n; i++) {
		size_t nl = strlen(w.names[i]);
		struct sb_pep_node nd;

		if (sb_store_pep_load(r->store, owner, olen, w.names[i], nl, &nd) < 0)
			continue;
		if (pep_access_allowed(nd.access, w.own, w.sub)) {
			imx_puts(o, "<item");
			imx_attr_put(o, "jid", owner, olen);
			imx_attr_put(o, "node", w.names[i], nl);
			imx_puts(o, "/>");
		}
		sb_pep_node_free(&nd);
	}
	free(w.names);
}

/* XEP-0402 §3 compatibility ("#compat"): XEP-0049 private storage of
 * <storage xmlns='storage:bookmarks'/> is the PEP node
 * urn:xmpp:bookmarks:1 seen the old way. */
#define BM_NODE "urn:xmpp:bookmarks:1"
#define BM_TEXT_MAX 1024u
#define S_BM BM_NODE, (sizeof(BM_NODE) - 1)

/* The text of child name of e into out (BM_TEXT_MAX); its length or -1. */
static int bm_child_text(const struct imx_el *e, const char *name, const char *ns, char *out)
{
	struct imx_el c;
	size_t pos = 0;

	while (imx_child(e, &pos, &c))
		if (imx_is(&c, name, ns, ns))
			return imx_text(&c, out, BM_TEXT_MAX);
	return -1;
}

bool im_pep_bookmarks_get(struct sb_shard *sh, const char *owner, size_t olen,
			  struct imx_out *o)
{
	struct sb_pep_node nd;
	char *t;

	if (sb_store_pep_load(sh->router.store, owner, olen, S_BM, &nd) < 0)
		return false;
	t = malloc(BM_TEXT_MAX);
	if (t == NULL) {
		sb_pep_node_free(&nd);
		return false;
	}
	imx_puts(o, "<storage xmlns='storage:bookmarks'>");
	for (uint32_t i = 0; i < nd.n; i++) {
		const struct sb_pep_item *it = &nd.items[i];
		struct imx_el c;
		int n;

		if (imx_open(&c, it->payload, it->len) < 0 ||
		    !imx_is(&c, "conference", BM_NODE, NULL))
			continue;
		imx_puts(o, "<conference");
		imx_attr_put(o, "jid", it->id, it->id_len);
		if ((n = imx_attr_text(&c, "name", t, BM_TEXT_MAX)) >= 0)
			imx_attr_put(o, "name", t, (size_t)n);
		if ((n = imx_attr_text(&c, "autojoin", t, BM_TEXT_MAX)) >= 0)
			imx_attr_put(o, "autojoin", t, (size_t)n);
		imx_puts(o, ">");
		if ((n = bm_child_text(&c, "nick", BM_NODE, t)) >= 0) {
			imx_puts(o, "<nick>");
			imx_esc(o, t, (size_t)n);
			imx_puts(o, "</nick>");
		}
		if ((n = bm_child_text(&c, "password", BM_NODE, t)) >= 0) {
			imx_puts(o, "<password>");
			imx_esc(o, t, (size_t)n);
			imx_puts(o, "</password>");
		}
		imx_puts(o, "</conference>");
	}
	imx_puts(o, "</storage>");
	free(t);
	sb_pep_node_free(&nd);
	SB_IM_INC(&sh->router.im, pep_compat);
	return true;
}

/* One XEP-0048 <conference/> as an XEP-0402 item payload in p. */
static void bm_convert(const struct imx_el *c, struct imx_out *p, char *t)
{
	int n;

	imx_puts(p, "<conference xmlns='" BM_NODE "'");
	if ((n = imx_attr_text(c, "name", t, BM_TEXT_MAX)) >= 0)
		imx_attr_put(p, "name", t, (size_t)n);
	if ((n = imx_attr_text(c, "autojoin", t, BM_TEXT_MAX)) >= 0)
		imx_attr_put(p, "autojoin", t, (size_t)n);
	imx_puts(p, ">");
	if ((n = bm_child_text(c, "nick", "storage:bookmarks", t)) >= 0) {
		imx_puts(p, "<nick>");
		imx_esc(p, t, (size_t)n);
		imx_puts(p, "</nick>");
	}
	if ((n = bm_child_text(c, "password", "storage:bookmarks", t)) >= 0) {
		imx_puts(p, "<password>");
		imx_esc(p, t, (size_t)n);
		imx_puts(p, "</password>");
	}
	imx_puts(p, "</conference>");
}

void im_pep_bookmarks_set(struct sb_shard *sh, const char *owner, size_t olen,
			  const struct imx_el *storage)
{
	struct sb_im *im = &sh->router.im;
	struct sb_pep_node nd;
	struct imx_el c;
	struct imx_out p = { 0 };
	size_t pos = 0;
	char *t = malloc(BM_TEXT_MAX), *jid = malloc(SB_PEP_ID_MAX + 1);
	bool ok = false;
	int rc, jl;

	rc = sb_store_pep_load(sh->router.store, owner, olen, S_BM, &nd);
	if (rc == -ENOENT) {
		/* XEP-0402 §5's options: whitelist, persistent, max. */
		struct pep_opts o = { .has = PEP_OPT_MAX_ITEMS | PEP_OPT_SEND_LAST,
				      .max_items = PEP_MAX_ITEMS_MAX, .send_never = true };

		pep_node_configure(&nd, S_BM, &o, im->lim.pep_max_items, true);
	} else if (rc < 0) {
		goto out;
	}
	pep_node_limit(&nd, im->lim.pep_max_items);
	p.cap = im->lim.pep_item_max_bytes;
	p.p = malloc(p.cap);
	if (t == NULL || jid == NULL || p.p == NULL)
		goto out;
	/* The whole list replaces the node's items. */
	while (nd.n > 0)
		sb_pep_item_del(&nd, nd.items[0].id, nd.items[0].id_len);
	while (imx_child(storage, &pos, &c)) {
		if (!imx_is(&c, "conference", "storage:bookmarks", "storage:bookmarks") ||
		    (jl = imx_attr_text(&c, "jid", jid, SB_PEP_ID_MAX + 1)) <= 0)
			continue;
		p.len = 0;
		p.over = false;
		bm_convert(&c, &p, t);
		if (!p.over && sb_pep_item_put(&nd, jid, (size_t)jl, p.p, p.len) < 0)
			goto out;
	}
	if (sb_store_pep_save(sh->router.store, owner, olen, S_BM, &nd) < 0)
		goto out;
	SB_IM_INC(im, pep_compat);
	/* Each item as an event to the owner's resources (whitelist). */
	for (uint32_t i = 0; i < nd.n; i++) {
		struct imx_out ev = { .p = im->obuf, .cap = im->buf_cap };
		struct imx_out head = { .p = t, .cap = BM_TEXT_MAX };

		imx_puts(&head, "<item");
		imx_attr_put(&head, "id", nd.items[i].id, nd.items[i].id_len);
		imx_puts(&head, ">");
		if (head.over)
			continue;
		event_build(sh, &ev, owner, olen, S_BM, head.p, head.len, nd.items[i].payload,
			    nd.items[i].len, "</item>");
		pep_notify(sh, owner, olen, &nd, &ev);
	}
	ok = true;
out:
	if (!ok)
		SB_IM_INC(im, store_errors);
	free(t);
	free(jid);
	free(p.p);
	sb_pep_node_free(&nd);
}
