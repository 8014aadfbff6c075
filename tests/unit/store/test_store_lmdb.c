/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The account store over its LMDB backend, in a fresh temporary folder per
 * test: add, get, passwd, del, list, count; a duplicate add and a missing
 * user; persistence across close and reopen; shard placement by the bare
 * JID hash (checked by opening each shard's environment with LMDB
 * directly); the shard layout check; a full map; the record codec; and that
 * no password reaches the files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "store/store.h"
#include "store/store_lmdb.h"
#include "store_fx.h"
#include "tmpdir.h"

#define MAP_BYTES (4u << 20)
#define ITER SB_SCRAM_ITER_MIN

struct fx {
	char dir[SB_TEST_TMPDIR_MAX];
	struct sb_store st;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (sb_test_tmpdir_make(f->dir, "store-test") < 0)
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	store_fx_close(&f->st, f->dir);
	free(f);
	return 0;
}

static void fx_open(struct fx *f, unsigned shards, uint64_t map_bytes)
{
	char why[256];
	int rc = sb_store_lmdb_open(&f->st, f->dir, shards, map_bytes, why, sizeof(why));

	if (rc != 0)
		fail_msg("open %s: %d %s", f->dir, rc, why);
}

static struct sb_jid *jid(const char *s)
{
	static struct sb_jid j[4];
	static unsigned next;
	struct sb_jid *out = &j[next++ % 4];

	assert_int_equal(sb_jid_parse(out, s, strlen(s)), 0);
	return out;
}

static int add(struct fx *f, const char *user, const char *pw, uint64_t now_s)
{
	return sb_store_user_add(&f->st, jid(user), pw, strlen(pw), ITER, now_s);
}

/* The stored credentials of both mechanisms accept pw. */
static void assert_password(struct fx *f, const char *user, const char *pw, bool good)
{
	struct sb_store_account a;

	assert_int_equal(sb_store_user_get(&f->st, jid(user), &a), 0);
	assert_int_equal(a.n_creds, SB_SCRAM_MECH_MAX);
	for (unsigned m = 0; m < SB_SCRAM_MECH_MAX; m++) {
		const struct sb_scram_creds *c = sb_store_account_creds(&a, m);

		assert_non_null(c);
		assert_int_equal(c->iterations, ITER);
		assert_int_equal(c->salt_len, SB_SCRAM_SALT_DEFAULT);
		assert_int_equal(sb_scram_plain_verify(c, pw, strlen(pw)),
				 good ? SB_SCRAM_OK : SB_SCRAM_ERR_PROOF);
	}
}

static void test_add_get(void **state)
{
	struct fx *f = *state;
	struct sb_store_account a;
	const struct sb_scram_creds *c1, *c256;

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, "Alice@Example.COM", "pencil", 1700000000), 0);
	/* Case variants normalise to the same key. */
	assert_int_equal(sb_store_user_get(&f->st, jid("alice@example.com"), &a), 0);
	assert_int_equal(a.created_s, 1700000000);
	assert_int_equal(a.changed_s, 1700000000);
	c1 = sb_store_account_creds(&a, SB_SCRAM_SHA1);
	c256 = sb_store_account_creds(&a, SB_SCRAM_SHA256);
	assert_non_null(c1);
	assert_non_null(c256);
	/* A fresh salt per mechanism. */
	assert_memory_not_equal(c1->salt, c256->salt, SB_SCRAM_SALT_DEFAULT);
	assert_password(f, "alice@example.com", "pencil", true);
	assert_password(f, "alice@example.com", "Pencil", false);
	assert_int_equal(f->st.ctr.acct_added, 1);
}

static void test_duplicate_add(void **state)
{
	struct fx *f = *state;

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com", "pencil", 1), 0);
	assert_int_equal(add(f, "ALICE@example.com", "other", 2), -EEXIST);
	assert_int_equal(f->st.ctr.acct_exists, 1);
	assert_password(f, "alice@example.com", "pencil", true);
}

static void test_missing_user(void **state)
{
	struct fx *f = *state;
	struct sb_store_account a;

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(sb_store_user_get(&f->st, jid("bob@example.com"), &a), -ENOENT);
	assert_int_equal(sb_store_user_passwd(&f->st, jid("bob@example.com"), "x", 1, ITER, 1),
			 -ENOENT);
	assert_int_equal(sb_store_user_del(&f->st, jid("bob@example.com")), -ENOENT);
	assert_int_equal(f->st.ctr.acct_missing, 3);
}

