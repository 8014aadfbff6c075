/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The storage interface of sb-control (DESIGN.md "Storage and cluster": the
 * storage layer is an interface, so a multi-node deployment can put users on
 * an existing distributed database instead of the embedded LMDB). A backend
 * fills struct sb_store with its operations table and an opaque handle; the
 * rest of sb-control calls only the sb_store_* functions below, which check
 * keys, encode and decode account records and keep the counters, so every
 * backend stores the same bytes under the same keys and obeys the same
 * limits.
 *
 * Data model. A user belongs to control shard sb_jid_bare_hash(bare) % M (M =
 * control.shards); the key of an account is its normalised bare JID
 * "local@domain" (lib/jid), at most SB_STORE_KEY_MAX octets. The value is an
 * account record: a 24-byte header (version, credential count, created and
 * changed times) followed by one lib/scram credential record per mechanism
 * (README.md has the byte layout). A password is never stored: only salt,
 * iteration count, StoredKey and ServerKey (RFC 5802 §3). This interface
 * never sees a password either, except in sb_store_user_add() and
 * sb_store_user_passwd(), which derive the credentials and wipe what they
 * derived them from.
 *
 * Threading: the backend decides. The LMDB one takes writes from one thread
 * (sb-control's management thread) and reads from any thread (shards and
 * PLAIN threads look credentials up), each read its own transaction;
 * counters are bumped atomically.
 */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jid.h"
#include "scram.h"

/* LMDB's compiled-in key limit (mdb_env_get_maxkeysize()), imposed on every
 * backend so that an account can move between them. */
#define SB_STORE_KEY_MAX 511u
#define SB_STORE_SHARDS_MAX 64u

/* The deployment's fake-credential secret (RFC 5802 §9): drawn once from the
 * CSPRNG when the store is created and kept with it, so an unknown user's
 * fake salt is the same on every connection, worker and restart. */
#define SB_STORE_SECRET_LEN 32u

/* Account record: header, then n_creds lib/scram records. */
#define SB_STORE_ACCOUNT_VERSION 1u
#define SB_STORE_ACCOUNT_HDR_LEN 24u
#define SB_STORE_ACCOUNT_REC_MAX \
	(SB_STORE_ACCOUNT_HDR_LEN + SB_SCRAM_MECH_MAX * SB_SCRAM_CREDS_RECORD_LEN)

/* One account, decoded. creds[i] for i < n_creds, each of another mechanism. */
struct sb_store_account {
	uint64_t created_s;   /* wall clock, seconds since the epoch */
	uint64_t changed_s;   /* last password change (== created_s at first) */
	uint8_t n_creds;
	struct sb_scram_creds creds[SB_SCRAM_MECH_MAX];
};

/* Counters of the generic layer; single writer (the caller's thread). */
struct sb_store_counters {
#define SB_CTR(name, help) uint64_t name;
#include "store_counters.def"
#undef SB_CTR
};

/* Space and occupancy of one shard's part of the store. */
struct sb_store_shard_info {
	uint64_t accounts;
	uint64_t used_bytes;  /* pages in use, as the backend counts them */
	uint64_t map_bytes;   /* the most the shard may hold */
};

/* Called once per account by list, in the backend's order (the LMDB backend:
 * shard by shard, keys in byte order). bare[0..len) is the key, valid only
 * during the call. Return 0 to continue, anything else to stop. */
typedef int (*sb_store_list_fn)(void *arg, const char *bare, size_t len);

/* The kinds of IM records (store_im.h), each its own keyspace. */
enum sb_store_kind {
	SB_STORE_ROSTER,  /* bare JID -> the user's roster record */
	SB_STORE_SUBREQ,  /* bare JID, 0, contact -> a pending inbound subscription request */
	SB_STORE_OFFLINE, /* bare JID, 0, be64 seq -> an offline message */
	SB_STORE_BLOCK,   /* bare JID -> the user's block list (XEP-0191, store_udata.h) */
	SB_STORE_VCARD,   /* bare JID -> the user's vCard element (XEP-0054) */
	SB_STORE_PRIVATE, /* bare JID, 0, namespace -> a private XML element (XEP-0049) */
	SB_STORE_MAM,     /* bare JID, 0, be64 ord -> an archived message (store_mam.h) */
	SB_STORE_MAM_WITH, /* bare JID, 0, peer's bare JID, 0, be64 ord -> the peer's full JID */
	SB_STORE_PUSH,    /* bare JID -> the user's push registrations (XEP-0357, im_push.c) */
	SB_STORE_PEP,     /* bare JID, 0, node -> a PEP node: config and items (store_pep.h) */
	SB_STORE_KIND_MAX,
};

