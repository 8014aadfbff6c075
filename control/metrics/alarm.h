/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Backlog alarms: every ring, backlog and per-shard queue has a high-water
 * mark from the configuration, and each kind of them one alarm here,
 * fed the worst level among its rings or queues now:
 *
 *   ring_up        worker -> shard rings      rings.high_water_pct of rings.size
 *   ring_down      shard -> worker rings      the same
 *   route_backlog  a shard's delivery backlog to one worker
 *                                             control.backlog_high_water_pct of control.backlog
 *   im_backlog     a shard's backlog to another shard (IM fan-out)   the same
 *   held           messages a worker holds for slow recipients
 *                                             xmpp.held_high_water_pct of its share
 *   ring_wait      connections of a worker paused for ring or pool room
 *                                             xmpp.ring_wait_high_water
 *
 * An alarm is raised when the level reaches its mark and cleared when it
 * falls below three quarters of it: a level hovering at the mark does not
 * flap. Each raise is counted; the first raise in a log interval is to be
 * logged and the others only counted (the caller logs: a library never
 * does). Pure state, no clock and no I/O: sb-control's management thread
 * feeds it (alarm_watch.c), metrics/collect.c exports it (group "alarm"),
 * `sbctl top` shows the active ones.
 */
#ifndef SB_METRICS_ALARM_H
#define SB_METRICS_ALARM_H

#include <stddef.h>
#include <stdint.h>

enum sb_alarm_kind {
	SB_ALARM_RING_UP,
	SB_ALARM_RING_DOWN,
	SB_ALARM_ROUTE_BACKLOG,
	SB_ALARM_IM_BACKLOG,
	SB_ALARM_HELD,
	SB_ALARM_RING_WAIT,
	SB_ALARM_MAX
};

#define SB_ALARM_WHERE_MAX 32
#define SB_ALARM_LOG_INTERVAL_MS 10000u /* one logged raise per alarm per 10 s */

/* One alarm; written by its one feeder, read by the others as words. */
struct sb_alarm {
	uint64_t level;          /* the worst level at the last update */
	uint64_t high;           /* its high-water mark (0: unwatched) */
	uint64_t raised;         /* times it went off */
	uint64_t unlogged;       /* raises not logged (the rate limit) */
	uint64_t logged_ms;      /* when a raise was last logged */
	uint32_t active;         /* 1 while raised */
	uint32_t quiet;          /* raised without a log: its clear is not logged either */
	char where[SB_ALARM_WHERE_MAX]; /* the worst ring or queue when raised */
};

struct sb_alarms {
	struct sb_alarm a[SB_ALARM_MAX];
};

enum sb_alarm_change {
	SB_ALARM_SAME,       /* nothing to say */
	SB_ALARM_RAISED,     /* raised: log it */
	SB_ALARM_RAISED_QUIET, /* raised within the log interval: counted, not logged */
	SB_ALARM_CLEARED,    /* cleared: log it */
	SB_ALARM_CLEARED_QUIET, /* cleared after a quiet raise */
};

/* The alarm's name as exported: "ring_up", ... */
extern const char *const sb_alarm_names[SB_ALARM_MAX];

/* The mark for pct percent of cap, at least 1 (a tiny mark still means
 * "anything waiting"). */
uint64_t sb_alarm_mark(uint64_t cap, uint64_t pct);

/* Feed alarm k its worst level now, with mark high (0: the alarm is off
 * and cleared) and where that level is (copied when it raises). now_ms is
 * any monotonic clock in milliseconds. Returns what changed. */
enum sb_alarm_change sb_alarm_update(struct sb_alarms *as, enum sb_alarm_kind k, uint64_t level,
				     uint64_t high, const char *where, uint64_t now_ms);

/* Alarms active now, and their names joined by commas into buf ("-" when
 * none). */
unsigned sb_alarm_active(const struct sb_alarms *as, char *buf, size_t size);

#endif
