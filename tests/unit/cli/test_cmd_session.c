/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/cli/cmd_session.c without DPDK or shards: the request grammar
 * (options anywhere, the reason and the message text as the rest of the
 * line, bounds and usage errors), the UTF-8 check for text a stream will
 * carry, JSON strings and rows, and a whole request answered by a stand-in
 * shard thread over router/admin.h's queue (and one that never answers:
 * the command says so within its wait, and the late request is freed by
 * whichever side lets go last). And shutdown's grammar and its one-time
 * request in shared memory (cmd_shutdown.c), limits (cmd_limits.c) and log level (cmd_log.c).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin.h"
#include "cmd_limits.h"
#include "cmd_log.h"
#include "cmd_session.h"
#include "cmd_shutdown.h"
#include "router.h"

static void test_parse_verbs(void **state)
{
	struct sb_cmd_session_args a;
	char why[256];

	(void)state;
	assert_int_equal(sb_cmd_session_parse("count", false, &a, why, sizeof(why)), 0);
	assert_int_equal(a.verb, SB_CMD_SESSION_COUNT);
	assert_false(a.json);
	assert_int_equal(sb_cmd_session_parse("count --json", false, &a, why, sizeof(why)), 0);
	assert_true(a.json);
	assert_int_equal(sb_cmd_session_parse("list --json --user alice --max 7", false, &a, why,
					      sizeof(why)), 0);
	assert_int_equal(a.verb, SB_CMD_SESSION_LIST);
	assert_true(a.json);
	assert_int_equal(a.max, 7);
	assert_int_equal(a.jid_len, 5);
	assert_memory_equal(a.jid, "alice", 5);
	assert_int_equal(sb_cmd_session_parse("list", false, &a, why, sizeof(why)), 0);
	assert_int_equal(a.max, SB_CMD_SESSION_LIST_DEFAULT);
	assert_null(a.jid);
	assert_int_equal(sb_cmd_session_parse("show a@b/c --json", false, &a, why, sizeof(why)), 0);
	assert_int_equal(a.verb, SB_CMD_SESSION_SHOW);
	assert_int_equal(a.jid_len, 5);
	assert_true(a.json);
}

