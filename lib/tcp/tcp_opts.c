/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TCP header and option parsing and writing (RFC 9293 §3.1-3.2, RFC 7323
 * §2-3, RFC 2018 §2-3), and the configuration defaults. Parsing is strict on
 * structure (an option whose length is below 2 or runs past the header, or a
 * known option with the wrong length, rejects the segment: RFC 9293 §3.1
 * lets a receiver drop what it cannot parse) and lenient on content (unknown
 * kinds are skipped, a window scale above 14 is clamped per RFC 7323 §2.3).
 */
#include <string.h>

#include "tcp_priv.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WSCALE 3
#define OPT_SACK_OK 4
#define OPT_SACK 5
#define OPT_TS 8

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void sb_tcp_cfg_default(struct sb_tcp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mss = 1460;
	cfg->mss_min = 88;
	cfg->rcv_space = 65535;
	cfg->rcv_wscale = 2;
	cfg->ts = true;
	cfg->sack = true;
	cfg->tlp = true;
	cfg->wscale = true;
	cfg->init_cwnd_segs = 10;
	cfg->syn_retries = 5;
	cfg->data_retries = 12;
	cfg->keep_cnt = 3;
	cfg->rto_init_us = 1000000;
	cfg->rto_min_us = 200000;
	cfg->rto_max_us = 60000000;
	cfg->delack_ms = 40;
	cfg->keep_idle_ms = 75000;
	cfg->keep_intvl_ms = 15000;
	cfg->msl_ms = 30000;
	cfg->fin_wait_2_ms = 60000;
	cfg->persist_min_ms = 200;
	cfg->persist_max_ms = 60000;
	cfg->challenge_acks_per_s = 1000;
	cfg->challenge_gap_ms = 500; /* Linux's tcp_invalid_ratelimit */
	/* a whole default window (65535 bytes) of full-size segments can be
	 * held behind one hole: a lower limit turns reordering into loss */
	cfg->ooo_pieces_max = 48;
	cfg->ooo_piece_bytes = 2304; /* a 2 KiB mbuf with its header and headroom */
	cfg->ooo_pieces_worker_max = 4096;
	cfg->burst_max = 32;
}

static enum sb_tcp_parse_res opt_one(uint8_t kind, const uint8_t *p, uint8_t olen,
				     struct sb_tcp_opts *o)
{
	uint32_t i;

	switch (kind) {
	case OPT_MSS:
		if (olen != 4)
			return SB_TCP_PARSE_BAD_OPT;
		o->mss = get16(p + 2);
		o->present |= SB_TCP_OPT_MSS;
		break;
	case OPT_WSCALE:
		if (olen != 3)
			return SB_TCP_PARSE_BAD_OPT;
		o->wscale = p[2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : p[2];
		o->present |= SB_TCP_OPT_WSCALE;
		break;
	case OPT_SACK_OK:
		if (olen != 2)
			return SB_TCP_PARSE_BAD_OPT;
		o->present |= SB_TCP_OPT_SACK_OK;
		break;
	case OPT_SACK:
		if (olen < 10 || (olen - 2) % 8 != 0 || (olen - 2) / 8 > SB_TCP_SACK_OPT_MAX)
			return SB_TCP_PARSE_BAD_OPT;
		o->sack_n = (uint8_t)((olen - 2) / 8);
		for (i = 0; i < o->sack_n; i++) {
			o->sack[i].start = get32(p + 2 + 8 * i);
			o->sack[i].end = get32(p + 6 + 8 * i);
		}
		o->present |= SB_TCP_OPT_SACK;
		break;
	case OPT_TS:
		if (olen != 10)
			return SB_TCP_PARSE_BAD_OPT;
		o->tsval = get32(p + 2);
		o->tsecr = get32(p + 6);
		o->present |= SB_TCP_OPT_TS;
		break;
	default:
		break; /* RFC 9293 §3.2: unknown options are skipped by their length */
	}
	return SB_TCP_PARSE_OK;
}

enum sb_tcp_parse_res sb_tcp_opts_parse(const uint8_t *p, size_t len, struct sb_tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i];
		uint8_t olen;
		enum sb_tcp_parse_res r;

		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return SB_TCP_PARSE_BAD_OPT;
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return SB_TCP_PARSE_BAD_OPT;
		r = opt_one(kind, p + i, olen, o);
		if (r != SB_TCP_PARSE_OK)
			return r;
		i += olen;
	}
	return SB_TCP_PARSE_OK;
}

enum sb_tcp_parse_res sb_tcp_parse(const uint8_t *buf, size_t len, struct sb_tcp_seg *seg)
{
	uint8_t doff;
	uint8_t fl;
	enum sb_tcp_parse_res r;

