/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A shard's in-memory block lists (XEP-0191) of online users, by bare JID
 * (im_block.c has why every shard holds every online user's list): a
 * chained hash table that doubles when it holds as many lists as buckets.
 * Owned by one shard thread; no lock. Pure C (unit im-block-table).
 */
#ifndef SB_IM_BLOCK_TABLE_H
#define SB_IM_BLOCK_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_udata.h"

struct sb_blk_entry {
	struct sb_blk_entry *next;
	uint64_t hash;
	struct sb_blocklist bl;
	uint16_t len;
	char bare[];
};

struct sb_blk_table {
	struct sb_blk_entry **b;
	uint32_t mask;
	uint32_t n;     /* lists held */
};

/* 0 or -ENOMEM. */
int sb_blk_table_init(struct sb_blk_table *t);
void sb_blk_table_free(struct sb_blk_table *t);

/* The list of bare, or NULL (none, or an empty table: no hash computed). */
const struct sb_blocklist *sb_blk_table_find(const struct sb_blk_table *t, const char *bare,
					     size_t len);

/* Make *bl (moved in, left empty) the list of bare; an empty list removes
 * bare's. 0, or -ENOMEM (bl freed, bare's list unchanged or gone). */
int sb_blk_table_set(struct sb_blk_table *t, const char *bare, size_t len,
		     struct sb_blocklist *bl);

#endif
