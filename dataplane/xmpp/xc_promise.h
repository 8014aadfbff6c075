/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0198's inbound count as a promise: the arithmetic, free of DPDK so
 * it can be tested alone (xc_promise.c is the glue around it).
 *
 * lib/xmpp's c2s.sm_in counts the stanzas read from the client. The h the
 * client is told (<a/>, and HIBERNATE's count that <resumed/> repeats) is
 * `done`: every stanza numbered up to it is safe, i.e. answered here, or
 * reported by sb-control (STANZA_DONE) as on its recipient's worker ring
 * or in storage. Reports come per stanza, from several shards, in any
 * order: a 64-bit window past `done` keeps the early ones until the gap
 * closes. Invariant: done <= sm_in (serial arithmetic), and a client never
 * has more than SB_XC_PROMISE_WINDOW stanzas read and not yet safe (its
 * input pauses at the window, as it does for a full ring).
 */
#ifndef SB_DP_XC_PROMISE_H
#define SB_DP_XC_PROMISE_H

#include <stdbool.h>
#include <stdint.h>

#define SB_XC_PROMISE_WINDOW 64u

struct sb_xc_promise {
	uint64_t bits;          /* bit i: stanza done + 1 + i is safe */
	uint32_t done;          /* h as told: every stanza up to it is safe */
	uint32_t barrier;       /* a sync in progress covers stanzas up to it */
	uint32_t r_h;           /* an <r/> waits until done reaches it ... */
	uint32_t r_deadline_ms; /* ... or until then (xmpp.sm_ack_wait_ms) */
	uint8_t r_n;            /* <r/> waiting for their <a/> (saturates at 255) */
	uint8_t barrier_set;
	uint8_t hib_wait;       /* closed: its HIBERNATE waits for the reports */
	uint8_t reserved;
};

/* Start counting from h (after <enable/>: 0; after <resumed/>: its h). */
static inline void sb_xc_promise_reset(struct sb_xc_promise *p, uint32_t h)
{
	p->bits = 0;
	p->done = h;
	p->r_n = 0;
	p->barrier_set = 0;
}

/* Absorb the run of safe stanzas right after done. */
static inline void sb_xc_promise_settle(struct sb_xc_promise *p)
{
	unsigned n;

	if (!(p->bits & 1u))
		return;
	n = ~p->bits == 0 ? 64u : (unsigned)__builtin_ctzll(~p->bits);
	p->done += n;
	p->bits = n >= 64u ? 0 : p->bits >> n;
}

/* Stanza h is safe; rcvd is c2s.sm_in. A number not read yet, already
 * counted, or outside the window is ignored (a report for an old stream
 * or repeated). True when done moved. */
static inline bool sb_xc_promise_mark(struct sb_xc_promise *p, uint32_t h, uint32_t rcvd)
{
	uint32_t d = h - p->done - 1u;
	uint32_t old = p->done;

	if (d >= (uint32_t)(rcvd - p->done) || d >= SB_XC_PROMISE_WINDOW)
		return false;
	p->bits |= 1ull << d;
	sb_xc_promise_settle(p);
	return p->done != old;
}

/* Every stanza up to h is safe (a completed sync). True when done moved. */
static inline bool sb_xc_promise_upto(struct sb_xc_promise *p, uint32_t h, uint32_t rcvd)
{
	uint32_t n = h - p->done;

	if (n == 0 || n > (uint32_t)(rcvd - p->done))
		return false;
	p->done = h;
	p->bits = n >= 64u ? 0 : p->bits >> n;
	sb_xc_promise_settle(p);
	return true;
}

/* Whether reading must pause: a full window of stanzas not yet safe. */
static inline bool sb_xc_promise_full(const struct sb_xc_promise *p, uint32_t rcvd)
{
	return (uint32_t)(rcvd - p->done) >= SB_XC_PROMISE_WINDOW;
}

#endif
