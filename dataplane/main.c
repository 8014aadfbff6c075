/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-dataplane: the DPDK primary. Reads the configuration, starts EAL with
 * --no-pci unless a PCI device is configured, creates what sb-control
 * attaches to (shared.c), brings up the port, launches one worker loop per
 * worker lcore, and keeps the main lcore for slow duties: publishing link
 * state, answering telemetry, reloading TLS certificates (tls_reload.c). It runs whether or not sb-control does.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <systemd/sd-daemon.h>

#include "app/app.h"

#include "config.h"
#include "config_cli.h"
#include "config_eal.h"
#include "idle.h"
#include "impair.h"
#include "log.h"
#include "pktio.h"
#include "port.h"
#include "ring/ctl_link.h"
#include "ring/ctl_watch.h"
#include "heap.h"
#include "shared.h"
#include "tcp/conn.h"
#include "telemetry.h"
#include "tls_reload.h"
#include "wdog.h"
#include "xmpp/xc.h"
#include "worker.h"

RTE_LOG_REGISTER(sb_logtype_main, sb.main, INFO);

static volatile bool dp_quit;

/* Records written per worker ring per 100 ms turn of the main lcore. */
#define SB_DP_LOG_DRAIN_PER_TURN 256

static void dp_on_signal(int sig)
{
	(void)sig;
	dp_quit = true;
}

static void dp_write_pidfile(const char *path)
{
	FILE *f;

	if (path[0] == '\0')
		return;
	f = fopen(path, "w");
	if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0)
		SB_LOG(main, WARNING, "pidfile %s: %s (not fatal)", path, strerror(errno));
	if (f != NULL)
		fclose(f);
}

static void dp_worker_init(struct sb_worker *w, unsigned idx, unsigned lcore, uint16_t port,
			   const struct sb_config *cfg, const struct sb_dp_shared *sh,
			   struct rte_mempool *pkt_pool)
{
	memset(w, 0, sizeof(*w));
	w->index = (uint16_t)idx;
	w->lcore_id = lcore;
	w->port_id = port;
	w->queue_id = (uint16_t)idx;
	w->burst = (uint16_t)cfg->dataplane_burst;
	w->ipv4_be = rte_cpu_to_be_32(cfg->port0_ipv4.addr);
	rte_eth_macaddr_get(port, &w->mac);
	sb_idle_init(&w->idle, (uint32_t)cfg->dataplane_idle_polls,
		     (uint32_t)cfg->dataplane_idle_sleep_max_us);
	w->msg_pool = sh->msg_pool;
	/* sb-control's part: its fill rings (up to a quarter of the pool,
	 * shared.c) and an eighth left in the pool to top them up from. */
	w->msg_reserve = (uint32_t)(cfg->rings_msgs / 8);
	w->n_shards = sh->shm->n_shards;
	for (unsigned s = 0; s < w->n_shards; s++) {
		w->up[s] = sh->up[idx][s];
		w->down[s] = sh->down[idx][s];
		w->fill[s] = sh->fill[idx][s];
		w->ret[s] = sh->ret[idx][s];
	}
	w->hb_interval_tsc = sh->shm->hb_interval_tsc;
	w->shm = sh->shm;
	w->stats = &sh->shm->workers[idx];
	w->stats->lcore_id = lcore;
	w->stats->port_id = port;
	w->stats->queue_id = w->queue_id;
	w->ctr = w->stats->ctr;
	w->pkt_pool = pkt_pool;
	/* A quarter of the pool stays for receiving (worker.c). */
	w->mbuf_reserve = (uint32_t)(cfg->dataplane_mbufs_per_worker / 4);
	w->quit = &dp_quit;
	w->tsc_per_us = RTE_MAX(rte_get_tsc_hz() / 1000000, (uint64_t)1);
	w->start_tsc = sh->shm->dp_start_tsc;
	sb_pktio_init(w);
	sb_ctl_link_init(w);
}

