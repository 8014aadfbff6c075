/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0398 (User Avatar to vCard-Based Avatars Conversion) between
 * vcard-temp (im_vcard.c) and the XEP-0084 avatar nodes, the pure parts in
 * pep_avatar.c.
 *
 * - vCard get: when the account has an urn:xmpp:avatar:metadata node, the
 *   PEP avatar is the truth: a requester who may read the metadata and
 *   data nodes (their access models) gets a PHOTO built from the newest
 *   metadata item's <info/> and the data item it names (whose image has
 *   that SHA-1), in place of any
 *   stored PHOTO; one who may not, or an empty <metadata/> (avatar
 *   disabled), gets the vCard without PHOTO. No metadata node: the vCard
 *   as stored.
 * - vCard set with a PHOTO (TYPE and BINVAL): the image is published to
 *   the data node and then the metadata node (id: SHA-1 hex of the bytes),
 *   with their events, unless the newest metadata item already has that
 *   id (a client setting back the vCard it got). Nodes that do not exist
 *   are created with access open, as the vCard is public (XEP-0054);
 *   existing ones keep their configuration. The vCard is stored as sent
 *   either way.
 * - Available presence (§4): the avatar's hash (the newest metadata
 *   item's id, or an empty <photo/> for a disabled avatar) is put in as
 *   XEP-0153's <x xmlns='vcard-temp:x:update'/>, unless the client sent a
 *   photo element itself: in the broadcast, in directed presence (a group
 *   chat join, im_directed.c) and in each re-send of a stored presence
 *   (probe answers and the rest, im_pres_out in im_presence.c), so a
 *   re-send carries the hash as it is then. One small store read per
 *   presence that goes out, and only when the user has a metadata node
 *   does the presence change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "im_pep_priv.h"
#include "im_priv.h"
#include "pep_avatar.h"
#include "pep_node.h"
#include "router.h"
#include "shard.h"
#include "store/store_pep.h"

#define S_DATA PEP_AVATAR_DATA, (sizeof(PEP_AVATAR_DATA) - 1)
#define S_META PEP_AVATAR_META, (sizeof(PEP_AVATAR_META) - 1)

void im_pep_vcard_set(struct sb_shard *sh, const char *owner, size_t olen,
		      const struct imx_el *vcard)
{
	struct sb_im *im = &sh->router.im;
	struct pep_avatar a;
	struct sb_pep_node nd;
	const struct sb_pep_item *last;
	struct imx_out o = { 0 };
	bool same = false;
	int rc;

	rc = pep_avatar_from_vcard(vcard, &a);
	if (rc == -ENOENT)
		return;
	if (rc < 0) {
		SB_IM_INC(im, pep_vcard_refused);
		return;
	}
	if (sb_store_pep_load(sh->router.store, owner, olen, S_META, &nd) == 0) {
		last = sb_pep_item_last(&nd);
		same = last != NULL && last->id_len == PEP_AVATAR_ID_LEN &&
		       memcmp(last->id, a.id, PEP_AVATAR_ID_LEN) == 0;
	}
	sb_pep_node_free(&nd);
	if (same)
		goto out;
	o.cap = a.b64_len + 256;
	o.p = malloc(o.cap);
	if (o.p == NULL) {
		SB_IM_INC(im, pep_vcard_refused);
		goto out;
	}
	pep_avatar_data_item(&o, &a);
	rc = o.over ? -EINVAL
		    : im_pep_publish_own(sh, owner, olen, S_DATA, a.id, PEP_AVATAR_ID_LEN, o.p, o.len);
	if (rc == 0) {
		o.len = 0;
		pep_avatar_meta_item(&o, &a);
		rc = o.over ? -EINVAL
			    : im_pep_publish_own(sh, owner, olen, S_META, a.id, PEP_AVATAR_ID_LEN,
						 o.p, o.len);
	}
	free(o.p);
	if (rc < 0)
		SB_IM_INC(im, pep_vcard_refused);
	else
		SB_IM_INC(im, pep_vcard_converted);
out:
	pep_avatar_free(&a);
}

int im_pep_vcard_photo(struct sb_shard *sh, const char *owner, size_t olen, const char *req,
		       size_t rlen, struct imx_out *photo)
{
	struct sb_store *st = sh->router.store;
	struct sb_pep_node meta, data;
	struct pep_reader rd;
	const struct sb_pep_item *last, *it;
	char *id = NULL, type[PEP_AVATAR_TYPE_MAX + 1];
	int rc;

	rc = sb_store_pep_load(st, owner, olen, S_META, &meta);
	if (rc < 0) {
		if (rc != -ENOENT)
			SB_IM_INC(&sh->router.im, store_errors);
		return 0;
	}
	sb_pep_node_init(&data);
	im_pep_reader_load(sh, owner, olen, req, rlen, &rd);
	rc = 1;
	last = sb_pep_item_last(&meta);
	if (!pep_may_read(&meta, rd.own, rd.it) || last == NULL)
		goto out;
	id = malloc(PEP_AVATAR_ID_MAX + 1);
	if (id == NULL || pep_avatar_meta_info(last->payload, last->len, id, type) != 1)
		goto out;
	if (sb_store_pep_load(st, owner, olen, S_DATA, &data) < 0 ||
	    !pep_may_read(&data, rd.own, rd.it) ||
	    (it = sb_pep_item_find(&data, id, strlen(id))) == NULL)
		goto out;
	if (pep_avatar_photo(photo, id, type, it->payload, it->len) == 0)
		SB_IM_INC(&sh->router.im, pep_vcard_photos);
out:
	free(id);
	im_pep_reader_free(&rd);
	sb_pep_node_free(&data);
	sb_pep_node_free(&meta);
	return rc;
}

bool im_pep_vcard_presence(struct sb_shard *sh, const char *owner, size_t olen, const char *b,
			   size_t n, struct imx_out *o)
{
	struct sb_pep_node meta;
	const struct sb_pep_item *last;
	char *id, type[PEP_AVATAR_TYPE_MAX + 1];
	bool done = false;
	int rc;

	if (sb_store_pep_load(sh->router.store, owner, olen, S_META, &meta) < 0)
		return false;
	last = sb_pep_item_last(&meta);
	id = malloc(PEP_AVATAR_ID_MAX + 1);
	if (last != NULL && id != NULL) {
		rc = pep_avatar_meta_info(last->payload, last->len, id, type);
		if (rc == 0)
			id[0] = 0; /* avatar disabled: <photo/> */
		if (rc >= 0)
			done = pep_avatar_presence(o, (const uint8_t *)b, n, id) && !o->over;
	}
	free(id);
	sb_pep_node_free(&meta);
	if (done)
		SB_IM_INC(&sh->router.im, pep_vcard_hashes);
	return done;
}
