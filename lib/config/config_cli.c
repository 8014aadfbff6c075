/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See config_cli.h.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "config_cli.h"

static int cli_usage(const char *prog, const char *extra, char *out, size_t len, int status)
{
	snprintf(out, len,
		 "usage: %s [-c FILE] [-s section.key=value]... [-p]\n"
		 "  -c FILE   configuration file (default: built-in defaults)\n"
		 "  -s K=V    override one key after the file, e.g. -s control.shards=2\n"
		 "  -p        print the effective configuration and exit\n"
		 "%s",
		 prog, extra != NULL ? extra : "");
	return status;
}

int sb_config_cli(struct sb_config *cfg, int argc, char **argv, const char *prog,
		  const char *extra_usage, char *out, size_t out_len)
{
	return sb_config_cli_ext(cfg, NULL, argc, argv, prog, extra_usage, out, out_len);
}

int sb_config_cli_ext(struct sb_config *cfg, const struct sb_config_ext *ext, int argc,
		      char **argv, const char *prog, const char *extra_usage, char *out,
		      size_t out_len)
{
	struct sb_config_error err = { 0 };
	bool print = false;
	int opt;

	sb_config_defaults(cfg);
	if (ext != NULL && sb_config_extend(cfg, ext) < 0) {
		snprintf(out, out_len, "%s: config: its own keys clash with the shared ones\n", prog);
		return 2;
	}
	optind = 1;
	while ((opt = getopt(argc, argv, "+c:s:ph")) != -1) {
		int rc = 0;

		if (opt == 'c')
			rc = sb_config_load(cfg, optarg, &err);
		else if (opt == 's')
			rc = sb_config_override(cfg, optarg, &err);
		else if (opt == 'p')
			print = true;
		else
			return cli_usage(prog, extra_usage, out, out_len, opt == 'h' ? 0 : 2);
		if (rc < 0) {
			if (err.line != 0)
				snprintf(out, out_len, "%s: config line %u: %s\n", prog, err.line,
					 err.msg);
			else
				snprintf(out, out_len, "%s: config: %s\n", prog, err.msg);
			return 2;
		}
	}
	if (sb_config_check(cfg, &err) < 0) {
		snprintf(out, out_len, "%s: config: %s\n", prog, err.msg);
		return 2;
	}
	if (print) {
		sb_config_dump(cfg, out, out_len);
		return 0;
	}
	return -1;
}
