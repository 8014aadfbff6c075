/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The management socket sbctl talks to: a UNIX stream socket, one request
 * line per connection ("status\n"), answered with a first line "ok" or
 * "error: <reason>", then the body, then the connection is closed.
 * Served from sb-control's management thread, one client at a time, with a
 * receive timeout so a stuck client cannot hold it.
 */
#ifndef SB_CTL_SERVER_H
#define SB_CTL_SERVER_H

#include "attach.h"

struct sb_shard;

struct sb_cmd_user;

#define SB_CLI_REQUEST_MAX 4096
#define SB_CLI_REPLY_MAX (256u * 1024u)

struct sb_cli_server {
	int fd;
	char path[108];
	const struct sb_attach *attach;
	struct sb_cmd_user *users; /* "user ..." commands (cmd_user.h) */
	const struct sb_shard *shards; /* for their routing counters; set once they run */
	unsigned n_shards;
	char *reply;    /* SB_CLI_REPLY_MAX bytes */
};

/* Bind and listen on path (its folder is created). A stale socket file is
 * replaced: sb_attach() has already proved no other sb-control is alive.
 * users serves the account commands. Returns 0 or a negative errno. */
int sb_cli_server_open(struct sb_cli_server *srv, const char *path, const struct sb_attach *a,
		       struct sb_cmd_user *users);

/* Wait up to timeout_ms for a client and serve it. Returns 1 if one was
 * served, 0 on timeout, negative errno on a socket error. */
int sb_cli_server_poll(struct sb_cli_server *srv, int timeout_ms);

void sb_cli_server_close(struct sb_cli_server *srv);

#endif
