/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See server.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd_user.h"
#include "out.h"
#include "server.h"
#include "status.h"

static int server_mkdirs(const char *path)
{
	char dir[108];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int sb_cli_server_open(struct sb_cli_server *srv, const char *path, const struct sb_attach *a,
		       struct sb_cmd_user *users)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int rc;

	memset(srv, 0, sizeof(*srv));
	srv->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	srv->attach = a;
	srv->users = users;
	srv->reply = malloc(SB_CLI_REPLY_MAX);
	if (srv->reply == NULL)
		return -ENOMEM;
	rc = server_mkdirs(path);
	if (rc < 0)
		return rc;
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		return -errno;
	unlink(path);
	if (bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv->fd, 16) < 0) {
		rc = -errno;
		close(srv->fd);
		srv->fd = -1;
		return rc;
	}
	chmod(path, 0660); /* operators in the socket's group, not everyone */
	return 0;
}

/* Read one request line; returns its length or a negative errno. */
static ssize_t server_read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	buf[len] = '\0';
	if (memchr(buf, '\n', len) == NULL && len + 1 >= size)
		return -EMSGSIZE;
	buf[strcspn(buf, "\r\n")] = '\0';
	return (ssize_t)strlen(buf);
}

static void server_dispatch(struct sb_cli_server *srv, const char *req, struct sb_out *o)
{
	if (strcmp(req, "status") == 0) {
		sb_out_printf(o, "ok\n");
		sb_status_write(o, srv->attach, srv->shards, srv->n_shards);
	} else if (strcmp(req, "ping") == 0) {
		sb_out_printf(o, "ok\npong\n");
	} else if (strncmp(req, "user", 4) == 0 && (req[4] == ' ' || req[4] == '\0')) {
		sb_cmd_user_run(srv->users, req + 4 + (req[4] == ' '), o);
	} else {
		/* Only the first word: the rest may be a mistyped password. */
		size_t w = strcspn(req, " ");

		sb_out_printf(o, "error: unknown command '%.*s' (try: status, ping, user)\n",
			      (int)(w > 64 ? 64 : w), req);
	}
}

static void server_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return; /* the client went away; nothing to do */
		p += n;
		len -= (size_t)n;
	}
}

int sb_cli_server_poll(struct sb_cli_server *srv, int timeout_ms)
{
	struct pollfd pfd = { .fd = srv->fd, .events = POLLIN };
	struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
	char req[SB_CLI_REQUEST_MAX];
	struct sb_out o;
	ssize_t n;
	int c;

	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return n < 0 && errno != EINTR ? -errno : 0;
	c = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	sb_out_init(&o, srv->reply, SB_CLI_REPLY_MAX);
	n = server_read_line(c, req, sizeof(req));
	if (n < 0)
		sb_out_printf(&o, "error: bad request: %s\n", strerror((int)-n));
	else
		server_dispatch(srv, req, &o);
	explicit_bzero(req, sizeof(req)); /* "user add" lines carry a password */
	if (o.truncated) {
		static const char mark[] = "\n(reply truncated)\n";

		memcpy(o.buf + o.size - sizeof(mark), mark, sizeof(mark));
		o.len = o.size - 1;
	}
	server_write_all(c, o.buf, o.len);
	close(c);
	return 1;
}

void sb_cli_server_close(struct sb_cli_server *srv)
{
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(srv->path);
	}
	free(srv->reply);
	srv->reply = NULL;
	srv->fd = -1;
}
