/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See register.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth_pool.h"
#include "register.h"
#include "router.h"
#include "shard.h"
#include "store/store.h"

int sb_reg_init(struct sb_reg *reg, bool enabled, const char *token, uint32_t rate,
		uint64_t window_s, uint32_t n_slots, uint32_t iterations)
{
	size_t tl = strlen(token);

	memset(reg, 0, sizeof(*reg));
	if (tl > SB_REG_TOKEN_MAX || n_slots == 0 || rate == 0 || window_s == 0)
		return -EINVAL;
	reg->slots = calloc(n_slots, sizeof(reg->slots[0]));
	if (reg->slots == NULL)
		return -ENOMEM;
	reg->n_slots = n_slots;
	reg->enabled = enabled;
	reg->rate = rate;
	reg->window_s = window_s;
	reg->iterations = iterations;
	reg->token_len = tl;
	memcpy(reg->token, token, tl);
	pthread_mutex_init(&reg->lock, NULL);
	return 0;
}

void sb_reg_fini(struct sb_reg *reg)
{
	if (reg->slots == NULL)
		return;
	pthread_mutex_destroy(&reg->lock);
	free(reg->slots);
	OPENSSL_cleanse(reg->token, sizeof(reg->token));
	reg->slots = NULL;
}

/* The slot of addr, else a free or expired one (linear probing from the
 * address's hash, bounded by the table); NULL when all are in use. */
static struct sb_reg_slot *reg_slot(struct sb_reg *reg, uint32_t addr, uint64_t now_s)
{
	uint32_t h = (uint32_t)((addr * 2654435761u) % reg->n_slots);
	struct sb_reg_slot *spare = NULL;

	for (uint32_t i = 0; i < reg->n_slots; i++) {
		struct sb_reg_slot *s = &reg->slots[(h + i) % reg->n_slots];
		bool expired = s->count == 0 || now_s - s->window_start_s >= reg->window_s ||
			       now_s < s->window_start_s;

		if (s->count != 0 && s->addr == addr)
			return s;
		if (expired && spare == NULL)
			spare = s;
		if (s->count == 0 && s->addr == 0)
			break; /* never used: addr cannot be further along */
	}
	if (spare != NULL) {
		spare->addr = addr;
		spare->count = 0;
		spare->window_start_s = now_s;
	}
	return spare;
}

