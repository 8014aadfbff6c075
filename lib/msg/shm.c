/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The counter directories of shared memory (shm.h): written once by their
 * one writer, read by name by sbctl and telemetry, so both processes print
 * the same words without either knowing the other's counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shm.h"

/* Entries are counted in `pending` until published, so readers never see
 * a half-written one. */
void sb_shm_dir_reset(struct sb_shm_ctr_dir *d)
{
	__atomic_store_n(&d->n, 0, __ATOMIC_RELEASE);
	d->pending = 0;
}

int sb_shm_dir_add(struct sb_shm_ctr_dir *d, const char *group, const struct sb_ctr_desc *desc,
		   unsigned n, size_t first_offset)
{
	if (d->pending + n > SB_SHM_DIR_MAX)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		struct sb_shm_ctr_entry *e = &d->e[d->pending++];

		snprintf(e->group, sizeof(e->group), "%s", group);
		snprintf(e->name, sizeof(e->name), "%s", desc[i].name);
		snprintf(e->help, sizeof(e->help), "%s", desc[i].help);
		e->offset = (uint32_t)(first_offset + i * sizeof(uint64_t));
		e->reserved = 0;
	}
	return 0;
}

void sb_shm_dir_publish(struct sb_shm_ctr_dir *d)
{
	__atomic_store_n(&d->n, d->pending, __ATOMIC_RELEASE);
}

unsigned sb_shm_dir_count(const struct sb_shm_ctr_dir *d)
{
	unsigned n = __atomic_load_n(&d->n, __ATOMIC_ACQUIRE);

	return n <= SB_SHM_DIR_MAX ? n : SB_SHM_DIR_MAX;
}

const struct sb_shm_ctr_entry *sb_shm_dir_find(const struct sb_shm_ctr_dir *d, const char *group,
					       const char *name)
{
	unsigned n = sb_shm_dir_count(d);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(d->e[i].group, group) == 0 && strcmp(d->e[i].name, name) == 0)
			return &d->e[i];
	return NULL;
}

uint64_t sb_shm_ctr_sum(const struct sb_shm_ctr_entry *e, const void *base, size_t stride,
			unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)base + i * stride + e->offset, sizeof(v));
		sum += v;
	}
	return sum;
}
