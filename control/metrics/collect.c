/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See collect.h. The routing, IM, store and socket counters are described
 * here from their modules' own .def files, so their help text reaches
 * Prometheus without those modules exporting it.
 */
#include <stdio.h>
#include <string.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "alarm.h"
#include "attach.h"
#include "cli/server.h"
#include "collect.h"
#include "ctr.h"
#include "http.h"
#include "shard.h"
#include "store/store.h"

static const struct sb_ctr_desc collect_route_desc[] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_ROUTE_CTR_, name, help)
#include "router/route_counters.def"
#undef SB_CTR
};

static const struct sb_ctr_desc collect_im_desc[] = {
#define SB_IM_CTR(name, help) SB_CTR_DESC(SB_IM_CTR_, name, help)
#include "im/im_counters.def"
#undef SB_IM_CTR
};

static const struct sb_ctr_desc collect_store_desc[] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_STORE_CTR_, name, help)
#include "store/store_counters.def"
#undef SB_CTR
};

static const struct sb_ctr_desc collect_mgmt_desc[] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_CLI_CTR_, name, help)
#include "cli/server_counters.def"
#undef SB_CTR
};

static const struct sb_ctr_desc collect_http_desc[] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_HTTP_CTR_, name, help)
#include "http_counters.def"
#undef SB_CTR
};

struct collect {
	sb_metric_fn fn;
	void *arg;
};

static void collect_emit(const struct collect *c, enum sb_metric_type type, const char *group,
			 const char *name, const char *help, uint64_t value)
{
	struct sb_metric m = { .type = type, .group = group, .name = name, .help = help,
			       .value = value };

	c->fn(c->arg, &m);
}

static bool collect_is_gauge(const char *help)
{
	return strncmp(help, "gauge:", 6) == 0;
}

/* A shared-memory directory's entries of `type`, each summed over n
 * records, in directory order (a group's entries are consecutive). */
static void collect_dir(const struct collect *c, enum sb_metric_type type,
			const struct sb_shm_ctr_dir *dir, const void *base, size_t stride,
			unsigned n)
{
	unsigned count = sb_shm_dir_count(dir);

	for (unsigned i = 0; i < count; i++) {
		const struct sb_shm_ctr_entry *e = &dir->e[i];

		if (collect_is_gauge(e->help) != (type == SB_METRIC_GAUGE))
			continue;
		collect_emit(c, type, e->group, e->name, e->help,
			     sb_shm_ctr_sum(e, base, stride, n));
	}
}

/* Counter c of n uint64_t arrays `offset` bytes into each of n records. */
static uint64_t collect_sum(const void *base, size_t stride, unsigned n, size_t offset,
			    unsigned idx)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += ((const uint64_t *)((const char *)base + i * stride + offset))[idx];
	return sum;
}

static void collect_table(const struct collect *c, const char *group,
			  const struct sb_ctr_desc *desc, unsigned n_desc, const void *base,
			  size_t stride, unsigned n, size_t offset)
{
	for (unsigned i = 0; i < n_desc; i++)
		collect_emit(c, SB_METRIC_COUNTER, group, desc[i].name, desc[i].help,
			     collect_sum(base, stride, n, offset, i));
}

/* The alarms, one sample per alarm labelled alarm="NAME": what 0 raises,
 * 1 active, 2 level, 3 high_water. */
static void collect_alarms(const struct collect *c, const struct sb_metrics_src *src,
			   unsigned what)
{
	static const struct {
		const char *name, *help;
	} f[] = {
		{ "raised", "times a backlog alarm went off (its high-water mark reached)" },
		{ "active", "1 while a backlog alarm is raised (cleared below 3/4 of its mark)" },
		{ "level", "the worst level of an alarm's rings or queues at its last check" },
		{ "high_water", "an alarm's high-water mark, from the configuration" },
	};

	for (unsigned k = 0; src->alarms != NULL && k < SB_ALARM_MAX; k++) {
		const struct sb_alarm *a = &src->alarms->a[k];
		uint64_t v[] = { a->raised, a->active, a->level, a->high };
		struct sb_metric m = {
			.type = what == 0 ? SB_METRIC_COUNTER : SB_METRIC_GAUGE, .group = "alarm",
			.name = f[what].name, .help = f[what].help, .n_labels = 1,
			.labels = { { "alarm", sb_alarm_names[k] } }, .value = v[what],
		};

		c->fn(c->arg, &m);
	}
}