int sb_reg_rate(struct sb_reg *reg, uint32_t addr, uint64_t now_s)
{
	struct sb_reg_slot *s;
	int rc = 0;

	pthread_mutex_lock(&reg->lock);
	s = reg_slot(reg, addr, now_s);
	if (s == NULL) {
		reg->table_full++;
		rc = -EAGAIN;
	} else {
		if (now_s - s->window_start_s >= reg->window_s || now_s < s->window_start_s) {
			s->window_start_s = now_s;
			s->count = 0;
		}
		if (s->count >= reg->rate) {
			reg->rate_limited++;
			rc = -EBUSY;
		} else {
			s->count++;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

bool sb_reg_token_ok(const struct sb_reg *reg, const char *token, size_t len)
{
	if (reg->token_len == 0)
		return true;
	/* The length may show; the bytes may not (CRYPTO_memcmp's time does
	 * not depend on where they differ). */
	return len == reg->token_len && CRYPTO_memcmp(token, reg->token, len) == 0;
}

/* A store result as the status the dataplane maps to a stanza error. */
static int reg_store_status(int rc)
{
	switch (rc) {
	case 0:
		return SB_MSG_REG_OK;
	case -EEXIST:
		return SB_MSG_REG_EXISTS;
	case -EINVAL:
	case -EILSEQ:
	case -EMSGSIZE:
		return SB_MSG_REG_BAD_PASSWORD;
	default:
		return rc < 0 ? rc : -EIO;
	}
}

static int reg_create(struct sb_reg *reg, struct sb_store *store, const struct sb_msg *m,
		      const struct sb_jid *user, const char *pass, size_t pass_len, uint64_t now_s)
{
	const struct sb_msg_register *q = (const struct sb_msg_register *)m->payload;
	const char *token = q->data + q->user_len + q->pass_len;
	size_t bare_len;
	const char *bare = sb_jid_bare(user, &bare_len);
	int rc = sb_reg_rate(reg, q->addr, now_s);

	if (rc == -EBUSY)
		return SB_MSG_REG_RATE;
	if (rc < 0)
		return SB_MSG_REG_BUSY;
	if (!sb_reg_token_ok(reg, token, q->token_len))
		return SB_MSG_REG_TOKEN;
	/* No PBKDF2 for a name that is taken. */
	rc = sb_store_user_exists(store, bare, bare_len);
	if (rc != 0)
		return rc > 0 ? SB_MSG_REG_EXISTS : rc;
	return reg_store_status(sb_store_user_add(store, user, pass, pass_len, reg->iterations,
						  now_s));
}

int sb_reg_work(struct sb_reg *reg, struct sb_store *store, struct sb_msg *m, uint64_t now_s)
{
	struct sb_msg_register *q = (struct sb_msg_register *)m->payload;
	char *pass = q->data + q->user_len;
	struct sb_jid user;
	int rc;

	if (store == NULL) {
		rc = -EIO;
	} else if (sb_jid_parse(&user, q->data, q->user_len) < 0 || user.local_len == 0 ||
		   user.resource_len != 0) {
		rc = -EINVAL;
	} else if (q->op == SB_MSG_REG_CREATE) {
		rc = reg_create(reg, store, m, &user, pass, q->pass_len, now_s);
	} else if (q->op == SB_MSG_REG_PASSWD) {
		rc = reg_store_status(sb_store_user_passwd(store, &user, pass, q->pass_len,
							   reg->iterations, now_s));
	} else {
		rc = sb_store_user_del(store, &user);
	}
	OPENSSL_cleanse(pass, q->pass_len);
	q->pass_len = 0;
	return rc;
}

void sb_router_register_reply(struct sb_shard *sh, struct sb_msg *m, int rc)
{
	struct sb_router *r = &sh->router;
	const struct sb_msg_register *q = (const struct sb_msg_register *)m->payload;

	switch (rc) {
	case SB_MSG_REG_OK:
		if (q->op == SB_MSG_REG_CREATE)
			SB_ROUTE_INC(r, reg_created);
		else if (q->op == SB_MSG_REG_PASSWD)
			SB_ROUTE_INC(r, reg_passwd);
		else
			SB_ROUTE_INC(r, reg_removed);
		break;
	case SB_MSG_REG_EXISTS: SB_ROUTE_INC(r, reg_conflict); break;
	case SB_MSG_REG_RATE: SB_ROUTE_INC(r, reg_rate_limited); break;
	case SB_MSG_REG_BUSY: SB_ROUTE_INC(r, reg_busy); break;
	case SB_MSG_REG_TOKEN: SB_ROUTE_INC(r, reg_token_refused); break;
	case SB_MSG_REG_BAD_PASSWORD: SB_ROUTE_INC(r, reg_bad_password); break;
	case SB_MSG_REG_DISABLED: SB_ROUTE_INC(r, reg_disabled); break;
	default: SB_ROUTE_INC(r, reg_failed); break;
	}
	/* XEP-0077 §3.2: the account is gone; its other sessions end as on
	 * sbctl user del. §3.3: a new password ends the sessions opened with
	 * the old one (RFC 6120 §4.9.3.16 reset), as sbctl user passwd does.
	 * The connection that asked is spared: it gets the answer (and after
	 * a removal closes itself). */
	if (rc == SB_MSG_REG_OK && q->op != SB_MSG_REG_CREATE &&
	    sb_router_kick_post_except(r, q->data, q->user_len,
				       q->op == SB_MSG_REG_REMOVE ? SB_MSG_KICK_ACCOUNT_DELETED
								  : SB_MSG_KICK_PASSWORD_CHANGED,
				       m) < 0)
		SB_ROUTE_INC(r, reg_failed);
	m->kind = SB_MSG_REGISTER_RESP;
	m->status = (int16_t)rc;
	m->len = m->total_len = 0;
	sb_router_send(sh, m->worker, m);
}

void sb_router_register(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_register *q = (struct sb_msg_register *)m->payload;

	if (m->len < sizeof(*q) || m->next != NULL ||
	    sizeof(*q) + (size_t)q->user_len + q->pass_len + q->token_len > m->len ||
	    q->op >= SB_MSG_REG_OP_MAX) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	if (r->reg == NULL || !r->reg->enabled) {
		/* The dataplane refuses first; this side holds the same line
		 * should the two configurations ever differ. */
		OPENSSL_cleanse(q->data + q->user_len, q->pass_len);
		sb_router_register_reply(sh, m, SB_MSG_REG_DISABLED);
		return;
	}
	if (r->auth != NULL && sb_auth_pool_submit(r->auth, sh, m) == 0)
		return; /* sb_router_auth_done() sends the answer */
	sb_router_register_reply(sh, m, sb_reg_work(r->reg, r->store, m, (uint64_t)time(NULL)));
}
