/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dataplane/log.c on real lcores: a worker lcore that logs faster than the
 * main lcore drains finishes at once (it never waited), its surplus is
 * dropped and counted in its log_dropped counter, and the main lcore
 * writes what the ring held, in order, then tells the drops. DPDK's own
 * messages take the same way, with their level. Rate limits per call site.
 * stderr is captured in a file to read the lines back.
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

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "config.h"
#include "dp_counters.h"
#include "log.h"

RTE_LOG_REGISTER(sb_logtype_test, sb.test, INFO);

#define WORKER_MSGS 1000u
#define RING 16u

static uint64_t ctr[SB_DP_CTR_MAX];
static struct sb_config cfg;
static char err_path[64];
static int saved_stderr = -1;

/* stderr into a fresh file from here on. */
static void capture(void)
{
	int fd;

	snprintf(err_path, sizeof(err_path), "/tmp/sb_dplog_XXXXXX");
	fd = mkstemp(err_path);
	assert_true(fd >= 0);
	if (saved_stderr < 0)
		saved_stderr = dup(2);
	assert_true(dup2(fd, 2) >= 0);
	close(fd);
}

/* What was captured, stderr given back. */
static char *captured(void)
{
	static char buf[1 << 16];
	FILE *f = fopen(err_path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	dup2(saved_stderr, 2);
	unlink(err_path);
	return buf;
}

static unsigned count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static int worker_flood(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < WORKER_MSGS; i++)
		SB_LOG(test, INFO, "flood %u", i);
	return 0;
}

static int worker_dpdk_message(void *arg)
{
	(void)arg;
	rte_log(RTE_LOG_ERR, RTE_LOGTYPE_EAL, "EAL: from a worker\n");
	return 0;
}

static void test_worker_flood_drops_and_counts(void **state)
{
	unsigned lc = rte_get_next_lcore(-1, 1, 0);
	char *out, want[64];

	(void)state;
	sb_dp_log_set_counter(lc, ctr);
	capture();
	assert_int_equal(rte_eal_remote_launch(worker_flood, NULL, lc), 0);
	/* Nobody drains while it runs: it must still finish. */
	assert_int_equal(rte_eal_wait_lcore(lc), 0);
	assert_int_equal(ctr[SB_DP_CTR_log_dropped], WORKER_MSGS - RING);
	assert_int_equal(sb_dp_log_drain(UINT32_MAX), RING);
	assert_int_equal(sb_dp_log_drain(UINT32_MAX), 0);
	out = captured();
	assert_int_equal(count_lines(out, "info sb.test@"), RING);
	snprintf(want, sizeof(want), "info sb.test@%u: flood 0\n", lc);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "info sb.test@%u: flood %u\n", lc, RING - 1);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "lcore %u: %u log records dropped (ring full)", lc,
		 WORKER_MSGS - RING);
	assert_non_null(strstr(out, want));
	/* The ring is free again: DPDK's own message from the worker goes
	 * through it too, with its level and lcore. */
	capture();
	assert_int_equal(rte_eal_remote_launch(worker_dpdk_message, NULL, lc), 0);
	assert_int_equal(rte_eal_wait_lcore(lc), 0);
	assert_int_equal(sb_dp_log_drain(UINT32_MAX), 1);
	out = captured();
	snprintf(want, sizeof(want), "err sb.dpdk@%u: EAL: from a worker\n", lc);
	assert_string_equal(out, want);
}

/* On the main lcore a record is written at once; each call site has its own
 * budget of log.rate_burst per window. DPDK's messages keep their level. */
static void test_main_lcore_writes_and_rate_limits(void **state)
{
	char *out;

	(void)state;
	cfg.log_rate_burst = 3;
	assert_int_equal(sb_dp_log_init(&cfg, "test_dp_log"), 0);
	capture();
	for (unsigned i = 0; i < 10; i++)
		SB_LOG(test, WARNING, "site one %u", i);
	for (unsigned i = 0; i < 2; i++)
		SB_LOG(test, INFO, "site two %u", i);
	SB_LOG(test, DEBUG, "below the level: not written");
	rte_log(RTE_LOG_ERR, RTE_LOGTYPE_EAL, "EAL: from main\n");
	out = captured();
	assert_int_equal(count_lines(out, "warning sb.test: site one"), 3);
	assert_int_equal(count_lines(out, "info sb.test: site two"), 2);
	assert_null(strstr(out, "below the level"));
	assert_non_null(strstr(out, "err sb.dpdk: EAL: from main\n"));
}

int main(void)
{
	char prefix[64];
	char *argv[] = {
		"test_dp_log", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-l", "0-1", "-m", "64", prefix, "--log-level=lib.*:error", NULL,
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_flood_drops_and_counts),
		cmocka_unit_test(test_main_lcore_writes_and_rate_limits),
	};
	char runtime[512];
	int rc;

	snprintf(prefix, sizeof(prefix), "--file-prefix=sbt_dplog_%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	snprintf(runtime, sizeof(runtime), "%s", rte_eal_get_runtime_dir());
	sb_config_defaults(&cfg);
	cfg.log_ring_records = RING;
	cfg.log_rate_burst = 100000; /* the flood is one call site */
	cfg.log_rate_interval_ms = 3600000; /* one window for the whole test */
	snprintf(cfg.log_target, sizeof(cfg.log_target), "stderr");
	if (sb_dp_log_init(&cfg, "test_dp_log") < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	rmdir(runtime);
	return rc;
}