static void collect_counters(const struct collect *c, const struct sb_metrics_src *src)
{
	const struct sb_shm *shm = src->attach->shm;
	unsigned n_sh = src->shards != NULL ? src->n_shards : 0;

	collect_dir(c, SB_METRIC_COUNTER, &shm->worker_dir, shm->workers, sizeof(shm->workers[0]),
		    shm->n_workers);
	collect_dir(c, SB_METRIC_COUNTER, &shm->shard_dir, shm->shards, sizeof(shm->shards[0]),
		    shm->ctl_shards);
	collect_table(c, "route", collect_route_desc, SB_ROUTE_CTR_MAX, src->shards,
		      sizeof(src->shards[0]), n_sh, offsetof(struct sb_shard, router.ctr));
	collect_table(c, "im", collect_im_desc, SB_IM_CTR_MAX, src->shards,
		      sizeof(src->shards[0]), n_sh, offsetof(struct sb_shard, router.im.ctr));
	if (src->store != NULL)
		for (unsigned i = 0; i < SB_STORE_CTR_MAX; i++)
			collect_emit(c, SB_METRIC_COUNTER, "store", collect_store_desc[i].name,
				     collect_store_desc[i].help,
				     sb_store_ctr_value(&src->store->ctr, (enum sb_store_ctr)i));
	if (src->server != NULL)
		collect_table(c, "mgmt", collect_mgmt_desc, SB_CLI_CTR_MAX, src->server, 0, 1,
			      offsetof(struct sb_cli_server, ctr));
	if (src->http_ctr != NULL)
		collect_table(c, "metrics", collect_http_desc, SB_HTTP_CTR_MAX, src->http_ctr, 0,
			      1, 0);
	collect_alarms(c, src, 0);
	collect_emit(c, SB_METRIC_COUNTER, "control", "attaches",
		     "sb-control attaches since the dataplane started", shm->ctl_attaches);
	collect_emit(c, SB_METRIC_COUNTER, "control", "reclaimed",
		     "pool objects a dead sb-control held, freed on attach", shm->ctl_reclaimed);
	collect_emit(c, SB_METRIC_COUNTER, "control", "sends_undone",
		     "chains a killed sb-control had tagged for a down ring and not enqueued, recovered on attach",
		     shm->ctl_sends_undone);
	collect_emit(c, SB_METRIC_COUNTER, "control", "lost",
		     "times the dataplane found sb-control gone or stalled", shm->ctl_lost);
}

/* Per shard: sessions and users, labelled shard="S". */
static void collect_sessions(const struct collect *c, const struct sb_metrics_src *src,
			     bool users)
{
	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++) {
		const struct sb_session_table *t = &src->shards[s].router.sessions;
		char idx[12];
		struct sb_metric m = {
			.type = SB_METRIC_GAUGE, .group = "xmpp",
			.name = users ? "users" : "sessions",
			.help = users ? "accounts with at least one bound session"
				      : "bound XMPP sessions (resources)",
			.n_labels = 1, .labels = { { "shard", idx } },
			.value = users ? t->users : t->sessions,
		};

		snprintf(idx, sizeof(idx), "%u", s);
		c->fn(c->arg, &m);
	}
}

/* Every ring's depth: up (worker -> shard), then down (shard -> worker). */
static void collect_rings(const struct collect *c, const struct sb_attach *a, bool down)
{
	const struct sb_shm *shm = a->shm;

	for (unsigned w = 0; w < shm->n_workers; w++)
		for (unsigned s = 0; s < shm->n_shards; s++) {
			const struct rte_ring *r = down ? a->down[w][s] : a->up[w][s];
			char wi[12], si[12];
			struct sb_metric m = {
				.type = SB_METRIC_GAUGE, .group = "ring",
				.name = down ? "down_depth" : "up_depth",
				.help = down ? "messages waiting in a shard -> worker delivery ring"
					     : "messages waiting in a worker -> shard stanza ring",
				.n_labels = 2, .labels = { { "worker", wi }, { "shard", si } },
				.value = r != NULL ? rte_ring_count(r) : 0,
			};

			snprintf(wi, sizeof(wi), "%u", w);
			snprintf(si, sizeof(si), "%u", s);
			c->fn(c->arg, &m);
		}
}

static uint64_t collect_ring_max(const struct sb_attach *a)
{
	uint64_t max = 0;

	for (unsigned w = 0; w < a->shm->n_workers; w++)
		for (unsigned s = 0; s < a->shm->n_shards; s++) {
			uint64_t up = a->up[w][s] ? rte_ring_count(a->up[w][s]) : 0;
			uint64_t dn = a->down[w][s] ? rte_ring_count(a->down[w][s]) : 0;

			if (up > max)
				max = up;
			if (dn > max)
				max = dn;
		}
	return max;
}

