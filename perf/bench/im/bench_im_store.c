/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the IM store costs one control shard (control/store/store_im.h over
 * LMDB, in a fresh folder on the disk the store would use): offline
 * messages stored by group commits of several sizes (one transaction, one
 * fsync per batch, as control/im/im_offline.c does), their delivery (the
 * ordered list of a user's queue, then its purge), and the load and save
 * of an 18-contact roster (what one roster push or subscription step
 * costs). Single thread: one shard's figures.
 *
 * Usage: bench_im_store [folder] [messages]   (default /tmp, 20000)
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_im.h"
#include "store/store_lmdb.h"

#define USERS 100u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static const char body[] =
	"<message from='romeo@example.com/balcony' to='juliet@example.com' type='chat' "
	"id='a1b2c3'><body>Wherefore art thou? Meet me at the balcony at nine.</body>"
	"<delay xmlns='urn:xmpp:delay' from='example.com' stamp='2026-12-05T01:50:21.123Z'/>"
	"</message>";

/* Store n messages for USERS users in batches of batch; messages/s. */
static double store_rate(struct sb_store *st, unsigned n, unsigned batch, uint64_t *seq)
{
	struct sb_store_op *ops = calloc(batch, sizeof(*ops));
	uint8_t (*keys)[64] = calloc(batch, 64);
	uint8_t (*recs)[512] = calloc(batch, 512);
	struct sb_offline_msg m = {
		.stamp_ms = 1, .kind = 1, .type = 2, .from_len = 25, .from_bare_len = 17,
		.from = "romeo@example.com/balcony", .bytes = (const uint8_t *)body,
		.bytes_len = sizeof(body) - 1,
	};
	char user[32];
	double t0 = now_s();

	for (unsigned done = 0; done < n;) {
		unsigned k = 0;

		for (; k < batch && done < n; k++, done++) {
			int ul = snprintf(user, sizeof(user), "u%u@example.com", done % USERS);

			ops[k] = (struct sb_store_op){ .kind = SB_STORE_OFFLINE, .key = keys[k],
						       .val = recs[k] };
			ops[k].klen = sb_offline_key(keys[k], 64, user, (size_t)ul, ++*seq);
			ops[k].vlen = sb_offline_pack(&m, recs[k], 512);
		}
		if (st->ops->kv_write(st->impl, 0, ops, k) < 0) {
			fprintf(stderr, "bench_im_store: commit failed\n");
			exit(1);
		}
	}
	free(ops);
	free(keys);
	free(recs);
	return n / (now_s() - t0);
}

static int count_one(void *arg, const struct sb_offline_msg *m)
{
	(*(unsigned *)arg)++;
	(void)m;
	return 0;
}

/* Deliver every user's queue: list in order, then purge. Messages/s. */
static double deliver_rate(struct sb_store *st, unsigned *total)
{
	char user[32];
	double t0 = now_s();

	*total = 0;
	for (unsigned u = 0; u < USERS; u++) {
		int ul = snprintf(user, sizeof(user), "u%u@example.com", u);

		sb_store_offline_list(st, user, (size_t)ul, 1u << 20, count_one, total);
		while (sb_store_offline_purge(st, user, (size_t)ul, UINT64_MAX, UINT32_MAX) > 0)
			;
	}
	return *total / (now_s() - t0);
}

static void roster_cost(struct sb_store *st)
{
	struct sb_roster r;
	char jid[48];
	const char *groups[] = { "Friends" };
	const uint16_t glen[] = { 7 };
	unsigned n = 2000;
	double t0, load = 0, save = 0;

	sb_roster_init(&r);
	for (unsigned i = 0; i < 18; i++) {
		int l = snprintf(jid, sizeof(jid), "contact%u@example.com", i);
		struct sb_roster_item *it = sb_roster_get(&r, jid, (size_t)l);

		sb_roster_item_set(it, "A Contact", 9, groups, glen, 1);
		it->sub = SB_SUB_BOTH;
		it->flags = SB_ROSTER_F_SHOWN;
		sb_roster_touch(&r, it);
	}
	sb_store_roster_save(st, "me@example.com", 14, &r);
	sb_roster_free(&r);
	for (unsigned i = 0; i < n; i++) {
		t0 = now_s();
		sb_store_roster_load(st, "me@example.com", 14, &r);
		load += now_s() - t0;
		sb_roster_touch(&r, &r.items[i % 18]);
		t0 = now_s();
		sb_store_roster_save(st, "me@example.com", 14, &r);
		save += now_s() - t0;
		sb_roster_free(&r);
	}
	printf("roster of 18 contacts: load %.1f us, save (one synchronous commit) %.1f us\n",
	       load / n * 1e6, save / n * 1e6);
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : "/tmp";
	unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 20000u;
	static const unsigned batches[] = { 1, 16, 128, 1024 };
	char dir[256], why[256];
	struct sb_store st;
	uint64_t seq = 0;

	snprintf(dir, sizeof(dir), "%s/sb-bench-im-XXXXXX", base);
	if (mkdtemp(dir) == NULL ||
	    sb_store_lmdb_open(&st, dir, 1, 1ull << 30, why, sizeof(why)) < 0) {
		fprintf(stderr, "bench_im_store: %s: cannot open a store\n", dir);
		return 1;
	}
	printf("one shard, %u users, %zu-byte messages, store in %s\n", USERS, sizeof(body) - 1,
	       base);
	printf("%-10s %14s %14s\n", "batch", "stored/s", "delivered/s");
	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		unsigned m = batches[b] == 1 ? n / 10 : n, got;
		double s = store_rate(&st, m, batches[b], &seq);
		double d = deliver_rate(&st, &got);

		if (got != m) {
			fprintf(stderr, "bench_im_store: stored %u, delivered %u\n", m, got);
			return 1;
		}
		printf("%-10u %14.0f %14.0f\n", batches[b], s, d);
	}
	roster_cost(&st);
	sb_store_close(&st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
