/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Blocking (XEP-0191 1.3): the block list of a user (get, block, unblock,
 * unblock all; stored with store_udata.h, pushed to every resource of the
 * user) and its enforcement in both directions for every stanza kind.
 *
 * Where the lists are. A stanza is handled on its recipient's shard, but
 * the sender may live on another one, so each shard keeps in memory the
 * block list of every online user of the deployment that has one (a small
 * table, bare JID -> list): a shard loads its user's list from the store
 * at the user's first bind and sends a copy to every other shard
 * (SB_IM_X_BLOCKSYNC), again at each change, and an empty one when the
 * user's last session goes. The check on the routing path is then two
 * lookups in that table (the sender's list against the recipient, the
 * recipient's against the sender), and none at all while no online user
 * blocks anything. A recipient that is offline has no entry: a message
 * (to be stored) or an iq for its account reads its list from the store.
 * A copy reaches another shard through the inter-shard ring, so a stanza
 * that races a change (or a login) by the ring's latency is judged by the
 * list before it.
 *
 * What a block stops (XEP-0191 §3.3 and §3.5):
 * - from the user to a blocked JID: message and iq get/set are answered
 *   not-acceptable with <blocked xmlns='urn:xmpp:blocking:errors'/>;
 *   presence (directed, subscription, probes, broadcast) is not sent;
 *   iq results and errors are dropped;
 * - from a blocked JID to the user: presence of every type is dropped
 *   without an answer, message and iq get/set get service-unavailable,
 *   iq results and errors, and message errors, are dropped.
 * Blocking a contact that may see the user's presence (subscription from
 * or both) sends it unavailable presence from each available resource;
 * unblocking sends it the current presence and probes it when the user is
 * subscribed to it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/component.h"
#include "block_table.h"
#include "im_priv.h"
#include "jid.h"
#include "router.h"
#include "shard.h"
#include "store/store_udata.h"

#define BLOCKED_APP "<blocked xmlns='" IM_NS_BLOCKING_ERRORS "'/>"

/* The shard's table, made at its first use. */
static struct sb_blk_table *blk_table(struct sb_im *im)
{
	if (im->blk == NULL) {
		im->blk = malloc(sizeof(*im->blk));
		if (im->blk != NULL && sb_blk_table_init(im->blk) < 0) {
			free(im->blk);
			im->blk = NULL;
		}
	}
	return im->blk;
}

/* Make bl (moved in, emptied) the list of bare; an empty one removes it. */
static void blk_set(struct sb_im *im, const char *bare, size_t len, struct sb_blocklist *bl)
{
	struct sb_blk_table *t = blk_table(im);

	if (t == NULL || sb_blk_table_set(t, bare, len, bl) < 0) {
		SB_IM_INC(im, pool_empty);
		sb_blocklist_free(bl);
	}
}

/* A copy of bl for every other shard (an empty list: forget the user). */
static void blk_sync_out(struct sb_shard *sh, const char *bare, size_t len,
			 const struct sb_blocklist *bl)
{
	struct sb_im *im = &sh->router.im;
	uint8_t *rec;
	size_t rl;

	if (im->n_shards < 2 || sb_blocklist_pack(bl, &rec, &rl) < 0)
		return;
	for (unsigned d = 0; d < im->n_shards; d++) {
		struct sb_msg *m;

		if (d == sh->index)
			continue;
		m = im_chain(sh, SB_MSG_STANZA, SB_STANZA_IQ, SB_STYPE_SET, bare, len, len, bare,
			     len, len, rec, rl);
		if (m != NULL)
			im_xsend(sh, d, m, SB_IM_X_BLOCKSYNC);
	}
	free(rec);
}

