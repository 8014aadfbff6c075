/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_top.h. Drops are every counter that counts something thrown
 * away: the dataplane's drop_* and its pool and ring refusals, lib/tcp's
 * segments dropped, the shards' full rings; `sbctl top` shows their sum
 * and the one that moved most.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rte_common.h>

#include "alarm.h"
#include "alarm_watch.h"
#include "attach.h"
#include "cmd_memory.h"
#include "cmd_top.h"
#include "metrics/collect.h"
#include "shard.h"

static const char *const top_drops_dp[] = { "ring_full", "msg_alloc_fail", "mbuf_alloc_fail",
					    "no_control", "xmpp_multi_skipped" };
static const char *const top_drops_tcp[] = {
	"PARSE_SHORT", "PARSE_BAD_DOFF", "PARSE_BAD_OPT", "PARSE_BAD_FLAGS", "PARSE_BAD_CSUM",
	"RX_OOO_FULL", "RX_OOO_SHARE", "RX_OOO_WORKER_CAP", "RX_OOO_SRC_SHARE",
	"RX_OOO_POOL_LOW", "RX_ZERO_WINDOW_DROP", "TW_DROP", "RX_RST_OUT_OF_WINDOW",
};
static const char *const top_rexmt[] = { "TX_REXMT_TIMEOUT", "TX_FAST_REXMT", "TX_SACK_REXMT",
					 "TX_EARLY_REXMT", "TX_TLP" };

static bool top_in(const char *name, const char *const *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strcasecmp(name, list[i]) == 0)
			return true;
	return false;
}

#define TOP_IN(name, list) top_in(name, list, sizeof(list) / sizeof(list[0]))

static uint64_t top_sum(const struct sb_shm *shm, const char *group, const char *name)
{
	const struct sb_shm_ctr_entry *e = sb_shm_dir_find(&shm->worker_dir, group, name);

	return e ? sb_shm_ctr_sum(e, shm->workers, sizeof(shm->workers[0]), shm->n_workers) : 0;
}

/* Worker w's dataplane counter name; 0 from a dataplane without it. */
static uint64_t top_one(const struct sb_shm *shm, unsigned w, const char *name)
{
	const struct sb_shm_ctr_entry *e = sb_shm_dir_find(&shm->worker_dir, "dataplane", name);

	return e ? sb_shm_ctr_sum(e, &shm->workers[w], 0, 1) : 0;
}

/* The workers' directory: drops, retransmissions. */
static void top_dir(const struct sb_shm *shm, struct sb_out *o)
{
	unsigned n = sb_shm_dir_count(&shm->worker_dir);
	uint64_t rexmt = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct sb_shm_ctr_entry *e = &shm->worker_dir.e[i];
		bool dp = strcmp(e->group, "dataplane") == 0, tcp = strcmp(e->group, "tcp") == 0;
		uint64_t v;

		if (!dp && !tcp)
			continue;
		v = sb_shm_ctr_sum(e, shm->workers, sizeof(shm->workers[0]), shm->n_workers);
		if (tcp && TOP_IN(e->name, top_rexmt))
			rexmt += v;
		if ((dp && (strncmp(e->name, "drop_", 5) == 0 || TOP_IN(e->name, top_drops_dp))) ||
		    (tcp && TOP_IN(e->name, top_drops_tcp)))
			sb_out_printf(o, "drop %s.%s %" PRIu64 "\n", e->group, e->name, v);
	}
	sb_out_printf(o, "tcp_rexmt %" PRIu64 "\n", rexmt);
}

static void top_sample(const struct sb_metrics_src *src, struct sb_out *o)
{
	const struct sb_shm *shm = src->attach->shm;
	static const struct sb_alarm_cfg no_marks; /* levels only */
	struct sb_alarm_levels l;
	uint64_t conns = 0, sessions = 0, drops_sh = 0;
	unsigned bk = SB_ALARM_ROUTE_BACKLOG;
	char names[160] = "-";
	unsigned n_alarms = src->alarms ? sb_alarm_active(src->alarms, names, sizeof(names)) : 0;

	for (unsigned w = 0; w < shm->n_workers; w++)
		conns += shm->workers[w].tcp_conns;
	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++) {
		const struct sb_shm_ctr_entry *e = sb_shm_dir_find(&shm->shard_dir, "shard",
								    "ring_full");

		sessions += src->shards[s].router.sessions.sessions;
		drops_sh += e ? sb_shm_ctr_sum(e, &shm->shards[s], 0, 1) : 0;
	}
	sb_alarm_levels_read(src, &no_marks, &l);
	for (unsigned k = SB_ALARM_IM_BACKLOG; k <= SB_ALARM_HELD; k++)
		if (l.level[k] > l.level[bk])
			bk = k;
	sb_out_printf(o, "ok\nconns %" PRIu64 "\nsessions %" PRIu64 "\n", conns, sessions);
	sb_out_printf(o, "logins %" PRIu64 "\nstanzas_in %" PRIu64 "\nstanzas_out %" PRIu64 "\n",
		      top_sum(shm, "dataplane", "xmpp_logins"),
		      top_sum(shm, "dataplane", "xmpp_routed"),
		      top_sum(shm, "dataplane", "xmpp_delivered"));
	sb_out_printf(o, "pkts_in %" PRIu64 "\npkts_out %" PRIu64 "\ntcp_segs_out %" PRIu64 "\n",
		      top_sum(shm, "dataplane", "rx_pkts"), top_sum(shm, "dataplane", "tx_pkts"),
		      top_sum(shm, "dataplane", "tcp_tx_segs"));
	sb_out_printf(o, "ring_max %" PRIu64 "\nring_size %u\nbacklog_max %" PRIu64 " %s\n",
		      RTE_MAX(l.level[SB_ALARM_RING_UP], l.level[SB_ALARM_RING_DOWN]),
		      shm->ring_size, l.level[bk], l.where[bk][0] ? l.where[bk] : "-");
	sb_out_printf(o, "session_bytes %" PRIu64 "\nalarms %u %s\n",
		      sb_cmd_memory_client_bytes(src), n_alarms, names);
	for (unsigned w = 0; w < shm->n_workers; w++)
		sb_out_printf(o, "lcore %u %u %" PRIu64 " %" PRIu64 "\n", w,
			      shm->workers[w].lcore_id, top_one(shm, w, "busy_tsc"),
			      top_one(shm, w, "idle_tsc"));
	top_dir(shm, o);
	sb_out_printf(o, "drop shard.ring_full %" PRIu64 "\n", drops_sh);
}

void sb_cmd_top_run(const struct sb_metrics_src *src, const char *args, struct sb_out *o)
{
	if (strcmp(args, "sample") != 0) {
		sb_out_printf(o, "error: usage: top sample (sbctl top runs it; see sbctl top --help)\n");
		return;
	}
	top_sample(src, o);
}
