/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/metrics/health.c: healthy only while the dataplane lives, holds
 * this sb-control for live, and every ring pair's heartbeat returned
 * recently, each fault named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

#define HZ 1000000u /* one tick a microsecond */

static struct sb_shm *healthy(uint64_t now)
{
	struct sb_shm *shm = calloc(1, sizeof(*shm));

	assert_non_null(shm);
	shm->tsc_hz = HZ;
	shm->hb_interval_tsc = HZ;
	shm->n_workers = 2;
	shm->dp_pid = 42;
	shm->dp_start_tsc = 1;
	shm->dp_alive_tsc = now - HZ / 10;
	shm->ctl_live = 7;
	for (unsigned w = 0; w < 2; w++)
		for (unsigned s = 0; s < 2; s++) {
			shm->workers[w].hb_last_tsc[s] = now - HZ;
			shm->shards[s].hb_last_tsc[w] = now - HZ;
		}
	return shm;
}

static void test_default_max_age(void **state)
{
	struct sb_shm *shm = healthy(100 * HZ);

	(void)state;
	assert_int_equal(sb_health_default_max_age_tsc(shm), 5 * HZ); /* the floor */
	shm->hb_interval_tsc = 10 * HZ;
	assert_int_equal(sb_health_default_max_age_tsc(shm), 30 * HZ);
	free(shm);
}

static void test_healthy(void **state)
{
	uint64_t now = 100 * HZ;
	struct sb_shm *shm = healthy(now);
	char why[160] = "";

	(void)state;
	assert_int_equal(sb_health_check(shm, 7, 2, 1, now, 5 * HZ, why, sizeof(why)), 0);
	free(shm);
}

static void test_each_fault_named(void **state)
{
	uint64_t now = 100 * HZ;
	struct sb_shm *shm = healthy(now);
	char why[160];

	(void)state;
	assert_int_equal(sb_health_check(shm, 7, 2, 0, now, 5 * HZ, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "pid 42) is gone"));

	shm->dp_alive_tsc = now - 7 * HZ;
	assert_int_equal(sb_health_check(shm, 7, 2, 1, now, 5 * HZ, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "main loop silent for 7.0 s"));
	shm->dp_alive_tsc = now;

	shm->ctl_live = 6; /* an older sb-control's epoch */
	assert_int_equal(sb_health_check(shm, 7, 2, 1, now, 5 * HZ, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "epoch 7"));
	shm->ctl_live = 7;

	shm->workers[1].hb_last_tsc[0] = now - 6 * HZ;
	assert_int_equal(sb_health_check(shm, 7, 2, 1, now, 5 * HZ, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "worker -> shard 1 -> 0 for 6.0 s"));
	shm->workers[1].hb_last_tsc[0] = now;

	shm->shards[1].hb_last_tsc[0] = 0; /* never, long after start */
	assert_int_equal(sb_health_check(shm, 7, 2, 1, now, 5 * HZ, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "shard -> worker 1 -> 0 yet"));
	free(shm);
}

static void test_fresh_start_waits_for_first_heartbeat(void **state)
{
	uint64_t now = 100 * HZ;
	struct sb_shm *shm = healthy(now);
	char why[160];

	(void)state;
	shm->dp_start_tsc = now - 2 * HZ;
	shm->workers[0].hb_last_tsc[1] = 0;
	assert_int_equal(sb_health_check(shm, 7, 2, 1, now, 5 * HZ, why, sizeof(why)), 0);
	/* only the shards running are judged */
	shm->dp_start_tsc = 1;
	assert_int_equal(sb_health_check(shm, 7, 1, 1, now, 5 * HZ, why, sizeof(why)), 0);
	assert_int_equal(sb_health_check(shm, 7, 2, 1, now, 5 * HZ, why, sizeof(why)), -1);
	free(shm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_max_age),
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_each_fault_named),
		cmocka_unit_test(test_fresh_start_waits_for_first_heartbeat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
