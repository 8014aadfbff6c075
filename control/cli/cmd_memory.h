/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `sbctl memory [--json]`: bytes by subsystem (TCP, XMPP streams, TLS,
 * sessions, rings and pools, store), per worker lcore and per shard, and
 * bytes per connection, from what each owner publishes; how every figure is
 * derived is in docs/OPERATIONS.md ("sbctl memory"). Runs on the management
 * thread, reading pools, rings and the shards' tables without locks: a
 * snapshot, each figure exact when read.
 */
#ifndef SB_CTL_CMD_MEMORY_H
#define SB_CTL_CMD_MEMORY_H

#include <stdint.h>

#include "out.h"

struct sb_metrics_src;

/* args: "" or "--json". */
void sb_cmd_memory_run(const struct sb_metrics_src *src, const char *args, struct sb_out *o);

/* Bytes held now for connected clients (TCP connection objects, XMPP
 * stream objects and their parts, TLS states, session records): the
 * numerator of bytes per connection and of `sbctl top`'s B/sess. */
uint64_t sb_cmd_memory_client_bytes(const struct sb_metrics_src *src);

#endif
