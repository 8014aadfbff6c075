/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Offline messages (XEP-0160) over the store's kv operations: the record
 * codec, per-user count, ordered listing and purge. Writes of new messages
 * are batched by the caller (control/im/offline.c) into one kv_write, the
 * group commit; store_im.h has the layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_im.h"

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

size_t sb_offline_key(uint8_t *key, size_t cap, const char *bare, size_t len, uint64_t seq)
{
	if (len + 9 > cap || len + 9 > SB_STORE_KEY_MAX)
		return 0;
	memcpy(key, bare, len);
	key[len] = 0;
	put_be64(key + len + 1, seq);
	return len + 9;
}

/* The kind byte's flag for an origin after the header: records written
 * before origins existed read as they always did. */
#define KIND_F_ORIGIN 0x80u

size_t sb_offline_rec_len(const struct sb_offline_msg *m)
{
	return SB_OFFLINE_HDR_LEN + (m->origin.set ? SB_OFFLINE_ORIGIN_LEN : 0u) + m->from_len +
	       m->bytes_len;
}

size_t sb_offline_pack(const struct sb_offline_msg *m, uint8_t *rec, size_t cap)
{
	size_t n = sb_offline_rec_len(m), at = SB_OFFLINE_HDR_LEN;

	if (n > cap || m->from_bare_len > m->from_len || (m->kind & KIND_F_ORIGIN))
		return 0;
	put_be64(rec, m->stamp_ms);
	rec[8] = m->kind | (m->origin.set ? KIND_F_ORIGIN : 0u);
	rec[9] = m->type;
	rec[10] = (uint8_t)(m->from_len >> 8);
	rec[11] = (uint8_t)m->from_len;
	rec[12] = (uint8_t)(m->from_bare_len >> 8);
	rec[13] = (uint8_t)m->from_bare_len;
	if (m->origin.set) {
		put_be64(rec + at, m->origin.tsc);
		put_be64(rec + at + 8, (uint64_t)m->origin.gen << 32 | (uint64_t)m->origin.worker << 16);
		at += SB_OFFLINE_ORIGIN_LEN;
	}
	memcpy(rec + at, m->from, m->from_len);
	memcpy(rec + at + m->from_len, m->bytes, m->bytes_len);
	return n;
}

static int offline_unpack(struct sb_offline_msg *m, const uint8_t *k, size_t kl,
			  const uint8_t *v, size_t vl)
{
	size_t at = SB_OFFLINE_HDR_LEN;

	if (kl < 9 || vl < SB_OFFLINE_HDR_LEN)
		return -EBADMSG;
	m->seq = get_be64(k + kl - 8);
	m->stamp_ms = get_be64(v);
	m->kind = v[8] & (uint8_t)~KIND_F_ORIGIN;
	m->type = v[9];
	m->from_len = (uint16_t)(v[10] << 8 | v[11]);
	m->from_bare_len = (uint16_t)(v[12] << 8 | v[13]);
	memset(&m->origin, 0, sizeof(m->origin));
	if (v[8] & KIND_F_ORIGIN) {
		uint64_t w;

		if (vl < at + SB_OFFLINE_ORIGIN_LEN)
			return -EBADMSG;
		m->origin.tsc = get_be64(v + at);
		w = get_be64(v + at + 8);
		m->origin.gen = (uint32_t)(w >> 32);
		m->origin.worker = (uint16_t)(w >> 16);
		m->origin.set = 1;
		at += SB_OFFLINE_ORIGIN_LEN;
	}
	if (m->from_bare_len > m->from_len || vl - at < m->from_len)
		return -EBADMSG;
	m->from = (const char *)v + at;
	m->bytes = v + at + m->from_len;
	m->bytes_len = vl - at - m->from_len;
	return 0;
}

static size_t user_prefix(uint8_t *k, size_t cap, const char *bare, size_t len)
{
	if (len == 0 || len + 1 > cap)
		return 0;
	memcpy(k, bare, len);
	k[len] = 0;
	return len + 1;
}

struct offline_count {
	uint32_t n;
	uint64_t last;
};

static int offline_counted(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct offline_count *c = arg;

	(void)v;
	(void)vl;
	c->n++;
	if (kl >= 9)
		c->last = get_be64(k + kl - 8);
	return 0;
}

int sb_store_offline_count(struct sb_store *st, const char *bare, size_t len, unsigned max,
			   uint32_t *n, uint64_t *last_seq)
{
	uint8_t k[SB_STORE_KEY_MAX + 1];
	size_t kl = user_prefix(k, sizeof(k), bare, len);
	struct offline_count c = { 0 };
	int rc;

	if (kl == 0)
		return -ENAMETOOLONG;
	rc = st->ops->kv_scan(st->impl, sb_store_shard_of_bare(st, bare, len), SB_STORE_OFFLINE, k,
			      kl, max, offline_counted, &c);
	if (rc < 0)
		return rc;
	*n = c.n;
	*last_seq = c.last;
	return 0;
}

struct offline_visit {
	sb_store_offline_fn fn;
	void *arg;
	struct sb_store *st;
};

