/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See auth_pool.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "auth_pool.h"
#include "register.h"
#include "idle.h"
#include "router.h"
#include "shard.h"

static void *auth_thread(void *arg)
{
	struct sb_auth_pool *p = arg;
	struct sb_idle idle;

	sb_idle_init(&idle, 64, 1000);
	while (!*p->quit) {
		struct cds_wfcq_node *n = cds_wfcq_dequeue_blocking(&p->head, &p->tail);
		struct sb_auth_job *job;

		if (n == NULL) {
			sb_idle_turn(&idle, 0);
			continue;
		}
		sb_idle_turn(&idle, 1);
		job = caa_container_of(n, struct sb_auth_job, node);
		if (job->m->kind == SB_MSG_REGISTER_REQ)
			job->rc = sb_reg_work(job->sh->router.reg, p->store, job->m,
					      (uint64_t)time(NULL));
		else
			job->rc = sb_auth_plain_check(p->store, job->m);
		/* A dequeued node keeps a stale next: re-initialise before the
		 * second queue (liburcu requires a fresh node per enqueue). */
		cds_wfcq_node_init(&job->node);
		cds_wfcq_enqueue(&job->sh->router.auth_done_head, &job->sh->router.auth_done_tail,
				 &job->node);
	}
	return NULL;
}

int sb_auth_pool_start(struct sb_auth_pool *p, unsigned n, uint32_t max_in_flight,
		       struct sb_store *store, volatile bool *quit)
{
	if (n == 0 || n > SB_AUTH_THREADS_MAX)
		return -EINVAL;
	cds_wfcq_init(&p->head, &p->tail);
	p->store = store;
	p->quit = quit;
	p->in_flight = 0;
	p->max_in_flight = max_in_flight;
	for (p->n = 0; p->n < n; p->n++) {
		int rc = pthread_create(&p->threads[p->n], NULL, auth_thread, p);

		if (rc != 0)
			return -rc;
		pthread_setname_np(p->threads[p->n], "sb-auth");
	}
	return 0;
}

void sb_auth_pool_stop(struct sb_auth_pool *p)
{
	struct cds_wfcq_node *n;

	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	p->n = 0;
	while ((n = cds_wfcq_dequeue_blocking(&p->head, &p->tail)) != NULL)
		free(caa_container_of(n, struct sb_auth_job, node));
	cds_wfcq_destroy(&p->head, &p->tail);
}

int sb_auth_pool_submit(struct sb_auth_pool *p, struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_auth_job *job;

	if (__atomic_load_n(&p->in_flight, __ATOMIC_RELAXED) >= p->max_in_flight) {
		SB_ROUTE_INC(&sh->router, auth_queue_full);
		return -EBUSY;
	}
	job = malloc(sizeof(*job));
	if (job == NULL)
		return -ENOMEM;
	cds_wfcq_node_init(&job->node);
	job->m = m;
	job->sh = sh;
	job->rc = -EACCES;
	__atomic_fetch_add(&p->in_flight, 1, __ATOMIC_RELAXED);
	cds_wfcq_enqueue(&p->head, &p->tail, &job->node);
	return 0;
}

unsigned sb_router_auth_done(struct sb_shard *sh)
{
	struct sb_router *r = &sh->router;
	unsigned done = 0;
	struct cds_wfcq_node *n;

	if (r->auth == NULL)
		return 0;
	while (done < 64 &&
	       (n = cds_wfcq_dequeue_blocking(&r->auth_done_head, &r->auth_done_tail)) != NULL) {
		struct sb_auth_job *job = caa_container_of(n, struct sb_auth_job, node);

		if (job->m->kind == SB_MSG_REGISTER_REQ)
			sb_router_register_reply(sh, job->m, job->rc);
		else
			sb_router_auth_reply(sh, job->m, true, job->rc);
		__atomic_fetch_sub(&r->auth->in_flight, 1, __ATOMIC_RELAXED);
		free(job);
		done++;
	}
	return done;
}
