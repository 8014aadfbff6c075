/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Log-linear histogram (see lg_hist.h). Index of v >= 16: with e the
 * position of its top bit, the bucket is (e - 3) * 16 plus the four bits
 * below the top one; values below 16 map to themselves, which is the same
 * formula's row 0.
 */
#include <string.h>

#include "lg_hist.h"

void sb_lg_hist_reset(struct sb_lg_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint32_t sb_lg_hist_index(uint64_t v)
{
	uint32_t e, idx;

	if (v < SB_LG_HIST_SUB)
		return (uint32_t)v;
	e = 63u - (uint32_t)__builtin_clzll(v);
	idx = (e - 3u) * SB_LG_HIST_SUB + (uint32_t)((v >> (e - 4u)) & (SB_LG_HIST_SUB - 1u));
	return idx < SB_LG_HIST_BUCKETS ? idx : SB_LG_HIST_BUCKETS - 1u;
}

uint64_t sb_lg_hist_upper(uint32_t idx)
{
	uint32_t row = idx / SB_LG_HIST_SUB, sub = idx % SB_LG_HIST_SUB;
	uint32_t e;

	if (row == 0)
		return idx;
	/* Row r >= 1 holds values with top bit e = r + 3, in steps of 2^(e-4). */
	e = row + 3u;
	return ((uint64_t)(SB_LG_HIST_SUB + sub + 1u) << (e - 4u)) - 1u;
}

void sb_lg_hist_add(struct sb_lg_hist *h, uint64_t v)
{
	h->b[sb_lg_hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t sb_lg_hist_quantile(const struct sb_lg_hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0;
	if (q <= 0.0)
		return h->min;
	if (q >= 1.0)
		return h->max;
	/* The value of rank ceil(q * n), as nearest-rank percentiles are. */
	want = (uint64_t)(q * (double)h->n);
	if ((double)want < q * (double)h->n || want == 0)
		want++;
	for (uint32_t i = 0; i < SB_LG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			uint64_t up = sb_lg_hist_upper(i);

			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}
