/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-loadgen: a pktgen-style DPDK primary that opens connections to the
 * gateway with Switchboard's own TCP stack (dataplane/tcp, active open) and
 * reports rates and latencies. It always runs with --no-pci and its own file
 * prefix; its port is a vdev (by default the client end of the gateway's
 * memif). One worker, the main lcore: on a 2-core box the gateway's worker
 * gets the other core, and the adaptive idle lets the gateway's main lcore
 * share this one. Every phase is bounded by loadgen.duration_s.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "app/app.h"
#include "config.h"
#include "config_cli.h"
#include "impair.h"
#include "lg_keys.h"
#include "lg_xflood.h"
#include "lg_xmpp.h"
#include "loadgen.h"
#include "lg_report.h"
#include "net/net.h"
#include "pktio.h"
#include "port.h"
#include "tcp/conn.h"
#include "worker.h"

static volatile bool lg_quit;

/* The loadgen's application table: the echo client (0) and the XMPP client (1). */

static void lg_on_signal(int sig)
{
	(void)sig;
	lg_quit = true;
}

static const char lg_usage_extra[] =
	"  the [loadgen] keys choose the scenario, e.g.\n"
	"  -s loadgen.mode=echo -s loadgen.conns=1000 -s loadgen.msg_bytes=64\n"
	"  [tcp], [dataplane] and [impair] keys apply to the loadgen's own stack\n";

/* EAL: its own prefix, its own lcores, no PCI device ever, its vdev. */
struct lg_eal {
	int argc;
	char *argv[16];
	char buf[2048];
	size_t used;
};

static int lg_eal_push(struct lg_eal *a, const char *opt, const char *val)
{
	size_t room = sizeof(a->buf) - a->used;
	int n = snprintf(a->buf + a->used, room, "%s%s", opt, val);

	if (n < 0 || (size_t)n >= room || a->argc + 1 >= (int)RTE_DIM(a->argv))
		return -E2BIG;
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

static int lg_eal_args(struct lg_eal *a, const char *prog, const struct sb_config *cfg,
		       const struct sb_lg_keys *lk)
{
	char mem[24];
	int rc = 0;

	memset(a, 0, sizeof(*a));
	rc |= lg_eal_push(a, prog, "");
	rc |= lg_eal_push(a, "--lcores=", lk->loadgen_lcores);
	rc |= lg_eal_push(a, "--file-prefix=", lk->loadgen_file_prefix);
	rc |= lg_eal_push(a, "--proc-type=primary", "");
	rc |= lg_eal_push(a, "--no-pci", "");
	rc |= lg_eal_push(a, "--no-telemetry", "");
	/* Nothing attaches to the loadgen: unlinked hugepage files cannot
	 * be left behind by a killed run. */
	rc |= lg_eal_push(a, "--huge-unlink", "");
	rc |= lg_eal_push(a, "--vdev=", lk->loadgen_vdev);
	if (cfg->eal_mem_mb != 0) {
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)cfg->eal_mem_mb);
		rc |= lg_eal_push(a, "-m", mem);
	}
	return rc ? -E2BIG : 0;
}

static int lg_mode_parse(const char *s, enum sb_lg_mode *mode, bool *mem_only)
{
	*mem_only = strcmp(s, "mem") == 0;
	if (strcmp(s, "hold") == 0 || *mem_only)
		*mode = SB_LG_MODE_HOLD;
	else if (strcmp(s, "echo") == 0)
		*mode = SB_LG_MODE_ECHO;
	else if (strcmp(s, "churn") == 0)
		*mode = SB_LG_MODE_CHURN;
	else if (strcmp(s, "xmpp-login") == 0)
		*mode = SB_LG_MODE_XMPP_LOGIN;
	else if (strcmp(s, "xmpp-msg") == 0)
		*mode = SB_LG_MODE_XMPP_MSG;
	else
		return -EINVAL;
	return 0;
}

