/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/component's configuration (sb_comps_config): component.domains
 * parsed into normalised domains and their secrets, and every malformed
 * entry refused with a reason instead of being half-applied.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "component/component.h"

static struct sb_comps cs;

static void test_parse(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(sb_comps_config(&cs, "", why, sizeof(why)), 0);
	assert_int_equal(cs.n, 0);
	assert_int_equal(sb_comps_config(&cs, "MUC.Example.COM=s3cret,upload.example.com=a=b",
					 why, sizeof(why)), 0);
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[0].domain, "muc.example.com");
	assert_int_equal(cs.c[0].domain_len, 15);
	assert_int_equal(cs.c[0].secret_len, 6);
	assert_memory_equal(cs.c[0].secret, "s3cret", 6);
	/* The secret is everything after the first '='. */
	assert_int_equal(cs.c[1].secret_len, 3);
	assert_memory_equal(cs.c[1].secret, "a=b", 3);
	assert_false(cs.c[0].connected);
	assert_int_equal(cs.c[1].pending, 0);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"muc.example.com",              /* no secret */
		"=secret",                      /* no domain */
		"muc.example.com=",             /* empty secret */
		"room@muc.example.com=x",       /* a JID, not a domain */
		"muc.example.com/r=x",          /* a resource */
		"a.example=x,,b.example=y",     /* an empty entry */
		"a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9", /* more than SB_COMP_MAX */
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(sb_comps_config(&cs, bad[i], why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "component.domains"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
