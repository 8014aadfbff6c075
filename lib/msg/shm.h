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
 * Counters are not laid out here: a worker's record holds an array of
 * SB_SHM_WORKER_CTRS slots, a shard's one of SB_SHM_SHARD_CTRS, and a
 * directory says what each slot is (group, name, help, offset). The
 * dataplane writes the workers' directory once at start, before its
 * workers run; sb-control writes the shards' when it attaches. Readers
 * (sbctl status, DPDK telemetry) print from the directories, so a counter
 * added to a module's .def (lib/ctr's shape) shows up without this file,
 * SB_SHM_VERSION or the other process changing.
 *
 * The rings, by name (SB_RING_FMT with a kind, the worker, the shard):
 *   SB_RING_UP   worker w -> shard s  (stanzas, heartbeats; SPSC)
 *   SB_RING_DOWN shard s  -> worker w (deliveries, heartbeats; SPSC)
 *   SB_RING_FILL worker w -> shard s  (free objects the shard may take; SPSC)
 *   SB_RING_RET  shard s  -> worker w (objects the shard freed; SPSC)
 *
 * sb-control never touches the message pool itself: a SIGKILL in the
 * middle of a multi-producer ring operation leaves the pool's ring with a
 * head no one will ever complete, and every other producer (the workers)
 * spins on it forever. It allocates from its fill rings and frees onto its
 * return rings instead, which the workers keep topped up and drained; on
 * every ring it touches it is the only producer or the only consumer, so a
 * successor can roll back the half-done operation of a killed predecessor
 * (control/attach.c) and nobody else ever waits on it.
 */
#ifndef SB_SHM_H
#define SB_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctr.h"

#define SB_SHM_NAME "sb_shm"
#define SB_MSG_POOL_NAME "sb_msg_pool"
#define SB_RING_FMT "sb_%s_w%u_s%u"
#define SB_RING_UP "up"
#define SB_RING_DOWN "dn"
#define SB_RING_FILL "fl"
#define SB_RING_RET "rt"
#define SB_RING_NAME_MAX 32
/* Fill rings share the part of the pool kept for sb-control (a quarter)
 * between the (worker, shard) pairs, within these bounds; a return ring
 * holds twice its fill ring, at least SB_POOL_RET_MIN. A pool whose
 * quarter cannot give every pair SB_POOL_FILL_MIN is refused at start
 * (sb_pool_fill_fits): the floor would let the fill rings take what the
 * workers need, and their stanzas would stall for good. */
#define SB_POOL_FILL_MIN 64u
#define SB_POOL_FILL_MAX 8192u
#define SB_POOL_RET_MIN 4096u

/* The fill ring of each of `pairs` (worker, shard) pairs, for a pool of
 * msgs objects, and the return ring beside it: sb-dataplane creates them
 * at these sizes (dataplane/shared.c), its unit tests too. */
static inline unsigned sb_pool_fill_size(unsigned msgs, unsigned pairs)
{
	unsigned share = msgs / 4 / pairs;

	if (share < SB_POOL_FILL_MIN)
		return SB_POOL_FILL_MIN;
	return share < SB_POOL_FILL_MAX ? share : SB_POOL_FILL_MAX;
}

/* Whether the fill rings of `pairs` pairs stay within the quarter. */
static inline bool sb_pool_fill_fits(unsigned msgs, unsigned pairs)
{
	return (uint64_t)sb_pool_fill_size(msgs, pairs) * pairs <= msgs / 4;
}

static inline unsigned sb_pool_ret_size(unsigned fill)
{
	return 2 * fill > SB_POOL_RET_MIN ? 2 * fill : SB_POOL_RET_MIN;
}

#define SB_SHM_MAGIC 0x53424d5a48u /* "SBMZH" */
#define SB_SHM_VERSION 8u

#define SB_MAX_WORKERS 64
#define SB_MAX_SHARDS 64
#define SB_MAX_PORTS 4
#define SB_CACHE_LINE 64