static void test_passwd(void **state)
{
	struct fx *f = *state;
	struct sb_store_account a;

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com", "pencil", 100), 0);
	assert_int_equal(sb_store_user_passwd(&f->st, jid("alice@example.com"), "crayon", 6,
					      ITER, 200), 0);
	assert_int_equal(sb_store_user_get(&f->st, jid("alice@example.com"), &a), 0);
	assert_int_equal(a.created_s, 100);
	assert_int_equal(a.changed_s, 200);
	assert_password(f, "alice@example.com", "crayon", true);
	assert_password(f, "alice@example.com", "pencil", false);
	assert_int_equal(f->st.ctr.acct_changed, 1);
}

static void test_del(void **state)
{
	struct fx *f = *state;
	struct sb_store_account a;
	uint64_t n = 99;

	fx_open(f, 2, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com", "pencil", 1), 0);
	assert_int_equal(add(f, "bob@example.com", "pencil", 1), 0);
	assert_int_equal(sb_store_user_del(&f->st, jid("alice@example.com")), 0);
	assert_int_equal(sb_store_user_get(&f->st, jid("alice@example.com"), &a), -ENOENT);
	assert_int_equal(sb_store_user_get(&f->st, jid("bob@example.com"), &a), 0);
	assert_int_equal(sb_store_user_count(&f->st, &n), 0);
	assert_int_equal(n, 1);
	/* Deleted means gone: it can be created again. */
	assert_int_equal(add(f, "alice@example.com", "new", 2), 0);
}

struct seen {
	unsigned n, stop_after;
	char names[16][32];
};

static int collect(void *arg, const char *bare, size_t len)
{
	struct seen *s = arg;

	assert_true(len < sizeof(s->names[0]));
	memcpy(s->names[s->n % 16], bare, len);
	s->names[s->n % 16][len] = '\0';
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static bool seen_has(const struct seen *s, const char *name)
{
	for (unsigned i = 0; i < s->n && i < 16; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static void test_list_count(void **state)
{
	static const char *const users[] = { "u1@example.com", "u2@example.com",
					     "u3@example.com", "u4@example.com",
					     "u5@example.com" };
	struct fx *f = *state;
	struct seen s = { 0 };
	uint64_t n = 0;

	fx_open(f, 3, MAP_BYTES);
	assert_int_equal(sb_store_user_count(&f->st, &n), 0);
	assert_int_equal(n, 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(add(f, users[i], "pw", 1), 0);
	assert_int_equal(sb_store_user_count(&f->st, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(sb_store_user_list(&f->st, 100, collect, &s), 5);
	for (unsigned i = 0; i < 5; i++)
		assert_true(seen_has(&s, users[i]));
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_user_list(&f->st, 2, collect, &s), 2);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	assert_int_equal(sb_store_user_list(&f->st, 100, collect, &s), 3);
	assert_int_equal(s.n, 3);
}

static void test_persistence(void **state)
{
	struct fx *f = *state;
	struct sb_store_account a;

	fx_open(f, 2, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com", "pencil", 42), 0);
	assert_int_equal(add(f, "bob@example.com", "crayon", 43), 0);
	assert_int_equal(sb_store_user_del(&f->st, jid("bob@example.com")), 0);
	sb_store_close(&f->st);
	assert_null(f->st.impl);
	fx_open(f, 2, MAP_BYTES);
	assert_int_equal(sb_store_user_get(&f->st, jid("alice@example.com"), &a), 0);
	assert_int_equal(a.created_s, 42);
	assert_password(f, "alice@example.com", "pencil", true);
	assert_int_equal(sb_store_user_get(&f->st, jid("bob@example.com"), &a), -ENOENT);
}

/* Is key in shard j's "accounts" database? Opened with LMDB directly. */
static bool raw_has(const char *dir, unsigned j, const char *key)
{
	char path[128];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { .mv_size = strlen(key), .mv_data = (void *)(uintptr_t)key }, v;
	bool found;

	snprintf(path, sizeof(path), "%s/shard-%u", dir, j);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 2), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "accounts", 0, &dbi), 0);
	found = mdb_get(txn, dbi, &k, &v) == 0;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return found;
}

static void test_shard_placement(void **state)
{
	struct fx *f = *state;
	struct sb_store_shard_info info;
	unsigned per_shard[4] = { 0 };
	uint64_t total = 0;
	char name[32];

	fx_open(f, 4, MAP_BYTES);
	for (unsigned i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "user%u@example.com", i);
		assert_int_equal(add(f, name, "pw", 1), 0);
		per_shard[sb_store_shard_of(4, jid(name))]++;
	}
	for (unsigned j = 0; j < 4; j++) {
		assert_int_equal(sb_store_shard_info(&f->st, j, &info), 0);
		assert_int_equal(info.accounts, per_shard[j]);
		assert_int_equal(info.map_bytes, MAP_BYTES);
		assert_true(info.used_bytes > 0 && info.used_bytes <= info.map_bytes);
		total += info.accounts;
	}
	assert_int_equal(total, 16);
	assert_int_equal(sb_store_shard_info(&f->st, 4, &info), -EINVAL);
	sb_store_close(&f->st);
	for (unsigned i = 0; i < 16; i++) {
		unsigned owner;

		snprintf(name, sizeof(name), "user%u@example.com", i);
		owner = (unsigned)(sb_jid_bare_hash(jid(name)) % 4);
		for (unsigned j = 0; j < 4; j++)
			assert_int_equal(raw_has(f->dir, j, name), j == owner);
	}
}

static void test_layout_mismatch(void **state)
{
	struct fx *f = *state;
	char why[256];

	fx_open(f, 2, MAP_BYTES);
	sb_store_close(&f->st);
	assert_int_equal(sb_store_lmdb_open(&f->st, f->dir, 1, MAP_BYTES, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "shard 0 of 2"));
	assert_non_null(strstr(why, "control.shards is 1"));
	assert_null(f->st.impl);
	assert_int_equal(sb_store_lmdb_open(&f->st, f->dir, 0, MAP_BYTES, why, sizeof(why)),
			 -EINVAL);
}

static void test_open_error_names_path(void **state)
{
	struct fx *f = *state;
	char path[128], why[256];
	int fd;

	/* A file where the shard folder should be. */
	snprintf(path, sizeof(path), "%s/shard-0", f->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_true(sb_store_lmdb_open(&f->st, f->dir, 1, MAP_BYTES, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, path));
	assert_null(f->st.impl);
}

static void test_map_full(void **state)
{
	struct fx *f = *state;
	char name[32];
	unsigned added = 0;
	uint64_t n = 0;
	int rc = 0;

	/* 16 pages of 4 KiB: room for a few dozen records. */
	fx_open(f, 1, 64u * 1024u);
	for (unsigned i = 0; i < 2000 && rc == 0; i++) {
		snprintf(name, sizeof(name), "user%u@example.com", i);
		rc = add(f, name, "pw", 1);
		if (rc == 0)
			added++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(added > 0);
	assert_int_equal(f->st.ctr.store_full, 1);
	assert_int_equal(sb_store_user_count(&f->st, &n), 0);
	assert_int_equal(n, added);
	/* The refused write left nothing behind; the rest still reads. */
	assert_password(f, "user0@example.com", "pw", true);
	/* The operator's remedy: a larger store.map_mb and a restart. */
	sb_store_close(&f->st);
	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, name, "pw", 1), 0);
	assert_int_equal(sb_store_user_count(&f->st, &n), 0);
	assert_int_equal(n, added + 1);
}

static void test_bad_keys(void **state)
{
	struct fx *f = *state;
	char long_local[640];

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com/phone", "pw", 1), -EINVAL);
	assert_int_equal(add(f, "example.com", "pw", 1), -EINVAL);
	assert_int_equal(f->st.ctr.bad_jid, 2);
	memset(long_local, 'a', 600);
	snprintf(long_local + 600, sizeof(long_local) - 600, "@example.com");
	assert_int_equal(add(f, long_local, "pw", 1), -ENAMETOOLONG);
	assert_int_equal(f->st.ctr.key_too_long, 1);
}

static void test_bad_passwords(void **state)
{
	struct fx *f = *state;
	char long_pw[SB_SCRAM_PASS_MAX + 2];
	uint64_t n = 9;

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com", "", 1), -EINVAL);
	assert_int_equal(add(f, "alice@example.com", "a\x01z", 1), -EILSEQ);
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	/* Too long is not "store full". */
	assert_int_equal(add(f, "alice@example.com", long_pw, 1), -EMSGSIZE);
	assert_int_equal(f->st.ctr.store_full, 0);
	assert_int_equal(f->st.ctr.bad_password, 3);
	assert_int_equal(sb_store_user_add(&f->st, jid("alice@example.com"), "pw", 2, 100, 1),
			 -EINVAL);
	assert_int_equal(sb_store_user_count(&f->st, &n), 0);
	assert_int_equal(n, 0);
}

/* memmem over every file under dir. */
static const char *needle;
static int needle_found;

static int scan_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_F && sb->st_size > 0) {
		FILE *fp = fopen(path, "rb");
		char *buf = malloc((size_t)sb->st_size);
		size_t n;

		assert_non_null(fp);
		assert_non_null(buf);
		n = fread(buf, 1, (size_t)sb->st_size, fp);
		if (memmem(buf, n, needle, strlen(needle)) != NULL)
			needle_found++;
		free(buf);
		fclose(fp);
	}
	return 0;
}

static void test_no_password_on_disk(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	char path[128];

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com", "Correct-Horse-Battery", 1), 0);
	assert_int_equal(sb_store_user_passwd(&f->st, jid("alice@example.com"),
					      "Tr0ub4dor-and-3", 15, ITER, 2), 0);
	sb_store_close(&f->st);
	snprintf(path, sizeof(path), "%s/shard-0", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	needle = "Correct-Horse";
	needle_found = 0;
	nftw(f->dir, scan_one, 16, FTW_PHYS);
	assert_int_equal(needle_found, 0);
	needle = "Tr0ub4dor";
	nftw(f->dir, scan_one, 16, FTW_PHYS);
	assert_int_equal(needle_found, 0);
	/* The scan does find what is there. */
	needle = "alice@example.com";
	nftw(f->dir, scan_one, 16, FTW_PHYS);
	assert_true(needle_found > 0);
}

static void test_record_codec(void **state)
{
	struct sb_store_account a = { .created_s = 5, .changed_s = 6, .n_creds = 2 }, b;
	uint8_t rec[SB_STORE_ACCOUNT_REC_MAX];
	int len;

	(void)state;
	assert_int_equal(sb_scram_credentials_new(SB_SCRAM_SHA256, "pw", 2, ITER, &a.creds[0]),
			 0);
	assert_int_equal(sb_scram_credentials_new(SB_SCRAM_SHA1, "pw", 2, ITER, &a.creds[1]), 0);
	len = sb_store_account_pack(&a, rec);
	assert_int_equal(len, SB_STORE_ACCOUNT_REC_MAX);
	assert_int_equal(sb_store_account_unpack(&b, rec, (size_t)len), 0);
	assert_int_equal(b.created_s, 5);
	assert_int_equal(b.changed_s, 6);
	assert_int_equal(b.n_creds, 2);
	assert_memory_equal(b.creds[0].stored_key, a.creds[0].stored_key, SB_SCRAM_KEY_MAX);
	assert_int_equal(sb_store_account_unpack(&b, rec, (size_t)len - 1), -EBADMSG);
	rec[0] = 2;
	assert_int_equal(sb_store_account_unpack(&b, rec, (size_t)len), -EBADMSG);
	rec[0] = SB_STORE_ACCOUNT_VERSION;
	rec[5] = 1;
	assert_int_equal(sb_store_account_unpack(&b, rec, (size_t)len), -EBADMSG);
	rec[5] = 0;
	rec[1] = 1; /* one record announced, two present */
	assert_int_equal(sb_store_account_unpack(&b, rec, (size_t)len), -EBADMSG);
	assert_int_equal(sb_store_account_unpack(&b, rec, (size_t)len - SB_SCRAM_CREDS_RECORD_LEN),
			 0);
	assert_int_equal(b.n_creds, 1);
	assert_null(sb_store_account_creds(&b, SB_SCRAM_SHA1));
	a.creds[1].mech = SB_SCRAM_SHA256; /* two of one mechanism */
	assert_int_equal(sb_store_account_pack(&a, rec), -EINVAL);
}

/* RFC 5802 §9: an unknown user's fake salt is the same across two opens of
 * the store (the secret is persisted, not drawn per start), differs between
 * users and mechanisms, and has a real account's shape. */
static void test_fake_creds_stable(void **state)
{
	struct fx *f = *state;
	struct sb_scram_creds a, a2, b, a1, real;

	fx_open(f, 2, MAP_BYTES);
	f->st.fake_iterations = 10000;
	assert_int_equal(sb_store_user_add(&f->st, jid("real@example.com"), "pw", 2, 10000, 1), 0);
	assert_int_equal(sb_store_user_creds(&f->st, "real@example.com", 16, SB_SCRAM_SHA256,
					     &real), 0);
	assert_int_equal(sb_store_user_creds(&f->st, "ghost@example.com", 17, SB_SCRAM_SHA256, &a),
			 1);
	assert_int_equal(sb_store_user_creds(&f->st, "ghost@example.com", 17, SB_SCRAM_SHA1, &a1),
			 1);
	assert_int_equal(sb_store_user_creds(&f->st, "other@example.com", 17, SB_SCRAM_SHA256, &b),
			 1);
	assert_int_equal(f->st.ctr.fake_creds, 3);
	/* The shape of a real record: salt length, iteration count, mechanism. */
	assert_int_equal(a.salt_len, real.salt_len);
	assert_int_equal(a.iterations, real.iterations);
	assert_int_equal(a.mech, SB_SCRAM_SHA256);
	assert_memory_not_equal(a.salt, b.salt, SB_SCRAM_SALT_DEFAULT);
	assert_memory_not_equal(a.salt, a1.salt, SB_SCRAM_SALT_DEFAULT);
	sb_store_close(&f->st);
	fx_open(f, 2, MAP_BYTES);
	f->st.fake_iterations = 10000;
	assert_int_equal(sb_store_user_creds(&f->st, "ghost@example.com", 17, SB_SCRAM_SHA256,
					     &a2), 1);
	assert_int_equal(a2.salt_len, a.salt_len);
	assert_memory_equal(a2.salt, a.salt, SB_SCRAM_SALT_DEFAULT);
	/* The keys are random: no proof can match a fake. */
	assert_memory_not_equal(a2.stored_key, a.stored_key, 32);
}

/* A second store (another deployment) has another secret. */
static void test_fake_secret_per_deployment(void **state)
{
	struct fx *f = *state;
	struct fx g = { 0 };
	struct sb_scram_creds a, b;
	char why[256];

	assert_int_equal(sb_test_tmpdir_make(g.dir, "store-test"), 0);
	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(sb_store_lmdb_open(&g.st, g.dir, 1, MAP_BYTES, why, sizeof(why)), 0);
	assert_memory_not_equal(f->st.fake_secret, g.st.fake_secret, SB_STORE_SECRET_LEN);
	assert_int_equal(sb_store_user_creds(&f->st, "ghost@example.com", 17, SB_SCRAM_SHA1, &a), 1);
	assert_int_equal(sb_store_user_creds(&g.st, "ghost@example.com", 17, SB_SCRAM_SHA1, &b), 1);
	assert_memory_not_equal(a.salt, b.salt, SB_SCRAM_SALT_DEFAULT);
	store_fx_close(&g.st, g.dir);
}

/* PLAIN does one PBKDF2 per check whether the user exists or not (counted
 * by the store, not timed), and a fake never lets anyone in. */
static void test_plain_equal_work(void **state)
{
	struct fx *f = *state;

	fx_open(f, 1, MAP_BYTES);
	assert_int_equal(add(f, "alice@example.com", "pencil", 1), 0);
	assert_int_equal(sb_store_plain_check(&f->st, "alice@example.com", 17, "pencil", 6), 0);
	assert_int_equal(f->st.ctr.plain_derived, 1);
	assert_int_equal(sb_store_plain_check(&f->st, "alice@example.com", 17, "crayon", 6),
			 -EACCES);
	assert_int_equal(f->st.ctr.plain_derived, 2);
	assert_int_equal(sb_store_plain_check(&f->st, "ghost@example.com", 17, "pencil", 6),
			 -EACCES);
	assert_int_equal(f->st.ctr.plain_derived, 3);
	assert_int_equal(f->st.ctr.fake_creds, 1);
	/* Not even a malformed name skips the derivation. */
	assert_int_equal(sb_store_plain_check(&f->st, "a/b@@", 5, "pencil", 6), -EACCES);
	assert_int_equal(f->st.ctr.plain_derived, 4);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_get),
		T(test_duplicate_add),
		T(test_missing_user),
		T(test_passwd),
		T(test_del),
		T(test_list_count),
		T(test_persistence),
		T(test_shard_placement),
		T(test_layout_mismatch),
		T(test_open_error_names_path),
		T(test_map_full),
		T(test_bad_keys),
		T(test_bad_passwords),
		T(test_no_password_on_disk),
		T(test_fake_creds_stable),
		T(test_fake_secret_per_deployment),
		T(test_plain_equal_work),
		cmocka_unit_test(test_record_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
