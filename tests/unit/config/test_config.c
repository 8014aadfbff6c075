/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/config: defaults, parsing, strict rejection and overrides.
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

static int parse(struct sb_config *c, const char *text, struct sb_config_error *err)
{
	sb_config_defaults(c);
	memset(err, 0, sizeof(*err));
	return sb_config_parse(c, text, strlen(text), err);
}

static void test_defaults(void **state)
{
	struct sb_config c;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(c.control_shards, 1);
	assert_int_equal(c.rings_size, 4096);
	assert_string_equal(c.eal_file_prefix, "sb");
	assert_int_equal(c.port0_ipv4.addr, 0xC6120002u); /* 198.18.0.2 */
	assert_int_equal(c.port0_ipv4.prefix, 24);
}

static void test_parse_sections_comments_quotes(void **state)
{
	struct sb_config c;
	struct sb_config_error e;
	const char *text = "# a comment\n"
			   "[control]\n"
			   "shards = 4   ; trailing comment\n"
			   "socket = \"/tmp/x.sock\"\n"
			   "\n"
			   "[port0]\r\n"
			   "ipv4 = 198.19.1.10/16\r\n"
			   "[rings]\n"
			   "size=0x400\n";

	(void)state;
	assert_int_equal(parse(&c, text, &e), 0);
	assert_int_equal(c.control_shards, 4);
	assert_string_equal(c.control_socket, "/tmp/x.sock");
	assert_int_equal(c.port0_ipv4.addr, 0xC613010Au);
	assert_int_equal(c.port0_ipv4.prefix, 16);
	assert_int_equal(c.rings_size, 1024);
}

static void test_unknown_key_names_line(void **state)
{
	struct sb_config c;
	struct sb_config_error e;

	(void)state;
	assert_int_equal(parse(&c, "[control]\nshards = 2\nshardz = 3\n", &e), -EINVAL);
	assert_int_equal(e.line, 3);
	assert_non_null(strstr(e.msg, "shardz"));
}

static void test_unknown_section(void **state)
{
	struct sb_config c;
	struct sb_config_error e;

	(void)state;
	assert_int_equal(parse(&c, "[nope]\n", &e), -EINVAL);
	assert_int_equal(e.line, 1);
}

static void test_out_of_range_and_garbage(void **state)
{
	struct sb_config c;
	struct sb_config_error e;

	(void)state;
	assert_int_equal(parse(&c, "[control]\nshards = 0\n", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "outside"));
	assert_int_equal(parse(&c, "[control]\nshards = 65\n", &e), -EINVAL);
	assert_int_equal(parse(&c, "[control]\nshards = -1\n", &e), -EINVAL);
	assert_int_equal(parse(&c, "[control]\nshards = 3x\n", &e), -EINVAL);
	assert_int_equal(parse(&c, "[control]\nshards = \n", &e), -EINVAL);
	assert_int_equal(parse(&c, "[port0]\nipv4 = 300.1.1.1/24\n", &e), -EINVAL);
	assert_int_equal(parse(&c, "[port0]\nipv4 = 1.1.1.1/33\n", &e), -EINVAL);
	assert_int_equal(parse(&c, "[port0]\nipv4 = 1.1.1.1\n", &e), -EINVAL);
	assert_int_equal(parse(&c, "[port0]\nipv4 = 1.1.1.1/24junk\n", &e), -EINVAL);
}

static void test_structure_errors(void **state)
{
	struct sb_config c;
	struct sb_config_error e;

	(void)state;
	assert_int_equal(parse(&c, "shards = 1\n", &e), -EINVAL);      /* no section */
	assert_int_equal(parse(&c, "[control\n", &e), -EINVAL);        /* bad header */
	assert_int_equal(parse(&c, "[control]\nshards\n", &e), -EINVAL); /* no '=' */
	assert_int_equal(parse(&c, "[control]\nshards=1\nshards=2\n", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "twice"));
	assert_int_equal(sb_config_parse(&c, "[control]\0x", 11, &e), -EINVAL);
}

static void test_string_too_long(void **state)
{
	struct sb_config c;
	struct sb_config_error e;
	char text[SB_CONFIG_STR_MAX + 64];

	(void)state;
	memset(text, 'a', sizeof(text));
	memcpy(text, "[control]\nsocket=", 17);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(parse(&c, text, &e), -EINVAL);
}

