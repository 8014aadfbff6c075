/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A log-linear latency histogram for the load generator (HdrHistogram's
 * layout, fixed precision): values below 16 have a bucket each, above that
 * every power of two is split into 16 buckets, so a quantile is exact to
 * within 1/16 (6.25 %) of its value whatever the range. Fixed size, no
 * allocation, adding is a few instructions: it sits on the echo path.
 */
#ifndef SB_LG_HIST_H
#define SB_LG_HIST_H

#include <stdint.h>

#define SB_LG_HIST_SUB 16u                               /* buckets per power of two */
#define SB_LG_HIST_EXP_MAX 48u                           /* values up to 2^48 */
#define SB_LG_HIST_BUCKETS (SB_LG_HIST_SUB * (SB_LG_HIST_EXP_MAX - 3u))

struct sb_lg_hist {
	uint64_t n;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t b[SB_LG_HIST_BUCKETS];
};

void sb_lg_hist_reset(struct sb_lg_hist *h);

/* Count one value; values past 2^48 land in the last bucket. */
void sb_lg_hist_add(struct sb_lg_hist *h, uint64_t v);

/* The smallest bucket bound at or below which a fraction q (0..1) of the
 * values lie; exact min/max for q = 0 and q = 1; 0 when empty. */
uint64_t sb_lg_hist_quantile(const struct sb_lg_hist *h, double q);

/* Bucket index of v and the largest value that bucket holds (for tests). */
uint32_t sb_lg_hist_index(uint64_t v);
uint64_t sb_lg_hist_upper(uint32_t idx);

#endif
