/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-control's messages through lib/log: levelled, rate limited per call
 * site (log.rate_burst per log.rate_interval_ms, the suppressed count told
 * with the next one), to stderr ("LEVEL sb.control: ...") or to journald
 * (log.target) with SB_MODULE=control. sb-control has no DPDK worker
 * lcore: its threads write directly (one write(2) per line).
 */
#ifndef SB_CTL_LOG_H
#define SB_CTL_LOG_H

#include "sb_log.h"

struct sb_config;

#define SB_CLOG(level, fmt, ...)                                                        \
	do {                                                                            \
		static struct sb_log_rl sb_log_rl_; /* this call site's; atomic */     \
		sb_ctl_log(SB_LOG_##level, &sb_log_rl_, fmt, ##__VA_ARGS__);            \
	} while (0)

void sb_ctl_log(enum sb_log_level level, struct sb_log_rl *rl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The target and rate limit from cfg. 0, or -ENOENT when log.target is
 * journal and journald is absent (stderr is used). Before it: stderr. */
int sb_ctl_log_init(const struct sb_config *cfg);

#endif
