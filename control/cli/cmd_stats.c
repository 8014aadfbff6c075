/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_stats.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "attach.h"
#include "cmd_stats.h"
#include "metrics/collect.h"
#include "metrics/expo.h"
#include "metrics/health.h"

static void cmd_stats(const struct sb_cli_commands *cc, const char *args, struct sb_out *o)
{
	struct sb_expo e;
	enum sb_expo_format f;

	if (args[0] == '\0')
		f = SB_EXPO_TEXT;
	else if (strcmp(args, "--json") == 0)
		f = SB_EXPO_JSON;
	else {
		sb_out_printf(o, "error: usage: stats [--json]\n");
		return;
	}
	sb_out_printf(o, "ok\n");
	sb_expo_begin(&e, o, f);
	sb_metrics_collect(cc->metrics, sb_expo_sample, &e);
	sb_expo_end(&e);
}

static void cmd_health(const struct sb_cli_commands *cc, const char *args, struct sb_out *o)
{
	const struct sb_attach *a = cc->attach;
	uint64_t max_age = sb_health_default_max_age_tsc(a->shm);
	char why[160];

	if (args[0] != '\0') {
		char *end;
		double s;

		errno = 0;
		s = strtod(args, &end);
		if (*end != '\0' || errno != 0 || !(s > 0 && s <= 3600)) {
			sb_out_printf(o, "error: usage: health [MAX_AGE_SECONDS] (0 < s <= 3600)\n");
			return;
		}
		max_age = (uint64_t)(s * (double)a->shm->tsc_hz);
	}
	if (cc->shards == NULL) {
		sb_out_printf(o, "error: unhealthy: sb-control's shards are not running\n");
		return;
	}
	if (sb_health_check(a->shm, a->epoch, cc->n_shards, sb_attach_dataplane_alive(a),
			    rte_rdtsc(), max_age, why, sizeof(why)) < 0) {
		sb_out_printf(o, "error: unhealthy: %s\n", why);
		return;
	}
	sb_out_printf(o, "ok\nhealthy: dataplane pid %d (%u workers), control epoch %u (%u shards), "
			 "every ring pair moving\n",
		      a->shm->dp_pid, a->shm->n_workers, a->epoch, cc->n_shards);
}

void sb_cmd_stats_run(const struct sb_cli_commands *cc, const char *cmd, const char *args,
		      struct sb_out *o)
{
	if (cc->metrics == NULL) {
		sb_out_printf(o, "error: %s: not available yet\n", cmd);
		return;
	}
	if (strcmp(cmd, "stats") == 0)
		cmd_stats(cc, args, o);
	else
		cmd_health(cc, args, o);
}
