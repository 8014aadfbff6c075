/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The callbacks lib/tcp drives the glue through (struct sb_tcp_ops): build
 * and send frames, hand received bytes to the application, hold and
 * release out-of-order pieces, free acknowledged send data, and turn
 * events into post-list work. None of them calls back into the core.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "app/app.h"
#include "conn.h"
#include "pktio.h"
#include "tcp_seq.h"
#include "worker.h"

#define CONN_OF(tcb) container_of(tcb, struct sb_conn, tcb)
#define OOO_SEQ(m) ((m)->hash.usr) /* sequence number of a held piece */

/* Copy len bytes starting off bytes into c's send list into dst. */
/* In-order bytes to the connection's application, with its context. A
 * segment that completes the handshake (its pure ACK was lost) carries
 * bytes before the accept event reaches the post list: the application
 * hears of the connection first, or it would drop bytes TCP has acked
 * (a c2s stream header lost, the login stuck until its timeout). */
static inline void ops_deliver(struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	const struct sb_tcp_app *a = &w->tcp->apps[c->app];

	if (!c->told) {
		c->told = 1;
		a->ops->on_accept(a->ctx, w, c);
	}
	a->ops->on_data(a->ctx, w, c, m);
}

static void ops_copy_send(const struct sb_conn *c, uint32_t off, uint32_t len, uint8_t *dst)
{
	const struct rte_mbuf *s = c->snd_head;

	while (s != NULL && off >= s->data_len) {
		off -= s->data_len;
		s = s->next;
	}
	while (s != NULL && len > 0) {
		uint32_t n = RTE_MIN((uint32_t)s->data_len - off, len);

		memcpy(dst, rte_pktmbuf_mtod_offset(s, const uint8_t *, off), n);
		dst += n;
		len -= n;
		off = 0;
		s = s->next;
	}
}

/* Header fields of the frame, checksums last: offloaded when the port
 * can, summed here otherwise. */
static void ops_finish(struct sb_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		       struct rte_tcp_hdr *th)
{
	if (w->tcp->tx_csum_offload) {
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = sizeof(*ip);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	}
}

static void glue_emit(void *user, struct sb_tcb *tcb, const struct sb_tcp_tx *tx)
{
	struct sb_worker *w = user;
	struct sb_tcp_worker *t = w->tcp;
	const struct sb_tcp_tuple *tu;
	const struct rte_ether_addr *dmac;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t l4_len = tx->hdr_len + tx->data_len;
	uint32_t len = (uint32_t)(sizeof(*eh) + sizeof(*ip)) + l4_len;

	if (tcb != NULL) {
		tu = &CONN_OF(tcb)->tuple;
		dmac = &CONN_OF(tcb)->peer_mac;
	} else if (t->cur_m != NULL) {
		/* A reply with no connection answers the segment in hand. */
		tu = &t->cur_tuple;
		dmac = &rte_pktmbuf_mtod(t->cur_m, const struct rte_ether_hdr *)->src_addr;
	} else {
		SB_CTR_INC(w, tcp_emit_orphan);
		return;
	}
	m = rte_pktmbuf_alloc(w->pkt_pool);
	if (unlikely(m == NULL || len > rte_pktmbuf_tailroom(m))) {
		/* The core retransmits what it could not send. */
		SB_CTR_INC(w, mbuf_alloc_fail);
		rte_pktmbuf_free(m);
		return;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)len);
	rte_ether_addr_copy(dmac, &eh->dst_addr);
	rte_ether_addr_copy(&w->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = tu->laddr;
	ip->dst_addr = tu->raddr;
	th = (struct rte_tcp_hdr *)(ip + 1);
	memcpy(th, tx->hdr, tx->hdr_len);
	th->src_port = tu->lport;
	th->dst_port = tu->rport;
	th->cksum = 0;
	if (tx->data_len != 0)
		ops_copy_send(CONN_OF(tcb), tx->data_off, tx->data_len,
			      (uint8_t *)th + tx->hdr_len);
	ops_finish(w, m, ip, th);
	SB_CTR_INC(w, tcp_tx_segs);
	sb_pktio_send(w, m);
}

/* The payload bytes [skip, skip+len) of the segment in hand as an mbuf of
 * their own: the received mbuf itself when it is still ours (no copy),
 * else a copy. NULL when the pool is empty. */
