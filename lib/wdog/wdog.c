/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See wdog.h.
 */
#include <string.h>

#include "wdog.h"

void sb_wdog_init(struct sb_wdog *wd, unsigned n, uint64_t interval_ms, const uint64_t *progress,
		  uint64_t now_ms)
{
	memset(wd, 0, sizeof(*wd));
	wd->n = n < SB_WDOG_LOOPS_MAX ? n : SB_WDOG_LOOPS_MAX;
	wd->interval_ms = interval_ms;
	wd->next_ms = now_ms + interval_ms;
	if (progress != NULL)
		memcpy(wd->seen, progress, wd->n * sizeof(wd->seen[0]));
}

bool sb_wdog_due(struct sb_wdog *wd, const uint64_t *progress, uint64_t now_ms)
{
	bool all_moved = true;

	if (wd->interval_ms == 0 || now_ms < wd->next_ms)
		return false;
	for (unsigned i = 0; i < wd->n; i++) {
		if (progress[i] == wd->seen[i]) {
			all_moved = false;
			wd->last_stuck = i;
		}
		wd->seen[i] = progress[i];
	}
	wd->next_ms = now_ms + wd->interval_ms;
	if (all_moved)
		wd->pings++;
	else
		wd->withheld++;
	return all_moved;
}
