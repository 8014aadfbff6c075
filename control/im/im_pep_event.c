/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PEP events (XEP-0163 §4.3): the event message of a publish or retract,
 * its way to the owner's and its contacts' shards (SB_IM_X_PEPEV) and to
 * the resources there that want it (+notify, im_caps.c); the last items a
 * resource asks its owners for when it becomes available
 * (SB_IM_X_PEPLAST); the nodes an account lists in disco#items.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "im_pep_priv.h"
#include "im_priv.h"
#include "pep_node.h"
#include "router.h"
#include "session.h"
#include "shard.h"
#include "store/store_pep.h"

void im_pep_reader_load(struct sb_shard *sh, const char *owner, size_t olen, const char *req,
			size_t rlen, struct pep_reader *r)
{
	r->own = rlen == olen && memcmp(owner, req, olen) == 0;
	r->it = NULL;
	sb_roster_init(&r->ro);
	if (r->own || im_block_online(sh, owner, olen, req, rlen))
		return;
	if (sb_store_roster_load(sh->router.store, owner, olen, &r->ro) == 0)
		r->it = sb_roster_find(&r->ro, req, rlen);
	else
		SB_IM_INC(&sh->router.im, store_errors);
}

void im_pep_reader_free(struct pep_reader *r)
{
	sb_roster_free(&r->ro);
	r->it = NULL;
}

/* node NUL, then <message from=owner type=headline id><event xmlns=…#event>:
 * what every event starts with (the recipient's to is added per recipient). */
static void event_open(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
		       const char *node, size_t nlen)
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
	imx_puts(o, "><event xmlns='" PEP_NS_EVENT "'>");
}

/* The event message: node NUL, then <message from=owner type=headline>
 * with <event><items node>inner</items></event>, no to (added per
 * recipient). Built in o. */
void im_pep_event_build(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
			const char *node, size_t nlen, const char *inner, size_t ilen,
			const void *payload, size_t plen, const char *inner_end)
{
	event_open(sh, o, owner, olen, node, nlen);
	imx_puts(o, "<items");
	imx_attr_put(o, "node", node, nlen);
	imx_puts(o, ">");
	imx_put(o, inner, ilen);
	imx_put(o, payload, plen);
	imx_puts(o, inner_end);
	imx_puts(o, "</items></event></message>");
}

void im_pep_event_node(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
		       const char *node, size_t nlen, const char *what)
{
	event_open(sh, o, owner, olen, node, nlen);
	imx_puts(o, "<");
	imx_puts(o, what);
	imx_attr_put(o, "node", node, nlen);
	imx_puts(o, "/></event></message>");
}

void im_pep_event_send(struct sb_shard *sh, const char *to, size_t tlen, size_t tbare,
		       const char *owner, size_t olen, const struct imx_out *o)
{
	struct sb_msg *m = im_chain(sh, SB_MSG_STANZA, SB_STANZA_MESSAGE, SB_STYPE_HEADLINE, to,
				    tlen, tbare, owner, olen, olen, o->p, o->len);

	if (m != NULL)
		im_xsend(sh, im_bare_shard(sh, to, tbare), m, SB_IM_X_PEPEV);
}

/* The event in o to the owner's resources and to the contacts the node's
 * access model lets read it. */
void im_pep_notify(struct sb_shard *sh, const char *owner, size_t olen,
		   const struct sb_pep_node *nd, const struct imx_out *o)
{
	struct sb_roster ro;

	if (o->over)
		return;
	im_pep_event_send(sh, owner, olen, olen, owner, olen, o);
	if (nd->access == SB_PEP_ACCESS_WHITELIST)
		return;
	sb_roster_init(&ro);
	if (sb_store_roster_load(sh->router.store, owner, olen, &ro) < 0) {
		SB_IM_INC(&sh->router.im, store_errors);
		return;
	}
	for (uint32_t i = 0; i < ro.n; i++) {
		const struct sb_roster_item *it = &ro.items[i];

		/* roster: the groups say who may read, presence who is a
		 * subscriber (XEP-0163 implicit subscription). */
		if (!pep_may_read(nd, false, it) ||
		    (nd->access == SB_PEP_ACCESS_ROSTER && it->sub != SB_SUB_FROM &&
		     it->sub != SB_SUB_BOTH) ||
		    im_block_online(sh, owner, olen, it->jid, it->jid_len))
			continue;
		im_pep_event_send(sh, it->jid, it->jid_len, it->jid_len, owner, olen, o);
		SB_IM_INC(&sh->router.im, pep_events_out);
	}
	sb_roster_free(&ro);
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
	struct pep_reader rd;
	size_t olen;
	ssize_t n;

	if (sb_router_parse(m, in) < 0 || in->st.to_len == 0 ||
	    in->st.to_len != in->st.to_bare_len || (n = im_bytes(sh, m, in)) < 0)
		goto free;
	olen = in->st.to_bare_len;
	im_pep_reader_load(sh, owner, olen, in->from, in->st.from_bare_len, &rd);
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
			    pep_may_read(&nd, rd.own, rd.it)) {
				struct imx_out ev = { .p = im->obuf, .cap = im->buf_cap };
				struct imx_out head = { .p = malloc(PEP_HEAD_MAX),
							.cap = PEP_HEAD_MAX };

				if (head.p != NULL) {
					imx_puts(&head, "<item");
					imx_attr_put(&head, "id", it->id, it->id_len);
					imx_puts(&head, ">");
					im_pep_event_build(sh, &ev, owner, olen, p, nl, head.p, head.len,
							   it->payload, it->len, "</item>");
					if (!ev.over && !head.over) {
						im_pep_event_send(sh, in->from, in->st.from_len,
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
	im_pep_reader_free(&rd);
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
	struct pep_reader rd;

	w.cap = r->im.lim.pep_max_nodes;
	w.names = malloc((size_t)w.cap * sizeof(*w.names));
	if (w.names == NULL)
		return;
	/* Names first: the scan's visitor must not read the store again. */
	sb_store_pep_list(r->store, owner, olen, w.cap, disco_node, &w);
	im_pep_reader_load(sh, owner, olen, requester, rlen, &rd);
	for (unsigned i = 0; i < w.n; i++) {
		size_t nl = strlen(w.names[i]);
		struct sb_pep_node nd;

		if (sb_store_pep_load(r->store, owner, olen, w.names[i], nl, &nd) < 0)
			continue;
		if (pep_may_read(&nd, rd.own, rd.it)) {
			imx_puts(o, "<item");
			imx_attr_put(o, "jid", owner, olen);
			imx_attr_put(o, "node", w.names[i], nl);
			imx_puts(o, "/>");
		}
		sb_pep_node_free(&nd);
	}
	im_pep_reader_free(&rd);
	free(w.names);
}
