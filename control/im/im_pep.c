/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Personal eventing (XEP-0163 1.2): every account is a pubsub service
 * (XEP-0060) on its bare JID. The owner publishes (nodes are created on
 * the first publish, with publish-options, or by create), retracts,
 * deletes and configures; anyone the node's access model lets read gets
 * its items. XEP-0402 §3: private storage:bookmarks is the bookmarks node.
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

#include "im_pep_priv.h"
#include "im_priv.h"
#include "pep_node.h"
#include "router.h"
#include "session.h"
#include "shard.h"
#include "store/store_pep.h"
#include "store/store_udata.h"
#define ERR(c, t, a) ((struct pep_err){ .cond = (c), .type = (t), .app = (a) })
#define APP(x) "<" x " xmlns='" PEP_NS_ERRORS "'/>"

struct pep_err {
	const char *cond;
	const char *type;
	const char *app; /* raw pubsub#errors element, or NULL */
};

static const struct pep_err PEP_OK = { 0 };

/* What pep_node_configure's refusal answers. */
static struct pep_err configure_err(struct sb_im *im, const char *cond)
{
	if (strcmp(cond, "policy-violation") != 0)
		return ERR("internal-server-error", "wait", NULL);
	SB_IM_INC(im, pep_limited);
	return ERR("policy-violation", "modify", APP("max-items-exceeded"));
}

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

/* Store the item in owner's node (created with opt when absent; an
 * existing one must satisfy opt when check) and send its events. head:
 * PEP_HEAD_MAX bytes of scratch. The events use the shard's output buffer. */
static struct pep_err publish_core(struct sb_shard *sh, const char *owner, size_t olen,
				   const char *node, size_t nlen, const struct pep_opts *opt,
				   bool check, const char *id, size_t idl, const void *payload,
				   size_t plen, char *scratch)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_pep_node nd;
	const char *cfg;
	bool fresh;
	int rc;

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
	if (!fresh && check && !pep_opts_match(&nd, opt)) {
		SB_IM_INC(im, pep_precondition);
		sb_pep_node_free(&nd);
		return ERR("conflict", "cancel", APP("precondition-not-met"));
	}
	if (fresh && (cfg = pep_node_configure(&nd, node, nlen, opt, im->lim.pep_max_items,
					       true)) != NULL) {
		sb_pep_node_free(&nd);
		return configure_err(im, cfg);
	}
	rc = sb_pep_item_put(&nd, id, idl, payload, plen);
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
		struct imx_out head = { .p = scratch, .cap = PEP_HEAD_MAX };

		imx_puts(&head, "<item");
		imx_attr_put(&head, "id", id, idl);
		imx_puts(&head, ">");
		if (!head.over) {
			im_pep_event_build(sh, &ev, owner, olen, node, nlen, head.p, head.len,
					   payload, plen, "</item>");
			im_pep_notify(sh, owner, olen, &nd, &ev);
		}
	}
	sb_pep_node_free(&nd);
	return PEP_OK;
}

int im_pep_publish_own(struct sb_shard *sh, const char *owner, size_t olen, const char *node,
		       size_t nlen, const char *id, size_t idl, const void *payload, size_t plen)
{
	struct sb_im *im = &sh->router.im;
	struct pep_opts opt = { .has = PEP_OPT_ACCESS, .access = SB_PEP_ACCESS_OPEN };
	struct pep_err err;
	char *scratch;

	if (olen + 1 + nlen > SB_STORE_KEY_MAX || idl == 0 || idl > SB_PEP_ID_MAX)
		return -EINVAL;
	if (plen > im->lim.pep_item_max_bytes) {
		SB_IM_INC(im, pep_limited);
		return -EFBIG;
	}
	scratch = malloc(PEP_HEAD_MAX);
	if (scratch == NULL)
		return -ENOMEM;
	err = publish_core(sh, owner, olen, node, nlen, &opt, false, id, idl, payload, plen,
			   scratch);
	free(scratch);
	if (err.cond == NULL)
		return 0;
	return strcmp(err.cond, "resource-constraint") == 0 ? -ENOSPC : -EIO;
}

