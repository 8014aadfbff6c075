/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Keyed hashing for initial sequence numbers (RFC 6528) and SYN cookies
 * (RFC 4987 §3.6), on SipHash-2-4 (Aumasson and Bernstein, 2012): a PRF fast
 * enough to run per SYN under flood, keyed per process.
 *
 * Cookie layout (the ISN of our SYN-ACK):
 *   bits 31..27  t mod 32, t = seconds / 64
 *   bits 26..8   19 bits of SipHash(tuple, peer ISN, t, low byte)
 *   bits  7..0   MSS index (2 bits), window scale (4 bits, 15 = none),
 *                SACK-permitted, timestamps
 * A cookie is valid for the current and the previous period (64-128 s), so
 * a forged ACK has one chance in 2^18 per attempt; the state it encodes is
 * the handshake's options, which timestamps-less peers would otherwise lose.
 */
#include <errno.h>
#include <string.h>

#include "tcp_priv.h"

#define COOKIE_PERIOD_S 64u
static const uint16_t cookie_mss[4] = {536, 1220, 1440, 1460};

static uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

uint64_t sb_tcp_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;
	uint64_t v3 = 0x7465646279746573ull ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (m = 0; left > 0; left--)
		m |= (uint64_t)p[i + left - 1] << (8 * (left - 1));
	b |= m;
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t sb_tcp_iss(const struct sb_tcp_ctx *ctx, const struct sb_tcp_tuple *tu, uint64_t now_us)
{
	uint8_t buf[12];

	memcpy(buf, &tu->laddr, 4);
	memcpy(buf + 4, &tu->raddr, 4);
	memcpy(buf + 8, &tu->lport, 2);
	memcpy(buf + 10, &tu->rport, 2);
	/* RFC 6528 §3: ISN = M + F(4-tuple, secret), M a 4 us timer */
	return (uint32_t)(now_us / 4u) + (uint32_t)sb_tcp_siphash(ctx->key, buf, sizeof(buf));
}

static uint32_t cookie_hash(const uint8_t key[16], const struct sb_tcp_tuple *tu, uint32_t peer_isn,
			    uint32_t t, uint8_t data)
{
	uint8_t buf[21];

	memcpy(buf, &tu->laddr, 4);
	memcpy(buf + 4, &tu->raddr, 4);
	memcpy(buf + 8, &tu->lport, 2);
	memcpy(buf + 10, &tu->rport, 2);
	memcpy(buf + 12, &peer_isn, 4);
	memcpy(buf + 16, &t, 4);
	buf[20] = data;
	return (uint32_t)sb_tcp_siphash(key, buf, sizeof(buf)) & 0x7ffffu;
}

static uint8_t cookie_pack(const struct sb_tcp_cookie_data *d)
{
	uint8_t idx = 0, ws = d->wscale > TCP_WSCALE_MAX ? 15 : d->wscale;
	uint8_t i;

	for (i = 0; i < 4; i++) {
		if (cookie_mss[i] <= d->mss)
			idx = i;
	}
	return (uint8_t)(idx << 6 | ws << 2 | (d->sack_ok ? 2 : 0) | (d->ts_ok ? 1 : 0));
}

uint32_t sb_tcp_cookie_encode(const uint8_t key[16], const struct sb_tcp_tuple *tu,
			      uint32_t peer_isn, uint32_t now_s, const struct sb_tcp_cookie_data *d)
{
	uint32_t t = now_s / COOKIE_PERIOD_S;
	uint8_t data = cookie_pack(d);

	return (t & 31u) << 27 | cookie_hash(key, tu, peer_isn, t, data) << 8 | data;
}

int sb_tcp_cookie_decode(const uint8_t key[16], const struct sb_tcp_tuple *tu, uint32_t peer_isn,
			 uint32_t cookie, uint32_t now_s, struct sb_tcp_cookie_data *ret)
{
	uint32_t tnow = now_s / COOKIE_PERIOD_S;
	uint8_t data = (uint8_t)cookie;
	uint32_t k;

	for (k = 0; k < 2 && k <= tnow; k++) {
		uint32_t t = tnow - k;

		if ((t & 31u) != cookie >> 27)
			continue;
		if (cookie_hash(key, tu, peer_isn, t, data) != ((cookie >> 8) & 0x7ffffu))
			continue;
		ret->mss = cookie_mss[data >> 6];
		ret->wscale = ((data >> 2) & 15u) == 15u ? 0xff : (data >> 2) & 15u;
		ret->sack_ok = (data & 2) != 0;
		ret->ts_ok = (data & 1) != 0;
		return 0;
	}
	return -EACCES;
}

