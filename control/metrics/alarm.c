/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See alarm.h.
 */
#include <stdio.h>
#include <string.h>

#include "alarm.h"

const char *const sb_alarm_names[SB_ALARM_MAX] = {
	[SB_ALARM_RING_UP] = "ring_up",
	[SB_ALARM_RING_DOWN] = "ring_down",
	[SB_ALARM_ROUTE_BACKLOG] = "route_backlog",
	[SB_ALARM_IM_BACKLOG] = "im_backlog",
	[SB_ALARM_HELD] = "held",
	[SB_ALARM_RING_WAIT] = "ring_wait",
};

uint64_t sb_alarm_mark(uint64_t cap, uint64_t pct)
{
	uint64_t m = cap / 100 * pct + cap % 100 * pct / 100; /* no overflow near 2^64 */

	return m == 0 ? 1 : m;
}

enum sb_alarm_change sb_alarm_update(struct sb_alarms *as, enum sb_alarm_kind k, uint64_t level,
				     uint64_t high, const char *where, uint64_t now_ms)
{
	struct sb_alarm *a = &as->a[k];

	a->level = level;
	a->high = high;
	if (a->active) {
		/* Cleared below three quarters of the mark (hysteresis). */
		if (high != 0 && level >= high - high / 4)
			return SB_ALARM_SAME;
		a->active = 0;
		return a->quiet ? SB_ALARM_CLEARED_QUIET : SB_ALARM_CLEARED;
	}
	if (high == 0 || level < high)
		return SB_ALARM_SAME;
	a->active = 1;
	a->raised++;
	snprintf(a->where, sizeof(a->where), "%s", where != NULL ? where : "");
	if (a->raised > 1 && now_ms - a->logged_ms < SB_ALARM_LOG_INTERVAL_MS) {
		a->unlogged++;
		a->quiet = 1;
		return SB_ALARM_RAISED_QUIET;
	}
	a->quiet = 0;
	a->logged_ms = now_ms;
	return SB_ALARM_RAISED;
}

unsigned sb_alarm_active(const struct sb_alarms *as, char *buf, size_t size)
{
	unsigned n = 0;
	size_t len = 0;

	if (size > 0)
		buf[0] = '\0';
	for (unsigned k = 0; k < SB_ALARM_MAX; k++) {
		int w;

		if (!as->a[k].active)
			continue;
		w = snprintf(buf + len, size > len ? size - len : 0, "%s%s", n ? "," : "",
			     sb_alarm_names[k]);
		if (w > 0 && len + (size_t)w < size)
			len += (size_t)w;
		else if (len < size)
			buf[len] = '\0'; /* whole names only */
		n++;
	}
	if (n == 0 && size > 1)
		snprintf(buf, size, "-");
	return n;
}
