/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The "user" commands of the management socket (control/cli/cmd_user.c)
 * over a real LMDB store in a temporary folder: the request grammar, the
 * reply protocol ("ok\n" + body, or exactly one "error: ...\n" line), the
 * domain default, passwords with spaces, and that no reply carries a
 * password or a secret.
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

#include "cli/cmd_user.h"
#include "cli/out.h"
#include "store/store_lmdb.h"
#include "store_fx.h"
#include "tmpdir.h"

struct fx {
	char dir[SB_TEST_TMPDIR_MAX];
	struct sb_store st;
	struct sb_cmd_user cu;
	char buf[8192];
	struct sb_out o;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	if (f == NULL)
		return -1;
	if (sb_test_tmpdir_make(f->dir, "cmd-user-test") < 0)
		return -1;
	if (sb_store_lmdb_open(&f->st, f->dir, 2, 4u << 20, why, sizeof(why)) < 0)
		return -1;
	if (sb_cmd_user_init(&f->cu, &f->st, "Example.ORG", SB_SCRAM_ITER_MIN, why,
			     sizeof(why)) < 0)
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

/* Run one "user ..." request (args after "user ") and return the reply. */
static const char *run(struct fx *f, const char *args)
{
	sb_out_init(&f->o, f->buf, sizeof(f->buf));
	sb_cmd_user_run(&f->cu, args, &f->o);
	assert_false(f->o.truncated);
	return f->buf;
}

static bool starts_with(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) == 0)
		return true;
	print_error("reply '%s' does not start with '%s'\n", s, prefix);
	return false;
}

/* The reply is exactly this error line. */
static void assert_error(struct fx *f, const char *args, const char *want)
{
	const char *r = run(f, args);

	assert_string_equal(r, want);
}

static void verify_password(struct fx *f, const char *bare, const char *pw, bool good)
{
	struct sb_store_account a;
	struct sb_jid j;

	assert_int_equal(sb_jid_parse(&j, bare, strlen(bare)), 0);
	assert_int_equal(sb_store_user_get(&f->st, &j, &a), 0);
	for (unsigned i = 0; i < a.n_creds; i++)
		assert_int_equal(sb_scram_plain_verify(&a.creds[i], pw, strlen(pw)),
				 good ? SB_SCRAM_OK : SB_SCRAM_ERR_PROOF);
}

