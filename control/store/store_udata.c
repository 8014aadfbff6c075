/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Whole per-user records (store_udata.h) over the kv operations: the vCard
 * under the bare JID, private XML under (bare JID, 0, namespace).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_im.h"
#include "store_udata.h"

/* bare, or bare 0 sub; its length, 0 when it does not fit a key. */
static size_t udata_key(uint8_t *k, const char *bare, size_t blen, const char *sub, size_t slen)
{
	size_t n = blen + (slen ? 1 + slen : 0);

	if (blen == 0 || n > SB_STORE_KEY_MAX)
		return 0;
	memcpy(k, bare, blen);
	if (slen) {
		k[blen] = 0;
		memcpy(k + blen + 1, sub, slen);
	}
	return n;
}

struct udata_copy {
	uint8_t *val;
	size_t len;
	int rc;
};

static int udata_copied(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct udata_copy *c = arg;

	(void)k;
	(void)kl;
	c->val = malloc(vl ? vl : 1);
	if (c->val == NULL) {
		c->rc = -ENOMEM;
		return 0;
	}
	memcpy(c->val, v, vl);
	c->len = vl;
	return 0;
}

int sb_store_udata_get(struct sb_store *st, enum sb_store_kind kind, const char *bare, size_t blen,
		       const char *sub, size_t slen, uint8_t **val, size_t *vlen)
{
	uint8_t k[SB_STORE_KEY_MAX];
	size_t kl = udata_key(k, bare, blen, sub, slen);
	struct udata_copy c = { 0 };
	int rc;

	*val = NULL;
	*vlen = 0;
	if (kl == 0)
		return -ENAMETOOLONG;
	rc = st->ops->kv_get(st->impl, sb_store_shard_of_bare(st, bare, blen), kind, k, kl,
			     udata_copied, &c);
	if (rc < 0)
		return rc;
	if (c.rc < 0)
		return c.rc;
	*val = c.val;
	*vlen = c.len;
	return 0;
}

int sb_store_udata_put(struct sb_store *st, enum sb_store_kind kind, const char *bare, size_t blen,
		       const char *sub, size_t slen, const void *val, size_t vlen)
{
	uint8_t k[SB_STORE_KEY_MAX];
	struct sb_store_op op = { .kind = kind, .key = k, .val = val, .vlen = vlen };
	int rc;

	op.klen = udata_key(k, bare, blen, sub, slen);
	if (op.klen == 0)
		return -ENAMETOOLONG;
	rc = st->ops->kv_write(st->impl, sb_store_shard_of_bare(st, bare, blen), &op, 1);
	if (rc == -ENOSPC)
		__atomic_fetch_add(&st->ctr.store_full, 1, __ATOMIC_RELAXED);
	return rc;
}

static int udata_counted(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	(void)arg;
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	return 0;
}

int sb_store_udata_count(struct sb_store *st, enum sb_store_kind kind, const char *bare,
			 size_t blen, unsigned max)
{
	uint8_t k[SB_STORE_KEY_MAX];

	if (blen == 0 || blen + 1 > SB_STORE_KEY_MAX)
		return -ENAMETOOLONG;
	memcpy(k, bare, blen);
	k[blen] = 0;
	return st->ops->kv_scan(st->impl, sb_store_shard_of_bare(st, bare, blen), kind, k,
				blen + 1, max, udata_counted, NULL);
}
