/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A worker's log ring (see log.h): one producer, one consumer, fixed-size
 * records copied in and out, head and tail on their own cache lines. Full
 * means drop and count: a worker never waits for the writer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"

struct sb_log_ring *sb_log_ring_new(uint32_t size)
{
	struct sb_log_ring *r;

	if (size < 2 || size > 65536 || (size & (size - 1)) != 0)
		return NULL;
	r = aligned_alloc(64, sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->recs = calloc(size, sizeof(*r->recs));
	if (r->recs == NULL) {
		free(r);
		return NULL;
	}
	r->size = size;
	r->mask = size - 1;
	return r;
}

void sb_log_ring_free(struct sb_log_ring *r)
{
	if (r == NULL)
		return;
	free(r->recs);
	free(r);
}

bool sb_log_ring_push(struct sb_log_ring *r, const struct sb_log_rec *rec)
{
	uint64_t head = r->head;  /* ours alone */
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (head - tail >= r->size) {
		__atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
		return false;
	}
	r->recs[head & r->mask] = *rec;
	/* The record is whole before the consumer may see it. */
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return true;
}

bool sb_log_ring_pop(struct sb_log_ring *r, struct sb_log_rec *out)
{
	uint64_t tail = r->tail;  /* ours alone */
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	if (tail == head)
		return false;
	*out = r->recs[tail & r->mask];
	/* The slot is copied out before the producer may reuse it. */
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

uint64_t sb_log_ring_dropped(const struct sb_log_ring *r)
{
	return __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
}