static void test_init_checks(void **state)
{
	struct sb_cmd_user cu;
	struct sb_out o;
	char why[128], buf[128];

	(void)state;
	assert_int_equal(sb_cmd_user_init(&cu, NULL, "bad domain", 4096, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "xmpp.domain"));
	assert_int_equal(sb_cmd_user_init(&cu, NULL, "u@example.org", 4096, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(sb_cmd_user_init(&cu, NULL, "example.org", 100, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "auth.scram_iterations"));
	/* Without a store every command is one clear error. */
	sb_out_init(&o, buf, sizeof(buf));
	sb_cmd_user_run(NULL, "list", &o);
	assert_string_equal(buf, "error: the account store is not open\n");
}

static void test_add_localpart_gets_domain(void **state)
{
	struct fx *f = *state;
	char want[128];
	struct sb_jid j;

	assert_int_equal(sb_jid_parse(&j, "alice@example.org", 17), 0);
	snprintf(want, sizeof(want), "ok\nadded alice@example.org (shard %u)\n",
		 sb_store_shard_of(2, &j));
	/* Everything after the JID's space is the password, spaces included. */
	assert_string_equal(run(f, "add Alice  two words "), want);
	verify_password(f, "alice@example.org", " two words ", true);
	verify_password(f, "alice@example.org", "two words", false);
	assert_error(f, "add alice@EXAMPLE.org other",
		     "error: user exists: alice@example.org\n");
}

static void test_add_errors(void **state)
{
	struct fx *f = *state;

	assert_error(f, "add", "error: missing JID\n");
	assert_error(f, "add alice", "error: missing password (sbctl reads it from stdin with "
				     "'-')\n");
	assert_error(f, "add bob@elsewhere.test pw", "error: invalid JID: domain elsewhere.test "
						   "is not served here (xmpp.domain is "
						   "example.org)\n");
	assert_error(f, "add bob@example.org/phone pw", "error: invalid JID: has a resource\n");
	assert_error(f, "add @example.org pw", "error: invalid JID: empty_local\n");
	assert_error(f, "add a/b pw", "error: invalid JID: localpart: local_forbidden\n");
	assert_error(f, "add bob@ pw", "error: invalid JID: empty_domain\n");
	assert_error(f, "add bob a\x01z", "error: password refused by SASLprep (RFC 4013): "
					  "prohibited or ill-formed characters\n");
}

static void test_passwd_del_show(void **state)
{
	struct fx *f = *state;
	struct sb_jid j;
	char want[128];
	const char *r;

	assert_true(starts_with(run(f, "add carol pencil"), "ok\n"));
	assert_error(f, "passwd dave x", "error: no such user: dave@example.org\n");
	assert_int_equal(sb_jid_parse(&j, "carol@example.org", 17), 0);
	snprintf(want, sizeof(want), "ok\npassword changed for carol@example.org (shard %u)\n",
		 sb_store_shard_of(2, &j));
	assert_string_equal(run(f, "passwd carol@example.org crayon"), want);
	verify_password(f, "carol@example.org", "crayon", true);
	r = run(f, "show carol");
	assert_true(starts_with(r, "ok\njid carol@example.org\nshard "));
	assert_non_null(strstr(r, "\nmechanism SCRAM-SHA-1 iterations 4096 salt_bytes 16\n"));
	assert_non_null(strstr(r, "\nmechanism SCRAM-SHA-256 iterations 4096 salt_bytes 16\n"));
	assert_non_null(strstr(r, "\ncreated 20"));
	assert_null(strstr(r, "crayon"));
	assert_null(strstr(r, "pencil"));
	assert_error(f, "show carol extra", "error: too many arguments\n");
	assert_string_equal(run(f, "del carol"), "ok\ndeleted carol@example.org\n");
	assert_error(f, "del carol", "error: no such user: carol@example.org\n");
	assert_error(f, "show carol", "error: no such user: carol@example.org\n");
}

static void test_list(void **state)
{
	struct fx *f = *state;
	const char *r;

	run(f, "add u1 pw");
	run(f, "add u2 pw");
	run(f, "add u3 pw");
	r = run(f, "list");
	assert_true(starts_with(r, "ok\n"));
	assert_non_null(strstr(r, "u1@example.org\n"));
	assert_non_null(strstr(r, "u2@example.org\n"));
	assert_non_null(strstr(r, "u3@example.org\n"));
	assert_non_null(strstr(r, "\n(3 of 3 accounts)\n"));
	r = run(f, "list 1");
	assert_non_null(strstr(r, "\n(1 of 3 accounts)\n"));
	assert_error(f, "list 0", "error: list: max must be 1..10000\n");
	assert_error(f, "list 10001", "error: list: max must be 1..10000\n");
	assert_error(f, "list -1", "error: list: max must be 1..10000\n");
	assert_error(f, "list 5x", "error: list: max must be 1..10000\n");
}

static void test_stats_and_unknown(void **state)
{
	struct fx *f = *state;
	const char *r;

	run(f, "add u1 pw");
	run(f, "add u1 pw");
	r = run(f, "stats");
	assert_true(starts_with(r, "ok\nbackend lmdb shards 2\nshard 0 accounts "));
	assert_non_null(strstr(r, "\nacct_added 1\n"));
	assert_non_null(strstr(r, "\nacct_exists 1\n"));
	/* Only the subcommand is echoed: the rest may be a password. */
	assert_error(f, "frob alice s3cret", "error: unknown user command 'frob' (try: add, "
					     "passwd, del, show, list, stats)\n");
	assert_error(f, "", "error: unknown user command '' (try: add, passwd, del, show, list, "
			    "stats)\n");
}

/* What the account-change hook saw. */
struct changes {
	unsigned n;
	enum sb_cmd_user_change last;
	char bare[64];
	int rc;
};

static int record_change(void *arg, const struct sb_jid *user, enum sb_cmd_user_change what)
{
	struct changes *c = arg;
	size_t len;
	const char *bare = sb_jid_bare(user, &len);

	c->n++;
	c->last = what;
	snprintf(c->bare, sizeof(c->bare), "%.*s", (int)len, bare);
	return c->rc;
}

/* Issue 14 finding 7: del and passwd end the account's sessions (through
 * the hook main.c points at the owning shard); failures change nothing. */
static void test_changes_end_sessions(void **state)
{
	struct fx *f = *state;
	struct changes c = { 0 };

	f->cu.changed = record_change;
	f->cu.changed_arg = &c;
	assert_true(starts_with(run(f, "add alice pw1"), "ok\n"));
	assert_int_equal(c.n, 0);
	assert_true(starts_with(run(f, "passwd alice pw2"), "ok\n"));
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last, SB_CMD_USER_PASSWORD_CHANGED);
	assert_string_equal(c.bare, "alice@example.org");
	assert_true(starts_with(run(f, "passwd nobody pw2"), "error: "));
	assert_true(starts_with(run(f, "del nobody"), "error: "));
	assert_int_equal(c.n, 1);
	c.rc = -EBUSY;
	assert_string_equal(run(f, "del Alice"), "ok\ndeleted alice@example.org\n"
						 "warning: its sessions were not ended: "
						 "Device or resource busy\n");
	assert_int_equal(c.n, 2);
	assert_int_equal(c.last, SB_CMD_USER_DELETED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		T(test_add_localpart_gets_domain),
		T(test_add_errors),
		T(test_passwd_del_show),
		T(test_list),
		T(test_stats_and_unknown),
		T(test_changes_end_sessions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
