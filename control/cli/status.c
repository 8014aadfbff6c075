/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Status report. Reads shared memory written by other threads and the
 * other process; every figure is a snapshot, possibly a few packets stale.
 * Ring depth is read with rte_ring_count(), which is safe from any thread.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "cmd_tls.h"
#include "config.h"
#include "shard.h"
#include "status.h"

/* "12.3 us (0.4 s ago)" or "none yet". */
static void status_rtt(struct sb_out *o, const struct sb_shm *shm, uint64_t rtt_tsc,
		       uint64_t last_tsc, uint64_t now_tsc)
{
	double us_per_tsc = 1e6 / (double)shm->tsc_hz;

	if (last_tsc == 0) {
		sb_out_printf(o, "hb_rtt none yet");
		return;
	}
	sb_out_printf(o, "hb_rtt %.1f us (%.1f s ago)", (double)rtt_tsc * us_per_tsc,
		      (double)(now_tsc - last_tsc) * us_per_tsc / 1e6);
}

static void status_ports(struct sb_out *o, const struct sb_shm *shm)
{
	char ip[16];

	for (unsigned p = 0; p < shm->n_ports && p < SB_MAX_PORTS; p++) {
		const struct sb_shm_port *pt = &shm->ports[p];

		sb_out_printf(o,
			      "port %u %s link %s speed %u Mb/s mac %02x:%02x:%02x:%02x:%02x:%02x "
			      "ipv4 %s/%u queues %u\n",
			      pt->port_id, pt->name, pt->link_up ? "up" : "down", pt->speed_mbps,
			      pt->mac[0], pt->mac[1], pt->mac[2], pt->mac[3], pt->mac[4],
			      pt->mac[5], sb_config_ipv4_str(pt->ipv4, ip), pt->prefix,
			      pt->n_queues);
		sb_out_printf(o,
			      "  hw ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64
			      " ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n",
			      pt->hw_ipackets, pt->hw_opackets, pt->hw_imissed, pt->hw_ierrors,
			      pt->hw_oerrors, pt->hw_rx_nombuf);
	}
}

static void status_rings(struct sb_out *o, const struct sb_attach *a, uint64_t now_tsc)
{
	const struct sb_shm *shm = a->shm;

	sb_out_printf(o, "rings %u x 2, size %u\n", shm->n_workers * shm->n_shards,
		      shm->ring_size);
	for (unsigned w = 0; w < shm->n_workers; w++) {
		for (unsigned s = 0; s < shm->n_shards; s++) {
			sb_out_printf(o, "  ring %s depth %u/%u ", a->up[w][s]->name,
				      rte_ring_count(a->up[w][s]),
				      rte_ring_get_capacity(a->up[w][s]));
			status_rtt(o, shm, shm->workers[w].hb_rtt_tsc[s],
				   shm->workers[w].hb_last_tsc[s], now_tsc);
			sb_out_printf(o, " (worker %u -> shard %u -> worker)\n", w, s);
			sb_out_printf(o, "  ring %s depth %u/%u ", a->down[w][s]->name,
				      rte_ring_count(a->down[w][s]),
				      rte_ring_get_capacity(a->down[w][s]));
			status_rtt(o, shm, shm->shards[s].hb_rtt_tsc[w],
				   shm->shards[s].hb_last_tsc[w], now_tsc);
			sb_out_printf(o, " (shard %u -> worker %u -> shard)\n", s, w);
		}
	}
}

/* One block of counters: array `offset` bytes into each of n records of
 * `stride` bytes, summed, printed by name. */
static void status_sums(struct sb_out *o, const char *title, const void *base, size_t stride,
			unsigned n, size_t offset, const char *const *names, unsigned n_ctr)
{
	sb_out_printf(o, "%s\n", title);
	for (unsigned c = 0; c < n_ctr; c++) {
		uint64_t sum = 0;

		for (unsigned i = 0; i < n; i++)
			sum += ((const uint64_t *)((const char *)base + i * stride + offset))[c];
		sb_out_printf(o, "  %-22s %" PRIu64 "\n", names[c], sum);
	}
}

/* The workers' counters of `group`, named by the dataplane's directory in
 * shared memory, summed over the workers. */
static void status_group(struct sb_out *o, const char *title, const struct sb_shm *shm,
			 const char *group)
{
	const struct sb_shm_ctr_dir *dir = &shm->worker_dir;
	unsigned n = sb_shm_dir_count(dir);

	sb_out_printf(o, "%s\n", title);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(dir->e[i].group, group) == 0)
			sb_out_printf(o, "  %-22s %" PRIu64 "\n", dir->e[i].name,
				      sb_shm_ctr_sum(&dir->e[i], shm->workers, sizeof(shm->workers[0]),
						     shm->n_workers));
}

