/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Start-up of a worker's XMPP state: pools sized from the configuration,
 * the lib/xmpp environment, the login-deadline wheel. Runs once on the
 * main lcore before the worker starts; nothing here is on the packet path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include <openssl/rand.h>

#include "config.h"
#include "worker.h"
#include "xc.h"

static void *app_aux_alloc(void *arg)
{
	void *obj;

	return rte_mempool_get(arg, &obj) == 0 ? obj : NULL;
}

static void app_aux_free(void *arg, void *obj)
{
	rte_mempool_put(arg, obj);
}

/* lib/msg sizes stanza messages for what lib/xmpp may add to an element. */
_Static_assert(SB_C2S_ROUTE_EXTRA <= SB_MSG_STANZA_GROWTH, "stamping outgrows lib/msg's limits");
_Static_assert(SB_JID_FULL_MAX <= SB_MSG_JID_MAX, "a JID outgrows lib/msg's limits");

/* What sb-control sends the c2s application (xc_app.c handles them). */
static const enum sb_msg_kind app_kinds[] = {
	SB_MSG_AUTH_RESP, SB_MSG_BIND_RESP, SB_MSG_DELIVER, SB_MSG_KICK, SB_MSG_DELIVER_MULTI,
	SB_MSG_CONN_INFO,
	SB_MSG_RESUME_RESP, SB_MSG_REGISTER_RESP, SB_MSG_STANZA_DONE, SB_MSG_PROMISE_SYNC,
};

/* Number every connection object: its index is its handle. */
static void app_index_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct sb_xc_worker *xw = arg;
	struct sb_xc_conn *x = obj;

	(void)mp;
	x->idx = idx;
	x->gen = 0;
	xw->xtab[idx] = x;
	xw->xtab_n = RTE_MAX(xw->xtab_n, idx + 1);
}

