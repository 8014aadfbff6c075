/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Rosters and pending subscription requests over the store's kv operations
 * (store_im.h has the record layout): the in-memory roster, its codec, and
 * the load and save of one user's record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jid.h"
#include "store_im.h"

#define ROSTER_HDR_LEN 28u
#define ITEM_HDR_LEN 16u

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void sb_roster_init(struct sb_roster *r)
{
	memset(r, 0, sizeof(*r));
}

static void item_clear(struct sb_roster_item *it)
{
	free(it->jid);
	free(it->name);
	for (unsigned g = 0; g < it->n_groups; g++)
		free(it->groups[g]);
	memset(it, 0, sizeof(*it));
}

void sb_roster_free(struct sb_roster *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		item_clear(&r->items[i]);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

struct sb_roster_item *sb_roster_find(struct sb_roster *r, const char *jid, size_t len)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->items[i].jid_len == len && memcmp(r->items[i].jid, jid, len) == 0)
			return &r->items[i];
	return NULL;
}

struct sb_roster_item *sb_roster_get(struct sb_roster *r, const char *jid, size_t len)
{
	struct sb_roster_item *it = sb_roster_find(r, jid, len);

	if (it != NULL) {
		if (it->flags & SB_ROSTER_F_GONE) {
			char *j = it->jid;

			it->jid = NULL;
			item_clear(it);
			it->jid = j;
			it->jid_len = (uint16_t)len;
		}
		return it;
	}
	if (len > SB_STORE_KEY_MAX)
		return NULL;
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 8;
		struct sb_roster_item *n = realloc(r->items, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		r->items = n;
		r->cap = cap;
	}
	it = &r->items[r->n];
	memset(it, 0, sizeof(*it));
	it->jid = dup_n(jid, len);
	if (it->jid == NULL)
		return NULL;
	it->jid_len = (uint16_t)len;
	r->n++;
	return it;
}

int sb_roster_item_set(struct sb_roster_item *it, const char *name, size_t name_len,
		       const char *const *groups, const uint16_t *group_len, unsigned n_groups)
{
	char *nm = NULL, *g[SB_ROSTER_GROUPS_MAX];
	unsigned i;

	if (n_groups > SB_ROSTER_GROUPS_MAX || name_len > SB_ROSTER_TEXT_MAX)
		return -EINVAL;
	if (name != NULL && (nm = dup_n(name, name_len)) == NULL)
		return -ENOMEM;
	for (i = 0; i < n_groups; i++) {
		if (group_len[i] > SB_ROSTER_TEXT_MAX || (g[i] = dup_n(groups[i], group_len[i])) == NULL)
			break;
	}
	if (i < n_groups) {
		while (i-- > 0)
			free(g[i]);
		free(nm);
		return -ENOMEM;
	}
	free(it->name);
	for (unsigned k = 0; k < it->n_groups; k++)
		free(it->groups[k]);
	it->name = nm;
	it->has_name = name != NULL;
	it->name_len = (uint16_t)(name != NULL ? name_len : 0);
	it->n_groups = (uint8_t)n_groups;
	for (i = 0; i < n_groups; i++) {
		it->groups[i] = g[i];
		it->group_len[i] = group_len[i];
	}
	return 0;
}

void sb_roster_touch(struct sb_roster *r, struct sb_roster_item *it)
{
	it->ver = ++r->ver;
}

static void roster_drop(struct sb_roster *r, struct sb_roster_item *it)
{
	item_clear(it);
	*it = r->items[r->n - 1];
	r->n--;
}

void sb_roster_remove(struct sb_roster *r, struct sb_roster_item *it)
{
	struct sb_roster_item *oldest = NULL;
	unsigned tombs = 0;
	bool shown = (it->flags & SB_ROSTER_F_SHOWN) != 0;

	if (!shown) {
		roster_drop(r, it);
		return;
	}
	/* RFC 6121 §2.6.3: a client with an older version learns of the
	 * removal by a push; the item stays as a tombstone for that. */
	{
		char *j = it->jid;
		uint16_t jl = it->jid_len;

		it->jid = NULL;
		item_clear(it);
		it->jid = j;
		it->jid_len = jl;
	}
	it->flags = SB_ROSTER_F_GONE;
	sb_roster_touch(r, it);
	for (uint32_t i = 0; i < r->n; i++) {
		if (!(r->items[i].flags & SB_ROSTER_F_GONE))
			continue;
		tombs++;
		if (oldest == NULL || r->items[i].ver < oldest->ver)
			oldest = &r->items[i];
	}
	if (tombs > SB_ROSTER_TOMBS_MAX && oldest != NULL) {
		r->floor = oldest->ver;
		roster_drop(r, oldest);
	}
}

