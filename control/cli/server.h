/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The management socket sbctl talks to: a UNIX stream socket, one request
 * line per connection ("status\n"), answered with a first line "ok" or
 * "error: <reason>", then the body, then the connection is closed.
 *
 * Served from sb-control's management thread, which must never be held by
 * a client: the socket and every client are non-blocking and driven by one
 * poll(); each client has a slot (SB_CLI_CLIENTS_MAX) and one deadline for
 * its whole request, reading the line and writing the reply
 * (SB_CLI_DEADLINE_MS); past it the client is closed and counted. A client
 * that trickles bytes therefore costs one slot for one deadline, never the
 * loop. When every slot is taken a new client is told "error: busy".
 *
 * The socket file is created with its final mode: bound inside a private
 * 0700 folder, given its mode there, then renamed into place, so there is
 * no moment at which it exists with the permissions the umask would give.
 */
#ifndef SB_CTL_SERVER_H
#define SB_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "out.h"

#define SB_CLI_REQUEST_MAX 4096
#define SB_CLI_REPLY_MAX (256u * 1024u)
#define SB_CLI_CLIENTS_MAX 8u
#define SB_CLI_DEADLINE_MS 1000u
#define SB_CLI_SOCKET_MODE 0660 /* operators in the socket's group, not everyone */

enum sb_cli_ctr {
#define SB_CTR(name, help) SB_CLI_CTR_##name,
#include "server_counters.def"
#undef SB_CTR
	SB_CLI_CTR_MAX
};

/* Answer one request line req (NUL-terminated, without its line end) into o. */
typedef void (*sb_cli_dispatch_fn)(void *arg, const char *req, struct sb_out *o);

struct sb_cli_client {
	int fd;               /* -1: a free slot */
	uint32_t in_len;
	uint64_t deadline_ms; /* CLOCK_MONOTONIC */
	char *out;            /* the reply still to write (malloc), or NULL */
	size_t out_len;
	size_t out_off;
	char in[SB_CLI_REQUEST_MAX];
};

struct sb_cli_server {
	int fd;
	char path[108];
	uint32_t deadline_ms;   /* SB_CLI_DEADLINE_MS; tests shorten it */
	sb_cli_dispatch_fn dispatch;
	void *arg;
	char *reply;            /* SB_CLI_REPLY_MAX bytes of working memory */
	struct sb_cli_client clients[SB_CLI_CLIENTS_MAX];
	uint64_t ctr[SB_CLI_CTR_MAX];
};

extern const char *const sb_cli_ctr_names[SB_CLI_CTR_MAX];

/* Create the socket at path with mode (its folder is created 0755) and
 * listen. A stale socket file is replaced: sb_attach() has already proved no
 * other sb-control is alive. Requests go to dispatch(arg, ...). Returns 0 or
 * a negative errno (-ENAMETOOLONG when path leaves no room for the private
 * folder's name). */
int sb_cli_server_open(struct sb_cli_server *srv, const char *path, mode_t mode,
		       sb_cli_dispatch_fn dispatch, void *arg);

/* Wait up to timeout_ms (less when a client's deadline is nearer) and do
 * whatever is ready: accept, read, answer, write, expire. Never blocks on a
 * client. Returns the requests answered, or a negative errno on a socket
 * error. */
int sb_cli_server_poll(struct sb_cli_server *srv, int timeout_ms);

/* The counters as "name value" lines. */
void sb_cli_server_counters(const struct sb_cli_server *srv, struct sb_out *o);

void sb_cli_server_close(struct sb_cli_server *srv);

#endif
