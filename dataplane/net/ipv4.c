/* SPDX-License-Identifier: BSD-3-Clause
 *
 * IPv4 input (RFC 791): validate the header before anything reads past it,
 * accept only our address, drop fragments (nothing we terminate needs
 * reassembly; a client that fragments TCP is broken), dispatch ICMP.
 */
#include <stdbool.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net.h"
#include "tcp/conn.h"

/* Trust the port's verdict when it gives one; otherwise sum the header:
 * a valid one, checksum field included, sums to 0xffff (RFC 1071). */
static bool ipv4_csum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t ihl)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	return rte_raw_cksum(ip, ihl) == 0xffff;
}

void sb_ipv4_input(struct sb_worker *w, struct rte_mbuf *m, uint16_t l3_off)
{
	const struct rte_ipv4_hdr *ip;
	uint16_t ihl, total;

	if (unlikely(rte_pktmbuf_data_len(m) < l3_off + sizeof(*ip))) {
		SB_CTR_INC(w, drop_runt);
		goto drop;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l3_off);
	ihl = (uint16_t)((ip->version_ihl & 0x0f) * 4);
	total = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
		     rte_pktmbuf_data_len(m) < l3_off + ihl || total < ihl ||
		     rte_pktmbuf_pkt_len(m) < (uint32_t)l3_off + total ||
		     !ipv4_csum_ok(m, ip, ihl))) {
		SB_CTR_INC(w, drop_ip_bad);
		goto drop;
	}
	if (unlikely(!sb_worker_owns(w, ip->dst_addr))) {
		SB_CTR_INC(w, drop_not_for_us);
		goto drop;
	}
	if (unlikely(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		SB_CTR_INC(w, drop_ip_frag);
		goto drop;
	}
	/* Ethernet pads short frames; trim to the IP total length. */
	if (rte_pktmbuf_pkt_len(m) > (uint32_t)l3_off + total)
		rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (l3_off + total));
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		sb_tcp_io_input(w, m, l3_off, (uint16_t)(l3_off + ihl));
		return;
	case IPPROTO_ICMP:
		sb_icmp_input(w, m, l3_off, (uint16_t)(l3_off + ihl));
		return;
	default:
		SB_CTR_INC(w, drop_ip_proto);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}