static void lg_worker_init(struct sb_worker *w, uint16_t port, const struct sb_config *cfg,
			   const struct sb_lg_keys *lk, struct sb_shm_worker *stats,
			   struct rte_mempool *pool)
{
	memset(w, 0, sizeof(*w));
	w->lcore_id = rte_lcore_id();
	w->port_id = port;
	w->burst = (uint16_t)cfg->dataplane_burst;
	w->ipv4_be = rte_cpu_to_be_32(lk->loadgen_src_ip.addr);
	rte_eth_macaddr_get(port, &w->mac);
	sb_idle_init(&w->idle, (uint32_t)cfg->dataplane_idle_polls,
		     (uint32_t)cfg->dataplane_idle_sleep_max_us);
	w->stats = stats;
	w->ctr = stats->ctr;
	w->pkt_pool = pool;
	w->quit = &lg_quit;
	w->tsc_per_us = RTE_MAX(rte_get_tsc_hz() / 1000000, (uint64_t)1);
	w->start_tsc = rte_rdtsc();
	sb_pktio_init(w);
}

/* The stack for conns connections, and what it costs: the same code and
 * pools as the gateway's, so the heap's growth across its creation is the
 * gateway's memory per connection slot too. */
static int lg_tcp_init(struct sb_lg *lg, const struct sb_config *cfg, uint32_t conns,
		       bool tx_csum, struct sb_lg_mem *mem)
{
	struct sb_worker *w = lg->w;
	struct rte_malloc_socket_stats before, after;
	int socket = (int)rte_socket_id();
	struct sb_tcp_cfg tc;
	int rc;

	rte_malloc_get_socket_stats(socket, &before);
	w->tcp = rte_zmalloc("lg_tcp", sizeof(*w->tcp), RTE_CACHE_LINE_SIZE);
	if (w->tcp == NULL)
		return -ENOMEM;
	w->tcp->snd_queue_max = (uint32_t)cfg->tcp_snd_queue_max;
	w->tcp->rcv_space = (uint32_t)cfg->tcp_rcv_space;
	w->tcp->syn_cookie_threshold = (uint32_t)cfg->tcp_syn_cookie_threshold;
	w->tcp->tx_csum_offload = tx_csum;
	sb_tcp_cfg_from_config(cfg, &tc);
	rc = sb_tcp_worker_init(w, &tc, conns + sb_lg_flood_slots(lg), (uint32_t)cfg->tcp_tw_max,
				0);
	rte_malloc_get_socket_stats(socket, &after);
	if (rc == 0) {
		int id = sb_tcp_app_add(w->tcp, lg->xmpp != NULL ? &sb_lg_xmpp_ops :
				        &sb_lg_client_ops, lg);

		lg->app_id = (uint8_t)id; /* the first application: cannot fail */
		if (lg->flood != NULL)
			lg->flood_app = (uint8_t)sb_tcp_app_add(w->tcp, &sb_lg_flood_ops, lg);
	}
	mem->slots = conns;
	mem->tw_slots = (uint32_t)cfg->tcp_tw_max;
	mem->heap_bytes = after.heap_allocsz_bytes - before.heap_allocsz_bytes;
	return rc;
}

/* Wait for the link, then ask for the gateway's MAC every 200 ms until it answers. */
static int lg_resolve(struct sb_lg *lg, uint64_t timeout_us)
{
	struct sb_worker *w = lg->w;
	struct rte_mbuf *pkts[64];
	uint64_t next_us = 0;

	while (!lg_quit && !lg->nexthop_known) {
		struct rte_eth_link link = { 0 };

		w->now_us = (rte_rdtsc() - w->start_tsc) / w->tsc_per_us;
		if (w->now_us >= timeout_us)
			return -ETIMEDOUT;
		/* memif is down until its peer connects: a request sent before
		 * would only count as a TX drop. */
		rte_eth_link_get_nowait(w->port_id, &link);
		if (link.link_status == RTE_ETH_LINK_UP && w->now_us >= next_us) {
			sb_arp_request(w, lg->dst_be);
			next_us = w->now_us + 200000;
		}
		for (uint16_t i = 0, n = rte_eth_rx_burst(w->port_id, 0, pkts, RTE_DIM(pkts));
		     i < n; i++)
			sb_eth_input(w, pkts[i]);
		sb_pktio_flush(w);
		rte_delay_us_sleep(1000);
	}
	return lg->nexthop_known ? 0 : -EINTR;
}

