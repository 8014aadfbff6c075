/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/sbctl/sbctl_top.c: a sample parsed key by key, rates between two
 * samples over the measured interval, a counter that went backwards taken
 * as zero, the drop reason that moved most, busy % per lcore from the
 * busy/idle TSC, bytes per session, and the text and JSON rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbctl_top.h"

static const char *sample_a =
	"conns 10\nsessions 8\nlogins 100\nstanzas_in 1000\nstanzas_out 900\n"
	"pkts_in 5000\npkts_out 4000\ntcp_segs_out 3000\ntcp_rexmt 10\n"
	"ring_max 3\nring_size 4096\nbacklog_max 0 -\nsession_bytes 8000\nalarms 0 -\n"
	"lcore 0 1 100 900\nlcore 1 2 500 500\n"
	"drop dataplane.drop_runt 5\ndrop tcp.RX_OOO_FULL 7\nfuture_key 1 2 3\n";

static const char *sample_b =
	"conns 12\nsessions 10\nlogins 120\nstanzas_in 1500\nstanzas_out 1300\n"
	"pkts_in 6000\npkts_out 4500\ntcp_segs_out 4000\ntcp_rexmt 60\n"
	"ring_max 4000\nring_size 4096\nbacklog_max 77 shard0_to_w1\nsession_bytes 12345\n"
	"alarms 2 ring_up,route_backlog\n"
	"lcore 0 1 400 1600\nlcore 1 2 1500 500\n"
	"drop dataplane.drop_runt 6\ndrop tcp.RX_OOO_FULL 17\ndrop shard.ring_full 3\n";

static void test_parse(void **state)
{
	struct sbctl_top_sample s;

	(void)state;
	assert_int_equal(sbctl_top_parse(sample_b, &s), 0);
	assert_int_equal(s.conns, 12);
	assert_int_equal(s.tcp_rexmt, 60);
	assert_int_equal(s.backlog_max, 77);
	assert_string_equal(s.backlog_where, "shard0_to_w1");
	assert_int_equal(s.alarms, 2);
	assert_string_equal(s.alarm_names, "ring_up,route_backlog");
	assert_int_equal(s.n_lcores, 2);
	assert_int_equal(s.lc[1].lcore, 2);
	assert_int_equal(s.lc[1].busy_tsc, 1500);
	assert_int_equal(s.n_drops, 3);
	assert_string_equal(s.drop[2].name, "shard.ring_full");
	assert_int_equal(s.drop[2].value, 3);
}

static void test_parse_refuses(void **state)
{
	struct sbctl_top_sample s;

	(void)state;
	assert_int_equal(sbctl_top_parse("sessions 1\n", &s), -1);     /* no conns */
	assert_int_equal(sbctl_top_parse("conns x\n", &s), -1);
	assert_int_equal(sbctl_top_parse("conns 1\nlcore 0 1\n", &s), -1);
	assert_int_equal(sbctl_top_parse("conns 1\nnovalue\n", &s), -1);
	assert_int_equal(sbctl_top_parse("conns 1\n", &s), 0);
	assert_string_equal(s.alarm_names, "-");
}

static void test_rates(void **state)
{
	struct sbctl_top_sample a, b;
	struct sbctl_top_row r;

	(void)state;
	assert_int_equal(sbctl_top_parse(sample_a, &a), 0);
	assert_int_equal(sbctl_top_parse(sample_b, &b), 0);
	sbctl_top_row(&a, &b, 2.0, "12:00:01", &r);
	assert_int_equal(r.conns, 12);
	assert_true(r.logins_s == 10.0);
	assert_true(r.stanzas_in_s == 250.0);
	assert_true(r.stanzas_out_s == 200.0);
	assert_true(r.pkts_in_s == 500.0);
	assert_true(r.pkts_out_s == 250.0);
	assert_true(r.rexmt_pct == 5.0);          /* 50 of 1000 segments */
	assert_int_equal(r.ring_max, 4000);
	assert_int_equal(r.drops, 1 + 10 + 3);     /* a new reason counts from 0 */
	assert_true(r.drops_s == 7.0);
	assert_string_equal(r.drop_top, "tcp.RX_OOO_FULL");
	assert_int_equal(r.drop_top_n, 10);
	assert_int_equal(r.n_lcores, 2);
	assert_true(r.busy_pct[0] == 30.0);        /* 300 of 1000 */
	assert_true(r.busy_pct[1] == 100.0);       /* 1000 of 1000 */
	assert_int_equal(r.bytes_per_session, 1234);
	assert_int_equal(r.alarms, 2);
}

/* sb-dataplane restarted between the samples: no rate from a negative
 * difference, no division by zero without sessions or segments. */
static void test_backwards(void **state)
{
	struct sbctl_top_sample a, b;
	struct sbctl_top_row r;

	(void)state;
	assert_int_equal(sbctl_top_parse(sample_b, &a), 0);
	assert_int_equal(sbctl_top_parse("conns 0\nsessions 0\nlogins 3\ntcp_segs_out 5\n"
					 "lcore 0 1 0 0\n", &b), 0);
	sbctl_top_row(&a, &b, 1.0, "t", &r);
	assert_true(r.logins_s == 0.0);
	assert_true(r.rexmt_pct == 0.0);
	assert_int_equal(r.drops, 0);
	assert_string_equal(r.drop_top, "");
	assert_true(r.busy_pct[0] == 0.0);
	assert_int_equal(r.bytes_per_session, 0);
}

static char *print_row(void (*fn)(FILE *, const struct sbctl_top_row *),
		       const struct sbctl_top_row *r)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	fn(f, r);
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	struct sbctl_top_sample a, b;
	struct sbctl_top_row r;
	char *out;

	(void)state;
	assert_int_equal(sbctl_top_parse(sample_a, &a), 0);
	assert_int_equal(sbctl_top_parse(sample_b, &b), 0);
	sbctl_top_row(&a, &b, 2.0, "12:00:01", &r);
	out = print_row(sbctl_top_print_text, &r);
	assert_non_null(strstr(out, "12:00:01"));
	assert_non_null(strstr(out, " 30.0,100.0 "));
	assert_non_null(strstr(out, "tcp.RX_OOO_FULL"));
	assert_non_null(strstr(out, "ring_up,route_backlog\n"));
	out = print_row(sbctl_top_print_json, &r);
	assert_string_equal(out,
		"{\"version\":1,\"time\":\"12:00:01\",\"interval_s\":2.000,\"conns\":12,"
		"\"sessions\":10,\"logins_per_s\":10.00,\"stanzas_in_per_s\":250.00,"
		"\"stanzas_out_per_s\":200.00,\"pkts_in_per_s\":500.00,\"pkts_out_per_s\":250.00,"
		"\"retransmit_pct\":5.000,\"ring_depth_max\":4000,\"ring_size\":4096,"
		"\"backlog_max\":77,\"backlog_where\":\"shard0_to_w1\",\"drops\":14,"
		"\"drops_per_s\":7.00,\"drop_top\":\"tcp.RX_OOO_FULL\",\"drop_top_count\":10,"
		"\"lcores\":[{\"worker\":0,\"lcore\":1,\"busy_pct\":30.00},"
		"{\"worker\":1,\"lcore\":2,\"busy_pct\":100.00}],\"bytes_per_session\":1234,"
		"\"alarms\":[\"ring_up\",\"route_backlog\"]}\n");
	sbctl_top_row(&a, &a, 1.0, "t", &r);
	out = print_row(sbctl_top_print_json, &r);
	assert_non_null(strstr(out, "\"drop_top\":null"));
	assert_non_null(strstr(out, "\"alarms\":[]}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_backwards),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
