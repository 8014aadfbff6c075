/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sbctl: the operator's CLI. Sends one command line to sb-control's
 * management socket and prints the reply. Exit status: 0 when sb-control
 * answered "ok", 1 when it answered an error or could not be reached (one
 * clear line on stderr), 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"

#define SBCTL_REPLY_MAX (1u << 20)

static void sbctl_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-c FILE] [-S SOCKET] COMMAND\n"
		"  -c FILE    configuration file (for control.socket)\n"
		"  -S SOCKET  sb-control's socket (default from the configuration)\n"
		"commands:\n"
		"  status     processes, ports, workers, shards, rings and counters\n"
		"  ping       check that sb-control answers\n",
		prog);
}

static int sbctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sbctl: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "sbctl: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sbctl: cannot reach sb-control at %s: %s (is sb-control running?)\n",
			path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the whole reply into buf; returns its length or -1. */
static ssize_t sbctl_read_reply(int fd, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			fprintf(stderr, "sbctl: reading the reply: %s\n", strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len + 1 == size)
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

int main(int argc, char **argv)
{
	static struct sb_config cfg;
	struct sb_config_error err = { 0 };
	const char *sock = NULL;
	char cmd[1024];
	char *reply;
	ssize_t n;
	size_t clen = 0;
	int opt, fd;

	sb_config_defaults(&cfg);
	while ((opt = getopt(argc, argv, "+c:S:h")) != -1) {
		if (opt == 'c') {
			if (sb_config_load(&cfg, optarg, &err) < 0) {
				fprintf(stderr, "sbctl: config: %s\n", err.msg);
				return 2;
			}
		} else if (opt == 'S') {
			sock = optarg;
		} else {
			sbctl_usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		sbctl_usage(argv[0]);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		int w = snprintf(cmd + clen, sizeof(cmd) - clen, "%s%s", i > optind ? " " : "",
				 argv[i]);

		if (w < 0 || (size_t)w >= sizeof(cmd) - clen - 1) {
			fprintf(stderr, "sbctl: command too long\n");
			return 2;
		}
		clen += (size_t)w;
	}
	cmd[clen++] = '\n';
	fd = sbctl_connect(sock ? sock : cfg.control_socket);
	if (fd < 0)
		return 1;
	if (write(fd, cmd, clen) != (ssize_t)clen) {
		fprintf(stderr, "sbctl: sending the command: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	reply = malloc(SBCTL_REPLY_MAX);
	if (reply == NULL)
		return 1;
	n = sbctl_read_reply(fd, reply, SBCTL_REPLY_MAX);
	close(fd);
	if (n < 0)
		return 1;
	if (strncmp(reply, "ok\n", 3) == 0) {
		fputs(reply + 3, stdout);
		return 0;
	}
	if (n == 0)
		fprintf(stderr, "sbctl: sb-control closed the connection without answering\n");
	else
		fprintf(stderr, "sbctl: %s", strncmp(reply, "error: ", 7) == 0 ? reply + 7 : reply);
	return 1;
}
