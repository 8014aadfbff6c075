/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Test harness for lib/tcp: two endpoints wired back to back through an
 * in-memory wire. Each endpoint is what the DPDK glue will be: a worker
 * context with its own wheel, one TCB, a send queue of bytes the core names
 * by offset, a receive log, the out-of-order pieces the core asks it to hold,
 * an event log and, when listening, the listener path (SYN -> TCB or cookie,
 * TIME-WAIT record lookup). Emitted segments are serialised with ports and
 * checksum filled in and queue on the wire until the test delivers, drops or
 * reorders them; every delivered segment is checksum-verified and parsed.
 */
#ifndef TCP_HARNESS_H
#define TCP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp.h"

#define H_SEG_MAX 2048u
#define H_OUT_MAX 256u
#define H_Q_MAX (1u << 20)
#define H_HELD_MAX 64u
#define H_EV_MAX 64u

struct h_seg {
	uint32_t len;
	uint8_t buf[H_SEG_MAX];
};

struct h_held {
	uint32_t seq;
	uint32_t len;
	uint8_t data[H_SEG_MAX];
};

struct h_end {
	struct h *h;
	int idx;
	struct sb_tcp_ctx ctx;
	struct sb_wheel wheel;
	struct sb_wheel_timer *slots[SB_WHEEL_STORAGE(3)];
	struct sb_tcb tcb;
	struct sb_tcp_tw tw;
	bool tw_live;
	bool tw_swap;   /* swap the TCB for a TIME-WAIT record on EV_TIME_WAIT */
	bool listen;
	bool cookies;   /* listener answers SYNs with cookies */
	uint32_t iss;   /* ISS for the next open */
	uint16_t port;
	uint32_t addr;  /* network order */
	uint8_t *sndq;  /* bytes from SND.UNA on */
	uint32_t sndq_len;
	uint32_t sndq_base; /* stream offset of sndq[0] */
	uint8_t *rcvd;
	uint32_t rcvd_len;
	struct h_held held[H_HELD_MAX];
	uint32_t nheld;
	uint32_t acked_total;
	enum sb_tcp_event ev[H_EV_MAX];
	uint32_t nev;
	struct h_seg out[H_OUT_MAX]; /* on the wire towards the other end */
	uint32_t nout;
};

struct h {
	uint64_t now_us;
	struct h_end e[2];
};

void h_init(struct h *h, const struct sb_tcp_cfg *cfg0, const struct sb_tcp_cfg *cfg1);
void h_fini(struct h *h);

/* The harness every test file drives, and cmocka fixtures that give each
 * test a fresh one with default settings on both sides. */
extern struct h H;
int h_setup(void **state);
int h_teardown(void **state);
/* test config: defaults with small, round numbers */
void h_cfg(struct sb_tcp_cfg *cfg);
/* queue n bytes of a pattern at end i and tell the core */
int h_send(struct h *h, int i, uint32_t n);
/* deliver end i's k-th queued segment to the other end (and remove it) */
void h_deliver(struct h *h, int i, uint32_t k);
void h_drop(struct h *h, int i, uint32_t k);
/* deliver everything both ways until the wire is empty; returns segments moved */
uint32_t h_pump(struct h *h);
void h_advance_ms(struct h *h, uint32_t ms);
/* parse end i's k-th queued segment */
void h_peek(struct h *h, int i, uint32_t k, struct sb_tcp_seg *seg);
/* feed a crafted segment to end i as if it came from the other end */
void h_inject(struct h *h, int i, const struct sb_tcp_seg *seg);
/* build a raw segment into s from seg's fields (options from seg->opt) */
void h_build(struct h_seg *s, const struct sb_tcp_seg *seg);
bool h_has_event(const struct h_end *e, enum sb_tcp_event ev);
/* run the handshake A(0) -> B(1 listening); both end ESTABLISHED */
void h_connect(struct h *h);
/* byte k of the test pattern sent by end i */
uint8_t h_pattern(int i, uint32_t k);

#define H_UNA0 1001001u /* A's SND.UNA after h_warm_up() */
/* h_connect, then one round trip of 1000 bytes from A, acknowledged: the
 * SYN's window is never scaled, so the first ACK after the handshake
 * changes SND.WND; after this the window and cwnd are known and the next
 * ACK can be a duplicate. */
void h_warm_up(struct h *h);
/* end `to` received exactly n bytes, the other end's pattern in order */
void h_check_stream(const struct h *h, int to, uint32_t n);
/* end i's k-th segment on the wire carries len bytes at seq */
void h_expect_data(struct h *h, int i, uint32_t k, uint32_t seq, uint32_t len);

#endif /* TCP_HARNESS_H */