static struct rte_mempool *app_pool(const char *what, unsigned idx, unsigned n, unsigned size,
				    int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	snprintf(name, sizeof(name), "sb_%s_w%u", what, idx);
	return rte_mempool_create(name, n, size, 0, 0, NULL, NULL, NULL, NULL, socket,
				  RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
}

/* TLS state for STARTTLS: the worker's crypto context, a pool of per-
 * connection TLS objects (one per connection at most) and the buffers. */
static int app_tls_init(struct sb_xc_worker *xw, const struct sb_config *cfg, unsigned conns,
			int socket)
{
	struct sb_tls_worker_opts o;
	int rc;

	/* A whole record must fit the input budget beside a partial stanza,
	 * or a client sending full-size records would wait on a shut window. */
	if (cfg->xmpp_input_budget < SB_XC_TLS_BUDGET_MIN)
		return -EINVAL;
	sb_tls_worker_opts_from_config(cfg, &o);
	rc = sb_tls_worker_init(&xw->tls, &o);
	if (rc < 0)
		return rc;
	xw->tls_pool = app_pool("xtls", xw->w->index, conns, sizeof(struct sb_xc_tls), socket);
	xw->tls_buf = rte_malloc_socket("sb_xmpp_tls", SB_XC_TLS_BUF, 0, socket);
	xw->tls_plain_cap = xw->elem_cap + SB_C2S_ROUTE_EXTRA;
	xw->tls_handoff = cfg->tls_handoff;
	xw->tls_hs_budget_tsc = cfg->tls_handshake_budget_us * rte_get_tsc_hz() / 1000000u;
	if (cfg->tls_handshake_budget_us != 0 && xw->tls_hs_budget_tsc == 0)
		xw->tls_hs_budget_tsc = 1;
	sb_xc_list_init(&xw->tls_hs_wait);
	xw->tls_plain = rte_malloc_socket("sb_xmpp_tls_plain", xw->tls_plain_cap, 0, socket);
	if (xw->tls_pool == NULL || xw->tls_buf == NULL || xw->tls_plain == NULL)
		return -ENOMEM;
	sb_tls_worker_set_time(&xw->tls, (uint64_t)time(NULL));
	return 0;
}

int sb_xc_worker_init(struct sb_worker *w, const struct sb_config *cfg,
		      struct sb_tls_server *tls_srv, struct sb_xc_worker **out)
{
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	unsigned conns = (unsigned)cfg->tcp_max_conns;
	struct sb_xc_worker *xw;
	struct sb_c2s_env *env;
	int rc;

	xw = rte_zmalloc_socket("sb_xmpp", sizeof(*xw), RTE_CACHE_LINE_SIZE, socket);
	if (xw == NULL)
		return -ENOMEM;
	*out = xw;
	xw->w = w;
	env = &xw->env;
	rc = sb_c2s_config_default(&env->cfg, cfg->xmpp_domain, strlen(cfg->xmpp_domain));
	if (rc < 0)
		return rc;
	if (RAND_bytes(env->cfg.fake_secret, sizeof(env->cfg.fake_secret)) != 1)
		return -EIO;
	env->cfg.preauth_bytes_max = (uint32_t)cfg->xmpp_preauth_bytes;
	env->cfg.preauth_elements_max = (uint16_t)cfg->xmpp_preauth_elements;
	env->cfg.max_auth_attempts = (uint8_t)cfg->xmpp_auth_attempts;
	env->cfg.legacy_session = cfg->xmpp_legacy_session;
	/* sb-control answers iqs to the domain (disco, version, time) and
	 * keeps roster versions (control/im). */
	env->cfg.route_server_iq = true;
	env->cfg.roster_versioning = true;
	env->cfg.sm = cfg->xmpp_stream_management;
	env->cfg.sm_max_resume_s = (uint32_t)cfg->xmpp_sm_max_resume_s;
	env->cfg.csi = cfg->xmpp_csi_held_max > 0;
	env->cfg.sm_ack_promise = true; /* <r/> answered by xc_promise.c */
	env->cfg.fake_iterations = (uint32_t)cfg->auth_scram_iterations;
	rc = sb_c2s_tls_policy_parse(cfg->xmpp_tls);
	if (rc < 0)
		return rc;
	/* No server (no certificate loaded): STARTTLS is not offered. */
	env->cfg.tls_policy = tls_srv != NULL ? (uint8_t)rc : SB_C2S_TLS_OFF;
	env->cfg.plain_without_tls = cfg->xmpp_plain_without_tls;
	env->cfg.reg = cfg->xmpp_register;
	env->cfg.reg_token = cfg->xmpp_register_token[0] != '\0';
	env->cfg.scram_plus = cfg->tls_scram_plus;
	sb_xml_limits_default(&xw->lim);
	xw->elem_cap = (uint32_t)cfg->xmpp_max_stanza_bytes;
	xw->elem = rte_malloc_socket("sb_xmpp_elem", xw->elem_cap, 0, socket);
	xw->route = rte_malloc_socket("sb_xmpp_route", xw->elem_cap + SB_C2S_ROUTE_EXTRA, 0,
				      socket);
	xw->conn_pool = app_pool("xc_conn", w->index, conns, sizeof(struct sb_xc_conn), socket);
	xw->ctx_pool = app_pool("xctx", w->index, (unsigned)cfg->xmpp_partial_stanzas,
				sizeof(struct sb_xml_ctx), socket);
	xw->aux_pool = app_pool("xaux", w->index, (unsigned)cfg->xmpp_auth_contexts,
				sizeof(struct sb_c2s_aux), socket);
	xw->jid_pool = app_pool("xjid", w->index, conns, SB_XC_JID_MAX, socket);
	if (xw->elem == NULL || xw->route == NULL || xw->conn_pool == NULL ||
	    xw->ctx_pool == NULL || xw->aux_pool == NULL || xw->jid_pool == NULL)
		return -ENOMEM;
	xw->xtab = rte_zmalloc_socket("sb_xmpp_xtab", sizeof(xw->xtab[0]) * conns,
				      RTE_CACHE_LINE_SIZE, socket);
	if (xw->xtab == NULL || rte_mempool_obj_iter(xw->conn_pool, app_index_obj, xw) != conns)
		return -ENOMEM;
	sb_xc_list_init(&xw->bound);
	sb_xc_list_init(&xw->shaped);
	sb_xc_list_init(&xw->pr_wait);
	sb_xc_list_init(&xw->flush_wait);
	for (unsigned s = 0; s < RTE_DIM(xw->waiting); s++)
		sb_xc_list_init(&xw->waiting[s]);
	xw->replay_next = SB_XC_LIST_NONE;
	xw->tls_srv = tls_srv;
	if (tls_srv != NULL) {
		rc = app_tls_init(xw, cfg, conns, socket);
		if (rc < 0)
			return rc;
	}
	rc = sb_xc_limits_init(&xw->limits, cfg, socket);
	if (rc < 0)
		return rc;
	env->out = xw->out;
	env->out_cap = sizeof(xw->out);
	env->route = xw->route;
	env->route_cap = xw->elem_cap + SB_C2S_ROUTE_EXTRA;
	env->scratch = &xw->scratch;
	env->aux_alloc = app_aux_alloc;
	env->aux_free = app_aux_free;
	env->cb_arg = xw->aux_pool;
	env->cbind = sb_xc_tls_cbind;
	env->cbind_arg = xw;
	xw->login_timeout_ms = cfg->xmpp_login_timeout_s * 1000;
	xw->ctl_grace_us = cfg->rings_control_grace_ms * 1000;
	xw->input_budget = (uint32_t)cfg->xmpp_input_budget;
	xw->slow_reader_ms = (uint32_t)cfg->xmpp_slow_reader_ms;
	xw->hold_conn_max = (uint32_t)RTE_MIN(cfg->xmpp_hold_bytes / SB_MSG_PAYLOAD_MAX + 1, (uint64_t)UINT16_MAX - 1);
	xw->hold_worker_max = (uint32_t)(cfg->rings_msgs * cfg->xmpp_hold_pool_pct / 100);
	xw->sm_kept_max = (uint32_t)cfg->xmpp_sm_unacked_max;
	xw->pr_wait_ms = (uint32_t)cfg->xmpp_sm_ack_wait_ms;
	xw->sm_probe_idle_ms = (uint32_t)cfg->xmpp_sm_probe_idle_ms;
	xw->sm_probe_wait_ms = (uint32_t)cfg->xmpp_sm_probe_wait_ms;
	xw->csi_held_max = (uint32_t)cfg->xmpp_csi_held_max;
	xw->csi_bytes_max = (uint32_t)cfg->xmpp_csi_held_bytes;
	xw->msg_ops = w->msg_ops;
	for (unsigned k = 0; k < RTE_DIM(app_kinds); k++)
		sb_msg_link_register(&w->link, app_kinds[k], sb_xc_link_handler, xw);
	return sb_wheel_init(&xw->wheel, xw->slots, 3, w->now_us / 1000);
}
