/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Attaching sb-control to a running sb-dataplane: find the shared state,
 * pool and rings by name, refuse to run beside another live sb-control,
 * and reclaim what a dead predecessor held. After sb_attach() the caller
 * owns the consumer side of every up ring and the producer side of every
 * down ring.
 */
#ifndef SB_CTL_ATTACH_H
#define SB_CTL_ATTACH_H

#include <stdint.h>

#include "recover.h"
#include "shm.h"

struct rte_mempool;
struct rte_ring;

struct sb_attach {
	struct sb_shm *shm;
	struct rte_mempool *msg_pool;
	struct rte_ring *up[SB_MAX_WORKERS][SB_MAX_SHARDS];
	struct rte_ring *down[SB_MAX_WORKERS][SB_MAX_SHARDS];
	struct rte_ring *fill[SB_MAX_WORKERS][SB_MAX_SHARDS]; /* shard_pool.h */
	struct rte_ring *ret[SB_MAX_WORKERS][SB_MAX_SHARDS];
	uint32_t epoch;        /* this attach's epoch */
	uint64_t reclaimed;    /* objects freed that a dead sb-control held */
	struct sb_msg *reclaim; /* those objects, linked by next, for a shard to give back */
	struct sb_recover recovered; /* its unfinished chains, for the shards */
};

/* Returns 0, -ENOENT (no dataplane shared state: is sb-dataplane running?),
 * -EPROTO (shared state of another version), -EBUSY (another sb-control is
 * alive) or -EINVAL (config asks for more shards than the dataplane made
 * rings for). Writes a one-line reason into why. */
int sb_attach(struct sb_attach *a, unsigned n_shards, char *why, size_t why_len);

/* Mark sb-control as gone (clean exit) so the dataplane stops sending to
 * it at once instead of waiting for the liveness stamp to age. */
void sb_detach(struct sb_attach *a);

/* Whether the dataplane that owns the shared state is still alive. */
int sb_attach_dataplane_alive(const struct sb_attach *a);

#endif
