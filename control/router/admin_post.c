/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The management thread's half of admin.h: making, posting, waiting for
 * and releasing requests. No DPDK and no shard state is touched here, so
 * the CLI's unit tests link this file alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "router.h"

struct sb_admin_req *sb_admin_req_new(enum sb_admin_op op, uint32_t cap)
{
	struct sb_admin_req *req;

	if (op <= 0 || op >= SB_ADMIN_OP_MAX || cap > SB_ADMIN_ROWS_MAX)
		return NULL;
	req = calloc(1, sizeof(*req) + (size_t)cap * sizeof(req->rows[0]));
	if (req == NULL)
		return NULL;
	cds_wfcq_node_init(&req->node);
	req->op = (uint8_t)op;
	req->cap = cap;
	req->refs = 1;
	return req;
}

int sb_admin_post(struct sb_router *r, struct sb_admin_req *req)
{
	if (__atomic_load_n(&r->admin_pending, __ATOMIC_RELAXED) >= SB_ADMIN_PENDING_MAX) {
		/* The shard writes every other counter; this one is the poster's. */
		__atomic_fetch_add(&r->ctr[SB_ROUTE_CTR_admin_queue_full], 1, __ATOMIC_RELAXED);
		return -EBUSY;
	}
	__atomic_fetch_add(&req->refs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->admin_pending, 1, __ATOMIC_RELAXED);
	cds_wfcq_enqueue(&r->admin_head, &r->admin_tail, &req->node);
	return 0;
}

bool sb_admin_done(const struct sb_admin_req *req)
{
	return __atomic_load_n(&req->done, __ATOMIC_ACQUIRE) != 0;
}

static uint64_t admin_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int sb_admin_wait(struct sb_admin_req *const *reqs, unsigned n, unsigned timeout_ms)
{
	/* A shard answers within a loop turn or two; polling every 200 us
	 * keeps an operator's command quick without a condition variable,
	 * which the shard would have to signal from its lock-free loop. */
	const struct timespec nap = { .tv_sec = 0, .tv_nsec = 200 * 1000 };
	uint64_t deadline = admin_now_ms() + timeout_ms;

	for (;;) {
		unsigned done = 0;

		for (unsigned i = 0; i < n; i++)
			done += reqs[i] == NULL || sb_admin_done(reqs[i]);
		if (done == n)
			return 0;
		if (admin_now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

void sb_admin_put(struct sb_admin_req *req)
{
	if (req != NULL && __atomic_sub_fetch(&req->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(req);
}
