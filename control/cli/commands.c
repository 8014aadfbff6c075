/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See commands.h.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_im.h"
#include "cmd_stats.h"
#include "cmd_tls.h"
#include "cmd_user.h"
#include "commands.h"
#include "server.h"
#include "status.h"

void sb_cli_commands_run(void *arg, const char *req, struct sb_out *o)
{
	struct sb_cli_commands *cc = arg;

	if (strcmp(req, "status") == 0) {
		sb_out_printf(o, "ok\n");
		sb_status_write(o, cc->attach, cc->shards, cc->n_shards);
		if (cc->server != NULL)
			sb_cli_server_counters(cc->server, o);
	} else if (strcmp(req, "ping") == 0) {
		sb_out_printf(o, "ok\npong\n");
	} else if (strncmp(req, "stats", 5) == 0 && (req[5] == ' ' || req[5] == '\0')) {
		sb_cmd_stats_run(cc, "stats", req + 5 + (req[5] == ' '), o);
	} else if (strncmp(req, "health", 6) == 0 && (req[6] == ' ' || req[6] == '\0')) {
		sb_cmd_stats_run(cc, "health", req + 6 + (req[6] == ' '), o);
	} else if (strncmp(req, "user", 4) == 0 && (req[4] == ' ' || req[4] == '\0')) {
		sb_cmd_user_run(cc->users, req + 4 + (req[4] == ' '), o);
	} else if (strncmp(req, "tls", 3) == 0 && (req[3] == ' ' || req[3] == '\0')) {
		sb_cmd_tls_run(cc->attach->shm, req + 3 + (req[3] == ' '), o);
	} else if (strncmp(req, "roster ", 7) == 0 || strncmp(req, "offline ", 8) == 0 ||
		   strncmp(req, "store ", 6) == 0) {
		size_t w = strcspn(req, " ");
		char cmd[8];

		snprintf(cmd, sizeof(cmd), "%.*s", (int)w, req);
		sb_cmd_im_run(cc->users, cmd, req + w + 1, o);
	} else {
		/* Only the first word: the rest may be a mistyped password. */
		size_t w = strcspn(req, " ");

		sb_out_printf(o, "error: unknown command '%.*s' (try: status, stats, health, ping, user, roster, offline, store, tls)\n",
			      (int)(w > 64 ? 64 : w), req);
	}
}
