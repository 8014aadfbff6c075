/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ICMP (RFC 792): answer echo requests to our address in place. The reply
 * differs from the request only in type and the swapped addresses, so both
 * checksums are updated incrementally (RFC 1624) instead of re-summed.
 * Destination unreachable about one of our TCP connections is matched by the
 * quoted IPv4 header and first 8 TCP bytes (ports, sequence number);
 * "fragmentation needed" lowers that connection's MSS through lib/tcp
 * (RFC 1191, RFC 9293 §3.7.3), which also checks the quoted sequence number
 * (RFC 5927 §4.1). Other unreachables are soft errors for TCP (RFC 1122
 * §4.2.3.9, RFC 5461): counted, no action.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net.h"
#include "pktio.h"
#include "tcp/conn.h"

#define ICMP_DEST_UNREACH 3        /* RFC 792 */
#define ICMP_UNREACH_FRAG_NEEDED 4 /* RFC 792 code 4, MTU in bytes 6-7 (RFC 1191 §4) */
#define ICMP_QUOTE_TCP_BYTES 8     /* RFC 792: the quote is the IP header + 64 bits */

/* RFC 1191 §7: a router that does not fill in the next-hop MTU (field 0,
 * pre-RFC 1191) leaves us to guess: the plateau below the datagram's size. */
static uint32_t icmp_plateau_below(uint32_t len)
{
	static const uint16_t plateau[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296};

	for (unsigned i = 0; i < RTE_DIM(plateau); i++)
		if (plateau[i] < len)
			return plateau[i];
	return 68;
}

/* A destination unreachable quoting one of our TCP segments goes to the
 * TCP glue, as its input does (sb_tcp_io_icmp_unreach); the glue finds the
 * connection and counts under lib/tcp's ICMP_* counters. Anything else
 * quoted is not ours to judge. */
static void icmp_unreach(struct sb_worker *w, const struct rte_mbuf *m, uint16_t l4_off,
			 const struct rte_icmp_hdr *ic)
{
	uint32_t off = (uint32_t)l4_off + sizeof(*ic), ihl, mtu = 0;
	const struct rte_ipv4_hdr *q;
	const uint8_t *th;
	struct sb_tcp_tuple tu;

	q = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	if (rte_pktmbuf_data_len(m) < off + sizeof(*q) ||
	    (q->version_ihl >> 4) != 4 || q->next_proto_id != IPPROTO_TCP ||
	    (ihl = (uint32_t)(q->version_ihl & 0x0f) * 4) < sizeof(*q) ||
	    rte_pktmbuf_data_len(m) < off + ihl + ICMP_QUOTE_TCP_BYTES ||
	    !sb_worker_owns(w, q->src_addr)) {
		sb_tcp_io_icmp_unreach(w, NULL, 0, 0);
		return;
	}
	th = rte_pktmbuf_mtod_offset(m, const uint8_t *, off + ihl);
	tu.laddr = q->src_addr;
	tu.raddr = q->dst_addr;
	memcpy(&tu.lport, th, 2);
	memcpy(&tu.rport, th + 2, 2);
	if (ic->icmp_code == ICMP_UNREACH_FRAG_NEEDED) {
		mtu = rte_be_to_cpu_16(ic->icmp_seq_nb);
		if (mtu < 68) /* RFC 791: every link carries 68 */
			mtu = icmp_plateau_below(rte_be_to_cpu_16(q->total_length));
	}
	sb_tcp_io_icmp_unreach(w, &tu, rte_be_to_cpu_32(*(const unaligned_uint32_t *)(th + 4)),
			       mtu);
}

void sb_icmp_input(struct sb_worker *w, struct rte_mbuf *m, uint16_t l3_off, uint16_t l4_off)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l3_off);
	struct rte_icmp_hdr *ic;
	uint16_t sum_in;
	uint32_t sum, len = rte_pktmbuf_pkt_len(m) - l4_off;

	if (unlikely(rte_pktmbuf_data_len(m) < l4_off + sizeof(*ic))) {
		SB_CTR_INC(w, drop_runt);
		goto drop;
	}
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, l4_off);
	if (unlikely(rte_raw_cksum_mbuf(m, l4_off, len, &sum_in) < 0 || sum_in != 0xffff)) {
		SB_CTR_INC(w, drop_icmp_bad);
		goto drop;
	}
	if (ic->icmp_type == ICMP_DEST_UNREACH) {
		icmp_unreach(w, m, l4_off, ic);
		goto drop;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0) {
		SB_CTR_INC(w, drop_icmp_type);
		goto drop;
	}
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	/* HC' = ~(~HC + ~m + m'), m = type 8 in the high byte, m' = 0. */
	sum = (uint16_t)~rte_be_to_cpu_16(ic->icmp_cksum) + (uint16_t)~(RTE_IP_ICMP_ECHO_REQUEST << 8);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ic->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);
	/* The TTL changes too, so the 20-byte IP header is summed afresh. */
	ip->dst_addr = ip->src_addr;
	ip->src_addr = w->ipv4_be;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	sb_eth_reflect(w, m);
	SB_CTR_INC(w, icmp_echo);
	sb_pktio_send(w, m);
	return;
drop:
	rte_pktmbuf_free(m);
}
