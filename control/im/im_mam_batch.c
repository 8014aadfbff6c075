/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Writing the archive (XEP-0313) of a shard's users: records queued in the
 * current batch (a record and its peer-index entry, keyed and packed here,
 * in an arena that grows), and the batch committed by the shard's archive
 * writer thread when it holds im.mam_commit_batch records or its oldest
 * has waited im.mam_commit_us. The shard fills the other batch meanwhile
 * and waits only when both are full (the disk is slower than the
 * messages: backpressure, as for the delivery rings). An offline commit on
 * the shard thread (im_offline.c) takes the current batch along in its
 * transaction, and a query commits it first, so a client sees its latest
 * messages.
 *
 * Durability: the archive is written after delivery, so it is not held in
 * the shared pool like offline messages: a SIGKILL of sb-control loses
 * what was queued or being written (at most im.mam_commit_us plus one
 * commit of archiving); the messages themselves were delivered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "im_mam_priv.h"
#include "im_priv.h"
#include "router.h"
#include "shard.h"

static int batch_init(struct im_mam_batch *b, uint32_t records)
{
	b->cap = 2 * records;
	b->ent = calloc(b->cap, sizeof(b->ent[0]));
	b->ops = calloc(b->cap, sizeof(b->ops[0]));
	b->arena_cap = 64u * 1024u;
	b->arena = malloc(b->arena_cap);
	return b->ent != NULL && b->ops != NULL && b->arena != NULL ? 0 : -ENOMEM;
}

int im_mam_init(struct sb_im *im)
{
	struct sb_im_mam *a = calloc(1, sizeof(*a));

	im->mam = a;
	if (a == NULL || batch_init(&a->b[0], im->lim.mam_commit_batch) < 0 ||
	    batch_init(&a->b[1], im->lim.mam_commit_batch) < 0)
		return -ENOMEM;
	a->cur = &a->b[0];
	pthread_mutex_init(&a->w.mu, NULL);
	pthread_cond_init(&a->w.cv, NULL);
	a->w.archived = &im->ctr[SB_IM_CTR_mam_archived];
	a->w.failed = &im->ctr[SB_IM_CTR_mam_write_failed];
	return 0;
}

static unsigned batch_ops(const struct im_mam_batch *b, struct sb_store_op *ops)
{
	for (uint32_t i = 0; i < b->n; i++)
		ops[i] = (struct sb_store_op){ .kind = (enum sb_store_kind)b->ent[i].kind,
					       .key = b->arena + b->ent[i].off,
					       .klen = b->ent[i].klen,
					       .val = b->arena + b->ent[i].off + b->ent[i].klen,
					       .vlen = b->ent[i].vlen };
	return b->n;
}

static void batch_reset(struct im_mam_batch *b)
{
	b->n = 0;
	b->recs = 0;
	b->used = 0;
}

uint32_t im_mam_pending(const struct sb_im *im)
{
	return im->mam != NULL ? im->mam->cur->n : 0;
}

unsigned im_mam_ops(struct sb_im *im, struct sb_store_op *ops)
{
	return batch_ops(im->mam->cur, ops);
}

void im_mam_committed(struct sb_im *im)
{
	__atomic_fetch_add(&im->ctr[SB_IM_CTR_mam_archived], im->mam->cur->recs,
			   __ATOMIC_RELAXED);
	batch_reset(im->mam->cur);
}

/* The writer: one batch at a time, for as long as the process runs. A
 * batch the store refuses is counted and dropped (the messages were
 * delivered; holding it would stop the shard's archiving altogether). */
static void *mam_writer(void *arg)
{
	struct im_mam_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct im_mam_batch *b;
		int rc;

		while (!w->busy)
			pthread_cond_wait(&w->cv, &w->mu);
		b = w->work;
		pthread_mutex_unlock(&w->mu);
		rc = w->store->ops->kv_write(w->store->impl, w->store_shard, b->ops,
					     batch_ops(b, b->ops));
		__atomic_fetch_add(rc == 0 ? w->archived : w->failed, b->recs, __ATOMIC_RELAXED);
		if (rc < 0)
			fprintf(stderr, "sb-control: archive commit of %u records: %s (dropped)\n",
				b->recs, strerror(-rc));
		batch_reset(b);
		pthread_mutex_lock(&w->mu);
		w->busy = false;
		pthread_cond_broadcast(&w->cv);
	}
	return NULL;
}

