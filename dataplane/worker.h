/* SPDX-License-Identifier: BSD-3-Clause
 *
 * struct sb_worker: everything one dataplane lcore owns. One per worker
 * lcore, cache-aligned, passed as the first argument all the way down; no
 * other lcore writes it (its counters are read through shared memory).
 */
#ifndef SB_DP_WORKER_H
#define SB_DP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "idle.h"
#include "msg.h"
#include "msg_link.h"
#include "dp_counters.h"
#include "shm.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;
struct sb_impair;
struct sb_worker;
struct sb_tcp_worker;

#define SB_TX_BURST 64

/* Frames in and out of a worker, chosen once at start-up: the port's own
 * (sb_pktio_init) or a test impairment around them (sb_impair_create). */
struct sb_pktio {
	/* Up to cap received frames into pkts; returns how many. */
	uint16_t (*rx)(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t cap, uint64_t now_tsc);
	/* Send what the turn queued in w->tx. */
	void (*flush)(struct sb_worker *w, uint64_t now_tsc);
};

/* What L2/L3 input (net/) asks of the program above it; each may be NULL.
 * The gateway has one address and needs no neighbour; a load generator
 * owns a range of source addresses and learns the gateway's MAC. */
struct sb_net_hooks {
	/* Whether addr_be, other than ipv4_be, is ours too. */
	bool (*owns)(void *ctx, uint32_t addr_be);
	/* An ARP reply to one of our addresses: ip_be is at mac. */
	void (*arp_reply)(void *ctx, uint32_t ip_be, const struct rte_ether_addr *mac);
	void *ctx;
};

struct sb_worker {
	/* Hot: touched every loop turn. */
	uint64_t *ctr;                  /* = shm->workers[index].ctr */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t burst;
	uint16_t tx_n;
	uint32_t ipv4_be;               /* our (first) address, network byte order */
	struct rte_ether_addr mac;
	uint16_t ip_id;                 /* IPv4 identification of our datagrams */
	struct sb_net_hooks net;        /* more addresses, neighbours: the program's */
	uint64_t now_us;                /* this turn's time, from the TSC */
	struct sb_tcp_worker *tcp;      /* connections, timers, listeners */
	struct sb_pktio io;             /* receive and flush (pktio.c, impair.c) */
	struct sb_impair *impair;       /* test-only link impairment's state, NULL when off */
	struct rte_mbuf *tx[SB_TX_BURST];
	struct sb_idle idle;

	/* Rings to and from sb-control; heartbeats. */
	struct rte_mempool *msg_pool;
	struct sb_msg_pool_ops msg_ops;       /* msg_pool for lib/msg's chain helpers */
	struct sb_msg_link link;              /* our end of the rings to every shard */
	struct rte_ring *up[SB_MAX_SHARDS];   /* this worker -> shard s */
	struct rte_ring *down[SB_MAX_SHARDS]; /* shard s -> this worker */
	struct rte_ring *fill[SB_MAX_SHARDS]; /* objects for shard s to allocate (ctl_pool.h) */
	struct rte_ring *ret[SB_MAX_SHARDS];  /* objects shard s freed */
	uint32_t n_shards;
	uint64_t hb_next_tsc;
	uint64_t hb_interval_tsc;
	uint32_t msg_budget;            /* message objects this worker may take before recounting */
	uint32_t msg_reserve;           /* objects of the pool left to sb-control */
	/* Objects taken for the element being read (sb_ctl_link_stash): what
	 * it sends to sb-control is taken from here first, so a request or
	 * stanza once read never finds the shared pool dry. */
	uint32_t msg_stash_n;
	struct sb_msg *msg_stash[SB_MSG_CHAIN_MAX];

	/* Cold. */
	uint64_t tsc_per_us;
	uint64_t start_tsc;
	uint64_t stats_next_tsc;        /* next copy of lib/tcp's counters to shm */
	uint32_t mbuf_reserve;          /* below this many free mbufs, take no deliveries */
	bool mbufs_low;                 /* the pool is below mbuf_reserve (checked every 32 turns) */
	struct sb_shm *shm;
	struct sb_shm_worker *stats;
	struct rte_mempool *pkt_pool;
	uint16_t index;
	uint32_t lcore_id;
	volatile bool *quit;
} __rte_cache_aligned;

/* Whether addr_be is one of w's addresses: ipv4_be, or one the program
 * claims through its hook (the load generator owns a range). */
static inline bool sb_worker_owns(const struct sb_worker *w, uint32_t addr_be)
{
	return addr_be == w->ipv4_be || (w->net.owns != NULL && w->net.owns(w->net.ctx, addr_be));
}

#define SB_CTR_INC(w, name) ((w)->ctr[SB_DP_CTR_##name]++)
#define SB_CTR_ADD(w, name, n) ((w)->ctr[SB_DP_CTR_##name] += (n))

/* The lcore loop; launched with rte_eal_remote_launch(sb_worker_main, w, lcore). */
int sb_worker_main(void *arg);

#endif
