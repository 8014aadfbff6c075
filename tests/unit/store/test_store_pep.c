/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PEP node records (control/store/store_pep.h): publishing keeps at most
 * max_items, newest last, a republished id moves to the newest place,
 * persist_items false keeps the last item only; the codec round-trips and
 * refuses damaged records, roster groups included (version 2); over LMDB in a fresh folder, nodes are per
 * user (a user whose name is a prefix of another's sees only its own),
 * listed in byte order, survive a reopen and are deleted.
 */
#include <errno.h>
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
#include "store/store_pep.h"
#include "store/store_udata.h"
#include "store_fx.h"
#include "tmpdir.h"

#define MAP_BYTES (4u << 20)
#define U "alice@example.com"
#define UL (sizeof(U) - 1)
#define S(x) x, (sizeof(x) - 1)

struct fx {
	char dir[SB_TEST_TMPDIR_MAX];
	struct sb_store st;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	if (f == NULL || sb_test_tmpdir_make(f->dir, "store-pep") < 0 ||
	    sb_store_lmdb_open(&f->st, f->dir, 2, MAP_BYTES, why, sizeof(why)) < 0)
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

static void ids_are(const struct sb_pep_node *nd, const char *const *ids, unsigned n)
{
	assert_int_equal(nd->n, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(nd->items[i].id, ids[i]);
}

static void test_items(void **state)
{
	struct sb_pep_node nd;

	(void)state;
	sb_pep_node_init(&nd);
	nd.max_items = 3;
	assert_int_equal(sb_pep_item_put(&nd, S("a"), S("<a/>")), 0);
	assert_int_equal(sb_pep_item_put(&nd, S("b"), S("<b/>")), 0);
	assert_int_equal(sb_pep_item_put(&nd, S("c"), S("<c/>")), 0);
	assert_int_equal(sb_pep_item_put(&nd, S("d"), S("<d/>")), 0);
	ids_are(&nd, (const char *[]){ "b", "c", "d" }, 3);
	/* Republishing b: replaced, now the newest. */
	assert_int_equal(sb_pep_item_put(&nd, S("b"), S("<B/>")), 0);
	ids_are(&nd, (const char *[]){ "c", "d", "b" }, 3);
	assert_memory_equal(sb_pep_item_last(&nd)->payload, "<B/>", 4);
	assert_int_equal(sb_pep_item_put(&nd, "", 0, S("<e/>")), -EINVAL);
	assert_int_equal(sb_pep_item_del(&nd, S("d")), 1);
	assert_int_equal(sb_pep_item_del(&nd, S("d")), 0);
	ids_are(&nd, (const char *[]){ "c", "b" }, 2);
	/* Without persistence only the last item stays. */
	nd.flags |= SB_PEP_F_NO_PERSIST;
	sb_pep_node_trim(&nd);
	ids_are(&nd, (const char *[]){ "b" }, 1);
	assert_int_equal(sb_pep_item_put(&nd, S("z"), S("<z/>")), 0);
	ids_are(&nd, (const char *[]){ "z" }, 1);
	sb_pep_node_free(&nd);
	assert_int_equal(nd.n, 0);
}

static void test_codec(void **state)
{
	struct sb_pep_node nd, back;
	uint8_t *rec;
	size_t len;

	(void)state;
	sb_pep_node_init(&nd);
	nd.access = SB_PEP_ACCESS_OPEN;
	nd.flags = SB_PEP_F_SEND_NEVER;
	nd.max_items = 5;
	sb_pep_item_put(&nd, S("1"), S("<x xmlns='a'/>"));
	sb_pep_item_put(&nd, S("two"), "", 0);
	assert_int_equal(sb_pep_node_pack(&nd, &rec, &len), 0);
	assert_int_equal(len, SB_PEP_HDR_LEN + 6 + 1 + 14 + 6 + 3);
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), 0);
	assert_int_equal(back.access, SB_PEP_ACCESS_OPEN);
	assert_int_equal(back.flags, SB_PEP_F_SEND_NEVER);
	assert_int_equal(back.max_items, 5);
	ids_are(&back, (const char *[]){ "1", "two" }, 2);
	assert_int_equal(back.items[0].len, 14);
	assert_int_equal(back.items[1].len, 0);
	sb_pep_node_free(&back);
	/* Damage: truncated, trailing byte, version, access model, flags, an
	 * item length past the end, a count past the items. */
	assert_int_equal(sb_pep_node_unpack(&back, rec, len - 1), -EBADMSG);
	{
		uint8_t *more = malloc(len + 1);

		memcpy(more, rec, len);
		more[len] = 0;
		assert_int_equal(sb_pep_node_unpack(&back, more, len + 1), -EBADMSG);
		free(more);
	}
	rec[0] = 2;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[0] = SB_PEP_VERSION;
	rec[1] = SB_PEP_ACCESS_MAX;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[1] = SB_PEP_ACCESS_OPEN;
	rec[2] = 0x80;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[2] = SB_PEP_F_SEND_NEVER;
	rec[SB_PEP_HDR_LEN + 2] = 0x7f;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[SB_PEP_HDR_LEN + 2] = 0;
	rec[11] = 3;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[11] = 2;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), 0);
	sb_pep_node_free(&back);
	free(rec);
	sb_pep_node_free(&nd);
}

static int listed(void *arg, const char *node, size_t nlen)
{
	char *out = arg;
	size_t l = strlen(out);

	snprintf(out + l, 256 - l, "%.*s;", (int)nlen, node);
	return 0;
}

/* Version 2: the roster groups (access model roster) round-trip; a node
 * without groups is still a version 1 record; damaged groups are refused;
 * purge keeps the configuration. */
