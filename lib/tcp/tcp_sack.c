/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Range bookkeeping on both sides of SACK (RFC 2018).
 *
 * Receiver: out-of-order bytes are held by the caller; the TCB keeps up to
 * SB_TCP_OOO_MAX disjoint ranges above RCV.NXT. A new segment is cut into the
 * pieces no range covers yet, so the caller never holds a byte twice, and it
 * is refused whole (counted) when it would need a fifth range or more held
 * pieces than the configured limit: refusing costs the peer one
 * retransmission, holding without bound would cost us memory per connection.
 * Held data is memory the peer chooses to pin (a one-byte piece can keep a
 * whole packet buffer), so every piece is charged a whole buffer
 * (cfg.ooo_piece_bytes) against the receive space the application set, and
 * counted against the worker's cap and its source address's share (which
 * the caller keeps); nothing is held while the caller's pool is low. The
 * charge is returned when the ranges empty or the TCB ends.
 * The ranges are reported as SACK blocks, the most recently changed first
 * (RFC 2018 §4).
 *
 * Sender: the blocks the peer reports are merged into SB_TCP_SACKED_MAX ranges
 * above SND.UNA. Loss recovery follows RFC 6675: IsLost() (§4) says a hole is
 * lost once DupThresh (3) ranges or more than 2 * SMSS bytes above it are
 * SACKed; the pipe (§4, SetPipe) is what is in flight minus what is SACKed
 * minus the lost holes not resent yet (HighRxt is snd_rxt), and output sends
 * while pipe < cwnd: lost holes first, then new data, then other holes
 * (NextSeg rules 1-3). When more disjoint blocks arrive than fit, the lowest
 * are kept: those are the holes to repair first.
 */
#include <string.h>

#include "tcp_priv.h"

/* Inserts r into a sorted disjoint array of n (max cap) ranges, merging what
 * overlaps or touches it. Returns the new count, or cap + 1 if it would not
 * fit (array unchanged); *ret_idx is where the merged range ended up. */
static uint32_t range_insert(struct sb_tcp_range *a, uint32_t n, uint32_t cap,
			     struct sb_tcp_range r, uint32_t *ret_idx)
{
	struct sb_tcp_range out[SB_TCP_OOO_MAX + SB_TCP_SACKED_MAX + 1];
	uint32_t i, m = 0, idx = 0;
	bool placed = false;

	for (i = 0; i < n; i++) {
		if (sb_seq_lt(a[i].end, r.start)) {
			out[m++] = a[i];
		} else if (sb_seq_gt(a[i].start, r.end)) {
			if (!placed) {
				idx = m;
				out[m++] = r;
				placed = true;
			}
			out[m++] = a[i];
		} else {
			r.start = sb_seq_min(r.start, a[i].start);
			r.end = sb_seq_max(r.end, a[i].end);
		}
	}
	if (!placed) {
		idx = m;
		out[m++] = r;
	}
	if (m > cap)
		return cap + 1;
	memcpy(a, out, m * sizeof(*a));
	if (ret_idx != NULL)
		*ret_idx = idx;
	return m;
}

/* The connection's pieces leave the worker's count (its ranges are empty). */
void tcp_ooo_uncharge(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	ctx->ooo_pieces -= tcb->ooo_pieces <= ctx->ooo_pieces ? tcb->ooo_pieces : ctx->ooo_pieces;
	tcb->ooo_pieces = 0;
}

/* Forget every held range (close, abort, terminal event): the caller frees
 * the pieces. RFC 2018 §8 lets a receiver renege: the sender keeps all data
 * until it is cumulatively ACKed. */
void tcp_ooo_forget(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb)
{
	tcp_ooo_uncharge(ctx, tcb);
	tcb->ooo_n = 0;
	tcb->ooo_last = 0;
	tcb->flags &= (uint16_t)~SB_TF_OOO_FIN;
}

/* The counter that refuses np more pieces needing n ranges, or
 * SB_TCP_CNT_MAX when they may be held. */
