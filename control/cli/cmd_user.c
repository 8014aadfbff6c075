/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_user.h. Request grammar (one line, single spaces):
 *
 *   user add <jid-or-localpart> <password>   password: the rest of the line
 *   user passwd <jid-or-localpart> <password>
 *   user del <jid-or-localpart>
 *   user show <jid-or-localpart>
 *   user list [max]
 *   user stats
 *
 * A word without '@' is a localpart of xmpp.domain. Replies never contain a
 * password, a salt or a key; errors never echo more of the request than the
 * subcommand and the JID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_user.h"

int sb_cmd_user_init(struct sb_cmd_user *cu, struct sb_store *store, const char *domain,
		     uint64_t iterations, char *why, size_t why_len)
{
	struct sb_jid j;
	enum sb_jid_reason r = SB_JID_OK;

	memset(cu, 0, sizeof(*cu));
	if (sb_jid_parse_why(&j, domain, strlen(domain), &r) < 0 || j.local_len != 0 ||
	    j.resource_len != 0) {
		snprintf(why, why_len, "xmpp.domain '%.64s' is not a domain: %s", domain,
			 r != SB_JID_OK ? sb_jid_reason_str(r) : "has a localpart or resource");
		return -EINVAL;
	}
	if (iterations < SB_SCRAM_ITER_MIN || iterations > SB_SCRAM_ITER_MAX) {
		snprintf(why, why_len, "auth.scram_iterations %llu outside %u..%u",
			 (unsigned long long)iterations, SB_SCRAM_ITER_MIN, SB_SCRAM_ITER_MAX);
		return -EINVAL;
	}
	cu->store = store;
	cu->iterations = (uint32_t)iterations;
	cu->domain_len = j.domain_len;
	memcpy(cu->domain, sb_jid_domain(&j), j.domain_len);
	cu->domain[j.domain_len] = '\0';
	return 0;
}

/* The next space-separated word of *p; *p moves past it and one space. */
static const char *user_word(const char **p, size_t *len)
{
	const char *w = *p;

	*len = strcspn(w, " ");
	*p = w + *len + (w[*len] == ' ' ? 1 : 0);
	return w;
}

/* Resolve a JID or a localpart of our domain into a bare JID with a
 * localpart. On failure writes the error line and returns -1. */
static int user_jid(const struct sb_cmd_user *cu, const char *w, size_t len,
		    struct sb_jid *out, struct sb_out *o)
{
	char buf[SB_JID_FULL_MAX + 1];
	enum sb_jid_reason r = SB_JID_OK;
	size_t n = len;

	if (len == 0) {
		sb_out_printf(o, "error: missing JID\n");
		return -1;
	}
	if (memchr(w, '@', len) == NULL) {
		if (sb_jid_local_normalise(w, len, buf, sizeof(buf), &n, &r) < 0) {
			sb_out_printf(o, "error: invalid JID: localpart: %s\n",
				      r != SB_JID_OK ? sb_jid_reason_str(r) : "too long");
			return -1;
		}
		if (n + 1 + cu->domain_len >= sizeof(buf)) {
			sb_out_printf(o, "error: invalid JID: too long\n");
			return -1;
		}
		buf[n++] = '@';
		memcpy(buf + n, cu->domain, cu->domain_len);
		n += cu->domain_len;
		w = buf;
	}
	if (sb_jid_parse_why(out, w, n, &r) < 0) {
		sb_out_printf(o, "error: invalid JID: %s\n", sb_jid_reason_str(r));
		return -1;
	}
	if (out->resource_len != 0 || out->local_len == 0) {
		sb_out_printf(o, "error: invalid JID: %s\n",
			      out->local_len == 0 ? "no localpart" : "has a resource");
		return -1;
	}
	return 0;
}

/* One error line for a store result about user. */
static void user_error(const struct sb_cmd_user *cu, int rc, const struct sb_jid *user,
		       struct sb_out *o)
{
	size_t len;
	const char *bare = sb_jid_bare(user, &len);
	int n = (int)(len > 255 ? 255 : len);

