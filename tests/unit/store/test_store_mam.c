/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The message archive behind the store interface (control/store/
 * store_mam.h) over LMDB, in a fresh temporary folder per test: records in
 * time order both ways with inclusive bounds, a user whose name is a prefix
 * of another's sees only their own, single lookups, the oldest-first purge
 * with its bound, a damaged record skipped and counted; ids: a permutation
 * (round trip, no collision over many ords), different per user and per
 * secret, not the ord in disguise, their text form; XEP-0082 times.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store_im.h"
#include "store/store_lmdb.h"
#include "store/store_mam.h"

#define MAP_BYTES (8u << 20)
#define U "alice@example.com"
#define UL (sizeof(U) - 1)
#define U2 "alice@example.co" /* a prefix of U */
#define U2L (sizeof(U2) - 1)

struct fx {
	char dir[64];
	struct sb_store st;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sb-store-mam-XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    sb_store_lmdb_open(&f->st, f->dir, 2, MAP_BYTES, why, sizeof(why)) < 0)
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	sb_store_close(&f->st);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Append records with these ords to bare's archive in one write. */
static void put(struct fx *f, const char *bare, size_t len, const uint64_t *ords, unsigned n)
{
	struct sb_store_op ops[128];
	uint8_t keys[64][600], vals[64][128], wkeys[64][600];
	unsigned nops = 0;

	assert_true(n <= 64);
	for (unsigned i = 0; i < n; i++) {
		char body[64];
		int bl = snprintf(body, sizeof(body), "<message><body>%llu</body></message>",
				  (unsigned long long)ords[i]);
		const struct sb_mam_rec r = {
			.flags = i % 2 ? SB_MAM_F_OUT : 0,
			.with_len = 15,
			.with_bare_len = 9,
			.with = i % 2 ? "eve@x.org/phone" : "bob@x.org/phone",
			.bytes = (const uint8_t *)body,
			.bytes_len = (size_t)bl,
		};
		size_t kl = sb_mam_key(keys[i], sizeof(keys[i]), bare, len, ords[i]);
		size_t vl = sb_mam_pack(&r, vals[i], sizeof(vals[i]));
		size_t wl = sb_mam_with_key(wkeys[i], sizeof(wkeys[i]), bare, len, r.with, 9,
					    ords[i]);

		assert_true(kl > 0 && vl > 0 && wl > 0);
		ops[nops++] = (struct sb_store_op){ .kind = SB_STORE_MAM, .key = keys[i],
						    .klen = kl, .val = vals[i], .vlen = vl };
		ops[nops++] = (struct sb_store_op){ .kind = SB_STORE_MAM_WITH, .key = wkeys[i],
						    .klen = wl, .val = r.with, .vlen = 15 };
	}
	assert_int_equal(f->st.ops->kv_write(f->st.impl, sb_store_shard_of_bare(&f->st, bare, len),
					     ops, nops),
			 0);
}

struct seen {
	unsigned n;
	uint64_t ord[64];
	char body[64][64];
	unsigned stop_after;
};

static int seen_one(void *arg, const struct sb_mam_rec *r)
{
	struct seen *s = arg;

	assert_true(s->n < 64);
	assert_int_equal(r->with_len, 15);
	assert_int_equal(r->with_bare_len, 9);
	assert_memory_equal(r->with + 3, "@x.org/phone", 12);
	snprintf(s->body[s->n], sizeof(s->body[0]), "%.*s", (int)r->bytes_len,
		 (const char *)r->bytes);
	s->ord[s->n++] = r->ord;
	return s->stop_after != 0 && s->n == s->stop_after;
}

