/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/cli/server.c: the socket exists only with its final mode, even
 * under a permissive umask (inotify sees it arrive by rename, never by a
 * bare create); a client trickling one byte at a time neither holds the
 * loop nor survives its deadline; a full set of slots refuses with a word;
 * an overlong request gets an error; every case moves its counter.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "server.h"
#include "tmpdir.h"

struct fx {
	char dir[SB_TEST_TMPDIR_MAX];
	char path[96];
	struct sb_cli_server srv;
	unsigned dispatched;
};

static void fx_dispatch(void *arg, const char *req, struct sb_out *o)
{
	struct fx *f = arg;

	f->dispatched++;
	if (strcmp(req, "ping") == 0)
		sb_out_printf(o, "ok\npong\n");
	else
		sb_out_printf(o, "error: unknown command '%s'\n", req);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (sb_test_tmpdir_make(f->dir, "cli-test") < 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/run/sb.sock", f->dir);
	f->srv.fd = -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	sb_cli_server_close(&f->srv);
	sb_test_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void fx_open(struct fx *f)
{
	assert_int_equal(sb_cli_server_open(&f->srv, f->path, SB_CLI_SOCKET_MODE, fx_dispatch, f),
			 0);
}

static int client(const struct fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Whatever fd has to read right now (non-blocking), NUL-terminated. */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap && (n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static bool closed_by_peer(int fd)
{
	char b;

	return recv(fd, &b, 1, MSG_DONTWAIT) == 0;
}

/* Under umask 0 the old bind-then-chmod left a 0777 socket for a moment;
 * now the name appears only by rename, already 0660. */
static void test_mode_from_creation(void **state)
{
	struct fx *f = *state;
	char run[128], ev[4096];
	bool created = false, moved = false;
	struct stat st;
	mode_t old = umask(0);
	int in, wd;
	ssize_t n;

	snprintf(run, sizeof(run), "%s/run", f->dir);
	assert_int_equal(mkdir(run, 0755), 0);
	in = inotify_init1(IN_NONBLOCK);
	assert_true(in >= 0);
	wd = inotify_add_watch(in, run, IN_CREATE | IN_MOVED_TO);
	assert_true(wd >= 0);
	fx_open(f);
	umask(old);
	while ((n = read(in, ev, sizeof(ev))) > 0) {
		for (char *p = ev; p < ev + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->len > 0 && strcmp(e->name, "sb.sock") == 0) {
				created |= (e->mask & IN_CREATE) != 0;
				moved |= (e->mask & IN_MOVED_TO) != 0;
			}
			p += sizeof(*e) + e->len;
		}
	}
	close(in);
	assert_false(created);
	assert_true(moved);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, SB_CLI_SOCKET_MODE);
	/* The private folder is gone: only the socket is left. */
	assert_int_equal(rmdir(run), -1);
	assert_int_equal(errno, ENOTEMPTY);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(rmdir(run), 0);
}

/* A stale socket file from a killed predecessor is replaced. */
static void test_replaces_stale(void **state)
{
	struct fx *f = *state;
	char buf[256];
	int c;

	fx_open(f);
	sb_cli_server_close(&f->srv);
	assert_int_equal(mknod(f->path, S_IFSOCK | 0600, 0), 0);
	fx_open(f);
	c = client(f);
	assert_int_equal(write(c, "ping\n", 5), 5);
	for (int i = 0; i < 20 && f->srv.ctr[SB_CLI_CTR_mgmt_served] == 0; i++)
		sb_cli_server_poll(&f->srv, 50);
	drain(c, buf, sizeof(buf));
	assert_string_equal(buf, "ok\npong\n");
	close(c);
}

/* Issue 13 item 5: a client sending one byte per turn is answered never and
 * dropped at its deadline, while another client is answered at once. */
static void test_slow_client(void **state)
{
	struct fx *f = *state;
	char buf[256];
	int slow, fast, turns = 0;

	fx_open(f);
	f->srv.deadline_ms = 300;
	slow = client(f);
	assert_int_equal(write(slow, "s", 1), 1);
	sb_cli_server_poll(&f->srv, 50); /* accept the slow one */
	fast = client(f);
	assert_int_equal(write(fast, "ping\n", 5), 5);
	/* A bounded number of turns, each at most 50 ms: the fast client's
	 * answer does not wait for the slow one. */
	while (f->srv.ctr[SB_CLI_CTR_mgmt_served] == 0 && turns++ < 4)
		sb_cli_server_poll(&f->srv, 50);
	drain(fast, buf, sizeof(buf));
	assert_string_equal(buf, "ok\npong\n");
	assert_true(closed_by_peer(fast));
	assert_int_equal(f->srv.ctr[SB_CLI_CTR_mgmt_slow_dropped], 0);
	/* Keep trickling, a byte every 30 ms (at most 2 s in all): the
	 * deadline covers the whole request, not each read. */
	for (turns = 0; turns < 70 && f->srv.ctr[SB_CLI_CTR_mgmt_slow_dropped] == 0; turns++) {
		(void)!send(slow, "t", 1, MSG_NOSIGNAL);
		sb_cli_server_poll(&f->srv, 50);
		usleep(30 * 1000);
	}
	assert_int_equal(f->srv.ctr[SB_CLI_CTR_mgmt_slow_dropped], 1);
	assert_int_equal(f->dispatched, 1);
	drain(slow, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_true(closed_by_peer(slow));
	close(slow);
	close(fast);
}

/* Every slot taken: the next client is told, not left waiting. */
static void test_busy(void **state)
{
	struct fx *f = *state;
	int idle[SB_CLI_CLIENTS_MAX], extra;
	char buf[256];

	fx_open(f);
	for (unsigned i = 0; i < SB_CLI_CLIENTS_MAX; i++)
		idle[i] = client(f);
	sb_cli_server_poll(&f->srv, 50);
	extra = client(f);
	sb_cli_server_poll(&f->srv, 50);
	drain(extra, buf, sizeof(buf));
	assert_non_null(strstr(buf, "error: busy"));
	assert_int_equal(f->srv.ctr[SB_CLI_CTR_mgmt_busy_refused], 1);
	close(extra);
	for (unsigned i = 0; i < SB_CLI_CLIENTS_MAX; i++)
		close(idle[i]);
}

static void test_too_long(void **state)
{
	struct fx *f = *state;
	static char big[SB_CLI_REQUEST_MAX + 16];
	char buf[256];
	int c;

	fx_open(f);
	memset(big, 'x', sizeof(big));
	c = client(f);
	assert_int_equal(write(c, big, sizeof(big)), (ssize_t)sizeof(big));
	for (int i = 0; i < 20 && f->srv.ctr[SB_CLI_CTR_mgmt_served] == 0; i++)
		sb_cli_server_poll(&f->srv, 50);
	drain(c, buf, sizeof(buf));
	assert_non_null(strstr(buf, "error: bad request"));
	assert_int_equal(f->srv.ctr[SB_CLI_CTR_mgmt_bad_request], 1);
	assert_int_equal(f->dispatched, 0);
	close(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mode_from_creation),
		T(test_replaces_stale),
		T(test_slow_client),
		T(test_busy),
		T(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