/* One loop turn: receive, drive the scenario, timers, send. Returns work done. */
static unsigned lg_turn(struct sb_lg *lg, struct rte_mbuf **pkts, uint16_t burst)
{
	struct sb_worker *w = lg->w;
	uint64_t now_tsc = rte_rdtsc();
	unsigned work;
	uint16_t n;

	w->now_us = (now_tsc - w->start_tsc) / w->tsc_per_us;
	n = w->io.rx(w, pkts, burst, now_tsc);
	for (uint16_t i = 0; i < n; i++)
		sb_eth_input(w, pkts[i]);
	work = n;
	if (lg->next_open < lg->n_conns)
		work += sb_lg_open_some(lg);
	if (lg->mode == SB_LG_MODE_ECHO && lg->msg_interval_us != 0)
		work += sb_lg_echo_some(lg);
	/* Receiving first: a full burst means more is waiting in the ring, and
	 * a loadgen that sends while its receive ring overflows is the slow
	 * reader the gateway closes, not the gateway under test. */
	if (lg->mode == SB_LG_MODE_XMPP_MSG)
		work += n == burst ? sb_lg_xmpp_rx_first(lg, lg->msg_start_us, lg->msg_stop_us) :
		        sb_lg_xmpp_send_some(lg, lg->msg_start_us, lg->msg_stop_us);
	if (lg->xmpp != NULL)
		work += sb_lg_xmpp_keepalive_some(lg, lg->open_start_us);
	/* The handshake flood runs while the pairs send: their latency is
	 * what it is measured against. */
	if (lg->flood != NULL)
		work += sb_lg_flood_some(lg, lg->msg_start_us, lg->msg_stop_us);
	sb_tcp_io_timers(w, w->now_us);
	sb_tcp_post_turn(w); /* the flood's resets */
	w->io.flush(w, now_tsc);
	return work;
}

/* End of run: close every connection, bounded by drain_end_us. */
static void lg_drain(struct sb_lg *lg, struct rte_mbuf **pkts, uint16_t burst,
		     struct sb_lg_report *rep, uint64_t drain_end_us)
{
	struct sb_worker *w = lg->w;

	lg->next_open = lg->n_conns; /* nothing more is opened */
	lg->close_start_us = w->now_us;
	while (!lg_quit && w->now_us < drain_end_us &&
	       (lg->open != 0 || lg->closing != 0 || lg->opening != 0)) {
		unsigned work = lg_turn(lg, pkts, burst) + sb_lg_close_some(lg);

		sb_lg_report_tick(rep, lg, w->now_us);
		if (sb_idle_turn(&w->idle, work))
			SB_CTR_INC(w, idle_sleeps);
	}
}

/* xmpp-msg: every user is logged in; the last initial presence needs a
 * moment to reach the control plane (messages to a user not yet available
 * are not delivered to it, RFC 6121 §8.5.2.2.1), then messages flow for
 * hold_s, then those in flight have at most drain_ms to arrive (the run
 * ends as soon as all have, lg_drained). Returns the latest end. */
static uint64_t lg_msg_window(struct sb_lg *lg, const struct sb_lg_keys *cfg,
			      uint64_t deadline_us)
{
	uint64_t now_us = lg->w->now_us;

	lg->msg_start_us = now_us + 500000u;
	lg->msg_stop_us = RTE_MIN(deadline_us, lg->msg_start_us + cfg->loadgen_hold_s * 1000000u);
	return RTE_MIN(deadline_us, lg->msg_stop_us + cfg->loadgen_xmpp_drain_ms * 1000u);
}

/* xmpp-msg: the sending window is over and every message sent arrived. */
static bool lg_drained(const struct sb_lg *lg)
{
	return lg->mode == SB_LG_MODE_XMPP_MSG && lg->msg_stop_us != 0 &&
	       lg->w->now_us >= lg->msg_stop_us && sb_lg_xmpp_drained(lg);
}

