/* SPDX-License-Identifier: BSD-3-Clause
 *
 * When a process may tell its supervisor (systemd's WATCHDOG=1) that it is
 * well: only while every loop that does its work keeps turning. The main
 * thread that sends the pings is not the one that can wedge; a worker lcore
 * or a control shard is. So the pinger reads each loop's progress count (a
 * counter only that loop increments) and, once per interval, pings only if
 * every count moved since the previous interval. One loop stuck for a whole
 * interval costs one ping; the supervisor acts after its own timeout
 * (systemd: WatchdogSec, with the interval at half of it).
 *
 * Pure: counts and times come from the caller. No locks: one pinger.
 */
#ifndef SB_WDOG_H
#define SB_WDOG_H

#include <stdbool.h>
#include <stdint.h>

#define SB_WDOG_LOOPS_MAX 64

struct sb_wdog {
	unsigned n;                     /* loops watched */
	uint64_t interval_ms;           /* 0: off */
	uint64_t next_ms;               /* next verdict */
	uint64_t seen[SB_WDOG_LOOPS_MAX]; /* each loop's count at the last verdict */
	uint64_t pings;                 /* verdicts that allowed a ping */
	uint64_t withheld;              /* verdicts that did not: a loop stood still */
	unsigned last_stuck;            /* the loop that stood still last */
};

/* Watch n loops (at most SB_WDOG_LOOPS_MAX), judged every interval_ms from
 * now_ms; 0 disables. progress: the counts now. */
void sb_wdog_init(struct sb_wdog *wd, unsigned n, uint64_t interval_ms, const uint64_t *progress,
		  uint64_t now_ms);

/* Whether to ping now: true once per interval when every progress[i]
 * differs from the last verdict's. Call as often as convenient. */
bool sb_wdog_due(struct sb_wdog *wd, const uint64_t *progress, uint64_t now_ms);

#endif
