/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_limits.h. Values are checked by lib/config itself (an override
 * applied to a scratch copy of the running configuration), so a live
 * change obeys exactly the ranges a file does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cmd_limits.h"
#include "cmd_session.h"
#include "config_cli.h"

#define LIM_DP 0 /* not a shard's: the dataplane's */

static const struct lim_key {
	const char *name;
	size_t cfg_off;     /* its uint64_t in struct sb_config */
	uint16_t shard_lim; /* enum sb_admin_limit, or LIM_DP */
	size_t live_off;    /* LIM_DP: its field in struct sb_shm_live */
} lim_keys[] = {
	{ "control.max_sessions", offsetof(struct sb_config, control_max_sessions),
	  SB_ADMIN_LIM_MAX_SESSIONS, 0 },
	{ "control.max_resources", offsetof(struct sb_config, control_max_resources),
	  SB_ADMIN_LIM_MAX_RESOURCES, 0 },
	{ "im.roster_max_items", offsetof(struct sb_config, im_roster_max_items),
	  SB_ADMIN_LIM_ROSTER_MAX_ITEMS, 0 },
	{ "im.offline_quota", offsetof(struct sb_config, im_offline_quota),
	  SB_ADMIN_LIM_OFFLINE_QUOTA, 0 },
	{ "im.offline_commit_us", offsetof(struct sb_config, im_offline_commit_us),
	  SB_ADMIN_LIM_OFFLINE_COMMIT_US, 0 },
	{ "xmpp.conn_rate_per_addr", offsetof(struct sb_config, xmpp_conn_rate_per_addr), LIM_DP,
	  offsetof(struct sb_shm_live, conn_rate_per_addr) },
	{ "xmpp.conn_burst_per_addr", offsetof(struct sb_config, xmpp_conn_burst_per_addr), LIM_DP,
	  offsetof(struct sb_shm_live, conn_burst_per_addr) },
	{ "xmpp.shaper_bytes_per_s", offsetof(struct sb_config, xmpp_shaper_bytes_per_s), LIM_DP,
	  offsetof(struct sb_shm_live, shaper_bytes_per_s) },
	{ "xmpp.shaper_burst_bytes", offsetof(struct sb_config, xmpp_shaper_burst_bytes), LIM_DP,
	  offsetof(struct sb_shm_live, shaper_burst_bytes) },
	{ "xmpp.ban_after_failures", offsetof(struct sb_config, xmpp_ban_after_failures), LIM_DP,
	  offsetof(struct sb_shm_live, ban_after_failures) },
	{ "xmpp.ban_s", offsetof(struct sb_config, xmpp_ban_s), LIM_DP,
	  offsetof(struct sb_shm_live, ban_s) },
};

#define LIM_N (sizeof(lim_keys) / sizeof(lim_keys[0]))

static const struct lim_key *lim_find(const char *name, size_t len)
{
	for (size_t i = 0; i < LIM_N; i++)
		if (strlen(lim_keys[i].name) == len && memcmp(lim_keys[i].name, name, len) == 0)
			return &lim_keys[i];
	return NULL;
}

int sb_cmd_limits_live(const char *name, size_t len)
{
	const struct lim_key *k = lim_find(name, len);

	return k == NULL ? 0 : k->shard_lim != LIM_DP ? 1 : 2;
}

static uint64_t *lim_field(struct sb_config *cfg, const struct lim_key *k)
{
	return (uint64_t *)((char *)cfg + k->cfg_off);
}

