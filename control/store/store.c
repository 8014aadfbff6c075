/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The backend-independent half of the account store: key checks, the
 * account record codec, credential derivation for new accounts and password
 * changes, and the counters. Backends only move bytes (store.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* The management thread (sbctl) and the shard threads (logins) share one
 * store: counters are bumped atomically so none is lost between them. */
#define STORE_INC(st, name) __atomic_fetch_add(&(st)->ctr.name, 1, __ATOMIC_RELAXED)

static const char *const store_ctr_names[SB_STORE_CTR_MAX] = {
#define SB_CTR(name, help) #name,
#include "store_counters.def"
#undef SB_CTR
};

const char *sb_store_ctr_name(enum sb_store_ctr c)
{
	return c < SB_STORE_CTR_MAX ? store_ctr_names[c] : "?";
}

uint64_t sb_store_ctr_value(const struct sb_store_counters *ctr, enum sb_store_ctr c)
{
	const uint64_t *v = (const uint64_t *)ctr;

	_Static_assert(sizeof(struct sb_store_counters) == SB_STORE_CTR_MAX * sizeof(uint64_t),
		       "counters must be a plain array of uint64_t");
	return c < SB_STORE_CTR_MAX ? v[c] : 0;
}

static void store_put_be64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t store_get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

const struct sb_scram_creds *sb_store_account_creds(const struct sb_store_account *acct,
						    enum sb_scram_mech mech)
{
	for (unsigned i = 0; i < acct->n_creds && i < SB_SCRAM_MECH_MAX; i++)
		if (acct->creds[i].mech == mech)
			return &acct->creds[i];
	return NULL;
}

/* True if the n first credentials name distinct, known mechanisms. */
static bool store_mechs_distinct(const struct sb_store_account *acct, unsigned n)
{
	unsigned seen = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned m = acct->creds[i].mech;

		if (m >= SB_SCRAM_MECH_MAX || (seen & (1u << m)))
			return false;
		seen |= 1u << m;
	}
	return true;
}

/* Header: version, n_creds, 6 zero octets, created_s and changed_s (big
 * endian), then the credential records. */
int sb_store_account_pack(const struct sb_store_account *acct,
			  uint8_t rec[SB_STORE_ACCOUNT_REC_MAX])
{
	unsigned n = acct->n_creds;

	if (n == 0 || n > SB_SCRAM_MECH_MAX || !store_mechs_distinct(acct, n))
		return -EINVAL;
	memset(rec, 0, SB_STORE_ACCOUNT_HDR_LEN);
	rec[0] = SB_STORE_ACCOUNT_VERSION;
	rec[1] = (uint8_t)n;
	store_put_be64(rec + 8, acct->created_s);
	store_put_be64(rec + 16, acct->changed_s);
	for (unsigned i = 0; i < n; i++)
		sb_scram_credentials_pack(&acct->creds[i], rec + SB_STORE_ACCOUNT_HDR_LEN +
							   i * SB_SCRAM_CREDS_RECORD_LEN);
	return (int)(SB_STORE_ACCOUNT_HDR_LEN + n * SB_SCRAM_CREDS_RECORD_LEN);
}

int sb_store_account_unpack(struct sb_store_account *acct, const uint8_t *rec, size_t len)
{
	unsigned n;

	memset(acct, 0, sizeof(*acct));
	if (len < SB_STORE_ACCOUNT_HDR_LEN || rec[0] != SB_STORE_ACCOUNT_VERSION)
		return -EBADMSG;
	n = rec[1];
	if (n == 0 || n > SB_SCRAM_MECH_MAX ||
	    len != SB_STORE_ACCOUNT_HDR_LEN + n * SB_SCRAM_CREDS_RECORD_LEN)
		return -EBADMSG;
	for (unsigned i = 2; i < 8; i++)
		if (rec[i] != 0)
			return -EBADMSG;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *r = rec + SB_STORE_ACCOUNT_HDR_LEN + i * SB_SCRAM_CREDS_RECORD_LEN;

		if (sb_scram_credentials_unpack(&acct->creds[i], r, SB_SCRAM_CREDS_RECORD_LEN) < 0)
			return -EBADMSG;
	}
	if (!store_mechs_distinct(acct, n))
		return -EBADMSG;
	acct->n_creds = (uint8_t)n;
	acct->created_s = store_get_be64(rec + 8);
	acct->changed_s = store_get_be64(rec + 16);
	return 0;
}

