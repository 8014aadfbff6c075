/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/metrics/expo.c: one sample stream, three prints. Prometheus
 * families with one HELP and TYPE each, counters suffixed _total, labels
 * quoted and escaped; JSON shape version 1 with labelled names as arrays;
 * text lines for awk. Asserted on the exact bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expo.h"

/* A small stream in the producer's order: counters, then gauges. */
static void stream(struct sb_expo *e)
{
	struct sb_metric m[] = {
		{ SB_METRIC_COUNTER, "dataplane", "rx_pkts", "frames received", 0, { { 0 } }, 7 },
		{ SB_METRIC_COUNTER, "dataplane", "tx_pkts", "frames \\ sent\nnow", 0, { { 0 } }, 8 },
		{ SB_METRIC_COUNTER, "tcp", "RTO_FIRED", "timeouts", 0, { { 0 } }, 4 },
		{ SB_METRIC_COUNTER, "route", "delivered", "delivered", 0, { { 0 } }, 3 },
		{ SB_METRIC_GAUGE, "xmpp", "sessions", "bound", 1, { { "shard", "0" } }, 2 },
		{ SB_METRIC_GAUGE, "xmpp", "sessions", "bound", 1, { { "shard", "1" } }, 5 },
		{ SB_METRIC_GAUGE, "pool", "msg_in_use", "in use", 0, { { 0 } }, 9 },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		sb_expo_sample(e, &m[i]);
}

static const char *print(enum sb_expo_format f, char *buf, size_t size)
{
	struct sb_out o;
	struct sb_expo e;

	sb_out_init(&o, buf, size);
	sb_expo_begin(&e, &o, f);
	stream(&e);
	sb_expo_end(&e);
	assert_false(o.truncated);
	return buf;
}

static void test_prometheus(void **state)
{
	char buf[4096];

	(void)state;
	assert_string_equal(print(SB_EXPO_PROMETHEUS, buf, sizeof(buf)),
		"# HELP switchboard_dataplane_rx_pkts_total frames received\n"
		"# TYPE switchboard_dataplane_rx_pkts_total counter\n"
		"switchboard_dataplane_rx_pkts_total 7\n"
		"# HELP switchboard_dataplane_tx_pkts_total frames \\\\ sent\\nnow\n"
		"# TYPE switchboard_dataplane_tx_pkts_total counter\n"
		"switchboard_dataplane_tx_pkts_total 8\n"
		"# HELP switchboard_tcp_rto_fired_total timeouts\n"
		"# TYPE switchboard_tcp_rto_fired_total counter\n"
		"switchboard_tcp_rto_fired_total 4\n"
		"# HELP switchboard_route_delivered_total delivered\n"
		"# TYPE switchboard_route_delivered_total counter\n"
		"switchboard_route_delivered_total 3\n"
		"# HELP switchboard_xmpp_sessions bound\n"
		"# TYPE switchboard_xmpp_sessions gauge\n"
		"switchboard_xmpp_sessions{shard=\"0\"} 2\n"
		"switchboard_xmpp_sessions{shard=\"1\"} 5\n"
		"# HELP switchboard_pool_msg_in_use in use\n"
		"# TYPE switchboard_pool_msg_in_use gauge\n"
		"switchboard_pool_msg_in_use 9\n");
}

static void test_json(void **state)
{
	char buf[4096];

	(void)state;
	assert_string_equal(print(SB_EXPO_JSON, buf, sizeof(buf)),
		"{\"version\":1"
		",\"counters\":{\"dataplane\":{\"rx_pkts\":7,\"tx_pkts\":8},\"tcp\":{\"RTO_FIRED\":4},\"route\":{\"delivered\":3}}"
		",\"gauges\":{\"xmpp\":{\"sessions\":[{\"labels\":{\"shard\":\"0\"},\"value\":2},"
		"{\"labels\":{\"shard\":\"1\"},\"value\":5}]},\"pool\":{\"msg_in_use\":9}}}\n");
}

static void test_text(void **state)
{
	char buf[4096];

	(void)state;
	assert_string_equal(print(SB_EXPO_TEXT, buf, sizeof(buf)),
		"dataplane rx_pkts 7\n"
		"dataplane tx_pkts 8\n"
		"tcp RTO_FIRED 4\n"
		"route delivered 3\n"
		"xmpp sessions{shard=0} 2\n"
		"xmpp sessions{shard=1} 5\n"
		"pool msg_in_use 9\n");
}

static void test_empty_json_is_an_object(void **state)
{
	char buf[64];
	struct sb_out o;
	struct sb_expo e;

	(void)state;
	sb_out_init(&o, buf, sizeof(buf));
	sb_expo_begin(&e, &o, SB_EXPO_JSON);
	sb_expo_end(&e);
	assert_string_equal(buf, "{\"version\":1}\n");
}

static void test_cut_reply_is_flagged(void **state)
{
	char buf[64];
	struct sb_out o;
	struct sb_expo e;

	(void)state;
	sb_out_init(&o, buf, sizeof(buf));
	sb_expo_begin(&e, &o, SB_EXPO_PROMETHEUS);
	stream(&e);
	sb_expo_end(&e);
	assert_true(o.truncated);
}

/* A histogram: 3 samples at 1 us, 2 us and 3 s (3,000,000 us: the bucket
 * up to 2^22 us). */
static void hist_print(enum sb_expo_format f, char *buf, size_t size)
{
	struct sb_hist h = { 0 };
	struct sb_metric m = { .type = SB_METRIC_HISTOGRAM, .group = "shard", .name = "wait_seconds",
			       .help = "wait", .hist = &h };
	struct sb_out o;
	struct sb_expo e;

	sb_hist_add_us(&h, 1);
	sb_hist_add_us(&h, 2);
	sb_hist_add_us(&h, 3000000);
	assert_int_equal(h.n[0], 1);
	assert_int_equal(h.n[1], 1);
	assert_int_equal(h.n[22], 1);
	sb_out_init(&o, buf, size);
	sb_expo_begin(&e, &o, f);
	sb_expo_sample(&e, &m);
	sb_expo_end(&e);
	assert_false(o.truncated);
}

static void test_histogram(void **state)
{
	char buf[8192];

	(void)state;
	hist_print(SB_EXPO_PROMETHEUS, buf, sizeof(buf));
	assert_non_null(strstr(buf, "# TYPE switchboard_shard_wait_seconds histogram\n"));
	assert_non_null(strstr(buf, "switchboard_shard_wait_seconds_bucket{le=\"1e-06\"} 1\n"
				    "switchboard_shard_wait_seconds_bucket{le=\"2e-06\"} 2\n"));
	assert_non_null(strstr(buf, "switchboard_shard_wait_seconds_bucket{le=\"2.097152\"} 2\n"
				    "switchboard_shard_wait_seconds_bucket{le=\"4.194304\"} 3\n"
				    "switchboard_shard_wait_seconds_bucket{le=\"+Inf\"} 3\n"
				    "switchboard_shard_wait_seconds_sum 3.000003\n"
				    "switchboard_shard_wait_seconds_count 3\n"));
	hist_print(SB_EXPO_JSON, buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"version\":1,\"histograms\":{\"shard\":{\"wait_seconds\":"
				    "{\"buckets\":[{\"le\":\"1e-06\",\"count\":1},"));
	assert_non_null(strstr(buf, "{\"le\":\"+Inf\",\"count\":3}],\"sum\":3.000003,"
				    "\"count\":3}}}}\n"));
	hist_print(SB_EXPO_TEXT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "shard wait_seconds{le=2e-06} 2\n"));
	assert_non_null(strstr(buf, "shard wait_seconds_count 3\n"));
}

static void test_hist_tsc(void **state)
{
	struct sb_hist h = { 0 };
	uint64_t mult = sb_hist_us_mult(2000000000ull); /* 2 GHz */

	(void)state;
	sb_hist_add_tsc(&h, 1000, 1000 + 2000 * 1000, mult); /* 1000 us */
	sb_hist_add_tsc(&h, 5000, 4000, mult);               /* a stamp ahead: 0 */
	sb_hist_add_tsc(&h, 0, 3600ull * 2000000000ull, mult); /* an hour: +Inf */
	assert_int_equal(h.n[10], 1); /* (512, 1024] us */
	assert_int_equal(h.n[0], 1);
	assert_int_equal(h.n[SB_HIST_BUCKETS], 1);
	/* the multiplier is truncated: within 1 ppm */
	assert_true(h.sum_us >= 3600000000ull - 3600 && h.sum_us <= 3600000000ull + 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_empty_json_is_an_object),
		cmocka_unit_test(test_cut_reply_is_flagged),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_hist_tsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