unsigned sb_roster_shown(const struct sb_roster *r)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < r->n; i++)
		n += (r->items[i].flags & (SB_ROSTER_F_SHOWN | SB_ROSTER_F_GONE)) == SB_ROSTER_F_SHOWN;
	return n;
}

int sb_roster_pack(const struct sb_roster *r, uint8_t **out, size_t *len)
{
	size_t n = ROSTER_HDR_LEN;
	uint8_t *p, *q;

	for (uint32_t i = 0; i < r->n; i++) {
		const struct sb_roster_item *it = &r->items[i];

		n += ITEM_HDR_LEN + it->jid_len + it->name_len;
		for (unsigned g = 0; g < it->n_groups; g++)
			n += 2u + it->group_len[g];
	}
	p = calloc(1, n);
	if (p == NULL)
		return -ENOMEM;
	p[0] = SB_ROSTER_VERSION;
	put_be64(p + 8, r->ver);
	put_be64(p + 16, r->floor);
	p[24] = (uint8_t)(r->n >> 24);
	p[25] = (uint8_t)(r->n >> 16);
	p[26] = (uint8_t)(r->n >> 8);
	p[27] = (uint8_t)r->n;
	q = p + ROSTER_HDR_LEN;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct sb_roster_item *it = &r->items[i];

		put_be64(q, it->ver);
		q[8] = it->sub;
		q[9] = it->flags;
		q[10] = it->n_groups;
		q[11] = it->has_name;
		put_be16(q + 12, it->jid_len);
		put_be16(q + 14, it->name_len);
		q += ITEM_HDR_LEN;
		memcpy(q, it->jid, it->jid_len);
		q += it->jid_len;
		if (it->name_len)
			memcpy(q, it->name, it->name_len);
		q += it->name_len;
		for (unsigned g = 0; g < it->n_groups; g++) {
			put_be16(q, it->group_len[g]);
			memcpy(q + 2, it->groups[g], it->group_len[g]);
			q += 2u + it->group_len[g];
		}
	}
	*out = p;
	*len = n;
	return 0;
}

static int unpack_item(struct sb_roster *r, const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp;
	const char *gp[SB_ROSTER_GROUPS_MAX];
	uint16_t gl[SB_ROSTER_GROUPS_MAX];
	struct sb_roster_item *it;
	uint16_t jl, nl;
	unsigned ng;

	if (end - p < (ptrdiff_t)ITEM_HDR_LEN)
		return -EBADMSG;
	jl = get_be16(p + 12);
	nl = get_be16(p + 14);
	ng = p[10];
	if (p[8] >= SB_SUB_MAX || ng > SB_ROSTER_GROUPS_MAX || jl == 0 || jl > SB_STORE_KEY_MAX ||
	    nl > SB_ROSTER_TEXT_MAX || end - p < (ptrdiff_t)(ITEM_HDR_LEN + jl + nl))
		return -EBADMSG;
	if (sb_roster_find(r, (const char *)p + ITEM_HDR_LEN, jl) != NULL)
		return -EBADMSG;
	{
		const uint8_t *g = p + ITEM_HDR_LEN + jl + nl;

		for (unsigned i = 0; i < ng; i++) {
			if (end - g < 2 || end - g - 2 < get_be16(g) ||
			    get_be16(g) > SB_ROSTER_TEXT_MAX)
				return -EBADMSG;
			gl[i] = get_be16(g);
			gp[i] = (const char *)g + 2;
			g += 2u + gl[i];
		}
		*pp = g;
	}
	it = sb_roster_get(r, (const char *)p + ITEM_HDR_LEN, jl);
	if (it == NULL ||
	    sb_roster_item_set(it, p[11] ? (const char *)p + ITEM_HDR_LEN + jl : NULL, nl, gp, gl,
			       ng) < 0)
		return -ENOMEM;
	it->ver = get_be64(p);
	it->sub = p[8];
	it->flags = p[9];
	return 0;
}

int sb_roster_unpack(struct sb_roster *r, const uint8_t *rec, size_t len)
{
	const uint8_t *p = rec + ROSTER_HDR_LEN, *end = rec + len;
	uint32_t n;
	int rc;

	if (len < ROSTER_HDR_LEN || rec[0] != SB_ROSTER_VERSION)
		return -EBADMSG;
	r->ver = get_be64(rec + 8);
	r->floor = get_be64(rec + 16);
	n = (uint32_t)rec[24] << 24 | (uint32_t)rec[25] << 16 | (uint32_t)rec[26] << 8 | rec[27];
	for (uint32_t i = 0; i < n; i++) {
		rc = unpack_item(r, &p, end);
		if (rc < 0) {
			sb_roster_free(r);
			return rc;
		}
	}
	if (p != end) {
		sb_roster_free(r);
		return -EBADMSG;
	}
	return 0;
}

