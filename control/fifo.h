/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Growing a circular queue of sb-control's backlogs (the per-worker
 * delivery backlog in router/route.c, the inter-shard backlog in im/):
 * one place for the doubling, whatever the element. Growth runs only past
 * a backlog's configured size, off the steady path, so the malloc is
 * acceptable there.
 */
#ifndef SB_CTL_FIFO_H
#define SB_CTL_FIFO_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Re-lay *q (cap elements of elem bytes, n of them from *head on, wrapping)
 * into a new array of new_cap > n elements, starting at 0. 0 or -ENOMEM
 * (the queue is left as it was). */
static inline int sb_ctl_fifo_grow(void **q, size_t elem, uint32_t *head, uint32_t n,
				   uint32_t *cap, uint32_t new_cap)
{
	uint8_t *nq = malloc(elem * new_cap);
	const uint8_t *old = *q;

	if (nq == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		memcpy(nq + (size_t)i * elem, old + (size_t)((*head + i) % *cap) * elem, elem);
	free(*q);
	*q = nq;
	*head = 0;
	*cap = new_cap;
	return 0;
}

#endif