static void test_range_both_ways(void **state)
{
	struct fx *f = *state;
	/* Written out of order: the key order is time order. */
	const uint64_t ords[] = { 30, 10, 50, 20, 40 };
	const uint64_t other[] = { 15, 25 };
	struct seen s = { 0 };

	put(f, U, UL, ords, 5);
	put(f, U2, U2L, other, 2);
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 0, UINT64_MAX - 1, false, 100,
					    seen_one, &s), 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(s.ord[i], (i + 1) * 10);
	assert_string_equal(s.body[0], "<message><body>10</body></message>");
	/* Inclusive bounds, descending. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 20, 40, true, 100, seen_one, &s), 3);
	assert_int_equal(s.ord[0], 40);
	assert_int_equal(s.ord[1], 30);
	assert_int_equal(s.ord[2], 20);
	/* Descending from a bound past the last record, and between records. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 0, 45, true, 2, seen_one, &s), 2);
	assert_int_equal(s.ord[0], 40);
	assert_int_equal(s.ord[1], 30);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 0, UINT64_MAX - 1, true, 1, seen_one,
					    &s), 1);
	assert_int_equal(s.ord[0], 50);
	/* Ascending from between records; a visitor that stops. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 11, UINT64_MAX - 1, false, 100,
					    seen_one, &s), 2);
	assert_int_equal(s.ord[0], 20);
	assert_int_equal(s.ord[1], 30);
	/* The prefix user sees only their own, both ways. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_range(&f->st, U2, U2L, 0, UINT64_MAX - 1, true, 100,
					    seen_one, &s), 2);
	assert_int_equal(s.ord[0], 25);
	assert_int_equal(s.ord[1], 15);
	/* Empty ranges. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 51, UINT64_MAX - 1, false, 100,
					    seen_one, &s), 0);
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 0, 9, true, 100, seen_one, &s), 0);
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 31, 39, false, 100, seen_one, &s), 0);
	assert_int_equal(sb_store_mam_range(&f->st, "nobody@x", 8, 0, UINT64_MAX - 1, true, 100,
					    seen_one, &s), 0);
}

static int with_seen(void *arg, uint64_t ord, const char *with, size_t wlen)
{
	struct seen *s = arg;

	assert_int_equal(wlen, 15);
	snprintf(s->body[s->n], sizeof(s->body[0]), "%.*s", (int)wlen, with);
	s->ord[s->n++] = ord;
	return 0;
}

/* The peer index: one peer's records only, both ways, within bounds; a
 * peer whose name extends another's is not mixed in; purge removes the
 * entries with their records. */
static void test_with_index(void **state)
{
	struct fx *f = *state;
	const uint64_t ords[] = { 10, 20, 30, 40, 50, 60 }; /* bob: 10 30 50, eve: 20 40 60 */
	struct seen s = { 0 };
	uint64_t items, bytes;

	put(f, U, UL, ords, 6);
	assert_int_equal(sb_store_mam_with_range(&f->st, U, UL, "bob@x.org", 9, 0,
						 UINT64_MAX - 1, false, 100, with_seen, &s), 3);
	assert_int_equal(s.ord[0], 10);
	assert_int_equal(s.ord[2], 50);
	assert_string_equal(s.body[0], "bob@x.org/phone");
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_with_range(&f->st, U, UL, "eve@x.org", 9, 20, 59, true,
						 100, with_seen, &s), 2);
	assert_int_equal(s.ord[0], 40);
	assert_int_equal(s.ord[1], 20);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_with_range(&f->st, U, UL, "bob@x.or", 8, 0, UINT64_MAX - 1,
						 false, 100, with_seen, &s), 0);
	assert_int_equal(sb_store_mam_with_range(&f->st, U2, U2L, "bob@x.org", 9, 0,
						 UINT64_MAX - 1, false, 100, with_seen, &s), 0);
	assert_int_equal(sb_store_mam_purge(&f->st, U, UL, 31, 100), 3);
	assert_int_equal(sb_store_mam_with_range(&f->st, U, UL, "bob@x.org", 9, 0,
						 UINT64_MAX - 1, false, 100, with_seen, &s), 1);
	assert_int_equal(s.ord[0], 50);
	assert_int_equal(sb_store_mam_purge(&f->st, U, UL, UINT64_MAX, 100), 3);
	assert_int_equal(sb_store_kind_stats(&f->st, SB_STORE_MAM_WITH, &items, &bytes), 0);
	assert_int_equal(items, 0);
}

static void test_get_and_purge(void **state)
{
	struct fx *f = *state;
	const uint64_t ords[] = { 1, 2, 3, 4, 5, 6 };
	struct seen s = { 0 };

	put(f, U, UL, ords, 6);
	assert_int_equal(sb_store_mam_get(&f->st, U, UL, 4, seen_one, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ord[0], 4);
	assert_int_equal(sb_store_mam_get(&f->st, U, UL, 7, seen_one, &s), -ENOENT);
	/* Oldest first, at most max, only before the bound. */
	assert_int_equal(sb_store_mam_purge(&f->st, U, UL, 5, 2), 2);
	assert_int_equal(sb_store_mam_get(&f->st, U, UL, 2, seen_one, &s), -ENOENT);
	assert_int_equal(sb_store_mam_get(&f->st, U, UL, 3, seen_one, &s), 0);
	assert_int_equal(sb_store_mam_purge(&f->st, U, UL, 5, 100), 2);
	assert_int_equal(sb_store_mam_purge(&f->st, U, UL, 5, 100), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 0, UINT64_MAX - 1, false, 100,
					    seen_one, &s), 2);
	assert_int_equal(s.ord[0], 5);
	assert_int_equal(sb_store_mam_purge(&f->st, U, UL, UINT64_MAX, 100), 2);
}

