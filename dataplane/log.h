/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One DPDK log type per dataplane module ("sb.<module>"), so an operator
 * can raise one module's level with --log-level=sb.port:debug (or sbctl log
 * level). Never used per packet: the hot path counts instead.
 *
 * SB_LOG goes through lib/log (log.c): each call site is rate limited
 * (log.rate_burst per log.rate_interval_ms, the suppressed count told with
 * the next message); on a worker lcore the record goes into that lcore's
 * ring and never waits (full: dropped, counter log_dropped); elsewhere it
 * is written at once to stderr or journald (log.target). DPDK's own
 * messages take the same way through the log stream log.c installs.
 */
#ifndef SB_DP_LOG_H
#define SB_DP_LOG_H

#include <stdint.h>

#include <rte_log.h>

#include "sb_log.h"

struct sb_config;

extern int sb_logtype_main;
extern int sb_logtype_port;
extern int sb_logtype_shared;
extern int sb_logtype_tls;

/* The call site's limiter is a static: several lcores may share it, which
 * lib/log's limiter allows (atomic fields). */
#define SB_LOG(type, level, fmt, ...)                                                   \
	do {                                                                            \
		static struct sb_log_rl sb_log_rl_;                                    \
		sb_dp_log(sb_logtype_##type, RTE_LOG_##level, #type, &sb_log_rl_, fmt, \
			  ##__VA_ARGS__);                                               \
	} while (0)

/* Log one message (use SB_LOG). rte_level is DPDK's (RTE_LOG_ERR...). */
void sb_dp_log(int logtype, uint32_t rte_level, const char *module, struct sb_log_rl *rl,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* After rte_eal_init, on the main lcore: the target, the rate limit, a ring
 * per worker lcore, and DPDK's log stream through us. ident names the
 * process in the journal. 0 or a negative errno (the logs then stay on
 * stderr, unlimited rings absent: workers write directly). */
int sb_dp_log_init(const struct sb_config *cfg, const char *ident);

/* The main lcore's turn: write what the workers queued, at most budget
 * records per ring, and tell new drops once. Returns the records written. */
unsigned sb_dp_log_drain(unsigned budget);

/* Where worker lcore's drops are counted (its per-worker counters), or
 * NULL. */
void sb_dp_log_set_counter(unsigned lcore, uint64_t *ctr);

#endif
