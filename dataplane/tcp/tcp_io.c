/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TCP input for one worker: checksum, parse, find the connection (or the
 * TIME-WAIT record, or the listener), and hand the segment to lib/tcp. The
 * listener path creates connections, or answers with SYN cookies when the
 * half-open count passes tcp.syn_cookie_threshold (RFC 4987 §3.6), so a SYN
 * flood costs no memory. Every core call is followed by the post list.
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "conn.h"
#include "worker.h"

static const struct sb_tcp_listener *io_listener(const struct sb_tcp_worker *t, uint16_t port_be)
{
	for (unsigned i = 0; i < t->n_listen; i++)
		if (t->listen[i].port_be == port_be)
			return &t->listen[i];
	return NULL;
}

static struct sb_conn *io_conn_new(struct sb_worker *w, const struct sb_tcp_listener *l,
				   const struct rte_mbuf *m)
{
	struct sb_tcp_worker *t = w->tcp;
	struct sb_conn *c;

	if (t->conns >= t->max_conns || rte_mempool_get(t->conn_pool, (void **)&c) != 0) {
		SB_CTR_INC(w, tcp_conn_limit);
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	sb_wheel_timer_init(&c->tcb.timer);
	c->tuple = t->cur_tuple;
	rte_ether_addr_copy(&rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->src_addr,
			    &c->peer_mac);
	c->app = l->app;
	if (rte_hash_add_key_data(t->table, &c->tuple, c) < 0) {
		SB_CTR_INC(w, tcp_conn_limit);
		rte_mempool_put(t->conn_pool, c);
		return NULL;
	}
	t->conns++;
	return c;
}

static void io_conn_discard(struct sb_worker *w, struct sb_conn *c)
{
	rte_hash_del_key(w->tcp->table, &c->tuple);
	w->tcp->conns--;
	rte_mempool_put(w->tcp->conn_pool, c);
}

/* A segment for no connection: a listener's SYN or cookie ACK, or a RST. */
static void io_listen_input(struct sb_worker *w, const struct sb_tcp_seg *seg, uint32_t iss_min)
{
	struct sb_tcp_worker *t = w->tcp;
	const struct sb_tcp_listener *l = io_listener(t, t->cur_tuple.lport);
	uint8_t f = seg->flags & (SB_TCP_SYN | SB_TCP_ACK | SB_TCP_RST | SB_TCP_FIN);
	struct sb_conn *c;
	uint32_t iss;

	if (f & SB_TCP_RST)
		return; /* never answer a RST (RFC 9293 §3.10.7.1) */
	if (l == NULL) {
		SB_CTR_INC(w, tcp_no_listener);
		sb_tcp_reply_rst(&t->ctx, seg);
		return;
	}
	if (f == SB_TCP_SYN) {
		if (t->half_open >= t->syn_cookie_threshold) {
			sb_tcp_cookie_synack(&t->ctx, &t->cur_tuple, seg, w->now_us);
			return;
		}
		c = io_conn_new(w, l, t->cur_m);
		if (c == NULL)
			return; /* the client's SYN retransmission retries */
		iss = sb_tcp_iss(&t->ctx, &t->cur_tuple, w->now_us);
		if (iss_min != 0 && (int32_t)(iss - iss_min) < 0)
			iss = iss_min;
		if (sb_tcp_accept_syn(&t->ctx, &c->tcb, seg, iss, w->now_us) < 0) {
			io_conn_discard(w, c);
			return;
		}
		c->half_open = 1;
		t->half_open++;
		return;
	}
	if ((f & (SB_TCP_ACK | SB_TCP_SYN)) == SB_TCP_ACK &&
	    !sb_tcp_cookies_live(&t->ctx, w->now_us)) {
		/* no cookie out: no connection to allocate (RFC 4987 §3.6) */
		t->ctx.cnt[SB_TCP_CNT_COOKIE_NONE_SENT]++;
		SB_CTR_INC(w, tcp_stray_ack);
	} else if ((f & (SB_TCP_ACK | SB_TCP_SYN)) == SB_TCP_ACK) {
		c = io_conn_new(w, l, t->cur_m);
		if (c != NULL && sb_tcp_cookie_accept(&t->ctx, &c->tcb, &t->cur_tuple, seg,
						      w->now_us) == 0)
			return;
		if (c != NULL)
			io_conn_discard(w, c);
	}
	sb_tcp_reply_rst(&t->ctx, seg);
}

/* A segment that matched a TIME-WAIT record. */
static void io_tw_input(struct sb_worker *w, struct sb_tw_rec *rec, const struct sb_tcp_seg *seg)
{
	struct sb_tcp_worker *t = w->tcp;
	uint32_t iss_min = 0;

	if (sb_tcp_tw_input(&t->ctx, &rec->tw, seg, w->now_us, &iss_min) != SB_TCP_TW_REUSE)
		return;
	/* RFC 6191: a new incarnation takes the tuple over. */
	sb_tcp_tw_cancel(&t->ctx, &rec->tw);
	rte_hash_del_key(t->table, &rec->tuple);
	t->time_wait--;
	rte_mempool_put(t->tw_pool, rec);
	io_listen_input(w, seg, iss_min == 0 ? 1 : iss_min);
}

/* Validate and parse; on success seg is filled. */
static int io_parse(struct sb_worker *w, struct rte_mbuf *m, uint16_t l3_off, uint16_t l4_off,
		    struct sb_tcp_seg *seg)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								  l3_off);
	uint32_t l4_len = rte_be_to_cpu_16(ip->total_length) - (uint32_t)(l4_off - l3_off);
	const uint8_t *th = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4_off);
	uint64_t cs = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	enum sb_tcp_parse_res res;

	if (unlikely(m->nb_segs != 1)) {
		SB_CTR_INC(w, drop_multiseg);
		return -1;
	}
	if (cs == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
	    (cs != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	     sb_tcp_csum_ipv4(ip->src_addr, ip->dst_addr, th, l4_len) != 0)) {
		w->tcp->ctx.cnt[SB_TCP_CNT_PARSE_BAD_CSUM]++;
		return -1;
	}
	res = sb_tcp_parse(th, l4_len, seg);
	if (res != SB_TCP_PARSE_OK) {
		sb_tcp_count_parse(&w->tcp->ctx, res);
		return -1;
	}
	seg->pkt = m;
	w->tcp->cur_tuple = (struct sb_tcp_tuple){
		.laddr = ip->dst_addr,
		.raddr = ip->src_addr,
		.lport = rte_cpu_to_be_16(seg->dport),
		.rport = rte_cpu_to_be_16(seg->sport),
	};
	return 0;
}

