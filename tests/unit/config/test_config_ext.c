/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/config's extension (struct sb_config_ext): a program's own keys,
 * declared with the same SB_CFG_* lines, parsed, overridden, checked and
 * dumped like the shared ones, and unknown to a configuration without them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_cli.h"

#define TEST_KEYS(X_U64, X_STR) \
	X_U64(probe, count, 5, 1, 100) \
	X_STR(probe, name, "first")

struct test_keys {
#define F_U64(s, k, d, lo, hi) SB_CONFIG_FIELD_U64(s, k)
#define F_STR(s, k, d) SB_CONFIG_FIELD_STR(s, k)
	TEST_KEYS(F_U64, F_STR)
};

#define K_U64(s, k, d, lo, hi) SB_CONFIG_KEY_U64(struct test_keys, s, k, d, lo, hi)
#define K_STR(s, k, d) SB_CONFIG_KEY_STR(struct test_keys, s, k, d)
static const struct sb_config_key test_table[] = { TEST_KEYS(K_U64, K_STR) };

/* A key of a shared section: may not be added by a program. */
static const struct sb_config_key clash_table[] = {
	SB_CONFIG_KEY_U64(struct test_keys, probe, count, 5, 1, 100)
	{ "tcp", "extra", SB_CONFIG_U64, 0, NULL, 1, 0, 2 },
};

static void test_ext_defaults_parse_override(void **state)
{
	static struct sb_config c;
	struct test_keys k;
	struct sb_config_ext ext = { test_table, 2, &k };
	struct sb_config_error err = { 0 };
	const char *text = "[tcp]\nmax_conns = 100\n[probe]\ncount = 7\n";

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_extend(&c, &ext), 0);
	assert_int_equal(k.probe_count, 5);
	assert_string_equal(k.probe_name, "first");
	assert_int_equal(sb_config_parse(&c, text, strlen(text), &err), 0);
	assert_int_equal(c.tcp_max_conns, 100);
	assert_int_equal(k.probe_count, 7);
	assert_int_equal(sb_config_override(&c, "probe.name=second", &err), 0);
	assert_string_equal(k.probe_name, "second");
	/* Range and twice-given checks hold for its keys too. */
	assert_int_equal(sb_config_override(&c, "probe.count=101", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "outside 1..100"));
	text = "[probe]\ncount = 2\ncount = 3\n";
	assert_int_equal(sb_config_parse(&c, text, strlen(text), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "given twice"));
}

static void test_ext_dump_and_unknown_without(void **state)
{
	static struct sb_config c;
	static char buf[65536];
	struct test_keys k;
	struct sb_config_ext ext = { test_table, 2, &k };
	struct sb_config_error err = { 0 };

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_override(&c, "probe.count=7", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown key"));
	assert_int_equal(sb_config_extend(&c, &ext), 0);
	assert_true(sb_config_dump(&c, buf, sizeof(buf)) < sizeof(buf));
	assert_non_null(strstr(buf, "tcp.max_conns = "));
	assert_non_null(strstr(buf, "probe.count = 5\n"));
	assert_non_null(strstr(buf, "probe.name = \"first\"\n"));
	sb_config_defaults(&c); /* drops the extension */
	assert_int_equal(sb_config_dump(&c, buf, sizeof(buf)) < sizeof(buf), 1);
	assert_null(strstr(buf, "probe."));
}

static void test_ext_clash_refused(void **state)
{
	static struct sb_config c;
	struct test_keys k;
	struct sb_config_ext ext = { clash_table, 2, &k };

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_extend(&c, &ext), -EEXIST);
	assert_null(c.ext);
}

static void test_ext_cli(void **state)
{
	static struct sb_config c;
	static char out[65536];
	struct test_keys k;
	struct sb_config_ext ext = { test_table, 2, &k };
	const char *argv[] = { "sb-test", "-s", "probe.count=9", "-p", NULL };

	(void)state;
	assert_int_equal(sb_config_cli_ext(&c, &ext, 4, (char **)argv, "sb-test", NULL, out,
					   sizeof(out)), 0);
	assert_int_equal(k.probe_count, 9);
	assert_non_null(strstr(out, "probe.count = 9\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext_defaults_parse_override),
		cmocka_unit_test(test_ext_dump_and_unknown_without),
		cmocka_unit_test(test_ext_clash_refused),
		cmocka_unit_test(test_ext_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