static void test_damaged_record_skipped(void **state)
{
	struct fx *f = *state;
	const uint64_t ords[] = { 1, 3 };
	uint8_t k[64], bad[3] = { 9, 9, 9 };
	size_t kl = sb_mam_key(k, sizeof(k), U, UL, 2);
	struct sb_store_op op = { .kind = SB_STORE_MAM, .key = k, .klen = kl, .val = bad,
				  .vlen = sizeof(bad) };
	struct seen s = { 0 };

	put(f, U, UL, ords, 2);
	assert_int_equal(f->st.ops->kv_write(f->st.impl, sb_store_shard_of_bare(&f->st, U, UL),
					     &op, 1),
			 0);
	assert_int_equal(sb_store_mam_range(&f->st, U, UL, 0, UINT64_MAX - 1, false, 100,
					    seen_one, &s), 3);
	assert_int_equal(s.n, 2);
	assert_int_equal(f->st.ctr.bad_record, 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void test_ids(void **state)
{
	enum { N = 100000 };
	uint8_t secret[SB_STORE_SECRET_LEN], secret2[SB_STORE_SECRET_LEN];
	struct sb_mam_idkey k, k2;
	uint64_t *ids = malloc(N * sizeof(*ids));
	uint64_t base = 1764921600000000ull; /* 2025-12-05, in microseconds */
	unsigned near = 0;
	char txt[SB_MAM_ID_LEN + 1];
	uint64_t back;

	(void)state;
	assert_non_null(ids);
	for (unsigned i = 0; i < sizeof(secret); i++) {
		secret[i] = (uint8_t)(i * 7 + 1);
		secret2[i] = (uint8_t)(i * 7 + 2);
	}
	sb_mam_idkey_init(&k, secret);
	sb_mam_idkey_init(&k2, secret2);
	for (unsigned i = 0; i < N; i++) {
		ids[i] = sb_mam_id_of(&k, U, UL, base + i);
		assert_int_equal(sb_mam_ord_of(&k, U, UL, ids[i]), base + i);
		/* Consecutive ords do not give neighbouring ids. */
		if (i > 0 && (ids[i] > ids[i - 1] ? ids[i] - ids[i - 1] : ids[i - 1] - ids[i]) <
				     (1ull << 40))
			near++;
	}
	assert_true(near < 10);
	qsort(ids, N, sizeof(*ids), cmp_u64);
	for (unsigned i = 1; i < N; i++)
		assert_true(ids[i] != ids[i - 1]);
	/* Another user, another secret: other ids for the same ord. */
	assert_true(sb_mam_id_of(&k, U, UL, base) != sb_mam_id_of(&k, U2, U2L, base));
	assert_true(sb_mam_id_of(&k, U, UL, base) != sb_mam_id_of(&k2, U, UL, base));
	assert_true(sb_mam_ord_of(&k, U2, U2L, sb_mam_id_of(&k, U, UL, base)) != base);
	/* Text form. */
	sb_mam_id_str(0x0123456789abcdefull, txt);
	assert_string_equal(txt, "0123456789abcdef");
	assert_int_equal(sb_mam_id_parse(txt, 16, &back), 0);
	assert_int_equal(back, 0x0123456789abcdefull);
	assert_int_equal(sb_mam_id_parse("0123456789ABCDEF", 16, &back), 0);
	assert_int_equal(back, 0x0123456789abcdefull);
	assert_int_equal(sb_mam_id_parse("0123456789abcde", 15, &back), -EINVAL);
	assert_int_equal(sb_mam_id_parse("0123456789abcdeg", 16, &back), -EINVAL);
	free(ids);
}

static void test_times(void **state)
{
	uint64_t us;
	char s[32];

	(void)state;
	assert_int_equal(sb_mam_time_parse("2010-06-07T00:00:00Z", 20, &us), 0);
	assert_int_equal(us, 1275868800000000ull);
	assert_int_equal(sb_mam_time_parse("2010-06-07T02:00:00.5+02:00", 27, &us), 0);
	assert_int_equal(us, 1275868800500000ull);
	assert_int_equal(sb_mam_time_parse("2010-06-06T23:00:00.123456789-01:00", 35, &us), 0);
	assert_int_equal(us, 1275868800123456ull);
	assert_int_equal(sb_mam_time_parse("2010-06-07 00:00:00Z", 20, &us), -EINVAL);
	assert_int_equal(sb_mam_time_parse("2010-06-07T00:00:00", 19, &us), -EINVAL);
	assert_int_equal(sb_mam_time_parse("2010-13-07T00:00:00Z", 20, &us), -EINVAL);
	assert_int_equal(sb_mam_time_parse("2010-06-07T00:00:00.Z", 21, &us), -EINVAL);
	assert_int_equal(sb_mam_time_parse("1969-12-31T23:59:59Z", 20, &us), -EINVAL);
	sb_mam_time_str(1275868800123456ull, s);
	assert_string_equal(s, "2010-06-07T00:00:00.123456Z");
	assert_int_equal(sb_mam_time_parse(s, strlen(s), &us), 0);
	assert_int_equal(us, 1275868800123456ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_range_both_ways, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_with_index, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_get_and_purge, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_record_skipped, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
