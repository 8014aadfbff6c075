/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The block list of XEP-0191 (store_udata.h has the record layout): the
 * in-memory list, its JID matching (§6, the rules of XEP-0016 §2.1), its
 * codec (every field checked on decode), and its load and save. A list is
 * small (im.block_max_items) and searched linearly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_im.h"
#include "store_udata.h"

#define BLOCK_HDR_LEN 8u

void sb_blocklist_init(struct sb_blocklist *bl)
{
	memset(bl, 0, sizeof(*bl));
}

void sb_blocklist_free(struct sb_blocklist *bl)
{
	for (uint32_t i = 0; i < bl->n; i++)
		free(bl->v[i].jid);
	free(bl->v);
	memset(bl, 0, sizeof(*bl));
}

static struct sb_block_item *find(const struct sb_blocklist *bl, const char *jid, size_t len)
{
	for (uint32_t i = 0; i < bl->n; i++)
		if (bl->v[i].len == len && memcmp(bl->v[i].jid, jid, len) == 0)
			return &bl->v[i];
	return NULL;
}

int sb_blocklist_add(struct sb_blocklist *bl, const char *jid, size_t len)
{
	char *c;

	if (len == 0 || len > SB_BLOCK_JID_MAX)
		return -EINVAL;
	if (find(bl, jid, len) != NULL)
		return 0;
	if (bl->n == bl->cap) {
		uint32_t cap = bl->cap ? bl->cap * 2 : 8;
		void *v = realloc(bl->v, cap * sizeof(bl->v[0]));

		if (v == NULL)
			return -ENOMEM;
		bl->v = v;
		bl->cap = cap;
	}
	c = malloc(len + 1);
	if (c == NULL)
		return -ENOMEM;
	memcpy(c, jid, len);
	c[len] = '\0';
	bl->v[bl->n++] = (struct sb_block_item){ .len = (uint16_t)len, .jid = c };
	return 1;
}

int sb_blocklist_del(struct sb_blocklist *bl, const char *jid, size_t len)
{
	struct sb_block_item *it = find(bl, jid, len);

	if (it == NULL)
		return 0;
	free(it->jid);
	*it = bl->v[--bl->n];
	return 1;
}

bool sb_blocklist_match(const struct sb_blocklist *bl, const char *jid, size_t len)
{
	const char *slash, *at;
	size_t bare, dstart;

	if (bl->n == 0)
		return false;
	slash = memchr(jid, '/', len);
	bare = slash ? (size_t)(slash - jid) : len;
	at = memchr(jid, '@', bare);
	dstart = at ? (size_t)(at - jid) + 1 : 0;
	for (uint32_t i = 0; i < bl->n; i++) {
		const struct sb_block_item *it = &bl->v[i];

		/* The JID itself (any of the four forms), its bare JID, or
		 * its domain when the item is a domain alone. */
		if ((it->len == len && memcmp(it->jid, jid, len) == 0) ||
		    (it->len == bare && memcmp(it->jid, jid, bare) == 0) ||
		    (it->len == bare - dstart && memcmp(it->jid, jid + dstart, it->len) == 0))
			return true;
	}
	return false;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

int sb_blocklist_pack(const struct sb_blocklist *bl, uint8_t **out, size_t *len)
{
	size_t n = BLOCK_HDR_LEN, off = BLOCK_HDR_LEN;
	uint8_t *p;

	for (uint32_t i = 0; i < bl->n; i++)
		n += 2u + bl->v[i].len;
	p = calloc(1, n);
	if (p == NULL)
		return -ENOMEM;
	p[0] = SB_BLOCK_VERSION;
	put_be32(p + 4, bl->n);
	for (uint32_t i = 0; i < bl->n; i++) {
		put_be16(p + off, bl->v[i].len);
		memcpy(p + off + 2, bl->v[i].jid, bl->v[i].len);
		off += 2u + bl->v[i].len;
	}
	*out = p;
	*len = n;
	return 0;
}

int sb_blocklist_unpack(struct sb_blocklist *bl, const uint8_t *rec, size_t len)
{
	size_t off = BLOCK_HDR_LEN;
	uint32_t n;

	if (len < BLOCK_HDR_LEN || rec[0] != SB_BLOCK_VERSION || rec[1] || rec[2] || rec[3])
		return -EBADMSG;
	n = (uint32_t)rec[4] << 24 | (uint32_t)rec[5] << 16 | (uint32_t)rec[6] << 8 | rec[7];
	for (uint32_t i = 0; i < n; i++) {
		size_t l;
		int rc;

		if (len - off < 2)
			goto bad;
		l = (size_t)rec[off] << 8 | rec[off + 1];
		off += 2;
		if (l == 0 || l > len - off || memchr(rec + off, 0, l) != NULL)
			goto bad;
		rc = sb_blocklist_add(bl, (const char *)rec + off, l);
		if (rc == -ENOMEM) {
			sb_blocklist_free(bl);
			return rc;
		}
		if (rc != 1)
			goto bad; /* too long, or twice */
		off += l;
	}
	if (off != len)
		goto bad;
	return 0;
bad:
	sb_blocklist_free(bl);
	return -EBADMSG;
}

struct block_load {
	struct sb_blocklist *bl;
	int rc;
};

static int block_loaded(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct block_load *l = arg;

	(void)k;
	(void)kl;
	l->rc = sb_blocklist_unpack(l->bl, v, vl);
	return 0;
}

int sb_store_block_load(struct sb_store *st, const char *bare, size_t len,
			struct sb_blocklist *bl)
{
	struct block_load l = { .bl = bl, .rc = 0 };
	int rc;

	sb_blocklist_init(bl);
	if (len == 0 || len > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	rc = st->ops->kv_get(st->impl, sb_store_shard_of_bare(st, bare, len), SB_STORE_BLOCK,
			     bare, len, block_loaded, &l);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && l.rc == -EBADMSG)
		__atomic_fetch_add(&st->ctr.bad_record, 1, __ATOMIC_RELAXED);
	return rc < 0 ? rc : l.rc;
}

int sb_store_block_save(struct sb_store *st, const char *bare, size_t len,
			const struct sb_blocklist *bl)
{
	struct sb_store_op op = { .kind = SB_STORE_BLOCK, .key = bare, .klen = len };
	uint8_t *rec = NULL;
	size_t rl;
	int rc;

	if (len == 0 || len > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	if (bl->n > 0) {
		rc = sb_blocklist_pack(bl, &rec, &rl);
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