void sb_tcp_cookie_synack(struct sb_tcp_ctx *ctx, const struct sb_tcp_tuple *tu,
			  const struct sb_tcp_seg *syn, uint64_t now_us)
{
	const struct sb_tcp_opts *so = &syn->opt;
	struct sb_tcp_cookie_data d;
	struct sb_tcp_opts o = {0};
	struct sb_tcp_tx tx = {.hdr = ctx->txbuf};
	uint32_t cookie, wnd = ctx->cfg.rcv_space > TCP_WND_MAX ? TCP_WND_MAX : ctx->cfg.rcv_space;

	tcp_set_time(ctx, now_us);
	d.mss = (so->present & SB_TCP_OPT_MSS) ? so->mss : TCP_MSS_DEFAULT;
	if (d.mss > ctx->cfg.mss)
		d.mss = ctx->cfg.mss;
	d.wscale = (ctx->cfg.wscale && (so->present & SB_TCP_OPT_WSCALE)) ? so->wscale : 0xff;
	d.sack_ok = ctx->cfg.sack && (so->present & SB_TCP_OPT_SACK_OK);
	d.ts_ok = ctx->cfg.ts && (so->present & SB_TCP_OPT_TS);
	cookie = sb_tcp_cookie_encode(ctx->key, tu, syn->seq, (uint32_t)(now_us / 1000000u), &d);
	o.present = SB_TCP_OPT_MSS;
	o.mss = ctx->cfg.mss;
	if (d.wscale != 0xff) {
		o.present |= SB_TCP_OPT_WSCALE;
		o.wscale = ctx->cfg.rcv_wscale;
	}
	if (d.sack_ok)
		o.present |= SB_TCP_OPT_SACK_OK;
	if (d.ts_ok) {
		o.present |= SB_TCP_OPT_TS;
		o.tsval = ctx->now_ms;
		o.tsecr = so->tsval;
	}
	tx.seq = cookie;
	tx.hdr_len = (uint32_t)tcp_hdr_write(ctx->txbuf, cookie, syn->seq + 1,
					     SB_TCP_SYN | SB_TCP_ACK, (uint16_t)wnd, &o);
	tcp_count(ctx, SB_TCP_CNT_COOKIE_SENT);
	/* a cookie stays valid for two 64 s periods (sb_tcp_cookie_decode) */
	ctx->cookie_until_s = (uint32_t)(now_us / 1000000u) + 2u * 64u + 1u;
	ctx->ops->emit(ctx->user, NULL, &tx);
}

int sb_tcp_cookie_accept(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_tuple *tu,
			 const struct sb_tcp_seg *ack, uint64_t now_us)
{
	struct sb_tcp_cookie_data d;
	struct sb_tcp_opts o = {0};
	uint32_t iss = ack->ack - 1;

	tcp_set_time(ctx, now_us);
	/* RFC 4987 §3.6: a cookie ACK is taken only while cookies are being
	 * sent; otherwise any ACK is a guess at a 24-bit hash, for free. */
	if (!sb_tcp_cookies_live(ctx, now_us)) {
		tcp_count(ctx, SB_TCP_CNT_COOKIE_NONE_SENT);
		return -EACCES;
	}
	if ((ack->flags & (SB_TCP_SYN | SB_TCP_RST | SB_TCP_ACK)) != SB_TCP_ACK ||
	    sb_tcp_cookie_decode(ctx->key, tu, ack->seq - 1, iss, (uint32_t)(now_us / 1000000u),
				 &d) != 0) {
		tcp_count(ctx, SB_TCP_CNT_COOKIE_BAD);
		return -EACCES;
	}
	tcp_tcb_init(ctx, tcb, iss + 1);
	tcb->snd_end = iss + 1; /* SND.UNA is past our SYN already */
	tcb->recover = iss;
	/* Rebuild what the SYN negotiated from what the cookie kept. */
	o.present = SB_TCP_OPT_MSS;
	o.mss = d.mss;
	if (d.wscale != 0xff) {
		o.present |= SB_TCP_OPT_WSCALE;
		o.wscale = d.wscale;
	}
	if (d.sack_ok)
		o.present |= SB_TCP_OPT_SACK_OK;
	if (d.ts_ok && (ack->opt.present & SB_TCP_OPT_TS)) {
		o.present |= SB_TCP_OPT_TS;
		o.tsval = ack->opt.tsval;
	}
	tcp_syn_options(ctx, tcb, &o);
	tcb->state = SB_TCPS_ESTABLISHED;
	tcb->flags |= SB_TF_PASSIVE;
	tcb->rcv_nxt = ack->seq;
	tcb->rcv_adv = ack->seq + (ctx->cfg.rcv_space > TCP_WND_MAX ? TCP_WND_MAX
								 : ctx->cfg.rcv_space);
	tcb->last_ack_sent = ack->seq;
	tcb->snd_wnd = (uint32_t)ack->wnd << tcb->snd_wscale;
	tcb->max_snd_wnd = tcb->snd_wnd;
	tcb->snd_wl1 = ack->seq;
	tcp_count(ctx, SB_TCP_CNT_COOKIE_OK);
	tcp_keep_reset(ctx, tcb);
	ctx->ops->event(ctx->user, tcb, SB_TCP_EV_ACCEPTED);
	if (ack->len > 0 || (ack->flags & SB_TCP_FIN))
		sb_tcp_input(ctx, tcb, ack, now_us);
	return 0;
}
