/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sbctl: the operator's CLI. Sends one command line to sb-control's
 * management socket and prints the reply. Exit status: 0 when sb-control
 * answered "ok", 1 when it answered an error or could not be reached (one
 * clear line on stderr), 2 for a usage error (sbctl_help.h; found here, or
 * by sb-control: a reply "error: usage: ..."). Every command answers --help
 * here, without sb-control. A password for "user add" or
 * "user passwd" may come from stdin instead of the command line.
 * "config check FILE" runs here, without sb-control (sbctl_config.c):
 * 0 when the file is valid, 1 when not. "top" asks sb-control for a
 * sample every interval and prints the rates between them (sbctl_top.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "sbctl_config.h"
#include "sbctl_help.h"
#include "sbctl_top.h"

#define SBCTL_REPLY_MAX (1u << 20)
#define SBCTL_REQUEST_MAX 4096u  /* the server's SB_CLI_REQUEST_MAX, newline included */
#define SBCTL_PASS_MAX 1023u     /* lib/scram's SB_SCRAM_PASS_MAX */

static int sbctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* Generous: some commands derive keys (PBKDF2) on a busy machine. */
	struct timeval tv = { .tv_sec = 30, .tv_usec = 0 };
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
			fprintf(stderr, "sbctl: reading the reply: %s\n",
			errno == EAGAIN ? "no answer within 30 s" : strerror(errno));
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

/* One line from stdin into pw[0..cap) without its line end. Returns its
 * length, or -1 after one line on stderr. */
static int sbctl_read_line(char *pw, size_t cap)
{
	size_t len;

	if (fgets(pw, (int)cap, stdin) == NULL) {
		fprintf(stderr, "sbctl: no password on stdin\n");
		return -1;
	}
	len = strcspn(pw, "\r\n");
	if (pw[len] == '\0' && len + 1 == cap && !feof(stdin)) {
		fprintf(stderr, "sbctl: password longer than %u octets\n", SBCTL_PASS_MAX);
		return -1;
	}
	pw[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "sbctl: empty password\n");
		return -1;
	}
	return (int)len;
}

