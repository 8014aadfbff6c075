/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PEP node records (store_pep.h): the in-memory node, its codec, and its
 * load, save and listing over the kv operations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_im.h"
#include "store_pep.h"
#include "store_udata.h"

void sb_pep_node_init(struct sb_pep_node *nd)
{
	memset(nd, 0, sizeof(*nd));
	nd->max_items = 1;
}

static void item_free(struct sb_pep_item *it)
{
	free(it->id);
	free(it->payload);
}

static void groups_free(struct sb_pep_node *nd)
{
	for (unsigned i = 0; i < nd->n_groups; i++)
		free(nd->groups[i]);
	nd->n_groups = 0;
}

void sb_pep_node_free(struct sb_pep_node *nd)
{
	for (uint32_t i = 0; i < nd->n; i++)
		item_free(&nd->items[i]);
	free(nd->items);
	groups_free(nd);
	sb_pep_node_init(nd);
}

void sb_pep_node_purge(struct sb_pep_node *nd)
{
	for (uint32_t i = 0; i < nd->n; i++)
		item_free(&nd->items[i]);
	nd->n = 0;
}

int sb_pep_node_groups_set(struct sb_pep_node *nd, const char *const *groups,
			   const uint16_t *lens, unsigned n)
{
	groups_free(nd);
	if (n > SB_PEP_GROUPS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (lens[i] == 0 || lens[i] > SB_PEP_GROUP_MAX) {
			groups_free(nd);
			return -EINVAL;
		}
		nd->groups[i] = malloc((size_t)lens[i] + 1);
		if (nd->groups[i] == NULL) {
			groups_free(nd);
			return -ENOMEM;
		}
		memcpy(nd->groups[i], groups[i], lens[i]);
		nd->groups[i][lens[i]] = 0;
		nd->group_len[i] = lens[i];
		nd->n_groups = (uint8_t)(i + 1);
	}
	return 0;
}

bool sb_pep_node_has_group(const struct sb_pep_node *nd, const char *group, size_t len)
{
	for (unsigned i = 0; i < nd->n_groups; i++)
		if (nd->group_len[i] == len && memcmp(nd->groups[i], group, len) == 0)
			return true;
	return false;
}

struct sb_pep_item *sb_pep_item_find(struct sb_pep_node *nd, const char *id, size_t len)
{
	for (uint32_t i = 0; i < nd->n; i++)
		if (nd->items[i].id_len == len && memcmp(nd->items[i].id, id, len) == 0)
			return &nd->items[i];
	return NULL;
}

const struct sb_pep_item *sb_pep_item_last(const struct sb_pep_node *nd)
{
	return nd->n > 0 ? &nd->items[nd->n - 1] : NULL;
}

int sb_pep_item_del(struct sb_pep_node *nd, const char *id, size_t len)
{
	struct sb_pep_item *it = sb_pep_item_find(nd, id, len);
	size_t i;

	if (it == NULL)
		return 0;
	i = (size_t)(it - nd->items);
	item_free(it);
	memmove(it, it + 1, (nd->n - i - 1) * sizeof(*it));
	nd->n--;
	return 1;
}

void sb_pep_node_trim(struct sb_pep_node *nd)
{
	uint32_t keep = (nd->flags & SB_PEP_F_NO_PERSIST) || nd->max_items == 0 ? 1 : nd->max_items;

	while (nd->n > keep) {
		item_free(&nd->items[0]);
		memmove(nd->items, nd->items + 1, (nd->n - 1) * sizeof(*nd->items));
		nd->n--;
	}
}

