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

/* Every error of rep into out, one per line: "FILE:LINE: message" for a
 * file's (as "sbctl config check" prints them), "prog: config: message"
 * for an override's. */
static int cli_errors(const struct sb_config_report *rep, const char *prog, char *out,
		      size_t out_len)
{
	size_t used = 0;
	unsigned n = rep->n < SB_CONFIG_REPORT_MAX ? rep->n : SB_CONFIG_REPORT_MAX;

	for (unsigned i = 0; i < n && used < out_len; i++) {
		const struct sb_config_error *e = &rep->err[i];
		int w;

		if (e->file != NULL)
			w = sb_config_error_str(e, out + used, out_len - used);
		else
			w = snprintf(out + used, out_len - used, "%s: config: %s", prog, e->msg);
		used += w > 0 ? (size_t)w : 0;
		if (used < out_len)
			used += (size_t)snprintf(out + used, out_len - used, "\n");
	}
	if (rep->n > n && used < out_len)
		snprintf(out + used, out_len - used, "%s: config: %u more errors\n", prog,
			 rep->n - n);
	return 2;
}

int sb_config_cli_ext(struct sb_config *cfg, const struct sb_config_ext *ext, int argc,
		      char **argv, const char *prog, const char *extra_usage, char *out,
		      size_t out_len)
{
	struct sb_config_report rep = { 0 };
	bool print = false;
	int opt;

	sb_config_defaults(cfg);
	if (ext != NULL && sb_config_extend(cfg, ext) < 0) {
		snprintf(out, out_len, "%s: config: its own keys clash with the shared ones\n", prog);
		return 2;
	}
	optind = 1;
	while ((opt = getopt(argc, argv, "+c:s:ph")) != -1) {
		/* Go on past a bad file or override: the operator sees every
		 * error at once, then the process refuses to start. */
		if (opt == 'c')
			sb_config_load_all(cfg, optarg, &rep);
		else if (opt == 's')
			sb_config_override_all(cfg, optarg, &rep);
		else if (opt == 'p')
			print = true;
		else
			return cli_usage(prog, extra_usage, out, out_len, opt == 'h' ? 0 : 2);
	}
	if (sb_config_check_all(cfg, &rep) < 0 || rep.n > 0)
		return cli_errors(&rep, prog, out, out_len);
	if (print) {
		sb_config_dump(cfg, out, out_len);
		return 0;
	}
	return -1;
}