void im_block_sync_in(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_stanza st;
	char bare[SB_ROUTE_JID_MAX];
	struct sb_blocklist bl;
	uint8_t *rec;

	sb_blocklist_init(&bl);
	if (sb_msg_stanza_read(m, &st) < 0 || st.to_len == 0 || st.to_len >= sizeof(bare) ||
	    (rec = malloc(st.bytes_len ? st.bytes_len : 1)) == NULL) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	sb_msg_read(m, sizeof(st), bare, st.to_len);
	sb_msg_read(m, sb_msg_stanza_bytes_off(&st), rec, st.bytes_len);
	if (sb_blocklist_unpack(&bl, rec, st.bytes_len) == 0) {
		SB_IM_INC(&r->im, block_synced);
		blk_set(&r->im, bare, st.to_len, &bl);
	} else {
		SB_ROUTE_INC(r, malformed);
	}
	free(rec);
	sb_msg_free_chain(m, &r->pool);
}

void sb_im_user_bound(struct sb_shard *sh, const char *bare, size_t len)
{
	struct sb_im *im = &sh->router.im;
	struct sb_blocklist bl;

	if (sh->router.store == NULL || sb_blk_table_find(im->blk, bare, len) != NULL)
		return;
	if (sb_store_block_load(sh->router.store, bare, len, &bl) < 0) {
		SB_IM_INC(im, store_errors);
		return;
	}
	if (bl.n == 0)
		return;
	blk_sync_out(sh, bare, len, &bl);
	blk_set(im, bare, len, &bl);
}

void sb_im_user_gone(struct sb_shard *sh, const char *bare, size_t len)
{
	struct sb_im *im = &sh->router.im;
	struct sb_blocklist empty;

	if (sb_blk_table_find(im->blk, bare, len) == NULL)
		return;
	sb_blocklist_init(&empty);
	blk_sync_out(sh, bare, len, &empty);
	blk_set(im, bare, len, &empty);
}

/* Whether user (a local user of this shard) blocks jid: its entry while
 * online, else its stored list. */
static bool blocks_local(struct sb_shard *sh, const char *user, size_t ulen, const char *jid,
			 size_t jlen)
{
	struct sb_router *r = &sh->router;
	const struct sb_blocklist *e;
	struct sb_blocklist bl;
	bool hit;

	if (sb_session_user_find(&r->sessions, user, ulen) != NULL) {
		e = sb_blk_table_find(r->im.blk, user, ulen);
		return e != NULL && sb_blocklist_match(e, jid, jlen);
	}
	if (r->store == NULL || sb_store_block_load(r->store, user, ulen, &bl) < 0)
		return false;
	hit = sb_blocklist_match(&bl, jid, jlen);
	sb_blocklist_free(&bl);
	return hit;
}

bool im_block_online(struct sb_shard *sh, const char *user, size_t ulen, const char *jid,
		     size_t jlen)
{
	const struct sb_blocklist *e = sb_blk_table_find(sh->router.im.blk, user, ulen);

	return e != NULL && sb_blocklist_match(e, jid, jlen);
}

bool im_block_in_drop(struct sb_shard *sh, const struct sb_route_in *in)
{
	if (in->st.to_bare_len == 0 ||
	    (in->st.to_bare_len == in->st.from_bare_len &&
	     memcmp(in->to, in->from, in->st.from_bare_len) == 0))
		return false;
	if (!blocks_local(sh, in->to, in->st.to_bare_len, in->from, in->st.from_len))
		return false;
	SB_IM_INC(&sh->router.im, blocked_in);
	return true;
}

void im_block_filter_roster(struct sb_shard *sh, const char *bare, size_t len,
			    struct sb_roster *r)
{
	const struct sb_blocklist *e = sb_blk_table_find(sh->router.im.blk, bare, len);

	for (uint32_t i = 0; e != NULL && i < r->n; i++)
		if (sb_blocklist_match(e, r->items[i].jid, r->items[i].jid_len))
			r->items[i].flags |= SB_ROSTER_F_GONE;
}

static bool blk_local_domain(const struct sb_router *r, const struct sb_route_in *in)
{
	const char *at = memchr(in->to, '@', in->st.to_bare_len);

	return at != NULL && (size_t)(in->to + in->st.to_bare_len - at - 1) == r->domain_len &&
	       memcmp(at + 1, r->domain, r->domain_len) == 0;
}