static struct rte_mbuf *ops_take(struct sb_worker *w, const struct sb_tcp_seg *seg, uint32_t skip,
				 uint32_t len)
{
	struct sb_tcp_worker *t = w->tcp;
	struct rte_mbuf *m = seg->pkt;
	struct rte_mbuf *copy;
	uint32_t off;

	if (m == t->cur_m && !t->cur_consumed) {
		off = (uint32_t)(seg->payload - rte_pktmbuf_mtod(m, const uint8_t *)) + skip;
		rte_pktmbuf_adj(m, (uint16_t)off);
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - len));
		t->cur_consumed = true;
		return m;
	}
	copy = rte_pktmbuf_alloc(w->pkt_pool);
	if (copy == NULL || rte_pktmbuf_append(copy, (uint16_t)len) == NULL) {
		rte_pktmbuf_free(copy);
		return NULL;
	}
	memcpy(rte_pktmbuf_mtod(copy, uint8_t *), seg->payload + skip, len);
	SB_CTR_INC(w, tcp_rx_copies);
	return copy;
}

static void glue_deliver(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg,
			 uint32_t skip, uint32_t len)
{
	struct sb_worker *w = user;
	struct sb_conn *c = CONN_OF(tcb);
	struct rte_mbuf *m = ops_take(w, seg, skip, len);

	if (unlikely(m == NULL)) {
		/* The core counts these bytes as received: losing them would
		 * corrupt the stream, so the connection is reset instead. */
		SB_CTR_INC(w, tcp_rx_lost);
		sb_tcp_post_add(w->tcp, c, SB_CONN_F_DEAD);
		c->why = SB_TCP_EV_RESET;
		return;
	}
	SB_CTR_ADD(w, tcp_rx_bytes, len);
	ops_deliver(w, c, m);
}

/* Whether held piece m may take more bytes in its own buffer. */
static bool ooo_writable(const struct rte_mbuf *m)
{
	return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1;
}

/* A small piece goes into the room of the held piece it touches: after the
 * one that ends at seq, or before the one that starts at seq + len. The
 * core only ever adds a piece that extends a range or opens a new one, so
 * a peer sending one-byte segments fills one buffer, not one each. */
static bool ooo_coalesce(struct sb_conn *c, const uint8_t *src, uint32_t len, uint32_t seq)
{
	struct rte_mbuf *m = c->ooo, *prev = NULL;
	uint8_t *dst;

	while (m != NULL && sb_seq_lt(OOO_SEQ(m), seq)) {
		prev = m;
		m = m->next;
	}
	if (prev != NULL && OOO_SEQ(prev) + prev->data_len == seq && ooo_writable(prev) &&
	    rte_pktmbuf_tailroom(prev) >= len) {
		dst = rte_pktmbuf_mtod_offset(prev, uint8_t *, prev->data_len);
		prev->data_len = (uint16_t)(prev->data_len + len);
		prev->pkt_len = prev->data_len;
		memcpy(dst, src, len);
		return true;
	}
	if (m != NULL && seq + len == OOO_SEQ(m) && ooo_writable(m) &&
	    rte_pktmbuf_headroom(m) >= len) {
		dst = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)len);
		memcpy(dst, src, len);
		OOO_SEQ(m) = seq;
		return true;
	}
	return false;
}

/* Out-of-order pieces: the core has charged each one a whole buffer
 * against the connection's receive space and the worker's cap. Pieces up
 * to SB_TCP_OOO_COPY_MAX bytes are copied (into a neighbour's room when
 * there is one) so that the received mbuf goes straight back to the pool;
 * bigger ones keep their mbuf, as in-order data does. */
