/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Message carbons (XEP-0280 v1.0, urn:xmpp:carbons:2): <enable/> and
 * <disable/> per resource (a flag on the shard's session, §4, §5), and the
 * copies themselves, <sent/> or <received/> around an XEP-0297
 * <forwarded/> message, from the user's bare JID (§6, §7). Which messages
 * are copied is im_msg.c's.
 *
 * Each copy is one DELIVER to one connection, not a DELIVER_MULTI: a
 * DELIVER_MULTI skips a connection that is behind on its stanzas (right
 * for presence, which the next one replaces), and a carbon skipped that way
 * would be a message lost on that device. A user has few resources.
 */
#include <string.h>

#include "im_priv.h"
#include "router.h"
#include "session.h"
#include "shard.h"

#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_FORWARD "urn:xmpp:forward:0"

void im_carbons_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		   const struct imx_el *child)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct sb_session *s;
	bool on = imx_is(child, "enable", NS_CARBONS, NULL);

	if (in->st.type != SB_STYPE_SET) {
		sb_router_error(sh, in, "modify", "bad-request", SB_ROUTE_CTR_err_unavailable);
		return;
	}
	s = sb_session_find(&r->sessions, in->from, in->st.from_len, in->st.from_bare_len);
	if (s == NULL) {
		sb_router_error(sh, in, "cancel", "item-not-found", SB_ROUTE_CTR_err_unavailable);
		return;
	}
	if (on && !s->carbons)
		SB_IM_INC(im, carbons_enabled);
	s->carbons = on;
	im_result_open(&o, in);
	imx_puts(&o, "/>");
	if (!o.over)
		im_reply(sh, m, in, o.p, o.len);
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case SB_STYPE_CHAT:
		return "chat";
	case SB_STYPE_ERROR:
		return "error";
	default:
		return "normal";
	}
}

void im_carbons_copy(struct sb_shard *sh, const char *bare, size_t len, const char *dir,
		     uint8_t type, const char *inner, size_t n,
		     bool (*skip)(const struct sb_session *s, const void *arg), const void *arg)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_session_user *u = sb_session_user_find(&r->sessions, bare, len);
	const char *t = type_name(type);

	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
		struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };

		if (!s->carbons || skip(s, arg))
			continue;
		/* XEP-0280 §6, §7: from the user's bare JID, to the resource. */
		imx_puts(&o, "<message xmlns='" IM_NS_CLIENT "'");
		imx_attr_put(&o, "from", bare, len);
		imx_attr_put(&o, "to", s->jid, s->jid_len);
		imx_attr_put(&o, "type", t, strlen(t));
		imx_puts(&o, "><");
		imx_puts(&o, dir);
		imx_puts(&o, " xmlns='" NS_CARBONS "'><forwarded xmlns='" NS_FORWARD "'>");
		im_put_inner(&o, inner, n);
		imx_puts(&o, "</forwarded></");
		imx_puts(&o, dir);
		imx_puts(&o, "></message>");
		if (o.over) {
			SB_IM_INC(im, carbons_dropped);
			continue;
		}
		im_deliver_bytes(sh, s, SB_STANZA_MESSAGE, type, bare, len, len, o.p, o.len);
		if (dir[0] == 's')
			SB_IM_INC(im, carbons_sent);
		else
			SB_IM_INC(im, carbons_received);
	}
}
