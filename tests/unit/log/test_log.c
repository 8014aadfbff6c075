/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/log: the rate limiter of a call site, a worker's ring (a producer
 * faster than its consumer drops and counts, never waits), and the two
 * formats a record is written in (a stderr line, journald's fields).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sb_log.h"

/* burst per window; the rest counted and told with the next one through. */
static void test_rl_burst_then_suppressed_count(void **state)
{
	struct sb_log_rl rl = { 0 };
	uint32_t supp = 99;
	unsigned passed = 0;

	(void)state;
	for (unsigned i = 0; i < 100; i++)
		if (sb_log_rl_allow(&rl, 1000 + i, 5000, 10, &supp)) {
			assert_int_equal(supp, 0);
			passed++;
		}
	assert_int_equal(passed, 10);
	/* Still the same window at 5999 ms. */
	assert_false(sb_log_rl_allow(&rl, 5999, 5000, 10, &supp));
	/* The next window lets one through, telling the 91 dropped. */
	assert_true(sb_log_rl_allow(&rl, 6000, 5000, 10, &supp));
	assert_int_equal(supp, 91);
	assert_true(sb_log_rl_allow(&rl, 6001, 5000, 10, &supp));
	assert_int_equal(supp, 0);
}

/* Two call sites do not share a budget. */
static void test_rl_per_site(void **state)
{
	struct sb_log_rl a = { 0 }, b = { 0 };
	uint32_t supp;

	(void)state;
	assert_true(sb_log_rl_allow(&a, 10, 1000, 1, &supp));
	assert_false(sb_log_rl_allow(&a, 11, 1000, 1, &supp));
	assert_true(sb_log_rl_allow(&b, 11, 1000, 1, &supp));
}

static void rec_n(struct sb_log_rec *r, unsigned n)
{
	char msg[32];

	snprintf(msg, sizeof(msg), "record %u", n);
	sb_log_rec_set(r, SB_LOG_INFO, "tcp", 3, msg);
}

/* Full: the push is refused at once and counted; order is kept. */
static void test_ring_full_drops_and_counts(void **state)
{
	struct sb_log_ring *r = sb_log_ring_new(16);
	struct sb_log_rec rec;
	unsigned ok = 0;

	(void)state;
	assert_non_null(r);
	for (unsigned i = 0; i < 1000; i++) {
		rec_n(&rec, i);
		ok += sb_log_ring_push(r, &rec);
	}
	assert_int_equal(ok, 16);
	assert_int_equal(sb_log_ring_dropped(r), 984);
	for (unsigned i = 0; i < 16; i++) {
		char want[32];

		assert_true(sb_log_ring_pop(r, &rec));
		snprintf(want, sizeof(want), "record %u", i);
		assert_string_equal(rec.msg, want);
		assert_int_equal(rec.lcore, 3);
	}
	assert_false(sb_log_ring_pop(r, &rec));
	/* Room again after the drain. */
	assert_true(sb_log_ring_push(r, &rec));
	sb_log_ring_free(r);
	assert_null(sb_log_ring_new(12));
	assert_null(sb_log_ring_new(0));
}

#define PRODUCED 200000u

struct producer {
	struct sb_log_ring *r;
	unsigned accepted;
};

/* A worker that logs as fast as it can: every push returns. */
static void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct sb_log_rec rec;

	for (unsigned i = 0; i < PRODUCED; i++) {
		rec_n(&rec, i);
		p->accepted += sb_log_ring_push(p->r, &rec);
	}
	return NULL;
}

/* A consumer that takes one record in 64 of what is offered: the producer
 * finishes all the same (it never waited), and what arrives is in order,
 * whole, and with the drops adds up to what was produced. */
