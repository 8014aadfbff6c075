/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Limits that change while Switchboard runs, and reloading them from the
 * configuration file:
 *
 *   limits show [--json]      every live key and its running value
 *   limits set KEY VALUE      one live key, checked against its range
 *   config reload             re-read the command line's file and
 *                             overrides: apply the live keys that changed,
 *                             name those that need a restart
 *
 * A control shard's limits are set by the shard itself (router/admin.h,
 * SB_ADMIN_LIMIT); the dataplane's through struct sb_shm_live, a sequence
 * lock each worker checks once per loop turn.
 */
#ifndef SB_CTL_CMD_LIMITS_H
#define SB_CTL_CMD_LIMITS_H

#include "config.h"
#include "out.h"
#include "shm.h"

struct sb_cmd_session;

struct sb_cmd_limits {
	struct sb_config *cfg;          /* running configuration; live keys updated on change */
	struct sb_cmd_session *cs;      /* the shards to ask (cmd_session.h) */
	struct sb_shm *shm;             /* the dataplane's live block */
	int argc;                       /* sb-control's command line, for config reload */
	char **argv;
};

/* On attach: if an earlier sb-control changed the dataplane's limits live,
 * take them into cfg, so that limits show says what the workers use (a
 * control restart changes nothing in the dataplane). Returns how many
 * values differed from cfg. */
unsigned sb_cmd_limits_adopt(struct sb_cmd_limits *cl);

/* Serve "limits ARGS" (reload false) or "config reload" (reload true). */
void sb_cmd_limits_run(struct sb_cmd_limits *cl, const char *args, bool reload,
		       struct sb_out *o);

/* Whether "section.key" changes live; 1 for a shard's key, 2 for the
 * dataplane's, 0 if it needs a restart (or is unknown). Pure. */
int sb_cmd_limits_live(const char *name, size_t len);

#endif