#define SB_SHM_WORKER_CTRS 512 /* counter slots per worker (dataplane, tcp, c2s: ~250 used) */
#define SB_SHM_SHARD_CTRS 64   /* counter slots per control shard */
#define SB_SHM_DIR_MAX 640     /* directory entries, per directory */
#define SB_SHM_CTR_GROUP_MAX 16
#define SB_SHM_CTR_NAME_MAX 48
#define SB_SHM_CTR_HELP_MAX 128

/* One counter as readers find it: the group it is printed under, its name
 * and help, and where it lives: `offset` bytes into each record (struct
 * sb_shm_worker for the workers' directory, struct sb_shm_shard for the
 * shards'), a uint64_t. */
struct sb_shm_ctr_entry {
	char group[SB_SHM_CTR_GROUP_MAX];
	char name[SB_SHM_CTR_NAME_MAX];
	char help[SB_SHM_CTR_HELP_MAX];
	uint32_t offset;
	uint32_t reserved;
};

/* Written by one writer before its readers may look: n last (release). */
struct sb_shm_ctr_dir {
	uint32_t n;              /* entries readers may use */
	uint32_t pending;        /* entries written, not yet published */
	struct sb_shm_ctr_entry e[SB_SHM_DIR_MAX];
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
	uint32_t lcore_id;
	uint16_t port_id;
	uint16_t queue_id;
	/* Round trip of the worker's own heartbeat: up ring to shard s and
	 * back down, in TSC cycles; 0 until the first one returns. */
	uint64_t hb_rtt_tsc[SB_MAX_SHARDS];
	uint64_t hb_last_tsc[SB_MAX_SHARDS]; /* when the last one returned */
	/* TCP gauges, copied every 100 ms. */
	uint64_t tcp_conns;
	uint64_t tcp_half_open;
	uint64_t tcp_time_wait;
	/* 1 once the worker has told every connection of a shutdown (struct
	 * sb_shm_shutdown); release, after the tcp_* gauges of that turn. */
	uint32_t drained;
	/* Counters, as the workers' directory describes them: the worker's
	 * own written in place, the libraries' copied every 100 ms. */
	uint64_t ctr[SB_SHM_WORKER_CTRS] __attribute__((aligned(SB_CACHE_LINE)));
} __attribute__((aligned(SB_CACHE_LINE)));

#define SB_SHM_SHUTDOWN_TEXT_MAX 256

/* sbctl shutdown: written once by sb-control's management thread, the text
 * and the drain first, then `requested` (release). Each dataplane worker
 * reads `requested` once per turn (acquire): it then refuses new streams
 * and gives every connection <system-shutdown/> with the text; the main
 * lcore ends the process when every worker has drained its connections or
 * drain_ms has passed. */
struct sb_shm_shutdown {
	uint32_t requested;
	uint32_t drain_ms;
	char text[SB_SHM_SHUTDOWN_TEXT_MAX]; /* <text/> of the stream error, NUL-terminated */
};

/* The dataplane's limits that change live (sbctl limits set, config
 * reload), written by sb-control's management thread as a sequence lock:
 * seq odd while it writes, even when done (release). A worker checks seq
 * once per turn and takes the values when it is even, unchanged across
 * its copy and new to it. */
struct sb_shm_live {
	uint32_t seq;
	uint32_t reserved;
	uint64_t conn_rate_per_addr;  /* xmpp.* keys of the same names */
	uint64_t conn_burst_per_addr;
	uint64_t shaper_bytes_per_s;
	uint64_t shaper_burst_bytes;
	uint64_t ban_after_failures;
	uint64_t ban_s;
};

/* sbctl log level: sb-control's management thread writes `requested`
 * (a DPDK log level, 1 emergency .. 8 debug; 0: never asked) and the
 * dataplane's main lcore applies it to its sb.* log types and writes back
 * `current`. Two writers on one line is fine at an operator's pace. */
struct sb_shm_log {
	uint32_t requested;
	uint32_t current;
};

/* Written only by control shard s (a thread of sb-control). */
/* A shard's send in progress: the chain, the down ring's worker, and that
 * ring's producer tail before the enqueue. Written by the shard around the
 * chain's RING tag and its enqueue (control/ring_rollback.h sb_ring_send),
 * read by its successor: a chain tagged RING that the ring never published
 * (the tail has not moved) is sb-control's to recover. */
