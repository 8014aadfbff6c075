/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ICMP (RFC 792): answer echo requests to our address in place. The reply
 * differs from the request only in type and the swapped addresses, so both
 * checksums are updated incrementally (RFC 1624) instead of re-summed.
 * Destination-unreachable handling (PMTU) belongs to the TCP stack.
 */
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net.h"
#include "pktio.h"

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
