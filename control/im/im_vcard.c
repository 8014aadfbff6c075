/* SPDX-License-Identifier: BSD-3-Clause
 *
 * vcard-temp (XEP-0054 1.2): a user sets its own vCard (iq set without to,
 * or to its own bare JID) and anyone gets any account's (iq get to the
 * bare JID; the account's shard answers). The element is stored as the
 * owner sent it (store_udata.h), up to im.vcard_max_bytes: past that the
 * set is not-acceptable. An account without a vCard answers an empty
 * <vCard xmlns='vcard-temp'/> (§3.1); a JID with no account answers
 * service-unavailable, as disco does, so accounts cannot be probed
 * (RFC 6121 §8.5.1). Setting another user's vCard is forbidden.
 */
#include <stdlib.h>
#include <string.h>

#include "im_priv.h"
#include "pep_avatar.h"
#include "router.h"
#include "shard.h"
#include "store/store_udata.h"

static void vcard_get(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		      bool own)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct imx_out photo = { .p = NULL };
	const char *bare = own ? in->from : in->to;
	size_t len = own ? in->st.from_bare_len : in->st.to_bare_len;
	uint8_t *v = NULL;
	size_t vl = 0;
	int rc, pep = 0;

	if (!own && sb_store_user_exists(r->store, bare, len) == 0) {
		SB_IM_INC(im, iq_unsupported);
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
		return;
	}
	rc = sb_store_udata_get(r->store, SB_STORE_VCARD, bare, len, NULL, 0, &v, &vl);
	if (rc < 0 && rc != -ENOENT) {
		SB_IM_INC(im, store_errors);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
		return;
	}
	/* The avatar nodes' PHOTO, as this requester may see it (XEP-0398). */
	photo.cap = im->buf_cap;
	photo.p = malloc(photo.cap);
	if (photo.p != NULL)
		pep = im_pep_vcard_photo(sh, bare, len, in->from, in->st.from_bare_len, &photo);
	im_result_open(&o, in);
	imx_puts(&o, ">");
	if (pep == 1) /* one too big for the buffer: none rather than a stored one */
		pep_avatar_vcard_with(&o, v, vl, photo.p, photo.over ? 0 : photo.len);
	else if (v != NULL)
		imx_put(&o, v, vl);
	else
		imx_puts(&o, "<vCard xmlns='" IM_NS_VCARD "'/>");
	imx_puts(&o, "</iq>");
	free(photo.p);
	free(v);
	SB_IM_INC(im, vcard_gets);
	if (o.over)
		sb_router_error(sh, in, "wait", "resource-constraint",
				SB_ROUTE_CTR_err_unavailable);
	else
		im_reply(sh, m, in, o.p, o.len);
}

static void vcard_set(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		      const struct imx_el *child, bool own)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };

	if (!own) {
		SB_IM_INC(im, vcard_refused);
		sb_router_error(sh, in, "auth", "forbidden", SB_ROUTE_CTR_err_unavailable);
		return;
	}
	if (child->len > im->lim.vcard_max_bytes) {
		SB_IM_INC(im, vcard_refused);
		sb_router_error(sh, in, "modify", "not-acceptable", SB_ROUTE_CTR_err_unavailable);
		return;
	}
	if (sb_store_udata_put(r->store, SB_STORE_VCARD, in->from, in->st.from_bare_len, NULL, 0,
			       child->p, child->len) < 0) {
		SB_IM_INC(im, store_errors);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
		return;
	}
	SB_IM_INC(im, vcard_sets);
	/* XEP-0398: its PHOTO to the avatar nodes, events included, before
	 * the answer is written (both use the output buffer). */
	im_pep_vcard_set(sh, in->from, in->st.from_bare_len, child);
	im_result_open(&o, in);
	imx_puts(&o, "/>");
	if (!o.over)
		im_reply(sh, m, in, o.p, o.len);
}

bool im_vcard_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		 const struct imx_el *child, bool own)
{
	if (!imx_is(child, "vCard", IM_NS_VCARD, NULL))
		return false;
	/* The domain has no vCard of its own: disco's answer applies. */
	if (!own && memchr(in->to, '@', in->st.to_bare_len) == NULL)
		return false;
	if (in->st.type == SB_STYPE_GET)
		vcard_get(sh, m, in, own);
	else
		vcard_set(sh, m, in, child, own);
	return true;
}
