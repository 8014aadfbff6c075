/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the primary creates for both processes: the shared-state memzone,
 * the message pool and, per (worker, shard) pair, one SPSC ring each way
 * for messages and one each way for sb-control's message objects.
 * Created once at start-up and never freed while the dataplane runs, so a
 * restarting sb-control always finds them by name.
 */
#ifndef SB_DP_SHARED_H
#define SB_DP_SHARED_H

#include "config.h"
#include "shm.h"

struct rte_mempool;
struct rte_ring;

struct sb_dp_shared {
	struct sb_shm *shm;
	struct rte_mempool *msg_pool;
	struct rte_ring *up[SB_MAX_WORKERS][SB_MAX_SHARDS];
	struct rte_ring *down[SB_MAX_WORKERS][SB_MAX_SHARDS];
	struct rte_ring *fill[SB_MAX_WORKERS][SB_MAX_SHARDS];
	struct rte_ring *ret[SB_MAX_WORKERS][SB_MAX_SHARDS];
};

/* Returns 0 or a negative errno (-EEXIST: another primary runs with this
 * file prefix; -ENOMEM: hugepages too small). Logs what failed. */
int sb_dp_shared_create(struct sb_dp_shared *sh, const struct sb_config *cfg,
			unsigned n_workers);

#endif
