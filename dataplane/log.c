/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's side of lib/log (see log.h): SB_LOG's records, one ring
 * per worker lcore drained by the main lcore, and DPDK's log stream
 * (rte_openlog_stream) turned into records too, so EAL and driver
 * messages get a level and go to the same target.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "config.h"
#include "dp_counters.h"
#include "log.h"

/* Before sb_dp_log_init (and in programs that never call it, sb-loadgen):
 * stderr, the key table's defaults, no rings. */
static struct {
	struct sb_log_sink sink;
	uint64_t interval_ms, tsc_per_ms;
	uint32_t burst;
	struct sb_log_ring *ring[RTE_MAX_LCORE];
	uint64_t *ctr[RTE_MAX_LCORE];        /* a worker's counters, for log_dropped */
	uint64_t told_dropped[RTE_MAX_LCORE]; /* drops already told, main lcore only */
} dl = {
	.sink = { .target = SB_LOG_TO_STDERR, .ident = "sb-dataplane", .main_lcore = 0 },
	.interval_ms = 5000,
	.burst = 10,
};

/* DPDK's levels are syslog's plus one. */
static enum sb_log_level dl_level(uint32_t rte_level)
{
	return rte_level >= 1 && rte_level <= RTE_LOG_DEBUG ? (enum sb_log_level)(rte_level - 1)
							     : SB_LOG_DEBUG;
}

/* A record on its way: into this worker's ring (never waits), or written. */
static void dl_emit(const struct sb_log_rec *rec)
{
	unsigned lc = rte_lcore_id();
	struct sb_log_ring *r = lc < RTE_MAX_LCORE ? dl.ring[lc] : NULL;

	if (r == NULL) {
		sb_log_sink_write(&dl.sink, rec);
		return;
	}
	if (!sb_log_ring_push(r, rec) && dl.ctr[lc] != NULL)
		dl.ctr[lc][SB_DP_CTR_log_dropped]++;
}

void sb_dp_log(int logtype, uint32_t rte_level, const char *module, struct sb_log_rl *rl,
	       const char *fmt, ...)
{
	struct sb_log_rec rec;
	uint32_t suppressed = 0;
	uint64_t hz = dl.tsc_per_ms != 0 ? dl.tsc_per_ms : rte_get_tsc_hz() / 1000;
	unsigned lc = rte_lcore_id();
	va_list ap;

	if (!rte_log_can_log(logtype, rte_level))
		return;
	if (!sb_log_rl_allow(rl, rte_rdtsc() / (hz ? hz : 1), dl.interval_ms, dl.burst,
			     &suppressed))
		return;
	va_start(ap, fmt);
	sb_log_rec_vformat(&rec, dl_level(rte_level), module,
			   lc < RTE_MAX_LCORE ? (uint16_t)lc : SB_LOG_LCORE_NONE, suppressed, fmt, ap);
	va_end(ap);
	dl_emit(&rec);
}

/* DPDK's own messages (EAL, drivers), as the stream rte_log writes to. Our
 * SB_LOG never reaches it. The module is DPDK's, the level rte_log's. */
static ssize_t dl_stream_write(void *cookie, const char *buf, size_t size)
{
	struct sb_log_rec rec;
	char msg[SB_LOG_MSG_MAX];
	unsigned lc = rte_lcore_id();
	size_t n = size < sizeof(msg) - 1 ? size : sizeof(msg) - 1;

	(void)cookie;
	memcpy(msg, buf, n);
	msg[n] = '\0';
	sb_log_rec_set(&rec, dl_level((uint32_t)rte_log_cur_msg_loglevel()), "dpdk",
		       lc < RTE_MAX_LCORE ? (uint16_t)lc : SB_LOG_LCORE_NONE, msg);
	dl_emit(&rec);
	return (ssize_t)size;
}

int sb_dp_log_init(const struct sb_config *cfg, const char *ident)
{
	static const cookie_io_functions_t io = { .write = dl_stream_write };
	enum sb_log_target t = SB_LOG_TO_STDERR;
	int rc = sb_log_target_parse(cfg->log_target, &t);
	unsigned lc;
	FILE *f;

	dl.sink.target = t;
	dl.sink.ident = ident;
	dl.sink.main_lcore = (uint16_t)rte_get_main_lcore();
	dl.interval_ms = cfg->log_rate_interval_ms;
	dl.burst = (uint32_t)cfg->log_rate_burst;
	dl.tsc_per_ms = rte_get_tsc_hz() / 1000;
	/* Once at start, before any worker runs (tests call it again, with
	 * every worker idle). */
	RTE_LCORE_FOREACH_WORKER(lc) {
		sb_log_ring_free(dl.ring[lc]);
		dl.told_dropped[lc] = 0;
		dl.ring[lc] = sb_log_ring_new((uint32_t)cfg->log_ring_records);
		if (dl.ring[lc] == NULL)
			return -ENOMEM;
	}
	/* Line buffered: one record per message rte_log writes. */
	f = fopencookie(NULL, "w", io);
	if (f == NULL)
		return -errno;
	setvbuf(f, NULL, _IOLBF, SB_LOG_MSG_MAX);
	if (rte_openlog_stream(f) < 0)
		return -EIO;
	return rc; /* -ENOENT: journal asked for, none: on stderr */
}

void sb_dp_log_set_counter(unsigned lcore, uint64_t *ctr)
{
	if (lcore < RTE_MAX_LCORE)
		dl.ctr[lcore] = ctr;
}

unsigned sb_dp_log_drain(unsigned budget)
{
	struct sb_log_rec rec;
	unsigned written = 0, lc;

	RTE_LCORE_FOREACH_WORKER(lc) {
		struct sb_log_ring *r = dl.ring[lc];
		uint64_t dropped;

		if (r == NULL)
			continue;
		for (unsigned i = 0; i < budget && sb_log_ring_pop(r, &rec); i++, written++)
			sb_log_sink_write(&dl.sink, &rec);
		dropped = sb_log_ring_dropped(r);
		if (dropped != dl.told_dropped[lc]) {
			char msg[96];

			snprintf(msg, sizeof(msg), "lcore %u: %llu log records dropped (ring full)",
				 lc, (unsigned long long)(dropped - dl.told_dropped[lc]));
			sb_log_rec_set(&rec, SB_LOG_WARNING, "main", SB_LOG_LCORE_NONE, msg);
			sb_log_sink_write(&dl.sink, &rec);
			dl.told_dropped[lc] = dropped;
		}
	}
	return written;
}