/* Open, then hold or echo, until done, a signal, or the hard cap; then close. */
static bool lg_run(struct sb_lg *lg, const struct sb_lg_keys *cfg, uint64_t deadline_us)
{
	struct sb_worker *w = lg->w;
	struct rte_mbuf *pkts[256];
	uint16_t burst = RTE_MIN(w->burst, (uint16_t)RTE_DIM(pkts));
	uint64_t end_us = deadline_us;
	struct sb_lg_report rep;

	sb_lg_report_start(&rep, lg, w->now_us);
	lg->open_start_us = w->now_us;
	while (!lg_quit && w->now_us < end_us) {
		unsigned work = lg_turn(lg, pkts, burst);

		if (lg->all_open_us == 0 && sb_lg_all_settled(lg)) {
			lg->all_open_us = w->now_us;
			/* Churn is over when the last connection is: nothing to hold. */
			end_us = lg->mode == SB_LG_MODE_CHURN ? w->now_us :
				 RTE_MIN(deadline_us, w->now_us + cfg->loadgen_hold_s * 1000000u);
			if (lg->mode == SB_LG_MODE_XMPP_MSG)
				end_us = lg_msg_window(lg, cfg, deadline_us);
			sb_lg_report_mark(&rep, lg, w->now_us);
			/* Scripts take their held-state readings on this line. */
			printf("settled: %u open, holding\n", lg->open);
			fflush(stdout);
		}
		if (lg_drained(lg))
			break;
		sb_lg_report_tick(&rep, lg, w->now_us);
		if (work == 0)
			SB_CTR_INC(w, loop_idle);
		else
			SB_CTR_INC(w, loop_busy);
		if (sb_idle_turn(&w->idle, work))
			SB_CTR_INC(w, idle_sleeps);
	}
	sb_lg_report_hold_end(&rep, lg, w->now_us);
	if (cfg->loadgen_close_s != 0)
		lg_drain(lg, pkts, burst, &rep,
			 RTE_MIN(deadline_us, w->now_us + cfg->loadgen_close_s * 1000000u));
	sb_lg_report_end(&rep, lg, w->now_us, lg_quit);
	return sb_lg_report_ok(lg, &rep);
}

/* The net layer's questions (struct sb_net_hooks): our source addresses
 * are a range, and the one neighbour we need is the gateway. */
static bool lg_owns(void *ctx, uint32_t addr_be)
{
	const struct sb_lg *lg = ctx;

	return rte_be_to_cpu_32(addr_be) - lg->src_host < lg->src_count ||
	       sb_lg_flood_owns(lg, rte_be_to_cpu_32(addr_be));
}

static void lg_arp_reply(void *ctx, uint32_t ip_be, const struct rte_ether_addr *mac)
{
	struct sb_lg *lg = ctx;

	if (ip_be == lg->dst_be) {
		rte_ether_addr_copy(mac, &lg->nexthop_mac);
		lg->nexthop_known = true;
	}
}

static int lg_setup(struct sb_lg *lg, const struct sb_lg_keys *cfg, struct sb_worker *w,
		    enum sb_lg_mode mode)
{
	memset(lg, 0, sizeof(*lg));
	lg->mode = mode;
	lg->w = w;
	lg->n_conns = (uint32_t)cfg->loadgen_conns;
	lg->rate = cfg->loadgen_rate;
	lg->src_host = cfg->loadgen_src_ip.addr;
	lg->src_count = (uint32_t)cfg->loadgen_src_count;
	lg->dst_be = rte_cpu_to_be_32(cfg->loadgen_dst_ip.addr);
	lg->dport_be = rte_cpu_to_be_16((uint16_t)cfg->loadgen_dst_port);
	lg->msg_bytes = (uint16_t)cfg->loadgen_msg_bytes;
	lg->msg_interval_us = cfg->loadgen_msg_rate ? 1000000u / cfg->loadgen_msg_rate : 0;
	lg->tsc_hz = rte_get_tsc_hz();
	sb_lg_hist_reset(&lg->lat_ns);
	w->net = (struct sb_net_hooks){ .owns = lg_owns, .arp_reply = lg_arp_reply, .ctx = lg };
	if (lg->mode == SB_LG_MODE_XMPP_LOGIN || lg->mode == SB_LG_MODE_XMPP_MSG) {
		if (sb_lg_xmpp_create(lg, cfg, lg->mode == SB_LG_MODE_XMPP_MSG) < 0) {
			fprintf(stderr, "sb-loadgen: xmpp: bad loadgen.xmpp_* settings (xmpp-msg "
				"needs an even number of connections, one user each)\n");
			return -EINVAL;
		}
	}
	if (sb_lg_flood_create(lg, cfg) < 0) {
		fprintf(stderr, "sb-loadgen: loadgen.tls_flood needs mode xmpp-msg (and memory)\n");
		return -EINVAL;
	}
	if ((uint64_t)lg->n_conns > (uint64_t)lg->src_count * SB_LG_PORTS_PER_ADDR) {
		fprintf(stderr, "sb-loadgen: %u connections need %u source addresses (have %u)\n",
			lg->n_conns,
			(lg->n_conns + SB_LG_PORTS_PER_ADDR - 1) / SB_LG_PORTS_PER_ADDR,
			lg->src_count);
		return -EINVAL;
	}
	lg->conns = rte_zmalloc("lg_conns", sizeof(*lg->conns) * lg->n_conns,
				RTE_CACHE_LINE_SIZE);
	if (lg->conns == NULL)
		return -ENOMEM;
	return 0;
}

