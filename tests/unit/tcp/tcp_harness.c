/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The back-to-back harness (see tcp_harness.h). Test code: it may allocate
 * and it asserts with cmocka on every contract the core promises the glue
 * (payload offsets inside the send queue, held pieces disjoint, releases
 * contiguous from RCV.NXT).
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"
#include "tcp_seq.h"

static const uint8_t h_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

uint8_t h_pattern(int i, uint32_t k)
{
	return (uint8_t)(k * 7u + (uint32_t)i * 101u + (k >> 8));
}

static struct h_end *other(struct h_end *e)
{
	return &e->h->e[1 - e->idx];
}

static void h_emit(void *user, struct sb_tcb *tcb, const struct sb_tcp_tx *tx)
{
	struct h_end *e = user;
	struct h_end *o = other(e);
	struct h_seg *s;
	uint16_t sport = htobe16(e->port), dport = htobe16(o->port), csum;

	(void)tcb;
	assert_true(e->nout < H_OUT_MAX);
	assert_true(tx->hdr_len >= 20 && tx->hdr_len <= 60);
	assert_true(tx->hdr_len + tx->data_len <= H_SEG_MAX);
	assert_true(tx->data_off + tx->data_len <= e->sndq_len);
	s = &e->out[e->nout++];
	memcpy(s->buf, tx->hdr, tx->hdr_len);
	memcpy(s->buf + tx->hdr_len, e->sndq + tx->data_off, tx->data_len);
	s->len = tx->hdr_len + tx->data_len;
	memcpy(s->buf, &sport, 2);
	memcpy(s->buf + 2, &dport, 2);
	csum = sb_tcp_csum_ipv4(e->addr, o->addr, s->buf, s->len);
	memcpy(s->buf + 16, &csum, 2);
}

static void h_deliver_cb(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
			 uint32_t skip, uint32_t len)
{
	struct h_end *e = user;

	(void)tcb;
	assert_true(skip + len <= seg->len);
	assert_true(e->rcvd_len + len <= H_Q_MAX);
	memcpy(e->rcvd + e->rcvd_len, seg->payload + skip, len);
	e->rcvd_len += len;
}

static void h_hold(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg, uint32_t skip,
		   uint32_t len, uint32_t seq)
{
	struct h_end *e = user;
	uint32_t i;

	assert_true(skip + len <= seg->len);
	assert_true(sb_seq_gt(seq, tcb->rcv_nxt));
	for (i = 0; i < e->nheld; i++) {
		const struct h_held *p = &e->held[i];

		/* the core promises disjoint pieces */
		assert_true(sb_seq_leq(seq + len, p->seq) || sb_seq_geq(seq, p->seq + p->len));
	}
	assert_true(e->nheld < H_HELD_MAX);
	e->held[e->nheld].seq = seq;
	e->held[e->nheld].len = len;
	memcpy(e->held[e->nheld].data, seg->payload + skip, len);
	e->nheld++;
}

static void h_release(void *user, struct sb_tcb *tcb, uint32_t end_seq)
{
	struct h_end *e = user;
	uint32_t next = tcb->rcv_nxt;
	bool found = true;

	while (found && sb_seq_lt(next, end_seq)) {
		uint32_t i;

		found = false;
		for (i = 0; i < e->nheld; i++) {
			if (e->held[i].seq != next)
				continue;
			memcpy(e->rcvd + e->rcvd_len, e->held[i].data, e->held[i].len);
			e->rcvd_len += e->held[i].len;
			next += e->held[i].len;
			e->held[i] = e->held[--e->nheld];
			found = true;
			break;
		}
	}
	assert_int_equal(next, end_seq); /* released pieces are contiguous */
}

static void h_acked(void *user, struct sb_tcb *tcb, uint32_t bytes)
{
	struct h_end *e = user;

	(void)tcb;
	assert_true(bytes <= e->sndq_len);
	memmove(e->sndq, e->sndq + bytes, e->sndq_len - bytes);
	e->sndq_len -= bytes;
	e->sndq_base += bytes;
	e->acked_total += bytes;
}

static void h_event(void *user, struct sb_tcb *tcb, enum sb_tcp_event ev)
{
	struct h_end *e = user;

	assert_true(e->nev < H_EV_MAX);
	e->ev[e->nev++] = ev;
	if (ev == SB_TCP_EV_TIME_WAIT && e->tw_swap) {
		sb_tcp_tw_init(&e->ctx, &e->tw, tcb);
		e->tw_live = true;
		tcb->state = SB_TCPS_CLOSED; /* "freed" */
	}
}

static void h_tw_expired(void *user, struct sb_tcp_tw *tw)
{
	struct h_end *e = user;

	assert_ptr_equal(tw, &e->tw);
	e->tw_live = false;
}

