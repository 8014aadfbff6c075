/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Entity capabilities (XEP-0115 1.6) as PEP needs them (XEP-0163 §4.4):
 * which nodes a resource wants notifications of, from the "<node>+notify"
 * features of its disco#info. The <c/> of a presence passes through to
 * contacts untouched (im_presence.c); here its ver is looked up in the
 * shard's cache, and on a miss the server asks the resource itself
 * (disco#info from the account's bare JID to the full JID, node
 * 'node#ver'): the answer comes back to the account's shard, which is
 * this one. An answer whose SHA-1 verification string (§5.1) matches ver
 * is cached for every session of the shard that announces the same ver;
 * any other answer (another hash, extended forms, a mismatch: a client
 * could otherwise poison the cache for others) serves its own session
 * only. The cache holds IM_CAPS_CACHE_MAX vers, replaced in turn.
 *
 * Until the answer arrives a resource gets no notifications; at initial
 * presence its last items are asked for once the interest is known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps_ver.h"
#include "im_priv.h"
#include "router.h"
#include "session.h"
#include "shard.h"

#define IM_NS_CAPS "http://jabber.org/protocol/caps"
#define CAPS_VER_MAX 255u
#define CAPS_NODE_MAX 1023u
#define CAPS_ID_PREFIX "sbcaps-"
#define IM_CAPS_CACHE_MAX 256u
#define CAPS_STR_MAX 256u /* identities + features considered per answer */

struct im_caps_ent {
	char *ver;
	char *notify;
	uint32_t notify_len;
};

struct im_caps_cache {
	uint32_t n, next;
	struct im_caps_ent e[IM_CAPS_CACHE_MAX];
};

void im_caps_free(struct sb_im *im)
{
	if (im->caps == NULL)
		return;
	for (uint32_t i = 0; i < im->caps->n; i++) {
		free(im->caps->e[i].ver);
		free(im->caps->e[i].notify);
	}
	free(im->caps);
	im->caps = NULL;
}

static const struct im_caps_ent *cache_find(const struct sb_im *im, const char *ver)
{
	if (im->caps == NULL)
		return NULL;
	for (uint32_t i = 0; i < im->caps->n; i++)
		if (strcmp(im->caps->e[i].ver, ver) == 0)
			return &im->caps->e[i];
	return NULL;
}

static void cache_put(struct sb_im *im, const char *ver, const char *notify, uint32_t nlen)
{
	struct im_caps_ent *e;
	char *v, *n;

	if (im->caps == NULL && (im->caps = calloc(1, sizeof(*im->caps))) == NULL)
		return;
	v = strdup(ver);
	n = malloc(nlen ? nlen : 1);
	if (v == NULL || n == NULL) {
		free(v);
		free(n);
		return;
	}
	memcpy(n, notify, nlen);
	if (im->caps->n < IM_CAPS_CACHE_MAX) {
		e = &im->caps->e[im->caps->n++];
	} else {
		e = &im->caps->e[im->caps->next];
		im->caps->next = (im->caps->next + 1) % IM_CAPS_CACHE_MAX;
		free(e->ver);
		free(e->notify);
	}
	e->ver = v;
	e->notify = n;
	e->notify_len = nlen;
}

/* A new caps block for s: ver, then the node list. */
static struct sb_im_caps *caps_make(const char *ver, size_t vlen, const char *notify,
				    uint32_t nlen)
{
	struct sb_im_caps *c = calloc(1, sizeof(*c) + vlen + 1 + nlen);

	if (c == NULL)
		return NULL;
	c->ver_len = (uint16_t)vlen;
	memcpy(c->data, ver, vlen);
	c->data[vlen] = 0;
	c->notify_len = nlen;
	if (nlen)
		memcpy(c->data + vlen + 1, notify, nlen);
	return c;
}

bool im_caps_wants(const struct sb_session *s, const char *node, size_t nlen)
{
	const struct sb_im_caps *c = s->caps;
	const char *p, *end;

	if (c == NULL || c->pending)
		return false;
	p = c->data + c->ver_len + 1;
	end = p + c->notify_len;
	while (p < end) {
		size_t l = strlen(p);

		if (l == nlen && memcmp(p, node, nlen) == 0)
			return true;
		p += l + 1;
	}
	return false;
}

