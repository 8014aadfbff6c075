/* SPDX-License-Identifier: BSD-3-Clause
 *
 * For test_log_journal.sh: lib/log's sink as the daemons use it, on its
 * own. log_emit TARGET LEVEL MODULE LCORE MESSAGE...: each five-tuple after
 * TARGET (auto, stderr or journal, as log.target) is one record written;
 * LCORE "-" is a plain thread's. Prints the target chosen on stdout
 * ("stderr" too for journal when journald's socket is absent).
 * Exit 0, 1 when a write failed, 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"

static int level_of(const char *name)
{
	for (int l = 0; l < SB_LOG_LEVEL_MAX; l++)
		if (strcmp(name, sb_log_level_name((enum sb_log_level)l)) == 0)
			return l;
	return -1;
}

int main(int argc, char **argv)
{
	struct sb_log_sink sink = { .ident = "sb-log-emit", .main_lcore = 0 };
	struct sb_log_rec rec;
	int rc = 0;

	int trc = argc < 2 ? -EINVAL : sb_log_target_parse(argv[1], &sink.target);

	/* No journald: stderr, as the daemons fall back (-ENOENT). */
	if ((argc - 2) % 4 != 0 || (trc < 0 && trc != -ENOENT)) {
		fprintf(stderr, "usage: log_emit auto|stderr|journal [LEVEL MODULE LCORE MSG]...\n");
		return 2;
	}
	printf("%s\n", sink.target == SB_LOG_TO_JOURNAL ? "journal" : "stderr");
	fflush(stdout);
	for (int i = 2; i + 3 < argc; i += 4) {
		int level = level_of(argv[i]);

		if (level < 0)
			return 2;
		sb_log_rec_set(&rec, (enum sb_log_level)level, argv[i + 1],
			       strcmp(argv[i + 2], "-") == 0 ? SB_LOG_LCORE_NONE
							     : (uint16_t)atoi(argv[i + 2]),
			       argv[i + 3]);
		if (sb_log_sink_write(&sink, &rec) < 0)
			rc = 1;
	}
	return rc != 0 || sink.failed != 0;
}
