/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Credential lookups for SASL in the dataplane. SCRAM: the stored keys of
 * the requested mechanism go back, and the dataplane finishes the exchange
 * (the proof check is a few HMACs). PLAIN: the password is checked in the
 * control plane, because deriving the salted password (PBKDF2, about 1.5 ms
 * at 4096 iterations) would stall a dataplane lcore; and not on the shard
 * thread either, which would stall routing: auth_pool.c's threads do it
 * (control.auth_threads), inline only when there are none. The password is
 * wiped from the shared object as soon as it is read. An unknown user
 * answers -ENOENT and the dataplane fails it exactly like a wrong password.
 */
#include <errno.h>
#include <string.h>

#include "jid.h"
#include "auth_pool.h"
#include "router.h"
#include "scram.h"
#include "shard.h"
#include "store/store.h"

static int auth_lookup(struct sb_router *r, const struct sb_msg_auth *a,
		       struct sb_store_account *acct)
{
	struct sb_jid jid;

	if (r->store == NULL || sb_jid_parse(&jid, a->data, a->user_len) < 0)
		return -ENOENT;
	return sb_store_user_get(r->store, &jid, acct);
}

int sb_auth_plain_check(struct sb_store *store, struct sb_msg *m, struct sb_store_account *acct)
{
	struct sb_msg_auth *a = (struct sb_msg_auth *)m->payload;
	const struct sb_scram_creds *creds = NULL;
	char *pass = a->data + a->user_len;
	struct sb_jid jid;
	int rc = -ENOENT;

	if (store != NULL && sb_jid_parse(&jid, a->data, a->user_len) == 0)
		rc = sb_store_user_get(store, &jid, acct);
	if (rc == 0) {
		creds = sb_store_account_creds(acct, SB_SCRAM_SHA256);
		if (creds == NULL)
			creds = sb_store_account_creds(acct, SB_SCRAM_SHA1);
	}
	rc = creds != NULL && sb_scram_plain_verify(creds, pass, a->pass_len) == SB_SCRAM_OK
		     ? 0
		     : -EACCES;
	explicit_bzero(pass, a->pass_len);
	explicit_bzero(acct, sizeof(*acct));
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

void sb_router_auth(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_auth *a = (struct sb_msg_auth *)m->payload;
	struct sb_store_account *acct = &r->acct;
	const struct sb_scram_creds *creds;
	int rc;

	if (m->len < sizeof(*a) || sizeof(*a) + a->user_len + a->pass_len > m->len ||
	    m->next != NULL) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	if (a->flags & SB_MSG_AUTH_PLAIN) {
		if (r->auth != NULL && sb_auth_pool_submit(r->auth, sh, m) == 0)
			return; /* sb_router_auth_done() sends the answer */
		sb_router_auth_reply(sh, m, true, sb_auth_plain_check(r->store, m, acct));
		return;
	}
	rc = auth_lookup(r, a, acct);
	{
		creds = rc == 0 && a->mech < SB_SCRAM_MECH_MAX
				? sb_store_account_creds(acct, (enum sb_scram_mech)a->mech)
				: NULL;
		if (creds != NULL) {
			sb_scram_credentials_pack(creds, m->payload);
			m->len = SB_SCRAM_CREDS_RECORD_LEN;
			SB_ROUTE_INC(r, auth_lookups);
		} else {
			rc = -ENOENT;
			m->len = 0;
			SB_ROUTE_INC(r, auth_unknown);
		}
	}
	explicit_bzero(acct, sizeof(*acct));
	sb_router_auth_reply(sh, m, false, rc);
}