	if (len < 20)
		return SB_TCP_PARSE_SHORT;
	doff = (uint8_t)((buf[12] >> 4) * 4);
	if (doff < 20 || doff > len)
		return SB_TCP_PARSE_BAD_DOFF;
	fl = buf[13] & 0x3f;
	/* Combinations no conforming stack sends; scans use them to fingerprint. */
	if ((fl & SB_TCP_SYN) && (fl & (SB_TCP_RST | SB_TCP_FIN)))
		return SB_TCP_PARSE_BAD_FLAGS;
	if ((fl & (SB_TCP_SYN | SB_TCP_RST | SB_TCP_ACK | SB_TCP_FIN)) == 0)
		return SB_TCP_PARSE_BAD_FLAGS;
	r = sb_tcp_opts_parse(buf + 20, doff - 20u, &seg->opt);
	if (r != SB_TCP_PARSE_OK)
		return r;
	seg->sport = get16(buf);
	seg->dport = get16(buf + 2);
	seg->seq = get32(buf + 4);
	seg->ack = get32(buf + 8);
	seg->flags = fl;
	seg->hdr_len = doff;
	seg->wnd = get16(buf + 14);
	seg->payload = buf + doff;
	seg->len = (uint32_t)(len - doff);
	return SB_TCP_PARSE_OK;
}

void sb_tcp_count_parse(struct sb_tcp_ctx *ctx, enum sb_tcp_parse_res r)
{
	switch (r) {
	case SB_TCP_PARSE_SHORT:
		tcp_count(ctx, SB_TCP_CNT_PARSE_SHORT);
		break;
	case SB_TCP_PARSE_BAD_DOFF:
		tcp_count(ctx, SB_TCP_CNT_PARSE_BAD_DOFF);
		break;
	case SB_TCP_PARSE_BAD_OPT:
		tcp_count(ctx, SB_TCP_CNT_PARSE_BAD_OPT);
		break;
	case SB_TCP_PARSE_BAD_FLAGS:
		tcp_count(ctx, SB_TCP_CNT_PARSE_BAD_FLAGS);
		break;
	default:
		break;
	}
}

/* Layout follows common practice so middleboxes see familiar patterns:
 * MSS, then SACK-permitted folded with timestamps, then NOP + window scale;
 * on other segments NOP NOP TS and NOP NOP SACK. */
size_t sb_tcp_opts_write(uint8_t *buf, size_t cap, const struct sb_tcp_opts *o)
{
	uint8_t tmp[40];
	size_t n = 0;
	uint32_t i, nsack = o->sack_n;

	if (o->present & SB_TCP_OPT_MSS) {
		tmp[n++] = OPT_MSS;
		tmp[n++] = 4;
		put16(tmp + n, o->mss);
		n += 2;
	}
	if ((o->present & SB_TCP_OPT_SACK_OK) && (o->present & SB_TCP_OPT_TS)) {
		tmp[n++] = OPT_SACK_OK;
		tmp[n++] = 2;
	} else if (o->present & SB_TCP_OPT_SACK_OK) {
		tmp[n++] = OPT_NOP;
		tmp[n++] = OPT_NOP;
		tmp[n++] = OPT_SACK_OK;
		tmp[n++] = 2;
	} else if (o->present & SB_TCP_OPT_TS) {
		tmp[n++] = OPT_NOP;
		tmp[n++] = OPT_NOP;
	}
	if (o->present & SB_TCP_OPT_TS) {
		tmp[n++] = OPT_TS;
		tmp[n++] = 10;
		put32(tmp + n, o->tsval);
		put32(tmp + n + 4, o->tsecr);
		n += 8;
	}
	if (o->present & SB_TCP_OPT_WSCALE) {
		tmp[n++] = OPT_NOP;
		tmp[n++] = OPT_WSCALE;
		tmp[n++] = 3;
		tmp[n++] = o->wscale;
	}
	if ((o->present & SB_TCP_OPT_SACK) && nsack > 0) {
		uint32_t room = (uint32_t)((sizeof(tmp) - n - 4) / 8);

		nsack = nsack > room ? room : nsack;
		if (nsack > SB_TCP_SACK_OPT_MAX)
			nsack = SB_TCP_SACK_OPT_MAX;
		tmp[n++] = OPT_NOP;
		tmp[n++] = OPT_NOP;
		tmp[n++] = OPT_SACK;
		tmp[n++] = (uint8_t)(2 + 8 * nsack);
		for (i = 0; i < nsack; i++) {
			put32(tmp + n, o->sack[i].start);
			put32(tmp + n + 4, o->sack[i].end);
			n += 8;
		}
	}
	if (n > cap)
		return 0;
	memcpy(buf, tmp, n);
	return n;
}

size_t tcp_hdr_write(uint8_t *b, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
		     const struct sb_tcp_opts *o)
{
	size_t olen = o != NULL ? sb_tcp_opts_write(b + 20, SB_TCP_TXBUF - 20, o) : 0;

	memset(b, 0, 20);
	put32(b + 4, seq);
	put32(b + 8, (flags & SB_TCP_ACK) ? ack : 0);
	b[12] = (uint8_t)(((20 + olen) / 4) << 4);
	b[13] = flags;
	put16(b + 14, wnd);
	return 20 + olen;
}