struct sb_shm_send {
	struct sb_msg *m;        /* NULL: no send in progress */
	uint32_t worker;
	uint32_t tail;
};

struct sb_shm_shard {
	uint64_t hb_rtt_tsc[SB_MAX_WORKERS];  /* shard-originated: down and back up */
	uint64_t hb_last_tsc[SB_MAX_WORKERS];
	uint64_t turns;          /* loop turns: the shard's progress (dataplane/ring/ctl_watch.c) */
	uint64_t ctr[SB_SHM_SHARD_CTRS]; /* as the shards' directory describes them */
	struct sb_shm_send send; /* the chain being put on a down ring (ring_rollback.h) */
} __attribute__((aligned(SB_CACHE_LINE)));

/* TLS certificates: "sbctl tls reload" and days to expiry. sb-control's
 * management thread bumps reload_req; the dataplane's main lcore re-reads
 * every certificate and key from the configured paths, hands the new
 * contexts to every worker, and once all of them have taken them sets
 * reload_done to that request (its result in reload_rc and reload_msg). The
 * rest it writes at start, on every reload and once a minute. */
#define SB_SHM_TLS_DOMAIN_MAX 256
#define SB_SHM_TLS_MSG_MAX 200
struct sb_shm_tls {
	uint64_t reload_req;                       /* by sb-control */
	uint64_t reload_done __attribute__((aligned(SB_CACHE_LINE))); /* by the dataplane */
	int32_t reload_rc;          /* 0 or a negative errno (-ENOTSUP: xmpp.tls is off) */
	uint32_t domains;           /* certificates in use (0: TLS off) */
	int32_t days_left;          /* smallest whole days to expiry across them */
	uint32_t reserved;
	uint64_t reloads;           /* reloads that swapped the certificates */
	uint64_t reload_failed;     /* reloads refused (the old ones stay) */
	uint64_t loaded_unix_s;     /* when the certificates in use were read */
	char days_left_domain[SB_SHM_TLS_DOMAIN_MAX]; /* the domain of days_left */
	char reload_msg[SB_SHM_TLS_MSG_MAX];          /* why the last reload failed */
};

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
	uint64_t ctl_sends_undone; /* chains a killed sb-control tagged RING and never enqueued */

	struct sb_shm_tls tls __attribute__((aligned(SB_CACHE_LINE)));

	struct sb_shm_worker workers[SB_MAX_WORKERS];
	struct sb_shm_shard shards[SB_MAX_SHARDS];

	struct sb_shm_ctr_dir worker_dir; /* by the dataplane, before its workers start */
	struct sb_shm_ctr_dir shard_dir;  /* by sb-control, on attach, before its shards start */

	/* Written by sb-control's management thread (sbctl shutdown). */
	struct sb_shm_shutdown shutdown __attribute__((aligned(SB_CACHE_LINE)));
	struct sb_shm_live live __attribute__((aligned(SB_CACHE_LINE)));
	struct sb_shm_log log __attribute__((aligned(SB_CACHE_LINE)));
};

/* Start d afresh (its writer only, before publishing it). */
void sb_shm_dir_reset(struct sb_shm_ctr_dir *d);

/* Describe n counters of group, the first at first_offset bytes into each
 * record and the others after it, one uint64_t each. Names and help longer
 * than the entry are cut. 0, or -ENOSPC past SB_SHM_DIR_MAX. Entries become
 * visible to readers with sb_shm_dir_publish(). */
int sb_shm_dir_add(struct sb_shm_ctr_dir *d, const char *group, const struct sb_ctr_desc *desc,
		   unsigned n, size_t first_offset);

/* Make the entries added so far visible (release). */
void sb_shm_dir_publish(struct sb_shm_ctr_dir *d);

/* Entries readers may use (acquire). */
unsigned sb_shm_dir_count(const struct sb_shm_ctr_dir *d);

/* The entry of group/name, or NULL. */
const struct sb_shm_ctr_entry *sb_shm_dir_find(const struct sb_shm_ctr_dir *d, const char *group,
					       const char *name);

/* Entry e's counter summed over n records of stride bytes from base. */
uint64_t sb_shm_ctr_sum(const struct sb_shm_ctr_entry *e, const void *base, size_t stride,
			unsigned n);

#endif