static void glue_hold(void *user, struct sb_tcb *tcb, const struct sb_tcp_seg *seg, uint32_t skip,
		      uint32_t len, uint32_t seq)
{
	struct sb_worker *w = user;
	struct sb_conn *c = CONN_OF(tcb);
	struct rte_mbuf *m;
	struct rte_mbuf **pp = &c->ooo;

	if (len <= SB_TCP_OOO_COPY_MAX && ooo_coalesce(c, seg->payload + skip, len, seq)) {
		SB_CTR_INC(w, tcp_ooo_coalesced);
		return;
	}
	if (len <= SB_TCP_OOO_COPY_MAX) {
		m = rte_pktmbuf_alloc(w->pkt_pool);
		if (m != NULL && rte_pktmbuf_append(m, (uint16_t)len) != NULL) {
			memcpy(rte_pktmbuf_mtod(m, uint8_t *), seg->payload + skip, len);
			SB_CTR_INC(w, tcp_rx_copies);
		} else {
			rte_pktmbuf_free(m);
			m = NULL;
		}
	} else {
		m = ops_take(w, seg, skip, len);
	}
	if (unlikely(m == NULL)) {
		SB_CTR_INC(w, tcp_rx_lost);
		sb_tcp_post_add(w->tcp, c, SB_CONN_F_DEAD);
		c->why = SB_TCP_EV_RESET;
		return;
	}
	SB_CTR_INC(w, tcp_ooo_mbufs);
	OOO_SEQ(m) = seq;
	while (*pp != NULL && sb_seq_lt(OOO_SEQ(*pp), seq))
		pp = &(*pp)->next;
	m->next = *pp;
	*pp = m;
}

static void glue_release(void *user, struct sb_tcb *tcb, uint32_t end_seq)
{
	struct sb_worker *w = user;
	struct sb_conn *c = CONN_OF(tcb);

	while (c->ooo != NULL && sb_seq_lt(OOO_SEQ(c->ooo), end_seq)) {
		struct rte_mbuf *m = c->ooo;

		c->ooo = m->next;
		m->next = NULL;
		w->ctr[SB_DP_CTR_tcp_ooo_mbufs]--;
		SB_CTR_ADD(w, tcp_rx_bytes, m->data_len);
		ops_deliver(w, c, m);
	}
}

static void glue_acked(void *user, struct sb_tcb *tcb, uint32_t bytes)
{
	struct sb_worker *w = user;
	struct sb_conn *c = CONN_OF(tcb);

	c->snd_queued -= RTE_MIN(bytes, c->snd_queued);
	while (bytes > 0 && c->snd_head != NULL) {
		struct rte_mbuf *s = c->snd_head;

		if (bytes < s->data_len) {
			s->data_off = (uint16_t)(s->data_off + bytes);
			s->data_len = (uint16_t)(s->data_len - bytes);
			break;
		}
		bytes -= s->data_len;
		c->snd_head = s->next;
		s->next = NULL;
		s->nb_segs = 1;
		rte_pktmbuf_free_seg(s);
	}
	if (c->snd_head == NULL)
		c->snd_tail = NULL;
	sb_tcp_post_add(w->tcp, c, SB_CONN_F_WRITABLE);
}

static void glue_event(void *user, struct sb_tcb *tcb, enum sb_tcp_event ev)
{
	struct sb_worker *w = user;
	struct sb_tcp_worker *t = w->tcp;
	struct sb_conn *c = CONN_OF(tcb);

	if (c->half_open && ev != SB_TCP_EV_PEER_FIN) {
		c->half_open = 0;
		t->half_open--;
	}
	switch (ev) {
	case SB_TCP_EV_ACCEPTED:
	case SB_TCP_EV_CONNECTED:
		SB_CTR_INC(w, tcp_established);
		sb_tcp_post_add(t, c, SB_CONN_F_ACCEPTED);
		break;
	case SB_TCP_EV_PEER_FIN:
		sb_tcp_post_add(t, c, SB_CONN_F_PEER_FIN);
		break;
	case SB_TCP_EV_TIME_WAIT:
		sb_tcp_post_add(t, c, SB_CONN_F_TW);
		break;
	default:
		c->why = (uint8_t)ev;
		sb_tcp_post_add(t, c, SB_CONN_F_DEAD);
		break;
	}
}

static void glue_tw_expired(void *user, struct sb_tcp_tw *tw)
{
	struct sb_worker *w = user;
	struct sb_tcp_worker *t = w->tcp;
	struct sb_tw_rec *rec = container_of(tw, struct sb_tw_rec, tw);

	if (rte_hash_del_key(t->table, &rec->tuple) < 0)
		SB_CTR_INC(w, tcp_table_inconsistent);
	t->time_wait--;
	rte_mempool_put(t->tw_pool, rec);
}

const struct sb_tcp_ops sb_tcp_glue_ops = {
	.emit = glue_emit,
	.deliver = glue_deliver,
	.hold = glue_hold,
	.release = glue_release,
	.acked = glue_acked,
	.event = glue_event,
	.tw_expired = glue_tw_expired,
};
