/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Helpers shared by the files of lib/tcp and by nothing else.
 *
 * Re-entrancy rule: the ops callbacks must not call back into the core for
 * the same connection, and a terminal event (CLOSED, RESET, TIMEDOUT) or
 * TIME_WAIT is the last thing the core does with a TCB in that call, so the
 * caller may free or swap it from the event callback. Paths that can end a
 * connection therefore return `true` ("gone") and their callers stop.
 */
#ifndef SB_TCP_PRIV_H
#define SB_TCP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp.h"
#include "tcp_seq.h"

#define TCP_MSS_DEFAULT 536u /* RFC 9293 §3.7.1: IPv4 peer without MSS option */
#define TCP_IPV4_HDRS 40u   /* IPv4 + TCP headers without options: MTU - MSS */
#define TCP_TS_OPT_LEN 12u   /* NOP NOP TS: what timestamps take from the MSS */
#define TCP_WSCALE_MAX 14u   /* RFC 7323 §2.3 */
#define TCP_WND_MAX 65535u
#define TCP_PAWS_IDLE_MS (24u * 24u * 3600u * 1000u) /* RFC 7323 §5.5: 24 days */

/* Events raised while a segment is processed, fired in enum order at the end
 * (so that the ACK leaves before the caller learns, and frees, anything). */
#define TCP_EV(e) (1u << (e))

static inline void tcp_count(struct sb_tcp_ctx *ctx, enum sb_tcp_cnt c)
{
	ctx->cnt[c]++;
}

static inline void tcp_set_time(struct sb_tcp_ctx *ctx, uint64_t now_us)
{
	ctx->now_us = now_us;
	ctx->now_ms = (uint32_t)(now_us / 1000u);
}

static inline bool tcp_synchronized(const struct sb_tcb *tcb)
{
	return tcb->state >= SB_TCPS_ESTABLISHED && tcb->state <= SB_TCPS_TIME_WAIT;
}

static inline uint32_t tcp_flight(const struct sb_tcb *tcb)
{
	return tcb->snd_max - tcb->snd_una;
}

/* Payload bytes one segment may carry now: the send MSS less the SACK
 * blocks the header will carry (RFC 9293 §3.7.1: options come out of the
 * MSS; timestamps are already out of snd_mss). Without this a data segment
 * with SACK blocks exceeds the path MTU and is lost every time it is sent. */
static inline uint32_t tcp_seg_max(const struct sb_tcb *tcb)
{
	uint32_t n = tcb->ooo_n, max = (tcb->flags & SB_TF_TS) ? 3u : 4u;

	if (!(tcb->flags & SB_TF_SACK) || n == 0)
		return tcb->snd_mss;
	if (n > max)
		n = max;
	return tcb->snd_mss - ((2u + 8u * n + 3u) & ~3u);
}

/* The buffer bytes a connection's held out-of-order pieces may be charged:
 * the receive space its application set. */
static inline uint64_t tcp_ooo_share_bytes(const struct sb_tcp_ctx *ctx,
					   const struct sb_tcb *tcb)
{
	(void)ctx;
	return tcb->rcv_space;
}

/* tcp_opts.c: a 20-byte header plus o's options (NULL: none) into b, which
 * holds SB_TCP_TXBUF bytes; returns the header length */
size_t tcp_hdr_write(uint8_t *b, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
		     const struct sb_tcp_opts *o);

/* tcp_output.c */
void tcp_xmit(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t seq, uint32_t len,
	      uint8_t flags);
void tcp_send_ctl(struct sb_tcp_ctx *ctx, uint32_t seq, uint32_t ack, uint8_t flags);
void tcp_challenge_ack(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
uint32_t tcp_rexmt_one(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t seq, uint32_t max);
void tcp_events_fire(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t ev);

/* tcp_timer.c */
void tcp_timer_set(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint8_t which, uint32_t ms);
void tcp_timer_clear(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint8_t which);
void tcp_rexmt_arm(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
void tcp_pto_rearm(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
void tcp_timers_stop(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
uint32_t tcp_rto_ms(const struct sb_tcp_ctx *ctx, const struct sb_tcb *tcb);
void tcp_rtt_sample(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t rtt_ms);
void tcp_enter_time_wait(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
void tcp_keep_reset(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);

/* tcp_sack.c */
bool tcp_sack_update(struct sb_tcb *tcb, const struct sb_tcp_opts *o);
void tcp_sack_trim(struct sb_tcb *tcb);
bool tcp_sack_next_hole(const struct sb_tcb *tcb, uint32_t from, struct sb_tcp_range *ret);
void tcp_ooo_uncharge(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
void tcp_ooo_forget(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb);
bool tcp_ooo_add(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		 uint32_t skip, uint32_t start, uint32_t len);
uint32_t tcp_sack_blocks(const struct sb_tcb *tcb, struct sb_tcp_range *out, uint32_t max);
bool tcp_sack_lost(const struct sb_tcb *tcb, uint32_t seq);
bool tcp_sack_next_lost(const struct sb_tcb *tcb, uint32_t from, struct sb_tcp_range *ret);
uint32_t tcp_sack_pipe(const struct sb_tcb *tcb);
uint32_t tcp_sack_bytes_above(const struct sb_tcb *tcb, uint32_t seq);
void tcp_sack_skip(struct sb_tcb *tcb);

/* tcp_input.c */
void tcp_syn_options(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_opts *o);
void tcp_tcb_init(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, uint32_t iss);

#endif /* SB_TCP_PRIV_H */
