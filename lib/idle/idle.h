/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Adaptive idle for a polling loop (as VPP's adaptive mode and DPDK's
 * l3fwd-power do): spin while there is work, back off to short sleeps when
 * the queues stay empty, so pollers can share a small machine honestly.
 */
#ifndef SB_IDLE_H
#define SB_IDLE_H

#include <stdint.h>

/* After `polls_before_sleep` empty turns the loop sleeps, doubling the sleep
 * up to sleep_max_us, and snaps back on any work. */
struct sb_idle {
	uint32_t empty_polls;
	uint32_t polls_before_sleep;
	uint32_t sleep_us;
	uint32_t sleep_max_us;
};

void sb_idle_init(struct sb_idle *idle, uint32_t polls_before_sleep, uint32_t sleep_max_us);

/* Account one loop turn that did `work` units; may sleep. Returns 1 if it
 * slept. Sleeping is the point, so this lives outside the fast-path files.
 * Used by the dataplane workers and the control shards alike. */
int sb_idle_turn(struct sb_idle *idle, unsigned work);

#endif
