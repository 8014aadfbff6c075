/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The idle back-off. Sleeps start at 1 us and double to the configured cap,
 * so a burst after a quiet spell waits at most sleep_max_us, and a loaded
 * loop never sleeps at all.
 */
#include <time.h>

#include "idle.h"

void sb_idle_init(struct sb_idle *idle, uint32_t polls_before_sleep, uint32_t sleep_max_us)
{
	idle->empty_polls = 0;
	idle->polls_before_sleep = polls_before_sleep;
	idle->sleep_us = 0;
	idle->sleep_max_us = sleep_max_us;
}

int sb_idle_turn(struct sb_idle *idle, unsigned work)
{
	struct timespec ts;

	if (work != 0) {
		idle->empty_polls = 0;
		idle->sleep_us = 0;
		return 0;
	}
	if (++idle->empty_polls < idle->polls_before_sleep || idle->sleep_max_us == 0)
		return 0;
	idle->sleep_us = idle->sleep_us == 0 ? 1 : idle->sleep_us * 2;
	if (idle->sleep_us > idle->sleep_max_us)
		idle->sleep_us = idle->sleep_max_us;
	ts.tv_sec = idle->sleep_us / 1000000;
	ts.tv_nsec = (long)(idle->sleep_us % 1000000) * 1000;
	nanosleep(&ts, NULL);
	return 1;
}