static void test_override(void **state)
{
	struct sb_config c;
	struct sb_config_error e;

	(void)state;
	sb_config_defaults(&c);
	assert_int_equal(sb_config_override(&c, "control.shards=8", &e), 0);
	assert_int_equal(c.control_shards, 8);
	assert_int_equal(sb_config_override(&c, "eal.file_prefix=gw1", &e), 0);
	assert_string_equal(c.eal_file_prefix, "gw1");
	assert_int_equal(sb_config_override(&c, "control.nothing=1", &e), -EINVAL);
	assert_int_equal(sb_config_override(&c, "noequals", &e), -EINVAL);
	assert_int_equal(sb_config_override(&c, "a=b.c", &e), -EINVAL);
}

static void test_load_file_and_missing(void **state)
{
	struct sb_config c;
	struct sb_config_error e;
	char path[] = "/tmp/sb_cfg_XXXXXX";
	int fd = mkstemp(path);
	const char *text = "[dataplane]\nburst = 64\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	sb_config_defaults(&c);
	assert_int_equal(sb_config_load(&c, path, &e), 0);
	assert_int_equal(c.dataplane_burst, 64);
	unlink(path);
	assert_int_equal(sb_config_load(&c, path, &e), -ENOENT);
	assert_non_null(strstr(e.msg, path));
}

static void test_dump_roundtrip(void **state)
{
	struct sb_config a, b;
	struct sb_config_error e;
	char buf[16384];
	size_t n;

	(void)state;
	sb_config_defaults(&a);
	a.control_shards = 3;
	n = sb_config_dump(&a, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	assert_non_null(strstr(buf, "control.shards = 3\n"));
	/* A short buffer reports the length it needed and stays terminated. */
	assert_int_equal(sb_config_dump(&a, buf, 8), n);
	assert_int_equal(strlen(buf), 7);
	sb_config_defaults(&b);
	assert_int_equal(sb_config_override(&b, "control.shards=3", &e), 0);
	assert_memory_equal(&a.control_shards, &b.control_shards, sizeof(a.control_shards));
}

/* The [tls] keys and xmpp.tls: TLS is required by default, certificates
 * from /etc/switchboard/tls, PLAIN only over TLS; defaults pass; relations
 * between keys are checked by sb_config_check with the key named in the
 * message. */
static void test_tls_keys(void **state)
{
	struct sb_config c;
	struct sb_config_error err;

	(void)state;
	sb_config_defaults(&c);
	assert_string_equal(c.xmpp_tls, "required");
	assert_string_equal(c.tls_cert_dir, "/etc/switchboard/tls");
	assert_false(c.xmpp_plain_without_tls);
	assert_int_equal(c.tls_direct_port, 5223);
	assert_int_equal(sb_config_check(&c, &err), 0);
	assert_int_equal(parse(&c, "[xmpp]\ntls = required\n[tls]\ncert_dir = \"\"\n", &err), 0);
	assert_int_equal(sb_config_check(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tls.cert_file"));
	assert_int_equal(parse(&c, "[xmpp]\ntls = required\n[tls]\ncert_file = /a.pem\n"
				   "key_file = /a.key\n", &err), 0);
	assert_int_equal(sb_config_check(&c, &err), 0);
	assert_int_equal(parse(&c, "[xmpp]\ntls = sometimes\n", &err), 0);
	assert_int_equal(sb_config_check(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "xmpp.tls"));
	assert_int_equal(parse(&c, "[tls]\nmin_version = 1.1\n", &err), 0);
	assert_int_equal(sb_config_check(&c, &err), -EINVAL);
	assert_int_equal(parse(&c, "[tls]\ndomains = a.test b.test\ncert_dir = \"\"\n", &err), 0);
	assert_int_equal(sb_config_check(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tls.cert_dir"));
	assert_int_equal(parse(&c, "[xmpp]\ntls = optional\nc2s_port = 5223\n[tls]\n"
				   "cert_dir = /etc/sb\n", &err), 0);
	assert_int_equal(sb_config_check(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "direct_port"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_sections_comments_quotes),
		cmocka_unit_test(test_unknown_key_names_line),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_out_of_range_and_garbage),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_string_too_long),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_load_file_and_missing),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_tls_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
