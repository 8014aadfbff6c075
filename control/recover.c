/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See recover.h. Pointers between objects of one chain are the same in
 * both processes (DPDK maps the shared memory at the same address), but
 * they were written by a process that died at an arbitrary instruction, so
 * a chain is followed only through objects the scan itself found tagged
 * CONTROL, at most SB_MSG_CHAIN_MAX of them, and its stanza header is
 * checked against its length (sb_msg_stanza_read) before it is kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mempool.h>

#include "msg.h"
#include "recover.h"

struct scan {
	struct sb_msg **obj;    /* the predecessor's objects, sorted by address */
	uint8_t *mark;          /* 1: a continuation, 2: kept */
	uint32_t n, cap;
	struct sb_recover *out;
};

/* Not into the pool: sb-control never touches its ring (shard_pool.h). */
static void scan_free(struct sb_recover *out, struct sb_msg *m)
{
	m->owner = SB_MSG_OWNER_FREEING;
	m->next = out->reclaim;
	out->reclaim = m;
	out->reclaimed++;
}

static void scan_one(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct scan *s = arg;
	struct sb_msg *m = obj;

	(void)mp;
	(void)idx;
	if (m->owner == SB_MSG_OWNER_FREEING)
		scan_free(s->out, m); /* freed, waiting for a return ring: never a stanza */
	else if (m->owner == SB_MSG_OWNER_CONTROL && s->n < s->cap)
		s->obj[s->n++] = m;
}

static int by_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct sb_msg *const *)a, y = (uintptr_t)*(struct sb_msg *const *)b;

	return x < y ? -1 : x > y;
}

static int by_age(const void *a, const void *b)
{
	uint64_t x = (*(struct sb_msg *const *)a)->t0_tsc, y = (*(struct sb_msg *const *)b)->t0_tsc;

	return x < y ? -1 : x > y;
}

static long scan_find(const struct scan *s, const struct sb_msg *m)
{
	long lo = 0, hi = (long)s->n - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;

		if (s->obj[mid] == m)
			return mid;
		if ((uintptr_t)s->obj[mid] < (uintptr_t)m)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Whether the chain at head is whole (every object ours, not too long)
 * and a stanza or delivery that reads back. */
static bool scan_keep(const struct scan *s, struct sb_msg *head, unsigned n_workers,
		      unsigned n_shards)
{
	struct sb_msg_stanza st;
	unsigned len = 1;

	if (sb_msg_decode(head, n_workers, n_shards) != SB_MSG_OK ||
	    (head->kind != SB_MSG_STANZA && head->kind != SB_MSG_DELIVER))
		return false;
	for (struct sb_msg *o = head->next; o != NULL; o = o->next)
		if (++len > SB_MSG_CHAIN_MAX || scan_find(s, o) < 0)
			return false;
	return sb_msg_stanza_read(head, &st) == 0;
}

int sb_recover_scan(struct rte_mempool *mp, unsigned n_workers, unsigned n_shards,
		    struct sb_recover *out)
{
	struct scan s = { .cap = mp->size, .out = out };

	memset(out, 0, sizeof(*out));
	s.obj = malloc(s.cap * sizeof(s.obj[0]));
	s.mark = calloc(s.cap, 1);
	out->heads = malloc(s.cap * sizeof(out->heads[0]));
	if (s.obj == NULL || s.mark == NULL || out->heads == NULL) {
		free(s.obj);
		free(s.mark);
		free(out->heads);
		out->heads = NULL;
		return -ENOMEM;
	}
	rte_mempool_obj_iter(mp, scan_one, &s);
	qsort(s.obj, s.n, sizeof(s.obj[0]), by_addr);
	for (uint32_t i = 0; i < s.n; i++) {
		long j = s.obj[i]->next != NULL ? scan_find(&s, s.obj[i]->next) : -1;

		if (j >= 0)
			s.mark[j] = 1;
	}
	for (uint32_t i = 0; i < s.n; i++) {
		if (s.mark[i] == 1)
			continue;
		if (!scan_keep(&s, s.obj[i], n_workers, n_shards)) {
			out->bad_chains += s.obj[i]->kind == SB_MSG_STANZA;
			continue;
		}
		out->heads[out->n++] = s.obj[i];
		for (struct sb_msg *o = s.obj[i]; o != NULL; o = o->next)
			s.mark[scan_find(&s, o)] = 2;
	}
	for (uint32_t i = 0; i < s.n; i++) {
		if (s.mark[i] == 2)
			continue;
		scan_free(out, s.obj[i]);
	}
	qsort(out->heads, out->n, sizeof(out->heads[0]), by_age);
	free(s.obj);
	free(s.mark);
	return 0;
}