static int offline_seen(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct offline_visit *o = arg;
	struct sb_offline_msg m;

	if (offline_unpack(&m, k, kl, v, vl) < 0) {
		__atomic_fetch_add(&o->st->ctr.bad_record, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return o->fn(o->arg, &m);
}

int sb_store_offline_list(struct sb_store *st, const char *bare, size_t len, unsigned max,
			  sb_store_offline_fn fn, void *arg)
{
	uint8_t k[SB_STORE_KEY_MAX + 1];
	size_t kl = user_prefix(k, sizeof(k), bare, len);
	struct offline_visit o = { .fn = fn, .arg = arg, .st = st };

	if (kl == 0)
		return -ENAMETOOLONG;
	return st->ops->kv_scan(st->impl, sb_store_shard_of_bare(st, bare, len), SB_STORE_OFFLINE,
				k, kl, max, offline_seen, &o);
}

struct offline_match {
	const struct sb_offline_origin *o;
	uint64_t seq;
	bool found;
};

static int offline_match(void *arg, const struct sb_offline_msg *m)
{
	struct offline_match *x = arg;
	const struct sb_offline_origin *o = x->o;

	x->found = (o != NULL && o->set && m->origin.set && m->origin.tsc == o->tsc &&
		    m->origin.gen == o->gen && m->origin.worker == o->worker) ||
		   (x->seq != 0 && m->seq == x->seq);
	return x->found ? 1 : 0;
}

int sb_store_offline_has(struct sb_store *st, const char *bare, size_t len, unsigned max,
			 const struct sb_offline_origin *o, uint64_t seq)
{
	struct offline_match x = { .o = o, .seq = seq };
	int rc;

	if ((o == NULL || !o->set) && seq == 0)
		return 0;
	rc = sb_store_offline_list(st, bare, len, max, offline_match, &x);
	return rc < 0 ? rc : x.found;
}

#define PURGE_BATCH 256u

struct offline_purge {
	uint64_t upto;
	unsigned n;
	uint8_t keys[PURGE_BATCH][SB_STORE_KEY_MAX + 1];
	size_t klen[PURGE_BATCH];
};

static int offline_marked(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct offline_purge *p = arg;

	(void)v;
	(void)vl;
	if (kl < 9 || get_be64(k + kl - 8) > p->upto || p->n == PURGE_BATCH)
		return 1;
	memcpy(p->keys[p->n], k, kl);
	p->klen[p->n++] = kl;
	return 0;
}

int sb_store_offline_purge(struct sb_store *st, const char *bare, size_t len, uint64_t upto,
			   unsigned max)
{
	struct sb_store_op ops[PURGE_BATCH];
	uint8_t k[SB_STORE_KEY_MAX + 1];
	size_t kl = user_prefix(k, sizeof(k), bare, len);
	unsigned shard = sb_store_shard_of_bare(st, bare, len);
	/* 130 KiB of keys: off the stack; a purge runs once per login with
	 * messages waiting, or from sbctl. */
	struct offline_purge *p;
	int rc;

	if (kl == 0)
		return -ENAMETOOLONG;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->upto = upto;
	p->n = 0;
	rc = st->ops->kv_scan(st->impl, shard, SB_STORE_OFFLINE, k, kl,
			      max < PURGE_BATCH ? max : PURGE_BATCH, offline_marked, p);
	if (rc >= 0 && p->n > 0) {
		for (unsigned i = 0; i < p->n; i++)
			ops[i] = (struct sb_store_op){ .kind = SB_STORE_OFFLINE,
						       .key = p->keys[i], .klen = p->klen[i] };
		rc = st->ops->kv_write(st->impl, shard, ops, p->n);
		if (rc == 0)
			rc = (int)p->n;
	} else if (rc >= 0) {
		/* The scan's count includes the newer message it stopped at:
		 * nothing was deleted (callers loop while this is > 0). */
		rc = 0;
	}
	free(p);
	return rc;
}

static const char *const kind_names[SB_STORE_KIND_MAX] = {
	[SB_STORE_ROSTER] = "roster",
	[SB_STORE_SUBREQ] = "subreq",
	[SB_STORE_OFFLINE] = "offline",
	[SB_STORE_BLOCK] = "block",
	[SB_STORE_VCARD] = "vcard",
	[SB_STORE_PRIVATE] = "private",
	[SB_STORE_MAM] = "mam",
	[SB_STORE_MAM_WITH] = "mam_with",
	[SB_STORE_PUSH] = "push",
	[SB_STORE_PEP] = "pep",
};

const char *sb_store_kind_name(enum sb_store_kind kind)
{
	return kind < SB_STORE_KIND_MAX ? kind_names[kind] : "?";
}

int sb_store_kind_stats(struct sb_store *st, enum sb_store_kind kind, uint64_t *items,
			uint64_t *bytes)
{
	*items = *bytes = 0;
	for (unsigned j = 0; j < st->n_shards; j++) {
		uint64_t i = 0, b = 0;
		int rc = st->ops->kv_stats(st->impl, j, kind, &i, &b);

		if (rc < 0)
			return rc;
		*items += i;
		*bytes += b;
	}
	return 0;
}
