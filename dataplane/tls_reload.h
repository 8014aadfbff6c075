/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TLS certificates in use, on the main lcore: "sbctl tls reload" (a
 * request in shared memory, struct sb_shm_tls) re-reads every certificate
 * and key from the configured paths into a new lib/tls server and hands it
 * to every worker, without a restart. The swap is lock-free: each worker
 * holds one reference to the server it starts handshakes with and finds a
 * newer one in its xw->tls_next slot on its next loop turn
 * (sb_xc_tls_turn); a handshake in progress holds its own reference, so it
 * finishes on the old contexts, and established TLS 1.3 sessions never
 * touch them again (their keys were handed off). The old server is freed
 * by whichever thread drops its last reference. Also publishes the
 * smallest days to expiry across the certificates and logs a warning while
 * it is below tls.expiry_warn_days.
 */
#ifndef SB_DP_TLS_RELOAD_H
#define SB_DP_TLS_RELOAD_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "shm.h"

struct sb_tls_server;
struct sb_xc_worker;

struct sb_dp_tls {
	const struct sb_config *cfg;    /* the running configuration: paths, domains */
	struct sb_tls_server *srv;      /* the newest server; the main lcore's reference */
	struct sb_xc_worker *xw[SB_MAX_WORKERS];
	unsigned n_xw;
	uint64_t pending;               /* a request handed to the workers, not yet taken by all */
	time_t next_check;              /* days to expiry recomputed from then */
	time_t next_warn;               /* expiry warning logged again from then */
};

/* srv (may be NULL: xmpp.tls off) becomes the main lcore's reference. */
void sb_dp_tls_init(struct sb_dp_tls *t, const struct sb_config *cfg, struct sb_tls_server *srv,
		    struct sb_shm *shm);
/* A worker's XMPP context using t->srv: it gets its own reference. */
void sb_dp_tls_add_worker(struct sb_dp_tls *t, struct sb_xc_worker *xw);
/* From the main lcore's loop: answer a reload request, finish one the
 * workers have all taken, refresh days to expiry. */
void sb_dp_tls_tick(struct sb_dp_tls *t, struct sb_shm *shm, time_t now);

#endif
