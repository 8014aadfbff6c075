/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Seed a store for the roster benchmarks (perf/scripts/bench-xmpp.sh with
 * XMPP_ROSTER_CONTACTS): accounts PREFIX0..PREFIX(N-1)@DOMAIN and, for
 * each, a roster of C contacts subscribed both ways, the shape of the
 * public ejabberd two-million-user benchmark (18 contacts, subscription
 * 'both'). Contacts form a ring lattice: user i has i±1 .. i±C/2 (mod N),
 * so every item has its mirror on the contact's roster and both sides
 * agree (C even, N > C).
 *
 * It writes through control/store's interface (the account and roster
 * codecs, the backend's put and kv_write), never LMDB itself, into the
 * folder sb-control will open with the same control.shards and
 * store.map_mb. Run it before sb-control starts.
 *
 * Benchmark shortcut, not an account policy: every account gets the same
 * credentials (one salt per mechanism, derived once), because N PBKDF2
 * derivations (two mechanisms, 4096 rounds) would take minutes here, and
 * sb-loadgen can then keep one set of SCRAM client keys for all users
 * (its cache is keyed by salt). The server's work per login is unchanged:
 * it never runs PBKDF2 for a SCRAM login.
 *
 * Usage: seed_roster STORE_PATH SHARDS MAP_MB DOMAIN PREFIX USERS CONTACTS
 *        [ITERATIONS]   (password on stdin, one line)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scram.h"
#include "store/store_im.h"
#include "store/store_lmdb.h"

/* Users per roster commit: each commit is one transaction (and one fsync). */
#define SEED_BATCH 512u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long arg_ul(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s) {
		fprintf(stderr, "seed_roster: %s '%s' is not a number\n", what, s);
		exit(2);
	}
	return v;
}

struct seed {
	struct sb_store st;
	const char *domain;
	const char *prefix;
	uint32_t users;
	uint32_t contacts;
	/* One pending batch per shard: ops and the records they point to. */
	struct sb_store_op *ops[SB_STORE_SHARDS_MAX];
	char (*keys[SB_STORE_SHARDS_MAX])[SB_STORE_KEY_MAX + 1];
	uint8_t *recs[SB_STORE_SHARDS_MAX][SEED_BATCH];
	unsigned n[SB_STORE_SHARDS_MAX];
	uint64_t bytes;
};

static int seed_flush(struct seed *s, unsigned shard)
{
	int rc = 0;

	if (s->n[shard] != 0)
		rc = s->st.ops->kv_write(s->st.impl, shard, s->ops[shard], s->n[shard]);
	for (unsigned k = 0; k < s->n[shard]; k++) {
		free(s->recs[shard][k]);
		s->recs[shard][k] = NULL;
	}
	s->n[shard] = 0;
	return rc;
}