/* An application with its context on port; the few listeners fit
 * SB_TCP_APPS_MAX and SB_TCP_LISTEN_MAX by construction. */
static void dp_listen(struct sb_tcp_worker *t, uint64_t port, const struct sb_app_ops *ops,
		      void *ctx)
{
	int id = sb_tcp_app_add(t, ops, ctx);

	if (id >= 0)
		sb_tcp_listen(t, rte_cpu_to_be_16((uint16_t)port), (uint8_t)id);
}

/* A worker's TCP state: table, pools, wheel, listeners. Logs what failed. */
static int dp_tcp_init(struct sb_worker *w, const struct sb_config *cfg, bool csum_offload,
		       struct sb_dp_tls *dtls)
{
	struct sb_tcp_cfg tc;
	struct sb_tcp_worker *t;
	int rc;

	t = rte_zmalloc_socket("sb_tcp_worker", sizeof(*t), RTE_CACHE_LINE_SIZE,
			       (int)rte_lcore_to_socket_id(w->lcore_id));
	if (t == NULL)
		return -ENOMEM;
	w->tcp = t;
	t->snd_queue_max = (uint32_t)cfg->tcp_snd_queue_max;
	t->rcv_space = (uint32_t)cfg->tcp_rcv_space;
	t->syn_cookie_threshold = (uint32_t)cfg->tcp_syn_cookie_threshold;
	t->tx_csum_offload = csum_offload;
	sb_tcp_cfg_from_config(cfg, &tc);
	rc = sb_tcp_worker_init(w, &tc, (uint32_t)cfg->tcp_max_conns, (uint32_t)cfg->tcp_tw_max,
				0);
	if (rc < 0) {
		SB_LOG(main, ERR, "worker %u TCP state (%llu connections): %s", w->index,
		       (unsigned long long)cfg->tcp_max_conns, strerror(-rc));
		return rc;
	}
	if (cfg->tcp_echo_port != 0)
		dp_listen(t, cfg->tcp_echo_port, &sb_app_echo, NULL);
	if (cfg->tcp_discard_port != 0)
		dp_listen(t, cfg->tcp_discard_port, &sb_app_discard, NULL);
	if (cfg->xmpp_c2s_port != 0) {
		struct sb_xc_worker *xw;

		rc = sb_xc_worker_init(w, cfg, dtls->srv, &xw);
		if (rc < 0) {
			SB_LOG(main, ERR, "worker %u XMPP state (domain '%s'): %s", w->index,
			       cfg->xmpp_domain, strerror(-rc));
			return rc;
		}
		dp_listen(t, cfg->xmpp_c2s_port, &sb_xc_app, xw);
		sb_dp_tls_add_worker(dtls, xw);
		if (dtls->srv != NULL && cfg->tls_direct_port != 0)
			dp_listen(t, cfg->tls_direct_port, &sb_xc_app_direct, xw);
	}
	return 0;
}

static void dp_publish_port(struct sb_shm *shm, uint16_t port, unsigned n_queues,
			    const struct sb_config *cfg)
{
	struct sb_shm_port *p = &shm->ports[0];
	struct rte_ether_addr mac;

	rte_eth_dev_get_name_by_port(port, p->name);
	p->port_id = port;
	p->n_queues = (uint16_t)n_queues;
	p->ipv4 = cfg->port0_ipv4.addr;
	p->prefix = cfg->port0_ipv4.prefix;
	rte_eth_macaddr_get(port, &mac);
	memcpy(p->mac, mac.addr_bytes, sizeof(p->mac));
	shm->n_ports = 1;
	sb_port_publish(port, p);
}

/* sbctl shutdown (struct sb_shm_shutdown): true when the process should
 * stop, i.e. every worker has told its streams and no TCP connection is
 * left open (TIME_WAIT aside), or the drain time is over. *deadline_ms is
 * 0 until the request is first seen. */