static void test_parse_rest_of_line(void **state)
{
	struct sb_cmd_session_args a;
	char why[256];

	(void)state;
	assert_int_equal(sb_cmd_session_parse("kick bob --reset --reason be  nice --json", false,
					      &a, why, sizeof(why)), 0);
	assert_int_equal(a.verb, SB_CMD_SESSION_KICK);
	assert_true(a.reset);
	assert_false(a.json); /* part of the reason */
	assert_string_equal(a.text, "be  nice --json");
	assert_int_equal(sb_cmd_session_parse("kick bob", false, &a, why, sizeof(why)), 0);
	assert_null(a.text);
	assert_int_equal(sb_cmd_session_parse("send admin bob hello  there", true, &a, why,
					      sizeof(why)), 0);
	assert_int_equal(a.verb, SB_CMD_MESSAGE_SEND);
	assert_int_equal(a.from_len, 5);
	assert_int_equal(a.jid_len, 3);
	assert_string_equal(a.text, "hello  there");
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "frobnicate", "list --max 0", "list --max 501", "list --max 3x",
		"list --user", "show", "kick", "kick bob --reason", "kick bob extra",
		"count --bogus", "list --reset", "show a b",
	};
	struct sb_cmd_session_args a;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(sb_cmd_session_parse(bad[i], false, &a, why, sizeof(why)),
				 -EINVAL);
		/* sbctl turns exactly this prefix into exit status 2. */
		assert_memory_equal(why, "usage: ", 7);
	}
	assert_int_equal(sb_cmd_session_parse("send admin bob", true, &a, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(sb_cmd_session_parse("post admin bob hi", true, &a, why, sizeof(why)),
			 -EINVAL);
}

static void test_text_ok(void **state)
{
	(void)state;
	assert_true(sb_cmd_session_text_ok("plain <xml> & 'quotes'\t", 23));
	assert_true(sb_cmd_session_text_ok("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(sb_cmd_session_text_ok("bell\x07", 5));
	assert_false(sb_cmd_session_text_ok("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(sb_cmd_session_text_ok("\xe2\x82", 2));         /* cut short */
	assert_false(sb_cmd_session_text_ok("\xed\xa0\x80", 3));     /* a surrogate */
	assert_false(sb_cmd_session_text_ok("\xef\xbf\xbe", 3));     /* U+FFFE */
	assert_false(sb_cmd_session_text_ok("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_false(sb_cmd_session_text_ok("\x80", 1));
}

static void test_json(void **state)
{
	struct sb_cmd_session cs = { .tsc_hz = 1000 };
	struct sb_admin_row row = {
		.conn = 0x2a, .conn_gen = 3, .worker = 1, .shard = 0, .priority = -1,
		.available = true, .bound_tsc = 5000,
	};
	char buf[1024];
	struct sb_out o;

	(void)state;
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_session_json_str(&o, "a\"b\\c\x01", 6);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u0001\"");
	cs.worker_lcore[1] = 9;
	snprintf(row.jid, sizeof(row.jid), "%s", "al\"ice@x.test/r 1");
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_session_row_json(&cs, &row, 65000, &o);
	assert_string_equal(buf, "{\"jid\":\"al\\\"ice@x.test/r 1\",\"bare\":\"al\\\"ice@x.test\","
				 "\"resource\":\"r 1\",\"worker\":1,\"lcore\":9,\"shard\":0,"
				 "\"state\":\"available\",\"priority\":-1,"
				 "\"roster_requested\":false,\"bound_s\":60,\"conn\":\"0x2a\","
				 "\"conn_gen\":3}");
}

/* A stand-in shard: answers one request the way admin.c would. */
struct fake_shard {
	struct sb_router *r;
	int answered;
};

static void *fake_shard_main(void *arg)
{
	struct fake_shard *fs = arg;
	struct cds_wfcq_node *n;
	struct sb_admin_req *req;

	while (cds_wfcq_empty(&fs->r->admin_head, &fs->r->admin_tail))
		;
	n = cds_wfcq_dequeue_blocking(&fs->r->admin_head, &fs->r->admin_tail);
	req = caa_container_of(n, struct sb_admin_req, node);
	assert_int_equal(req->op, SB_ADMIN_USER);
	assert_int_equal(req->jid_len, strlen("alice@x.test"));
	assert_memory_equal(req->jid, "alice@x.test", req->jid_len);
	req->sessions = 2;
	req->n = 1; /* one shown: cap was 1 */
	snprintf(req->rows[0].jid, sizeof(req->rows[0].jid), "alice@x.test/phone");
	__atomic_fetch_sub(&fs->r->admin_pending, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
	sb_admin_put(req);
	fs->answered = 1;
	return NULL;
}

static void cs_setup(struct sb_cmd_session *cs, struct sb_router *r)
{
	memset(r, 0, sizeof(*r));
	cds_wfcq_init(&r->admin_head, &r->admin_tail);
	memset(cs, 0, sizeof(*cs));
	cs->routers[0] = r;
	cs->n_shards = 1;
	cs->wait_ms = 2000;
	cs->tsc_hz = 1;
	snprintf(cs->domain, sizeof(cs->domain), "x.test");
	cs->domain_len = 6;
}

static void test_run_answered(void **state)
{
	static struct sb_router r;
	struct sb_cmd_session cs;
	struct fake_shard fs = { .r = &r };
	pthread_t t;
	static char buf[65536];
	struct sb_out o;

	(void)state;
	cs_setup(&cs, &r);
	assert_int_equal(pthread_create(&t, NULL, fake_shard_main, &fs), 0);
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_session_run(&cs, "list --user alice --max 1 --json", false, &o);
	pthread_join(t, NULL);
	assert_int_equal(fs.answered, 1);
	assert_non_null(strstr(buf, "ok\n{\"total\":2,\"sessions\":[{\"jid\":\"alice@x.test/phone\""));
	assert_non_null(strstr(buf, "],\"shown\":1,\"truncated\":true}\n"));
	assert_int_equal(r.admin_pending, 0);
}

static void test_run_no_answer(void **state)
{
	static struct sb_router r;
	struct sb_cmd_session cs;
	static char buf[4096];
	struct sb_out o;
	struct cds_wfcq_node *n;

	(void)state;
	cs_setup(&cs, &r);
	cs.wait_ms = 20;
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_session_run(&cs, "count", false, &o);
	assert_string_equal(buf, "error: shard 0 did not answer within 20 ms\n");
	/* The shard still holds its reference: answering late frees it. */
	n = cds_wfcq_dequeue_blocking(&r.admin_head, &r.admin_tail);
	assert_non_null(n);
	sb_admin_put(caa_container_of(n, struct sb_admin_req, node));
	/* Usage errors never reach a shard. */
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_session_run(&cs, "show alice", false, &o);
	assert_memory_equal(buf, "error: usage: ", 14);
}

static void test_queue_bound(void **state)
{
	static struct sb_router r;
	struct sb_admin_req *reqs[SB_ADMIN_PENDING_MAX + 1];

	(void)state;
	memset(&r, 0, sizeof(r));
	cds_wfcq_init(&r.admin_head, &r.admin_tail);
	for (unsigned i = 0; i <= SB_ADMIN_PENDING_MAX; i++) {
		reqs[i] = sb_admin_req_new(SB_ADMIN_COUNT, 0);
		assert_non_null(reqs[i]);
		assert_int_equal(sb_admin_post(&r, reqs[i]), i < SB_ADMIN_PENDING_MAX ? 0 : -EBUSY);
	}
	assert_int_equal(r.ctr[SB_ROUTE_CTR_admin_queue_full], 1);
	assert_null(sb_admin_req_new(SB_ADMIN_LIST, SB_ADMIN_ROWS_MAX + 1));
	for (unsigned i = 0; i < SB_ADMIN_PENDING_MAX; i++) {
		struct cds_wfcq_node *n = cds_wfcq_dequeue_blocking(&r.admin_head, &r.admin_tail);

		sb_admin_put(caa_container_of(n, struct sb_admin_req, node));
	}
	for (unsigned i = 0; i <= SB_ADMIN_PENDING_MAX; i++)
		sb_admin_put(reqs[i]);
}

static void test_shutdown_parse(void **state)
{
	char text[SB_SHM_SHUTDOWN_TEXT_MAX], why[256];
	uint32_t drain;

	(void)state;
	assert_int_equal(sb_cmd_shutdown_parse("", &drain, text, sizeof(text), why, sizeof(why)), 0);
	assert_int_equal(drain, SB_CMD_SHUTDOWN_DRAIN_DEFAULT_S);
	assert_string_equal(text, "the server is shutting down");
	assert_int_equal(sb_cmd_shutdown_parse("--reconnect b.example:5222 --drain 0", &drain, text,
					       sizeof(text), why, sizeof(why)), 0);
	assert_int_equal(drain, 0);
	assert_string_equal(text, "the server is shutting down; reconnect to b.example:5222");
	assert_int_equal(sb_cmd_shutdown_parse("--drain 3601", &drain, text, sizeof(text), why,
					       sizeof(why)), -EINVAL);
	assert_memory_equal(why, "usage: ", 7);
	assert_int_equal(sb_cmd_shutdown_parse("--drain", &drain, text, sizeof(text), why,
					       sizeof(why)), -EINVAL);
	assert_int_equal(sb_cmd_shutdown_parse("--reconnect <x>", &drain, text, sizeof(text), why,
					       sizeof(why)), -EINVAL);
	assert_int_equal(sb_cmd_shutdown_parse("now", &drain, text, sizeof(text), why,
					       sizeof(why)), -EINVAL);
}

/* The request is written once, text before the flag; a second is refused. */
static void test_shutdown_run(void **state)
{
	static struct sb_shm shm;
	char buf[1024];
	struct sb_out o;

	(void)state;
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_shutdown_run(&shm, "--drain 5", &o);
	assert_memory_equal(buf, "ok\n", 3);
	assert_int_equal(shm.shutdown.requested, 1);
	assert_int_equal(shm.shutdown.drain_ms, 5000);
	assert_string_equal(shm.shutdown.text, "the server is shutting down");
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_shutdown_run(&shm, "--drain 9", &o);
	assert_string_equal(buf, "error: a shutdown is already under way\n");
	assert_int_equal(shm.shutdown.drain_ms, 5000);
}

/* limits: which keys are live, a dataplane key published under its
 * sequence lock, a range error, a key that needs a restart. */
static void test_limits(void **state)
{
	static struct sb_config cfg;
	static struct sb_shm shm;
	struct sb_cmd_session cs = { .n_shards = 0 };
	struct sb_cmd_limits cl = { .cfg = &cfg, .cs = &cs, .shm = &shm };
	char buf[4096];
	struct sb_out o;

	(void)state;
	sb_config_defaults(&cfg);
	assert_int_equal(sb_cmd_limits_live("im.offline_quota", 16), 1);
	assert_int_equal(sb_cmd_limits_live("xmpp.ban_s", 10), 2);
	assert_int_equal(sb_cmd_limits_live("control.shards", 14), 0);
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_limits_run(&cl, "set xmpp.conn_rate_per_addr 77", false, &o);
	assert_string_equal(buf, "ok\nxmpp.conn_rate_per_addr = 77\n");
	assert_int_equal(shm.live.seq, 2);
	assert_int_equal(shm.live.conn_rate_per_addr, 77);
	assert_int_equal(shm.live.ban_s, cfg.xmpp_ban_s); /* the whole block, every time */
	assert_int_equal(cfg.xmpp_conn_rate_per_addr, 77);
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_limits_run(&cl, "set xmpp.conn_rate_per_addr 0", false, &o);
	assert_memory_equal(buf, "error: ", 7);
	assert_int_equal(shm.live.seq, 2);
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_limits_run(&cl, "set control.shards 2", false, &o);
	assert_non_null(strstr(buf, "restart needed"));
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_limits_run(&cl, "set im.offline_quota 5", false, &o);
	assert_string_equal(buf, "error: the control shards are not running\n");
	assert_int_equal(cfg.im_offline_quota, 1000);
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_limits_run(&cl, "set im.offline_quota", false, &o);
	assert_memory_equal(buf, "error: usage: ", 14);
	/* A restarted sb-control takes what the dataplane runs with. */
	sb_config_defaults(&cfg);
	assert_int_equal(sb_cmd_limits_adopt(&cl), 1);
	assert_int_equal(cfg.xmpp_conn_rate_per_addr, 77);
	shm.live.seq = 3; /* its writer died mid-way: nothing taken */
	sb_config_defaults(&cfg);
	assert_int_equal(sb_cmd_limits_adopt(&cl), 0);
	assert_int_not_equal(cfg.xmpp_conn_rate_per_addr, 77);
}

static void test_log_level(void **state)
{
	static struct sb_shm shm;
	char buf[256];
	struct sb_out o;

	(void)state;
	assert_int_equal(sb_cmd_log_level_parse("emerg"), 1);
	assert_int_equal(sb_cmd_log_level_parse("debug"), 8);
	assert_int_equal(sb_cmd_log_level_parse("DEBUG"), 0);
	assert_int_equal(sb_cmd_log_level_parse(""), 0);
	shm.log.current = 7;
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_log_run(&shm, "level", &o);
	assert_string_equal(buf, "ok\ninfo\n");
	/* Nobody applies it here: the request stays, the answer says so. */
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_log_run(&shm, "level err", &o);
	assert_int_equal(shm.log.requested, 4);
	assert_string_equal(buf, "error: sb-dataplane did not take the level within 1 s\n");
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_log_run(&shm, "level loud", &o);
	assert_memory_equal(buf, "error: usage: ", 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_verbs),
		cmocka_unit_test(test_parse_rest_of_line),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_text_ok),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_run_answered),
		cmocka_unit_test(test_run_no_answer),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_shutdown_parse),
		cmocka_unit_test(test_shutdown_run),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_log_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
