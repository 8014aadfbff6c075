/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Every figure sb-control can see, as one stream of samples (metric.h) in
 * a fixed order, for `sbctl stats` and the Prometheus endpoint alike:
 *
 *   counters  the dataplane workers' directory (groups dataplane, tcp, c2s,
 *             tls; summed over workers), the shards' directory (group
 *             shard), routing (route) and IM (im) summed over shards, the
 *             store (store), the management socket (mgmt), the metrics
 *             endpoint itself (metrics) and sb-control's attaches (control).
 *             A directory entry whose help starts with "gauge:" is a level
 *             and is printed among the gauges.
 *   gauges    processes, TCP connections by state, sessions and users per
 *             shard, every ring's depth, pool use, and the backlog alarms
 *             (group alarm: active, level and high_water per alarm; their
 *             raises among the counters).
 *
 * Read from the management or the metrics thread while workers and shards
 * write: every figure is a snapshot, a sum possibly a few packets stale.
 */
#ifndef SB_METRICS_COLLECT_H
#define SB_METRICS_COLLECT_H

#include <stdint.h>

#include "metric.h"

struct sb_alarms;
struct sb_attach;
struct sb_shard;
struct sb_store;
struct sb_cli_server;
struct rte_mempool;

struct sb_metrics_src {
	const struct sb_attach *attach;
	const struct sb_shard *shards;     /* NULL until the shard threads run */
	unsigned n_shards;
	const struct sb_store *store;
	const struct sb_cli_server *server;
	const uint64_t *http_ctr;          /* the endpoint's counters (http.h), or NULL */
	struct rte_mempool *mbuf_pool;     /* the dataplane's packet pool, or NULL */
	struct sb_alarms *alarms;          /* backlog alarms (alarm.h), or NULL */
};

void sb_metrics_collect(const struct sb_metrics_src *src, sb_metric_fn fn, void *arg);

#endif