/* A key the store accepts: bare, with a localpart, short enough. */
static int store_check_user(struct sb_store *st, const struct sb_jid *user)
{
	size_t len;

	if (user->local_len == 0 || user->resource_len != 0) {
		STORE_INC(st, bad_jid);
		return -EINVAL;
	}
	sb_jid_bare(user, &len);
	if (len > SB_STORE_KEY_MAX) {
		STORE_INC(st, key_too_long);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Count a backend failure by kind and pass it on. */
static int store_backend_err(struct sb_store *st, int rc)
{
	if (rc == -EEXIST)
		STORE_INC(st, acct_exists);
	else if (rc == -ENOENT)
		STORE_INC(st, acct_missing);
	else if (rc == -ENOSPC)
		STORE_INC(st, store_full);
	else if (rc == -EBADMSG)
		STORE_INC(st, bad_record);
	else
		STORE_INC(st, store_errors);
	return rc;
}

/* Derive credentials for every mechanism into a packed record. The SASLprep'd
 * password and SaltedPassword live only inside lib/scram, which wipes them. */
static int store_derive(struct sb_store *st, const char *password, size_t len,
			uint32_t iterations, uint64_t created_s, uint64_t now_s,
			uint8_t rec[SB_STORE_ACCOUNT_REC_MAX])
{
	struct sb_store_account acct = { .created_s = created_s, .changed_s = now_s };
	int rc = 0;

	if (iterations < SB_SCRAM_ITER_MIN || iterations > SB_SCRAM_ITER_MAX)
		return -EINVAL;
	for (unsigned m = 0; m < SB_SCRAM_MECH_MAX && rc == 0; m++)
		rc = sb_scram_credentials_new((enum sb_scram_mech)m, password, len, iterations,
					      &acct.creds[m]);
	if (rc == 0) {
		acct.n_creds = SB_SCRAM_MECH_MAX;
		rc = sb_store_account_pack(&acct, rec);
	} else if (rc != -EIO) {
		STORE_INC(st, bad_password);
		/* -ENOSPC is kept for a full store: say "too long" for a password. */
		if (rc == -ENOSPC)
			rc = -EMSGSIZE;
	}
	explicit_bzero(&acct, sizeof(acct));
	return rc;
}

int sb_store_user_add(struct sb_store *st, const struct sb_jid *user, const char *password,
		      size_t len, uint32_t iterations, uint64_t now_s)
{
	uint8_t rec[SB_STORE_ACCOUNT_REC_MAX];
	int rc, n;

	rc = store_check_user(st, user);
	if (rc < 0)
		return rc;
	n = store_derive(st, password, len, iterations, now_s, now_s, rec);
	if (n < 0)
		return n;
	rc = st->ops->put(st->impl, user, rec, (size_t)n);
	explicit_bzero(rec, sizeof(rec));
	if (rc < 0)
		return store_backend_err(st, rc);
	STORE_INC(st, acct_added);
	return 0;
}

int sb_store_user_passwd(struct sb_store *st, const struct sb_jid *user, const char *password,
			 size_t len, uint32_t iterations, uint64_t now_s)
{
	uint8_t rec[SB_STORE_ACCOUNT_REC_MAX];
	struct sb_store_account old;
	int rc, n;

	rc = sb_store_user_get(st, user, &old);
	if (rc < 0)
		return rc;
	n = store_derive(st, password, len, iterations, old.created_s, now_s, rec);
	explicit_bzero(&old, sizeof(old));
	if (n < 0)
		return n;
	rc = st->ops->replace(st->impl, user, rec, (size_t)n);
	explicit_bzero(rec, sizeof(rec));
	if (rc < 0)
		return store_backend_err(st, rc);
	STORE_INC(st, acct_changed);
	return 0;
}

int sb_store_user_del(struct sb_store *st, const struct sb_jid *user)
{
	int rc = store_check_user(st, user);

	if (rc < 0)
		return rc;
	rc = st->ops->del(st->impl, user);
	if (rc < 0)
		return store_backend_err(st, rc);
	STORE_INC(st, acct_deleted);
	return 0;
}

int sb_store_user_get(struct sb_store *st, const struct sb_jid *user,
		      struct sb_store_account *out)
{
	uint8_t rec[SB_STORE_ACCOUNT_REC_MAX];
	size_t len = 0;
	int rc = store_check_user(st, user);

	if (rc < 0)
		return rc;
	rc = st->ops->get(st->impl, user, rec, sizeof(rec), &len);
	if (rc == 0)
		rc = sb_store_account_unpack(out, rec, len);
	explicit_bzero(rec, sizeof(rec));
	if (rc < 0)
		return store_backend_err(st, rc);
	STORE_INC(st, acct_read);
	return 0;
}

/* RFC 5802 §9: the same salt for the same name on every attempt, from one
 * secret for the whole deployment, in the shape of a real record. */
static int store_fake(struct sb_store *st, const char *bare, size_t len, enum sb_scram_mech mech,
		      struct sb_scram_creds *out)
{
	int rc = sb_scram_credentials_fake(mech, st->fake_secret, sizeof(st->fake_secret), bare,
					   len, out);

	if (rc < 0)
		return rc;
	out->iterations = st->fake_iterations >= SB_SCRAM_ITER_MIN &&
					  st->fake_iterations <= SB_SCRAM_ITER_MAX
				  ? st->fake_iterations
				  : SB_SCRAM_ITER_MIN;
	STORE_INC(st, fake_creds);
	return 0;
}

/* The stored credentials of the first of mechs[0..n) the account has, or
 * NULL (no account, or none of them). acct is the caller's scratch. */
static const struct sb_scram_creds *store_find(struct sb_store *st, const char *bare, size_t len,
					       const enum sb_scram_mech *mechs, unsigned n,
					       struct sb_store_account *acct)
{
	const struct sb_scram_creds *c = NULL;
	struct sb_jid user;

	memset(acct, 0, sizeof(*acct));
	if (sb_jid_parse(&user, bare, len) < 0 || sb_store_user_get(st, &user, acct) < 0)
		return NULL;
	for (unsigned i = 0; i < n && c == NULL; i++)
		c = sb_store_account_creds(acct, mechs[i]);
	return c;
}

int sb_store_user_creds(struct sb_store *st, const char *bare, size_t len,
			enum sb_scram_mech mech, struct sb_scram_creds *out)
{
	struct sb_store_account acct;
	const struct sb_scram_creds *c = store_find(st, bare, len, &mech, 1, &acct);
	int rc = 0;

	if (c != NULL)
		*out = *c;
	else
		rc = store_fake(st, bare, len, mech, out) == 0 ? 1 : -EIO;
	explicit_bzero(&acct, sizeof(acct));
	return rc;
}

int sb_store_plain_check(struct sb_store *st, const char *bare, size_t len, const char *pass,
			 size_t pass_len)
{
	/* Every account has SCRAM-SHA-256 (store_derive), so a fake of that
	 * mechanism costs what checking a real account costs. */
	static const enum sb_scram_mech pref[] = { SB_SCRAM_SHA256, SB_SCRAM_SHA1 };
	struct sb_store_account acct;
	const struct sb_scram_creds *c = store_find(st, bare, len, pref, 2, &acct);
	struct sb_scram_creds fake;
	enum sb_scram_result r = SB_SCRAM_ERR_CREDS;

	if (c != NULL || store_fake(st, bare, len, SB_SCRAM_SHA256, &fake) == 0)
		r = sb_scram_plain_verify(c != NULL ? c : &fake, pass, pass_len);
	if (r == SB_SCRAM_OK || r == SB_SCRAM_ERR_PROOF)
		STORE_INC(st, plain_derived);
	if (c == NULL)
		r = SB_SCRAM_ERR_PROOF; /* random keys never match; never let a fake pass */
	explicit_bzero(&acct, sizeof(acct));
	explicit_bzero(&fake, sizeof(fake));
	return r == SB_SCRAM_OK ? 0 : -EACCES;
}

int sb_store_user_exists(struct sb_store *st, const char *bare, size_t len)
{
	struct sb_jid *user = malloc(sizeof(*user));
	uint8_t rec[SB_STORE_ACCOUNT_REC_MAX];
	size_t rl;
	int rc;

	if (user == NULL)
		return -ENOMEM;
	if (sb_jid_parse(user, bare, len) < 0 || user->local_len == 0 || user->resource_len != 0) {
		free(user);
		return 0;
	}
	rc = st->ops->get(st->impl, user, rec, sizeof(rec), &rl);
	free(user);
	if (rc == -ENOENT)
		return 0;
	return rc == 0 ? 1 : rc;
}

int sb_store_user_list(struct sb_store *st, unsigned max, sb_store_list_fn fn, void *arg)
{
	int rc = st->ops->list(st->impl, max, fn, arg);

	return rc < 0 ? store_backend_err(st, rc) : rc;
}

int sb_store_user_count(struct sb_store *st, uint64_t *n)
{
	int rc = st->ops->count(st->impl, n);

	return rc < 0 ? store_backend_err(st, rc) : 0;
}

int sb_store_shard_info(struct sb_store *st, unsigned shard, struct sb_store_shard_info *out)
{
	int rc;

	if (shard >= st->n_shards)
		return -EINVAL;
	rc = st->ops->shard_info(st->impl, shard, out);
	return rc < 0 ? store_backend_err(st, rc) : 0;
}

void sb_store_close(struct sb_store *st)
{
	if (st->ops != NULL && st->impl != NULL)
		st->ops->close(st->impl);
	explicit_bzero(st, sizeof(*st));
}
