/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-control: the DPDK secondary. Attaches to a running sb-dataplane by
 * its file prefix, starts one thread per control shard, and keeps its main
 * thread for management: the sbctl socket, the liveness stamp the
 * dataplane watches, and watching the dataplane in turn (without it the
 * shared memory means nothing, so sb-control exits). The account store
 * (store/) is opened before the socket and serves the "user" commands.
 *
 * sb-control may be killed and restarted at any time; the dataplane keeps
 * running and the new instance re-attaches (attach.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <systemd/sd-daemon.h>

#include "attach.h"
#include "cli/cmd_limits.h"
#include "cli/cmd_session.h"
#include "cli/cmd_user.h"
#include "cli/commands.h"
#include "cli/server.h"
#include "component/component.h"
#include "config.h"
#include "config_cli.h"
#include "config_eal.h"
#include "metrics/alarm_watch.h"
#include "log.h"
#include "metrics/http.h"
#include "router/admin.h"
#include "router/auth_pool.h"
#include "router/register.h"
#include "shard.h"
#include "store/store_lmdb.h"
#include "wdog.h"

static volatile bool ctl_quit;

static void ctl_on_signal(int sig)
{
	(void)sig;
	ctl_quit = true;
}

static void ctl_write_pidfile(const char *path)
{
	FILE *f;

	if (path[0] == '\0')
		return;
	f = fopen(path, "w");
	if (f == NULL) {
		SB_CLOG(WARNING, "pidfile %s: %s (not fatal)", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

/* The running shards, for the account-change hook. */
struct ctl_shards {
	struct sb_shard *shards;
	unsigned n;
};

/* cmd_user.h's hook: the shard that owns user ends its sessions (kick.c),
 * the owner the dataplane picks (hash of the bare JID % shards). */
static int ctl_account_changed(void *arg, const struct sb_jid *user,
			       enum sb_cmd_user_change what)
{
	const struct ctl_shards *cs = arg;
	size_t len;
	const char *bare = sb_jid_bare(user, &len);
	uint64_t s = sb_jid_bare_hash_str(bare, len) % cs->n;

	return sb_router_kick_post(&cs->shards[s].router, bare, len,
				   what == SB_CMD_USER_DELETED ? SB_MSG_KICK_ACCOUNT_DELETED
							       : SB_MSG_KICK_PASSWORD_CHANGED);
}

static uint64_t ctl_now_tsc(void)
{
	return rte_rdtsc();
}

/* The session commands: the shards' routers, the workers' lcores. */
static void ctl_sessions_init(struct sb_cmd_session *cs, struct sb_shard *shards, unsigned n,
			      const struct sb_attach *a, const struct sb_cmd_user *users)
{
	cs->tsc_hz = rte_get_tsc_hz();
	cs->now_tsc = ctl_now_tsc;
	cs->wait_ms = SB_ADMIN_WAIT_MS;
	cs->store = users->store;
	cs->domain_len = users->domain_len;
	memcpy(cs->domain, users->domain, users->domain_len);
	cs->domain[users->domain_len] = '\0';
	for (unsigned w = 0; w < a->shm->n_workers && w < SB_MAX_WORKERS; w++)
		cs->worker_lcore[w] = (uint16_t)a->shm->workers[w].lcore_id;
	for (unsigned s = 0; s < n; s++)
		cs->routers[s] = &shards[s].router;
	cs->n_shards = n;
}

/* A shard's router: its session table, the store, the domain. */
/* The configured external components (component.h); the thread starts
 * after the shards. */
static struct sb_comps ctl_comps;

/* XEP-0077's policy and per-address rate table, shared by the shards. */
static struct sb_reg ctl_reg;

static int ctl_router_init(struct sb_shard *sh, struct sb_store *store,
			   const struct sb_cmd_user *users, struct sb_auth_pool *auth,
			   const struct sb_config *cfg)
{
	struct sb_router *r = &sh->router;
	int rc;

	r->auth = auth;
	r->reg = ctl_reg.slots != NULL ? &ctl_reg : NULL;
	cds_wfcq_init(&r->auth_done_head, &r->auth_done_tail);
	sb_router_kick_init(r);
	cds_wfcq_init(&r->comp_head, &r->comp_tail);
	r->comps = ctl_comps.n > 0 ? &ctl_comps : NULL;
	sb_admin_init(r);
	/* CONN_INFO answers meant for a predecessor never match ours. */
	r->admin_cookie = (uint64_t)sh->epoch << 32;
	rc = sb_session_table_init(&r->sessions, (uint32_t)cfg->control_session_buckets,
				   (uint32_t)cfg->control_max_sessions);
	if (rc < 0) {
		SB_CLOG(ERR, "shard %u session table: %s (fatal)", sh->index,
			strerror(-rc));
		return rc;
	}
	r->sessions.max_resources = (uint32_t)cfg->control_max_resources;
	r->sm.queue_max = (uint32_t)cfg->xmpp_sm_hibernated_queue;
	if (strcmp(cfg->control_bind_conflict, "refuse") == 0) {
		r->refuse_conflict = true;
	} else if (strcmp(cfg->control_bind_conflict, "kick") != 0) {
		SB_CLOG(ERR, "control.bind_conflict '%s': use kick or refuse (fatal)",
			cfg->control_bind_conflict);
		return -EINVAL;
	}
	r->store = store;
	r->domain_len = strlen(users->domain);
	memcpy(r->domain, users->domain, r->domain_len + 1);
	sb_shard_pool_ops(&r->pool, &sh->pool);
	rc = sb_router_buffers_init(r, cfg->xmpp_max_stanza_bytes);
	if (rc < 0) {
		SB_CLOG(ERR, "shard %u buffers: %s (fatal)", sh->index,
			strerror(-rc));
		return rc;
	}
	rc = sb_router_backlog_init(r, sh->n_workers, (uint32_t)cfg->control_backlog);
	if (rc < 0) {
		SB_CLOG(ERR, "shard %u backlog: %s (fatal)", sh->index,
			strerror(-rc));
		return rc;
	}
	/* A window past a connection's hold share brings back the slow-reader
	 * resets that windows exist to prevent (control/im/im_offline.c). */
	if (sh->index == 0 &&
	    cfg->im_offline_flush_window > cfg->xmpp_hold_bytes / SB_MSG_PAYLOAD_MAX)
		SB_CLOG(WARNING, "im.offline_flush_window %" PRIu64 " is more than the %" PRIu64
			" message objects xmpp.hold_bytes lets a connection hold: a login with "
			"many stored messages may be reset (continuing)",
			cfg->im_offline_flush_window, cfg->xmpp_hold_bytes / SB_MSG_PAYLOAD_MAX);
	{
		const struct sb_im_limits lim = {
			.roster_max_items = (uint32_t)cfg->im_roster_max_items,
			.roster_item_bytes = (uint32_t)cfg->im_roster_item_bytes,
			.offline_quota = (uint32_t)cfg->im_offline_quota,
			.offline_window = (uint32_t)cfg->im_offline_flush_window,
			.commit_tsc = cfg->im_offline_commit_us * rte_get_tsc_hz() / 1000000u,
			.commit_batch = (uint32_t)cfg->im_offline_commit_batch,
			.block_max_items = (uint32_t)cfg->im_block_max_items,
			.vcard_max_bytes = (uint32_t)cfg->im_vcard_max_bytes,
			.private_max_bytes = (uint32_t)cfg->im_private_max_bytes,
			.private_max_items = (uint32_t)cfg->im_private_max_items,
			.mam = cfg->im_mam,
			.mam_retention_us = cfg->im_mam_retention_days * 86400u * 1000000u,
			.mam_page_max = (uint32_t)cfg->im_mam_page_max,
			.mam_count_max = (uint32_t)cfg->im_mam_count_max,
			.mam_commit_tsc = cfg->im_mam_commit_us * rte_get_tsc_hz() / 1000000u,
			.mam_commit_batch = (uint32_t)cfg->im_mam_commit_batch,
			.push = cfg->im_push,
			.push_body = cfg->im_push_body,
			.push_max_devices = (uint32_t)cfg->im_push_max_devices,
			.pep_max_items = (uint32_t)cfg->im_pep_max_items,
			.pep_item_max_bytes = (uint32_t)cfg->im_pep_item_max_bytes,
			.pep_max_nodes = (uint32_t)cfg->im_pep_max_nodes,
		};

		rc = sb_im_init(&r->im, &lim, cfg->xmpp_max_stanza_bytes);
	}
	if (rc < 0)
		SB_CLOG(ERR, "shard %u IM buffers: %s (fatal)", sh->index,
			strerror(-rc));
	return rc;
}

/* The predecessor's unfinished chains (recover.h), each to the shard that
 * routes it: a stanza to its recipient's (its sender's without a to), as
 * the dataplane picks; an answer to any shard (each has a ring to every
 * worker). */
static void ctl_hand_recovered(struct sb_shard *shards, unsigned n, const struct sb_recover *rc)
{
	for (uint32_t i = 0; i < rc->n; i++) {
		struct sb_msg *m = rc->heads[i];
		struct sb_msg_stanza st;
		char bare[SB_MSG_JID_MAX + 1];
		unsigned s = 0;
		struct sb_shard *sh;

		if (m->kind == SB_MSG_STANZA && sb_msg_stanza_read(m, &st) == 0) {
			/* to, then from, right after the header */
			size_t len = st.to_len ? st.to_bare_len : st.from_bare_len;

			sb_msg_read(m, sizeof(st), bare, len);
			s = (unsigned)(sb_jid_bare_hash_str(bare, len) % n);
		}
		sh = &shards[s];
		if (sh->recovered == NULL)
			sh->recovered = calloc(rc->n, sizeof(sh->recovered[0]));
		if (sh->recovered == NULL) {
			m->owner = SB_MSG_OWNER_FREE;
			sh->router.pool.free(sh->router.pool.arg, m);
			continue;
		}
		sh->recovered[sh->n_recovered++] = m;
	}
	if (rc->n > 0)
		SB_CLOG(INFO, "%u unfinished stanzas of the previous sb-control "
				"to route again (%llu chains unreadable)",
			rc->n, (unsigned long long)rc->bad_chains);
}

static int ctl_start_shards(struct sb_shard *shards, unsigned n, const struct sb_attach *a,
			    struct sb_store *store, const struct sb_cmd_user *users,
			    struct sb_auth_pool *auth, const struct sb_config *cfg)
{
	if (sb_shard_counters_describe(a->shm) < 0)
		return -ENOSPC;
	for (unsigned s = 0; s < n; s++) {
		struct sb_shard *sh = &shards[s];
		struct rte_ring *fill[SB_MAX_WORKERS], *ret[SB_MAX_WORKERS];
		int rc;

		memset(sh, 0, sizeof(*sh));
		sh->index = (uint16_t)s;
		sh->n_workers = (uint16_t)a->shm->n_workers;
		for (unsigned w = 0; w < sh->n_workers; w++) {
			sh->up[w] = a->up[w][s];
			sh->down[w] = a->down[w][s];
			fill[w] = a->fill[w][s];
			ret[w] = a->ret[w][s];
		}
		sh->shm = a->shm;
		sh->stats = &a->shm->shards[s];
		/* 2 ms: two of a worker's longest idle sleeps by default. */
		sb_shard_pool_init(&sh->pool, fill, ret, sh->n_workers, rte_get_tsc_hz() / 500);
		sh->pool.empty = &sh->stats->ctr[SB_SHARD_CTR_pool_empty];
		sh->pool.waited = &sh->stats->ctr[SB_SHARD_CTR_pool_waited];
		sh->pool.deferred = &sh->stats->ctr[SB_SHARD_CTR_pool_deferred];
		sh->pool.low = &sh->stats->ctr[SB_SHARD_CTR_pool_low];
		sb_shard_pool_floor(&sh->pool, a->msg_pool->size, sh->n_workers * n);
		sh->epoch = a->epoch;
		sh->hb_interval_tsc = a->shm->hb_interval_tsc;
		sh->hist_us_mult = sb_hist_us_mult(rte_get_tsc_hz());
		sb_idle_init(&sh->idle, (uint32_t)cfg->dataplane_idle_polls,
			     (uint32_t)cfg->dataplane_idle_sleep_max_us);
		sh->quit = &ctl_quit;
		rc = ctl_router_init(sh, store, users, auth, cfg);
		if (rc < 0)
			return rc;
		sb_shard_link_init(sh);
	}
	if (sb_im_connect(shards, n) < 0) {
		SB_CLOG(ERR, "inter-shard rings: out of memory (fatal)");
		return -ENOMEM;
	}
	ctl_hand_recovered(shards, n, &a->recovered);
	/* What the predecessor held, back to the workers through shard 0. */
	sb_shard_pool_give_back(&shards[0].pool, a->reclaim);
	for (unsigned s = 0; s < n; s++) {
		struct sb_shard *sh = &shards[s];
		char name[16];
		int rc = pthread_create(&sh->thread, NULL, sb_shard_main, sh);

		if (rc != 0) {
			SB_CLOG(ERR, "shard %u thread: %s (fatal)", s, strerror(rc));
			return -rc;
		}
		snprintf(name, sizeof(name), "sb-shard-%u", s % SB_MAX_SHARDS);
		pthread_setname_np(sh->thread, name);
	}
	return 0;
}

/* The account store (one LMDB environment per shard) and the commands over
 * it. Failure is fatal: without it no user can log in. */
static int ctl_open_store(struct sb_store *store, struct sb_cmd_user *users,
			  const struct sb_config *cfg)
{
	char why[512];
	uint64_t n = 0;
	int rc;

	rc = sb_store_lmdb_open(store, cfg->store_path, (unsigned)cfg->control_shards,
				cfg->store_map_mb << 20, why, sizeof(why));
	if (rc < 0) {
		SB_CLOG(ERR, "account store %s: %s (fatal)", cfg->store_path,
			why);
		return rc;
	}
	/* Unknown users get fake credentials with the count real ones get. */
	store->fake_iterations = (uint32_t)cfg->auth_scram_iterations;
	rc = sb_cmd_user_init(users, store, cfg->xmpp_domain, cfg->auth_scram_iterations, why,
			      sizeof(why));
	if (rc < 0) {
		SB_CLOG(ERR, "%s (fatal)", why);
		sb_store_close(store);
		return rc;
	}
	if (sb_store_user_count(store, &n) == 0)
		SB_CLOG(INFO, "account store %s: %llu accounts, domain %s",
			cfg->store_path, (unsigned long long)n, users->domain);
	return 0;
}

/* The Prometheus endpoint on metrics.listen (metrics/http.h); a bad
 * address or allow-list is fatal, so a typo never leaves it silently off. */
static int ctl_metrics_start(struct sb_metrics_http *h, const struct sb_metrics_src *src,
			     const struct sb_config *cfg)
{
	char why[160];
	int rc = sb_metrics_http_start(h, cfg->metrics_listen, cfg->metrics_allow, src, why,
				       sizeof(why));

	if (rc < 0) {
		SB_CLOG(ERR, "metrics.listen %s: %s (fatal)", cfg->metrics_listen,
			why);
		return rc;
	}
	SB_CLOG(INFO, "metrics on http://%s/metrics (allow: %s)", h->bound,
		cfg->metrics_allow[0] != '\0' ? cfg->metrics_allow : "nobody");
	return 0;
}

/* Management loop: the sbctl socket (never held by one client: server.h)
 * and the dataplane's liveness. Ours is judged by the dataplane from our
 * shards' progress (dataplane/ring/ctl_watch.h), so nothing here can starve
 * it. */
static int ctl_main_loop(struct sb_cli_server *srv, struct sb_attach *a, unsigned n_shards,
			 const struct sb_metrics_src *msrc, const struct sb_alarm_cfg *acfg)
{
	uint64_t turns[SB_MAX_SHARDS], usec = 0, withheld, alarm_next_ms = 0;
	struct sb_wdog wd;

	/* systemd's watchdog: pinged while every shard loop turns (lib/wdog). */
	for (unsigned s = 0; s < n_shards; s++)
		turns[s] = __atomic_load_n(&a->shm->shards[s].turns, __ATOMIC_RELAXED);
	if (sd_watchdog_enabled(0, &usec) <= 0)
		usec = 0;
	sb_wdog_init(&wd, n_shards, usec / 2000, turns, rte_rdtsc() / (rte_get_tsc_hz() / 1000));
	while (!ctl_quit) {
		int rc = sb_cli_server_poll(srv, 100);
		uint64_t now_ms = rte_rdtsc() / (rte_get_tsc_hz() / 1000);

		/* The backlog alarms, ten times a second whatever the socket's
		 * traffic: each check reads every ring once. */
		if (now_ms >= alarm_next_ms) {
			sb_alarm_watch(msrc, acfg, now_ms);
			alarm_next_ms = now_ms + 100;
		}
		for (unsigned s = 0; s < n_shards; s++)
			turns[s] = __atomic_load_n(&a->shm->shards[s].turns, __ATOMIC_RELAXED);
		withheld = wd.withheld;
		if (sb_wdog_due(&wd, turns, rte_rdtsc() / (rte_get_tsc_hz() / 1000)))
			sd_notify(0, "WATCHDOG=1");
		else if (wd.withheld != withheld)
			SB_CLOG(WARNING, "shard %u's loop stood still: watchdog ping "
					"withheld", wd.last_stuck);

		if (rc < 0)
			SB_CLOG(WARNING, "management socket: %s (continuing)",
				strerror(-rc));
		if (!sb_attach_dataplane_alive(a)) {
			/* After sbctl shutdown this is the plan, not a failure. */
			if (__atomic_load_n(&a->shm->shutdown.requested, __ATOMIC_ACQUIRE)) {
				SB_CLOG(NOTICE, "sb-dataplane (pid %d) shut down as "
						"requested; exiting", a->shm->dp_pid);
				return 0;
			}
			SB_CLOG(WARNING, "sb-dataplane (pid %d) is gone; exiting",
				a->shm->dp_pid);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sb_config cfg;
	static struct sb_eal_args eal;
	static struct sb_attach at;
	static struct sb_shard shards[SB_MAX_SHARDS];
	static struct sb_auth_pool auth;
	static struct sb_cmd_user users;
	static struct sb_cli_server srv;
	static struct sb_cli_commands cmds;
	static struct sb_cmd_session sessions;
	static struct sb_cmd_limits limits;
	static struct ctl_shards live;
	static struct sb_metrics_src msrc;
	static struct sb_metrics_http http;
	static struct sb_alarms alarms;
	struct sb_alarm_cfg acfg;
	struct sb_store store = { 0 };
	char why[256];
	unsigned n_shards;
	int rc, status = 1;

	static char msg[65536];

	rc = sb_config_cli(&cfg, argc, argv, "sb-control", NULL, msg, sizeof(msg));
	if (rc >= 0) {
		fputs(msg, rc == 0 ? stdout : stderr);
		return rc;
	}
	if (sb_msg_stanza_limits_check(cfg.xmpp_max_stanza_bytes, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "sb-control: config: %s\n", msg);
		return 2;
	}
	if (sb_ctl_log_init(&cfg) < 0)
		SB_CLOG(WARNING, "log.target %s: no journald, logging to stderr (not fatal)",
			cfg.log_target);
	n_shards = (unsigned)cfg.control_shards;
	if (sb_eal_args_secondary(&eal, argv[0], &cfg) < 0) {
		fprintf(stderr, "sb-control: EAL arguments too long\n");
		return 2;
	}
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		SB_CLOG(WARNING, "cannot attach to sb-dataplane (file prefix '%s'): %s; "
				"is sb-dataplane running?",
			cfg.eal_file_prefix, rte_strerror(rte_errno));
		return 1;
	}
	rc = sb_attach(&at, n_shards, why, sizeof(why));
	if (rc < 0) {
		SB_CLOG(ERR, "attach failed: %s (fatal)", why);
		goto out;
	}
	if (sb_comps_config(&ctl_comps, cfg.component_domains, why, sizeof(why)) < 0) {
		SB_CLOG(ERR, "%s (fatal)", why);
		goto detach;
	}
	ctl_comps.queue_max = (uint32_t)cfg.component_queue_max;
	ctl_comps.max_stanza_bytes = (uint32_t)cfg.xmpp_max_stanza_bytes;
	if (cfg.xmpp_register &&
	    sb_reg_init(&ctl_reg, true, cfg.xmpp_register_token, (uint32_t)cfg.xmpp_register_rate,
			cfg.xmpp_register_window_s, (uint32_t)cfg.xmpp_register_addrs,
			(uint32_t)cfg.auth_scram_iterations) < 0) {
		fprintf(stderr, "sb-control: xmpp.register: token longer than %u bytes or no "
				"memory (fatal)\n", SB_REG_TOKEN_MAX);
		goto detach;
	}
	if (ctl_open_store(&store, &users, &cfg) < 0)
		goto detach;
	limits = (struct sb_cmd_limits){ .cfg = &cfg, .cs = &sessions, .shm = at.shm,
					 .argc = argc, .argv = argv };
	if (sb_cmd_limits_adopt(&limits) > 0)
		SB_CLOG(NOTICE, "the dataplane runs with limits a previous sb-control "
				"set live; sbctl limits show lists them");
	msrc = (struct sb_metrics_src){ .attach = &at, .store = &store, .server = &srv,
					.http_ctr = http.ctr,
					.mbuf_pool = rte_mempool_lookup("sb_mbuf"), .alarms = &alarms };
	acfg = (struct sb_alarm_cfg){ .ring_pct = cfg.rings_high_water_pct,
				      .backlog = cfg.control_backlog,
				      .backlog_pct = cfg.control_backlog_high_water_pct,
				      .held_pct = cfg.xmpp_held_high_water_pct,
				      .ring_wait = cfg.xmpp_ring_wait_high_water };
	cmds = (struct sb_cli_commands){ .attach = &at, .users = &users, .sessions = &sessions,
					 .limits = &limits, .server = &srv,
					 .metrics = &msrc };
	rc = sb_cli_server_open(&srv, cfg.control_socket, SB_CLI_SOCKET_MODE, sb_cli_commands_run,
				&cmds);
	if (rc < 0) {
		SB_CLOG(ERR, "socket %s: %s (fatal)", cfg.control_socket,
			strerror(-rc));
		goto close_store;
	}
	signal(SIGINT, ctl_on_signal);
	signal(SIGTERM, ctl_on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (cfg.control_auth_threads > 0 &&
	    sb_auth_pool_start(&auth, (unsigned)cfg.control_auth_threads,
			       (uint32_t)cfg.control_auth_queue, &store, &ctl_quit) < 0) {
		SB_CLOG(ERR, "PLAIN check threads: cannot start (fatal)");
		ctl_quit = true;
	} else if (ctl_start_shards(shards, n_shards, &at, &store, &users,
				    cfg.control_auth_threads > 0 ? &auth : NULL, &cfg) < 0) {
		ctl_quit = true;
	} else {
		if (cfg.component_listen[0] != '\0' &&
		    sb_comps_start(&ctl_comps, cfg.component_listen, shards, n_shards, &ctl_quit,
				   why, sizeof(why)) < 0)
			SB_CLOG(WARNING, "%s: no external components", why);
		cmds.shards = shards;
		cmds.n_shards = n_shards;
		msrc.shards = shards;
		msrc.n_shards = n_shards;
		if (cfg.metrics_listen[0] != '\0' && ctl_metrics_start(&http, &msrc, &cfg) < 0)
			ctl_quit = true;
		ctl_sessions_init(&sessions, shards, n_shards, &at, &users);
		live = (struct ctl_shards){ .shards = shards, .n = n_shards };
		users.changed = ctl_account_changed;
		users.changed_arg = &live;
		ctl_write_pidfile(cfg.control_pidfile);
		SB_CLOG(INFO, "attached (epoch %u, %u shards, %llu objects reclaimed), "
			"socket %s",
			at.epoch, n_shards, (unsigned long long)at.reclaimed, cfg.control_socket);
		sd_notifyf(0, "READY=1\nSTATUS=sb-control: epoch %u, %u shards\nMAINPID=%d",
			   at.epoch, n_shards, (int)getpid());
		status = ctl_main_loop(&srv, &at, n_shards, &msrc, &acfg);
		ctl_quit = true;
	}
	sd_notify(0, "STOPPING=1\nSTATUS=sb-control: stopping");
	sb_metrics_http_stop(&http);
	for (unsigned s = 0; s < n_shards; s++)
		if (shards[s].thread)
			pthread_join(shards[s].thread, NULL);
	sb_comps_stop(&ctl_comps);
	if (auth.n > 0)
		sb_auth_pool_stop(&auth);
	sb_reg_fini(&ctl_reg);
	sb_cli_server_close(&srv);
	if (cfg.control_pidfile[0] != '\0')
		unlink(cfg.control_pidfile);
close_store:
	sb_store_close(&store);
detach:
	sb_detach(&at);
out:
	rte_eal_cleanup();
	return status;
}