static void caps_query(struct sb_shard *sh, struct sb_session *s, const char *node,
		       const char *ver)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	char id[32];

	snprintf(id, sizeof(id), CAPS_ID_PREFIX "%u", s->caps->query);
	imx_puts(&o, "<iq type='get'");
	imx_attr_put(&o, "from", s->jid, s->bare_len);
	imx_attr_put(&o, "to", s->jid, s->jid_len);
	imx_attr_put(&o, "id", id, strlen(id));
	imx_puts(&o, "><query xmlns='" IM_NS_DISCO_INFO "'");
	if (node[0] != 0) {
		char nv[CAPS_NODE_MAX + CAPS_VER_MAX + 2];
		int l = snprintf(nv, sizeof(nv), "%s#%s", node, ver);

		imx_attr_put(&o, "node", nv, (size_t)l);
	}
	imx_puts(&o, "/></iq>");
	if (o.over)
		return;
	SB_IM_INC(im, caps_queries);
	im_deliver_bytes(sh, s, SB_STANZA_IQ, SB_STYPE_GET, s->jid, s->bare_len, s->bare_len, o.p,
			 o.len);
}

void im_caps_presence(struct sb_shard *sh, struct sb_session *s, bool initial)
{
	struct sb_im *im = &sh->router.im;
	char ver[CAPS_VER_MAX + 1], node[CAPS_NODE_MAX + 1], hash[16];
	struct imx_el p, c;
	size_t pos = 0;
	bool found = false;
	const struct im_caps_ent *e;
	struct sb_im_caps *nc;
	int vl;

	if (s->pres == NULL || imx_open(&p, (const uint8_t *)s->pres, s->pres_len) < 0)
		return;
	while (imx_child(&p, &pos, &c))
		if (imx_is(&c, "c", IM_NS_CAPS, NULL)) {
			found = true;
			break;
		}
	if (!found || (vl = imx_attr_text(&c, "ver", ver, sizeof(ver))) <= 0) {
		free(s->caps); /* no caps: no notifications (XEP-0163 §4.4) */
		s->caps = NULL;
		return;
	}
	if (imx_attr_text(&c, "node", node, sizeof(node)) < 0)
		node[0] = 0;
	if (s->caps != NULL && strcmp(s->caps->data, ver) == 0) {
		if (!s->caps->pending) {
			if (initial)
				im_pep_login(sh, s);
			return;
		}
		/* Still unanswered: ask again (the earlier answer, if it
		 * comes, no longer matches the id). */
		s->caps->last_due |= initial;
		s->caps->query = ++im->caps_query;
		caps_query(sh, s, node, ver);
		return;
	}
	if (imx_attr_text(&c, "hash", hash, sizeof(hash)) < 0)
		hash[0] = 0;
	e = strcmp(hash, "sha-1") == 0 ? cache_find(im, ver) : NULL;
	nc = caps_make(ver, (size_t)vl, e ? e->notify : NULL, e ? e->notify_len : 0);
	if (nc == NULL)
		return;
	free(s->caps);
	s->caps = nc;
	if (e != NULL) {
		SB_IM_INC(im, caps_cached);
		if (initial)
			im_pep_login(sh, s);
		return;
	}
	nc->pending = true;
	nc->last_due = initial;
	nc->query = ++im->caps_query;
	caps_query(sh, s, node, ver);
}

/* An attribute decoded into a new string ("" when absent). */
static char *attr_dup(const struct imx_el *e, const char *name)
{
	char v[CAPS_NODE_MAX + 1];
	int n = imx_attr_text(e, name, v, sizeof(v));

	return strdup(n < 0 ? "" : v);
}

