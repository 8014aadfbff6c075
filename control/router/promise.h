/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0198's "the ack is a promise" on the control side.
 *
 * A STANZA flagged SB_MSG_F_SM_PROMISE comes from a client with stream
 * management on; its sender's worker will not count it in the h it gives
 * the client until this shard answers with a STANZA_DONE entry for it
 * (its connection handle and stanza number). The entry is written once
 * the stanza is where a crash of this process no longer decides its fate:
 *
 *   - its chain was put on the recipient's worker ring (route.c's one
 *     enqueue point calls sb_promise_fulfil for every flagged chain);
 *   - it was committed to offline storage (im_offline.c's commit);
 *   - or routing finished without keeping the chain: it was answered (an
 *     error, an iq result), queued on a hibernated session (the
 *     recipient's XEP-0198 queue: shared memory its successor recovers),
 *     handed to a component, or it was presence (state, applied here).
 *
 * Until then the chain sits in shared memory tagged CONTROL: a SIGKILL
 * leaves it to control/recover.c, which routes it again, flag included,
 * so the successor owes the entry instead. What neither can know is a
 * DONE lost with the dead process after its chain reached a ring; the
 * worker asks each shard of a new epoch for a PROMISE_SYNC echo, sent
 * back once nothing this shard holds is still owed (no backlog, no
 * uncommitted offline batch), and then takes every stanza it sent before
 * the epoch as answered.
 *
 * Entries are batched per worker and flushed once per shard turn (one
 * message carries up to SB_MSG_DONE_MAX), so an ack after every stanza
 * costs a 16-byte entry, not a message.
 */
#ifndef SB_CTL_PROMISE_H
#define SB_CTL_PROMISE_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "shm.h"

struct sb_shard;

struct sb_promise_batch {
	struct sb_msg_done_ent *e;   /* grown by doubling; never dropped */
	uint32_t n;
	uint32_t cap;
};

struct sb_promise {
	struct sb_promise_batch w[SB_MAX_WORKERS];
	uint32_t pending;                 /* entries over all batches */
	/* The chain sb_promise_route is routing, and whether its entry is
	 * still owed at the end (no path kept or fulfilled it). */
	const struct sb_msg *cur;
	bool cur_open;
	/* PROMISE_SYNC requests waiting for the shard to owe nothing. */
	struct sb_msg *sync[SB_MAX_WORKERS];
	uint32_t sync_n;
};

/* Route STANZA m (sb_router_stanza), then write its entry unless a path
 * kept the chain for later. Owns m. */
void sb_promise_route(struct sb_shard *sh, struct sb_msg *m);

/* Chain m (any kind) reached a worker ring or storage: if it carries a
 * promise, write its entry and clear the flag. */
void sb_promise_fulfil(struct sb_shard *sh, struct sb_msg *m);

/* Put chain m on worker w's ring (sb_msg_link_send's contract); a
 * promise it carries is kept once it is there. */
int sb_promise_enqueue(struct sb_shard *sh, unsigned w, struct sb_msg *m);

/* Chain m is kept to be fulfilled later (backlog, offline batch). */
static inline void sb_promise_keep(struct sb_promise *p, const struct sb_msg *m)
{
	if ((m->flags & SB_MSG_F_SM_PROMISE) && m == p->cur)
		p->cur_open = false;
}

/* Chain old is replaced by new (a rewrite, flags copied): the promise
 * being routed moves with it. */
static inline void sb_promise_moved(struct sb_promise *p, const struct sb_msg *old,
				    const struct sb_msg *new_m)
{
	if (p->cur == old)
		p->cur = new_m;
}

/* PROMISE_SYNC from worker m->worker: echoed by sb_promise_turn. Owns m. */
void sb_promise_sync(struct sb_shard *sh, struct sb_msg *m);

/* Once per shard turn: send the batched entries (one STANZA_DONE per
 * SB_MSG_DONE_MAX), then the sync echoes if nothing is owed. Returns the
 * messages sent. */
unsigned sb_promise_turn(struct sb_shard *sh);

/* Free the batches and held syncs (shard exit). */
void sb_promise_free(struct sb_shard *sh);

#endif
