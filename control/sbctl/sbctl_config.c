/* SPDX-License-Identifier: BSD-3-Clause
 *
 * "sbctl config check FILE", like prosodyctl check: the same loading and
 * cross-key checks sb-dataplane and sb-control run at start, so a file it
 * passes is one they accept, and what it reports is what they would print
 * when refusing it.
 */
#include <errno.h>
#include <stdlib.h>

#include "config.h"
#include "sbctl_config.h"

int sbctl_config_check(const char *path, FILE *out, FILE *err)
{
	/* Static-sized but about 10 KB: not for the stack of a CLI that may
	 * grow callers. */
	struct sb_config *cfg = malloc(sizeof(*cfg));
	struct sb_config_report *rep = calloc(1, sizeof(*rep));
	unsigned n;
	char line[512];
	int rc;

	if (cfg == NULL || rep == NULL) {
		fprintf(err, "sbctl: out of memory\n");
		free(cfg);
		free(rep);
		return 1;
	}
	sb_config_defaults(cfg);
	/* A file that cannot be read has no keys worth cross-checking. */
	rc = sb_config_load_all(cfg, path, rep);
	if (rc == 0 || rc == -EINVAL)
		sb_config_check_all(cfg, rep);
	n = rep->n < SB_CONFIG_REPORT_MAX ? rep->n : SB_CONFIG_REPORT_MAX;
	for (unsigned i = 0; i < n; i++) {
		struct sb_config_error e = rep->err[i];

		/* A relation broken by defaults alone still concerns this file. */
		if (e.file == NULL)
			e.file = path;
		sb_config_error_str(&e, line, sizeof(line));
		fprintf(err, "%s\n", line);
	}
	if (rep->n > n)
		fprintf(err, "%s: %u more errors\n", path, rep->n - n);
	if (rep->n == 0)
		fprintf(out, "%s: ok\n", path);
	n = rep->n;
	free(cfg);
	free(rep);
	return n == 0 ? 0 : 1;
}
