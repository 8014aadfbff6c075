/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See tls_reload.h. Runs on the main lcore only, never on a worker: reading
 * PEM files and building SSL_CTXs takes milliseconds.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tls.h"
#include "tls_reload.h"
#include "xmpp/xc.h"

RTE_LOG_REGISTER(sb_logtype_tls, sb.tls, INFO);

#define TLS_CHECK_S 60      /* days to expiry recomputed this often */
#define TLS_WARN_S 86400    /* an expiry warning repeated this often */

/* The smallest days to expiry across the certificates, into shared memory;
 * a warning while it is below tls.expiry_warn_days (at most daily). */
static void tls_publish_days(struct sb_dp_tls *t, struct sb_shm_tls *st, time_t now)
{
	unsigned n = t->srv != NULL ? sb_tls_server_domains(t->srv) : 0, best_i = 0;
	int best = INT_MAX, d;

	for (unsigned i = 0; i < n; i++)
		if (sb_tls_server_days_left(t->srv, i, now, &d) == 0 && d < best) {
			best = d;
			best_i = i;
		}
	st->domains = n;
	st->days_left = n != 0 ? best : 0;
	snprintf(st->days_left_domain, sizeof(st->days_left_domain), "%s",
		 n != 0 ? sb_tls_server_domain(t->srv, best_i) : "");
	if (n == 0 || t->cfg->tls_expiry_warn_days == 0 ||
	    best >= (int64_t)t->cfg->tls_expiry_warn_days || now < t->next_warn)
		return;
	t->next_warn = now + TLS_WARN_S;
	if (best < 0)
		SB_LOG(tls, WARNING, "the certificate of %s EXPIRED %d days ago: replace it and "
				     "run sbctl tls reload", st->days_left_domain, -best);
	else
		SB_LOG(tls, WARNING, "the certificate of %s expires in %d days (tls.expiry_warn_days "
				     "%llu): replace it and run sbctl tls reload",
		       st->days_left_domain, best,
		       (unsigned long long)t->cfg->tls_expiry_warn_days);
}

void sb_dp_tls_init(struct sb_dp_tls *t, const struct sb_config *cfg, struct sb_tls_server *srv,
		    struct sb_shm *shm)
{
	time_t now = time(NULL);

	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->srv = srv;
	shm->tls.loaded_unix_s = srv != NULL ? (uint64_t)now : 0;
	__atomic_store_n(&shm->tls.reload_done, __atomic_load_n(&shm->tls.reload_req,
								 __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	tls_publish_days(t, &shm->tls, now);
	t->next_check = now + TLS_CHECK_S;
}

void sb_dp_tls_add_worker(struct sb_dp_tls *t, struct sb_xc_worker *xw)
{
	if (t->srv == NULL || t->n_xw >= SB_MAX_WORKERS)
		return;
	sb_tls_server_get(t->srv);
	t->xw[t->n_xw++] = xw;
}

/* The answer to request req: readers (sbctl) wait for reload_done. */
static void tls_answer(struct sb_shm_tls *st, uint64_t req, int rc, const char *msg)
{
	st->reload_rc = rc;
	snprintf(st->reload_msg, sizeof(st->reload_msg), "%s", msg);
	__atomic_store_n(&st->reload_done, req, __ATOMIC_RELEASE);
}

/* Build a server from the same paths (the ticket secret passed on, so
 * tickets issued before still resume) and offer it to every worker. A
 * failure keeps the certificates in use. */
static void tls_reload(struct sb_dp_tls *t, struct sb_shm_tls *st, uint64_t req, time_t now)
{
	struct sb_tls_error err = { { 0 } };
	struct sb_tls_server *n;

	if (t->srv == NULL) {
		tls_answer(st, req, -ENOTSUP, "xmpp.tls is off: no certificates to reload");
		return;
	}
	n = sb_tls_server_from_config(t->cfg, t->srv, &err);
	if (n == NULL) {
		st->reload_failed++;
		SB_LOG(tls, ERR, "tls reload refused, the certificates in use stay: %s", err.msg);
		tls_answer(st, req, -EINVAL, err.msg);
		return;
	}
	for (unsigned i = 0; i < t->n_xw; i++) {
		struct sb_tls_server *old;

		sb_tls_server_get(n);
		/* A worker that has not taken the previous reload's server yet
		 * gets this one instead; the skipped one is dropped here. */
		old = __atomic_exchange_n(&t->xw[i]->tls_next, n, __ATOMIC_ACQ_REL);
		if (old != NULL)
			sb_tls_server_put(old);
	}
	sb_tls_server_put(t->srv);
	t->srv = n;
	st->reloads++;
	st->loaded_unix_s = (uint64_t)now;
	t->next_warn = 0;
	tls_publish_days(t, st, now);
	t->pending = req;
	SB_LOG(tls, INFO, "tls reload: %u certificates read again (%s expires in %d days)",
	       st->domains, st->days_left_domain, st->days_left);
}

/* Every worker took the new server (its slot is empty again). */
static bool tls_all_taken(const struct sb_dp_tls *t)
{
	for (unsigned i = 0; i < t->n_xw; i++)
		if (__atomic_load_n(&t->xw[i]->tls_next, __ATOMIC_ACQUIRE) != NULL)
			return false;
	return true;
}

void sb_dp_tls_tick(struct sb_dp_tls *t, struct sb_shm *shm, time_t now)
{
	struct sb_shm_tls *st = &shm->tls;
	uint64_t req = __atomic_load_n(&st->reload_req, __ATOMIC_ACQUIRE);

	/* Answered only once every worker's new connections get the new
	 * certificates, so a client started after "sbctl tls reload"
	 * returned sees them. */
	if (t->pending != 0) {
		if (tls_all_taken(t)) {
			tls_answer(st, t->pending, 0, "");
			t->pending = 0;
		}
	} else if (req != __atomic_load_n(&st->reload_done, __ATOMIC_RELAXED)) {
		tls_reload(t, st, req, now);
	}
	if (now >= t->next_check) {
		t->next_check = now + TLS_CHECK_S;
		tls_publish_days(t, st, now);
	}
}