static void test_codec_groups(void **state)
{
	struct sb_pep_node nd, back;
	const char *g[] = { "Friends", "Family & co" };
	uint16_t gl[] = { 7, 11 };
	uint8_t *rec;
	size_t len;

	(void)state;
	sb_pep_node_init(&nd);
	nd.access = SB_PEP_ACCESS_ROSTER;
	assert_int_equal(sb_pep_node_groups_set(&nd, g, gl, 2), 0);
	sb_pep_item_put(&nd, S("1"), S("<x xmlns='a'/>"));
	assert_int_equal(sb_pep_node_pack(&nd, &rec, &len), 0);
	assert_int_equal(rec[0], SB_PEP_VERSION_GROUPS);
	assert_int_equal(len, SB_PEP_HDR_LEN + 2 + 7 + 2 + 11 + 6 + 1 + 14);
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), 0);
	assert_int_equal(back.access, SB_PEP_ACCESS_ROSTER);
	assert_int_equal(back.n_groups, 2);
	assert_true(sb_pep_node_has_group(&back, S("Family & co")));
	assert_false(sb_pep_node_has_group(&back, S("Friend")));
	ids_are(&back, (const char *[]){ "1" }, 1);
	sb_pep_node_free(&back);
	/* A group length past the end; a zero-length group; no groups in v2. */
	rec[SB_PEP_HDR_LEN + 1] = 0xff;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[SB_PEP_HDR_LEN + 1] = 0;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[SB_PEP_HDR_LEN + 1] = 7;
	rec[3] = 0;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	rec[3] = SB_PEP_GROUPS_MAX + 1;
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), -EBADMSG);
	free(rec);
	/* Bad group lists are refused whole. */
	assert_int_equal(sb_pep_node_groups_set(&nd, g, (uint16_t[]){ 7, 0 }, 2), -EINVAL);
	assert_int_equal(nd.n_groups, 0);
	assert_int_equal(sb_pep_node_groups_set(&nd, g, gl, SB_PEP_GROUPS_MAX + 1), -EINVAL);
	/* Purge: no items, the rest kept; no groups: version 1. */
	sb_pep_node_purge(&nd);
	assert_int_equal(nd.n, 0);
	assert_int_equal(sb_pep_node_pack(&nd, &rec, &len), 0);
	assert_int_equal(rec[0], SB_PEP_VERSION);
	assert_int_equal(len, SB_PEP_HDR_LEN);
	assert_int_equal(sb_pep_node_unpack(&back, rec, len), 0);
	assert_int_equal(back.access, SB_PEP_ACCESS_ROSTER);
	sb_pep_node_free(&back);
	free(rec);
	sb_pep_node_free(&nd);
}

static void test_store(void **state)
{
	struct fx *f = *state;
	struct sb_pep_node nd;
	char names[256] = "";
	char why[256];
	uint64_t items, bytes;

	assert_int_equal(sb_store_pep_load(&f->st, U, UL, S("urn:xmpp:avatar:data"), &nd),
			 -ENOENT);
	assert_int_equal(nd.n, 0);
	nd.access = SB_PEP_ACCESS_WHITELIST;
	nd.max_items = 10;
	sb_pep_item_put(&nd, S("room@muc"), S("<conference/>"));
	assert_int_equal(sb_store_pep_save(&f->st, U, UL, S("urn:xmpp:bookmarks:1"), &nd), 0);
	sb_pep_node_free(&nd);
	sb_pep_node_init(&nd);
	sb_pep_item_put(&nd, S("current"), S("<list/>"));
	assert_int_equal(sb_store_pep_save(&f->st, U, UL, S("eu.siacs.conversations.axolotl.devicelist"),
					   &nd), 0);
	assert_int_equal(sb_store_pep_save(&f->st, S("alice@example.com.x"), S("other"), &nd), 0);
	sb_pep_node_free(&nd);
	assert_int_equal(sb_store_udata_count(&f->st, SB_STORE_PEP, U, UL, 100), 2);
	assert_int_equal(sb_store_pep_list(&f->st, U, UL, 100, listed, names), 2);
	assert_string_equal(names, "eu.siacs.conversations.axolotl.devicelist;urn:xmpp:bookmarks:1;");
	/* Durable across a reopen. */
	sb_store_close(&f->st);
	assert_int_equal(sb_store_lmdb_open(&f->st, f->dir, 2, MAP_BYTES, why, sizeof(why)), 0);
	assert_int_equal(sb_store_pep_load(&f->st, U, UL, S("urn:xmpp:bookmarks:1"), &nd), 0);
	assert_int_equal(nd.access, SB_PEP_ACCESS_WHITELIST);
	assert_int_equal(nd.max_items, 10);
	assert_int_equal(nd.n, 1);
	assert_string_equal(nd.items[0].id, "room@muc");
	sb_pep_node_free(&nd);
	assert_int_equal(sb_store_kind_stats(&f->st, SB_STORE_PEP, &items, &bytes), 0);
	assert_int_equal(items, 3);
	assert_string_equal(sb_store_kind_name(SB_STORE_PEP), "pep");
	/* Delete. */
	assert_int_equal(sb_store_pep_save(&f->st, U, UL, S("urn:xmpp:bookmarks:1"), NULL), 0);
	assert_int_equal(sb_store_pep_load(&f->st, U, UL, S("urn:xmpp:bookmarks:1"), &nd),
			 -ENOENT);
	assert_int_equal(sb_store_udata_count(&f->st, SB_STORE_PEP, U, UL, 100), 1);
	assert_int_equal(sb_store_pep_save(&f->st, U, UL, "", 0, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_codec_groups),
		cmocka_unit_test_setup_teardown(test_store, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
