/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Threads that check PLAIN passwords for the shards, so a shard's routing
 * never waits for a PBKDF2 derivation. Requests and answers travel through
 * liburcu's wait-free concurrent queues: a shard submits the ring message
 * it was handed (it stays tagged CONTROL, so a crash reclaims it), a thread
 * checks it against the store and queues it on that shard's done queue,
 * and the shard sends the answer down its own ring (it is the ring's only
 * producer). Jobs in flight are bounded by control.auth_queue.
 */
#ifndef SB_CTL_AUTH_POOL_H
#define SB_CTL_AUTH_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <urcu/wfcqueue.h>

struct sb_msg;
struct sb_shard;
struct sb_store;

#define SB_AUTH_THREADS_MAX 16

struct sb_auth_job {
	struct cds_wfcq_node node;
	struct sb_msg *m;
	struct sb_shard *sh;
	int rc;
};

struct sb_auth_pool {
	struct cds_wfcq_head head;   /* requests from every shard */
	struct cds_wfcq_tail tail;
	struct sb_store *store;
	volatile bool *quit;
	uint32_t in_flight;          /* atomic: submitted, not yet collected */
	uint32_t max_in_flight;
	unsigned n;
	pthread_t threads[SB_AUTH_THREADS_MAX];
};

/* Start n threads (1..SB_AUTH_THREADS_MAX). 0 or a negative errno. */
int sb_auth_pool_start(struct sb_auth_pool *p, unsigned n, uint32_t max_in_flight,
		       struct sb_store *store, volatile bool *quit);

/* Join the threads (after *quit is set); queued jobs are dropped with their
 * messages left tagged CONTROL for the next attach to reclaim. */
void sb_auth_pool_stop(struct sb_auth_pool *p);

/* Queue m for a check on behalf of sh. -EBUSY past max_in_flight, -ENOMEM:
 * the caller checks inline instead. */
int sb_auth_pool_submit(struct sb_auth_pool *p, struct sb_shard *sh, struct sb_msg *m);

/* Answers for sh that are ready: send them. Returns how many. */
unsigned sb_router_auth_done(struct sb_shard *sh);

#endif