static const struct sb_tcp_ops h_ops = {
	.emit = h_emit,
	.deliver = h_deliver_cb,
	.hold = h_hold,
	.release = h_release,
	.acked = h_acked,
	.event = h_event,
	.tw_expired = h_tw_expired,
};

void h_cfg(struct sb_tcp_cfg *cfg)
{
	sb_tcp_cfg_default(cfg);
	cfg->mss = 1012; /* 1000 bytes of payload with timestamps */
	cfg->keep_idle_ms = 0;
	/* exact RTO expectations: tests of tail loss probes turn it on */
	cfg->tlp = false;
}

void h_init(struct h *h, const struct sb_tcp_cfg *cfg0, const struct sb_tcp_cfg *cfg1)
{
	struct sb_tcp_cfg def;
	int i;

	memset(h, 0, sizeof(*h));
	h->now_us = 1000000000ull; /* 1000 s: no clock sits at zero */
	h_cfg(&def);
	for (i = 0; i < 2; i++) {
		struct h_end *e = &h->e[i];

		e->h = h;
		e->idx = i;
		assert_int_equal(sb_wheel_init(&e->wheel, e->slots, 3, h->now_us / 1000), 0);
		assert_int_equal(sb_tcp_ctx_init(&e->ctx, i == 0 ? (cfg0 ? cfg0 : &def)
							       : (cfg1 ? cfg1 : &def),
						 &h_ops, e, &e->wheel, h_key), 0);
		e->sndq = calloc(1, H_Q_MAX);
		e->rcvd = calloc(1, H_Q_MAX);
		assert_non_null(e->sndq);
		assert_non_null(e->rcvd);
		e->port = (uint16_t)(40000 + i * 1000);
		e->addr = htobe32(0x0a000001u + (uint32_t)i);
		e->iss = i == 0 ? 1000000u : 0xfffff000u; /* B wraps: seq compares must hold */
	}
	h->e[1].listen = true;
}

void h_fini(struct h *h)
{
	free(h->e[0].sndq);
	free(h->e[0].rcvd);
	free(h->e[1].sndq);
	free(h->e[1].rcvd);
}

int h_send(struct h *h, int i, uint32_t n)
{
	struct h_end *e = &h->e[i];
	uint32_t k;

	assert_true(e->sndq_len + n <= H_Q_MAX);
	for (k = 0; k < n; k++)
		e->sndq[e->sndq_len + k] = h_pattern(i, e->sndq_base + e->sndq_len + k);
	e->sndq_len += n;
	return sb_tcp_send(&e->ctx, &e->tcb, n, h->now_us);
}

static void h_tuple(const struct h_end *e, struct sb_tcp_tuple *tu)
{
	const struct h_end *o = &e->h->e[1 - e->idx];

	tu->laddr = e->addr;
	tu->raddr = o->addr;
	tu->lport = htobe16(e->port);
	tu->rport = htobe16(o->port);
}

static void h_listen(struct h *h, struct h_end *to, const struct sb_tcp_seg *seg)
{
	struct sb_tcp_tuple tu;

	h_tuple(to, &tu);
	if (seg->flags & SB_TCP_RST)
		return;
	if ((seg->flags & (SB_TCP_SYN | SB_TCP_ACK)) == SB_TCP_SYN) {
		if (to->cookies)
			sb_tcp_cookie_synack(&to->ctx, &tu, seg, h->now_us);
		else
			assert_int_equal(sb_tcp_accept_syn(&to->ctx, &to->tcb, seg, to->iss,
							   h->now_us), 0);
		return;
	}
	if ((seg->flags & SB_TCP_ACK) && to->cookies &&
	    sb_tcp_cookie_accept(&to->ctx, &to->tcb, &tu, seg, h->now_us) == 0)
		return;
	sb_tcp_reply_rst(&to->ctx, seg);
}

void h_inject(struct h *h, int i, const struct sb_tcp_seg *seg)
{
	struct h_end *to = &h->e[i];

	if (to->tcb.state != SB_TCPS_CLOSED) {
		sb_tcp_input(&to->ctx, &to->tcb, seg, h->now_us);
		return;
	}
	if (to->tw_live) {
		uint32_t iss_min = 0;

		if (sb_tcp_tw_input(&to->ctx, &to->tw, seg, h->now_us, &iss_min) !=
		    SB_TCP_TW_REUSE)
			return;
		sb_tcp_tw_cancel(&to->ctx, &to->tw);
		to->tw_live = false;
		to->iss = iss_min + 12345;
	}
	if (to->listen)
		h_listen(h, to, seg);
	else
		sb_tcp_reply_rst(&to->ctx, seg);
}

static void h_take(struct h *h, int i, uint32_t k, struct h_seg *s)
{
	struct h_end *e = &h->e[i];

	assert_true(k < e->nout);
	*s = e->out[k];
	memmove(&e->out[k], &e->out[k + 1], (e->nout - k - 1) * sizeof(e->out[0]));
	e->nout--;
}

