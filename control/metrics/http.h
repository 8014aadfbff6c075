/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The Prometheus endpoint: GET /metrics on metrics.listen, answered with
 * the text exposition format of every sample collect.h produces. Served by
 * libmicrohttpd on one thread of its own inside sb-control (so on
 * sb-control's cores, never the dataplane's workers, and never on a shard
 * thread): a slow or hostile scraper costs that thread only.
 *
 * Limits, each counted (http_counters.def) or bounded by libmicrohttpd:
 * peers outside metrics.allow are closed at accept; SB_HTTP_CONN_MAX
 * connections at once, SB_HTTP_PER_IP_MAX per address, SB_HTTP_TIMEOUT_S
 * to finish a request; a reply over SB_HTTP_REPLY_MAX is a 500.
 */
#ifndef SB_METRICS_HTTP_H
#define SB_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "allow.h"
#include "collect.h"

#define SB_HTTP_CONN_MAX 16
#define SB_HTTP_PER_IP_MAX 4
#define SB_HTTP_TIMEOUT_S 10
#define SB_HTTP_REPLY_MAX (4u << 20)

enum sb_http_ctr {
#define SB_CTR(name, help) SB_HTTP_CTR_##name,
#include "http_counters.def"
#undef SB_CTR
	SB_HTTP_CTR_MAX
};

struct MHD_Daemon;

struct sb_metrics_http {
	struct MHD_Daemon *d;
	struct sb_allow allow;
	const struct sb_metrics_src *src;
	char *buf;                 /* SB_HTTP_REPLY_MAX, the thread's scratch */
	char bound[64];            /* "address:port" actually bound (port 0 resolved) */
	uint64_t ctr[SB_HTTP_CTR_MAX];
};

/* Start serving on listen ("a.b.c.d:port", "[v6]:port"; port 0 picks a
 * free one, see bound) for the peers in allow (allow.h). src must outlive
 * the server and may gain its shards later. 0, or a negative errno with
 * the reason in why. */
int sb_metrics_http_start(struct sb_metrics_http *h, const char *listen, const char *allow,
			  const struct sb_metrics_src *src, char *why, size_t why_len);

/* Stop the thread and free everything; safe on a server never started. */
void sb_metrics_http_stop(struct sb_metrics_http *h);

#endif
