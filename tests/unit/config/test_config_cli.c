/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/config's shared command line: -c/-s order, -p, -h, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_cli.h"

static struct sb_config cfg;
static char out[65536];

static int run(int argc, const char **argv)
{
	return sb_config_cli(&cfg, argc, (char **)argv, "sb-test", "  extra line\n", out,
			     sizeof(out));
}

static void test_overrides_after_file(void **state)
{
	char path[] = "/tmp/sb_cli_XXXXXX";
	int fd = mkstemp(path);
	const char *text = "[control]\nshards = 3\n";
	const char *argv[] = { "x", "-s", "control.shards=5", "-c", path, "rest", NULL };

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	/* options apply in order: the file after the override wins here */
	assert_int_equal(run(5, argv), -1);
	assert_int_equal(cfg.control_shards, 3);
	unlink(path);
}

static void test_print_and_help(void **state)
{
	const char *p[] = { "x", "-s", "control.shards=7", "-p", NULL };
	const char *h[] = { "x", "-h", NULL };

	(void)state;
	assert_int_equal(run(4, p), 0);
	assert_non_null(strstr(out, "control.shards = 7\n"));
	assert_int_equal(run(2, h), 0);
	assert_non_null(strstr(out, "usage: sb-test"));
	assert_non_null(strstr(out, "extra line"));
}

static void test_errors(void **state)
{
	const char *bad_key[] = { "x", "-s", "control.nope=1", NULL };
	const char *bad_opt[] = { "x", "-z", NULL };
	const char *missing[] = { "x", "-c", "/nonexistent/sb.conf", NULL };

	(void)state;
	assert_int_equal(run(3, bad_key), 2);
	assert_non_null(strstr(out, "sb-test: config: unknown key 'nope'"));
	opterr = 0;
	assert_int_equal(run(2, bad_opt), 2);
	assert_non_null(strstr(out, "usage:"));
	assert_int_equal(run(3, missing), 2);
	assert_non_null(strstr(out, "/nonexistent/sb.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overrides_after_file),
		cmocka_unit_test(test_print_and_help),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
