/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Telemetry callbacks. They run on DPDK's telemetry thread and only read
 * the shared counters, which every worker writes on its own cache lines.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <rte_telemetry.h>

#include "telemetry.h"

/* Telemetry callbacks take no context argument, so the one shm pointer is
 * kept here; it is written once before registration and never changes. */
static const struct sb_shm *telemetry_shm;


/* One dictionary of a per-worker counter array in shared memory, summed. */
static void telemetry_sum(struct rte_tel_data *d, size_t offset, const char *const *names,
			  unsigned n)
{
	rte_tel_data_start_dict(d);
	for (unsigned c = 0; c < n; c++) {
		uint64_t sum = 0;

		for (unsigned w = 0; w < telemetry_shm->n_workers; w++) {
			const uint64_t *arr =
				(const uint64_t *)((const char *)&telemetry_shm->workers[w] + offset);

			sum += arr[c];
		}
		rte_tel_data_add_dict_u64(d, names[c], sum);
	}
}

static int telemetry_counters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	telemetry_sum(d, offsetof(struct sb_shm_worker, ctr), sb_dp_counter_names, SB_DP_CTR_MAX);
	return 0;
}

static int telemetry_tcp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	telemetry_sum(d, offsetof(struct sb_shm_worker, tcp_ctr), sb_tcp_counter_names,
		      SB_SHM_TCP_MAX);
	return 0;
}

static int telemetry_c2s(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	telemetry_sum(d, offsetof(struct sb_shm_worker, c2s_ctr), sb_c2s_counter_names,
		      SB_SHM_C2S_MAX);
	return 0;
}

static int telemetry_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char *end;
	unsigned long w;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	w = strtoul(params, &end, 10);
	if (*end != '\0' || w >= telemetry_shm->n_workers)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (unsigned c = 0; c < SB_DP_CTR_MAX; c++)
		rte_tel_data_add_dict_u64(d, sb_dp_counter_names[c],
					  telemetry_shm->workers[w].ctr[c]);
	return 0;
}

int sb_telemetry_register(const struct sb_shm *shm)
{
	int rc;

	telemetry_shm = shm;
	rc = rte_telemetry_register_cmd("/sb/counters", telemetry_counters,
					"Switchboard dataplane counters, summed over workers");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sb/worker", telemetry_worker,
						"One worker's counters. Parameter: worker index");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sb/tcp", telemetry_tcp,
						"lib/tcp counters, summed over workers");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sb/c2s", telemetry_c2s,
						"lib/xmpp c2s counters, summed over workers");
	return rc;
}
