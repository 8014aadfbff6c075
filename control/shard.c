/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The control shard loop: its end of every ring pair is a struct
 * sb_msg_link (lib/msg/msg_link.h, the same code as the workers' end),
 * with the router's functions registered by message kind.
 * Message objects come from the shard's own fill and return rings
 * (shard_pool.h), never from the shared pool's ring.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "component/component.h"
#include "msg.h"
#include "msg_link.h"
#include "ring_rollback.h"
#include "router/admin.h"
#include "router/auth_pool.h"
#include "router/register.h"
#include "shard.h"

static int shard_ring_enqueue(void *arg, unsigned w, struct sb_msg *m)
{
	struct sb_shard *sh = arg;

	return sb_ring_send(sh->down[w], &sh->stats->send, w, m); /* SIGKILL-safe */
}

static unsigned shard_ring_dequeue(void *arg, unsigned w, struct sb_msg **out, unsigned n)
{
	struct sb_shard *sh = arg;

	return sb_ring_take(sh->up[w], out, n); /* SIGKILL-safe (ring_rollback.h) */
}

/* XMPP work: the router owns the message from here. */
static void shard_auth(void *ctx, unsigned w, struct sb_msg *m)
{
	struct sb_shard *sh = ctx;

	(void)w;
	sb_hist_add_tsc(&sh->login_wait, m->t0_tsc, sh->now_tsc, sh->hist_us_mult);
	sb_router_auth(ctx, m);
}

static void shard_bind(void *ctx, unsigned w, struct sb_msg *m)
{
	struct sb_shard *sh = ctx;

	(void)w;
	sb_hist_add_tsc(&sh->login_wait, m->t0_tsc, sh->now_tsc, sh->hist_us_mult);
	sb_router_bind(ctx, m);
}

static void shard_unbind(void *ctx, unsigned w, struct sb_msg *m)
{
	(void)w;
	sb_router_unbind(ctx, m);
}

static void shard_stanza(void *ctx, unsigned w, struct sb_msg *m)
{
	struct sb_shard *sh = ctx;

	(void)w;
	sb_hist_add_tsc(&sh->stanza_wait, m->t0_tsc, sh->now_tsc, sh->hist_us_mult);
	sb_promise_route(ctx, m);
}

static void shard_promise_sync(void *ctx, unsigned w, struct sb_msg *m)
{
	(void)w;
	sb_promise_sync(ctx, m);
}

static void shard_flush_more(void *ctx, unsigned w, struct sb_msg *m)
{
	(void)w;
	sb_im_offline_more(ctx, m);
}

static void shard_conn_info(void *ctx, unsigned w, struct sb_msg *m)
{
	(void)w;
	sb_admin_conn_info(ctx, m);
}

static void shard_register(void *ctx, unsigned w, struct sb_msg *m)
{
	(void)w;
	sb_router_register(ctx, m);
}

static void shard_sm(void *ctx, unsigned w, struct sb_msg *m)
{
	(void)w;
	if (m->kind == SB_MSG_SM_ENABLE)
		sb_sm_enable(ctx, m);
	else if (m->kind == SB_MSG_HIBERNATE)
		sb_sm_hibernate(ctx, m);
	else
		sb_sm_resume(ctx, m);
}

void sb_shard_link_init(struct sb_shard *sh)
{
	struct sb_msg_link *l = &sh->link;
	const struct sb_msg_link_ring ring = {
		.enqueue = shard_ring_enqueue,
		.dequeue = shard_ring_dequeue,
		.arg = sh,
	};

	sb_msg_link_init(l, SB_MSG_OWNER_CONTROL, sh->index, sh->n_workers,
			 sh->shm->n_shards, &ring, &sh->router.pool);
	l->ctr = (struct sb_msg_link_ctr){
		.sent = &sh->stats->ctr[SB_SHARD_CTR_msgs_out],
		.full = &sh->stats->ctr[SB_SHARD_CTR_ring_full],
		.received = &sh->stats->ctr[SB_SHARD_CTR_msgs_in],
		.bad = &sh->stats->ctr[SB_SHARD_CTR_msgs_bad],
		.unhandled = &sh->stats->ctr[SB_SHARD_CTR_msgs_bad],
	};
	l->rtt_tsc = sh->stats->hb_rtt_tsc;
	l->rtt_last_tsc = sh->stats->hb_last_tsc;
	sb_msg_link_register(l, SB_MSG_AUTH_REQ, shard_auth, sh);
	sb_msg_link_register(l, SB_MSG_BIND_REQ, shard_bind, sh);
	sb_msg_link_register(l, SB_MSG_UNBIND, shard_unbind, sh);
	sb_msg_link_register(l, SB_MSG_STANZA, shard_stanza, sh);
	sb_msg_link_register(l, SB_MSG_CONN_INFO, shard_conn_info, sh);
	sb_msg_link_register(l, SB_MSG_SM_ENABLE, shard_sm, sh);
	sb_msg_link_register(l, SB_MSG_HIBERNATE, shard_sm, sh);
	sb_msg_link_register(l, SB_MSG_RESUME_REQ, shard_sm, sh);
	sb_msg_link_register(l, SB_MSG_REGISTER_REQ, shard_register, sh);
	sb_msg_link_register(l, SB_MSG_PROMISE_SYNC, shard_promise_sync, sh);
	sb_msg_link_register(l, SB_MSG_FLUSH_MORE, shard_flush_more, sh);
}

/* Up to SB_SHARD_BURST messages from worker w's ring, one at a time while
 * the fill rings hold their floor: each message, whatever it fans out to
 * (a login's presence to fifty resources), starts with the floor in hand. */
static unsigned shard_read(struct sb_shard *sh, unsigned w, uint64_t now_tsc)
{
	unsigned n = 0;

	while (n < SB_SHARD_BURST && sb_shard_pool_ready(&sh->pool)) {
		unsigned got = sb_msg_link_poll(&sh->link, w, 1, now_tsc);

		if (got == 0)
			break;
		n += got;
	}
	return n;
}

static unsigned shard_poll(struct sb_shard *sh, uint64_t now_tsc)
{
	unsigned total = 0, flushed = 0;

	if (sh->router.backlog_total > 0)
		flushed = sb_router_flush(sh);
	flushed += sb_router_auth_done(sh);
	flushed += sb_router_kick_drain(sh);
	flushed += sb_comp_drain(sh);
	flushed += sb_admin_drain(sh);
	flushed += sb_im_poll(sh, now_tsc);
	flushed += sb_sm_turn(sh);
	if (unlikely(sh->pool.pending != NULL))
		flushed += sb_shard_pool_flush(&sh->pool);
	if (!sb_router_congested(&sh->router)) {
		/* Else let the stanza rings fill: backpressure upstream. */
		sh->now_tsc = now_tsc; /* for the wait histograms of what the rings hold */
		for (unsigned w = 0; w < sh->n_workers; w++)
			total += shard_read(sh, w, now_tsc);
	}
	/* Last: this turn's XEP-0198 promises in one STANZA_DONE per worker. */
	return total + flushed + sb_promise_turn(sh);
}

static void shard_heartbeat(struct sb_shard *sh, uint64_t now_tsc)
{
	if (now_tsc < sh->hb_next_tsc)
		return;
	sh->hb_next_tsc = now_tsc + sh->hb_interval_tsc;
	for (unsigned w = 0; w < sh->n_workers; w++)
		if (sb_msg_link_probe(&sh->link, w, now_tsc, sh->epoch) == -ENOMEM)
			return;
}

static const struct sb_ctr_desc shard_ctr_desc[SB_SHARD_CTR_MAX] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_SHARD_CTR_, name, help)
#include "shard_counters.def"
#undef SB_CTR
};