static bool dp_shutdown_due(const struct sb_shm *shm, uint64_t now_ms, uint64_t *deadline_ms)
{
	uint64_t open = 0;
	unsigned drained = 0;

	if (__atomic_load_n(&shm->shutdown.requested, __ATOMIC_ACQUIRE) == 0)
		return false;
	if (*deadline_ms == 0) {
		*deadline_ms = now_ms + shm->shutdown.drain_ms;
		SB_LOG(main, NOTICE, "shutdown requested by sbctl: draining for up to %u ms",
		       shm->shutdown.drain_ms);
	}
	for (unsigned w = 0; w < shm->n_workers; w++) {
		if (__atomic_load_n(&shm->workers[w].drained, __ATOMIC_ACQUIRE) == 0)
			continue;
		drained++;
		open += shm->workers[w].tcp_conns;
	}
	if (drained == shm->n_workers && open == 0) {
		SB_LOG(main, NOTICE, "shutdown: every connection closed");
		return true;
	}
	if (now_ms >= *deadline_ms) {
		SB_LOG(main, NOTICE, "shutdown: drain time over, %llu connections still open "
				     "(%u of %u workers drained)",
		       (unsigned long long)open, drained, shm->n_workers);
		return true;
	}
	return false;
}

/* sbctl log level (struct sb_shm_log): the sb.* log types to the level
 * asked for, echoed for sbctl; before the first request, our own. */
static void dp_log_level(struct sb_shm *shm)
{
	uint32_t want = __atomic_load_n(&shm->log.requested, __ATOMIC_ACQUIRE);

	_Static_assert(RTE_LOG_EMERG == 1 && RTE_LOG_DEBUG == 8, "struct sb_shm_log's numbering");
	if (want == 0) {
		__atomic_store_n(&shm->log.current, (uint32_t)rte_log_get_level(sb_logtype_main),
				 __ATOMIC_RELAXED);
		return;
	}
	if (want == __atomic_load_n(&shm->log.current, __ATOMIC_RELAXED) ||
	    want > RTE_LOG_DEBUG)
		return;
	if (rte_log_set_level_pattern("sb.*", want) == 0) {
		__atomic_store_n(&shm->log.current, want, __ATOMIC_RELEASE);
		SB_LOG(main, NOTICE, "log level of sb.* set to %u by sbctl", want);
	}
}

/* Each worker's loop turns (its own counters, written in place): what
 * lib/wdog judges before a systemd watchdog ping. */
static void dp_progress(const struct sb_worker *workers, unsigned n, uint64_t *turns)
{
	for (unsigned i = 0; i < n; i++)
		turns[i] = __atomic_load_n(&workers[i].ctr[SB_DP_CTR_loop_busy], __ATOMIC_RELAXED) +
			   __atomic_load_n(&workers[i].ctr[SB_DP_CTR_loop_idle], __ATOMIC_RELAXED);
}

/* The main lcore's slow loop: our liveness stamp, the verdict on
 * sb-control's and TLS reload requests every 100 ms, port state every
 * second, and systemd's watchdog while every worker loop turns (lib/wdog).
 * Sleeping is right here: nothing on this lcore is latency-bound. */
