/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What im_pep.c, im_pep_event.c and im_pep_bookmarks.c share.
 */
#ifndef SB_IM_PEP_PRIV_H
#define SB_IM_PEP_PRIV_H

#include <stddef.h>

#include "im_xml.h"
#include "store/store_im.h"
#include "store/store_pep.h"

struct sb_shard;

/* "<item id='…'>" with the id escaped (6 bytes per byte at most). */
#define PEP_HEAD_MAX (SB_PEP_ID_MAX * 6u + 32u)

/* The owner's subscription state for contact (SB_SUB_NONE: none, or
 * blocked by the owner, or the roster could not be read). */
enum sb_sub im_pep_sub_of(struct sb_shard *sh, const char *owner, size_t olen,
			  const char *contact, size_t clen);
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

#endif