	switch (rc) {
	case -EEXIST:
		sb_out_printf(o, "error: user exists: %.*s\n", n, bare);
		break;
	case -ENOENT:
		sb_out_printf(o, "error: no such user: %.*s\n", n, bare);
		break;
	case -EILSEQ:
		sb_out_printf(o, "error: password refused by SASLprep (RFC 4013): prohibited or "
				 "ill-formed characters\n");
		break;
	case -EINVAL:
		sb_out_printf(o, "error: empty password\n");
		break;
	case -EMSGSIZE:
		sb_out_printf(o, "error: password too long (at most %u octets)\n",
			      SB_SCRAM_PASS_MAX);
		break;
	case -ENAMETOOLONG:
		sb_out_printf(o, "error: invalid JID: bare JID longer than %u octets\n",
			      SB_STORE_KEY_MAX);
		break;
	case -ENOSPC:
		sb_out_printf(o, "error: store full: shard %u's map is full (raise store.map_mb)\n",
			      sb_store_shard_of(cu->store->n_shards, user));
		break;
	case -EBADMSG:
		sb_out_printf(o, "error: stored record of %.*s does not decode\n", n, bare);
		break;
	default:
		sb_out_printf(o, "error: store: %s\n", strerror(-rc));
		break;
	}
}

/* End the sessions of a deleted or re-keyed account (cmd_user.h); a
 * failure is one more line after "ok": the change itself is done. */
static void user_changed(struct sb_cmd_user *cu, const struct sb_jid *user,
			 enum sb_cmd_user_change what, struct sb_out *o)
{
	int rc = cu->changed != NULL ? cu->changed(cu->changed_arg, user, what) : 0;

	if (rc < 0)
		sb_out_printf(o, "warning: its sessions were not ended: %s\n", strerror(-rc));
}

/* add and passwd: "<jid> <password>", the password being the rest. */
static void user_set(struct sb_cmd_user *cu, const char *args, bool create, struct sb_out *o)
{
	struct sb_jid user;
	const char *w, *pw;
	size_t wlen, bare_len, dlen;
	bool ours;
	int rc;

	w = user_word(&args, &wlen);
	pw = args;
	if (user_jid(cu, w, wlen, &user, o) < 0)
		return;
	dlen = user.domain_len;
	ours = dlen == cu->domain_len && memcmp(sb_jid_domain(&user), cu->domain, dlen) == 0;
	if (create && !ours) {
		sb_out_printf(o, "error: invalid JID: domain %.*s is not served here (xmpp.domain "
				 "is %s)\n", (int)(dlen > 255 ? 255 : dlen), sb_jid_domain(&user),
			      cu->domain);
		return;
	}
	if (pw[0] == '\0') {
		sb_out_printf(o, "error: missing password (sbctl reads it from stdin with '-')\n");
		return;
	}
	if (create)
		rc = sb_store_user_add(cu->store, &user, pw, strlen(pw), cu->iterations,
				       (uint64_t)time(NULL));
	else
		rc = sb_store_user_passwd(cu->store, &user, pw, strlen(pw), cu->iterations,
					  (uint64_t)time(NULL));
	if (rc < 0) {
		user_error(cu, rc, &user, o);
		return;
	}
	sb_jid_bare(&user, &bare_len);
	sb_out_printf(o, "ok\n%s %.*s (shard %u)\n", create ? "added" : "password changed for",
		      (int)bare_len, user.buf, sb_store_shard_of(cu->store->n_shards, &user));
	/* RFC 6120 §4.9.3.16: sessions opened with the old password end. */
	if (!create)
		user_changed(cu, &user, SB_CMD_USER_PASSWORD_CHANGED, o);
}

/* Resolve the single JID argument of del and show. */
static int user_one_jid(const struct sb_cmd_user *cu, const char *args, struct sb_jid *user,
			struct sb_out *o)
{
	const char *w;
	size_t wlen;

	w = user_word(&args, &wlen);
	if (args[0] != '\0') {
		sb_out_printf(o, "error: too many arguments\n");
		return -1;
	}
	return user_jid(cu, w, wlen, user, o);
}

static void user_del(struct sb_cmd_user *cu, const char *args, struct sb_out *o)
{
	struct sb_jid user;
	size_t len;
	int rc;

	if (user_one_jid(cu, args, &user, o) < 0)
		return;
	rc = sb_store_user_del(cu->store, &user);
	if (rc < 0) {
		user_error(cu, rc, &user, o);
		return;
	}
	sb_jid_bare(&user, &len);
	sb_out_printf(o, "ok\ndeleted %.*s\n", (int)len, user.buf);
	user_changed(cu, &user, SB_CMD_USER_DELETED, o);
}

static void user_time(char *buf, size_t size, uint64_t t_s)
{
	time_t t = (time_t)t_s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%llu", (unsigned long long)t_s);
}