int main(int argc, char **argv)
{
	static struct sb_config cfg;
	static struct sb_lg_keys lk;
	struct sb_config_ext ext;
	static struct sb_lg lg;
	static struct lg_eal eal;
	struct sb_worker *w;
	struct sb_shm_worker *stats;
	struct rte_mempool *pool;
	struct sb_lg_mem mem;
	enum sb_lg_mode mode;
	bool tx_csum = false, mem_only;
	uint64_t cap_us;
	int rc = 1;
	uint16_t port;

	static char msg[65536];
	int cli;

	sb_lg_keys_ext(&ext, &lk);
	cli = sb_config_cli_ext(&cfg, &ext, argc, argv, "sb-loadgen", lg_usage_extra, msg,
				sizeof(msg));

	if (cli >= 0) {
		fputs(msg, cli == 0 ? stdout : stderr);
		return cli;
	}
	if (lg_mode_parse(lk.loadgen_mode, &mode, &mem_only) < 0) {
		fprintf(stderr, "sb-loadgen: loadgen.mode must be hold, echo, churn, mem, "
			"xmpp-login or xmpp-msg\n");
		return 2;
	}
	if (lg_eal_args(&eal, argv[0], &cfg, &lk) < 0 || rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "sb-loadgen: EAL init failed (hugepages? prefix '%s' in use?)\n",
			lk.loadgen_file_prefix);
		return 1;
	}
	signal(SIGINT, lg_on_signal);
	signal(SIGTERM, lg_on_signal);
	port = (uint16_t)rte_eth_find_next(0);
	pool = rte_pktmbuf_pool_create("lg_mbuf", (unsigned)cfg.dataplane_mbufs_per_worker,
				       (unsigned)cfg.dataplane_mbuf_cache, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	w = rte_zmalloc("lg_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	stats = rte_zmalloc("lg_stats", sizeof(*stats), RTE_CACHE_LINE_SIZE);
	if (pool == NULL || w == NULL || stats == NULL || port >= RTE_MAX_ETHPORTS) {
		fprintf(stderr, "sb-loadgen: %s\n", port >= RTE_MAX_ETHPORTS ? "no port (vdev?)"
						     : "out of hugepage memory");
		goto out;
	}
	if (!mem_only && sb_port_start(port, 1, pool, &cfg, &tx_csum) < 0)
		goto out;
	lg_worker_init(w, port, &cfg, &lk, stats, pool);
	if (lg_setup(&lg, &lk, w, mode) < 0)
		goto out;
	rc = lg_tcp_init(&lg, &cfg, lg.n_conns, tx_csum, &mem);
	sb_lg_report_mem(&mem, rc);
	if (rc < 0 || mem_only) {
		rc = rc < 0 ? 1 : 0;
		goto out;
	}
	if (sb_impair_create(w, &cfg) < 0)
		goto out;
	/* The hard cap counts from start-up, ARP included. */
	cap_us = lk.loadgen_duration_s * 1000000u;
	rc = lg_resolve(&lg, RTE_MIN(cap_us, lk.loadgen_arp_timeout_ms * 1000u));
	if (rc < 0) {
		fprintf(stderr, "sb-loadgen: no ARP answer from the gateway (%s)\n", strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = lg_run(&lg, &lk, cap_us) ? 0 : 1;
out:
	if (!mem_only && port < RTE_MAX_ETHPORTS)
		sb_port_stop(port);
	rte_eal_cleanup();
	return rc;
}