static void dp_main_loop(struct sb_shm *shm, struct sb_ctl_watch *cw, uint16_t port,
			 struct sb_dp_tls *dtls, const struct sb_worker *workers,
			 unsigned n_workers)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	uint64_t ms_hz = rte_get_tsc_hz() / 1000, usec = 0;
	uint64_t turns_now[SB_MAX_WORKERS], withheld;
	struct sb_wdog wd;
	uint64_t drain_deadline_ms = 0;
	unsigned turns = 0;

	dp_progress(workers, n_workers, turns_now);
	if (sd_watchdog_enabled(0, &usec) <= 0)
		usec = 0;
	sb_wdog_init(&wd, n_workers, usec / 2000, turns_now, rte_rdtsc() / ms_hz);
	while (!dp_quit) {
		uint64_t now_ms = rte_rdtsc() / ms_hz;

		__atomic_store_n(&shm->dp_alive_tsc, rte_rdtsc(), __ATOMIC_RELEASE);
		sb_ctl_watch_tick(cw, now_ms);
		dp_log_level(shm);
		if (dp_shutdown_due(shm, now_ms, &drain_deadline_ms)) {
			dp_quit = true;
			break;
		}
		if (turns++ % 10 == 0)
			sb_port_publish(port, &shm->ports[0]);
		dp_progress(workers, n_workers, turns_now);
		withheld = wd.withheld;
		if (sb_wdog_due(&wd, turns_now, now_ms))
			sd_notify(0, "WATCHDOG=1");
		else if (wd.withheld != withheld) /* at most once per interval */
			SB_LOG(main, WARNING, "worker %u's loop stood still: watchdog ping withheld",
			       wd.last_stuck);
		sb_dp_tls_tick(dtls, shm, time(NULL));
		/* Bounded: a flood from the workers waits in their rings
		 * (and is dropped there), not in this loop. */
		sb_dp_log_drain(SB_DP_LOG_DRAIN_PER_TURN);
		nanosleep(&tick, NULL);
	}
}