bool sb_im_block_route(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	const struct sb_blocklist *e;
	uint8_t kind = in->st.kind, type = in->st.type;
	bool request = (kind == SB_STANZA_IQ && (type == SB_STYPE_GET || type == SB_STYPE_SET)) ||
		       (kind == SB_STANZA_MESSAGE && type != SB_STYPE_ERROR);
	bool online;

	if (in->st.to_bare_len == in->st.from_bare_len &&
	    memcmp(in->to, in->from, in->st.from_bare_len) == 0)
		return false; /* to one's own account */
	if (memchr(in->to, '@', in->st.to_bare_len) == NULL)
		return false; /* to the domain: the server itself */
	online = sb_session_user_find(&r->sessions, in->to, in->st.to_bare_len) != NULL;
	if (online && (im->blk == NULL || im->blk->n == 0))
		return false; /* nobody online blocks anything: the common case */
	/* §3.3: the user's own list, against the recipient. */
	e = sb_blk_table_find(im->blk, in->from, in->st.from_bare_len);
	if (e != NULL && sb_blocklist_match(e, in->to, in->st.to_len)) {
		SB_IM_INC(im, blocked_out);
		if (request)
			sb_router_error_app(sh, in, "cancel", "not-acceptable", BLOCKED_APP,
					    SB_ROUTE_CTR_err_unavailable);
		goto stop;
	}
	/* §3.5: the recipient's list, against the sender. Offline, only what
	 * would be stored or answered for the account reads it; a recipient
	 * at another domain (a component) has none here. */
	if ((!online && !request) || !blk_local_domain(&sh->router, in))
		return false;
	if (!blocks_local(sh, in->to, in->st.to_bare_len, in->from, in->st.from_len))
		return false;
	SB_IM_INC(im, blocked_in);
	if (request)
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
stop:
	sb_msg_free_chain(m, &r->pool);
	return true;
}

/* The items of a block or unblock element, normalised, into req. NULL or
 * the condition to answer. */
static const char *parse_items(const struct imx_el *el, struct sb_blocklist *req, uint32_t max)
{
	struct imx_el it;
	size_t pos = 0;
	struct sb_jid *j = malloc(sizeof(*j));
	char *s = malloc(SB_JID_FULL_MAX + 1);
	const char *cond = NULL;

	if (j == NULL || s == NULL) {
		cond = "internal-server-error";
		goto out;
	}
	while (cond == NULL && imx_child(el, &pos, &it)) {
		int n;
		size_t l;

		if (!imx_is(&it, "item", IM_NS_BLOCKING, IM_NS_BLOCKING))
			continue;
		n = imx_attr_text(&it, "jid", s, SB_JID_FULL_MAX + 1);
		if (n <= 0 || sb_jid_parse(j, s, (size_t)n) < 0) {
			cond = "jid-malformed";
			break;
		}
		l = sb_jid_format(j, false, s, SB_JID_FULL_MAX + 1);
		if (req->n >= max)
			cond = "resource-constraint";
		else if (sb_blocklist_add(req, s, l) < 0)
			cond = "internal-server-error";
	}
out:
	free(j);
	free(s);
	return cond;
}

/* The push of op (block or unblock) with items to every resource of the
 * user (XEP-0191 §3.3, §3.4). */
static void block_push(struct sb_shard *sh, const char *bare, size_t len, const char *op,
		       const struct sb_blocklist *items)
{
	struct sb_im *im = &sh->router.im;
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, bare, len);
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	char id[32];

	snprintf(id, sizeof(id), "push%" PRIu64, ++im->push_id);
	imx_puts(&o, "<iq type='set'");
	imx_attr_put(&o, "id", id, strlen(id));
	imx_puts(&o, "><");
	imx_puts(&o, op);
	imx_puts(&o, " xmlns='" IM_NS_BLOCKING "'");
	if (items->n == 0) {
		imx_puts(&o, "/></iq>");
	} else {
		imx_puts(&o, ">");
		for (uint32_t i = 0; i < items->n; i++) {
			imx_puts(&o, "<item");
			imx_attr_put(&o, "jid", items->v[i].jid, items->v[i].len);
			imx_puts(&o, "/>");
		}
		imx_puts(&o, "</");
		imx_puts(&o, op);
		imx_puts(&o, "></iq>");
	}
	if (o.over)
		return;
	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
		im_deliver_bytes(sh, s, SB_STANZA_IQ, SB_STYPE_SET, bare, len, len, o.p, o.len);
		SB_IM_INC(im, block_pushes);
	}
}

