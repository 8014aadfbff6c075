/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sbctl's IM commands, served on the management thread through the store
 * interface (store/store_im.h):
 *
 *   roster show USER                 version, items (subscription, ask,
 *                                    pending-in, name, groups)
 *   roster add USER CONTACT [NAME]   add or rename an item (subscription kept)
 *   roster del USER CONTACT          remove an item (subscriptions are not
 *                                    cancelled with the contact: a client's
 *                                    remove does that)
 *   offline count|show|purge USER [MAX]
 *   store stats                      records and bytes by kind
 *   block list USER                  the XEP-0191 block list (cmd_block.c)
 *   pep show USER                    PEP nodes (XEP-0163) with their
 *                                    configuration and items (cmd_pep.c)
 *
 * USER is a bare JID or a localpart of xmpp.domain. Changes made here are
 * not pushed to the user's online resources (they see them at their next
 * roster get), and a change racing one by the user's shard may be lost:
 * these are repair tools, not a client.
 */
#ifndef SB_CTL_CMD_IM_H
#define SB_CTL_CMD_IM_H

#include "cmd_user.h"
#include "out.h"

/* cmd is "roster", "offline" or "store"; args the rest of the line. */
void sb_cmd_im_run(struct sb_cmd_user *cu, const char *cmd, const char *args, struct sb_out *o);

/* A USER argument (JID or localpart) as a normalised bare JID; 0 or
 * -EINVAL. */
int sb_cmd_im_user(const struct sb_cmd_user *cu, const char *arg, struct sb_jid *j);

/* `block list USER` (cmd_block.c): the user's XEP-0191 block list. */
void sb_cmd_block_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o);
/* `pep show USER` (cmd_pep.c): the user's PEP nodes. */
void sb_cmd_pep_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o);

#endif
