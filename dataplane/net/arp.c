/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ARP (RFC 826) for Ethernet/IPv4: answer requests for our address by
 * rewriting the request in place. Replies are counted; a neighbour table
 * for the TCP stack's own transmissions arrives with it.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "net.h"
#include "pktio.h"

void sb_arp_input(struct sb_worker *w, struct rte_mbuf *m)
{
	struct rte_arp_hdr *ah;
	uint32_t sender_ip, target_ip;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(*ah))) {
		SB_CTR_INC(w, drop_runt);
		goto drop;
	}
	ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (unlikely(ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		     ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4)) {
		SB_CTR_INC(w, drop_arp_bad);
		goto drop;
	}
	if (!sb_worker_owns(w, ah->arp_data.arp_tip)) {
		SB_CTR_INC(w, drop_not_for_us);
		goto drop;
	}
	if (ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY)) {
		/* Neighbours are the program's business (an active opener
		 * needs its next hop's MAC). */
		if (w->net.arp_reply != NULL)
			w->net.arp_reply(w->net.ctx, ah->arp_data.arp_sip, &ah->arp_data.arp_sha);
		SB_CTR_INC(w, arp_replies_rx);
		goto drop;
	}
	if (ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST)) {
		SB_CTR_INC(w, drop_arp_bad);
		goto drop;
	}
	sender_ip = ah->arp_data.arp_sip;
	target_ip = ah->arp_data.arp_tip;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&ah->arp_data.arp_sha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = sender_ip;
	rte_ether_addr_copy(&w->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = target_ip;
	sb_eth_reflect(w, m);
	SB_CTR_INC(w, arp_requests);
	sb_pktio_send(w, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

int sb_arp_request(struct sb_worker *w, uint32_t tip_be)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pkt_pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL) {
		SB_CTR_INC(w, mbuf_alloc_fail);
		return -ENOBUFS;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	rte_ether_addr_copy(&w->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&w->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = w->ipv4_be;
	memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
	ah->arp_data.arp_tip = tip_be;
	sb_pktio_send(w, m);
	return 0;
}
