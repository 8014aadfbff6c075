/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The file syntax as libinih parses it (lib/config/config_ini.c): the edges
 * where libinih alone would differ from what we promise — every error at
 * its own line (libinih tells only the first), lines too long (libinih
 * would parse their tail as one more line), indented keys (continuations
 * for libinih by default), inline comments, CRLF, a BOM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static struct sb_config cfg;
static struct sb_config_report rep;

/* Parse text as file "F"; returns the error count. */
static unsigned parse(const char *text, size_t len)
{
	memset(&rep, 0, sizeof(rep));
	sb_config_defaults(&cfg);
	sb_config_parse_all(&cfg, text, len, "F", &rep);
	return rep.n;
}

static unsigned parse_str(const char *text)
{
	return parse(text, strlen(text));
}

static const char *err_str(unsigned i)
{
	static char buf[512];

	assert_true(i < rep.n);
	sb_config_error_str(&rep.err[i], buf, sizeof(buf));
	return buf;
}

static void test_key_before_any_section(void **state)
{
	(void)state;
	assert_int_equal(parse_str("# top\nshards = 2\n[control]\nshards = 3\n"), 1);
	assert_string_equal(err_str(0), "F:2: key 'shards' outside any [section]");
	assert_int_equal(cfg.control_shards, 3);
}

/* libinih tells only the first line it cannot parse: each one is ours. */
static void test_every_bad_line_at_its_line(void **state)
{
	(void)state;
	assert_int_equal(parse_str("[control]\n"      /* 1 */
				   "shards\n"         /* 2 */
				   "shards = 2\n"     /* 3 */
				   "what is this\n"   /* 4 */
				   "[tcp\n"           /* 5 */
				   "mss = 5\n"        /* 6: in a refused header's keys */
				   "[tcp]\n"          /* 7 */
				   "garbage\n"        /* 8 */
				   "mss = 600\n"),    /* 9 */
			 4);
	assert_string_equal(err_str(0), "F:2: expected 'key = value'");
	assert_string_equal(err_str(1), "F:4: expected 'key = value'");
	assert_string_equal(err_str(2), "F:5: bad section header: expected '[name]'");
	assert_string_equal(err_str(3), "F:8: expected 'key = value'");
	assert_int_equal(cfg.control_shards, 2);
	assert_int_equal(cfg.tcp_mss, 600);
}

/* A refused header on line 1, where no sentinel goes before it (the BOM
 * libinih drops is only looked for there), and an empty name. */
static void test_bad_header_on_first_line_and_empty_name(void **state)
{
	(void)state;
	assert_int_equal(parse_str("[control\nshards = 2\n[]\nx = 1\n[control]\nshards = 3\n"), 2);
	assert_string_equal(err_str(0), "F:1: bad section header: expected '[name]'");
	assert_string_equal(err_str(1), "F:3: bad section header: expected '[name]'");
	assert_int_equal(cfg.control_shards, 3);
}

/* An unknown section with no key under it is still named, at its header. */
static void test_unknown_section_without_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_str("[control]\nshards = 2\n[bogus]\n[ tcp ]\nmss = 600\n"), 1);
	assert_string_equal(err_str(0), "F:3: unknown section [bogus]");
	assert_int_equal(cfg.tcp_mss, 600);
}

/* Past SB_CONFIG_LINE_MAX a line is refused whole and the count of lines
 * stays right: libinih's fgets-style reading would make its tail a line. */
static void test_very_long_line(void **state)
{
	size_t n = SB_CONFIG_LINE_MAX + 200;
	char *text = malloc(n + 64);
	size_t used;

	(void)state;
	assert_non_null(text);
	used = (size_t)snprintf(text, n, "[control]\nsocket = ");
	memset(text + used, 'a', n - used);
	memcpy(text + n, "\nshards = 5\nnope = 1\n", 21);
	assert_int_equal(parse(text, n + 21), 2);
	assert_string_equal(err_str(0), "F:2: line longer than 1024 bytes");
	assert_string_equal(err_str(1), "F:4: unknown key 'nope' in [control]");
	assert_int_equal(cfg.control_shards, 5);
	/* A line of exactly the limit is a line (its value is too long). */
	memcpy(text, "[control]\nsocket=", 17);
	memset(text + 17, 'b', SB_CONFIG_LINE_MAX - 7);
	memcpy(text + 10 + SB_CONFIG_LINE_MAX, "\r\n", 2);
	assert_int_equal(parse(text, 12 + SB_CONFIG_LINE_MAX), 1);
	assert_string_equal(err_str(0), "F:2: control.socket: value too long");
	free(text);
}

