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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_empty_json_is_an_object),
		cmocka_unit_test(test_cut_reply_is_flagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
