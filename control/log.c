/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "log.h"

static struct {
	struct sb_log_sink sink;
	uint64_t interval_ms;
	uint32_t burst;
} cl = {
	.sink = { .target = SB_LOG_TO_STDERR, .ident = "sb-control",
		  .main_lcore = SB_LOG_LCORE_NONE },
	.interval_ms = 5000,
	.burst = 10,
};

int sb_ctl_log_init(const struct sb_config *cfg)
{
	enum sb_log_target t = SB_LOG_TO_STDERR;
	int rc = sb_log_target_parse(cfg->log_target, &t);

	cl.sink.target = t;
	cl.interval_ms = cfg->log_rate_interval_ms;
	cl.burst = (uint32_t)cfg->log_rate_burst;
	return rc;
}

void sb_ctl_log(enum sb_log_level level, struct sb_log_rl *rl, const char *fmt, ...)
{
	struct sb_log_rec rec;
	struct timespec ts;
	uint32_t suppressed = 0;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!sb_log_rl_allow(rl, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
			     cl.interval_ms, cl.burst, &suppressed))
		return;
	va_start(ap, fmt);
	sb_log_rec_vformat(&rec, level, "control", SB_LOG_LCORE_NONE, suppressed, fmt, ap);
	va_end(ap);
	sb_log_sink_write(&cl.sink, &rec);
}
