/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See block_table.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block_table.h"
#include "jid.h"

int sb_blk_table_init(struct sb_blk_table *t)
{
	t->b = calloc(256, sizeof(t->b[0]));
	t->mask = 255;
	t->n = 0;
	return t->b != NULL ? 0 : -ENOMEM;
}

void sb_blk_table_free(struct sb_blk_table *t)
{
	for (uint32_t i = 0; t->b != NULL && i <= t->mask; i++) {
		struct sb_blk_entry *e = t->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			sb_blocklist_free(&e->bl);
			free(e);
		}
	}
	free(t->b);
	t->b = NULL;
	t->n = 0;
}

const struct sb_blocklist *sb_blk_table_find(const struct sb_blk_table *t, const char *bare,
					     size_t len)
{
	uint64_t h;

	if (t == NULL || t->n == 0)
		return NULL;
	h = sb_jid_bare_hash_str(bare, len);
	for (struct sb_blk_entry *e = t->b[h & t->mask]; e != NULL; e = e->next)
		if (e->hash == h && e->len == len && memcmp(e->bare, bare, len) == 0)
			return &e->bl;
	return NULL;
}

static void blk_grow(struct sb_blk_table *t)
{
	uint32_t nm = t->mask * 2 + 1;
	struct sb_blk_entry **nb = calloc((size_t)nm + 1, sizeof(*nb));

	if (nb == NULL)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct sb_blk_entry *e = t->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & nm];
			nb[e->hash & nm] = e;
		}
	}
	free(t->b);
	t->b = nb;
	t->mask = nm;
}

int sb_blk_table_set(struct sb_blk_table *t, const char *bare, size_t len,
		     struct sb_blocklist *bl)
{
	uint64_t h = sb_jid_bare_hash_str(bare, len);
	struct sb_blk_entry **pp, *e;

	for (pp = &t->b[h & t->mask]; (e = *pp) != NULL; pp = &e->next)
		if (e->hash == h && e->len == len && memcmp(e->bare, bare, len) == 0)
			break;
	if (e != NULL) {
		sb_blocklist_free(&e->bl);
		if (bl->n > 0) {
			e->bl = *bl;
			sb_blocklist_init(bl);
			return 0;
		}
		*pp = e->next;
		free(e);
		t->n--;
		return 0;
	}
	if (bl->n == 0)
		return 0;
	e = malloc(sizeof(*e) + len + 1);
	if (e == NULL) {
		sb_blocklist_free(bl);
		return -ENOMEM;
	}
	e->hash = h;
	e->len = (uint16_t)len;
	memcpy(e->bare, bare, len);
	e->bare[len] = '\0';
	e->bl = *bl;
	sb_blocklist_init(bl);
	e->next = t->b[h & t->mask];
	t->b[h & t->mask] = e;
	if (++t->n > t->mask)
		blk_grow(t);
	return 0;
}
