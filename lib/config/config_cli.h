/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The command line every Switchboard process shares: -c FILE, -s
 * section.key=value (repeatable, applied in order after the file), -p to
 * print the effective configuration, -h. One parser, so the processes
 * cannot drift apart.
 */
#ifndef SB_CONFIG_CLI_H
#define SB_CONFIG_CLI_H

#include <stddef.h>

#include "config.h"

/* Fill cfg from defaults and the command line. Returns -1 when the process
 * should go on; otherwise the exit status it should end with, and out holds
 * what to print (the configuration for -p and the usage for -h on stdout
 * with status 0; the usage or the error on stderr with status 2). prog
 * names the process in messages; extra_usage (may be NULL) is appended to
 * the usage text. getopt's optind is left after the options. */
int sb_config_cli(struct sb_config *cfg, int argc, char **argv, const char *prog,
		  const char *extra_usage, char *out, size_t out_len);

/* The same for a program with keys of its own (ext, see sb_config_extend):
 * they take their defaults first, then the file and overrides like the
 * shared ones, and -p prints them after them. */
int sb_config_cli_ext(struct sb_config *cfg, const struct sb_config_ext *ext, int argc,
		      char **argv, const char *prog, const char *extra_usage, char *out,
		      size_t out_len);

#endif
