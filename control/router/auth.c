/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Credential lookups for SASL in the dataplane. SCRAM: the stored keys of
 * the requested mechanism go back, and the dataplane finishes the exchange
 * (the proof check is a few HMACs). PLAIN: the password is checked in the
 * control plane, because deriving the salted password (PBKDF2, about 1.5 ms
 * at 4096 iterations) would stall a dataplane lcore; and not on the shard
 * thread either, which would stall routing: auth_pool.c's threads do it
 * (control.auth_threads), inline only when there are none. The password is
 * wiped from the shared object as soon as it is read.
 *
 * Unknown users cost and look the same as real ones (RFC 5802 §9, no
 * account enumeration): SCRAM lookups answer status 0 with fake credentials from
 * the store's per-deployment secret (stable salt, real iteration count), so
 * the exchange fails only at the proof; PLAIN runs its PBKDF2 against such
 * fakes too (store.h, sb_store_plain_check()).
 */
#include <errno.h>
#include <string.h>

#include "auth_pool.h"
#include "router.h"
#include "scram.h"
#include "shard.h"
#include "store/store.h"

int sb_auth_plain_check(struct sb_store *store, struct sb_msg *m)
{
	struct sb_msg_auth *a = (struct sb_msg_auth *)m->payload;
	char *pass = a->data + a->user_len;
	int rc = -EACCES;

	if (store != NULL)
		rc = sb_store_plain_check(store, a->data, a->user_len, pass, a->pass_len);
	explicit_bzero(pass, a->pass_len);
	a->pass_len = 0;
	return rc;
}

void sb_router_auth_reply(struct sb_shard *sh, struct sb_msg *m, bool plain, int rc)
{
	struct sb_router *r = &sh->router;

	if (plain) {
		if (rc == 0)
			SB_ROUTE_INC(r, auth_plain_ok);
		else
			SB_ROUTE_INC(r, auth_plain_bad);
		m->len = 0;
	}
	m->kind = SB_MSG_AUTH_RESP;
	m->status = (int16_t)rc;
	m->total_len = m->len;
	sb_router_send(sh, m->worker, m);
}

/* SCRAM: the stored credentials of the requested mechanism, or fake ones. */
static void auth_scram(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_auth *a = (struct sb_msg_auth *)m->payload;
	struct sb_scram_creds creds;
	int rc = -ENOENT;

	if (r->store != NULL && a->mech < SB_SCRAM_MECH_MAX)
		rc = sb_store_user_creds(r->store, a->data, a->user_len,
					 (enum sb_scram_mech)a->mech, &creds);
	if (rc >= 0) {
		sb_scram_credentials_pack(&creds, m->payload);
		m->len = SB_SCRAM_CREDS_RECORD_LEN;
		if (rc == 0)
			SB_ROUTE_INC(r, auth_lookups);
		else
			SB_ROUTE_INC(r, auth_unknown);
		rc = 0;
	} else {
		m->len = 0;
		SB_ROUTE_INC(r, auth_unknown);
	}
	explicit_bzero(&creds, sizeof(creds));
	sb_router_auth_reply(sh, m, false, rc);
}

void sb_router_auth(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_auth *a = (struct sb_msg_auth *)m->payload;

	if (m->len < sizeof(*a) || sizeof(*a) + a->user_len + a->pass_len > m->len ||
	    m->next != NULL) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	if (a->flags & SB_MSG_AUTH_PLAIN) {
		if (r->auth != NULL && sb_auth_pool_submit(r->auth, sh, m) == 0)
			return; /* sb_router_auth_done() sends the answer */
		sb_router_auth_reply(sh, m, true, sb_auth_plain_check(r->store, m));
		return;
	}
	auth_scram(sh, m);
}