/* Worker w's counter group/name, 0 when the directory has none. */
static uint64_t status_worker_ctr(const struct sb_shm *shm, unsigned w, const char *group,
				  const char *name)
{
	const struct sb_shm_ctr_entry *e = sb_shm_dir_find(&shm->worker_dir, group, name);

	return e == NULL ? 0 : sb_shm_ctr_sum(e, &shm->workers[w], sizeof(shm->workers[0]), 1);
}

static void status_counters(struct sb_out *o, const struct sb_shm *shm)
{
	status_group(o, "counters (dataplane, sum over workers)", shm, "dataplane");
}

static void status_tcp(struct sb_out *o, const struct sb_shm *shm)
{
	for (unsigned w = 0; w < shm->n_workers; w++)
		sb_out_printf(o,
			      "tcp worker %u conns %" PRIu64 " half_open %" PRIu64
			      " time_wait %" PRIu64 " established %" PRIu64 "\n",
			      w, shm->workers[w].tcp_conns, shm->workers[w].tcp_half_open,
			      shm->workers[w].tcp_time_wait,
			      status_worker_ctr(shm, w, "dataplane", "tcp_established"));
	status_group(o, "tcp counters (sum over workers)", shm, "tcp");
}

static void status_c2s(struct sb_out *o, const struct sb_shm *shm)
{
	status_group(o, "c2s counters (lib/xmpp, sum over workers)", shm, "c2s");
	status_group(o, "tls counters (lib/tls, sum over workers)", shm, "tls");
}

/* Shard s's ring counters, named by the shards' directory. */
static void status_shard(struct sb_out *o, const struct sb_shm *shm, unsigned s)
{
	const struct sb_shm_ctr_dir *dir = &shm->shard_dir;
	unsigned n = sb_shm_dir_count(dir);

	sb_out_printf(o, "shard %u", s);
	for (unsigned i = 0; i < n; i++)
		sb_out_printf(o, " %s %" PRIu64, dir->e[i].name,
			      sb_shm_ctr_sum(&dir->e[i], &shm->shards[s], sizeof(shm->shards[0]), 1));
	sb_out_printf(o, "\n");
}

/* Per-shard XMPP routing: sessions and the router's counters. Read from
 * the management thread while the shards write them: a snapshot. */
static void status_router(struct sb_out *o, const struct sb_shard *shards, unsigned n)
{
	for (unsigned s = 0; s < n; s++) {
		const struct sb_router *r = &shards[s].router;

		sb_out_printf(o, "xmpp shard %u users %u sessions %u\n", s, r->sessions.users,
			      r->sessions.sessions);
	}
	status_sums(o, "xmpp routing counters (sum over shards)", shards, sizeof(shards[0]), n,
		    offsetof(struct sb_shard, router.ctr), sb_route_ctr_names, SB_ROUTE_CTR_MAX);
	status_sums(o, "im counters (sum over shards)", shards, sizeof(shards[0]), n,
		    offsetof(struct sb_shard, router.im.ctr), sb_im_ctr_names, SB_IM_CTR_MAX);
}

void sb_status_write(struct sb_out *o, const struct sb_attach *a, const struct sb_shard *shards,
		     unsigned n_shards)
{
	const struct sb_shm *shm = a->shm;
	uint64_t now_tsc = rte_rdtsc();
	double hz = (double)shm->tsc_hz;

	sb_out_printf(o, "dataplane pid %d up %.0f s workers %u shards %u alive %.1f s ago\n",
		      shm->dp_pid, (double)(now_tsc - shm->dp_start_tsc) / hz, shm->n_workers,
		      shm->n_shards, (double)(now_tsc - shm->dp_alive_tsc) / hz);
	sb_out_printf(o,
		      "control pid %d epoch %u shards %u attaches %" PRIu64
		      " reclaimed %" PRIu64 " msg_pool in_use %u/%u live %u lost %" PRIu64 "\n",
		      (int)getpid(), shm->ctl_epoch, shm->ctl_shards, shm->ctl_attaches,
		      shm->ctl_reclaimed, rte_mempool_in_use_count(a->msg_pool),
		      a->msg_pool->size, shm->ctl_live, shm->ctl_lost);
	status_ports(o, shm);
	for (unsigned w = 0; w < shm->n_workers; w++)
		sb_out_printf(o, "worker %u lcore %u port %u queue %u\n", w,
			      shm->workers[w].lcore_id, shm->workers[w].port_id,
			      shm->workers[w].queue_id);
	for (unsigned s = 0; s < shm->ctl_shards; s++)
		status_shard(o, shm, s);
	status_rings(o, a, now_tsc);
	status_counters(o, shm);
	status_tcp(o, shm);
	status_c2s(o, shm);
	sb_cmd_tls_status(o, shm);
	status_router(o, shards, n_shards);
}
