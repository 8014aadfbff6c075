/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See shard_pool.h. Shard threads are plain pthreads; nothing here uses a
 * mempool or an lcore cache. Owner tags: an object on a fill ring is FREE;
 * taken, it is CONTROL; freed, it is FREE again before it goes on a return
 * ring (a worker may put it in the pool the instant it is there), or
 * FREEING while it waits on the pending list.
 */
#include <stdbool.h>
#include <stddef.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "shard_pool.h"

void sb_shard_pool_init(struct sb_shard_pool *p, struct rte_ring *const *fill,
			struct rte_ring *const *ret, unsigned n_workers, uint64_t wait_tsc)
{
	*p = (struct sb_shard_pool){ .n_workers = n_workers, .wait_tsc = wait_tsc };
	for (unsigned w = 0; w < n_workers; w++) {
		p->fill[w] = fill[w];
		p->ret[w] = ret[w];
	}
}

void sb_shard_pool_floor(struct sb_shard_pool *p, unsigned msgs, unsigned pairs)
{
	p->floor = p->n_workers * (sb_pool_fill_size(msgs, pairs) / 4);
}

bool sb_shard_pool_ready(struct sb_shard_pool *p)
{
	unsigned have = 0;

	for (unsigned w = 0; w < p->n_workers && have < p->floor; w++)
		have += rte_ring_count(p->fill[w]);
	if (likely(have >= p->floor))
		return true;
	if (p->low != NULL)
		(*p->low)++;
	return false;
}

static struct sb_msg *pool_take(struct sb_shard_pool *p)
{
	struct sb_msg *m;

	for (unsigned i = 0; i < p->n_workers; i++) {
		unsigned w = (p->fill_at + i) % p->n_workers;

		if (rte_ring_sc_dequeue(p->fill[w], (void **)&m) == 0) {
			p->fill_at = w;
			m->next = NULL;
			m->owner = SB_MSG_OWNER_CONTROL;
			return m;
		}
	}
	return NULL;
}

/* Every fill ring empty: a burst (an offline queue flushed at login, a
 * presence fan-out) can outrun the workers' top-ups, which come once per
 * worker turn. Wait for one, up to wait_tsc; once a wait has failed (the
 * pool itself is low) fail at once until an allocation succeeds again, so
 * a dry pool does not slow the shard to one allocation per wait. */
static struct sb_msg *pool_alloc(void *arg)
{
	struct sb_shard_pool *p = arg;
	struct sb_msg *m = pool_take(p);
	uint64_t deadline;

	if (likely(m != NULL)) {
		p->dry = false;
		return m;
	}
	if (!p->dry && p->wait_tsc > 0) {
		if (p->waited != NULL)
			(*p->waited)++;
		deadline = rte_rdtsc() + p->wait_tsc;
		do {
			rte_pause();
			m = pool_take(p);
			if (m != NULL)
				return m;
		} while (rte_rdtsc() < deadline);
	}
	p->dry = true;
	if (p->empty != NULL)
		(*p->empty)++;
	return NULL;
}

/* Onto the first return ring with room: true, or false with m untouched. */
static bool pool_return(struct sb_shard_pool *p, struct sb_msg *m)
{
	for (unsigned i = 0; i < p->n_workers; i++) {
		unsigned w = (p->ret_at + i) % p->n_workers;

		m->owner = SB_MSG_OWNER_FREE;
		if (likely(rte_ring_sp_enqueue(p->ret[w], m) == 0)) {
			p->ret_at = w;
			return true;
		}
	}
	m->owner = SB_MSG_OWNER_FREEING;
	return false;
}

static void pool_defer(struct sb_shard_pool *p, struct sb_msg *m)
{
	m->owner = SB_MSG_OWNER_FREEING;
	m->next = p->pending;
	p->pending = m;
	p->n_pending++;
	if (p->deferred != NULL)
		(*p->deferred)++;
}

static void pool_free(void *arg, struct sb_msg *m)
{
	struct sb_shard_pool *p = arg;

	/* Behind the pending ones, so they are not passed forever. */
	if (unlikely(p->pending != NULL) || !pool_return(p, m))
		pool_defer(p, m);
}

void sb_shard_pool_ops(struct sb_msg_pool_ops *ops, struct sb_shard_pool *p)
{
	ops->alloc = pool_alloc;
	ops->free = pool_free;
	ops->arg = p;
}

void sb_shard_pool_give_back(struct sb_shard_pool *p, struct sb_msg *chain)
{
	while (chain != NULL) {
		struct sb_msg *next = chain->next;

		pool_free(p, chain);
		chain = next;
	}
}

unsigned sb_shard_pool_flush(struct sb_shard_pool *p)
{
	unsigned moved = 0;

	while (p->pending != NULL) {
		struct sb_msg *m = p->pending, *next = m->next;

		if (!pool_return(p, m))
			break;
		p->pending = next;
		p->n_pending--;
		moved++;
	}
	return moved;
}
