/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Telemetry callbacks. They run on DPDK's telemetry thread and only read
 * the shared counters, which every worker writes on its own cache lines.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "counters.h"
#include "telemetry.h"

/* Telemetry callbacks take no context argument, so the one shm pointer is
 * kept here; it is written once before registration and never changes. */
static const struct sb_shm *telemetry_shm;


/* One dictionary of the counters of `group`, by the workers' directory:
 * summed over the workers, or worker w's alone (w >= 0). */
static void telemetry_group(struct rte_tel_data *d, const char *group, long w)
{
	const struct sb_shm_ctr_dir *dir = &telemetry_shm->worker_dir;
	unsigned n = sb_shm_dir_count(dir);

	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < n; i++) {
		const struct sb_shm_ctr_entry *e = &dir->e[i];

		if (strcmp(e->group, group) != 0)
			continue;
		rte_tel_data_add_dict_u64(d, e->name,
					  w < 0 ? sb_shm_ctr_sum(e, telemetry_shm->workers,
								 sizeof(telemetry_shm->workers[0]),
								 telemetry_shm->n_workers)
						: sb_shm_ctr_sum(e, &telemetry_shm->workers[w],
								 sizeof(telemetry_shm->workers[0]), 1));
	}
}

static int telemetry_counters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	telemetry_group(d, SB_DP_GROUP_DATAPLANE, -1);
	return 0;
}

static int telemetry_tcp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	telemetry_group(d, SB_DP_GROUP_TCP, -1);
	return 0;
}

static int telemetry_c2s(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	telemetry_group(d, SB_DP_GROUP_C2S, -1);
	return 0;
}

/* lib/tls's counters and the certificates' gauges (tls_reload.c): days to
 * expiry of the soonest to expire, for an alert. */
static int telemetry_tls(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sb_shm_tls *st = &telemetry_shm->tls;

	(void)cmd;
	(void)params;
	telemetry_group(d, SB_DP_GROUP_TLS, -1);
	rte_tel_data_add_dict_u64(d, "cert_domains", st->domains);
	rte_tel_data_add_dict_int(d, "cert_days_left", st->days_left);
	rte_tel_data_add_dict_u64(d, "cert_reloads", st->reloads);
	rte_tel_data_add_dict_u64(d, "cert_reload_failed", st->reload_failed);
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
	telemetry_group(d, SB_DP_GROUP_DATAPLANE, (long)w);
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
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sb/tls", telemetry_tls,
						"lib/tls counters, summed over workers, and the "
						"certificates' smallest days to expiry");
	return rc;
}