void h_peek(struct h *h, int i, uint32_t k, struct sb_tcp_seg *seg)
{
	struct h_end *e = &h->e[i];

	assert_true(k < e->nout);
	memset(seg, 0, sizeof(*seg));
	assert_int_equal(sb_tcp_parse(e->out[k].buf, e->out[k].len, seg), SB_TCP_PARSE_OK);
}

void h_deliver(struct h *h, int i, uint32_t k)
{
	static struct h_seg s; /* tests are single-threaded */
	struct h_end *from = &h->e[i], *to = &h->e[1 - i];
	struct sb_tcp_seg seg;
	enum sb_tcp_parse_res r;

	h_take(h, i, k, &s);
	assert_int_equal(sb_tcp_csum_ipv4(from->addr, to->addr, s.buf, s.len), 0);
	memset(&seg, 0, sizeof(seg));
	r = sb_tcp_parse(s.buf, s.len, &seg);
	if (r != SB_TCP_PARSE_OK) {
		sb_tcp_count_parse(&to->ctx, r);
		return;
	}
	h_inject(h, 1 - i, &seg);
}

void h_drop(struct h *h, int i, uint32_t k)
{
	struct h_seg s;

	h_take(h, i, k, &s);
}

uint32_t h_pump(struct h *h)
{
	uint32_t moved = 0;

	while (h->e[0].nout > 0 || h->e[1].nout > 0) {
		int i;

		for (i = 0; i < 2; i++) {
			if (h->e[i].nout > 0) {
				h_deliver(h, i, 0);
				moved++;
			}
		}
		assert_true(moved < 100000);
	}
	return moved;
}

void h_advance_ms(struct h *h, uint32_t ms)
{
	int i;

	h->now_us += (uint64_t)ms * 1000u;
	for (i = 0; i < 2; i++)
		while (sb_tcp_timers_run(&h->e[i].ctx, h->now_us, 1000) == 1000)
			;
}

void h_build(struct h_seg *s, const struct sb_tcp_seg *seg)
{
	size_t olen = sb_tcp_opts_write(s->buf + 20, 40, &seg->opt);
	uint8_t *b = s->buf;

	memset(b, 0, 20);
	b[0] = (uint8_t)(seg->sport >> 8);
	b[1] = (uint8_t)seg->sport;
	b[2] = (uint8_t)(seg->dport >> 8);
	b[3] = (uint8_t)seg->dport;
	for (int k = 0; k < 4; k++) {
		b[4 + k] = (uint8_t)(seg->seq >> (24 - 8 * k));
		b[8 + k] = (uint8_t)(seg->ack >> (24 - 8 * k));
	}
	b[12] = (uint8_t)(((20 + olen) / 4) << 4);
	b[13] = seg->flags;
	b[14] = (uint8_t)(seg->wnd >> 8);
	b[15] = (uint8_t)seg->wnd;
	if (seg->len > 0)
		memcpy(b + 20 + olen, seg->payload, seg->len);
	s->len = (uint32_t)(20 + olen + seg->len);
}

bool h_has_event(const struct h_end *e, enum sb_tcp_event ev)
{
	uint32_t i;

	for (i = 0; i < e->nev; i++) {
		if (e->ev[i] == ev)
			return true;
	}
	return false;
}

void h_connect(struct h *h)
{
	assert_int_equal(sb_tcp_connect(&h->e[0].ctx, &h->e[0].tcb, h->e[0].iss, h->now_us), 0);
	h_pump(h);
	assert_int_equal(h->e[0].tcb.state, SB_TCPS_ESTABLISHED);
	assert_int_equal(h->e[1].tcb.state, SB_TCPS_ESTABLISHED);
}

void h_warm_up(struct h *h)
{
	h_connect(h);
	h_send(h, 0, 1000);
	h_pump(h);
	h_advance_ms(h, 40);
	h_pump(h);
	assert_int_equal(h->e[0].tcb.snd_una, H_UNA0);
}

void h_check_stream(const struct h *h, int to, uint32_t n)
{
	assert_int_equal(h->e[to].rcvd_len, n);
	for (uint32_t k = 0; k < n; k++)
		assert_int_equal(h->e[to].rcvd[k], h_pattern(1 - to, k));
}

void h_expect_data(struct h *h, int i, uint32_t k, uint32_t seq, uint32_t len)
{
	struct sb_tcp_seg s;

	h_peek(h, i, k, &s);
	assert_int_equal(s.seq, seq);
	assert_int_equal(s.len, len);
}

struct h H;

int h_setup(void **state)
{
	(void)state;
	h_init(&H, NULL, NULL);
	return 0;
}

int h_teardown(void **state)
{
	(void)state;
	h_fini(&H);
	return 0;
}
