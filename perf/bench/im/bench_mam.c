/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the message archive (control/store/store_mam.h over LMDB) costs one
 * control shard, in a fresh folder on the disk the store would use:
 *
 *  - archiving: records written in group commits (one kv_write, one fsync
 *    per batch, as the archive writer thread does), keyed and packed
 *    exactly as control/im/im_mam_batch.c does, all into one user's
 *    archive (the archive that then gets large) or spread over many;
 *  - queries on that archive, as the store calls im_mam.c makes for one
 *    query: the page scan (max + 1 matching records, descending for the
 *    last page, ascending after an id), the <count/> scan (bounded by
 *    im.mam_count_max), one lookup per result with its id computed and
 *    its result bytes copied; and `sbctl mam count` (a scan of everything).
 *
 * The peer of record i is peer (i % 100), so a `with` query matches 1%.
 * Single thread: one shard's figures. Usage:
 *   bench_mam [folder] [records] [count_max] [index|noindex] [users] [batch]
 *   (default /var/tmp, 1000000, 10000, index, 1, 4096 records per commit
 *   as im.mam_commit_batch; noindex: without the peer
 *   index, to see what it costs; users > 1: the records spread round-robin
 *   over that many archives, archiving only)
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_im.h"
#include "store/store_lmdb.h"
#include "store/store_mam.h"

#define USER "juliet@example.com"
#define PEERS 100u
#define BATCH_MAX 8192u
#define PAGE 50u

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
	"<message from='romeo00@example.com/balcony' to='juliet@example.com' type='chat' "
	"id='a1b2c3'><body>Wherefore art thou? Meet me at the balcony at nine.</body>"
	"<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@example.com' id='0123456789abcdef'/>"
	"</message>";

static void peer_of(unsigned i, char out[32])
{
	snprintf(out, 32, "romeo%02u@example.com/balcony", i % PEERS);
}

/* n records from ord base + 1 on, in batches (with their peer index
 * entries unless noindex): records/s. */
static unsigned BATCH = 4096u; /* im.mam_commit_batch; argv[6] */

static double archive(struct sb_store *st, unsigned n, uint64_t base, int noindex,
		      unsigned users)
{
	static struct sb_store_op ops[2 * BATCH_MAX];
	static uint8_t keys[BATCH_MAX][64], recs[BATCH_MAX][512], wkeys[BATCH_MAX][96];
	char user[64];
	size_t ul = strlen(USER);
	double t0 = now_s();

	memcpy(user, USER, ul + 1);

	for (unsigned done = 0; done < n;) {
		unsigned b = n - done < BATCH ? n - done : BATCH;

		for (unsigned i = 0; i < b; i++) {
			char peer[32];
			struct sb_mam_rec r = { .with_len = 27, .with_bare_len = 19, .with = peer,
						.bytes = (const uint8_t *)body,
						.bytes_len = sizeof(body) - 1 };
			size_t kl, vl;

			peer_of(done + i, peer);
			if (users > 1)
				ul = (size_t)snprintf(user, sizeof(user), "juliet%05u@example.com",
						      (done + i) % users);
			kl = sb_mam_key(keys[i], sizeof(keys[i]), user, ul, base + done + i + 1);
			vl = sb_mam_pack(&r, recs[i], sizeof(recs[i]));
			ops[2 * i] = (struct sb_store_op){ .kind = SB_STORE_MAM, .key = keys[i],
							   .klen = kl, .val = recs[i], .vlen = vl };
			/* Its peer index entry, as im_mam.c writes it. */
			kl = sb_mam_with_key(wkeys[i], sizeof(wkeys[i]), user, ul, peer, 19,
					     base + done + i + 1);
			ops[2 * i + 1] = (struct sb_store_op){ .kind = SB_STORE_MAM_WITH,
							       .key = wkeys[i], .klen = kl,
							       .val = peer, .vlen = 27 };
		}
		if (noindex)
			for (unsigned i = 0; i < b; i++)
				ops[i] = ops[2 * i];
		/* One environment (one shard): every user is in shard 0. */
		if (st->ops->kv_write(st->impl, 0, ops, noindex ? b : 2 * b) < 0) {
			fprintf(stderr, "bench_mam: kv_write failed at %u\n", done);
			exit(1);
		}
		done += b;
	}
	return n / (now_s() - t0);
}

struct q {
	const struct sb_mam_idkey *ik;
	const char *with;        /* bare peer, or NULL */
	unsigned want, n;
	uint64_t ords[PAGE + 1];
	uint64_t count;
	char out[1024];
};

static int matches(const struct q *q, const struct sb_mam_rec *r)
{
	return q->with == NULL ||
	       (r->with_bare_len == strlen(q->with) && memcmp(r->with, q->with, 19) == 0);
}

static int collect(void *arg, const struct sb_mam_rec *r)
{
	struct q *q = arg;

	if (!matches(q, r))
		return 0;
	q->ords[q->n++] = r->ord;
	return q->n == q->want;
}

static int counted(void *arg, const struct sb_mam_rec *r)
{
	struct q *q = arg;

	q->count += (uint64_t)matches(q, r);
	return 0;
}

static int with_collect(void *arg, uint64_t ord, const char *w, size_t wl)
{
	struct q *q = arg;

	(void)w;
	(void)wl;
	q->ords[q->n++] = ord;
	return q->n == q->want;
}

static int with_counted(void *arg, uint64_t ord, const char *w, size_t wl)
{
	(void)ord;
	(void)w;
	(void)wl;
	((struct q *)arg)->count++;
	return 0;
}