static struct pep_err pep_publish(struct sb_shard *sh, const struct sb_route_in *in,
				  const struct imx_el *ps, const struct imx_el *pub,
				  struct imx_out *o, char *node, char *id)
{
	struct sb_im *im = &sh->router.im;
	const char *owner = in->from;
	size_t olen = in->st.from_bare_len, nlen = node_attr(pub, node), idl, a = 0, b = 0;
	struct pep_opts opt;
	struct pep_err err;
	struct imx_el item, extra;
	size_t pos = 0;
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
	err = publish_core(sh, owner, olen, node, nlen, &opt, true, id, idl, item.p + a, b - a,
			   id + SB_PEP_ID_MAX + 1);
	if (err.cond != NULL)
		return err;
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
	const char *cfg;
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
	if ((cfg = pep_node_configure(&nd, node, nlen, &opt, im->lim.pep_max_items, true))) {
		sb_pep_node_free(&nd);
		return configure_err(im, cfg);
	}
	rc = sb_store_pep_save(r->store, owner, olen, node, nlen, &nd);
	sb_pep_node_free(&nd); /* its roster groups */
	if (rc < 0) {
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
			im_pep_event_build(sh, &ev, owner, olen, node, nlen, head.p, head.len, NULL, 0, "");
			im_pep_notify(sh, owner, olen, &nd, &ev);
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
	struct pep_reader rd;
	struct imx_el e;
	char mx[16];
	uint32_t max = UINT32_MAX, first = 0;
	struct pep_err err;
	bool ids = false, ok;

	if (nlen == 0)
		return ERR("bad-request", "modify", APP("nodeid-required"));
	err = node_load(sh, owner, olen, node, nlen, &nd);
	if (err.cond != NULL)
		return err;
	im_pep_reader_load(sh, owner, olen, in->from, in->st.from_bare_len, &rd);
	ok = pep_may_read(&nd, own || rd.own, rd.it);
	im_pep_reader_free(&rd);
	if (!ok) {
		uint8_t access = nd.access;

		sb_pep_node_free(&nd);
		SB_IM_INC(im, pep_denied);
		/* XEP-0060 §6.5.9.x: the condition names the model that refused. */
		if (access == SB_PEP_ACCESS_PRESENCE)
			return ERR("not-authorized", "auth", APP("presence-subscription-required"));
		if (access == SB_PEP_ACCESS_ROSTER)
			return ERR("not-authorized", "auth", APP("not-in-roster-group"));
		return ERR("not-allowed", "cancel", APP("closed-node"));
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
		    "</option><option><value>whitelist</value></option><option><value>roster"
		    "</value></option></field><field var='" PEP_FIELD_GROUPS "' type='list-multi'>");
	for (unsigned i = 0; i < nd->n_groups; i++) {
		imx_puts(o, "<value>");
		imx_esc(o, nd->groups[i], nd->group_len[i]);
		imx_puts(o, "</value>");
	}
	imx_puts(o, "</field><field var='pubsub#max_items' type='text-single'><value>");
	imx_puts(o, n);
	imx_puts(o, "</value></field><field var='pubsub#persist_items' type='boolean'><value>");
	imx_puts(o, nd->flags & SB_PEP_F_NO_PERSIST ? "0" : "1");
	imx_puts(o, "</value></field><field var='pubsub#send_last_published_item' "
		    "type='list-single'><value>");
	imx_puts(o, nd->flags & SB_PEP_F_SEND_NEVER ? "never" : "on_sub_and_presence");
	imx_puts(o, "</value></field></x>");
}

/* A node's deletion or purge told to the owner's resources and to whoever
 * may read it, with the node's +notify (those that got its items), before
 * the answer (both use the shard's output buffer). */
static void node_gone_notify(struct sb_shard *sh, const char *owner, size_t olen,
			     const char *node, size_t nlen, const struct sb_pep_node *nd,
			     const char *what)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out ev = { .p = im->obuf, .cap = im->buf_cap };

	im_pep_event_node(sh, &ev, owner, olen, node, nlen, what);
	im_pep_notify(sh, owner, olen, nd, &ev);
}

/* pubsub#owner: delete or purge a node (with their events, XEP-0060
 * §8.4.2, §8.5.2), get or submit its configuration. */
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
	if (!((imx_is(&op, "delete", PEP_NS_OWNER, PEP_NS_OWNER) ||
	       imx_is(&op, "purge", PEP_NS_OWNER, PEP_NS_OWNER)) && !get) &&
	    !imx_is(&op, "configure", PEP_NS_OWNER, PEP_NS_OWNER))
		return ERR("feature-not-implemented", "cancel", NULL);
	err = node_load(sh, owner, olen, node, nlen, &nd);
	if (err.cond != NULL)
		return err;
	if (imx_is(&op, "delete", PEP_NS_OWNER, PEP_NS_OWNER)) {
		rc = sb_store_pep_save(r->store, owner, olen, node, nlen, NULL);
		if (rc == 0)
			node_gone_notify(sh, owner, olen, node, nlen, &nd, "delete");
		im_result_open(o, in);
		imx_puts(o, "/>");
	} else if (imx_is(&op, "purge", PEP_NS_OWNER, PEP_NS_OWNER)) {
		sb_pep_node_purge(&nd);
		rc = sb_store_pep_save(r->store, owner, olen, node, nlen, &nd);
		if (rc == 0)
			node_gone_notify(sh, owner, olen, node, nlen, &nd, "purge");
		im_result_open(o, in);
		imx_puts(o, "/>");
	} else if (get) {
		im_result_open(o, in);
		imx_puts(o, "><pubsub xmlns='" PEP_NS_OWNER "'><configure");
		imx_attr_put(o, "node", node, nlen);
		imx_puts(o, ">");
		config_form(o, &nd);
		imx_puts(o, "</configure></pubsub></iq>");
	} else {
		im_result_open(o, in);
		if (!imx_child(&op, &xp, &x) || pep_form_parse(&x, &opt) != PEP_FORM_OK) {
			sb_pep_node_free(&nd);
			return ERR("not-acceptable", "modify", NULL);
		}
		const char *cfg = pep_node_configure(&nd, node, nlen, &opt, im->lim.pep_max_items,
						     false);

		if (cfg != NULL) {
			sb_pep_node_free(&nd);
			return configure_err(im, cfg);
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
