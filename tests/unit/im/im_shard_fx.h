/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One control shard over a real LMDB store in a temporary folder, with
 * one account, the real router and IM core, and the heap message pool
 * (tests/unit/common/msg_heap.h): the set-up of the tests that drive
 * control/im's offline storage. The test defines sb_router_send().
 */
#ifndef SB_TEST_IM_SHARD_FX_H
#define SB_TEST_IM_SHARD_FX_H

#include "im/im.h"
#include "shard.h"
#include "store/store.h"

struct im_shard_fx {
	char dir[256];
	struct sb_store st;
	struct sb_shard *sh;
};

/* Open f (folder named after name), account user (a bare JID) added,
 * domain example.com, 2 workers; offline storage of 1000 messages a user,
 * flushed window at a time (0: all at once), 128 to a commit. 0 or -1. */
int im_shard_fx_open(struct im_shard_fx *f, const char *name, const char *user,
		     uint32_t window);

/* Close what im_shard_fx_open opened, and free the n chains the test
 * holds in held (what its sb_router_send() kept). */
void im_shard_fx_close(struct im_shard_fx *f, struct sb_msg **held, unsigned n);

/* A STANZA chain as a worker sends it: header h (its lengths those of
 * to, from and bytes), read at TSC t0_tsc; tagged held by sb-control. */
struct sb_msg *im_shard_fx_stanza(const struct sb_msg_stanza *h, const char *to, const char *from,
				  const char *bytes, uint64_t t0_tsc);

#endif