/* Prompt on the terminal with echo off. */
static int sbctl_prompt(const char *prompt, char *pw, size_t cap)
{
	struct termios old, quiet;
	int len;

	if (tcgetattr(STDIN_FILENO, &old) < 0) {
		fprintf(stderr, "sbctl: terminal: %s\n", strerror(errno));
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fputs(prompt, stderr);
	fflush(stderr);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	len = sbctl_read_line(pw, cap);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return len;
}

/* The password of "user add|passwd JID [-]": stdin's first line, or asked
 * twice on a terminal. */
static int sbctl_password(char *pw, size_t cap)
{
	char again[SBCTL_PASS_MAX + 2];
	int len, ok;

	if (!isatty(STDIN_FILENO))
		return sbctl_read_line(pw, cap);
	len = sbctl_prompt("Password: ", pw, cap);
	if (len < 0)
		return -1;
	ok = sbctl_prompt("Again: ", again, sizeof(again)) == len && strcmp(pw, again) == 0;
	explicit_bzero(again, sizeof(again));
	if (!ok) {
		fprintf(stderr, "sbctl: the passwords differ\n");
		return -1;
	}
	return len;
}

/* True for "user add|passwd JID" and "user add|passwd JID -". */
static bool sbctl_wants_password(int n, char **args)
{
	return (n == 3 || (n == 4 && strcmp(args[3], "-") == 0)) && strcmp(args[0], "user") == 0 &&
	       (strcmp(args[1], "add") == 0 || strcmp(args[1], "passwd") == 0);
}

/* Join args with single spaces into cmd, then " password" if pw, then a
 * newline. Returns the length or -1. */
static int sbctl_build(char *cmd, size_t size, int n, char **args, const char *pw)
{
	size_t clen = 0;

	for (int i = 0; i <= n; i++) {
		const char *a = i < n ? args[i] : pw;
		int w;

		if (a == NULL)
			break;
		w = snprintf(cmd + clen, size - clen, "%s%s", i > 0 ? " " : "", a);
		if (w < 0 || (size_t)w >= size - clen - 1) {
			fprintf(stderr, "sbctl: command too long (at most %zu octets)\n",
				size - 1);
			return -1;
		}
		clen += (size_t)w;
	}
	cmd[clen++] = '\n';
	return (int)clen;
}

/* One request, its reply's body (after "ok\n") in buf. 0, or 1 after one
 * line on stderr (unreachable, or sb-control answered an error). */
static int sbctl_ask(const char *sock, const char *cmd, char *buf, size_t size)
{
	int fd = sbctl_connect(sock);
	size_t len = strlen(cmd);
	ssize_t n;

	if (fd < 0)
		return 1;
	if (write(fd, cmd, len) != (ssize_t)len) {
		fprintf(stderr, "sbctl: sending the command: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	n = sbctl_read_reply(fd, buf, size);
	close(fd);
	if (n < 0)
		return 1;
	if (strncmp(buf, "ok\n", 3) != 0) {
		fprintf(stderr, "sbctl: %s", n == 0 ? "sb-control closed the connection\n"
			: strncmp(buf, "error: ", 7) == 0 ? buf + 7 : buf);
		return 1;
	}
	memmove(buf, buf + 3, (size_t)n - 2);
	return 0;
}

static double sbctl_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sbctl_top_sample(const char *sock, char *buf, size_t size, struct sbctl_top_sample *s)
{
	if (sbctl_ask(sock, "top sample\n", buf, size) != 0)
		return 1;
	if (sbctl_top_parse(buf, s) < 0) {
		fprintf(stderr, "sbctl: top: sb-control's sample is not understood (an older "
				"sb-control?)\n");
		return 1;
	}
	return 0;
}

/* "top [--count N] [--interval S] [--json]": one row per interval, N rows
 * (default: until interrupted). */
static int sbctl_top(const char *prog, const char *sock, int n, char **args)
{
	static struct sbctl_top_sample s[2];
	static char buf[65536];
	unsigned long count = 0;
	double interval = 1.0, t0, t1;
	bool json = false;
	int cur = 0;

	for (int i = 1; i < n; i++) {
		char *end = NULL;
		bool bad;

		if (strcmp(args[i], "--json") == 0) {
			json = true;
			continue;
		}
		if (strcmp(args[i], "--count") == 0 && i + 1 < n) {
			count = strtoul(args[++i], &end, 10);
			bad = count == 0 || count > 1000000000ul;
		} else if (strcmp(args[i], "--interval") == 0 && i + 1 < n) {
			interval = strtod(args[++i], &end);
			bad = !(interval >= 0.1 && interval <= 3600);
		} else {
			bad = true;
		}
		if (bad || end == args[i] || *end != '\0') {
			fprintf(stderr, "usage: %s top [--count N] [--interval SECONDS] [--json] "
					"(1 <= N, 0.1 <= SECONDS <= 3600)\n", prog);
			return 2;
		}
	}
	if (sbctl_top_sample(sock, buf, sizeof(buf), &s[0]) != 0)
		return 1;
	t0 = sbctl_now_s();
	for (unsigned long row = 0; count == 0 || row < count; row++) {
		struct timespec ts = { (time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9) };
		struct sbctl_top_row r;
		char hms[16];
		time_t now;

		nanosleep(&ts, NULL);
		if (sbctl_top_sample(sock, buf, sizeof(buf), &s[!cur]) != 0)
			return 1;
		t1 = sbctl_now_s();
		now = time(NULL);
		strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&now));
		sbctl_top_row(&s[cur], &s[!cur], t1 - t0 > 0 ? t1 - t0 : interval, hms, &r);
		cur = !cur;
		t0 = t1;
		if (json) {
			sbctl_top_print_json(stdout, &r);
			continue;
		}
		if (row % SBCTL_TOP_HEADER_EVERY == 0)
			sbctl_top_print_header(stdout);
		sbctl_top_print_text(stdout, &r);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sb_config cfg;
	const char *sock = NULL;
	static char cmd[SBCTL_REQUEST_MAX];
	static char pw[SBCTL_PASS_MAX + 2];
	char *reply;
	ssize_t n;
	int opt, fd, nargs, clen;
	bool ask;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "commands", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};

	sb_config_defaults(&cfg);
	while ((opt = getopt_long(argc, argv, "+c:S:h", longopts, NULL)) != -1) {
		if (opt == 'c') {
			if (sbctl_config_load(&cfg, optarg, false, stderr) < 0)
				return 2;
		} else if (opt == 'S') {
			sock = optarg;
		} else if (opt == 'L') {
			sbctl_help_list(stdout);
			return 0;
		} else {
			sbctl_help_usage(opt == 'h' ? stdout : stderr, argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		sbctl_help_usage(stderr, argv[0]);
		return 2;
	}
	nargs = argc - optind;
	if (sbctl_help_wanted(nargs, argv + optind)) {
		int words = 0;

		while (words < nargs && strcmp(argv[optind + words], "--help") != 0)
			words++;
		if (sbctl_help_command(stdout, argv[0], words, argv + optind) == 0)
			return 0;
		fprintf(stderr, "sbctl: no command '%s' (sbctl --help lists them)\n", argv[optind]);
		return 2;
	}
	/* Local: it must work before sb-control runs, on the file it would read. */
	if (nargs == 2 && strcmp(argv[optind], "config") == 0 &&
	    strcmp(argv[optind + 1], "doc") == 0)
		return sbctl_config_doc(stdout);
	if (nargs >= 2 && strcmp(argv[optind], "config") == 0 &&
	    strcmp(argv[optind + 1], "check") == 0) {
		if (nargs != 3) {
			fprintf(stderr, "usage: %s config check FILE\n", argv[0]);
			return 2;
		}
		return sbctl_config_check(argv[optind + 2], stdout, stderr);
	}
	if (strcmp(argv[optind], "top") == 0)
		return sbctl_top(argv[0], sock ? sock : cfg.control_socket, nargs, argv + optind);
	ask = sbctl_wants_password(nargs, argv + optind);
	if (ask && sbctl_password(pw, sizeof(pw)) < 0)
		return 2;
	clen = sbctl_build(cmd, sizeof(cmd), ask ? 3 : nargs, argv + optind, ask ? pw : NULL);
	explicit_bzero(pw, sizeof(pw));
	if (clen < 0)
		return 2;
	fd = sbctl_connect(sock ? sock : cfg.control_socket);
	if (fd < 0) {
		explicit_bzero(cmd, sizeof(cmd));
		return 1;
	}
	if (write(fd, cmd, (size_t)clen) != (ssize_t)clen) {
		fprintf(stderr, "sbctl: sending the command: %s\n", strerror(errno));
		explicit_bzero(cmd, sizeof(cmd));
		close(fd);
		return 1;
	}
	explicit_bzero(cmd, sizeof(cmd));
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
	/* sb-control found the command line itself wrong: a usage error. */
	return strncmp(reply, "error: usage:", 13) == 0 ? 2 : 1;
}
