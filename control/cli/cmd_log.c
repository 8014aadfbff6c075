/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_log.h.
 */
#include <string.h>
#include <time.h>

#include "cmd_log.h"

static const char *const log_names[] = {
	NULL, "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

#define LOG_N (sizeof(log_names) / sizeof(log_names[0]))

unsigned sb_cmd_log_level_parse(const char *name)
{
	for (unsigned i = 1; i < LOG_N; i++)
		if (strcmp(name, log_names[i]) == 0)
			return i;
	return 0;
}

static const char *log_name(uint32_t level)
{
	return level > 0 && level < LOG_N ? log_names[level] : "unknown";
}

void sb_cmd_log_run(struct sb_shm *shm, const char *args, struct sb_out *o)
{
	struct sb_shm_log *l = &shm->log;
	unsigned want;

	if (strcmp(args, "level") == 0) {
		sb_out_printf(o, "ok\n%s\n", log_name(__atomic_load_n(&l->current, __ATOMIC_ACQUIRE)));
		return;
	}
	if (strncmp(args, "level ", 6) != 0) {
		sb_out_printf(o, "error: usage: log level [emerg|alert|crit|err|warning|notice|"
				 "info|debug]\n");
		return;
	}
	want = sb_cmd_log_level_parse(args + 6);
	if (want == 0) {
		sb_out_printf(o, "error: usage: log level: one of emerg, alert, crit, err, warning, "
				 "notice, info, debug\n");
		return;
	}
	__atomic_store_n(&l->requested, want, __ATOMIC_RELEASE);
	/* The main lcore looks every 100 ms; wait for it so the answer is true. */
	for (int i = 0; i < 20 && __atomic_load_n(&l->current, __ATOMIC_ACQUIRE) != want; i++) {
		const struct timespec nap = { .tv_sec = 0, .tv_nsec = 50 * 1000 * 1000 };

		nanosleep(&nap, NULL);
	}
	if (__atomic_load_n(&l->current, __ATOMIC_ACQUIRE) != want)
		sb_out_printf(o, "error: sb-dataplane did not take the level within 1 s\n");
	else
		sb_out_printf(o, "ok\n%s\n", log_names[want]);
}
