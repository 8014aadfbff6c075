/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The text of `sbctl status`: both processes, ports, workers, shards,
 * every ring's depth and heartbeat RTT, and the dataplane counters.
 */
#ifndef SB_CTL_STATUS_H
#define SB_CTL_STATUS_H

#include "attach.h"
#include "out.h"

struct sb_shard;

/* shards may be NULL (n_shards 0) before the shard threads run. */
void sb_status_write(struct sb_out *o, const struct sb_attach *a, const struct sb_shard *shards,
		     unsigned n_shards);

#endif
