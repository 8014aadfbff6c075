/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What a killed sb-control left unfinished. Every pool object a shard
 * holds is tagged SB_MSG_OWNER_CONTROL (lib/msg/msg.h), and the shared
 * pool outlives sb-control. When a new sb-control attaches, no shard of it
 * has run yet, so every such object belonged to the predecessor. Instead
 * of freeing them all, the scan keeps the whole chains that are stanzas
 * the predecessor had taken off a ring but not finished with (kind
 * STANZA: being routed, waiting in an inter-shard ring or in the offline
 * group commit) or answers it had not yet handed to the dataplane (kind
 * DELIVER: parked in a backlog), and frees the rest (heartbeats, replies,
 * half-built chains). The shards route the kept stanzas again, and send
 * the kept answers, before they read any ring, less what the predecessor
 * had finished (control/im/im_recover.c): a message acknowledged to its
 * sender and caught by a SIGKILL is delivered or stored once after the
 * restart (docs/ARCHITECTURE.md, "The ack is a promise").
 */
#ifndef SB_CTL_RECOVER_H
#define SB_CTL_RECOVER_H

#include <stdint.h>

struct rte_mempool;
struct sb_msg;

struct sb_recover {
	struct sb_msg **heads;  /* kept chains, oldest (t0_tsc) first */
	uint32_t n;
	uint64_t reclaimed;     /* objects freed */
	struct sb_msg *reclaim; /* those, tagged FREEING and linked by next, to give back */
	uint64_t bad_chains;    /* chains that did not check out, freed */
};

/* Scan the pool (before any shard runs). 0, or -ENOMEM with nothing
 * touched (the caller then frees every object of the predecessor). */
int sb_recover_scan(struct rte_mempool *mp, unsigned n_workers, unsigned n_shards,
		    struct sb_recover *out);

#endif