static int result(void *arg, const struct sb_mam_rec *r)
{
	struct q *q = arg;
	char id[17];

	sb_mam_id_str(sb_mam_id_of(q->ik, USER, strlen(USER), r->ord), id);
	memcpy(q->out, r->bytes, r->bytes_len < sizeof(q->out) ? r->bytes_len : sizeof(q->out));
	return 0;
}

/* One query as im_mam.c runs it (the page in [lo, hi], the count over
 * [clo, chi], through the peer index when q->with is set): µs. */
static double query(struct sb_store *st, struct q *q, uint64_t lo, uint64_t hi, uint64_t clo,
		    uint64_t chi, int back, unsigned count_max, int *complete, int *with_count)
{
	size_t ul = strlen(USER);
	double t0 = now_s();
	int rc;

	q->n = 0;
	q->count = 0;
	q->want = PAGE + 1;
	if (q->with != NULL)
		rc = sb_store_mam_with_range(st, USER, ul, q->with, 19, lo, hi, back, count_max,
					     with_collect, q);
	else
		rc = sb_store_mam_range(st, USER, ul, lo, hi, back, count_max, collect, q);
	*complete = q->n <= PAGE && (unsigned)rc < count_max;
	if (q->n > PAGE)
		q->n = PAGE;
	if (q->with != NULL)
		rc = sb_store_mam_with_range(st, USER, ul, q->with, 19, clo, chi, 0, count_max,
					     with_counted, q);
	else
		rc = sb_store_mam_range(st, USER, ul, clo, chi, 0, count_max, counted, q);
	*with_count = (unsigned)rc < count_max;
	for (unsigned i = 0; i < q->n; i++)
		sb_store_mam_get(st, USER, ul, q->ords[i], result, q);
	return (now_s() - t0) * 1e6;
}

static void report(const char *what, struct sb_store *st, struct q *q, uint64_t lo, uint64_t hi,
		   uint64_t clo, uint64_t chi, int back, unsigned count_max)
{
	double best = 1e18, sum = 0;
	int complete = 0, with_count = 0;

	for (int i = 0; i < 20; i++) {
		double us = query(st, q, lo, hi, clo, chi, back, count_max, &complete,
				  &with_count);

		sum += us;
		best = us < best ? us : best;
	}
	printf("| %s | %u | %.0f | %.0f | %s | %s |\n", what, q->n, best, sum / 20,
	       complete ? "true" : "false",
	       with_count ? "yes" : "no (past im.mam_count_max)");
}

static int visit_count(void *arg, const struct sb_mam_rec *r)
{
	(void)r;
	(*(uint64_t *)arg)++;
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : "/var/tmp";
	unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1000000u;
	unsigned count_max = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 10000u;
	int noindex = argc > 4 && strcmp(argv[4], "noindex") == 0;
	unsigned users = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 1u;

	if (argc > 6)
		BATCH = (unsigned)strtoul(argv[6], NULL, 10);
	if (BATCH == 0 || BATCH > BATCH_MAX)
		BATCH = BATCH_MAX;
	uint64_t t0 = 1764900000000000ull, all = 0;
	struct sb_store st;
	struct sb_mam_idkey ik;
	struct sb_store_shard_info info;
	struct q q = { .ik = &ik };
	char dir[256], why[256];
	double t, rate;

	snprintf(dir, sizeof(dir), "%s/sb-bench-mam-XXXXXX", base);
	if (mkdtemp(dir) == NULL ||
	    sb_store_lmdb_open(&st, dir, 1, 4096ull << 20, why, sizeof(why)) < 0) {
		fprintf(stderr, "bench_mam: %s: cannot open a store (%s)\n", dir, why);
		return 1;
	}
	sb_mam_idkey_init(&ik, st.fake_secret);
	rate = archive(&st, n, t0, noindex, users);
	sb_store_shard_info(&st, 0, &info);
	printf("archived %u records into %u archive(s), %u per commit%s: %.0f records/s; "
	       "%.0f bytes per record on disk\n", n, users, BATCH,
	       noindex ? " (no peer index)" : "", rate, (double)info.used_bytes / n);
	if (noindex || users > 1)
		goto out;
	printf("| query (%u records, im.mam_count_max %u) | results | best µs | mean µs | "
	       "complete | count |\n| --- | --- | --- | --- | --- | --- |\n", n, count_max);
	report("last page (empty `<before/>`)", &st, &q, 0, UINT64_MAX - 1, 0, UINT64_MAX - 1, 1,
	       count_max);
	report("first page", &st, &q, 0, UINT64_MAX - 1, 0, UINT64_MAX - 1, 0, count_max);
	report("page after an id in the middle", &st, &q, t0 + n / 2 + 1, UINT64_MAX - 1, 0,
	       UINT64_MAX - 1, 0, count_max);
	report("start/end: one page inside a 1,000-record window", &st, &q, t0 + n / 2,
	       t0 + n / 2 + 999, t0 + n / 2, t0 + n / 2 + 999, 0, count_max);
	q.with = "romeo07@example.com";
	report("`with` one peer of 100 (1% of the archive), last page", &st, &q, 0,
	       UINT64_MAX - 1, 0, UINT64_MAX - 1, 1, count_max);
	report("`with` one peer, page after an id in the middle", &st, &q, t0 + n / 2 + 1,
	       UINT64_MAX - 1, 0, UINT64_MAX - 1, 0, count_max);
	q.with = NULL;
	t = now_s();
	sb_store_mam_range(&st, USER, strlen(USER), 0, UINT64_MAX - 1, 0, UINT32_MAX, visit_count,
			   &all);
	printf("sbctl mam count (a scan of all %llu records): %.0f ms\n", (unsigned long long)all,
	       (now_s() - t) * 1e3);
out:
	sb_store_close(&st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