unsigned sb_store_shard_of_bare(const struct sb_store *st, const char *bare, size_t len)
{
	return (unsigned)(sb_jid_bare_hash_str(bare, len) % st->n_shards);
}

struct roster_load {
	struct sb_roster *r;
	int rc;
};

static int roster_loaded(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct roster_load *l = arg;

	(void)k;
	(void)kl;
	l->rc = sb_roster_unpack(l->r, v, vl);
	return 0;
}

int sb_store_roster_load(struct sb_store *st, const char *bare, size_t len, struct sb_roster *r)
{
	struct roster_load l = { .r = r, .rc = 0 };
	int rc;

	sb_roster_init(r);
	if (len == 0 || len > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	rc = st->ops->kv_get(st->impl, sb_store_shard_of_bare(st, bare, len), SB_STORE_ROSTER,
			     bare, len, roster_loaded, &l);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && l.rc == -EBADMSG)
		__atomic_fetch_add(&st->ctr.bad_record, 1, __ATOMIC_RELAXED);
	return rc < 0 ? rc : l.rc;
}

int sb_store_roster_save(struct sb_store *st, const char *bare, size_t len,
			 const struct sb_roster *r)
{
	struct sb_store_op op = { .kind = SB_STORE_ROSTER, .key = bare, .klen = len };
	uint8_t *rec = NULL;
	size_t rl;
	int rc;

	if (len == 0 || len > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	if (r->n > 0) {
		rc = sb_roster_pack(r, &rec, &rl);
		if (rc < 0)
			return rc;
		op.val = rec;
		op.vlen = rl;
	}
	rc = st->ops->kv_write(st->impl, sb_store_shard_of_bare(st, bare, len), &op, 1);
	free(rec);
	if (rc == -ENOSPC)
		__atomic_fetch_add(&st->ctr.store_full, 1, __ATOMIC_RELAXED);
	return rc;
}

static size_t subreq_key(uint8_t *k, size_t cap, const char *u, size_t ul, const char *c,
			 size_t cl)
{
	if (ul + 1 + cl > cap)
		return 0;
	memcpy(k, u, ul);
	k[ul] = 0;
	memcpy(k + ul + 1, c, cl);
	return ul + 1 + cl;
}

int sb_store_subreq_put(struct sb_store *st, const char *user, size_t ulen, const char *contact,
			size_t clen, const void *stanza, size_t slen)
{
	uint8_t k[2 * SB_STORE_KEY_MAX + 1];
	struct sb_store_op op = { .kind = SB_STORE_SUBREQ, .key = k, .val = stanza, .vlen = slen };

	op.klen = subreq_key(k, sizeof(k), user, ulen, contact, clen);
	if (op.klen == 0 || op.klen > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	return st->ops->kv_write(st->impl, sb_store_shard_of_bare(st, user, ulen), &op, 1);
}

int sb_store_subreq_del(struct sb_store *st, const char *user, size_t ulen, const char *contact,
			size_t clen)
{
	uint8_t k[2 * SB_STORE_KEY_MAX + 1];
	struct sb_store_op op = { .kind = SB_STORE_SUBREQ, .key = k };

	op.klen = subreq_key(k, sizeof(k), user, ulen, contact, clen);
	if (op.klen == 0 || op.klen > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	return st->ops->kv_write(st->impl, sb_store_shard_of_bare(st, user, ulen), &op, 1);
}

struct subreq_visit {
	size_t ulen;
	sb_store_subreq_fn fn;
	void *arg;
};

static int subreq_seen(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct subreq_visit *s = arg;

	return s->fn(s->arg, (const char *)k + s->ulen + 1, kl - s->ulen - 1, v, vl);
}

int sb_store_subreq_list(struct sb_store *st, const char *user, size_t ulen, unsigned max,
			 sb_store_subreq_fn fn, void *arg)
{
	uint8_t k[SB_STORE_KEY_MAX + 1];
	struct subreq_visit s = { .ulen = ulen, .fn = fn, .arg = arg };

	if (ulen == 0 || ulen + 1 > sizeof(k))
		return -ENAMETOOLONG;
	memcpy(k, user, ulen);
	k[ulen] = 0;
	return st->ops->kv_scan(st->impl, sb_store_shard_of_bare(st, user, ulen), SB_STORE_SUBREQ,
				k, ulen + 1, max, subreq_seen, &s);
}
