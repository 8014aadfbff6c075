/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The workers' counter directory (dataplane/counters.c): every counter of
 * the dataplane, lib/tcp and lib/xmpp is described once, under its group,
 * at the slot its writer publishes it to (dp_counters.h, SB_XC_CTR_SLOT),
 * so sbctl and telemetry read the right word by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s.h"
#include "counters.h"
#include "dp_counters.h"
#include "tcp.h"
#include "xmpp/xc.h"

static size_t slot_offset(unsigned slot)
{
	return offsetof(struct sb_shm_worker, ctr) + slot * sizeof(uint64_t);
}

static unsigned group_count(const struct sb_shm_ctr_dir *d, const char *group)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sb_shm_dir_count(d); i++)
		n += strcmp(d->e[i].group, group) == 0;
	return n;
}

static void test_dp_counters_directory(void **state)
{
	struct sb_shm *shm = calloc(1, sizeof(*shm));
	const struct sb_shm_ctr_entry *e;

	(void)state;
	assert_non_null(shm);
	assert_int_equal(sb_dp_counters_describe(shm), 0);
	assert_int_equal(group_count(&shm->worker_dir, SB_DP_GROUP_DATAPLANE), SB_DP_CTR_MAX);
	assert_int_equal(group_count(&shm->worker_dir, SB_DP_GROUP_TCP), SB_TCP_CNT_MAX);
	assert_int_equal(group_count(&shm->worker_dir, SB_DP_GROUP_C2S), SB_C2S_CTR_MAX);

	e = sb_shm_dir_find(&shm->worker_dir, SB_DP_GROUP_DATAPLANE, "tcp_established");
	assert_non_null(e);
	assert_int_equal(e->offset, slot_offset(SB_DP_CTR_tcp_established));
	e = sb_shm_dir_find(&shm->worker_dir, SB_DP_GROUP_TCP, "RX_OOO_HELD");
	assert_non_null(e);
	assert_int_equal(e->offset, slot_offset(SB_DP_SLOT_TCP + SB_TCP_CNT_RX_OOO_HELD));
	assert_non_null(strstr(e->help, "out-of-order"));
	e = sb_shm_dir_find(&shm->worker_dir, SB_DP_GROUP_C2S, "bind_ok");
	assert_non_null(e);
	assert_int_equal(e->offset, slot_offset(SB_XC_CTR_SLOT + SB_C2S_CTR_bind_ok));

	/* The word the directory names is the one the writer fills. */
	shm->n_workers = 2;
	shm->workers[0].ctr[SB_XC_CTR_SLOT + SB_C2S_CTR_bind_ok] = 3;
	shm->workers[1].ctr[SB_XC_CTR_SLOT + SB_C2S_CTR_bind_ok] = 4;
	assert_int_equal(sb_shm_ctr_sum(e, shm->workers, sizeof(shm->workers[0]), 2), 7);

	/* Every entry lies inside the record's counter slots. */
	for (unsigned i = 0; i < sb_shm_dir_count(&shm->worker_dir); i++)
		assert_true(shm->worker_dir.e[i].offset + sizeof(uint64_t) <=
			    sizeof(struct sb_shm_worker));
	free(shm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dp_counters_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