static void test_crlf_lines(void **state)
{
	(void)state;
	assert_int_equal(parse_str("[control]\r\nshards = 3\r\nsocket = \"/tmp/a b\"\r\n"
				   "\r\n[xmpp]\r\nnope\r\n"),
			 1);
	assert_string_equal(err_str(0), "F:6: expected 'key = value'");
	assert_int_equal(cfg.control_shards, 3);
	assert_string_equal(cfg.control_socket, "/tmp/a b");
}

/* A UTF-8 BOM is dropped at the start of the file, in front of a header or
 * of a comment; anywhere else it is part of the text. */
static void test_bom(void **state)
{
	(void)state;
	assert_int_equal(parse_str("\xEF\xBB\xBF[control]\nshards = 4\n"), 0);
	assert_int_equal(cfg.control_shards, 4);
	assert_int_equal(parse_str("\xEF\xBB\xBF# config\n[control]\nshards = 6\n"), 0);
	assert_int_equal(cfg.control_shards, 6);
	assert_int_equal(parse_str("[control]\n\xEF\xBB\xBFshards = 4\n"), 1);
	assert_int_equal(rep.err[0].line, 2);
}

/* ';' and '#' start a comment at the start of a line or after a blank;
 * inside a value (no blank before) they are the value's. */
static void test_inline_comments(void **state)
{
	(void)state;
	assert_int_equal(parse_str("; semicolon comment\n"
				   "  # indented comment\n"
				   "[control] ; on a header\n"
				   "shards = 7 ; trailing\n"
				   "socket = /tmp/a#b # trailing\n"
				   "[eal]\n"
				   "file_prefix = x;y\n"),
			 0);
	assert_int_equal(cfg.control_shards, 7);
	assert_string_equal(cfg.control_socket, "/tmp/a#b");
	assert_string_equal(cfg.eal_file_prefix, "x;y");
}

/* An indented key is a key (libinih's default makes it a continuation of
 * the key before, so the first key would get "mss = 600" as its value). */
static void test_indented_key_is_a_key(void **state)
{
	(void)state;
	assert_int_equal(parse_str("[tcp]\n  max_conns = 100\n\tmss = 600\n"), 0);
	assert_int_equal(cfg.tcp_max_conns, 100);
	assert_int_equal(cfg.tcp_mss, 600);
}

/* Duplicates at the second line, also when the first was bad; a section
 * may be opened again. */
static void test_duplicate_key(void **state)
{
	(void)state;
	assert_int_equal(parse_str("[tcp]\nmss = 5\n[control]\nshards = 2\n[tcp]\nmss = 600\n"), 2);
	assert_string_equal(err_str(0), "F:2: tcp.mss: 5 is outside 536..8960");
	assert_string_equal(err_str(1), "F:6: tcp.mss given twice");
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[control]\nshards = 2\0junk\nshards\n";

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1), 2);
	assert_string_equal(err_str(0), "F:2: NUL byte in configuration");
	assert_string_equal(err_str(1), "F:3: expected 'key = value'");
}

/* libinih cuts section and key names at 49 bytes: a cut name must never
 * be a known one, so every name we have is shorter. */
static void test_names_fit_libinih(void **state)
{
	static char dump[65536];
	size_t n;

	(void)state;
	sb_config_defaults(&cfg);
	n = sb_config_dump(&cfg, dump, sizeof(dump));
	assert_true(n < sizeof(dump));
	for (char *l = dump; *l != '\0'; l = strchr(l, '\n') + 1) {
		size_t dot = strcspn(l, "."), name = strcspn(l + dot + 1, " ");

		assert_true(dot < 49);
		assert_true(name < 49);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_before_any_section),
		cmocka_unit_test(test_every_bad_line_at_its_line),
		cmocka_unit_test(test_bad_header_on_first_line_and_empty_name),
		cmocka_unit_test(test_unknown_section_without_keys),
		cmocka_unit_test(test_very_long_line),
		cmocka_unit_test(test_crlf_lines),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_inline_comments),
		cmocka_unit_test(test_indented_key_is_a_key),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_names_fit_libinih),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
