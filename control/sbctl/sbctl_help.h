/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sbctl's command table: every command's words, arguments and one-line
 * help, printed by `sbctl --help`, by `sbctl COMMAND... --help` (without
 * reaching sb-control) and, as bare command paths, by `sbctl --commands`
 * for the bash completion (etc/bash-completion/sbctl). A command sbctl
 * forwards to sb-control is one row here; adding a row is all the help and
 * the completion need.
 *
 * Exit status of sbctl (docs/OPERATIONS.md): 0 success (sb-control said
 * "ok", `health` healthy, help printed); 1 sb-control answered an error,
 * `health` found a fault, or sb-control could not be reached (one line on
 * stderr); 2 usage error (unknown command or option, bad arguments sbctl
 * checks itself).
 */
#ifndef SB_SBCTL_HELP_H
#define SB_SBCTL_HELP_H

#include <stdio.h>

struct sbctl_cmd {
	const char *words;  /* "user add": the command path */
	const char *args;   /* "JID [PASSWORD|-]", or "" */
	const char *help;   /* one line, or several joined by \n */
};

extern const struct sbctl_cmd sbctl_cmds[];
extern const unsigned sbctl_n_cmds;

/* The whole usage: options, then every command. */
void sbctl_help_usage(FILE *out, const char *prog);

/* Help for the command args[0..n) names (a command path, or a prefix of
 * several: "user" lists every user command). 0 when printed, -1 when no
 * command starts so (nothing printed). */
int sbctl_help_command(FILE *out, const char *prog, int n, char **args);

/* Every command path, one per line (for completion). */
void sbctl_help_list(FILE *out);

/* Whether args[0..n) contains "--help" (after the command; not "-h",
 * which may be a password). */
int sbctl_help_wanted(int n, char **args);

#endif