static void test_ring_fast_producer_never_blocks(void **state)
{
	struct producer p = { .r = sb_log_ring_new(64) };
	struct sb_log_rec rec;
	pthread_t t;
	long last = -1;
	unsigned got = 0, spins = 0;
	bool done = false;

	(void)state;
	assert_non_null(p.r);
	assert_int_equal(pthread_create(&t, NULL, producer_main, &p), 0);
	while (!done) {
		/* Slow: a little work between pops. */
		for (volatile unsigned k = 0; k < 2000; k++)
			;
		if (sb_log_ring_pop(p.r, &rec)) {
			long n = strtol(rec.msg + 7, NULL, 10);

			assert_memory_equal(rec.msg, "record ", 7);
			assert_true(n > last);
			last = n;
			got++;
		}
		done = __atomic_load_n(&p.r->head, __ATOMIC_ACQUIRE) +
			       sb_log_ring_dropped(p.r) == PRODUCED;
		spins++;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	while (sb_log_ring_pop(p.r, &rec))
		got++;
	assert_int_equal(got, p.accepted);
	assert_int_equal(p.accepted + sb_log_ring_dropped(p.r), PRODUCED);
	printf("# produced %u, accepted %u, dropped %llu, consumer turns %u\n", PRODUCED,
	       p.accepted, (unsigned long long)sb_log_ring_dropped(p.r), spins);
	sb_log_ring_free(p.r);
}

static void test_format_line(void **state)
{
	struct sb_log_rec rec;
	char buf[512];

	(void)state;
	sb_log_rec_set(&rec, SB_LOG_WARNING, "main", 0, "worker 0's loop stood still\n");
	assert_int_equal(sb_log_format_line(&rec, 0, buf, sizeof(buf)),
			 (int)strlen("warning sb.main: worker 0's loop stood still\n"));
	assert_string_equal(buf, "warning sb.main: worker 0's loop stood still\n");
	sb_log_rec_set(&rec, SB_LOG_ERR, "port", 2, "link down");
	sb_log_format_line(&rec, 0, buf, sizeof(buf));
	assert_string_equal(buf, "err sb.port@2: link down\n");
	sb_log_rec_set(&rec, SB_LOG_INFO, "control", SB_LOG_LCORE_NONE, "up");
	sb_log_format_line(&rec, 0, buf, sizeof(buf));
	assert_string_equal(buf, "info sb.control: up\n");
}

/* A message longer than a record is cut, still terminated. */
static void test_record_cuts_long_message(void **state)
{
	char msg[600];
	struct sb_log_rec rec;

	(void)state;
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	sb_log_rec_set(&rec, SB_LOG_DEBUG, "a-module-name-too-long", 1, msg);
	assert_int_equal(strlen(rec.msg), SB_LOG_MSG_MAX - 1);
	assert_string_equal(rec.module, "a-module-name-t");
}

static void rec_printf(struct sb_log_rec *rec, uint32_t suppressed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_log_rec_vformat(rec, SB_LOG_NOTICE, "main", 0, suppressed, fmt, ap);
	va_end(ap);
}

/* What the limiter dropped before a message is told at its end. */
static void test_record_tells_suppressed(void **state)
{
	struct sb_log_rec rec;

	(void)state;
	rec_printf(&rec, 0, "link %s on port %u", "down", 0u);
	assert_string_equal(rec.msg, "link down on port 0");
	rec_printf(&rec, 91, "link %s on port %u", "up", 0u);
	assert_string_equal(rec.msg, "link up on port 0 (91 more suppressed)");
	assert_int_equal(rec.level, SB_LOG_NOTICE);
}

static void test_format_journal_fields(void **state)
{
	struct sb_log_rec rec;
	const char *f[SB_LOG_JOURNAL_FIELDS];
	char buf[512];

	(void)state;
	sb_log_rec_set(&rec, SB_LOG_ERR, "tls", 1, "the certificate of a.test EXPIRED");
	assert_int_equal(sb_log_format_journal(&rec, "sb-dataplane", buf, sizeof(buf), f), 5);
	assert_string_equal(f[0], "MESSAGE=the certificate of a.test EXPIRED");
	assert_string_equal(f[1], "PRIORITY=3");
	assert_string_equal(f[2], "SB_MODULE=tls");
	assert_string_equal(f[3], "SYSLOG_IDENTIFIER=sb-dataplane");
	assert_string_equal(f[4], "SB_LCORE=1");
	/* No lcore, no SB_LCORE. */
	sb_log_rec_set(&rec, SB_LOG_NOTICE, "control", SB_LOG_LCORE_NONE, "up");
	assert_int_equal(sb_log_format_journal(&rec, "sb-control", buf, sizeof(buf), f), 4);
	assert_string_equal(f[1], "PRIORITY=5");
	assert_int_equal(sb_log_format_journal(&rec, "sb-control", buf, 20, f), -ENOSPC);
}

/* auto is the journal only when JOURNAL_STREAM names our stderr. */
static void test_target_auto_detect(void **state)
{
	enum sb_log_target t;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(sb_log_target_parse("auto", &t), 0);
	assert_int_equal(t, SB_LOG_TO_STDERR);
	setenv("JOURNAL_STREAM", "1:2", 1);
	assert_int_equal(sb_log_target_parse("auto", &t), 0);
	assert_int_equal(t, SB_LOG_TO_STDERR);
	{
		struct stat st;
		char v[64];

		assert_int_equal(fstat(2, &st), 0);
		snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", v, 1);
	}
	assert_int_equal(sb_log_target_parse("auto", &t), 0);
	assert_int_equal(t, SB_LOG_TO_JOURNAL);
	unsetenv("JOURNAL_STREAM");
	/* journal only where journald listens (test log_journal checks both). */
	if (access(SB_LOG_JOURNAL_SOCKET, W_OK) == 0) {
		assert_int_equal(sb_log_target_parse("journal", &t), 0);
		assert_int_equal(t, SB_LOG_TO_JOURNAL);
	} else {
		assert_int_equal(sb_log_target_parse("journal", &t), -ENOENT);
		assert_int_equal(t, SB_LOG_TO_STDERR);
	}
	assert_int_equal(sb_log_target_parse("stderr", &t), 0);
	assert_int_equal(t, SB_LOG_TO_STDERR);
	assert_int_equal(sb_log_target_parse("syslog", &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rl_burst_then_suppressed_count),
		cmocka_unit_test(test_rl_per_site),
		cmocka_unit_test(test_ring_full_drops_and_counts),
		cmocka_unit_test(test_ring_fast_producer_never_blocks),
		cmocka_unit_test(test_format_line),
		cmocka_unit_test(test_record_cuts_long_message),
		cmocka_unit_test(test_record_tells_suppressed),
		cmocka_unit_test(test_format_journal_fields),
		cmocka_unit_test(test_target_auto_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