static enum sb_tcp_cnt ooo_refusal(const struct sb_tcp_ctx *ctx, const struct sb_tcb *tcb,
				   uint32_t np, uint32_t n)
{
	uint32_t pieces = tcb->ooo_pieces + np;

	if (ctx->ooo_refuse)
		return SB_TCP_CNT_RX_OOO_POOL_LOW;
	if (ctx->ooo_pieces + np > ctx->cfg.ooo_pieces_worker_max)
		return SB_TCP_CNT_RX_OOO_WORKER_CAP;
	if (np > ctx->ooo_src_left)
		return SB_TCP_CNT_RX_OOO_SRC_SHARE;
	if ((uint64_t)pieces * ctx->cfg.ooo_piece_bytes > tcp_ooo_share_bytes(ctx, tcb))
		return SB_TCP_CNT_RX_OOO_SHARE;
	if (n > SB_TCP_OOO_MAX || pieces > ctx->cfg.ooo_pieces_max)
		return SB_TCP_CNT_RX_OOO_FULL;
	return SB_TCP_CNT_MAX;
}

bool tcp_ooo_add(struct sb_tcp_ctx *ctx, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
		 uint32_t skip, uint32_t start, uint32_t len)
{
	struct sb_tcp_range piece[SB_TCP_OOO_MAX + 1];
	struct sb_tcp_range r = {start, start + len};
	uint32_t i, np = 0, cur = start, n, idx = 0;
	struct sb_tcp_range tmp[SB_TCP_OOO_MAX];
	enum sb_tcp_cnt why;

	for (i = 0; i < tcb->ooo_n; i++) {
		const struct sb_tcp_range *o = &tcb->ooo[i];

		if (sb_seq_leq(o->end, cur))
			continue;
		if (sb_seq_geq(o->start, r.end))
			break;
		if (sb_seq_gt(o->start, cur))
			piece[np++] = (struct sb_tcp_range){cur, o->start};
		cur = sb_seq_max(cur, o->end);
	}
	if (sb_seq_lt(cur, r.end))
		piece[np++] = (struct sb_tcp_range){cur, r.end};
	if (np == 0) {
		tcp_count(ctx, SB_TCP_CNT_RX_DUP_DATA);
		return false;
	}
	memcpy(tmp, tcb->ooo, sizeof(tmp));
	n = range_insert(tmp, tcb->ooo_n, SB_TCP_OOO_MAX, r, &idx);
	why = ooo_refusal(ctx, tcb, np, n);
	if (why != SB_TCP_CNT_MAX) {
		tcp_count(ctx, why);
		return false;
	}
	for (i = 0; i < np; i++) {
		ctx->ops->hold(ctx->user, tcb, seg, skip + (piece[i].start - start),
			       piece[i].end - piece[i].start, piece[i].start);
		tcp_count(ctx, SB_TCP_CNT_RX_OOO_HELD);
	}
	memcpy(tcb->ooo, tmp, sizeof(tmp));
	tcb->ooo_n = (uint8_t)n;
	tcb->ooo_pieces = (uint8_t)(tcb->ooo_pieces + np);
	ctx->ooo_pieces += np;
	if (ctx->ooo_src_left != UINT32_MAX)
		ctx->ooo_src_left -= np;
	tcb->ooo_last = (uint8_t)idx;
	return true;
}

uint32_t tcp_sack_blocks(const struct sb_tcb *tcb, struct sb_tcp_range *out, uint32_t max)
{
	uint32_t i, n = 0, first = tcb->ooo_last;

	if (tcb->ooo_n == 0 || max == 0)
		return 0;
	if (first >= tcb->ooo_n)
		first = 0;
	out[n++] = tcb->ooo[first];
	for (i = 0; i < tcb->ooo_n && n < max; i++) {
		if (i != first)
			out[n++] = tcb->ooo[i];
	}
	return n;
}

static bool range_covered(const struct sb_tcp_range *a, uint32_t n, struct sb_tcp_range r)
{
	for (uint32_t i = 0; i < n; i++)
		if (sb_seq_leq(a[i].start, r.start) && sb_seq_geq(a[i].end, r.end))
			return true;
	return false;
}

bool tcp_sack_update(struct sb_tcb *tcb, const struct sb_tcp_opts *o)
{
	struct sb_tcp_range tmp[SB_TCP_SACKED_MAX + 1];
	uint32_t i, n;
	bool news = false;

	for (i = 0; i < o->sack_n; i++) {
		struct sb_tcp_range r = o->sack[i];

		/* Blocks below SND.UNA (D-SACK, RFC 2883) or past what we sent are
		 * not scoreboard material. */
		if (!sb_seq_lt(r.start, r.end) || sb_seq_lt(r.start, tcb->snd_una) ||
		    sb_seq_gt(r.end, tcb->snd_max))
			continue;
		if (range_covered(tcb->sacked, tcb->sacked_n, r))
			continue;
		news = true; /* RFC 6675 §2: a DupAck brings SACK information not known */
		memcpy(tmp, tcb->sacked, sizeof(tcb->sacked));
		n = range_insert(tmp, tcb->sacked_n, SB_TCP_SACKED_MAX + 1, r, NULL);
		if (n > SB_TCP_SACKED_MAX)
			n = SB_TCP_SACKED_MAX; /* keep the lowest: the first holes to repair */
		memcpy(tcb->sacked, tmp, n * sizeof(*tmp));
		tcb->sacked_n = (uint8_t)n;
	}
	return news;
}

