/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The rate limiter of one call site (see log.h): a fixed window.
 */
#include "sb_log.h"

bool sb_log_rl_allow(struct sb_log_rl *rl, uint64_t now_ms, uint64_t interval_ms,
		     uint32_t burst, uint32_t *ret_suppressed)
{
	uint64_t start = __atomic_load_n(&rl->window_start_ms, __ATOMIC_RELAXED);

	/* A new window: whoever moves its start resets the count. */
	if (now_ms - start >= interval_ms || start == 0) {
		if (__atomic_compare_exchange_n(&rl->window_start_ms, &start, now_ms ? now_ms : 1,
						false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			__atomic_store_n(&rl->passed, 0, __ATOMIC_RELAXED);
	}
	if (__atomic_fetch_add(&rl->passed, 1, __ATOMIC_RELAXED) >= burst) {
		__atomic_fetch_add(&rl->suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	*ret_suppressed = __atomic_exchange_n(&rl->suppressed, 0, __ATOMIC_RELAXED);
	return true;
}