static bool writer_start(struct sb_shard *sh, struct im_mam_writer *w)
{
	char name[16];

	if (w->started)
		return true;
	w->store = sh->router.store;
	w->store_shard = sh->index % sh->router.store->n_shards;
	if (pthread_create(&w->tid, NULL, mam_writer, w) != 0)
		return false;
	snprintf(name, sizeof(name), "sb-mam-%u", sh->index);
	pthread_setname_np(w->tid, name);
	w->started = true;
	return true;
}

/* Wait until the writer holds no batch. */
static void writer_idle(struct im_mam_writer *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* Give the current batch to the writer and take the other one. */
static void mam_handoff(struct sb_shard *sh)
{
	struct sb_im_mam *a = sh->router.im.mam;
	struct im_mam_writer *w = &a->w;

	if (!writer_start(sh, w)) {
		sb_im_offline_commit(sh); /* no thread: write it here */
		return;
	}
	pthread_mutex_lock(&w->mu);
	if (w->busy)
		SB_IM_INC(&sh->router.im, mam_writer_waits);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	w->work = a->cur;
	w->busy = true;
	a->cur = a->cur == &a->b[0] ? &a->b[1] : &a->b[0];
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void im_mam_poll(struct sb_shard *sh, uint64_t now_tsc)
{
	struct sb_im_mam *a = sh->router.im.mam;

	if (a->cur->n > 0 && now_tsc >= a->deadline_tsc)
		mam_handoff(sh);
}

void im_mam_flush(struct sb_shard *sh)
{
	struct sb_im_mam *a = sh->router.im.mam;

	if (a->w.started)
		writer_idle(&a->w);
	if (a->cur->n > 0 || sh->router.im.batch_n > 0)
		sb_im_offline_commit(sh);
}

void sb_im_stop(struct sb_shard *sh)
{
	if (sh->router.im.mam != NULL)
		im_mam_flush(sh);
	im_caps_free(&sh->router.im);
}

int im_mam_archive(struct sb_shard *sh, const char *owner, size_t olen, uint64_t ord,
		   uint8_t flags, const char *with, size_t with_len, size_t with_bare_len,
		   const char *bytes, size_t n)
{
	struct sb_im *im = &sh->router.im;
	struct sb_im_mam *a = im->mam;
	struct im_mam_batch *b;
	const struct sb_mam_rec r = { .flags = flags,
				      .with_len = (uint16_t)with_len,
				      .with_bare_len = (uint16_t)with_bare_len,
				      .with = with,
				      .bytes = (const uint8_t *)bytes,
				      .bytes_len = n };
	size_t need = olen + 9 + SB_MAM_HDR_LEN + with_len + n;
	size_t wneed = olen + 1 + with_bare_len + 1 + 8 + with_len;
	struct im_mam_ent *e;

	if (a->cur->n + 2 > a->cur->cap)
		mam_handoff(sh);
	b = a->cur;
	if (b->used + need + wneed > b->arena_cap) {
		size_t cap = b->arena_cap * 2 > b->used + need + wneed ? b->arena_cap * 2
								       : b->used + need + wneed;
		uint8_t *p = realloc(b->arena, cap);

		if (p == NULL) {
			SB_IM_INC(im, mam_dropped);
			return -ENOMEM;
		}
		b->arena = p;
		b->arena_cap = cap;
	}
	e = &b->ent[b->n];
	e->off = (uint32_t)b->used;
	e->kind = SB_STORE_MAM;
	e->klen = (uint32_t)sb_mam_key(b->arena + b->used, need, owner, olen, ord);
	e->vlen = (uint32_t)sb_mam_pack(&r, b->arena + b->used + e->klen, need - e->klen);
	if (e->klen == 0 || e->vlen == 0) {
		SB_IM_INC(im, mam_dropped);
		return -ENAMETOOLONG;
	}
	b->used += need;
	if (b->n == 0)
		a->deadline_tsc = rte_rdtsc() + im->lim.mam_commit_tsc;
	b->n++;
	b->recs++;
	/* Its index entry, when the key fits (store_mam.h). */
	e = &b->ent[b->n];
	e->off = (uint32_t)b->used;
	e->kind = SB_STORE_MAM_WITH;
	e->klen = (uint32_t)sb_mam_with_key(b->arena + b->used, wneed, owner, olen, with,
					    with_bare_len, ord);
	if (e->klen > 0) {
		memcpy(b->arena + b->used + e->klen, with, with_len);
		e->vlen = (uint32_t)with_len;
		b->used += e->klen + with_len;
		b->n++;
	}
	if (b->n + 2 > b->cap)
		mam_handoff(sh);
	return 0;
}
