/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Private XML storage (XEP-0049 1.2): a user keeps elements of its own
 * namespaces on the server (iq without to, or to its own bare JID), one
 * record per (user, namespace) (store_udata.h). A query may carry several
 * elements; a set stores each, a get answers each with what is stored or,
 * if nothing is, the element as asked. Refused:
 * - another user's data: forbidden (§3);
 * - an element in jabber:client, jabber:server or jabber:iq:private, or
 *   without a namespace of its own (a prefixed name included):
 *   not-acceptable (§3);
 * - an element over im.private_max_bytes: not-acceptable; a new namespace
 *   past im.private_max_items: resource-constraint;
 * - a query without an element: bad-request.
 */
#include <stdlib.h>
#include <string.h>

#include "im_priv.h"
#include "router.h"
#include "shard.h"
#include "store/store_udata.h"

#define NS_MAX 1023u

/* The namespace of e into ns; its length, or 0 when it has none of its
 * own or a reserved one. */
static size_t elem_ns(const struct imx_el *e, char *ns)
{
	int n = imx_attr_text(e, "xmlns", ns, NS_MAX + 1);

	if (n <= 0 || memchr(e->p + 1, ':', e->name_len) != NULL ||
	    strcmp(ns, IM_NS_CLIENT) == 0 || strcmp(ns, "jabber:server") == 0 ||
	    strcmp(ns, IM_NS_PRIVATE) == 0)
		return 0;
	return (size_t)n;
}

static const char *private_set(struct sb_shard *sh, const struct sb_route_in *in,
			       const struct imx_el *q, char *ns)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct imx_el e;
	size_t pos = 0;

	/* Judge every element before storing any. */
	while (imx_child(q, &pos, &e))
		if (elem_ns(&e, ns) == 0 || e.len > im->lim.private_max_bytes)
			return "not-acceptable";
	pos = 0;
	while (imx_child(q, &pos, &e)) {
		size_t nl = elem_ns(&e, ns);
		uint8_t *old = NULL;
		size_t ol;
		int rc = sb_store_udata_get(r->store, SB_STORE_PRIVATE, in->from,
					    in->st.from_bare_len, ns, nl, &old, &ol);

		free(old);
		if (rc == -ENOENT &&
		    sb_store_udata_count(r->store, SB_STORE_PRIVATE, in->from, in->st.from_bare_len,
					 im->lim.private_max_items) >= (int)im->lim.private_max_items)
			return "resource-constraint";
		if ((rc < 0 && rc != -ENOENT) ||
		    sb_store_udata_put(r->store, SB_STORE_PRIVATE, in->from, in->st.from_bare_len, ns,
				       nl, e.p, e.len) < 0) {
			SB_IM_INC(im, store_errors);
			return "internal-server-error";
		}
		SB_IM_INC(im, private_sets);
		if (strcmp(ns, "storage:bookmarks") == 0) /* XEP-0402 §3 */
			im_pep_bookmarks_set(sh, in->from, in->st.from_bare_len, &e);
	}
	return NULL;
}

static const char *private_get(struct sb_shard *sh, const struct sb_route_in *in,
			       const struct imx_el *q, char *ns, struct imx_out *o)
{
	struct sb_router *r = &sh->router;
	struct imx_el e;
	size_t pos = 0;

	im_result_open(o, in);
	imx_puts(o, "><query xmlns='" IM_NS_PRIVATE "'>");
	while (imx_child(q, &pos, &e)) {
		size_t nl = elem_ns(&e, ns);
		uint8_t *v = NULL;
		size_t vl;
		int rc;

		if (nl == 0)
			return "not-acceptable";
		if (strcmp(ns, "storage:bookmarks") == 0 && /* XEP-0402 §3 */
		    im_pep_bookmarks_get(sh, in->from, in->st.from_bare_len, o))
			continue;
		rc = sb_store_udata_get(r->store, SB_STORE_PRIVATE, in->from, in->st.from_bare_len,
					ns, nl, &v, &vl);
		if (rc < 0 && rc != -ENOENT) {
			SB_IM_INC(&r->im, store_errors);
			return "internal-server-error";
		}
		if (v != NULL)
			imx_put(o, v, vl);
		else
			imx_put(o, e.p, e.len);
		free(v);
	}
	imx_puts(o, "</query></iq>");
	SB_IM_INC(&r->im, private_gets);
	return o->over ? "resource-constraint" : NULL;
}

bool im_private_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		   const struct imx_el *child, bool own)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	const char *cond;
	struct imx_el e;
	size_t pos = 0;
	char *ns;

	if (!imx_is(child, "query", IM_NS_PRIVATE, NULL))
		return false;
	if (!own)
		cond = "forbidden";
	else if (!imx_child(child, &pos, &e))
		cond = "bad-request";
	else if ((ns = malloc(NS_MAX + 1)) == NULL)
		cond = "internal-server-error";
	else {
		cond = in->st.type == SB_STYPE_GET ? private_get(sh, in, child, ns, &o)
						   : private_set(sh, in, child, ns);
		free(ns);
	}
	if (cond != NULL) {
		SB_IM_INC(im, private_refused);
		sb_router_error(sh, in,
				strcmp(cond, "forbidden") == 0		     ? "cancel"
				: strcmp(cond, "resource-constraint") == 0   ? "wait"
				: strcmp(cond, "internal-server-error") == 0 ? "wait"
									     : "modify",
				cond, SB_ROUTE_CTR_err_unavailable);
		return true;
	}
	if (in->st.type != SB_STYPE_GET) {
		im_result_open(&o, in);
		imx_puts(&o, "/>");
	}
	if (!o.over)
		im_reply(sh, m, in, o.p, o.len);
	return true;
}
