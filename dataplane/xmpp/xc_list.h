/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Intrusive lists of connection objects, linked by table index.
 *
 * Every waiting set of the XMPP glue (bound sessions, connections waiting
 * for ring room, connections paused by the shaper) is a list threaded
 * through the objects themselves: it has no capacity of its own, so no
 * number of clients can overflow it and nothing falls back to refusing a
 * client because a side array is full. Links are 32-bit indices into the
 * worker's object table rather than pointers: half the bytes per link, and
 * the same index is the handle the control plane uses.
 *
 * A list is FIFO (push at the tail, pop at the head) and removal of any
 * member is O(1). The caller says which link of the object a list uses by
 * its offset, so one object can sit on several lists at once.
 */
#ifndef SB_DP_XC_LIST_H
#define SB_DP_XC_LIST_H

#include <stddef.h>
#include <stdint.h>

#define SB_XC_LIST_NONE UINT32_MAX

struct sb_xc_node {
	uint32_t prev, next; /* indices; SB_XC_LIST_NONE at the ends */
};

struct sb_xc_list {
	uint32_t head, tail; /* SB_XC_LIST_NONE when empty */
	uint32_t n;
};

static inline void sb_xc_list_init(struct sb_xc_list *l)
{
	l->head = l->tail = SB_XC_LIST_NONE;
	l->n = 0;
}

static inline struct sb_xc_node *sb_xc_list_node(void *const *tab, uint32_t idx, size_t off)
{
	return (struct sb_xc_node *)((char *)tab[idx] + off);
}

static inline void sb_xc_list_push(struct sb_xc_list *l, void *const *tab, size_t off, uint32_t idx)
{
	struct sb_xc_node *k = sb_xc_list_node(tab, idx, off);

	k->prev = l->tail;
	k->next = SB_XC_LIST_NONE;
	if (l->tail != SB_XC_LIST_NONE)
		sb_xc_list_node(tab, l->tail, off)->next = idx;
	else
		l->head = idx;
	l->tail = idx;
	l->n++;
}

static inline void sb_xc_list_del(struct sb_xc_list *l, void *const *tab, size_t off, uint32_t idx)
{
	struct sb_xc_node *k = sb_xc_list_node(tab, idx, off);

	if (k->prev != SB_XC_LIST_NONE)
		sb_xc_list_node(tab, k->prev, off)->next = k->next;
	else
		l->head = k->next;
	if (k->next != SB_XC_LIST_NONE)
		sb_xc_list_node(tab, k->next, off)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = SB_XC_LIST_NONE;
	l->n--;
}

#endif
