/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Per-user whole records (control/store/store_udata.h) over LMDB, in a
 * fresh temporary folder per test: the XEP-0191 block list (add, remove,
 * the JID matching of XEP-0016 §2.1 for the four item forms, its codec and
 * a damaged record refused, the record gone with the last item), and the
 * vCard and private records (get, replace, delete, per-user namespaces
 * counted without a user whose name is a prefix of another's).
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
#include "store/store_udata.h"
#include "store/store_lmdb.h"

#define MAP_BYTES (4u << 20)

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
	snprintf(f->dir, sizeof(f->dir), "/tmp/sb-store-ud-XXXXXX");
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

static void reopen(struct fx *f)
{
	char why[256];

	sb_store_close(&f->st);
	assert_int_equal(sb_store_lmdb_open(&f->st, f->dir, 2, MAP_BYTES, why, sizeof(why)), 0);
}

#define U "alice@example.com"
#define UL (sizeof(U) - 1)
#define S(x) x, (sizeof(x) - 1)

static void test_block_match(void **state)
{
	struct sb_blocklist bl;

	(void)state;
	sb_blocklist_init(&bl);
	assert_false(sb_blocklist_match(&bl, S("bob@example.com")));
	assert_int_equal(sb_blocklist_add(&bl, S("bob@example.com")), 1);
	assert_int_equal(sb_blocklist_add(&bl, S("bob@example.com")), 0);
	assert_int_equal(sb_blocklist_add(&bl, S("carol@example.com/phone")), 1);
	assert_int_equal(sb_blocklist_add(&bl, S("evil.example")), 1);
	assert_int_equal(sb_blocklist_add(&bl, S("other.example/bot")), 1);
	assert_int_equal(sb_blocklist_add(&bl, "", 0), -EINVAL);
	assert_int_equal(bl.n, 4);
	/* user@domain: itself and every resource. */
	assert_true(sb_blocklist_match(&bl, S("bob@example.com")));
	assert_true(sb_blocklist_match(&bl, S("bob@example.com/laptop")));
	assert_false(sb_blocklist_match(&bl, S("bob@example.co")));
	assert_false(sb_blocklist_match(&bl, S("bobby@example.com/x")));
	assert_false(sb_blocklist_match(&bl, S("example.com")));
	/* user@domain/resource: that JID only. */
	assert_true(sb_blocklist_match(&bl, S("carol@example.com/phone")));
	assert_false(sb_blocklist_match(&bl, S("carol@example.com")));
	assert_false(sb_blocklist_match(&bl, S("carol@example.com/desk")));
	/* domain: the domain and every JID at it. */
	assert_true(sb_blocklist_match(&bl, S("evil.example")));
	assert_true(sb_blocklist_match(&bl, S("x@evil.example")));
	assert_true(sb_blocklist_match(&bl, S("x@evil.example/r")));
	assert_true(sb_blocklist_match(&bl, S("evil.example/r")));
	assert_false(sb_blocklist_match(&bl, S("x@notevil.example")));
	assert_false(sb_blocklist_match(&bl, S("evil.example.org")));
	/* domain/resource: that JID only. */
	assert_true(sb_blocklist_match(&bl, S("other.example/bot")));
	assert_false(sb_blocklist_match(&bl, S("other.example")));
	assert_false(sb_blocklist_match(&bl, S("x@other.example/bot")));
	/* remove */
	assert_int_equal(sb_blocklist_del(&bl, S("bob@example.com")), 1);
	assert_int_equal(sb_blocklist_del(&bl, S("bob@example.com")), 0);
	assert_false(sb_blocklist_match(&bl, S("bob@example.com/laptop")));
	assert_true(sb_blocklist_match(&bl, S("x@evil.example")));
	sb_blocklist_free(&bl);
}

static void test_block_codec(void **state)
{
	struct sb_blocklist bl, back;
	uint8_t *rec;
	size_t len;

	(void)state;
	sb_blocklist_init(&bl);
	sb_blocklist_add(&bl, S("bob@example.com"));
	sb_blocklist_add(&bl, S("evil.example"));
	assert_int_equal(sb_blocklist_pack(&bl, &rec, &len), 0);
	assert_int_equal(len, 8 + 2 + 15 + 2 + 12);
	sb_blocklist_init(&back);
	assert_int_equal(sb_blocklist_unpack(&back, rec, len), 0);
	assert_int_equal(back.n, 2);
	assert_true(sb_blocklist_match(&back, S("x@evil.example")));
	sb_blocklist_free(&back);
	/* Damage: truncated, trailing byte, wrong version, a zero byte in
	 * a JID, an item twice, a count past the items. */
	assert_int_equal(sb_blocklist_unpack(&back, rec, len - 1), -EBADMSG);
	{
		uint8_t *big = calloc(1, len + 1);

		memcpy(big, rec, len);
		assert_int_equal(sb_blocklist_unpack(&back, big, len + 1), -EBADMSG);
		free(big);
	}
	rec[0] = 2;
	assert_int_equal(sb_blocklist_unpack(&back, rec, len), -EBADMSG);
	rec[0] = 1;
	rec[12] = 0;
	assert_int_equal(sb_blocklist_unpack(&back, rec, len), -EBADMSG);
	rec[12] = 'b';
	memcpy(rec + 8 + 2 + 15 + 2, "bob@example.", 12); /* same length as evil.example */
	assert_int_equal(sb_blocklist_unpack(&back, rec, len), 0);
	sb_blocklist_free(&back);
	rec[7] = 3;
	assert_int_equal(sb_blocklist_unpack(&back, rec, len), -EBADMSG);
	free(rec);
	/* The same item twice. */
	sb_blocklist_free(&bl);
	sb_blocklist_add(&bl, S("bob@example.com"));
	sb_blocklist_add(&bl, S("bob@example.org"));
	assert_int_equal(sb_blocklist_pack(&bl, &rec, &len), 0);
	assert_int_equal(sb_blocklist_unpack(&back, rec, len), 0);
	sb_blocklist_free(&back);
	memcpy(rec + len - 3, "com", 3);
	assert_int_equal(sb_blocklist_unpack(&back, rec, len), -EBADMSG);
	assert_int_equal(back.n, 0);
	free(rec);
	sb_blocklist_free(&bl);
}

static void test_block_store(void **state)
{
	struct fx *f = *state;
	struct sb_blocklist bl;
	uint64_t items, bytes;

	assert_int_equal(sb_store_block_load(&f->st, U, UL, &bl), 0);
	assert_int_equal(bl.n, 0);
	sb_blocklist_add(&bl, S("bob@example.com/x"));
	sb_blocklist_add(&bl, S("evil.example"));
	assert_int_equal(sb_store_block_save(&f->st, U, UL, &bl), 0);
	sb_blocklist_free(&bl);
	reopen(f);
	assert_int_equal(sb_store_block_load(&f->st, U, UL, &bl), 0);
	assert_int_equal(bl.n, 2);
	assert_true(sb_blocklist_match(&bl, S("bob@example.com/x")));
	assert_false(sb_blocklist_match(&bl, S("bob@example.com/y")));
	/* Another user's list is another record. */
	{
		struct sb_blocklist other;

		assert_int_equal(sb_store_block_load(&f->st, S("bob@example.com"), &other), 0);
		assert_int_equal(other.n, 0);
	}
	assert_int_equal(sb_store_kind_stats(&f->st, SB_STORE_BLOCK, &items, &bytes), 0);
	assert_int_equal(items, 1);
	/* The last item gone: no record left. */
	sb_blocklist_del(&bl, S("bob@example.com/x"));
	sb_blocklist_del(&bl, S("evil.example"));
	assert_int_equal(sb_store_block_save(&f->st, U, UL, &bl), 0);
	assert_int_equal(sb_store_kind_stats(&f->st, SB_STORE_BLOCK, &items, &bytes), 0);
	assert_int_equal(items, 0);
	sb_blocklist_free(&bl);
	/* A damaged record is refused and counted. */
	{
		struct sb_store_op op = { .kind = SB_STORE_BLOCK, .key = U, .klen = UL,
					  .val = "\x01\0\0\0\0\0\0\x01", .vlen = 8 };
		uint64_t before = f->st.ctr.bad_record;

		assert_int_equal(f->st.ops->kv_write(f->st.impl,
						     sb_store_shard_of_bare(&f->st, U, UL), &op, 1), 0);
		assert_int_equal(sb_store_block_load(&f->st, U, UL, &bl), -EBADMSG);
		assert_int_equal(bl.n, 0);
		assert_int_equal(f->st.ctr.bad_record, before + 1);
	}
}

static void test_udata(void **state)
{
	struct fx *f = *state;
	uint8_t *v;
	size_t vl;

	assert_int_equal(sb_store_udata_get(&f->st, SB_STORE_VCARD, U, UL, NULL, 0, &v, &vl),
			 -ENOENT);
	assert_null(v);
	assert_int_equal(sb_store_udata_put(&f->st, SB_STORE_VCARD, U, UL, NULL, 0,
					    S("<vCard xmlns='vcard-temp'><FN>A</FN></vCard>")), 0);
	assert_int_equal(sb_store_udata_put(&f->st, SB_STORE_VCARD, U, UL, NULL, 0,
					    S("<vCard xmlns='vcard-temp'><FN>B</FN></vCard>")), 0);
	reopen(f);
	assert_int_equal(sb_store_udata_get(&f->st, SB_STORE_VCARD, U, UL, NULL, 0, &v, &vl), 0);
	assert_int_equal(vl, 44);
	assert_memory_equal(v, "<vCard xmlns='vcard-temp'><FN>B</FN></vCard>", vl);
	free(v);
	/* Private: one record per namespace, counted per user. */
	assert_int_equal(sb_store_udata_put(&f->st, SB_STORE_PRIVATE, U, UL, S("a:ns"), S("<a/>")),
			 0);
	assert_int_equal(sb_store_udata_put(&f->st, SB_STORE_PRIVATE, U, UL, S("b:ns"), S("<b/>")),
			 0);
	assert_int_equal(sb_store_udata_put(&f->st, SB_STORE_PRIVATE, S("alice@example.com.x"),
					    S("a:ns"), S("<c/>")), 0);
	assert_int_equal(sb_store_udata_count(&f->st, SB_STORE_PRIVATE, U, UL, 100), 2);
	assert_int_equal(sb_store_udata_count(&f->st, SB_STORE_PRIVATE, U, UL, 1), 1);
	assert_int_equal(sb_store_udata_get(&f->st, SB_STORE_PRIVATE, U, UL, S("b:ns"), &v, &vl),
			 0);
	assert_memory_equal(v, "<b/>", 4);
	free(v);
	assert_int_equal(sb_store_udata_get(&f->st, SB_STORE_PRIVATE, U, UL, S("c:ns"), &v, &vl),
			 -ENOENT);
	assert_int_equal(sb_store_udata_put(&f->st, SB_STORE_PRIVATE, U, UL, S("b:ns"), NULL, 0),
			 0);
	assert_int_equal(sb_store_udata_count(&f->st, SB_STORE_PRIVATE, U, UL, 100), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_match),
		cmocka_unit_test(test_block_codec),
		cmocka_unit_test_setup_teardown(test_block_store, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_udata, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
