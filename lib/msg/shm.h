/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The state sb-dataplane shares with sb-control, besides the rings: one
 * memzone named SB_SHM_NAME, created by the primary and found by name by the
 * secondary. Every block has one writer: a worker writes its sb_shm_worker,
 * a control shard its sb_shm_shard, the dataplane's main lcore the header and
 * ports, sb-control's management thread the ctl_* fields. Each block starts
 * on its own cache line so writers never share one. Readers tolerate values
 * changing under them (64-bit aligned loads are atomic on every platform DPDK
 * supports; a sum of counters may be a few packets stale).
 *
 * The rings, by name (printf formats, worker then shard):
 *   SB_RING_UP_FMT   worker w -> shard s  (stanzas, heartbeats; SPSC)
 *   SB_RING_DOWN_FMT shard s  -> worker w (deliveries, heartbeats; SPSC)
 */
#ifndef SB_SHM_H
#define SB_SHM_H

#include <stdint.h>

#define SB_SHM_NAME "sb_shm"
#define SB_MSG_POOL_NAME "sb_msg_pool"
#define SB_RING_UP_FMT "sb_up_w%u_s%u"
#define SB_RING_DOWN_FMT "sb_dn_w%u_s%u"
#define SB_RING_NAME_MAX 32

#define SB_SHM_MAGIC 0x53424d5a48u /* "SBMZH" */
#define SB_SHM_VERSION 4u

#define SB_MAX_WORKERS 64
#define SB_MAX_SHARDS 64
#define SB_MAX_PORTS 4
#define SB_CACHE_LINE 64

/* lib/tcp's counters, mirrored per worker (names: sb_tcp_counter_names). */
enum sb_shm_tcp_counter {
#define SB_TCP_CNT(name, help) SB_SHM_TCP_##name,
#include "tcp_counters.def"
#undef SB_TCP_CNT
	SB_SHM_TCP_MAX,
};

/* lib/xmpp's c2s counters, mirrored per worker (names: sb_c2s_counter_names). */
enum sb_shm_c2s_counter {
#define C2S_CTR(id, name) SB_SHM_C2S_##id,
#include "c2s_counters.def"
#undef C2S_CTR
	SB_SHM_C2S_MAX,
};

enum sb_dp_counter {
#define SB_DP_CTR(name, help) SB_DP_CTR_##name,
#include "dp_counters.def"
#undef SB_DP_CTR
	SB_DP_CTR_MAX,
};

/* Written by the dataplane's main lcore once a second. */
struct sb_shm_port {
	char name[32];          /* device name, e.g. net_tap0 */
	uint16_t port_id;
	uint16_t n_queues;      /* one RX/TX pair per worker */
	uint8_t link_up;
	uint8_t mac[6];
	uint8_t reserved;
	uint32_t speed_mbps;
	uint32_t ipv4;          /* host byte order */
	uint8_t prefix;
	uint64_t hw_ipackets, hw_opackets, hw_imissed, hw_ierrors, hw_oerrors, hw_rx_nombuf;
};

/* Written only by worker w. */
struct sb_shm_worker {
	uint64_t ctr[SB_DP_CTR_MAX];
	uint32_t lcore_id;
	uint16_t port_id;
	uint16_t queue_id;
	/* Round trip of the worker's own heartbeat: up ring to shard s and
	 * back down, in TSC cycles; 0 until the first one returns. */
	uint64_t hb_rtt_tsc[SB_MAX_SHARDS];
	uint64_t hb_last_tsc[SB_MAX_SHARDS]; /* when the last one returned */
	/* TCP: gauges, and the core's counters copied every 100 ms. */
	uint64_t tcp_conns;
	uint64_t tcp_half_open;
	uint64_t tcp_time_wait;
	uint64_t tcp_ctr[SB_SHM_TCP_MAX];
	uint64_t c2s_ctr[SB_SHM_C2S_MAX];   /* lib/xmpp's, copied with tcp_ctr */
} __attribute__((aligned(SB_CACHE_LINE)));

/* Written only by control shard s (a thread of sb-control). */
struct sb_shm_shard {
	uint64_t hb_rtt_tsc[SB_MAX_WORKERS];  /* shard-originated: down and back up */
	uint64_t hb_last_tsc[SB_MAX_WORKERS];
	uint64_t msgs_in, msgs_out, msgs_bad, ring_full;
	uint64_t loop_busy, loop_idle;
} __attribute__((aligned(SB_CACHE_LINE)));

struct sb_shm {
	/* Header: written once by the primary before workers start. */
	uint64_t magic;
	uint32_t version;
	uint32_t n_workers;
	uint32_t n_shards;       /* rings exist for this many shards */
	uint32_t ring_size;
	uint32_t n_ports;
	int32_t dp_pid;
	uint64_t tsc_hz;
	uint64_t dp_start_tsc;
	uint64_t hb_interval_tsc;

	/* Written by the dataplane's main lcore. */
	uint64_t dp_alive_tsc __attribute__((aligned(SB_CACHE_LINE)));
	uint32_t ctl_live;         /* epoch of a live sb-control, 0: none (ctl_watch.h) */
	uint32_t reserved0;
	uint64_t ctl_lost;         /* times sb-control was found gone or stalled */
	struct sb_shm_port ports[SB_MAX_PORTS];

	/* Written by sb-control's management thread. */
	int32_t ctl_pid __attribute__((aligned(SB_CACHE_LINE)));
	uint32_t ctl_epoch;        /* bumped on every attach */
	uint32_t ctl_shards;       /* shard threads running (<= n_shards) */
	uint64_t ctl_attaches;     /* sb-control attaches since the dataplane started */
	uint64_t ctl_reclaimed;    /* pool objects a dead sb-control held, freed on attach */

	struct sb_shm_worker workers[SB_MAX_WORKERS];
	struct sb_shm_shard shards[SB_MAX_SHARDS];
};

/* Names of the dataplane counters, indexed by enum sb_dp_counter. */
extern const char *const sb_dp_counter_names[SB_DP_CTR_MAX];
extern const char *const sb_tcp_counter_names[SB_SHM_TCP_MAX];
extern const char *const sb_c2s_counter_names[SB_SHM_C2S_MAX];

#endif
