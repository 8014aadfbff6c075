/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker's service of sb-control's message objects (lib/msg/shm.h):
 * sb-control never touches the shared message pool, so each worker keeps
 * its fill ring to every shard topped up from the pool and puts back what
 * the shard left on its return ring. The worker is the only consumer of
 * the return rings and the only producer of the fill rings, so none of
 * this waits on sb-control, alive or killed.
 */
#ifndef SB_DP_CTL_POOL_H
#define SB_DP_CTL_POOL_H

#include "worker.h"

#define SB_CTL_POOL_BURST 128u /* objects moved per ring per turn: bounded work */

/* Once per loop turn: drain the return rings into the pool, top the fill
 * rings up. Returns the number of objects moved (0: nothing to do). */
unsigned sb_ctl_pool_serve(struct sb_worker *w);

#endif
