/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The backlog alarms' feeder (alarm.h), in sb-control: reads every ring's
 * depth, every shard's backlogs and the workers' backlog gauges
 * (dp_counters.def xmpp_held_objs, xmpp_ring_waiters), keeps the worst of
 * each kind and where it is, and updates the alarms from the management
 * thread's loop. The same levels feed `sbctl top`'s ring and backlog
 * columns. Reads other threads' words without locks: a level may be a
 * turn stale, which an alarm does not mind.
 */
#ifndef SB_METRICS_ALARM_WATCH_H
#define SB_METRICS_ALARM_WATCH_H

#include <stdint.h>

#include "alarm.h"

struct sb_metrics_src;

/* The high-water marks' configuration (config_keys.def). */
struct sb_alarm_cfg {
	uint64_t ring_pct;        /* rings.high_water_pct */
	uint64_t backlog;         /* control.backlog */
	uint64_t backlog_pct;     /* control.backlog_high_water_pct */
	uint64_t held_pct;        /* xmpp.held_high_water_pct */
	uint64_t ring_wait;       /* xmpp.ring_wait_high_water */
};

/* The worst level of each kind now, where it is, and its mark. */
struct sb_alarm_levels {
	uint64_t level[SB_ALARM_MAX];
	uint64_t high[SB_ALARM_MAX];
	char where[SB_ALARM_MAX][SB_ALARM_WHERE_MAX];
};

void sb_alarm_levels_read(const struct sb_metrics_src *src, const struct sb_alarm_cfg *cfg,
			  struct sb_alarm_levels *l);

/* Read the levels, update src->alarms, and log each raise that is not
 * rate-limited and each clear on stderr. now_ms: a monotonic clock. */
void sb_alarm_watch(const struct sb_metrics_src *src, const struct sb_alarm_cfg *cfg,
		    uint64_t now_ms);

#endif
