/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The LMDB backend of the account store (store_lmdb.h): one environment per
 * control shard, the shard layout check, LMDB's error codes mapped to
 * negative errno, and the operations table of store.h. Every write is its
 * own synchronous transaction; reads use short read-only transactions.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "store_lmdb.h"

#define LMDB_LAYOUT_VERSION 1u
#define LMDB_LAYOUT_LEN 8u

static const char *const lmdb_kind_names[SB_STORE_KIND_MAX] = {
	[SB_STORE_ROSTER] = "roster",
	[SB_STORE_SUBREQ] = "subreq",
	[SB_STORE_OFFLINE] = "offline",
	[SB_STORE_BLOCK] = "block",
	[SB_STORE_VCARD] = "vcard",
	[SB_STORE_PRIVATE] = "private",
	[SB_STORE_MAM] = "mam",
	[SB_STORE_MAM_WITH] = "mam_with",
	[SB_STORE_PUSH] = "push",
	[SB_STORE_PEP] = "pep",
};

struct lmdb_shard {
	MDB_env *env;
	MDB_dbi accounts;
	MDB_dbi kind[SB_STORE_KIND_MAX];
};

struct lmdb_store {
	unsigned n_shards;
	uint8_t secret[SB_STORE_SECRET_LEN]; /* shard 0's meta "fake_secret" */
	struct lmdb_shard shard[];
};

