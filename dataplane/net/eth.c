/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ethernet input: accept frames for our MAC or broadcast/multicast, and
 * dispatch on ethertype. VLAN tags and IPv6 are not handled yet and are
 * counted as drop_ethertype.
 */
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "net.h"

void sb_eth_input(struct sb_worker *w, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;

	SB_CTR_ADD(w, rx_bytes, rte_pktmbuf_pkt_len(m));
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh))) {
		SB_CTR_INC(w, drop_runt);
		rte_pktmbuf_free(m);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!rte_is_same_ether_addr(&eh->dst_addr, &w->mac) &&
		     !rte_is_multicast_ether_addr(&eh->dst_addr))) {
		SB_CTR_INC(w, drop_not_for_us);
		rte_pktmbuf_free(m);
		return;
	}
	switch (eh->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		sb_ipv4_input(w, m, sizeof(*eh));
		return;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		sb_arp_input(w, m);
		return;
	default:
		SB_CTR_INC(w, drop_ethertype);
		rte_pktmbuf_free(m);
		return;
	}
}

void sb_eth_reflect(struct sb_worker *w, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&w->mac, &eh->src_addr);
}
