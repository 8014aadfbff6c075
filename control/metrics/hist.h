/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A latency histogram cheap enough for a shard's loop: power-of-two
 * microsecond buckets (bucket b counts values in (2^(b-1), 2^b] us, bucket
 * 0 those up to 1 us, the last everything past 2^(SB_HIST_BUCKETS-1) us,
 * about 4 s), a count and a sum. Recording is a subtraction, a multiply,
 * a count-leading-zeros and two increments; no lock (one writer, the
 * shard; readers sum a snapshot, possibly a sample stale).
 */
#ifndef SB_METRICS_HIST_H
#define SB_METRICS_HIST_H

#include <stdint.h>

#define SB_HIST_BUCKETS 23 /* le 1, 2, 4, ... 2^22 us; then +Inf */

struct sb_hist {
	uint64_t n[SB_HIST_BUCKETS + 1]; /* per bucket, not cumulative; [SB_HIST_BUCKETS]: +Inf */
	uint64_t sum_us;
};

/* Multiplier turning TSC cycles into microseconds as (tsc * m) >> 32. */
static inline uint64_t sb_hist_us_mult(uint64_t tsc_hz)
{
	return tsc_hz == 0 ? 0 : (1000000ull << 32) / tsc_hz;
}

static inline void sb_hist_add_us(struct sb_hist *h, uint64_t us)
{
	unsigned b = us <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(us - 1);

	h->n[b < SB_HIST_BUCKETS ? b : SB_HIST_BUCKETS]++;
	h->sum_us += us;
}

/* The time from stamp_tsc to now_tsc (0 when the stamp is ahead: another
 * core's TSC read a little later); the product in 128 bits, so any delta
 * converts. */
static inline void sb_hist_add_tsc(struct sb_hist *h, uint64_t stamp_tsc, uint64_t now_tsc,
				   uint64_t us_mult)
{
	uint64_t d = now_tsc > stamp_tsc ? now_tsc - stamp_tsc : 0;

	sb_hist_add_us(h, (uint64_t)(((unsigned __int128)d * us_mult) >> 32));
}

#endif