/* LMDB's own codes as negative errno; its system errors are positive errno. */
static int lmdb_errno(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
		return -ENOSPC;
	case MDB_DBS_FULL:
	case MDB_READERS_FULL:
	case MDB_TLS_FULL:
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
	case MDB_PAGE_FULL:
		return -ENOBUFS;
	case MDB_MAP_RESIZED:
		return -EAGAIN;
	case MDB_PAGE_NOTFOUND:
	case MDB_CORRUPTED:
	case MDB_PANIC:
		return -EIO;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
		return -EPROTO;
	case MDB_BAD_VALSIZE:
		return -ENAMETOOLONG;
	case MDB_BAD_RSLOT:
	case MDB_BAD_TXN:
	case MDB_BAD_DBI:
		return -EINVAL;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

static void lmdb_why(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void lmdb_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* mkdir -p with mode 0700 for what it creates: the store holds StoredKey
 * and ServerKey, which allow an offline dictionary attack. */
static int lmdb_mkdirs(const char *path)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s", path);

	if (n <= 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static MDB_val lmdb_key(const struct sb_jid *user)
{
	size_t len;
	const char *bare = sb_jid_bare(user, &len);

	return (MDB_val){ .mv_size = len, .mv_data = (void *)(uintptr_t)bare };
}

static struct lmdb_shard *lmdb_shard_of(struct lmdb_store *l, const struct sb_jid *user)
{
	return &l->shard[sb_store_shard_of(l->n_shards, user)];
}

/* Check the layout record of a shard's environment, or write it into a
 * fresh one. */
static int lmdb_layout(MDB_txn *txn, MDB_dbi meta, unsigned j, unsigned n, char *why,
		       size_t why_len, const char *dir)
{
	uint8_t want[LMDB_LAYOUT_LEN] = { LMDB_LAYOUT_VERSION, 0, (uint8_t)(j >> 8), (uint8_t)j,
					  (uint8_t)(n >> 8), (uint8_t)n, 0, 0 };
	MDB_val k = { .mv_size = 6, .mv_data = (void *)(uintptr_t)"layout" };
	MDB_val v = { .mv_size = sizeof(want), .mv_data = want };
	const uint8_t *got;
	int rc = mdb_get(txn, meta, &k, &v);

	if (rc == MDB_NOTFOUND) {
		v = (MDB_val){ .mv_size = sizeof(want), .mv_data = want };
		rc = mdb_put(txn, meta, &k, &v, MDB_NOOVERWRITE);
	}
	if (rc != 0) {
		lmdb_why(why, why_len, "%s: layout record: %s", dir, mdb_strerror(rc));
		return lmdb_errno(rc);
	}
	got = v.mv_data;
	if (v.mv_size != LMDB_LAYOUT_LEN || got[0] != LMDB_LAYOUT_VERSION) {
		lmdb_why(why, why_len, "%s: unknown layout record (another store version?)", dir);
		return -EPROTO;
	}
	if (memcmp(got, want, sizeof(want)) != 0) {
		lmdb_why(why, why_len,
			 "%s was created as shard %u of %u; control.shards is %u: restore "
			 "control.shards or move the store away",
			 dir, (unsigned)got[2] << 8 | got[3], (unsigned)got[4] << 8 | got[5], n);
		return -EINVAL;
	}
	return 0;
}

/* The deployment's fake-credential secret (store.h), kept in shard 0's meta
 * database: read it, or draw and write it into a fresh store. It lives in
 * the same 0600 files as the keys it protects. */
static int lmdb_secret(MDB_txn *txn, MDB_dbi meta, uint8_t out[SB_STORE_SECRET_LEN],
		       char *why, size_t why_len, const char *dir)
{
	MDB_val k = { .mv_size = 11, .mv_data = (void *)(uintptr_t)"fake_secret" };
	MDB_val v;
	int rc = mdb_get(txn, meta, &k, &v);

	if (rc == MDB_NOTFOUND) {
		if (RAND_bytes(out, SB_STORE_SECRET_LEN) != 1) {
			lmdb_why(why, why_len, "%s: no randomness for the fake-credential secret",
				 dir);
			return -EIO;
		}
		v = (MDB_val){ .mv_size = SB_STORE_SECRET_LEN, .mv_data = out };
		rc = mdb_put(txn, meta, &k, &v, MDB_NOOVERWRITE);
		if (rc == 0)
			return 0;
	}
	if (rc != 0) {
		lmdb_why(why, why_len, "%s: fake_secret record: %s", dir, mdb_strerror(rc));
		return lmdb_errno(rc);
	}
	if (v.mv_size != SB_STORE_SECRET_LEN) {
		lmdb_why(why, why_len, "%s: fake_secret record of %zu bytes (another store version?)",
			 dir, v.mv_size);
		return -EPROTO;
	}
	memcpy(out, v.mv_data, SB_STORE_SECRET_LEN);
	return 0;
}

static int lmdb_open_dbs(struct lmdb_shard *sh, unsigned j, unsigned n, const char *dir,
			 uint8_t *secret, char *why, size_t why_len)
{
	MDB_txn *txn = NULL;
	MDB_dbi meta;
	int rc, err;

	rc = mdb_txn_begin(sh->env, NULL, 0, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "accounts", MDB_CREATE, &sh->accounts);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &meta);
	for (unsigned k = 0; rc == 0 && k < SB_STORE_KIND_MAX; k++)
		rc = mdb_dbi_open(txn, lmdb_kind_names[k], MDB_CREATE, &sh->kind[k]);
	if (rc != 0) {
		if (txn != NULL)
			mdb_txn_abort(txn);
		lmdb_why(why, why_len, "%s: opening the databases: %s", dir, mdb_strerror(rc));
		return lmdb_errno(rc);
	}
	err = lmdb_layout(txn, meta, j, n, why, why_len, dir);
	if (err == 0 && secret != NULL)
		err = lmdb_secret(txn, meta, secret, why, why_len, dir);
	if (err < 0) {
		mdb_txn_abort(txn);
		return err;
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		lmdb_why(why, why_len, "%s: first commit: %s", dir, mdb_strerror(rc));
		return lmdb_errno(rc);
	}
	return 0;
}

static int lmdb_open_shard(struct lmdb_shard *sh, const char *path, unsigned j, unsigned n,
			   uint64_t map_bytes, uint8_t *secret, char *why, size_t why_len)
{
	char dir[PATH_MAX];
	int dead = 0, rc, len;

	len = snprintf(dir, sizeof(dir), "%s/shard-%u", path, j);
	if (len <= 0 || (size_t)len >= sizeof(dir)) {
		lmdb_why(why, why_len, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	rc = lmdb_mkdirs(dir);
	if (rc < 0) {
		lmdb_why(why, why_len, "%s: cannot create: %s", dir, strerror(-rc));
		return rc;
	}
	rc = mdb_env_create(&sh->env);
	if (rc == 0)
		rc = mdb_env_set_mapsize(sh->env, (size_t)map_bytes);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(sh->env, 2 + SB_STORE_KIND_MAX);
	if (rc == 0)
		rc = mdb_env_open(sh->env, dir, 0, 0600);
	/* A kill -9'd sb-control leaves its reader slot in lock.mdb. */
	if (rc == 0)
		rc = mdb_reader_check(sh->env, &dead);
	if (rc != 0) {
		lmdb_why(why, why_len, "%s: %s", dir, mdb_strerror(rc));
		return lmdb_errno(rc);
	}
	return lmdb_open_dbs(sh, j, n, dir, secret, why, why_len);
}

static void lmdb_close(void *impl)
{
	struct lmdb_store *l = impl;

	for (unsigned j = 0; j < l->n_shards; j++)
		if (l->shard[j].env != NULL)
			mdb_env_close(l->shard[j].env);
	OPENSSL_cleanse(l->secret, sizeof(l->secret));
	free(l);
}

/* One write transaction: put with flags, or delete when val is NULL. */
static int lmdb_write(struct lmdb_shard *sh, MDB_val *k, MDB_val *v, unsigned flags,
		      bool must_exist)
{
	MDB_txn *txn;
	MDB_val old;
	int rc = mdb_txn_begin(sh->env, NULL, 0, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	if (must_exist && v != NULL)
		rc = mdb_get(txn, sh->accounts, k, &old);
	if (rc == 0)
		rc = v != NULL ? mdb_put(txn, sh->accounts, k, v, flags)
			       : mdb_del(txn, sh->accounts, k, NULL);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return lmdb_errno(rc);
	}
	return lmdb_errno(mdb_txn_commit(txn));
}

static int lmdb_put(void *impl, const struct sb_jid *user, const uint8_t *val, size_t len)
{
	MDB_val k = lmdb_key(user);
	MDB_val v = { .mv_size = len, .mv_data = (void *)(uintptr_t)val };

	return lmdb_write(lmdb_shard_of(impl, user), &k, &v, MDB_NOOVERWRITE, false);
}

static int lmdb_replace(void *impl, const struct sb_jid *user, const uint8_t *val, size_t len)
{
	MDB_val k = lmdb_key(user);
	MDB_val v = { .mv_size = len, .mv_data = (void *)(uintptr_t)val };

	return lmdb_write(lmdb_shard_of(impl, user), &k, &v, 0, true);
}

static int lmdb_del(void *impl, const struct sb_jid *user)
{
	MDB_val k = lmdb_key(user);

	return lmdb_write(lmdb_shard_of(impl, user), &k, NULL, 0, true);
}

static int lmdb_get(void *impl, const struct sb_jid *user, uint8_t *val, size_t cap,
		    size_t *len)
{
	struct lmdb_shard *sh = lmdb_shard_of(impl, user);
	MDB_val k = lmdb_key(user), v;
	MDB_txn *txn;
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	rc = mdb_get(txn, sh->accounts, &k, &v);
	if (rc == 0 && v.mv_size > cap) {
		mdb_txn_abort(txn);
		return -EBADMSG;
	}
	if (rc == 0) {
		memcpy(val, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	mdb_txn_abort(txn);
	return lmdb_errno(rc);
}

/* Visit at most max keys of one shard; *stop when fn asked to stop. Returns
 * the number visited or a negative errno. */
static int lmdb_list_shard(struct lmdb_shard *sh, unsigned max, sb_store_list_fn fn, void *arg,
			   bool *stop)
{
	MDB_cursor *cur = NULL;
	MDB_txn *txn;
	MDB_val k, v;
	unsigned n = 0;
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	rc = mdb_cursor_open(txn, sh->accounts, &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && n < max) {
		n++;
		if (fn(arg, k.mv_data, k.mv_size) != 0) {
			*stop = true;
			break;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? (int)n : lmdb_errno(rc);
}

static int lmdb_list(void *impl, unsigned max, sb_store_list_fn fn, void *arg)
{
	struct lmdb_store *l = impl;
	unsigned seen = 0;
	bool stop = false;

	for (unsigned j = 0; j < l->n_shards && seen < max && !stop; j++) {
		int n = lmdb_list_shard(&l->shard[j], max - seen, fn, arg, &stop);

		if (n < 0)
			return n;
		seen += (unsigned)n;
	}
	return (int)seen;
}

static int lmdb_entries(struct lmdb_shard *sh, uint64_t *n)
{
	MDB_txn *txn;
	MDB_stat s;
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	rc = mdb_stat(txn, sh->accounts, &s);
	mdb_txn_abort(txn);
	if (rc == 0)
		*n = s.ms_entries;
	return lmdb_errno(rc);
}

static int lmdb_count(void *impl, uint64_t *n)
{
	struct lmdb_store *l = impl;
	uint64_t total = 0;

	for (unsigned j = 0; j < l->n_shards; j++) {
		uint64_t e = 0;
		int rc = lmdb_entries(&l->shard[j], &e);

		if (rc < 0)
			return rc;
		total += e;
	}
	*n = total;
	return 0;
}

static int lmdb_shard_info(void *impl, unsigned shard, struct sb_store_shard_info *out)
{
	struct lmdb_store *l = impl;
	struct lmdb_shard *sh = &l->shard[shard];
	MDB_envinfo info;
	MDB_stat s;
	int rc;

	rc = lmdb_entries(sh, &out->accounts);
	if (rc < 0)
		return rc;
	rc = mdb_env_info(sh->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(sh->env, &s);
	if (rc != 0)
		return lmdb_errno(rc);
	out->map_bytes = info.me_mapsize;
	out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * s.ms_psize;
	return 0;
}

static int lmdb_kv_write(void *impl, unsigned shard, const struct sb_store_op *ops, unsigned n)
{
	struct lmdb_store *l = impl;
	struct lmdb_shard *sh = &l->shard[shard];
	MDB_txn *txn;
	int rc = mdb_txn_begin(sh->env, NULL, 0, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		MDB_val k = { .mv_size = ops[i].klen, .mv_data = (void *)(uintptr_t)ops[i].key };
		MDB_val v = { .mv_size = ops[i].vlen, .mv_data = (void *)(uintptr_t)ops[i].val };

		if (ops[i].val != NULL) {
			rc = mdb_put(txn, sh->kind[ops[i].kind], &k, &v, 0);
		} else {
			rc = mdb_del(txn, sh->kind[ops[i].kind], &k, NULL);
			rc = rc == MDB_NOTFOUND ? 0 : rc;
		}
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return lmdb_errno(rc);
	}
	/* The environment is opened without MDB_NOSYNC: commit returns after
	 * fsync. */
	return lmdb_errno(mdb_txn_commit(txn));
}

static int lmdb_kv_get(void *impl, unsigned shard, enum sb_store_kind kind, const void *key,
		       size_t klen, sb_store_kv_fn fn, void *arg)
{
	struct lmdb_store *l = impl;
	struct lmdb_shard *sh = &l->shard[shard];
	MDB_val k = { .mv_size = klen, .mv_data = (void *)(uintptr_t)key }, v;
	MDB_txn *txn;
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	rc = mdb_get(txn, sh->kind[kind], &k, &v);
	if (rc == 0)
		fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	return lmdb_errno(rc);
}

static int lmdb_kv_scan(void *impl, unsigned shard, enum sb_store_kind kind, const void *prefix,
			size_t plen, unsigned max, sb_store_kv_fn fn, void *arg)
{
	struct lmdb_store *l = impl;
	struct lmdb_shard *sh = &l->shard[shard];
	MDB_val k = { .mv_size = plen, .mv_data = (void *)(uintptr_t)prefix }, v;
	MDB_cursor *cur = NULL;
	MDB_txn *txn;
	unsigned n = 0;
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	rc = mdb_cursor_open(txn, sh->kind[kind], &cur);
	if (rc == 0)
		rc = plen > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
			      : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && n < max && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
		n++;
		if (fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? (int)n : lmdb_errno(rc);
}

static int lmdb_kv_stats(void *impl, unsigned shard, enum sb_store_kind kind, uint64_t *items,
			 uint64_t *bytes)
{
	struct lmdb_store *l = impl;
	struct lmdb_shard *sh = &l->shard[shard];
	MDB_txn *txn;
	MDB_stat s;
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	rc = mdb_stat(txn, sh->kind[kind], &s);
	mdb_txn_abort(txn);
	if (rc == 0) {
		*items = s.ms_entries;
		*bytes = (s.ms_branch_pages + s.ms_leaf_pages + s.ms_overflow_pages) *
			 (uint64_t)s.ms_psize;
	}
	return lmdb_errno(rc);
}

/* A byte-order compare of two keys, as LMDB's default order. */
static int lmdb_keycmp(const MDB_val *a, const void *b, size_t bl)
{
	size_t n = a->mv_size < bl ? a->mv_size : bl;
	int c = memcmp(a->mv_data, b, n);

	return c != 0 ? c : (a->mv_size > bl) - (a->mv_size < bl);
}

static int lmdb_kv_range(void *impl, unsigned shard, enum sb_store_kind kind, const void *lo,
			 size_t lo_len, const void *hi, size_t hi_len, bool reverse, unsigned max,
			 sb_store_kv_fn fn, void *arg)
{
	struct lmdb_store *l = impl;
	struct lmdb_shard *sh = &l->shard[shard];
	MDB_val k = { .mv_size = reverse ? hi_len : lo_len,
		      .mv_data = (void *)(uintptr_t)(reverse ? hi : lo) }, v;
	MDB_cursor *cur = NULL;
	MDB_txn *txn;
	unsigned n = 0;
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return lmdb_errno(rc);
	rc = mdb_cursor_open(txn, sh->kind[kind], &cur);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (reverse) {
		/* SET_RANGE lands on the first key >= hi: step back once
		 * unless it is hi itself; past the end, start at the last. */
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		else if (rc == 0 && lmdb_keycmp(&k, hi, hi_len) > 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	}
	while (rc == 0 && n < max && lmdb_keycmp(&k, lo, lo_len) >= 0 &&
	       lmdb_keycmp(&k, hi, hi_len) <= 0) {
		n++;
		if (fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_PREV : MDB_NEXT);
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? (int)n : lmdb_errno(rc);
}

static const struct sb_store_ops lmdb_ops = {
	.name = "lmdb",
	.put = lmdb_put,
	.replace = lmdb_replace,
	.del = lmdb_del,
	.get = lmdb_get,
	.list = lmdb_list,
	.count = lmdb_count,
	.shard_info = lmdb_shard_info,
	.close = lmdb_close,
	.kv_write = lmdb_kv_write,
	.kv_get = lmdb_kv_get,
	.kv_scan = lmdb_kv_scan,
	.kv_stats = lmdb_kv_stats,
	.kv_range = lmdb_kv_range,
};

int sb_store_lmdb_open(struct sb_store *st, const char *path, unsigned n_shards,
		       uint64_t map_bytes, char *why, size_t why_len)
{
	struct lmdb_store *l;
	int rc;

	memset(st, 0, sizeof(*st));
	lmdb_why(why, why_len, "no error");
	if (n_shards == 0 || n_shards > SB_STORE_SHARDS_MAX || map_bytes > SIZE_MAX) {
		lmdb_why(why, why_len, "%s: %u shards, map of %llu bytes: out of range", path,
			 n_shards, (unsigned long long)map_bytes);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l) + n_shards * sizeof(l->shard[0]));
	if (l == NULL) {
		lmdb_why(why, why_len, "%s: out of memory", path);
		return -ENOMEM;
	}
	l->n_shards = n_shards;
	for (unsigned j = 0; j < n_shards; j++) {
		rc = lmdb_open_shard(&l->shard[j], path, j, n_shards, map_bytes,
				     j == 0 ? l->secret : NULL, why, why_len);
		if (rc < 0) {
			lmdb_close(l);
			return rc;
		}
	}
	st->ops = &lmdb_ops;
	st->impl = l;
	st->n_shards = n_shards;
	st->fake_iterations = SB_SCRAM_ITER_MIN;
	memcpy(st->fake_secret, l->secret, sizeof(st->fake_secret));
	return 0;
}
