/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The message archive (XEP-0313) over the store's kv operations: the
 * record codec, the id permutation, ranges in time order both ways, single
 * lookups and the oldest-first purge. New records are written by the
 * caller (control/im/im_mam.c) in the shard's group commit; store_mam.h
 * has the layout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_im.h"
#include "store_mam.h"

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

size_t sb_mam_key(uint8_t *key, size_t cap, const char *bare, size_t len, uint64_t ord)
{
	if (len == 0 || len + 9 > cap || len + 9 > SB_STORE_KEY_MAX)
		return 0;
	memcpy(key, bare, len);
	key[len] = 0;
	put_be64(key + len + 1, ord);
	return len + 9;
}

size_t sb_mam_with_key(uint8_t *key, size_t cap, const char *bare, size_t len,
		       const char *with_bare, size_t wlen, uint64_t ord)
{
	size_t n = len + 1 + wlen + 1 + 8;

	if (len == 0 || n > cap || n > SB_STORE_KEY_MAX)
		return 0;
	memcpy(key, bare, len);
	key[len] = 0;
	memcpy(key + len + 1, with_bare, wlen);
	key[len + 1 + wlen] = 0;
	put_be64(key + len + 2 + wlen, ord);
	return n;
}

size_t sb_mam_pack(const struct sb_mam_rec *r, uint8_t *rec, size_t cap)
{
	size_t n = SB_MAM_HDR_LEN + r->with_len + r->bytes_len;

	if (n > cap || r->with_bare_len > r->with_len)
		return 0;
	rec[0] = SB_MAM_VERSION;
	rec[1] = r->flags;
	put_be16(rec + 2, r->with_len);
	put_be16(rec + 4, r->with_bare_len);
	put_be16(rec + 6, 0);
	memcpy(rec + SB_MAM_HDR_LEN, r->with, r->with_len);
	memcpy(rec + SB_MAM_HDR_LEN + r->with_len, r->bytes, r->bytes_len);
	return n;
}

int sb_mam_unpack(struct sb_mam_rec *r, const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen)
{
	if (klen < 9 || key[klen - 9] != 0 || vlen < SB_MAM_HDR_LEN || val[0] != SB_MAM_VERSION)
		return -EBADMSG;
	r->ord = get_be64(key + klen - 8);
	r->flags = val[1];
	r->with_len = get_be16(val + 2);
	r->with_bare_len = get_be16(val + 4);
	if (r->with_bare_len > r->with_len || vlen - SB_MAM_HDR_LEN < r->with_len)
		return -EBADMSG;
	r->with = (const char *)val + SB_MAM_HDR_LEN;
	r->bytes = val + SB_MAM_HDR_LEN + r->with_len;
	r->bytes_len = vlen - SB_MAM_HDR_LEN - r->with_len;
	return 0;
}

void sb_mam_idkey_init(struct sb_mam_idkey *ik, const uint8_t secret[SB_STORE_SECRET_LEN])
{
	/* Domain-separated from the fake-credential use of the secret. */
	static const char label[] = "switchboard mam id v1";
	uint64_t a = sb_jid_siphash24(secret + 16, label, sizeof(label));
	uint64_t b = sb_jid_siphash24(secret, label, sizeof(label));

	put_be64(ik->k, a);
	put_be64(ik->k + 8, b);
}

/* Round function: SipHash of (tweak, round, half), 32 bits of it. */
static uint32_t feistel_f(const struct sb_mam_idkey *ik, uint64_t tweak, unsigned round,
			  uint32_t half)
{
	uint8_t in[13];

	put_be64(in, tweak);
	in[8] = (uint8_t)round;
	in[9] = (uint8_t)(half >> 24);
	in[10] = (uint8_t)(half >> 16);
	in[11] = (uint8_t)(half >> 8);
	in[12] = (uint8_t)half;
	return (uint32_t)sb_jid_siphash24(ik->k, in, sizeof(in));
}

#define FEISTEL_ROUNDS 4u

uint64_t sb_mam_id_of(const struct sb_mam_idkey *ik, const char *bare, size_t len, uint64_t ord)
{
	uint64_t tweak = sb_jid_siphash24(ik->k, bare, len);
	uint32_t l = (uint32_t)(ord >> 32), r = (uint32_t)ord;

	for (unsigned i = 0; i < FEISTEL_ROUNDS; i++) {
		uint32_t t = l ^ feistel_f(ik, tweak, i, r);

		l = r;
		r = t;
	}
	return (uint64_t)l << 32 | r;
}

