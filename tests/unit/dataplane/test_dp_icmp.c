/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ICMP destination unreachable about one of the gateway's TCP connections
 * (dataplane/net/icmp.c parses, the TCP glue's sb_tcp_io_icmp_unreach finds
 * the connection): "fragmentation needed" lowers its send MSS (RFC 1191),
 * a quoted sequence outside the window is refused (RFC 5927 §4.1), another
 * code is only counted (RFC 1122 §4.2.3.9), and a quote of no connection or
 * a malformed one is counted as such. Frames enter through the gateway's
 * ring port as a router's would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp_harness.h"
#include "tcp/conn.h"
#include "worker.h"

#define ROUTER_IP 0xC6120063u /* 198.18.0.99: the router that sends the error */

/* The gateway's side of the peer's connection s. */
static struct sb_conn *gw_conn(struct dp_h *h, const struct dp_sock *s)
{
	struct sb_tcp_tuple tu = {
		.laddr = s->c->tuple.raddr, .raddr = s->c->tuple.laddr,
		.lport = s->c->tuple.rport, .rport = s->c->tuple.lport,
	};
	void *data;

	assert_true(rte_hash_lookup_data(h->gw->tcp->table, &tu, &data) >= 0);
	return data;
}

/* An ICMP type 3 `code` (MTU `mtu`) quoting a TCP segment the gateway sent
 * on c with sequence number seq; quote_len cuts the quote short. */
static void icmp_unreach(struct dp_h *h, const struct sb_conn *c, uint8_t code, uint16_t mtu,
			 uint32_t seq, uint16_t quote_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->pkt_pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip, *q;
	struct rte_icmp_hdr *ic;
	uint8_t *th;
	uint16_t len = (uint16_t)(sizeof(*ip) + sizeof(*ic) + quote_len);

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + len));
	assert_non_null(eth);
	memset(eth, 0, sizeof(*eth) + len);
	eth->dst_addr = h->gw->mac;
	eth->src_addr = h->peer->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(ROUTER_IP);
	ip->dst_addr = c->tuple.laddr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic = (struct rte_icmp_hdr *)(ip + 1);
	ic->icmp_type = 3;
	ic->icmp_code = code;
	ic->icmp_seq_nb = rte_cpu_to_be_16(mtu);
	q = (struct rte_ipv4_hdr *)(ic + 1); /* the datagram we sent, as quoted */
	q->version_ihl = RTE_IPV4_VHL_DEF;
	q->total_length = rte_cpu_to_be_16(1500);
	q->time_to_live = 63;
	q->next_proto_id = IPPROTO_TCP;
	q->src_addr = c->tuple.laddr;
	q->dst_addr = c->tuple.raddr;
	th = (uint8_t *)(q + 1);
	memcpy(th, &c->tuple.lport, 2);
	memcpy(th + 2, &c->tuple.rport, 2);
	*(unaligned_uint32_t *)(th + 4) = rte_cpu_to_be_32(seq);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + quote_len);
	assert_int_equal(rte_ring_enqueue(h->wire[1], m), 0);
	dp_run(h);
}

static uint64_t tcp_cnt(const struct dp_h *h, enum sb_tcp_cnt c)
{
	return h->gw->tcp->ctx.cnt[c];
}

#define QUOTE_FULL (uint16_t)(sizeof(struct rte_ipv4_hdr) + 8)

static void test_frag_needed_lowers_mss(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct dp_sock *s = dp_connect(h, DP_PORT_ECHO);
	struct sb_conn *c = gw_conn(h, s);
	uint16_t mss = c->tcb.snd_mss;

	(void)state;
	assert_true(mss > 1000);
	icmp_unreach(h, c, 4, 1000, c->tcb.snd_una, QUOTE_FULL);
	assert_int_equal(tcp_cnt(h, SB_TCP_CNT_ICMP_PMTU_APPLIED), 1);
	assert_true(c->tcb.snd_mss < mss);
	assert_true(c->tcb.snd_mss <= 1000 - 40);
	/* The connection still echoes, in segments of the new size. */
	dp_send(h, s, "after", 5);
	dp_advance(h, 50);
	assert_true(dp_sock_saw(s, "after"));
	dp_free(h);
}

static void test_bad_seq_other_code_no_conn_bad_quote(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct dp_sock *s = dp_connect(h, DP_PORT_ECHO);
	struct sb_conn *c = gw_conn(h, s);
	uint16_t mss = c->tcb.snd_mss;
	struct sb_conn other;

	(void)state;
	icmp_unreach(h, c, 4, 1000, c->tcb.snd_una - 100000, QUOTE_FULL);
	assert_int_equal(tcp_cnt(h, SB_TCP_CNT_ICMP_PMTU_BAD_SEQ), 1);
	icmp_unreach(h, c, 1, 0, c->tcb.snd_una, QUOTE_FULL); /* host unreachable */
	assert_int_equal(tcp_cnt(h, SB_TCP_CNT_ICMP_UNREACH), 1);
	assert_int_equal(c->tcb.snd_mss, mss);
	other = *c;
	other.tuple.rport = rte_cpu_to_be_16(1); /* a port nobody uses */
	icmp_unreach(h, &other, 4, 1000, c->tcb.snd_una, QUOTE_FULL);
	assert_int_equal(tcp_cnt(h, SB_TCP_CNT_ICMP_NO_CONN), 1);
	icmp_unreach(h, c, 4, 1000, c->tcb.snd_una, QUOTE_FULL - 4); /* 4 TCP bytes only */
	assert_int_equal(tcp_cnt(h, SB_TCP_CNT_ICMP_BAD_QUOTE), 1);
	assert_int_equal(tcp_cnt(h, SB_TCP_CNT_ICMP_PMTU_APPLIED), 0);
	assert_int_equal(c->tcb.snd_mss, mss);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_needed_lowers_mss),
		cmocka_unit_test(test_bad_seq_other_code_no_conn_bad_quote),
	};

	dp_eal_init("dp_icmp");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
