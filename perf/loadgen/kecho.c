/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-kecho: the kernel-TCP side of the echo comparison (docs/BENCHMARKS.md).
 * A plain single-threaded epoll echo server (RFC 862) on the kernel's
 * stack, the way a C server without kernel bypass would be written, so the
 * same client can be pointed at it and at Switchboard's echo service.
 * Exits after --duration seconds whatever happens: a benchmark never hangs.
 *
 * usage: sb-kecho ADDR PORT DURATION_S
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KECHO_EVENTS 256

static int kecho_listen(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of buf; when the socket buffer is full, wait up to a second
 * for room (the client reads while it writes), then give up. */
static int kecho_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n = write(fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (poll(&p, 1, 1000) <= 0)
			return -1;
	}
	return 0;
}

/* Echo what is readable, a bounded number of reads per wake-up. */
static void kecho_serve(int ep, int fd)
{
	char buf[16384];

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || kecho_write_all(fd, buf, (size_t)n) < 0) {
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			return;
		}
	}
}

static void kecho_accept(int ep, int lfd)
{
	for (int i = 0; i < 64; i++) {
		int one = 1, fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	struct epoll_event evs[KECHO_EVENTS], ev = { .events = EPOLLIN };
	time_t end;
	int ep, lfd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s ADDR PORT DURATION_S\n", argv[0]);
		return 2;
	}
	lfd = kecho_listen(argv[1], atoi(argv[2]));
	ep = epoll_create1(0);
	if (lfd < 0 || ep < 0) {
		fprintf(stderr, "sb-kecho: %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	end = time(NULL) + atoi(argv[3]);
	while (time(NULL) < end) {
		int n = epoll_wait(ep, evs, KECHO_EVENTS, 200);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				kecho_accept(ep, lfd);
			else
				kecho_serve(ep, evs[i].data.fd);
		}
	}
	return 0;
}
