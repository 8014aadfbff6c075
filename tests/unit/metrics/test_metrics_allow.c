/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/metrics/allow.c: who may scrape. Networks and hosts, IPv4 and
 * IPv6, a v4-mapped peer matched as IPv4, bad entries refused with their
 * text, an empty list admitting nobody.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "allow.h"

static int peer(const struct sb_allow *a, const char *addr)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1)
		return sb_allow_match(a, (struct sockaddr *)&s4);
	assert_int_equal(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
	return sb_allow_match(a, (struct sockaddr *)&s6);
}

static void test_networks_and_hosts(void **state)
{
	struct sb_allow a;
	char why[128];

	(void)state;
	assert_int_equal(sb_allow_parse(&a, "198.18.0.0/15, 127.0.0.1 2001:db8::/32", why,
					sizeof(why)), 0);
	assert_int_equal(a.n, 3);
	assert_true(peer(&a, "198.19.255.255"));
	assert_true(peer(&a, "198.18.0.1"));
	assert_false(peer(&a, "198.20.0.1"));
	assert_true(peer(&a, "127.0.0.1"));
	assert_false(peer(&a, "127.0.0.2"));
	assert_true(peer(&a, "2001:db8:1::5"));
	assert_false(peer(&a, "2001:db9::1"));
	assert_true(peer(&a, "::ffff:127.0.0.1")); /* v4 through a v6 socket */
	assert_false(peer(&a, "::1"));
}

static void test_odd_prefixes(void **state)
{
	struct sb_allow a;
	char why[128];

	(void)state;
	assert_int_equal(sb_allow_parse(&a, "10.1.2.3/13", why, sizeof(why)), 0);
	assert_true(peer(&a, "10.0.0.1")); /* host bits of the entry ignored */
	assert_true(peer(&a, "10.7.255.1"));
	assert_false(peer(&a, "10.8.0.1"));
	assert_int_equal(sb_allow_parse(&a, "0.0.0.0/0", why, sizeof(why)), 0);
	assert_true(peer(&a, "203.0.113.9"));
	assert_false(peer(&a, "::2")); /* a v4 network never admits v6 */
}

static void test_bad_entries(void **state)
{
	struct sb_allow a;
	char why[128];

	(void)state;
	assert_int_equal(sb_allow_parse(&a, "127.0.0.1 localhost", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'localhost'"));
	assert_int_equal(sb_allow_parse(&a, "10.0.0.0/33", why, sizeof(why)), -EINVAL);
	assert_int_equal(sb_allow_parse(&a, "10.0.0.0/", why, sizeof(why)), -EINVAL);
	assert_int_equal(sb_allow_parse(&a, "::/129", why, sizeof(why)), -EINVAL);
	assert_int_equal(sb_allow_parse(&a, "10.0.0.0/8x", why, sizeof(why)), -EINVAL);
}

static void test_empty_admits_nobody(void **state)
{
	struct sb_allow a;
	char why[128];

	(void)state;
	assert_int_equal(sb_allow_parse(&a, "  ", why, sizeof(why)), 0);
	assert_int_equal(a.n, 0);
	assert_false(peer(&a, "127.0.0.1"));
}

static void test_too_many(void **state)
{
	struct sb_allow a;
	char list[SB_ALLOW_MAX * 16 + 32] = "";
	char why[128];

	(void)state;
	for (unsigned i = 0; i <= SB_ALLOW_MAX; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "10.0.%u.1 ", i);
	assert_int_equal(sb_allow_parse(&a, list, why, sizeof(why)), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_networks_and_hosts),
		cmocka_unit_test(test_odd_prefixes),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_empty_admits_nobody),
		cmocka_unit_test(test_too_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