static int bare_of(const struct seed *s, uint32_t i, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%u@%s", s->prefix, i, s->domain);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

/* The roster of user i: C/2 contacts on each side, all 'both' and shown. */
static int seed_roster(struct seed *s, uint32_t i)
{
	char bare[SB_STORE_KEY_MAX + 1], jid[SB_STORE_KEY_MAX + 1];
	struct sb_roster r;
	uint8_t *rec = NULL;
	size_t len = 0;
	int bl, rc = 0;
	unsigned sh, k;

	bl = bare_of(s, i, bare, sizeof(bare));
	if (bl < 0)
		return bl;
	sb_roster_init(&r);
	for (uint32_t d = 1; d <= s->contacts / 2 && rc == 0; d++) {
		uint32_t peers[2] = { (i + d) % s->users, (i + s->users - d) % s->users };

		for (unsigned p = 0; p < 2 && rc == 0; p++) {
			int jl = bare_of(s, peers[p], jid, sizeof(jid));
			struct sb_roster_item *it;

			if (jl < 0) {
				rc = jl;
				break;
			}
			it = sb_roster_get(&r, jid, (size_t)jl);
			if (it == NULL) {
				rc = -ENOMEM;
				break;
			}
			it->sub = SB_SUB_BOTH;
			it->flags = SB_ROSTER_F_SHOWN;
			sb_roster_touch(&r, it);
		}
	}
	if (rc == 0)
		rc = sb_roster_pack(&r, &rec, &len);
	sb_roster_free(&r);
	if (rc < 0)
		return rc;
	sh = sb_store_shard_of_bare(&s->st, bare, (size_t)bl);
	k = s->n[sh]++;
	memcpy(s->keys[sh][k], bare, (size_t)bl);
	s->recs[sh][k] = rec;
	s->ops[sh][k] = (struct sb_store_op){ .kind = SB_STORE_ROSTER, .key = s->keys[sh][k],
					      .klen = (size_t)bl, .val = rec, .vlen = len };
	s->bytes += len;
	return s->n[sh] == SEED_BATCH ? seed_flush(s, sh) : 0;
}

int main(int argc, char **argv)
{
	static struct seed s;
	struct sb_store_account acct = { 0 };
	uint8_t arec[SB_STORE_ACCOUNT_REC_MAX];
	char pw[256], why[512], bare[SB_STORE_KEY_MAX + 1];
	unsigned long shards, map_mb, iter = 4096;
	size_t pw_len;
	double t0, t1;
	int rc, alen;

	if (argc < 8 || argc > 9) {
		fprintf(stderr, "usage: seed_roster STORE_PATH SHARDS MAP_MB DOMAIN PREFIX USERS "
				"CONTACTS [ITERATIONS] < password\n");
		return 2;
	}
	shards = arg_ul(argv[2], "SHARDS");
	map_mb = arg_ul(argv[3], "MAP_MB");
	s.domain = argv[4];
	s.prefix = argv[5];
	s.users = (uint32_t)arg_ul(argv[6], "USERS");
	s.contacts = (uint32_t)arg_ul(argv[7], "CONTACTS");
	if (argc == 9)
		iter = arg_ul(argv[8], "ITERATIONS");
	if (s.contacts % 2 != 0 || (s.contacts != 0 && s.users <= s.contacts)) {
		fprintf(stderr, "seed_roster: CONTACTS must be even and below USERS\n");
		return 2;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "seed_roster: no password on stdin\n");
		return 2;
	}
	pw_len = strcspn(pw, "\r\n");
	pw[pw_len] = '\0';

	rc = sb_store_lmdb_open(&s.st, argv[1], (unsigned)shards, (uint64_t)map_mb << 20, why,
				sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "seed_roster: %s\n", why);
		return 1;
	}
	for (unsigned m = 0; m < SB_SCRAM_MECH_MAX; m++) {
		rc = sb_scram_credentials_new((enum sb_scram_mech)m, pw, pw_len, (uint32_t)iter,
					      &acct.creds[m]);
		if (rc < 0) {
			fprintf(stderr, "seed_roster: credentials: %s\n", strerror(-rc));
			return 1;
		}
	}
	acct.n_creds = SB_SCRAM_MECH_MAX;
	acct.created_s = acct.changed_s = (uint64_t)time(NULL);
	alen = sb_store_account_pack(&acct, arec);
	if (alen < 0) {
		fprintf(stderr, "seed_roster: account record: %s\n", strerror(-alen));
		return 1;
	}
	for (unsigned j = 0; j < s.st.n_shards; j++) {
		s.ops[j] = calloc(SEED_BATCH, sizeof(*s.ops[j]));
		s.keys[j] = calloc(SEED_BATCH, sizeof(*s.keys[j]));
		if (s.ops[j] == NULL || s.keys[j] == NULL) {
			fprintf(stderr, "seed_roster: out of memory\n");
			return 1;
		}
	}

	t0 = now_s();
	for (uint32_t i = 0; i < s.users; i++) {
		struct sb_jid j;
		int bl = bare_of(&s, i, bare, sizeof(bare));

		if (bl < 0 || sb_jid_parse(&j, bare, (size_t)bl) < 0) {
			fprintf(stderr, "seed_roster: %s: not a JID\n", bare);
			return 1;
		}
		rc = s.st.ops->put(s.st.impl, &j, arec, (size_t)alen);
		if (rc < 0 && rc != -EEXIST) {
			fprintf(stderr, "seed_roster: account %s: %s\n", bare, strerror(-rc));
			return 1;
		}
	}
	t1 = now_s();
	for (uint32_t i = 0; i < s.users && s.contacts != 0; i++) {
		rc = seed_roster(&s, i);
		if (rc < 0) {
			fprintf(stderr, "seed_roster: roster of user %u: %s\n", i, strerror(-rc));
			return 1;
		}
	}
	for (unsigned j = 0; j < s.st.n_shards; j++) {
		rc = seed_flush(&s, j);
		if (rc < 0) {
			fprintf(stderr, "seed_roster: roster commit: %s\n", strerror(-rc));
			return 1;
		}
		free(s.ops[j]);
		free(s.keys[j]);
	}
	printf("seed_roster: %u accounts in %.1f s, %u rosters of %u contacts (subscription "
	       "both, %.0f bytes each) in %.1f s\n",
	       s.users, t1 - t0, s.contacts ? s.users : 0, s.contacts,
	       s.users ? (double)s.bytes / s.users : 0.0, now_s() - t1);
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(&acct, sizeof(acct));
	explicit_bzero(arec, sizeof(arec));
	sb_store_close(&s.st);
	return 0;
}
