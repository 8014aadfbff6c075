/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See server.h: the socket's creation with its final mode, and the
 * poll-driven client slots with one deadline per request.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

const char *const sb_cli_ctr_names[SB_CLI_CTR_MAX] = {
#define SB_CTR(name, help) [SB_CLI_CTR_##name] = #name,
#include "server_counters.def"
#undef SB_CTR
};

static uint64_t server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

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

/* Bind fd at path with mode and no window: bind inside a fresh 0700 folder
 * next to path (mkdtemp), where no one else can reach the file, chmod it
 * there (umask-proof), listen, then rename it over path (atomic on one file
 * system) and remove the folder. */
static int server_bind(int fd, const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path) - 2];
	const char *slash = strrchr(path, '/');
	int dir_len = slash == NULL ? 1 : (int)(slash - path), n, rc = 0;

	n = snprintf(tmp, sizeof(tmp), "%.*s/.sb-sock-XXXXXX", dir_len,
		     slash == NULL ? "." : slash == path ? "/" : path);
	if (n <= 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	if (mkdtemp(tmp) == NULL)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", tmp);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sa.sun_path, mode) < 0 ||
	    listen(fd, 16) < 0 || rename(sa.sun_path, path) < 0) {
		rc = -errno;
		unlink(sa.sun_path);
	}
	rmdir(tmp);
	return rc;
}

int sb_cli_server_open(struct sb_cli_server *srv, const char *path, mode_t mode,
		       sb_cli_dispatch_fn dispatch, void *arg)
{
	int rc;

	memset(srv, 0, sizeof(*srv));
	srv->fd = -1;
	for (unsigned i = 0; i < SB_CLI_CLIENTS_MAX; i++)
		srv->clients[i].fd = -1;
	if (strlen(path) >= sizeof(srv->path))
		return -ENAMETOOLONG;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->deadline_ms = SB_CLI_DEADLINE_MS;
	srv->dispatch = dispatch;
	srv->arg = arg;
	srv->reply = malloc(SB_CLI_REPLY_MAX);
	if (srv->reply == NULL)
		return -ENOMEM;
	rc = server_mkdirs(path);
	if (rc < 0)
		return rc;
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->fd < 0)
		return -errno;
	rc = server_bind(srv->fd, path, mode);
	if (rc < 0) {
		close(srv->fd);
		srv->fd = -1;
	}
	return rc;
}