void tcp_sack_trim(struct sb_tcb *tcb)
{
	uint32_t i, m = 0;

	for (i = 0; i < tcb->sacked_n; i++) {
		struct sb_tcp_range r = tcb->sacked[i];

		if (sb_seq_leq(r.end, tcb->snd_una))
			continue;
		if (sb_seq_lt(r.start, tcb->snd_una))
			r.start = tcb->snd_una;
		tcb->sacked[m++] = r;
	}
	tcb->sacked_n = (uint8_t)m;
}

bool tcp_sack_next_hole(const struct sb_tcb *tcb, uint32_t from, struct sb_tcp_range *ret)
{
	uint32_t i;

	from = sb_seq_max(from, tcb->snd_una);
	for (i = 0; i < tcb->sacked_n; i++) {
		const struct sb_tcp_range *r = &tcb->sacked[i];

		if (sb_seq_lt(from, r->start)) {
			ret->start = from;
			ret->end = r->start;
			return true;
		}
		from = sb_seq_max(from, r->end);
	}
	return false;
}

/* SACKed bytes above seq, and how many ranges hold them. */
static uint32_t sacked_above(const struct sb_tcb *tcb, uint32_t seq, uint32_t *ret_ranges)
{
	uint32_t i, bytes = 0, n = 0;

	for (i = 0; i < tcb->sacked_n; i++) {
		const struct sb_tcp_range *r = &tcb->sacked[i];

		if (sb_seq_leq(r->end, seq))
			continue;
		bytes += r->end - sb_seq_max(r->start, seq);
		n++;
	}
	*ret_ranges = n;
	return bytes;
}

/* RFC 6675 §4 IsLost(seq) with DupThresh 3. In recovery the hole at SND.UNA
 * is lost by definition: recovery started because it was (§5 step 4.3), and
 * a partial ACK names the next one (RFC 6582's rule, kept for SACK). */
bool tcp_sack_lost(const struct sb_tcb *tcb, uint32_t seq)
{
	uint32_t n, bytes = sacked_above(tcb, seq, &n);

	if (n == 0)
		return false;
	if ((tcb->flags & SB_TF_RECOVERY) && seq == tcb->snd_una)
		return true;
	return n >= 3 || bytes > 2u * tcb->snd_mss;
}

bool tcp_sack_next_lost(const struct sb_tcb *tcb, uint32_t from, struct sb_tcp_range *ret)
{
	while (tcp_sack_next_hole(tcb, from, ret)) {
		if (tcp_sack_lost(tcb, ret->start))
			return true;
		from = ret->end;
	}
	return false;
}

/* RFC 6675 §4 SetPipe(): octets in flight, the lost holes not resent yet
 * and everything SACKed left out. */
uint32_t tcp_sack_pipe(const struct sb_tcb *tcb)
{
	uint32_t n, pipe = tcp_flight(tcb) - sacked_above(tcb, tcb->snd_una, &n);
	struct sb_tcp_range h;
	uint32_t from = sb_seq_max(tcb->snd_rxt, tcb->snd_una);

	while (tcp_sack_next_hole(tcb, from, &h)) {
		if (tcp_sack_lost(tcb, h.start))
			pipe -= h.end - h.start;
		from = h.end;
	}
	return pipe;
}

/* Bytes SACKed above seq: enough of them above the last resend mark means
 * the resends before it should have arrived by now. */
uint32_t tcp_sack_bytes_above(const struct sb_tcb *tcb, uint32_t seq)
{
	uint32_t n;

	return sacked_above(tcb, seq, &n);
}

/* SND.NXT inside a SACKed range (go-back-N after a timeout): skip what the
 * peer already holds. */
void tcp_sack_skip(struct sb_tcb *tcb)
{
	for (uint32_t i = 0; i < tcb->sacked_n; i++)
		if (sb_seq_geq(tcb->snd_nxt, tcb->sacked[i].start) &&
		    sb_seq_lt(tcb->snd_nxt, tcb->sacked[i].end))
			tcb->snd_nxt = tcb->sacked[i].end;
}
