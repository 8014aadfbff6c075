/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The embedded account store: one LMDB environment per control shard at
 * <path>/shard-<j>, so that shards commit in parallel (DESIGN.md), each with
 * a named database "accounts" (bare JID -> account record) and "meta" (the
 * layout the environment was created for, checked at every open so that a
 * changed control.shards cannot silently put users on the wrong shard).
 * Account writes commit synchronously (one fsync per change).
 */
#ifndef SB_STORE_LMDB_H
#define SB_STORE_LMDB_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Open (creating if needed, folders mode 0700, files 0600) the n_shards
 * environments under path, each with a map of map_bytes. Stale reader slots
 * of a killed predecessor are cleared. On success fills st and returns 0. On
 * failure returns a negative errno (LMDB's errors mapped: -ENOSPC for a full
 * map, -EIO for corruption, -EPROTO for a file of another LMDB format, ...)
 * and writes one line naming the folder and the reason into why[0..why_len);
 * nothing stays open. -EINVAL if n_shards is 0 or above SB_STORE_SHARDS_MAX or
 * if an environment was created for another shard layout. */
int sb_store_lmdb_open(struct sb_store *st, const char *path, unsigned n_shards,
		       uint64_t map_bytes, char *why, size_t why_len);

#endif