static void client_close(struct sb_cli_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->in_len = 0;
	explicit_bzero(c->in, sizeof(c->in)); /* "user add" lines carry a password */
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

/* Write what the socket takes; close the client once the reply is out or
 * the socket failed. */
static void client_write(struct sb_cli_client *c, const char *p, size_t len)
{
	while (c->out_off < len) {
		ssize_t n = send(c->fd, p + c->out_off, len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break; /* the client went away; nothing to do */
		c->out_off += (size_t)n;
	}
	client_close(c);
}

/* Answer the request in c->in[0..len) and start writing the reply; what the
 * socket does not take now is kept in c->out for the next turns. */
static void client_answer(struct sb_cli_server *srv, struct sb_cli_client *c, bool too_long)
{
	struct sb_out o;

	sb_out_init(&o, srv->reply, SB_CLI_REPLY_MAX);
	if (too_long) {
		srv->ctr[SB_CLI_CTR_mgmt_bad_request]++;
		sb_out_printf(&o, "error: bad request: %s\n", strerror(EMSGSIZE));
	} else {
		c->in[strcspn(c->in, "\r\n")] = '\0';
		srv->dispatch(srv->arg, c->in, &o);
	}
	explicit_bzero(c->in, sizeof(c->in));
	c->in_len = 0;
	if (o.truncated) {
		static const char mark[] = "\n(reply truncated)\n";

		memcpy(o.buf + o.size - sizeof(mark), mark, sizeof(mark));
		o.len = o.size - 1;
	}
	srv->ctr[SB_CLI_CTR_mgmt_served]++;
	shutdown(c->fd, SHUT_RD);
	c->out_off = 0;
	client_write(c, o.buf, o.len);
	if (c->fd < 0)
		return;
	c->out = malloc(o.len);
	if (c->out == NULL) {
		client_close(c);
		return;
	}
	memcpy(c->out, o.buf, o.len);
	c->out_len = o.len;
}

/* Read what is there; answer at the line end (or at EOF, as before).
 * Returns 1 if the request was answered. */
static int client_read(struct sb_cli_server *srv, struct sb_cli_client *c)
{
	for (;;) {
		size_t room = sizeof(c->in) - 1 - c->in_len;
		ssize_t n;

		if (room == 0) {
			client_answer(srv, c, true);
			return 1;
		}
		n = read(c->fd, c->in + c->in_len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			srv->ctr[SB_CLI_CTR_mgmt_bad_request]++;
			client_close(c);
			return 0;
		}
		c->in_len += (uint32_t)n;
		c->in[c->in_len] = '\0';
		if (n == 0 || memchr(c->in + c->in_len - n, '\n', (size_t)n) != NULL) {
			client_answer(srv, c, false);
			return 1;
		}
	}
}

/* Take every waiting connection into a free slot, or refuse it. */
static void server_accept(struct sb_cli_server *srv, uint64_t now_ms)
{
	static const char busy[] = "error: busy (too many management clients)\n";

	for (;;) {
		int fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct sb_cli_client *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or an error the next turn sees again */
		for (unsigned i = 0; i < SB_CLI_CLIENTS_MAX && c == NULL; i++)
			if (srv->clients[i].fd < 0)
				c = &srv->clients[i];
		if (c == NULL) {
			srv->ctr[SB_CLI_CTR_mgmt_busy_refused]++;
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->in_len = 0;
		c->deadline_ms = now_ms + srv->deadline_ms;
	}
}

/* Close every client past its deadline; returns the nearest deadline left. */
static uint64_t server_expire(struct sb_cli_server *srv, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < SB_CLI_CLIENTS_MAX; i++) {
		struct sb_cli_client *c = &srv->clients[i];

		if (c->fd < 0)
			continue;
		if (now_ms >= c->deadline_ms) {
			srv->ctr[c->out != NULL ? SB_CLI_CTR_mgmt_reply_cut
						: SB_CLI_CTR_mgmt_slow_dropped]++;
			client_close(c);
		} else if (c->deadline_ms < next) {
			next = c->deadline_ms;
		}
	}
	return next;
}

int sb_cli_server_poll(struct sb_cli_server *srv, int timeout_ms)
{
	struct pollfd pfd[1 + SB_CLI_CLIENTS_MAX];
	struct sb_cli_client *who[1 + SB_CLI_CLIENTS_MAX];
	uint64_t now_ms = server_now_ms(), next = server_expire(srv, now_ms);
	unsigned n = 1;
	int answered = 0, rc;

	if (next != UINT64_MAX && next - now_ms < (uint64_t)timeout_ms)
		timeout_ms = (int)(next - now_ms);
	pfd[0] = (struct pollfd){ .fd = srv->fd, .events = POLLIN };
	for (unsigned i = 0; i < SB_CLI_CLIENTS_MAX; i++) {
		struct sb_cli_client *c = &srv->clients[i];

		if (c->fd < 0)
			continue;
		who[n] = c;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
	}
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	for (unsigned i = 1; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (who[i]->out != NULL)
			client_write(who[i], who[i]->out, who[i]->out_len);
		else
			answered += client_read(srv, who[i]);
	}
	if (pfd[0].revents & POLLIN)
		server_accept(srv, server_now_ms());
	return answered;
}

void sb_cli_server_counters(const struct sb_cli_server *srv, struct sb_out *o)
{
	sb_out_printf(o, "management socket counters\n");
	for (unsigned i = 0; i < SB_CLI_CTR_MAX; i++)
		sb_out_printf(o, "  %-22s %llu\n", sb_cli_ctr_names[i],
			      (unsigned long long)srv->ctr[i]);
}

void sb_cli_server_close(struct sb_cli_server *srv)
{
	for (unsigned i = 0; i < SB_CLI_CLIENTS_MAX; i++)
		if (srv->clients[i].fd >= 0)
			client_close(&srv->clients[i]);
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(srv->path);
	}
	free(srv->reply);
	srv->reply = NULL;
	srv->fd = -1;
}
