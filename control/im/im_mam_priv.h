/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The archive state of a shard, shared by im_mam.c (queries) and
 * im_mam_batch.c (writing). Records are queued in the current batch by the
 * shard thread; a full or due batch is handed to the shard's archive
 * writer thread, which commits it while the shard fills the other one
 * (double buffering), so the shard does not wait on the archive's disk
 * writes unless both batches are full.
 */
#ifndef SB_IM_MAM_PRIV_H
#define SB_IM_MAM_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_mam.h"

struct im_mam_ent {
	uint32_t off;   /* key, then value, in the arena */
	uint32_t klen;
	uint32_t vlen;
	uint32_t kind;  /* SB_STORE_MAM or its index, SB_STORE_MAM_WITH */
};

struct im_mam_batch {
	uint32_t n, cap;        /* kv ops: a record and its index entry */
	uint32_t recs;
	struct im_mam_ent *ent;
	struct sb_store_op *ops; /* built by whoever commits it */
	uint8_t *arena;         /* grows (realloc) to hold the batch */
	size_t used, arena_cap;
};

/* The hand-over between the shard and its writer: once per batch (at most
 * every im.mam_commit_us or im.mam_commit_batch records), not per message,
 * so a mutex and a condition variable are cheap enough here. */
struct im_mam_writer {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started;
	bool busy;              /* work holds a batch being written */
	struct im_mam_batch *work;
	struct sb_store *store;
	unsigned store_shard;
	uint64_t *archived;     /* the shard's counters, updated atomically */
	uint64_t *failed;
};

struct sb_im_mam {
	struct sb_mam_idkey idkey;
	bool keyed;
	uint64_t last_ord;
	uint64_t deadline_tsc;  /* commit the current batch by then */
	struct im_mam_batch b[2];
	struct im_mam_batch *cur; /* the shard's; the other is the writer's */
	struct im_mam_writer w;
};

#endif