/* The dataplane's live block, whole, from the running configuration. */
static void lim_publish(struct sb_cmd_limits *cl)
{
	struct sb_shm_live *l = &cl->shm->live;
	uint32_t seq = l->seq; /* ours alone to write */

	__atomic_store_n(&l->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (size_t i = 0; i < LIM_N; i++)
		if (lim_keys[i].shard_lim == LIM_DP)
			__atomic_store_n((uint64_t *)((char *)l + lim_keys[i].live_off),
					 *lim_field(cl->cfg, &lim_keys[i]), __ATOMIC_RELAXED);
	__atomic_store_n(&l->seq, seq + 2, __ATOMIC_RELEASE);
}

unsigned sb_cmd_limits_adopt(struct sb_cmd_limits *cl)
{
	const struct sb_shm_live *l = &cl->shm->live;
	uint32_t seq = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	/* 0: never written; odd: its writer died mid-way, so nothing is sure. */
	if (seq == 0 || (seq & 1u))
		return 0;
	for (size_t i = 0; i < LIM_N; i++) {
		uint64_t v;

		if (lim_keys[i].shard_lim != LIM_DP)
			continue;
		v = *(const uint64_t *)((const char *)l + lim_keys[i].live_off);
		n += *lim_field(cl->cfg, &lim_keys[i]) != v;
		*lim_field(cl->cfg, &lim_keys[i]) = v;
	}
	return n;
}

/* Apply k = v where it lives. 0, or writes the error line. */
static int lim_apply(struct sb_cmd_limits *cl, const struct lim_key *k, uint64_t v,
		     struct sb_out *o)
{
	struct sb_cmd_session *cs = cl->cs;
	struct sb_admin_req *reqs[SB_MAX_SHARDS] = { 0 };
	int rc = 0;

	if (k->shard_lim == LIM_DP) {
		*lim_field(cl->cfg, k) = v;
		lim_publish(cl);
		return 0;
	}
	if (cs->n_shards == 0) {
		sb_out_printf(o, "error: the control shards are not running\n");
		return -EAGAIN;
	}
	for (unsigned s = 0; s < cs->n_shards && rc == 0; s++) {
		reqs[s] = sb_admin_req_new(SB_ADMIN_LIMIT, 0);
		if (reqs[s] == NULL) {
			sb_out_printf(o, "error: out of memory\n");
			rc = -ENOMEM;
			break;
		}
		reqs[s]->limit = k->shard_lim;
		reqs[s]->value = v;
		rc = sb_admin_post(cs->routers[s], reqs[s]);
		if (rc < 0) {
			sb_out_printf(o, "error: shard %u is busy; %s not changed everywhere\n", s,
				      k->name);
			sb_admin_put(reqs[s]);
			reqs[s] = NULL;
		}
	}
	if (rc == 0 && sb_admin_wait(reqs, cs->n_shards, cs->wait_ms) < 0) {
		sb_out_printf(o, "error: a shard did not answer within %u ms; %s may be changed "
				 "on some shards only\n", cs->wait_ms, k->name);
		rc = -ETIMEDOUT;
	}
	if (rc == 0)
		*lim_field(cl->cfg, k) = v;
	for (unsigned s = 0; s < cs->n_shards; s++)
		sb_admin_put(reqs[s]);
	return rc;
}

static void lim_show(const struct sb_cmd_limits *cl, bool json, struct sb_out *o)
{
	sb_out_printf(o, "ok\n%s", json ? "{" : "");
	for (size_t i = 0; i < LIM_N; i++) {
		uint64_t v = *(const uint64_t *)((const char *)cl->cfg + lim_keys[i].cfg_off);

		if (json)
			sb_out_printf(o, "%s\"%s\":{\"value\":%" PRIu64 ",\"process\":\"%s\"}",
				      i ? "," : "", lim_keys[i].name, v,
				      lim_keys[i].shard_lim == LIM_DP ? "sb-dataplane" : "sb-control");
		else
			sb_out_printf(o, "%-28s %12" PRIu64 "  %s\n", lim_keys[i].name, v,
				      lim_keys[i].shard_lim == LIM_DP ? "sb-dataplane" : "sb-control");
	}
	sb_out_printf(o, "%s", json ? "}\n" : "");
}

static void lim_set(struct sb_cmd_limits *cl, const char *args, struct sb_out *o)
{
	size_t klen = strcspn(args, " "), vlen;
	const char *v = args + klen + (args[klen] == ' ');
	const struct lim_key *k = lim_find(args, klen);
	struct sb_config *scratch;
	struct sb_config_error err;
	char assign[320];

	vlen = strcspn(v, " ");
	if (klen == 0 || vlen == 0 || v[vlen] != '\0') {
		sb_out_printf(o, "error: usage: limits set KEY VALUE\n");
		return;
	}
	scratch = malloc(sizeof(*scratch));
	if (scratch == NULL) {
		sb_out_printf(o, "error: out of memory\n");
		return;
	}
	*scratch = *cl->cfg;
	snprintf(assign, sizeof(assign), "%.*s=%.*s", (int)(klen > 128 ? 128 : klen), args,
		 (int)(vlen > 128 ? 128 : vlen), v);
	if (sb_config_override(scratch, assign, &err) < 0) {
		sb_out_printf(o, "error: %s\n", err.msg);
	} else if (k == NULL) {
		sb_out_printf(o, "error: %.*s cannot change while running (restart needed); "
				 "live keys: limits show\n", (int)klen, args);
	} else if (lim_apply(cl, k, *lim_field(scratch, k), o) == 0) {
		sb_out_printf(o, "ok\n%s = %" PRIu64 "\n", k->name, *lim_field(cl->cfg, k));
	}
	free(scratch);
}

/* The key of a dump line "section.key = value". */
static size_t lim_line_key(const char *line)
{
	const char *eq = strstr(line, " = ");

	return eq != NULL ? (size_t)(eq - line) : strlen(line);
}

/* Compare two sb_config_dump texts line by line (the same keys in the
 * same order): apply live changes, name the others. */
static void lim_reload_diff(struct sb_cmd_limits *cl, struct sb_config *now, char *a, char *b,
			    struct sb_out *o)
{
	unsigned applied = 0, restart = 0;
	char *sa, *sb;
	char *la = strtok_r(a, "\n", &sa), *lb = strtok_r(b, "\n", &sb);

	sb_out_printf(o, "ok\n");
	for (; la != NULL && lb != NULL; la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
		size_t klen = lim_line_key(lb);
		const struct lim_key *k;

		if (strcmp(la, lb) == 0)
			continue;
		k = lim_find(lb, klen);
		if (k == NULL) {
			sb_out_printf(o, "restart needed: %s (running: %s)\n", lb,
				      la + lim_line_key(la) + 3);
			restart++;
		} else if (lim_apply(cl, k, *lim_field(now, k), o) == 0) {
			sb_out_printf(o, "applied: %s\n", lb);
			applied++;
		}
	}
	sb_out_printf(o, "%u applied, %u need a restart\n", applied, restart);
}

static void lim_reload(struct sb_cmd_limits *cl, struct sb_out *o)
{
	struct sb_config *now = malloc(sizeof(*now));
	size_t cap = 1u << 17;
	char *a = malloc(cap), *b = malloc(cap), *msg = malloc(cap);

	if (now == NULL || a == NULL || b == NULL || msg == NULL) {
		sb_out_printf(o, "error: out of memory\n");
		goto out;
	}
	msg[0] = '\0';
	if (sb_config_cli(now, cl->argc, cl->argv, "sb-control", NULL, msg, cap) >= 0) {
		/* The file (or an override) is wrong now: nothing is applied. */
		sb_out_printf(o, "error: configuration refused, nothing changed:\n%s", msg);
		goto out;
	}
	if (sb_config_dump(cl->cfg, a, cap) >= cap || sb_config_dump(now, b, cap) >= cap) {
		sb_out_printf(o, "error: configuration dump too large\n");
		goto out;
	}
	lim_reload_diff(cl, now, a, b, o);
out:
	free(now);
	free(a);
	free(b);
	free(msg);
}

void sb_cmd_limits_run(struct sb_cmd_limits *cl, const char *args, bool reload,
		       struct sb_out *o)
{
	if (reload) {
		if (args[0] != '\0')
			sb_out_printf(o, "error: usage: config reload\n");
		else
			lim_reload(cl, o);
		return;
	}
	if (strcmp(args, "show") == 0 || strcmp(args, "show --json") == 0)
		lim_show(cl, args[4] != '\0', o);
	else if (strncmp(args, "set ", 4) == 0)
		lim_set(cl, args + 4, o);
	else
		sb_out_printf(o, "error: usage: limits show [--json] | limits set KEY VALUE\n");
}
