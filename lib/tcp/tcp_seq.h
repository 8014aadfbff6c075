/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Sequence-space arithmetic (RFC 9293 §3.4): sequence numbers, and the
 * timestamp values of RFC 7323 §5.2, live on a 2^32 circle, so "less than" is
 * the sign of the 32-bit difference. Every compare of a sequence number or a
 * TSval in lib/tcp goes through these helpers and nothing else.
 */
#ifndef SB_TCP_SEQ_H
#define SB_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool sb_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool sb_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool sb_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool sb_seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static inline uint32_t sb_seq_max(uint32_t a, uint32_t b)
{
	return sb_seq_gt(a, b) ? a : b;
}

static inline uint32_t sb_seq_min(uint32_t a, uint32_t b)
{
	return sb_seq_lt(a, b) ? a : b;
}

/* lo <= s < hi on the circle */
static inline bool sb_seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	return s - lo < hi - lo;
}

#endif /* SB_TCP_SEQ_H */
