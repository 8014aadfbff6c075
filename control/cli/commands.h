/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the management socket (server.h) answers: "status", "ping" and the
 * account commands ("user ...", cmd_user.h). Runs on the management thread.
 */
#ifndef SB_CTL_COMMANDS_H
#define SB_CTL_COMMANDS_H

#include "attach.h"
#include "out.h"

struct sb_cli_server;
struct sb_cmd_user;
struct sb_metrics_src;
struct sb_shard;

struct sb_cli_commands {
	const struct sb_attach *attach;
	struct sb_cmd_user *users;         /* "user ..." commands */
	const struct sb_shard *shards;     /* for their routing counters; set once they run */
	unsigned n_shards;
	const struct sb_cli_server *server; /* for its own counters */
	const struct sb_metrics_src *metrics; /* "stats", "health" (cmd_stats.h) */
};

/* An sb_cli_dispatch_fn; arg is a struct sb_cli_commands. */
void sb_cli_commands_run(void *arg, const char *req, struct sb_out *o);

#endif
