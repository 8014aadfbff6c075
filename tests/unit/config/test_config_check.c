/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Every error of a file, each at its line: sb_config_load_all and
 * sb_config_check_all as "sbctl config check" and the daemons use them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_cli.h"

static struct sb_config cfg;
static struct sb_config_report rep;
static char path[64];

/* Write text to a fresh temporary file named in path. */
static void write_file(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/sb_cfgcheck_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Load and check path into rep like sbctl does; returns the error count. */
static unsigned check_file(void)
{
	memset(&rep, 0, sizeof(rep));
	sb_config_defaults(&cfg);
	if (sb_config_load_all(&cfg, path, &rep) != -ENOENT)
		sb_config_check_all(&cfg, &rep);
	return rep.n;
}

/* Error i as sbctl prints it, path replaced by "F" so expectations stay
 * readable. */
static const char *error_line(unsigned i)
{
	static char buf[512], out[512];
	size_t plen = strlen(path);

	sb_config_error_str(&rep.err[i], buf, sizeof(buf));
	assert_memory_equal(buf, path, plen);
	snprintf(out, sizeof(out), "F%s", buf + plen);
	return out;
}

static void test_valid_file_passes(void **state)
{
	(void)state;
	write_file("# a comment\n[control]\nshards = 2\n\n[xmpp]\nmax_stanza_bytes = 100000\n"
		   "input_budget = 200000\ntls = off\n");
	assert_int_equal(check_file(), 0);
	assert_int_equal(cfg.control_shards, 2);
	unlink(path);
}

/* An unknown section, a value out of range and a broken relation between
 * keys: all three, each at its line, the relation at the later key's. */
static void test_three_errors_on_their_lines(void **state)
{
	(void)state;
	write_file("[xmpp]\n"                       /* 1 */
		   "max_stanza_bytes = 200000\n"    /* 2 */
		   "[bogus]\n"                      /* 3 */
		   "whatever = 1\n"                 /* 4: not reported again */
		   "[tcp]\n"                        /* 5 */
		   "mss = 5\n"                      /* 6 */
		   "[xmpp]\n"                       /* 7 */
		   "input_budget = 300000\n");      /* 8 */
	assert_int_equal(check_file(), 3);
	assert_string_equal(error_line(0), "F:3: unknown section [bogus]");
	assert_string_equal(error_line(1), "F:6: tcp.mss: 5 is outside 536..8960");
	assert_string_equal(error_line(2), "F:8: xmpp.input_budget (300000) must be at least "
					   "twice xmpp.max_stanza_bytes (200000)");
	unlink(path);
}

/* The same relation with the keys the other way round: the later line
 * is max_stanza_bytes'. An unknown key and a bad boolean are reported too. */
static void test_relation_at_later_key(void **state)
{
	(void)state;
	write_file("[xmpp]\ninput_budget = 300000\nnope = 1\nlegacy_session = maybe\n"
		   "max_stanza_bytes = 200000\n");
	assert_int_equal(check_file(), 3);
	assert_string_equal(error_line(0), "F:3: unknown key 'nope' in [xmpp]");
	assert_string_equal(error_line(1), "F:4: xmpp.legacy_session: 'maybe' is not a boolean");
	assert_non_null(strstr(error_line(2), "F:5: xmpp.input_budget (300000)"));
	unlink(path);
}

static void test_missing_file(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/nonexistent/sb.conf");
	assert_int_equal(check_file(), 1);
	assert_string_equal(error_line(0), "F: No such file or directory");
}

/* The daemons' shared command line refuses the file with the same lines. */
static void test_daemons_print_the_same(void **state)
{
	static char out[8192];
	const char *argv[] = { "x", "-c", path, NULL };

	(void)state;
	write_file("[bogus]\n[tcp]\nmss = 5\nmss = 600\n");
	assert_int_equal(sb_config_cli(&cfg, 3, (char **)argv, "sb-test", NULL, out, sizeof(out)),
			 2);
	assert_int_equal(check_file(), 3);
	{
		char want[2048];
		size_t used = 0;

		for (unsigned i = 0; i < rep.n; i++) {
			used += (size_t)sb_config_error_str(&rep.err[i], want + used,
							     sizeof(want) - used);
			want[used++] = '\n';
		}
		want[used] = '\0';
		assert_string_equal(out, want);
	}
	assert_non_null(strstr(out, ":4: tcp.mss given twice\n"));
	unlink(path);
}

/* An override after the file takes the key's line away: the relation is
 * then reported at the other key's line. */
static void test_override_forgets_line(void **state)
{
	(void)state;
	write_file("[xmpp]\nmax_stanza_bytes = 200000\ninput_budget = 500000\n");
	assert_int_equal(check_file(), 0);
	assert_int_equal(sb_config_override_all(&cfg, "xmpp.input_budget=300000", &rep), 0);
	assert_int_equal(sb_config_check_all(&cfg, &rep), -EINVAL);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.err[0].line, 2);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file_passes),
		cmocka_unit_test(test_three_errors_on_their_lines),
		cmocka_unit_test(test_relation_at_later_key),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_daemons_print_the_same),
		cmocka_unit_test(test_override_forgets_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