void im_pres_from(struct sb_shard *sh, const struct sb_session *s, const char *jid,
		      size_t jlen, uint8_t type, const char *body, size_t blen)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	const char *slash = memchr(jid, '/', jlen);
	struct sb_msg *m;

	if (body != NULL) {
		im_put_with_to(&o, body, blen, jid, jlen);
	} else {
		imx_puts(&o, "<presence");
		imx_attr_put(&o, "from", s->jid, s->jid_len);
		imx_attr_put(&o, "to", jid, jlen);
		imx_puts(&o, type == SB_STYPE_PROBE ? " type='probe'/>" : " type='unavailable'/>");
	}
	if (o.over || sb_comp_send(sh, jid, slash ? (size_t)(slash - jid) : jlen, o.p, o.len))
		return;
	m = im_chain(sh, SB_MSG_STANZA, SB_STANZA_PRESENCE, type, jid, jlen,
		     slash ? (size_t)(slash - jid) : jlen, s->jid, s->jid_len, s->bare_len, o.p,
		     o.len);
	if (m != NULL)
		sb_im_send_inbound(sh, m);
}

/* After a block (blocked) or an unblock, what the contacts in items see of
 * the user's presence (XEP-0191 §3.3, §3.4): those with a subscription
 * from (or both) get unavailable, or the current presence; those the user
 * is subscribed to are probed after an unblock. Domains are skipped. */
static void block_presence(struct sb_shard *sh, const char *bare, size_t len,
			   const struct sb_blocklist *items, bool blocked)
{
	struct sb_session_user *u = sb_session_user_find(&sh->router.sessions, bare, len);
	struct sb_roster ro;

	if (u == NULL || sb_store_roster_load(sh->router.store, bare, len, &ro) < 0)
		return;
	for (uint32_t i = 0; i < items->n; i++) {
		const char *jid = items->v[i].jid;
		size_t jl = items->v[i].len;
		const char *slash = memchr(jid, '/', jl);
		const struct sb_roster_item *it;
		bool from, to;

		if (memchr(jid, '@', slash ? (size_t)(slash - jid) : jl) == NULL)
			continue;
		it = sb_roster_find(&ro, jid, slash ? (size_t)(slash - jid) : jl);
		if (it == NULL || (it->flags & SB_ROSTER_F_GONE))
			continue;
		from = it->sub == SB_SUB_FROM || it->sub == SB_SUB_BOTH;
		to = it->sub == SB_SUB_TO || it->sub == SB_SUB_BOTH;
		for (struct sb_session *s = u->res; s != NULL; s = s->next) {
			const char *b;
			size_t n;

			if (!s->available)
				continue;
			if (from && blocked) {
				im_pres_from(sh, s, jid, jl, SB_STYPE_UNAVAILABLE, NULL, 0);
			} else if (from && s->pres != NULL) {
				b = im_pres_out(sh, s, &n); /* XEP-0398 §4 */
				im_pres_from(sh, s, jid, jl, SB_STYPE_NONE, b, n);
			}
		}
		if (to && !blocked) {
			for (struct sb_session *s = u->res; s != NULL; s = s->next) {
				if (s->available) {
					im_pres_from(sh, s, jid, jl, SB_STYPE_PROBE, NULL, 0);
					break;
				}
			}
		}
	}
	sb_roster_free(&ro);
}