int sb_shard_counters_describe(struct sb_shm *shm)
{
	int rc;

	sb_shm_dir_reset(&shm->shard_dir);
	rc = sb_shm_dir_add(&shm->shard_dir, "shard", shard_ctr_desc, SB_SHARD_CTR_MAX,
			    offsetof(struct sb_shm_shard, ctr));
	if (rc == 0)
		sb_shm_dir_publish(&shm->shard_dir);
	return rc;
}

/* What the predecessor left (recover.h): answers go out, stanzas are
 * routed again, oldest first, before anything newer is read, less what
 * it had finished (control/im/im_recover.c). */
static void shard_recovered(struct sb_shard *sh)
{
	sb_im_recovered(sh, sh->recovered, sh->n_recovered);
	free(sh->recovered);
	sh->recovered = NULL;
	sh->n_recovered = 0;
}

void *sb_shard_main(void *arg)
{
	struct sb_shard *sh = arg;

	shard_recovered(sh);

	while (!*sh->quit) {
		uint64_t now_tsc = rte_rdtsc();
		unsigned work = shard_poll(sh, now_tsc);

		shard_heartbeat(sh, now_tsc);
		if (work != 0)
			SB_SHARD_INC(sh, loop_busy);
		else
			SB_SHARD_INC(sh, loop_idle);
		sh->stats->turns++;
		sb_idle_turn(&sh->idle, work);
	}
	sb_im_stop(sh);
	sb_promise_free(sh);
	return NULL;
}