static void collect_tcp(const struct collect *c, const struct sb_shm *shm)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} g[] = {
		{ "conns", "TCP connections held (every state)",
		  offsetof(struct sb_shm_worker, tcp_conns) },
		{ "half_open", "TCP connections in SYN-RECEIVED",
		  offsetof(struct sb_shm_worker, tcp_half_open) },
		{ "time_wait", "TCP TIME-WAIT records",
		  offsetof(struct sb_shm_worker, tcp_time_wait) },
	};

	for (unsigned i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		collect_emit(c, SB_METRIC_GAUGE, "tcp_state", g[i].name, g[i].help,
			     collect_sum(shm->workers, sizeof(shm->workers[0]), shm->n_workers,
					 g[i].offset, 0));
}

static void collect_gauges(const struct collect *c, const struct sb_metrics_src *src)
{
	const struct sb_shm *shm = src->attach->shm;
	struct rte_mempool *msg = src->attach->msg_pool;

	collect_emit(c, SB_METRIC_GAUGE, "process", "dataplane_workers",
		     "sb-dataplane worker lcores", shm->n_workers);
	collect_emit(c, SB_METRIC_GAUGE, "process", "control_shards",
		     "sb-control shard threads running", shm->ctl_shards);
	collect_emit(c, SB_METRIC_GAUGE, "process", "control_epoch",
		     "sb-control's attach epoch (changes on every restart)", shm->ctl_epoch);
	collect_emit(c, SB_METRIC_GAUGE, "process", "dataplane_uptime_seconds",
		     "seconds since sb-dataplane started",
		     shm->tsc_hz ? (rte_get_tsc_cycles() - shm->dp_start_tsc) / shm->tsc_hz : 0);
	collect_dir(c, SB_METRIC_GAUGE, &shm->worker_dir, shm->workers, sizeof(shm->workers[0]),
		    shm->n_workers);
	collect_tcp(c, shm);
	collect_sessions(c, src, false);
	collect_sessions(c, src, true);
	collect_rings(c, src->attach, false);
	collect_rings(c, src->attach, true);
	collect_emit(c, SB_METRIC_GAUGE, "ring", "capacity", "slots per ring (rings.size)",
		     shm->ring_size);
	collect_emit(c, SB_METRIC_GAUGE, "ring", "depth_max",
		     "the deepest ring now, either direction (the longest backlog)",
		     collect_ring_max(src->attach));
	collect_emit(c, SB_METRIC_GAUGE, "pool", "msg_in_use",
		     "message pool objects in use (rings, shards, workers)",
		     rte_mempool_in_use_count(msg));
	collect_emit(c, SB_METRIC_GAUGE, "pool", "msg_size", "message pool objects", msg->size);
	if (src->mbuf_pool != NULL) {
		collect_emit(c, SB_METRIC_GAUGE, "pool", "mbuf_in_use",
			     "packet buffers in use (queues, send queues, held data)",
			     rte_mempool_in_use_count(src->mbuf_pool));
		collect_emit(c, SB_METRIC_GAUGE, "pool", "mbuf_size", "packet buffers",
			     src->mbuf_pool->size);
	}
	for (unsigned what = 1; what < 4; what++)
		collect_alarms(c, src, what);
}

/* One histogram, summed over the shards, `offset` bytes into each. */
static void collect_hist(const struct collect *c, const struct sb_metrics_src *src,
			 const char *name, const char *help, size_t offset)
{
	struct sb_hist sum = { 0 };
	struct sb_metric m = { .type = SB_METRIC_HISTOGRAM, .group = "shard", .name = name,
			       .help = help, .hist = &sum };

	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++) {
		const struct sb_hist *h =
			(const struct sb_hist *)((const char *)&src->shards[s] + offset);

		for (unsigned b = 0; b <= SB_HIST_BUCKETS; b++)
			sum.n[b] += h->n[b];
		sum.sum_us += h->sum_us;
	}
	c->fn(c->arg, &m);
}

void sb_metrics_collect(const struct sb_metrics_src *src, sb_metric_fn fn, void *arg)
{
	const struct collect c = { .fn = fn, .arg = arg };

	collect_counters(&c, src);
	collect_gauges(&c, src);
	collect_hist(&c, src, "stanza_wait_seconds",
		     "routing latency: a stanza's wait from its worker's hand-off to its shard "
		     "taking it off the ring",
		     offsetof(struct sb_shard, stanza_wait));
	collect_hist(&c, src, "login_wait_seconds",
		     "login latency inside the gateway: a SASL or bind request's wait from its "
		     "worker's hand-off to its shard taking it off the ring",
		     offsetof(struct sb_shard, login_wait));
}