static void block_get(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct sb_blocklist bl;

	if (sb_store_block_load(sh->router.store, in->from, in->st.from_bare_len, &bl) < 0) {
		SB_IM_INC(im, store_errors);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
		return;
	}
	im_result_open(&o, in);
	imx_puts(&o, "><blocklist xmlns='" IM_NS_BLOCKING "'>");
	for (uint32_t i = 0; i < bl.n; i++) {
		imx_puts(&o, "<item");
		imx_attr_put(&o, "jid", bl.v[i].jid, bl.v[i].len);
		imx_puts(&o, "/>");
	}
	imx_puts(&o, "</blocklist></iq>");
	sb_blocklist_free(&bl);
	SB_IM_INC(im, block_gets);
	if (o.over)
		sb_router_error(sh, in, "wait", "resource-constraint",
				SB_ROUTE_CTR_err_unavailable);
	else
		im_reply(sh, m, in, o.p, o.len);
}

static void block_set(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		      const struct imx_el *el, bool block)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	const char *bare = in->from;
	size_t len = in->st.from_bare_len;
	struct sb_blocklist req, bl, changed;
	const char *cond;

	sb_blocklist_init(&req);
	sb_blocklist_init(&changed);
	cond = parse_items(el, &req, im->lim.block_max_items);
	if (cond == NULL && block && req.n == 0)
		cond = "bad-request"; /* §3.3: at least one item */
	if (cond != NULL) {
		if (strcmp(cond, "resource-constraint") == 0)
			SB_IM_INC(im, block_full);
		else
			SB_IM_INC(im, block_bad);
		sb_router_error(sh, in, strcmp(cond, "resource-constraint") == 0 ? "wait" : "modify",
				cond, SB_ROUTE_CTR_err_unavailable);
		sb_blocklist_free(&req);
		return;
	}
	if (sb_store_block_load(sh->router.store, bare, len, &bl) < 0) {
		SB_IM_INC(im, store_errors);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
		sb_blocklist_free(&req);
		return;
	}
	if (!block && req.n == 0) {
		changed = bl; /* §3.5: unblock all */
		sb_blocklist_init(&bl);
	}
	for (uint32_t i = 0; i < req.n && cond == NULL; i++) {
		const char *j = req.v[i].jid;
		size_t l = req.v[i].len;
		int rc = block ? sb_blocklist_add(&bl, j, l) : sb_blocklist_del(&bl, j, l);

		if (rc < 0)
			cond = "internal-server-error";
		else if (rc == 1 && sb_blocklist_add(&changed, j, l) < 0)
			cond = "internal-server-error";
	}
	if (cond == NULL && block && bl.n > im->lim.block_max_items) {
		SB_IM_INC(im, block_full);
		cond = "resource-constraint";
	}
	if (cond == NULL && changed.n > 0 && sb_store_block_save(sh->router.store, bare, len, &bl) < 0) {
		SB_IM_INC(im, store_errors);
		cond = "internal-server-error";
	}
	if (cond != NULL) {
		sb_router_error(sh, in, strcmp(cond, "resource-constraint") == 0 ? "wait" : "cancel",
				cond, SB_ROUTE_CTR_err_unavailable);
		goto out;
	}
	SB_IM_INC(im, block_sets);
	im_result_open(&o, in);
	imx_puts(&o, "/>");
	if (!o.over)
		im_reply(sh, m, in, o.p, o.len);
	if (changed.n == 0)
		goto out;
	blk_sync_out(sh, bare, len, &bl);
	blk_set(im, bare, len, &bl);
	/* The push names what the request named (all: none). */
	block_push(sh, bare, len, block ? "block" : "unblock", &req);
	block_presence(sh, bare, len, &changed, block);
out:
	sb_blocklist_free(&req);
	sb_blocklist_free(&bl);
	sb_blocklist_free(&changed);
}

bool im_block_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		 const struct imx_el *child)
{
	bool get = in->st.type == SB_STYPE_GET;

	if (get && imx_is(child, "blocklist", IM_NS_BLOCKING, NULL))
		block_get(sh, m, in);
	else if (!get && imx_is(child, "block", IM_NS_BLOCKING, NULL))
		block_set(sh, m, in, child, true);
	else if (!get && imx_is(child, "unblock", IM_NS_BLOCKING, NULL))
		block_set(sh, m, in, child, false);
	else
		return false;
	return true;
}
