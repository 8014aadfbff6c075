/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See commands.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "cmd_im.h"
#include "cmd_mam.h"
#include "cmd_stats.h"
#include "cmd_tls.h"
#include "cmd_limits.h"
#include "cmd_memory.h"
#include "cmd_top.h"
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

/* systemd's reload protocol (sd_notify(3)) around a reload asked through
 * sbctl: RELOADING=1 before, READY=1 after whatever the outcome (on a
 * failure the state in use stays). MONOTONIC_USEC is what systemd 253's
 * Type=notify-reload wants with RELOADING=1; Debian 12's 252 ignores it.
 * Without NOTIFY_SOCKET both are no-ops. */
static void commands_notify_reloading(const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=sb-control: reloading %s\nMONOTONIC_USEC=%llu", what,
		   (unsigned long long)ts.tv_sec * 1000000ull +
			   (unsigned long long)ts.tv_nsec / 1000ull);
}

static void commands_notify_ready(const char *what)
{
	sd_notifyf(0, "READY=1\nSTATUS=sb-control: running (%s reloaded)", what);
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
	} else if (strncmp(req, "top", 3) == 0 && (req[3] == ' ' || req[3] == '\0')) {
		if (cc->metrics == NULL)
			sb_out_printf(o, "error: top: not available yet\n");
		else
			sb_cmd_top_run(cc->metrics, req + 3 + (req[3] == ' '), o);
	} else if (strncmp(req, "memory", 6) == 0 && (req[6] == ' ' || req[6] == '\0')) {
		if (cc->metrics == NULL)
			sb_out_printf(o, "error: memory: not available yet\n");
		else
			sb_cmd_memory_run(cc->metrics, req + 6 + (req[6] == ' '), o);
	} else if (strncmp(req, "health", 6) == 0 && (req[6] == ' ' || req[6] == '\0')) {
		sb_cmd_stats_run(cc, "health", req + 6 + (req[6] == ' '), o);
	} else if (strncmp(req, "user", 4) == 0 && (req[4] == ' ' || req[4] == '\0')) {
		sb_cmd_user_run(cc->users, req + 4 + (req[4] == ' '), o);
	} else if (strcmp(req, "tls reload") == 0) {
		commands_notify_reloading("certificates");
		sb_cmd_tls_run(cc->attach->shm, "reload", o);
		commands_notify_ready("certificates");
	} else if (strncmp(req, "tls", 3) == 0 && (req[3] == ' ' || req[3] == '\0')) {
		sb_cmd_tls_run(cc->attach->shm, req + 3 + (req[3] == ' '), o);
	} else if (strncmp(req, "session", 7) == 0 && (req[7] == ' ' || req[7] == '\0')) {
		sb_cmd_session_run(cc->sessions, req + 7 + (req[7] == ' '), false, o);
	} else if (strncmp(req, "message", 7) == 0 && (req[7] == ' ' || req[7] == '\0')) {
		sb_cmd_session_run(cc->sessions, req + 7 + (req[7] == ' '), true, o);
	} else if (strncmp(req, "limits", 6) == 0 && (req[6] == ' ' || req[6] == '\0')) {
		sb_cmd_limits_run(cc->limits, req + 6 + (req[6] == ' '), false, o);
	} else if (strncmp(req, "config reload", 13) == 0 && (req[13] == ' ' || req[13] == '\0')) {
		commands_notify_reloading("configuration");
		commands_config_reload(cc, req + 13 + (req[13] == ' '), o);
		commands_notify_ready("configuration");
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

		sb_out_printf(o, "error: unknown command '%.*s' (try: status, stats, top, memory, health, ping, user, session, message, limits, config reload, log, shutdown, roster, offline, store, tls, block, pep, mam)\n",
			      (int)(w > 64 ? 64 : w), req);
	}
}