uint64_t sb_mam_ord_of(const struct sb_mam_idkey *ik, const char *bare, size_t len, uint64_t id)
{
	uint64_t tweak = sb_jid_siphash24(ik->k, bare, len);
	uint32_t l = (uint32_t)(id >> 32), r = (uint32_t)id;

	for (unsigned i = FEISTEL_ROUNDS; i-- > 0;) {
		uint32_t t = r ^ feistel_f(ik, tweak, i, l);

		r = l;
		l = t;
	}
	return (uint64_t)l << 32 | r;
}

void sb_mam_id_str(uint64_t id, char out[SB_MAM_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < SB_MAM_ID_LEN; i++)
		out[i] = hex[(id >> (60 - 4 * i)) & 0xf];
	out[SB_MAM_ID_LEN] = '\0';
}

int sb_mam_id_parse(const char *s, size_t n, uint64_t *id)
{
	uint64_t v = 0;

	if (n != SB_MAM_ID_LEN)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*id = v;
	return 0;
}

struct mam_visit {
	sb_mam_fn fn;
	void *arg;
	struct sb_store *st;
};

static int mam_seen(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct mam_visit *o = arg;
	struct sb_mam_rec r;

	if (sb_mam_unpack(&r, k, kl, v, vl) < 0) {
		__atomic_fetch_add(&o->st->ctr.bad_record, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return o->fn(o->arg, &r);
}

int sb_store_mam_range(struct sb_store *st, const char *bare, size_t len, uint64_t lo,
		       uint64_t hi, bool reverse, unsigned max, sb_mam_fn fn, void *arg)
{
	uint8_t klo[SB_STORE_KEY_MAX + 1], khi[SB_STORE_KEY_MAX + 1];
	size_t ll = sb_mam_key(klo, sizeof(klo), bare, len, lo);
	size_t hl = sb_mam_key(khi, sizeof(khi), bare, len, hi);
	struct mam_visit o = { .fn = fn, .arg = arg, .st = st };

	if (ll == 0 || hl == 0)
		return -ENAMETOOLONG;
	if (lo > hi)
		return 0;
	return st->ops->kv_range(st->impl, sb_store_shard_of_bare(st, bare, len), SB_STORE_MAM,
				 klo, ll, khi, hl, reverse, max, mam_seen, &o);
}

struct mam_with_visit {
	sb_mam_with_fn fn;
	void *arg;
	size_t klen;   /* every entry's key length: the prefix and 8 */
};

static int mam_with_seen(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct mam_with_visit *o = arg;

	if (kl != o->klen)
		return 0; /* a longer peer name sharing the prefix cannot match */
	return o->fn(o->arg, get_be64(k + kl - 8), (const char *)v, vl);
}

int sb_store_mam_with_range(struct sb_store *st, const char *bare, size_t len,
			    const char *with_bare, size_t wlen, uint64_t lo, uint64_t hi,
			    bool reverse, unsigned max, sb_mam_with_fn fn, void *arg)
{
	uint8_t klo[SB_STORE_KEY_MAX + 1], khi[SB_STORE_KEY_MAX + 1];
	size_t ll = sb_mam_with_key(klo, sizeof(klo), bare, len, with_bare, wlen, lo);
	size_t hl = sb_mam_with_key(khi, sizeof(khi), bare, len, with_bare, wlen, hi);
	struct mam_with_visit o = { .fn = fn, .arg = arg, .klen = ll };

	if (ll == 0 || hl == 0)
		return -ENAMETOOLONG;
	if (lo > hi)
		return 0;
	return st->ops->kv_range(st->impl, sb_store_shard_of_bare(st, bare, len),
				 SB_STORE_MAM_WITH, klo, ll, khi, hl, reverse, max, mam_with_seen,
				 &o);
}

int sb_store_mam_get(struct sb_store *st, const char *bare, size_t len, uint64_t ord,
		     sb_mam_fn fn, void *arg)
{
	uint8_t k[SB_STORE_KEY_MAX + 1];
	size_t kl = sb_mam_key(k, sizeof(k), bare, len, ord);
	struct mam_visit o = { .fn = fn, .arg = arg, .st = st };

	if (kl == 0)
		return -ENAMETOOLONG;
	return st->ops->kv_get(st->impl, sb_store_shard_of_bare(st, bare, len), SB_STORE_MAM, k, kl,
			       mam_seen, &o);
}

#define MAM_PURGE_BATCH 1024u

struct mam_purge {
	unsigned n;
	uint64_t ord[MAM_PURGE_BATCH];
	uint16_t wlen[MAM_PURGE_BATCH];
	char with[MAM_PURGE_BATCH][SB_STORE_KEY_MAX + 1]; /* longer ones are not indexed */
};

static int mam_marked(void *arg, const struct sb_mam_rec *r)
{
	struct mam_purge *p = arg;

	p->ord[p->n] = r->ord;
	p->wlen[p->n] = r->with_bare_len <= SB_STORE_KEY_MAX ? r->with_bare_len : 0;
	memcpy(p->with[p->n], r->with, p->wlen[p->n]);
	p->n++;
	return p->n == MAM_PURGE_BATCH;
}

int sb_store_mam_purge(struct sb_store *st, const char *bare, size_t len, uint64_t before,
		       unsigned max)
{
	struct mam_purge *p;
	struct sb_store_op *ops;
	uint8_t *keys;
	size_t kl = len + 9;
	unsigned nops = 0;
	int rc;

	if (before == 0 || max == 0)
		return 0;
	if (max > MAM_PURGE_BATCH)
		max = MAM_PURGE_BATCH;
	/* Up to 2 x 1024 keys of up to 511 bytes: off the stack (sbctl, login). */
	p = malloc(sizeof(*p));
	ops = malloc(2 * max * sizeof(*ops));
	keys = malloc((size_t)max * (kl + SB_STORE_KEY_MAX));
	if (p == NULL || ops == NULL || keys == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	p->n = 0;
	rc = sb_store_mam_range(st, bare, len, 0, before - 1, false, max, mam_marked, p);
	if (rc < 0 || p->n == 0)
		goto out;
	for (unsigned i = 0; i < p->n; i++) {
		uint8_t *k = keys + (size_t)i * (kl + SB_STORE_KEY_MAX);
		size_t wl;

		sb_mam_key(k, kl, bare, len, p->ord[i]);
		ops[nops++] = (struct sb_store_op){ .kind = SB_STORE_MAM, .key = k, .klen = kl };
		wl = sb_mam_with_key(k + kl, SB_STORE_KEY_MAX, bare, len, p->with[i], p->wlen[i],
				     p->ord[i]);
		if (wl > 0)
			ops[nops++] = (struct sb_store_op){ .kind = SB_STORE_MAM_WITH,
							    .key = k + kl, .klen = wl };
	}
	rc = st->ops->kv_write(st->impl, sb_store_shard_of_bare(st, bare, len), ops, nops);
	if (rc == 0)
		rc = (int)p->n;
out:
	free(p);
	free(ops);
	free(keys);
	return rc;
}

static int digits(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10u + (unsigned)(s[i] - '0');
	}
	return 0;
}

int sb_mam_time_parse(const char *s, size_t n, uint64_t *us)
{
	unsigned y, mo, d, h, mi, se, frac = 0, scale = 1000000u, oh = 0, om = 0;
	struct tm tm = { 0 };
	size_t i = 19;
	int64_t t, off = 0;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -EINVAL;
	if (s[i] == '.') {
		size_t f = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (i - f < 6) {
				frac = frac * 10u + (unsigned)(s[i] - '0');
				scale /= 10u;
			}
			i++;
		}
		if (i == f)
			return -EINVAL;
	}
	if (i + 1 == n && s[i] == 'Z') {
		off = 0;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
		   !digits(s + i + 1, 2, &oh) && !digits(s + i + 4, 2, &om) && oh < 24 && om < 60) {
		off = ((int64_t)oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
	} else {
		return -EINVAL;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)se;
	t = (int64_t)timegm(&tm) - off;
	if (t < 0)
		return -EINVAL;
	*us = (uint64_t)t * 1000000u + (uint64_t)frac * scale;
	return 0;
}

void sb_mam_time_str(uint64_t us, char out[32])
{
	time_t t = (time_t)(us / 1000000u);
	struct tm tm;

	char s[96];
	int n;

	gmtime_r(&t, &tm);
	n = snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (unsigned)(us % 1000000u));
	n = n < 0 ? 0 : n > 31 ? 31 : n; /* 27 until the year 10000 */
	memcpy(out, s, (size_t)n);
	out[n] = '\0';
}

