/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker's side of the rings to sb-control: it produces on its up ring
 * to every shard and consumes its down ring from every shard (both SPSC).
 */
#ifndef SB_DP_CTL_LINK_H
#define SB_DP_CTL_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "worker.h"

#define SB_CTL_LINK_BURST 32 /* messages per ring per loop turn: bounded work */

/* Drain the down rings; returns the number of messages handled. */
unsigned sb_ctl_link_poll(struct sb_worker *w, uint64_t now_tsc);

/* Send this worker's heartbeat to every shard when it is due. */
void sb_ctl_link_heartbeat(struct sb_worker *w, uint64_t now_tsc);

/* Hand m (a chain, tagged DATAPLANE) to shard. 0, or m stays the caller's:
 * -ENOTCONN when sb-control is not attached, -ENOBUFS when the ring is full. */
int sb_ctl_link_send(struct sb_worker *w, unsigned shard, struct sb_msg *m, uint64_t now_tsc);

/* lib/msg's pool access over the shared message pool. */
struct rte_mempool;
void sb_ctl_link_pool_ops(struct sb_msg_pool_ops *ops, struct rte_mempool *mp);

/* Whether sb-control refreshed its liveness stamp recently enough. */
bool sb_ctl_link_attached(const struct sb_worker *w, uint64_t now_tsc);

#endif