int main(int argc, char **argv)
{
	static struct sb_config cfg;
	static struct sb_eal_args eal;
	struct sb_dp_shared sh;
	struct sb_ctl_watch watch;
	struct sb_worker *workers;
	struct rte_mempool *pkt_pool;
	unsigned n_workers = 0, lcore, idx = 0;
	static struct sb_dp_tls dtls;
	struct sb_tls_server *tls_srv = NULL;
	bool tx_csum = false;
	uint16_t port;

	static char msg[65536];
	int rc = sb_config_cli(&cfg, argc, argv, "sb-dataplane", NULL, msg, sizeof(msg));

	if (rc >= 0) {
		fputs(msg, rc == 0 ? stdout : stderr);
		return rc;
	}
	if (sb_msg_stanza_limits_check(cfg.xmpp_max_stanza_bytes, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "sb-dataplane: config: %s\n", msg);
		return 2;
	}
	if (sb_eal_args_primary(&eal, argv[0], &cfg) < 0) {
		fprintf(stderr, "sb-dataplane: EAL arguments too long\n");
		return 2;
	}
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "sb-dataplane: EAL init failed: %s (are hugepages reserved? "
				"is another sb-dataplane running with file prefix '%s'?)\n",
			rte_strerror(rte_errno), cfg.eal_file_prefix);
		return 1;
	}
	if (sb_dp_log_init(&cfg, "sb-dataplane") < 0)
		SB_LOG(main, WARNING, "log.target %s: not taken, logging to stderr (not fatal)",
		       cfg.log_target);
	n_workers = rte_lcore_count() - 1;
	if (n_workers == 0 || n_workers > SB_MAX_WORKERS) {
		SB_LOG(main, ERR, "eal.lcores '%s' gives %u worker lcores; need 1..%d (the first "
				  "lcore is the main one)", cfg.eal_lcores, n_workers, SB_MAX_WORKERS);
		goto fail;
	}
	if (rte_eth_dev_count_avail() == 0) {
		SB_LOG(main, ERR, "no port: set port0.vdev or port0.pci");
		goto fail;
	}
	port = (uint16_t)rte_eth_find_next(0);
	pkt_pool = rte_pktmbuf_pool_create("sb_mbuf",
					   (unsigned)(cfg.dataplane_mbufs_per_worker * n_workers),
					   (unsigned)cfg.dataplane_mbuf_cache, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pkt_pool == NULL) {
		SB_LOG(main, ERR, "mbuf pool: %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (sb_dp_shared_create(&sh, &cfg, n_workers) < 0)
		goto fail;
	if (sb_port_start(port, (uint16_t)n_workers, pkt_pool, &cfg, &tx_csum) < 0)
		goto fail;
	/* One TLS server for every worker (read-only, reference counted):
	 * tickets a worker issues resume on any other. */
	if (cfg.xmpp_c2s_port != 0 && strcmp(cfg.xmpp_tls, "off") != 0) {
		struct sb_tls_error terr;

		if (cfg.xmpp_input_budget < SB_XC_TLS_BUDGET_MIN) {
			SB_LOG(main, ERR, "xmpp.tls = %s needs xmpp.input_budget >= %u (a whole "
					  "record beside a partial stanza)", cfg.xmpp_tls,
			       SB_XC_TLS_BUDGET_MIN);
			goto fail;
		}
		tls_srv = sb_tls_server_from_config(&cfg, NULL, &terr);
		if (tls_srv == NULL) {
			SB_LOG(main, ERR, "xmpp.tls = %s: %s", cfg.xmpp_tls, terr.msg);
			goto fail;
		}
	}
	sb_dp_tls_init(&dtls, &cfg, tls_srv, sh.shm);
	workers = rte_zmalloc("sb_workers", sizeof(*workers) * n_workers, RTE_CACHE_LINE_SIZE);
	if (workers == NULL) {
		SB_LOG(main, ERR, "out of memory for %u workers", n_workers);
		goto fail;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		int sock = (int)rte_lcore_to_socket_id(lcore);
		uint64_t heap0 = sb_dp_heap_bytes(sock);

		dp_worker_init(&workers[idx], idx, lcore, port, &cfg, &sh, pkt_pool);
		sb_dp_log_set_counter(lcore, workers[idx].ctr);
		if (dp_tcp_init(&workers[idx], &cfg, tx_csum, &dtls) < 0)
			goto fail;
		workers[idx].ctr[SB_DP_CTR_mem_init_bytes] = sb_dp_heap_bytes(sock) - heap0;
		if (sb_impair_create(&workers[idx], &cfg) < 0) {
			SB_LOG(main, ERR, "worker %u: no memory for the impairment lines", idx);
			goto fail;
		}
		if (workers[idx].impair != NULL)
			SB_LOG(main, WARNING, "worker %u: TEST impairment on (loss %llu ppm, delay "
					      "%llu us)", idx,
			       (unsigned long long)cfg.impair_loss_ppm,
			       (unsigned long long)cfg.impair_delay_us);
		idx++;
	}
	dp_publish_port(sh.shm, port, n_workers, &cfg);
	if (sb_telemetry_register(sh.shm) < 0)
		SB_LOG(main, WARNING, "telemetry commands not registered (not fatal)");
	dp_write_pidfile(cfg.dataplane_pidfile);
	signal(SIGINT, dp_on_signal);
	signal(SIGTERM, dp_on_signal);

	idx = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_remote_launch(sb_worker_main, &workers[idx++], lcore);
	SB_LOG(main, INFO, "running: %u workers, %u control shards, port %u, pid %d", n_workers,
	       sh.shm->n_shards, port, (int)getpid());
	sb_ctl_watch_init(&watch, &sh, n_workers, cfg.control_stall_ms);
	sd_notifyf(0, "READY=1\nSTATUS=sb-dataplane: %u workers, port %u\nMAINPID=%d", n_workers,
		   port, (int)getpid());
	dp_main_loop(sh.shm, &watch, port, &dtls, workers, n_workers);

	sd_notify(0, "STOPPING=1\nSTATUS=sb-dataplane: stopping");
	SB_LOG(main, INFO, "stopping");
	rte_eal_mp_wait_lcore();
	sb_dp_log_drain(UINT32_MAX);
	sb_port_stop(port);
	if (cfg.dataplane_pidfile[0] != '\0')
		unlink(cfg.dataplane_pidfile);
	rte_eal_cleanup();
	return 0;
fail:
	rte_eal_cleanup();
	return 1;
}
