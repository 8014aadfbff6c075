/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/config EAL arguments: --no-pci unless a PCI device is configured,
 * the file prefix shared by both processes, and bounded argv building.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_eal.h"

static bool has_arg(const struct sb_eal_args *a, const char *want)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], want) == 0)
			return true;
	return false;
}

static void test_primary_defaults_no_pci(void **state)
{
	static struct sb_config c;
	static struct sb_eal_args a;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_eal_args_primary(&a, "sb-dataplane", &c), 0);
	assert_string_equal(a.argv[0], "sb-dataplane");
	assert_true(has_arg(&a, "--no-pci"));
	assert_true(has_arg(&a, "--file-prefix=sb"));
	assert_true(has_arg(&a, "--proc-type=primary"));
	assert_true(has_arg(&a, "--vdev=net_tap0,iface=sbtap0"));
	assert_null(a.argv[a.argc]);
}

static void test_primary_pci_allow_list(void **state)
{
	static struct sb_config c;
	static struct sb_eal_args a;
	struct sb_config_error e;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_override(&c, "port0.pci=0000:3b:00.0", &e), 0);
	assert_int_equal(sb_config_override(&c, "port0.vdev=", &e), 0);
	assert_int_equal(sb_config_override(&c, "eal.extra_args=--log-level=8  -n 4", &e), 0);
	assert_int_equal(sb_eal_args_primary(&a, "x", &c), 0);
	assert_false(has_arg(&a, "--no-pci"));
	assert_true(has_arg(&a, "--allow=0000:3b:00.0"));
	assert_true(has_arg(&a, "--log-level=8"));
	assert_true(has_arg(&a, "-n"));
	assert_true(has_arg(&a, "4"));
	for (int i = 0; i < a.argc; i++)
		assert_null(strstr(a.argv[i], "--vdev"));
}

static void test_lcore_mapping(void **state)
{
	static struct sb_config c;
	static struct sb_eal_args a;
	struct sb_config_error e;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_eal_args_primary(&a, "x", &c), 0);
	assert_true(has_arg(&a, "-l0-1"));
	assert_int_equal(sb_config_override(&c, "eal.lcores=0@0,1@1,2@1", &e), 0);
	assert_int_equal(sb_eal_args_primary(&a, "x", &c), 0);
	assert_true(has_arg(&a, "--lcores=0@0,1@1,2@1"));
}

static void test_secondary_shares_prefix(void **state)
{
	static struct sb_config c;
	static struct sb_eal_args a;
	struct sb_config_error e;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_override(&c, "eal.file_prefix=gw7", &e), 0);
	assert_int_equal(sb_eal_args_secondary(&a, "sb-control", &c), 0);
	assert_true(has_arg(&a, "--file-prefix=gw7"));
	assert_true(has_arg(&a, "--proc-type=secondary"));
	assert_true(has_arg(&a, "--no-pci"));
	assert_true(has_arg(&a, "--lcores=100@0"));
}

static void test_too_many_args(void **state)
{
	static struct sb_config c;
	static struct sb_eal_args a;
	char extra[SB_CONFIG_STR_MAX];

	(void)state;
	sb_config_defaults(&c);
	/* 100 two-byte words: more than SB_EAL_ARGV_MAX arguments. */
	for (int i = 0; i < 100; i++)
		memcpy(extra + i * 2, "x ", 2);
	extra[200] = '\0';
	memcpy(c.eal_extra_args, extra, 201);
	assert_int_equal(sb_eal_args_primary(&a, "x", &c), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary_defaults_no_pci),
		cmocka_unit_test(test_primary_pci_allow_list),
		cmocka_unit_test(test_lcore_mapping),
		cmocka_unit_test(test_secondary_shares_prefix),
		cmocka_unit_test(test_too_many_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
