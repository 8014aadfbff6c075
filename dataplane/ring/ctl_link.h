/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker's side of the rings to sb-control: it produces on its up ring
 * to every shard and consumes its down ring from every shard (both SPSC).
 */
#ifndef SB_DP_CTL_LINK_H
#define SB_DP_CTL_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "worker.h"

#define SB_CTL_LINK_BURST 32 /* messages per ring per loop turn: bounded work */

/* Drain the down rings; returns the number of messages handled. */
unsigned sb_ctl_link_poll(struct sb_worker *w, uint64_t now_tsc);

/* Send this worker's heartbeat to every shard when it is due. */
void sb_ctl_link_heartbeat(struct sb_worker *w, uint64_t now_tsc);

/* Whether sb-control refreshed its liveness stamp recently enough. */
bool sb_ctl_link_attached(const struct sb_worker *w, uint64_t now_tsc);

#endif