bool im_caps_result(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_im *im = &sh->router.im;
	struct sb_session *s;
	struct sb_im_caps *c, *nc;
	struct imx_el iq, q, e;
	char *ids[CAPS_STR_MAX], *feats[CAPS_STR_MAX];
	char notify[4096];
	unsigned ni = 0, nf = 0;
	uint32_t nl = 0;
	size_t pos = 0;
	bool forms = false, over = false, verified;
	char id[32];
	ssize_t n;

	if (in->st.id_len < sizeof(CAPS_ID_PREFIX) - 1 ||
	    memcmp(in->id, CAPS_ID_PREFIX, sizeof(CAPS_ID_PREFIX) - 1) != 0)
		return false;
	/* Only the account's own resource answers its query. */
	if (in->st.from_bare_len != in->st.to_len ||
	    memcmp(in->from, in->to, in->st.to_len) != 0)
		return true;
	s = sb_session_find(&sh->router.sessions, in->from, in->st.from_len,
			    in->st.from_bare_len);
	if (s == NULL || (c = s->caps) == NULL || !c->pending)
		return true;
	snprintf(id, sizeof(id), CAPS_ID_PREFIX "%u", c->query);
	if (in->st.id_len != strlen(id) || memcmp(in->id, id, in->st.id_len) != 0)
		return true;
	c->pending = false;
	if (in->st.type != SB_STYPE_RESULT || (n = im_bytes(sh, m, in)) < 0 ||
	    imx_open(&iq, (const uint8_t *)im->buf, (size_t)n) < 0 ||
	    !imx_child(&iq, &pos, &q) || !imx_is(&q, "query", IM_NS_DISCO_INFO, NULL)) {
		SB_IM_INC(im, caps_failed);
		goto done;
	}
	pos = 0;
	while (imx_child(&q, &pos, &e)) {
		if (imx_is(&e, "x", "jabber:x:data", IM_NS_DISCO_INFO)) {
			forms = true;
		} else if (imx_is(&e, "identity", IM_NS_DISCO_INFO, IM_NS_DISCO_INFO)) {
			char *cat = attr_dup(&e, "category"), *type = attr_dup(&e, "type");
			char *lang = attr_dup(&e, "xml:lang"), *name = attr_dup(&e, "name");

			if (ni < CAPS_STR_MAX && cat && type && lang && name) {
				size_t l = strlen(cat) + strlen(type) + strlen(lang) + strlen(name) + 4;

				ids[ni] = malloc(l);
				if (ids[ni] != NULL)
					snprintf(ids[ni++], l, "%s/%s/%s/%s", cat, type, lang, name);
			} else {
				over = true;
			}
			free(cat);
			free(type);
			free(lang);
			free(name);
		} else if (imx_is(&e, "feature", IM_NS_DISCO_INFO, IM_NS_DISCO_INFO)) {
			char *var = attr_dup(&e, "var");
			size_t l;

			if (var == NULL || nf == CAPS_STR_MAX) {
				free(var);
				over = true;
				continue;
			}
			l = strlen(var);
			if (l > 7 && strcmp(var + l - 7, "+notify") == 0 &&
			    nl + (l - 7) + 1 <= sizeof(notify)) {
				memcpy(notify + nl, var, l - 7);
				nl += (uint32_t)(l - 7);
				notify[nl++] = 0;
			}
			feats[nf++] = var;
		}
	}
	{
		char v[CAPS_VER_B64_LEN + 1];

		verified = !forms && !over && caps_ver_sha1(ids, ni, feats, nf, v) == 0 &&
			   strcmp(v, c->data) == 0;
	}
	if (verified)
		cache_put(im, c->data, notify, nl);
	else
		SB_IM_INC(im, caps_unverified);
	for (unsigned i = 0; i < ni; i++)
		free(ids[i]);
	for (unsigned i = 0; i < nf; i++)
		free(feats[i]);
	nc = caps_make(c->data, c->ver_len, notify, nl);
	if (nc != NULL) {
		nc->last_due = c->last_due;
		free(s->caps);
		s->caps = c = nc;
	}
done:
	if (c->last_due && s->available) {
		c->last_due = false;
		im_pep_login(sh, s);
	}
	return true;
}
