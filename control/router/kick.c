/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ending every session of an account from outside the shard that owns it:
 * `sbctl user del` and `user passwd` run on sb-control's management thread,
 * while the session table belongs to the shard thread alone (lock free, no
 * shared access). The management thread therefore posts "kick all sessions
 * of bare JID X for reason R" on the owning shard's liburcu wait-free queue
 * (as auth_pool.c does for PLAIN answers), and the shard drains it in its
 * loop, sending SB_MSG_KICK with status R to each session's worker, which
 * closes the stream with the error R names (lib/msg's enum sb_msg_kick).
 * The session entries go when the workers' UNBINDs arrive, as for any
 * other close. Pending requests per shard are bounded (SB_KICK_PENDING_MAX).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "shard.h"

struct sb_kick_job {
	struct cds_wfcq_node node;
	int16_t status;   /* enum sb_msg_kick */
	uint16_t len;
	bool spare;       /* leave the connection below alone */
	uint16_t spare_worker;
	uint32_t spare_gen;
	uint64_t spare_conn;
	char bare[];
};

void sb_router_kick_init(struct sb_router *r)
{
	cds_wfcq_init(&r->kick_head, &r->kick_tail);
	r->kick_held = NULL;
	r->kick_pending = 0;
}

int sb_router_kick_post(struct sb_router *r, const char *bare, size_t len, int16_t status)
{
	return sb_router_kick_post_except(r, bare, len, status, NULL);
}

int sb_router_kick_post_except(struct sb_router *r, const char *bare, size_t len,
			       int16_t status, const struct sb_msg *keep)
{
	struct sb_kick_job *job;

	if (len == 0 || len > UINT16_MAX)
		return -EINVAL;
	if (__atomic_load_n(&r->kick_pending, __ATOMIC_RELAXED) >= SB_KICK_PENDING_MAX) {
		/* The shard writes every other counter; this one is the poster's. */
		__atomic_fetch_add(&r->ctr[SB_ROUTE_CTR_kick_queue_full], 1, __ATOMIC_RELAXED);
		return -EBUSY;
	}
	job = malloc(sizeof(*job) + len);
	if (job == NULL)
		return -ENOMEM;
	cds_wfcq_node_init(&job->node);
	job->status = status;
	job->len = (uint16_t)len;
	job->spare = keep != NULL;
	if (keep != NULL) {
		job->spare_worker = keep->worker;
		job->spare_conn = keep->conn;
		job->spare_gen = keep->conn_gen;
	}
	memcpy(job->bare, bare, len);
	__atomic_fetch_add(&r->kick_pending, 1, __ATOMIC_RELAXED);
	cds_wfcq_enqueue(&r->kick_head, &r->kick_tail, &job->node);
	return 0;
}

/* KICK every session of job's user. -ENOBUFS when the pool ran dry: the
 * caller keeps the job and runs it again (a second KICK for a connection
 * already closing is counted stale by the worker, nothing more). */
static int kick_user(struct sb_shard *sh, const struct sb_kick_job *job)
{
	struct sb_router *r = &sh->router;
	struct sb_session_user *u = sb_session_user_find(&r->sessions, job->bare, job->len);

	for (struct sb_session *s = u != NULL ? u->res : NULL; s != NULL; s = s->next) {
		struct sb_msg *k;

		if (job->spare && s->worker == job->spare_worker && s->conn == job->spare_conn &&
		    s->conn_gen == job->spare_gen)
			continue;
		k = r->pool.alloc(r->pool.arg);
		if (k == NULL) {
			SB_ROUTE_INC(r, pool_empty);
			return -ENOBUFS;
		}
		sb_msg_encode(k, SB_MSG_KICK, s->worker, sh->index, 0, 0, 0);
		k->owner = SB_MSG_OWNER_CONTROL;
		k->conn = s->conn;
		k->conn_gen = s->conn_gen;
		k->status = job->status;
		SB_ROUTE_INC(r, kicked_account);
		sb_router_send(sh, s->worker, k);
	}
	return 0;
}

unsigned sb_router_kick_drain(struct sb_shard *sh)
{
	struct sb_router *r = &sh->router;
	unsigned done = 0;

	while (done < SB_KICK_BURST) {
		struct sb_kick_job *job = r->kick_held;
		struct cds_wfcq_node *n;

		if (job == NULL) {
			if (cds_wfcq_empty(&r->kick_head, &r->kick_tail))
				break;
			n = cds_wfcq_dequeue_blocking(&r->kick_head, &r->kick_tail);
			if (n == NULL)
				break;
			job = caa_container_of(n, struct sb_kick_job, node);
		}
		r->kick_held = NULL;
		if (kick_user(sh, job) < 0) {
			r->kick_held = job;
			break;
		}
		SB_ROUTE_INC(r, kick_requests);
		__atomic_fetch_sub(&r->kick_pending, 1, __ATOMIC_RELAXED);
		free(job);
		done++;
	}
	return done;
}