/* One put (val != NULL) or delete (val == NULL) of a kv_write batch. */
struct sb_store_op {
	enum sb_store_kind kind;
	const void *key;
	size_t klen;
	const void *val;
	size_t vlen;
};

/* A record handed to a kv_get/kv_scan visitor; 0 to go on, else stop. */
typedef int (*sb_store_kv_fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
			      size_t vlen);

/* What a backend implements. user is a normalised bare JID with a localpart
 * whose bare length the generic layer has checked against SB_STORE_KEY_MAX.
 * Every operation returns 0 or a negative errno: -EEXIST (put of an existing
 * key), -ENOENT (replace, del or get of a missing key), -ENOSPC (the store
 * is full), -EBADMSG (a stored value longer than cap), -EIO (corruption or a
 * failed write), others as documented by the backend. */
struct sb_store_ops {
	const char *name;
	int (*put)(void *impl, const struct sb_jid *user, const uint8_t *val, size_t len);
	int (*replace)(void *impl, const struct sb_jid *user, const uint8_t *val, size_t len);
	int (*del)(void *impl, const struct sb_jid *user);
	int (*get)(void *impl, const struct sb_jid *user, uint8_t *val, size_t cap,
		   size_t *len);
	/* Visit at most max accounts; returns how many were visited. */
	int (*list)(void *impl, unsigned max, sb_store_list_fn fn, void *arg);
	int (*count)(void *impl, uint64_t *n);
	int (*shard_info)(void *impl, unsigned shard, struct sb_store_shard_info *out);
	void (*close)(void *impl);
	/* The IM data (store_im.h), as key/value records of a kind in the
	 * shard that owns the user. kv_write applies n puts and deletes in
	 * one atomic transaction and returns only once it is durable (a
	 * delete of a missing key is not an error); kv_get and kv_scan call
	 * fn with bytes valid only during the call; kv_scan visits keys
	 * starting with prefix in byte order, at most max, and returns how
	 * many it visited; kv_stats counts a kind's records and their bytes. */
	int (*kv_write)(void *impl, unsigned shard, const struct sb_store_op *ops, unsigned n);
	int (*kv_get)(void *impl, unsigned shard, enum sb_store_kind kind, const void *key,
		      size_t klen, sb_store_kv_fn fn, void *arg);
	int (*kv_scan)(void *impl, unsigned shard, enum sb_store_kind kind, const void *prefix,
		       size_t plen, unsigned max, sb_store_kv_fn fn, void *arg);
	int (*kv_stats)(void *impl, unsigned shard, enum sb_store_kind kind, uint64_t *items,
			uint64_t *bytes);
	/* Visit the keys k with lo <= k <= hi (byte order), ascending or,
	 * with reverse, descending; at most max; returns how many. */
	int (*kv_range)(void *impl, unsigned shard, enum sb_store_kind kind, const void *lo,
			size_t lo_len, const void *hi, size_t hi_len, bool reverse, unsigned max,
			sb_store_kv_fn fn, void *arg);
};

struct sb_store {
	const struct sb_store_ops *ops;
	void *impl;
	unsigned n_shards;
	/* Iteration count of the fake credentials: the caller sets it to
	 * auth.scram_iterations, the count new accounts get, so a fake looks
	 * like a real account (SB_SCRAM_ITER_MIN until then). */
	uint32_t fake_iterations;
	/* Filled by the backend at open from what it persists (see
	 * SB_STORE_SECRET_LEN); never leaves sb-control. */
	uint8_t fake_secret[SB_STORE_SECRET_LEN];
	struct sb_store_counters ctr;
};

/* The control shard that owns user (DESIGN.md: hash % M). */
static inline unsigned sb_store_shard_of(unsigned n_shards, const struct sb_jid *user)
{
	return (unsigned)(sb_jid_bare_hash(user) % n_shards);
}

/* Create an account: derive SCRAM-SHA-1 and SCRAM-SHA-256 credentials from
 * password[0..len) (SASLprep'd, stored-string rules; a fresh CSPRNG salt per
 * mechanism; iterations PBKDF2 rounds) and store them with created = changed
 * = now_s. Returns 0, -EEXIST, -EINVAL (user not a bare JID with a
 * localpart, bad iterations, or an empty password after SASLprep), -EILSEQ
 * (SASLprep refused the password), -EMSGSIZE (password longer than
 * SB_SCRAM_PASS_MAX before or after SASLprep), -ENOSPC (the store is full),
 * -ENAMETOOLONG (key longer than SB_STORE_KEY_MAX), or a backend error. */
