/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See sbctl_help.h.
 */
#include <string.h>

#include "sbctl_help.h"

const struct sbctl_cmd sbctl_cmds[] = {
	{ "status", "", "processes, ports, workers, shards, rings and counters (for eyes)" },
	{ "stats", "[--json]",
	  "every counter and gauge: \"GROUP NAME VALUE\" lines, or JSON shape version 1\n"
	  "(docs/OPERATIONS.md, \"sbctl stats --json\")" },
	{ "top", "[--count N] [--interval SECONDS] [--json]",
	  "a live view, one row per interval (default 1 s; N rows, default until ^C):\n"
	  "connections, sessions, logins/s, stanzas in/out per second, packets/s,\n"
	  "retransmit %, deepest ring, longest backlog, drops/s and the top reason,\n"
	  "busy % per worker lcore, bytes per session, active alarms. The header\n"
	  "repeats every 20 rows; --json: one object per line (docs/OPERATIONS.md)" },
	{ "memory", "[--json]",
	  "bytes in use and reserved by subsystem (tcp, xmpp, tls, sessions, rings and\n"
	  "pools, store), per worker lcore and per shard, and bytes per connection" },
	{ "health", "[MAX_AGE_SECONDS]",
	  "exit 0 when both processes live and every worker<->shard ring pair carried a\n"
	  "heartbeat within MAX_AGE_SECONDS (default 3 heartbeat intervals, at least 5 s);\n"
	  "else exit 1 with the reason on stderr. For container and load-balancer checks" },
	{ "ping", "", "check that sb-control answers" },
	{ "user add", "JID [PASSWORD|-]", "create an account (JID or localpart)" },
	{ "user passwd", "JID [PASSWORD|-]", "change its password" },
	{ "user del", "JID", "delete it" },
	{ "user show", "JID", "mechanisms, iterations, times (no secrets)" },
	{ "user list", "[MAX]", "up to MAX accounts (default 100)" },
	{ "user stats", "", "store occupancy per shard and counters" },
	{ "roster show", "USER", "a user's roster (version, items)" },
	{ "roster add", "USER CONTACT [NAME]", "add or rename a roster item" },
	{ "roster del", "USER CONTACT", "remove a roster item" },
	{ "offline count", "USER", "stored offline messages of USER" },
	{ "offline show", "USER [MAX]", "show them" },
	{ "offline purge", "USER", "delete them" },
	{ "mam count", "USER", "records in USER's message archive (XEP-0313)" },
	{ "mam purge", "USER [--before TIME]",
	  "delete archived messages older than TIME (XEP-0082, e.g. 2026-01-01T00:00:00Z;\n"
	  "without it: all), oldest first" },
	{ "store stats", "", "records and bytes by kind" },
	{ "block list", "USER", "a user's block list (XEP-0191)" },
	{ "pep show", "USER",
	  "a user's PEP nodes (XEP-0163): access model, max_items, items, bytes" },
	{ "tls reload", "",
	  "re-read certificates and keys, swap them in every worker\n"
	  "(no restart, no session dropped)" },
	{ "tls status", "", "certificates in use, smallest days to expiry" },
	{ "session count", "[--json]", "sessions and users, per shard" },
	{ "session list", "[--user JID] [--max N] [--json]", "bound sessions (at most 500)" },
	{ "session show", "FULLJID [--json]",
	  "one session: worker, lcore, shard, state, and from its worker TCP state,\n"
	  "TLS, idle time, bytes in and out" },
	{ "session kick", "JID [--reset] [--reason TEXT]",
	  "end a session (full JID) or all of a user's (bare JID) with a stream error" },
	{ "message send", "FROM TO TEXT", "a chat message from FROM, routed as any other" },
	{ "limits show", "[--json]", "the limits that change live, and their values" },
	{ "limits set", "KEY VALUE", "change one (same ranges as the file)" },
	{ "config reload", "",
	  "re-read sb-control's file and -s overrides: apply live keys, name those\n"
	  "needing a restart, read the TLS certificates again" },
	{ "log level", "[LEVEL]",
	  "sb-dataplane's sb.* log level: emerg, alert, crit, err, warning, notice,\n"
	  "info, debug" },
	{ "shutdown", "[--drain SECONDS] [--reconnect HOST]",
	  "stop accepting, tell every stream <system-shutdown/>, drain (default 10 s),\n"
	  "then both processes exit" },
	{ "config check", "FILE",
	  "check a configuration file without sb-control: every error as\n"
	  "FILE:LINE: message, exit 1 if any" },
	{ "config doc", "", "the reference of every key (docs/CONFIG.md)" },
};
const unsigned sbctl_n_cmds = sizeof(sbctl_cmds) / sizeof(sbctl_cmds[0]);

/* One row: "  words args" then its help, indented. */
static void help_row(FILE *out, const struct sbctl_cmd *c)
{
	const char *h = c->help;

	fprintf(out, "  %s%s%s\n", c->words, c->args[0] ? " " : "", c->args);
	while (*h != '\0') {
		size_t len = strcspn(h, "\n");

		fprintf(out, "      %.*s\n", (int)len, h);
		h += len + (h[len] == '\n');
	}
}

void sbctl_help_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [-c FILE] [-S SOCKET] COMMAND [ARGS]\n"
		"       %s COMMAND --help | --help | --commands\n"
		"  -c FILE    configuration file (for control.socket)\n"
		"  -S SOCKET  sb-control's socket (default from the configuration)\n"
		"commands:\n",
		prog, prog);
	for (unsigned i = 0; i < sbctl_n_cmds; i++)
		help_row(out, &sbctl_cmds[i]);
	fprintf(out,
		"A password given as '-' or left out is read from stdin: one line, or\n"
		"a prompt without echo when stdin is a terminal. Prefer that to the\n"
		"command line, which other users can see.\n"
		"Exit status: 0 success; 1 sb-control answered an error, health found a\n"
		"fault, or sb-control could not be reached; 2 usage error.\n");
}

/* Whether c's words start with args[0..n) word by word. */
static int help_matches(const struct sbctl_cmd *c, int n, char **args)
{
	const char *w = c->words;

	for (int i = 0; i < n; i++) {
		size_t len = strlen(args[i]);

		if (strncmp(w, args[i], len) != 0 || (w[len] != ' ' && w[len] != '\0'))
			return 0;
		w += len;
		if (*w == '\0')
			return 1; /* further args are the command's own */
		w++;
	}
	return 1;
}

int sbctl_help_command(FILE *out, const char *prog, int n, char **args)
{
	int found = 0;

	for (unsigned i = 0; i < sbctl_n_cmds; i++) {
		if (!help_matches(&sbctl_cmds[i], n, args))
			continue;
		if (!found)
			fprintf(out, "usage: %s [-c FILE] [-S SOCKET] COMMAND [ARGS]\n", prog);
		found = 1;
		help_row(out, &sbctl_cmds[i]);
	}
	return found ? 0 : -1;
}

void sbctl_help_list(FILE *out)
{
	for (unsigned i = 0; i < sbctl_n_cmds; i++)
		fprintf(out, "%s\n", sbctl_cmds[i].words);
}

int sbctl_help_wanted(int n, char **args)
{
	for (int i = 0; i < n; i++)
		if (strcmp(args[i], "--help") == 0)
			return 1;
	return 0;
}
