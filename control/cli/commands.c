/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See commands.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_im.h"
#include "cmd_mam.h"
#include "cmd_stats.h"
#include "cmd_tls.h"
#include "cmd_limits.h"
#include "cmd_log.h"
#include "cmd_session.h"
#include "cmd_shutdown.h"
#include "cmd_user.h"
#include "commands.h"
#include "server.h"
#include "status.h"

/* "config reload": the live keys (cmd_limits.c), then, once the file was
 * taken, the TLS certificates read again (cmd_tls.c). A certificate that
 * does not load makes the reply an error (exit 1) naming what was applied
 * all the same; the certificates in use stay. */
static void commands_config_reload(struct sb_cli_commands *cc, const char *args,
				   struct sb_out *o)
{
	size_t start = o->len;
	char line[512];
	struct sb_out l;

	sb_cmd_limits_run(cc->limits, args, true, o);
	if (strncmp(o->buf + start, "ok\n", 3) != 0)
		return;
	sb_out_init(&l, line, sizeof(line));
	if (sb_cmd_tls_reload_also(cc->attach->shm, &l) == 0) {
		sb_out_printf(o, "%s", line);
		return;
	}
	/* Turn the reply into an error, keeping what was applied. */
	char *applied = strndup(o->buf + start + 3, o->len - start - 3);

	o->len = start;
	sb_out_printf(o, "error: certificates refused, the old ones stay in use: %s", line);
	if (applied != NULL)
		sb_out_printf(o, "the configuration was applied all the same:\n%s", applied);
	free(applied);
}

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
	} else if (strncmp(req, "session", 7) == 0 && (req[7] == ' ' || req[7] == '\0')) {
		sb_cmd_session_run(cc->sessions, req + 7 + (req[7] == ' '), false, o);
	} else if (strncmp(req, "message", 7) == 0 && (req[7] == ' ' || req[7] == '\0')) {
		sb_cmd_session_run(cc->sessions, req + 7 + (req[7] == ' '), true, o);
	} else if (strncmp(req, "limits", 6) == 0 && (req[6] == ' ' || req[6] == '\0')) {
		sb_cmd_limits_run(cc->limits, req + 6 + (req[6] == ' '), false, o);
	} else if (strncmp(req, "config reload", 13) == 0 && (req[13] == ' ' || req[13] == '\0')) {
		commands_config_reload(cc, req + 13 + (req[13] == ' '), o);
	} else if (strncmp(req, "log", 3) == 0 && (req[3] == ' ' || req[3] == '\0')) {
		sb_cmd_log_run(cc->attach->shm, req + 3 + (req[3] == ' '), o);
	} else if (strncmp(req, "shutdown", 8) == 0 && (req[8] == ' ' || req[8] == '\0')) {
		sb_cmd_shutdown_run(cc->attach->shm, req + 8 + (req[8] == ' '), o);
	} else if (strncmp(req, "mam ", 4) == 0) {
		sb_cmd_mam_run(cc->users, req + 4, o);
	} else if (strncmp(req, "roster ", 7) == 0 || strncmp(req, "offline ", 8) == 0 ||
		   strncmp(req, "store ", 6) == 0) {
		size_t w = strcspn(req, " ");
		char cmd[8];

		snprintf(cmd, sizeof(cmd), "%.*s", (int)w, req);
		sb_cmd_im_run(cc->users, cmd, req + w + 1, o);
	} else if (strncmp(req, "block ", 6) == 0) {
		sb_cmd_block_run(cc->users, req + 6, o);
	} else if (strncmp(req, "pep ", 4) == 0) {
		sb_cmd_pep_run(cc->users, req + 4, o);
	} else {
		/* Only the first word: the rest may be a mistyped password. */
		size_t w = strcspn(req, " ");

		sb_out_printf(o, "error: unknown command '%.*s' (try: status, stats, health, ping, user, session, message, limits, config reload, log, shutdown, roster, offline, store, tls, block, pep, mam)\n",
			      (int)(w > 64 ? 64 : w), req);
	}
}