void sb_tcp_io_input(struct sb_worker *w, struct rte_mbuf *m, uint16_t l3_off, uint16_t l4_off)
{
	struct sb_tcp_worker *t = w->tcp;
	struct sb_tcp_seg seg;
	void *data;

	SB_CTR_INC(w, tcp_rx_segs);
	if (io_parse(w, m, l3_off, l4_off, &seg) < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	t->cur_m = m;
	t->cur_consumed = false;
	t->ctx.ooo_refuse = w->mbufs_low; /* hold nothing out of order while the pool is low */
	t->in_core = true;
	if (rte_hash_lookup_data(t->table, &t->cur_tuple, &data) >= 0) {
		struct sb_tcb *tcb = data;

		if (tcb->state == SB_TCPS_TW_RECORD) {
			io_tw_input(w, data, &seg);
		} else {
			struct sb_conn *c = container_of(tcb, struct sb_conn, tcb);

			sb_conn_ooo_src_prepare(t, c);
			sb_tcp_input(&t->ctx, tcb, &seg, w->now_us);
			sb_conn_ooo_settle(t, c); /* freed only by the post list below */
		}
	} else {
		io_listen_input(w, &seg, 0);
	}
	t->in_core = false;
	t->cur_m = NULL;
	if (!t->cur_consumed)
		rte_pktmbuf_free(m);
	sb_tcp_post(w);
}

void sb_tcp_io_timers(struct sb_worker *w, uint64_t now_us)
{
	struct sb_tcp_worker *t = w->tcp;

	t->in_core = true;
	sb_tcp_timers_run(&t->ctx, now_us, SB_TCP_TIMERS_PER_TURN);
	t->in_core = false;
	sb_tcp_post(w);
}

void sb_tcp_io_icmp_unreach(struct sb_worker *w, const struct sb_tcp_tuple *tu, uint32_t seq,
			    uint32_t mtu)
{
	struct sb_tcp_worker *t = w->tcp;
	void *data;

	if (tu == NULL) {
		t->ctx.cnt[SB_TCP_CNT_ICMP_BAD_QUOTE]++;
		return;
	}
	if (rte_hash_lookup_data(t->table, tu, &data) < 0 ||
	    ((struct sb_tcb *)data)->state == SB_TCPS_TW_RECORD) {
		t->ctx.cnt[SB_TCP_CNT_ICMP_NO_CONN]++;
		return;
	}
	if (mtu == 0) {
		t->ctx.cnt[SB_TCP_CNT_ICMP_UNREACH]++;
		return;
	}
	/* lib/tcp checks seq against the window (RFC 5927 §4.1). */
	t->in_core = true;
	sb_tcp_pmtu(&t->ctx, data, seq, mtu, w->now_us);
	t->in_core = false;
	sb_tcp_post(w);
}
