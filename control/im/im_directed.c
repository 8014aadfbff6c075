/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Directed presence memory (RFC 6121 §4.6.3): a session that sends
 * available presence to a JID remembers it, forgets it when it sends that
 * JID unavailable, and when the session goes unavailable (it says so, or
 * its connection goes) each remembered JID that the broadcast does not
 * reach (no subscription from or both) gets unavailable from it.
 *
 * The stanza arrives on its recipient's shard; the session lives on the
 * sender's. So a directed presence crosses to the sender's shard first
 * (SB_IM_X_DIRECTED), is noted on the session there, and goes on to the
 * recipient as any inbound presence: one more ring hop for directed
 * presence only (a directed presence to an external component's domain,
 * a group chat join, takes the same way and ends in the component's
 * queue). At most IM_DIRECTED_MAX JIDs per session
 * (`directed_full` past it: those get no unavailable).
 *
 * An available directed presence of a session gets the avatar's hash put
 * in there, on the sender's shard where the avatar nodes are, as the
 * broadcast does (XEP-0398 §4: "The hash MUST also be injected into
 * directed presences such as MUC joins").
 */
#include <stdlib.h>
#include <string.h>

#include "component/component.h"
#include "im_priv.h"
#include "promise.h"
#include "router.h"
#include "shard.h"

#define IM_DIRECTED_MAX 64u

void sb_im_presence_directed(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	unsigned owner = im_bare_shard(sh, in->from, in->st.from_bare_len);

	if (in->st.type != SB_STYPE_NONE && in->st.type != SB_STYPE_UNAVAILABLE) {
		sb_im_send_inbound(sh, m);
		return;
	}
	m->kind = SB_MSG_STANZA;
	im_xsend(sh, owner, m, SB_IM_X_DIRECTED);
}

/* The offset of jid in s's list, or -1. */
static long directed_find(const struct sb_session *s, const char *jid, size_t len)
{
	size_t off = 0;

	while (off + 2 <= s->directed_len) {
		size_t l = (size_t)(uint8_t)s->directed[off] << 8 | (uint8_t)s->directed[off + 1];

		if (l == len && memcmp(s->directed + off + 2, jid, len) == 0)
			return (long)off;
		off += 2 + l;
	}
	return -1;
}

static void directed_note(struct sb_im *im, struct sb_session *s, const char *jid, size_t len,
			  bool available)
{
	long at = directed_find(s, jid, len);
	char *p;

	if (!available) {
		if (at >= 0) {
			size_t end = (size_t)at + 2 + len;

			memmove(s->directed + at, s->directed + end, s->directed_len - end);
			s->directed_len -= (uint32_t)(2 + len);
			s->directed_n--;
		}
		return;
	}
	if (at >= 0)
		return;
	if (s->directed_n >= IM_DIRECTED_MAX) {
		SB_IM_INC(im, directed_full);
		return;
	}
	p = realloc(s->directed, s->directed_len + 2 + len);
	if (p == NULL) {
		SB_IM_INC(im, directed_full);
		return;
	}
	s->directed = p;
	p += s->directed_len;
	p[0] = (char)(len >> 8);
	p[1] = (char)len;
	memcpy(p + 2, jid, len);
	s->directed_len += (uint32_t)(2 + len);
	s->directed_n++;
	SB_IM_INC(im, directed_remembered);
}

/* m (available presence from a session of in->from) with the avatar hash
 * put in: a new chain in its place, or m itself when the presence is left
 * as it is (no avatar, the client's own photo) or the pool is empty. */
static struct sb_msg *directed_hash(struct sb_shard *sh, struct sb_msg *m, struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct imx_out o = { .p = r->im.hbuf, .cap = r->im.buf_cap };
	ssize_t n = im_bytes(sh, m, in);
	struct sb_msg *c;

	if (n < 0 || !im_pep_vcard_presence(sh, in->from, in->st.from_bare_len, r->im.buf,
					    (size_t)n, &o))
		return m;
	c = im_rechain(sh, m, in, o.p, o.len);
	if (c == NULL) {
		SB_IM_INC(&r->im, pool_empty);
		return m;
	}
	sb_promise_moved(&r->pr, m, c); /* XEP-0198: owed for c now */
	sb_msg_free_chain(m, &r->pool);
	in->st.bytes_len = (uint32_t)o.len;
	return c;
}

void im_directed_in(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_route_in *in = &r->in;
	struct sb_session *s;

	if (sb_router_parse(m, in) < 0) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	s = sb_session_find(&r->sessions, in->from, in->st.from_len, in->st.from_bare_len);
	/* To one's own account or resources: nothing to remember. */
	if (s != NULL && !(in->st.to_bare_len == in->st.from_bare_len &&
			   memcmp(in->to, in->from, in->st.from_bare_len) == 0))
		directed_note(&r->im, s, in->to, in->st.to_len, in->st.type == SB_STYPE_NONE);
	if (s != NULL && in->st.type == SB_STYPE_NONE)
		m = directed_hash(sh, m, in); /* XEP-0398 §4 */
	if (!sb_comp_route(sh, m, in)) /* to a component: queued there */
		sb_im_send_inbound(sh, m);
}

void im_directed_gone(struct sb_shard *sh, struct sb_session *s, const struct sb_roster *r)
{
	struct sb_im *im = &sh->router.im;
	struct sb_roster own;
	size_t off = 0;

	if (s->directed_n == 0)
		return;
	if (r == NULL) {
		if (sb_store_roster_load(sh->router.store, s->jid, s->bare_len, &own) < 0)
			sb_roster_init(&own);
		r = &own;
	}
	while (off + 2 <= s->directed_len) {
		const char *jid = s->directed + off + 2;
		size_t l = (size_t)(uint8_t)s->directed[off] << 8 | (uint8_t)s->directed[off + 1];
		const char *slash = memchr(jid, '/', l);
		const struct sb_roster_item *it =
			sb_roster_find((struct sb_roster *)r, jid, slash ? (size_t)(slash - jid) : l);

		off += 2 + l;
		if (it != NULL && !(it->flags & SB_ROSTER_F_GONE) &&
		    (it->sub == SB_SUB_FROM || it->sub == SB_SUB_BOTH) && s->available)
			continue; /* the broadcast tells it */
		im_pres_from(sh, s, jid, l, SB_STYPE_UNAVAILABLE, NULL, 0);
		SB_IM_INC(im, directed_unavailable);
	}
	if (r == &own)
		sb_roster_free(&own);
	free(s->directed);
	s->directed = NULL;
	s->directed_len = 0;
	s->directed_n = 0;
}