int sb_pep_item_put(struct sb_pep_node *nd, const char *id, size_t id_len, const void *payload,
		    size_t len)
{
	struct sb_pep_item it = { .id_len = (uint16_t)id_len, .len = (uint32_t)len };

	if (id_len == 0 || id_len > SB_PEP_ID_MAX || len > UINT32_MAX)
		return -EINVAL;
	it.id = malloc(id_len + 1);
	it.payload = malloc(len ? len : 1);
	if (it.id == NULL || it.payload == NULL) {
		item_free(&it);
		return -ENOMEM;
	}
	memcpy(it.id, id, id_len);
	it.id[id_len] = 0;
	if (len)
		memcpy(it.payload, payload, len);
	/* A republished id is the newest item (XEP-0060 §7.1.2). */
	sb_pep_item_del(nd, id, id_len);
	if (nd->n == nd->cap) {
		uint32_t cap = nd->cap ? nd->cap * 2 : 4;
		struct sb_pep_item *v = realloc(nd->items, cap * sizeof(*v));

		if (v == NULL) {
			item_free(&it);
			return -ENOMEM;
		}
		nd->items = v;
		nd->cap = cap;
	}
	nd->items[nd->n++] = it;
	sb_pep_node_trim(nd);
	return 0;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sb_pep_node_pack(const struct sb_pep_node *nd, uint8_t **out, size_t *len)
{
	size_t n = SB_PEP_HDR_LEN;
	uint8_t *p;

	for (unsigned i = 0; i < nd->n_groups; i++)
		n += 2 + nd->group_len[i];
	for (uint32_t i = 0; i < nd->n; i++)
		n += 6 + nd->items[i].id_len + (size_t)nd->items[i].len;
	p = malloc(n);
	if (p == NULL)
		return -ENOMEM;
	*out = p;
	*len = n;
	p[0] = nd->n_groups ? SB_PEP_VERSION_GROUPS : SB_PEP_VERSION;
	p[1] = nd->access;
	p[2] = nd->flags;
	p[3] = nd->n_groups;
	put_be32(p + 4, nd->max_items);
	put_be32(p + 8, nd->n);
	p += SB_PEP_HDR_LEN;
	for (unsigned i = 0; i < nd->n_groups; i++) {
		put_be16(p, nd->group_len[i]);
		memcpy(p + 2, nd->groups[i], nd->group_len[i]);
		p += 2 + nd->group_len[i];
	}
	for (uint32_t i = 0; i < nd->n; i++) {
		const struct sb_pep_item *it = &nd->items[i];

		put_be16(p, it->id_len);
		put_be32(p + 2, it->len);
		memcpy(p + 6, it->id, it->id_len);
		memcpy(p + 6 + it->id_len, it->payload, it->len);
		p += 6 + it->id_len + it->len;
	}
	return 0;
}

int sb_pep_node_unpack(struct sb_pep_node *nd, const uint8_t *rec, size_t len)
{
	size_t off = SB_PEP_HDR_LEN;
	const char *g[SB_PEP_GROUPS_MAX];
	uint16_t gl[SB_PEP_GROUPS_MAX];
	uint32_t n;
	int rc;

	sb_pep_node_init(nd);
	if (len < SB_PEP_HDR_LEN || rec[1] >= SB_PEP_ACCESS_MAX || (rec[2] & ~SB_PEP_F_ALL) ||
	    !(rec[0] == SB_PEP_VERSION ? rec[3] == 0
				       : rec[0] == SB_PEP_VERSION_GROUPS && rec[3] != 0 &&
						 rec[3] <= SB_PEP_GROUPS_MAX))
		return -EBADMSG;
	for (unsigned i = 0; i < rec[3]; i++) {
		if (off + 2 > len)
			return -EBADMSG;
		gl[i] = (uint16_t)(rec[off] << 8 | rec[off + 1]);
		if (gl[i] == 0 || gl[i] > SB_PEP_GROUP_MAX || gl[i] > len - off - 2)
			return -EBADMSG;
		g[i] = (const char *)rec + off + 2;
		off += 2 + gl[i];
	}
	rc = sb_pep_node_groups_set(nd, g, gl, rec[3]);
	if (rc < 0)
		return rc;
	nd->access = rec[1];
	nd->flags = rec[2];
	nd->max_items = get_be32(rec + 4);
	n = get_be32(rec + 8);
	/* Decode with room for every item, whatever max_items says now. */
	nd->max_items = UINT32_MAX;
	nd->flags &= (uint8_t)~SB_PEP_F_NO_PERSIST;
	for (uint32_t i = 0; i < n; i++) {
		size_t il, pl;

		if (off + 6 > len)
			goto bad;
		il = (size_t)rec[off] << 8 | rec[off + 1];
		pl = get_be32(rec + off + 2);
		if (il == 0 || il > SB_PEP_ID_MAX || pl > len - off - 6 || il > len - off - 6 - pl)
			goto bad;
		rc = sb_pep_item_put(nd, (const char *)rec + off + 6, il, rec + off + 6 + il, pl);
		if (rc < 0) {
			sb_pep_node_free(nd);
			return rc;
		}
		off += 6 + il + pl;
	}
	if (off != len || nd->n != n)
		goto bad;
	nd->flags = rec[2];
	nd->max_items = get_be32(rec + 4);
	return 0;
bad:
	sb_pep_node_free(nd);
	return -EBADMSG;
}

int sb_store_pep_load(struct sb_store *st, const char *bare, size_t blen, const char *node,
		      size_t nlen, struct sb_pep_node *nd)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	int rc;

	sb_pep_node_init(nd);
	rc = sb_store_udata_get(st, SB_STORE_PEP, bare, blen, node, nlen, &v, &vl);
	if (rc < 0)
		return rc;
	rc = sb_pep_node_unpack(nd, v, vl);
	free(v);
	if (rc == -EBADMSG)
		__atomic_fetch_add(&st->ctr.bad_record, 1, __ATOMIC_RELAXED);
	return rc;
}

int sb_store_pep_save(struct sb_store *st, const char *bare, size_t blen, const char *node,
		      size_t nlen, const struct sb_pep_node *nd)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	int rc;

	if (nlen == 0)
		return -EINVAL;
	if (nd == NULL)
		return sb_store_udata_put(st, SB_STORE_PEP, bare, blen, node, nlen, NULL, 0);
	rc = sb_pep_node_pack(nd, &v, &vl);
	if (rc < 0)
		return rc;
	rc = sb_store_udata_put(st, SB_STORE_PEP, bare, blen, node, nlen, v, vl);
	free(v);
	return rc;
}

struct pep_list {
	size_t plen;
	sb_store_pep_fn fn;
	void *arg;
};

static int pep_listed(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct pep_list *l = arg;

	(void)v;
	(void)vl;
	if (kl <= l->plen)
		return 0;
	return l->fn(l->arg, (const char *)k + l->plen, kl - l->plen);
}

int sb_store_pep_list(struct sb_store *st, const char *bare, size_t blen, unsigned max,
		      sb_store_pep_fn fn, void *arg)
{
	uint8_t k[SB_STORE_KEY_MAX];
	struct pep_list l = { .plen = blen + 1, .fn = fn, .arg = arg };

	if (blen == 0 || blen + 1 > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	memcpy(k, bare, blen);
	k[blen] = 0;
	return st->ops->kv_scan(st->impl, sb_store_shard_of_bare(st, bare, blen), SB_STORE_PEP, k,
				blen + 1, max, pep_listed, &l);
}