int sb_store_user_add(struct sb_store *st, const struct sb_jid *user, const char *password,
		      size_t len, uint32_t iterations, uint64_t now_s);

/* Replace an existing account's credentials (new salts), keeping its created
 * time; changed = now_s. Errors as sb_store_user_add(), -ENOENT for a
 * missing account instead of -EEXIST. */
int sb_store_user_passwd(struct sb_store *st, const struct sb_jid *user, const char *password,
			 size_t len, uint32_t iterations, uint64_t now_s);

/* Delete an account. 0, -ENOENT, -EINVAL, -ENAMETOOLONG or a backend error. */
int sb_store_user_del(struct sb_store *st, const struct sb_jid *user);

/* Read and validate an account. 0, -ENOENT, -EBADMSG (the stored record does
 * not decode: counted as bad_record), -EINVAL, -ENAMETOOLONG or a backend
 * error. */
int sb_store_user_get(struct sb_store *st, const struct sb_jid *user,
		      struct sb_store_account *out);

/* Whether an account exists for the bare JID bare[0..len): 1, 0, or a
 * negative errno (the store failed). Any thread. */
int sb_store_user_exists(struct sb_store *st, const char *bare, size_t len);

/* Credentials of mech for the bare JID bare[0..len) as a login sees them:
 * the stored ones, or for an unknown user (or an account without mech)
 * stand-ins from sb_scram_credentials_fake() keyed by the deployment
 * secret, with SB_SCRAM_SALT_DEFAULT bytes of salt and fake_iterations
 * rounds, the shape of a real account. Returns 0 (stored), 1 (fake, counted
 * as fake_creds) or -EIO/-EINVAL if not even a fake could be built. Any
 * thread. */
int sb_store_user_creds(struct sb_store *st, const char *bare, size_t len,
			enum sb_scram_mech mech, struct sb_scram_creds *out);

/* Check a PLAIN password for bare[0..len) with the same work whether the
 * user exists or not: one PBKDF2 derivation against the stored SCRAM-SHA-256
 * credentials (SCRAM-SHA-1 if there are none), or against fake ones of the
 * same shape for an unknown user, so the answer's timing does not tell
 * (counted as plain_derived). Returns 0 or -EACCES. Any thread. */
int sb_store_plain_check(struct sb_store *st, const char *bare, size_t len, const char *pass,
			 size_t pass_len);

/* Visit at most max accounts (see sb_store_list_fn). Returns the number
 * visited or a negative errno. */
int sb_store_user_list(struct sb_store *st, unsigned max, sb_store_list_fn fn, void *arg);

/* Number of accounts in all shards. */
int sb_store_user_count(struct sb_store *st, uint64_t *n);

/* Occupancy of shard (< st->n_shards); -EINVAL for another index. */
int sb_store_shard_info(struct sb_store *st, unsigned shard, struct sb_store_shard_info *out);

/* Close the backend; st is zeroed. Safe on a zeroed st. */
void sb_store_close(struct sb_store *st);

/* The credentials of mech in acct, or NULL if it has none. */
const struct sb_scram_creds *sb_store_account_creds(const struct sb_store_account *acct,
						    enum sb_scram_mech mech);

/* Encode acct into rec (n_creds 1..SB_SCRAM_MECH_MAX, distinct mechanisms).
 * Returns the record length or -EINVAL. */
int sb_store_account_pack(const struct sb_store_account *acct,
			  uint8_t rec[SB_STORE_ACCOUNT_REC_MAX]);

/* Decode and validate a record (version, count, zero fields, exact length,
 * each credential record, distinct mechanisms). 0 or -EBADMSG. */
int sb_store_account_unpack(struct sb_store_account *acct, const uint8_t *rec, size_t len);

/* Counter names and values in declaration order, for sbctl; n < SB_STORE_CTR_MAX. */
enum sb_store_ctr {
#define SB_CTR(name, help) SB_STORE_CTR_##name,
#include "store_counters.def"
#undef SB_CTR
	SB_STORE_CTR_MAX
};
const char *sb_store_ctr_name(enum sb_store_ctr c);
uint64_t sb_store_ctr_value(const struct sb_store_counters *ctr, enum sb_store_ctr c);

#endif
