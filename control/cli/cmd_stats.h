/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sbctl's monitoring commands, answered on the management thread:
 *
 *   stats [--json]        every counter and gauge (metrics/collect.h), as
 *                         "GROUP NAME VALUE" lines or JSON shape version 1
 *                         (metrics/expo.h, docs/OPERATIONS.md)
 *   health [MAX_AGE_S]    "ok" when both processes live and every ring
 *                         pair carried a heartbeat within MAX_AGE_S seconds
 *                         (default: metrics/health.h); else an error with
 *                         the reason, so sbctl exits 1
 */
#ifndef SB_CTL_CMD_STATS_H
#define SB_CTL_CMD_STATS_H

#include "commands.h"
#include "out.h"

/* cmd is "stats" or "health"; args the rest of the line ("" if none). */
void sb_cmd_stats_run(const struct sb_cli_commands *cc, const char *cmd, const char *args,
		      struct sb_out *o);

#endif
