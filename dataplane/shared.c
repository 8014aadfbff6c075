/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Creation of the shared memzone, message pool and rings (see shared.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "counters.h"
#include "log.h"
#include "msg.h"
#include "shared.h"

RTE_LOG_REGISTER(sb_logtype_shared, sb.shared, INFO);

/* Mark every object free once at creation, so the reclaim walk in
 * sb-control never mistakes a never-used object for a held one. */
static void shared_msg_init(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	(void)mp;
	(void)arg;
	(void)idx;
	memset(obj, 0, sizeof(struct sb_msg));
}

static struct rte_ring *shared_ring(const char *kind, unsigned w, unsigned s, unsigned size)
{
	char name[SB_RING_NAME_MAX];
	struct rte_ring *r;

	snprintf(name, sizeof(name), SB_RING_FMT, kind, w, s);
	r = rte_ring_create(name, size, (int)rte_socket_id(),
			    RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (r == NULL)
		SB_LOG(shared, ERR, "ring %s (size %u): %s", name, size, rte_strerror(rte_errno));
	return r;
}

static int shared_rings(struct sb_dp_shared *sh, unsigned n_workers, unsigned n_shards,
			unsigned size, unsigned msgs)
{
	unsigned fill = sb_pool_fill_size(msgs, n_workers * n_shards);
	unsigned ret = sb_pool_ret_size(fill);

	if (!sb_pool_fill_fits(msgs, n_workers * n_shards)) {
		SB_LOG(shared, ERR,
		       "rings.msgs = %u is too small for %u workers x %u shards: a quarter of the "
		       "pool must give each pair %u objects for sb-control; set rings.msgs to at "
		       "least %u",
		       msgs, n_workers, n_shards, SB_POOL_FILL_MIN,
		       SB_POOL_FILL_MIN * n_workers * n_shards * 4);
		return -EINVAL;
	}

	for (unsigned w = 0; w < n_workers; w++) {
		for (unsigned s = 0; s < n_shards; s++) {
			sh->up[w][s] = shared_ring(SB_RING_UP, w, s, size);
			sh->down[w][s] = shared_ring(SB_RING_DOWN, w, s, size);
			sh->fill[w][s] = shared_ring(SB_RING_FILL, w, s, fill);
			sh->ret[w][s] = shared_ring(SB_RING_RET, w, s, ret);
			if (sh->up[w][s] == NULL || sh->down[w][s] == NULL ||
			    sh->fill[w][s] == NULL || sh->ret[w][s] == NULL)
				return -rte_errno;
		}
	}
	return 0;
}

int sb_dp_shared_create(struct sb_dp_shared *sh, const struct sb_config *cfg,
			unsigned n_workers)
{
	const struct rte_memzone *mz;
	unsigned n_shards = (unsigned)cfg->control_shards;
	unsigned ring_size = (unsigned)cfg->rings_size;
	struct sb_shm *shm;

	memset(sh, 0, sizeof(*sh));
	mz = rte_memzone_reserve(SB_SHM_NAME, sizeof(struct sb_shm), (int)rte_socket_id(),
				 RTE_MEMZONE_SIZE_HINT_ONLY);
	if (mz == NULL) {
		SB_LOG(shared, ERR, "memzone %s: %s", SB_SHM_NAME, rte_strerror(rte_errno));
		return -rte_errno;
	}
	shm = mz->addr;
	memset(shm, 0, sizeof(*shm));
	shm->version = SB_SHM_VERSION;
	shm->n_workers = n_workers;
	shm->n_shards = n_shards;
	shm->ring_size = ring_size;
	shm->dp_pid = (int32_t)getpid();
	shm->tsc_hz = rte_get_tsc_hz();
	shm->dp_start_tsc = rte_rdtsc();
	shm->hb_interval_tsc = shm->tsc_hz / 1000 * cfg->rings_heartbeat_ms;
	sh->shm = shm;
	if (sb_dp_counters_describe(shm) < 0) {
		SB_LOG(shared, ERR, "counter directory: more than %d counters", SB_SHM_DIR_MAX);
		return -ENOSPC;
	}

	sh->msg_pool = rte_mempool_create(SB_MSG_POOL_NAME, (unsigned)cfg->rings_msgs,
					  SB_MSG_OBJ_SIZE, 32, 0, NULL, NULL, shared_msg_init,
					  NULL, (int)rte_socket_id(), 0);
	if (sh->msg_pool == NULL) {
		SB_LOG(shared, ERR, "message pool (%llu x %u B): %s",
		       (unsigned long long)cfg->rings_msgs, SB_MSG_OBJ_SIZE,
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	if (shared_rings(sh, n_workers, n_shards, ring_size, (unsigned)cfg->rings_msgs) < 0)
		return -ENOMEM;
	/* The magic last: a secondary that finds it may trust the rest. */
	__atomic_store_n(&shm->magic, SB_SHM_MAGIC, __ATOMIC_RELEASE);
	return 0;
}
