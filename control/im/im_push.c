/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Push notifications (XEP-0357 0.4, `urn:xmpp:push:0`): a client registers
 * an app server (a JID and a node, with an optional publish-options form)
 * and, when a message reaches its account while it cannot take it (no
 * available resource: the message goes to offline storage; or its only
 * sessions are hibernated by stream management), the server publishes a
 * notification to that node on the user's behalf (§5, from the user's
 * bare JID), which the app server turns into a wake-up for the phone.
 *
 * Registrations, one record per user (SB_STORE_PUSH, push_rec.h): the
 * app server's JID, the node and the <x xmlns='jabber:x:data'/> the
 * client sent with its enable (its publish-options, §5). At most
 * im.push_max_devices registrations per user; an enable with the same
 * (jid, node) replaces the old one.
 *
 * What a notification carries (the urn:xmpp:push:summary form, §5):
 * message-count (the stanzas waiting: stored offline messages, or the
 * hibernated session's queue) and last-message-sender; the body
 * (last-message-body) only when im.push_body is true: the default keeps
 * message text away from third-party app servers (Apple, Google).
 *
 * Where notifications go. There is no server-to-server link yet, so an
 * app server is an external component (XEP-0114, control/component): an
 * enable naming a JID elsewhere gets remote-server-not-found. A
 * notification the component's queue cannot take is dropped and counted
 * (push_dropped): a push is a wake-up, not the message, which is stored
 * and delivered at the next login whatever happens to its push.
 * The app server's result or error comes back to the user's bare JID and
 * is consumed by the iq dispatcher (answers to the server); an error is
 * counted (push_errors).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/component.h"
#include "im_priv.h"
#include "push_rec.h"
#include "router.h"
#include "session.h"
#include "shard.h"
#include "store/store_udata.h"

#define PUSH_NODE_MAX 1023u   /* a pubsub node name: no RFC limit; ours */
#define PUSH_FORM_MAX 2048u   /* the publish-options form kept per device */
#define PUSH_BODY_MAX 512u    /* body bytes in a notification, when allowed */

static bool same(const uint8_t *a, size_t al, const char *b, size_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

/* Load bare's registrations into v (pointing into *rec, which the caller
 * frees); their count, 0 with none, or a negative errno. */
static int push_load(struct sb_shard *sh, const char *bare, size_t blen, struct sb_push_reg *v,
		     uint8_t **rec)
{
	struct sb_im *im = &sh->router.im;
	size_t rl;
	int rc;

	*rec = NULL;
	if (sh->router.store == NULL)
		return 0;
	rc = sb_store_udata_get(sh->router.store, SB_STORE_PUSH, bare, blen, NULL, 0, rec, &rl);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	rc = sb_push_unpack(*rec, rl, v, im->lim.push_max_devices);
	if (rc < 0)
		SB_IM_INC(im, push_bad_record);
	return rc;
}

static int push_save(struct sb_shard *sh, const char *bare, size_t blen, const struct sb_push_reg *v,
		     unsigned n)
{
	uint8_t *rec = NULL;
	size_t rl = 0;
	int rc;

	if (n > 0 && sb_push_pack(v, n, &rec, &rl) < 0)
		return -ENOMEM; /* sizes are bounded by the enable's checks */
	rc = sb_store_udata_put(sh->router.store, SB_STORE_PUSH, bare, blen, NULL, 0, rec, rl);
	free(rec);
	return rc;
}

/* <enable jid node>[<x/>]</enable> (§5): a stanza error condition, or NULL. */
static const char *push_enable(struct sb_shard *sh, const struct sb_route_in *in,
			       const struct imx_el *en, char *jid, char *node)
{
	struct sb_im *im = &sh->router.im;
	struct sb_push_reg v[SB_IM_PUSH_DEVICES_MAX + 1];
	struct imx_el x;
	const uint8_t *form = NULL;
	size_t form_len = 0, pos = 0;
	uint8_t *rec;
	int jl = imx_attr_text(en, "jid", jid, SB_MSG_JID_MAX + 1);
	int nl = imx_attr_text(en, "node", node, PUSH_NODE_MAX + 1);
	int n, i;

	if (jl <= 0 || nl <= 0)
		return "bad-request"; /* both are REQUIRED (§5) */
	/* The app server's JID: bare or a domain, at a component's domain. */
	{
		const char *slash = memchr(jid, '/', (size_t)jl);
		size_t bl = slash ? (size_t)(slash - jid) : (size_t)jl;

		if (!sb_comp_is(sh, jid, bl))
			return "remote-server-not-found";
	}
	while (imx_child(en, &pos, &x))
		if (imx_is(&x, "x", "jabber:x:data", NULL)) {
			form = x.p;
			form_len = x.len;
		}
	if (form_len > PUSH_FORM_MAX)
		return "not-acceptable";
	n = push_load(sh, in->from, in->st.from_bare_len, v, &rec);
	if (n < 0) {
		free(rec);
		SB_IM_INC(im, store_errors);
		return "internal-server-error";
	}
	for (i = 0; i < n; i++)
		if (same(v[i].jid, v[i].jid_len, jid, (size_t)jl) &&
		    same(v[i].node, v[i].node_len, node, (size_t)nl))
			break;
	if (i == n) {
		if ((unsigned)n >= im->lim.push_max_devices) {
			free(rec);
			return "resource-constraint";
		}
		n++;
	}
	v[i] = (struct sb_push_reg){ (const uint8_t *)jid, (size_t)jl, (const uint8_t *)node,
				  (size_t)nl, form, form_len };
	if (push_save(sh, in->from, in->st.from_bare_len, v, (unsigned)n) < 0) {
		free(rec);
		SB_IM_INC(im, store_errors);
		return "internal-server-error";
	}
	free(rec);
	SB_IM_INC(im, push_enabled);
	return NULL;
}

/* <disable jid [node]/> (§6): every registration with that JID (and
 * node, when given) goes; none is no error. */
static const char *push_disable(struct sb_shard *sh, const struct sb_route_in *in,
				const struct imx_el *dis, char *jid, char *node)
{
	struct sb_im *im = &sh->router.im;
	struct sb_push_reg v[SB_IM_PUSH_DEVICES_MAX];
	uint8_t *rec;
	int jl = imx_attr_text(dis, "jid", jid, SB_MSG_JID_MAX + 1);
	int nl = imx_attr_text(dis, "node", node, PUSH_NODE_MAX + 1);
	int n, k = 0;

	if (jl <= 0)
		return "bad-request";
	n = push_load(sh, in->from, in->st.from_bare_len, v, &rec);
	if (n < 0) {
		free(rec);
		SB_IM_INC(im, store_errors);
		return "internal-server-error";
	}
	for (int i = 0; i < n; i++) {
		if (same(v[i].jid, v[i].jid_len, jid, (size_t)jl) &&
		    (nl <= 0 || same(v[i].node, v[i].node_len, node, (size_t)nl))) {
			SB_IM_INC(im, push_disabled);
			continue;
		}
		v[k++] = v[i];
	}
	if (k != n && push_save(sh, in->from, in->st.from_bare_len, v, (unsigned)k) < 0) {
		free(rec);
		SB_IM_INC(im, store_errors);
		return "internal-server-error";
	}
	free(rec);
	return NULL;
}

bool im_push_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		const struct imx_el *child, bool own)
{
	struct sb_im *im = &sh->router.im;
	bool en = imx_is(child, "enable", SB_IM_NS_PUSH, NULL);
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	const char *cond;
	char *jid, *node;

	if (!en && !imx_is(child, "disable", SB_IM_NS_PUSH, NULL))
		return false;
	jid = malloc(SB_MSG_JID_MAX + 1);
	node = malloc(PUSH_NODE_MAX + 1);
	if (!own || in->st.type != SB_STYPE_SET)
		cond = own ? "bad-request" : "forbidden";
	else if (!im->lim.push)
		cond = "service-unavailable";
	else if (jid == NULL || node == NULL)
		cond = "internal-server-error";
	else
		cond = en ? push_enable(sh, in, child, jid, node)
			  : push_disable(sh, in, child, jid, node);
	free(jid);
	free(node);
	if (cond != NULL) {
		SB_IM_INC(im, push_refused);
		sb_router_error(sh, in,
				strcmp(cond, "bad-request") == 0 || strcmp(cond, "not-acceptable") == 0
					? "modify"
				: strcmp(cond, "resource-constraint") == 0 ||
						strcmp(cond, "internal-server-error") == 0
					? "wait"
					: "cancel",
				cond, SB_ROUTE_CTR_err_unavailable);
		return true;
	}
	im_result_open(&o, in);
	imx_puts(&o, "/>");
	if (!o.over)
		im_reply(sh, m, in, o.p, o.len);
	return true;
}

/* The body's character data, raw (still escaped, as the client sent it),
 * cut at PUSH_BODY_MAX on a character boundary outside a reference. */
static bool push_body(const char *b, size_t n, const char **body, size_t *len)
{
	struct imx_el msg, e;
	size_t pos = 0, cs, ce, l;

	if (imx_open(&msg, (const uint8_t *)b, n) < 0)
		return false;
	while (imx_child(&msg, &pos, &e)) {
		if (!imx_is(&e, "body", IM_NS_CLIENT, IM_NS_CLIENT))
			continue;
		imx_content(&e, &cs, &ce);
		l = sb_push_body_cut((const char *)e.p + cs, ce - cs, PUSH_BODY_MAX);
		*body = (const char *)e.p + cs;
		*len = l;
		return memchr(*body, '<', l) == NULL; /* character data only */
	}
	return false;
}

/* Whether a message is worth waking a phone for: it has a body or an
 * end-to-end encrypted payload (OMEMO, OpenPGP), not only a chat state,
 * a receipt or a marker (as Prosody's mod_cloud_notify judges). */
static bool push_worthy(const char *b, size_t n)
{
	struct imx_el msg, e;
	size_t pos = 0;

	if (imx_open(&msg, (const uint8_t *)b, n) < 0)
		return false;
	while (imx_child(&msg, &pos, &e))
		if (imx_is(&e, "body", IM_NS_CLIENT, IM_NS_CLIENT) ||
		    (e.name_len == 9 && memcmp(e.p + 1, "encrypted", 9) == 0) ||
		    (e.name_len == 1 && e.p[1] == 'x' && imx_is(&e, "x", "jabber:x:encrypted", NULL)))
			return true;
	return false;
}

void im_push_notify(struct sb_shard *sh, const char *bare, size_t blen, const char *from,
		    size_t from_len, const char *bytes, size_t n, uint32_t count)
{
	struct sb_im *im = &sh->router.im;
	struct sb_push_reg v[SB_IM_PUSH_DEVICES_MAX];
	const char *body = NULL;
	size_t body_len = 0;
	uint8_t *rec;
	char num[24];
	int k;

	if (!im->lim.push || !push_worthy(bytes, n))
		return;
	k = push_load(sh, bare, blen, v, &rec);
	if (k <= 0) {
		free(rec);
		return;
	}
	if (im->lim.push_body && !push_body(bytes, n, &body, &body_len))
		body = NULL;
	for (int i = 0; i < k; i++) {
		struct imx_out o = { .p = im->pbuf, .cap = im->pbuf_cap };
		const char *slash = memchr(v[i].jid, '/', v[i].jid_len);
		size_t jbl = slash ? (size_t)(slash - (const char *)v[i].jid) : v[i].jid_len;

		imx_puts(&o, "<iq type='set' id='sbpush-");
		snprintf(num, sizeof(num), "%" PRIu64, ++im->push_id);
		imx_puts(&o, num);
		imx_puts(&o, "'");
		imx_attr_put(&o, "from", bare, blen);
		imx_attr_put(&o, "to", v[i].jid, v[i].jid_len);
		imx_puts(&o, "><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish");
		imx_attr_put(&o, "node", v[i].node, v[i].node_len);
		imx_puts(&o, "><item><notification xmlns='" SB_IM_NS_PUSH "'>"
			     "<x xmlns='jabber:x:data' type='submit'>"
			     "<field var='FORM_TYPE'><value>urn:xmpp:push:summary</value></field>"
			     "<field var='message-count'><value>");
		snprintf(num, sizeof(num), "%" PRIu32, count);
		imx_puts(&o, num);
		imx_puts(&o, "</value></field><field var='last-message-sender'><value>");
		imx_esc(&o, from, from_len);
		imx_puts(&o, "</value></field>");
		if (body != NULL) {
			imx_puts(&o, "<field var='last-message-body'><value>");
			imx_put(&o, body, body_len); /* already escaped */
			imx_puts(&o, "</value></field>");
		}
		imx_puts(&o, "</x></notification></item></publish>");
		if (v[i].form_len > 0) {
			imx_puts(&o, "<publish-options>");
			imx_put(&o, v[i].form, v[i].form_len);
			imx_puts(&o, "</publish-options>");
		}
		imx_puts(&o, "</pubsub></iq>");
		if (o.over) {
			SB_IM_INC(im, push_dropped);
			continue;
		}
		/* The component path counts its own drops (comp_queue_full,
		 * not connected); true means the JID is a component's. */
		if (sb_comp_send(sh, (const char *)v[i].jid, jbl, o.p, o.len))
			SB_IM_INC(im, push_sent);
		else
			SB_IM_INC(im, push_dropped);
	}
	free(rec);
}

/* A message chain's bytes behind the notification's room in the push
 * buffer (im->buf may be in use by the caller), if m is a message that
 * would wake a phone; its header in *st. */
static bool push_chain_worthy(struct sb_im *im, const struct sb_msg *m, struct sb_msg_stanza *st)
{
	if (sb_msg_stanza_read(m, st) < 0 || st->kind != SB_STANZA_MESSAGE ||
	    st->bytes_len >= im->buf_cap || st->from_len > SB_MSG_JID_MAX)
		return false;
	if (st->type == SB_STYPE_ERROR || st->type == SB_STYPE_GROUPCHAT ||
	    st->type == SB_STYPE_HEADLINE)
		return false; /* what would not be stored offline wakes no phone */
	sb_msg_read(m, sb_msg_stanza_bytes_off(st), im->pbuf + im->pbuf_cap, st->bytes_len);
	return push_worthy(im->pbuf + im->pbuf_cap, st->bytes_len);
}

void sb_im_push_hibernated(struct sb_shard *sh, const struct sb_session *s, const struct sb_msg *m,
			   uint32_t waiting)
{
	struct sb_im *im = &sh->router.im;
	const struct sb_msg *last = NULL;
	struct sb_msg_stanza st;
	char from[SB_MSG_JID_MAX + 1];

	if (!im->lim.push)
		return;
	/* m and the chains linked behind it (sb_msg.held): the newest one
	 * worth a notification gets one, not each of a burst. */
	for (; m != NULL; m = m->held)
		if (push_chain_worthy(im, m, &st))
			last = m;
	if (last == NULL || !push_chain_worthy(im, last, &st))
		return;
	sb_msg_read(last, sizeof(st) + st.to_len, from, st.from_len);
	im_push_notify(sh, s->jid, s->bare_len, from, st.from_len, im->pbuf + im->pbuf_cap,
		       st.bytes_len, waiting);
}

void im_push_answer(struct sb_shard *sh, const struct sb_route_in *in)
{
	if (in->st.type == SB_STYPE_ERROR && in->st.id_len > 7 && memcmp(in->id, "sbpush-", 7) == 0)
		SB_IM_INC(&sh->router.im, push_errors);
}