/* Everything about an account except its secrets: no salt, no key. */
static void user_show(struct sb_cmd_user *cu, const char *args, struct sb_out *o)
{
	struct sb_store_account a;
	struct sb_jid user;
	char created[32], changed[32];
	size_t len;
	int rc;

	if (user_one_jid(cu, args, &user, o) < 0)
		return;
	rc = sb_store_user_get(cu->store, &user, &a);
	if (rc < 0) {
		user_error(cu, rc, &user, o);
		return;
	}
	sb_jid_bare(&user, &len);
	user_time(created, sizeof(created), a.created_s);
	user_time(changed, sizeof(changed), a.changed_s);
	sb_out_printf(o, "ok\njid %.*s\nshard %u\ncreated %s\nchanged %s\n", (int)len, user.buf,
		      sb_store_shard_of(cu->store->n_shards, &user), created, changed);
	for (unsigned i = 0; i < a.n_creds; i++)
		sb_out_printf(o, "mechanism %s iterations %u salt_bytes %u\n",
			      sb_scram_mech_name(a.creds[i].mech), a.creds[i].iterations,
			      a.creds[i].salt_len);
	explicit_bzero(&a, sizeof(a));
}

static int user_list_one(void *arg, const char *bare, size_t len)
{
	struct sb_out *o = arg;

	sb_out_printf(o, "%.*s\n", (int)len, bare);
	return o->truncated;
}

static void user_list(struct sb_cmd_user *cu, const char *args, struct sb_out *o)
{
	unsigned long max = SB_CMD_USER_LIST_DEFAULT;
	uint64_t total = 0;
	char *end;
	int n, rc;

	if (args[0] != '\0') {
		max = strtoul(args, &end, 10);
		if (*end != '\0' || args[0] < '0' || args[0] > '9' || max == 0 ||
		    max > SB_CMD_USER_LIST_MAX) {
			sb_out_printf(o, "error: list: max must be 1..%u\n", SB_CMD_USER_LIST_MAX);
			return;
		}
	}
	rc = sb_store_user_count(cu->store, &total);
	if (rc < 0) {
		sb_out_printf(o, "error: store: %s\n", strerror(-rc));
		return;
	}
	sb_out_printf(o, "ok\n");
	n = sb_store_user_list(cu->store, (unsigned)max, user_list_one, o);
	if (n < 0) {
		sb_out_init(o, o->buf, o->size);
		sb_out_printf(o, "error: store: %s\n", strerror(-n));
		return;
	}
	sb_out_printf(o, "(%d of %llu accounts)\n", n, (unsigned long long)total);
}

/* Occupancy per shard and the store's counters. */
static void user_stats(struct sb_cmd_user *cu, struct sb_out *o)
{
	struct sb_store_shard_info info;

	sb_out_printf(o, "ok\nbackend %s shards %u\n", cu->store->ops->name, cu->store->n_shards);
	for (unsigned j = 0; j < cu->store->n_shards; j++) {
		int rc = sb_store_shard_info(cu->store, j, &info);

		if (rc < 0) {
			sb_out_printf(o, "shard %u error %s\n", j, strerror(-rc));
			continue;
		}
		sb_out_printf(o, "shard %u accounts %llu used_kib %llu map_kib %llu\n", j,
			      (unsigned long long)info.accounts,
			      (unsigned long long)(info.used_bytes >> 10),
			      (unsigned long long)(info.map_bytes >> 10));
	}
	for (unsigned c = 0; c < SB_STORE_CTR_MAX; c++)
		sb_out_printf(o, "%s %llu\n", sb_store_ctr_name(c),
			      (unsigned long long)sb_store_ctr_value(&cu->store->ctr, c));
}

void sb_cmd_user_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o)
{
	const char *sub;
	size_t len;

	if (cu == NULL || cu->store == NULL) {
		sb_out_printf(o, "error: the account store is not open\n");
		return;
	}
	sub = user_word(&args, &len);
	if (len == 3 && memcmp(sub, "add", 3) == 0)
		user_set(cu, args, true, o);
	else if (len == 6 && memcmp(sub, "passwd", 6) == 0)
		user_set(cu, args, false, o);
	else if (len == 3 && memcmp(sub, "del", 3) == 0)
		user_del(cu, args, o);
	else if (len == 4 && memcmp(sub, "show", 4) == 0)
		user_show(cu, args, o);
	else if (len == 4 && memcmp(sub, "list", 4) == 0)
		user_list(cu, args, o);
	else if (len == 5 && memcmp(sub, "stats", 5) == 0 && args[0] == '\0')
		user_stats(cu, o);
	else
		sb_out_printf(o, "error: unknown user command '%.*s' (try: add, passwd, del, "
				 "show, list, stats)\n", (int)(len > 32 ? 32 : len), sub);
}
