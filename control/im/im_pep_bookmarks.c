/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0402 §3 compatibility ("#compat"): XEP-0049 private storage of
 * <storage xmlns='storage:bookmarks'/> is the PEP node
 * urn:xmpp:bookmarks:1 seen the old way: a get is built from the node's
 * items, a set replaces them (and is kept as a private record too).
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
		im_pep_event_build(sh, &ev, owner, olen, S_BM, head.p, head.len, nd.items[i].payload,
				   nd.items[i].len, "</item>");
		im_pep_notify(sh, owner, olen, &nd, &ev);
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
