/* SPDX-License-Identifier: BSD-3-Clause
 *
 * L2/L3 input for one worker: Ethernet dispatch, ARP, IPv4 and ICMP. Every
 * function takes ownership of the mbuf: it is answered in place (reply built
 * over the request, no allocation), handed on, or freed with a counter.
 */
#ifndef SB_DP_NET_H
#define SB_DP_NET_H

#include <stdint.h>

#include "worker.h"

struct rte_mbuf;

void sb_eth_input(struct sb_worker *w, struct rte_mbuf *m);
void sb_arp_input(struct sb_worker *w, struct rte_mbuf *m);
/* l3_off: offset of the IPv4 header within the frame. */
void sb_ipv4_input(struct sb_worker *w, struct rte_mbuf *m, uint16_t l3_off);
void sb_icmp_input(struct sb_worker *w, struct rte_mbuf *m, uint16_t l3_off, uint16_t l4_off);

/* Broadcast an ARP request for tip_be from our first address; the reply
 * goes to w->net.arp_reply. Returns 0 or -ENOBUFS. */
int sb_arp_request(struct sb_worker *w, uint32_t tip_be);

/* Turn the frame around: swap Ethernet addresses, source = our MAC. */
void sb_eth_reflect(struct sb_worker *w, struct rte_mbuf *m);

#endif
