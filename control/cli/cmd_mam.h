/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sbctl's archive commands (XEP-0313), on the management thread through
 * the store interface (store/store_mam.h):
 *
 *   mam count USER                   records in the user's archive
 *   mam purge USER [--before TIME]   delete the user's records older than
 *                                    TIME (XEP-0082, e.g. 2026-01-01T00:00:00Z;
 *                                    without it: all), oldest first
 *
 * USER is a bare JID or a localpart of xmpp.domain. Records the user's shard
 * has queued but not yet committed (at most im.offline_commit_us old) are
 * not seen.
 */
#ifndef SB_CTL_CMD_MAM_H
#define SB_CTL_CMD_MAM_H

#include "cmd_user.h"
#include "out.h"

/* args: the line after "mam ". */
void sb_cmd_mam_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o);

#endif
