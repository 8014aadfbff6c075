/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What im_pep.c, im_pep_event.c and im_pep_bookmarks.c share.
 */
#ifndef SB_IM_PEP_PRIV_H
#define SB_IM_PEP_PRIV_H

#include <stddef.h>

#include "im_xml.h"
#include "pep_node.h"
#include "store/store_im.h"
#include "store/store_pep.h"

struct sb_shard;

/* "<item id='…'>" with the id escaped (6 bytes per byte at most). */
#define PEP_HEAD_MAX (SB_PEP_ID_MAX * 6u + 32u)

/* A requester as the owner's roster sees it, for the access models. */
struct pep_reader {
	bool own;
	struct sb_roster ro;
	const struct sb_roster_item *it; /* NULL: not in it, blocked by the owner, or unreadable */
};

/* Load it (the roster is read only for another requester). */
void im_pep_reader_load(struct sb_shard *sh, const char *owner, size_t olen, const char *req,
			size_t rlen, struct pep_reader *r);
void im_pep_reader_free(struct pep_reader *r);
/* The event message into o: node NUL, then <message from=owner
 * type=headline> with <event><items node>inner payload inner_end</items>
 * </event>, no to (added per recipient). */
void im_pep_event_build(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
			const char *node, size_t nlen, const char *inner, size_t ilen,
			const void *payload, size_t plen, const char *inner_end);
/* The event in o to to's shard (SB_IM_X_PEPEV). */
void im_pep_event_send(struct sb_shard *sh, const char *to, size_t tlen, size_t tbare,
		       const char *owner, size_t olen, const struct imx_out *o);
/* The event in o to the owner's resources and to the contacts the node's
 * access model lets read it. */
void im_pep_notify(struct sb_shard *sh, const char *owner, size_t olen,
		   const struct sb_pep_node *nd, const struct imx_out *o);
/* The event message of a node's deletion or purge (XEP-0060 §8.4.2,
 * §8.5.2): <event><what node/></event>, built in o as im_pep_event_build. */
void im_pep_event_node(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
		       const char *node, size_t nlen, const char *what);

/* A publish made by the server for the owner (XEP-0398: a vCard PHOTO to
 * the avatar nodes): the node created with access open if it is not there
 * (the vCard it comes from is public), the item put, events sent. Uses
 * the shard's output buffer. 0 or a negative errno (-EFBIG past
 * im.pep_item_max_bytes, -ENOSPC past im.pep_max_nodes). */
int im_pep_publish_own(struct sb_shard *sh, const char *owner, size_t olen, const char *node,
		       size_t nlen, const char *id, size_t idl, const void *payload, size_t plen);

#endif
