/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What crosses the rings between sb-dataplane and sb-control.
 *
 * A message is one object of the shared pool SB_MSG_POOL_NAME, created by the
 * primary; rings carry pointers to it, so nothing is copied per hop. Every
 * object starts with struct sb_msg. Both processes run on one host from one
 * build, so fields are in host byte order; the header still carries a magic
 * and a version so that a process from another build, or a stray pointer, is
 * caught and counted instead of trusted.
 *
 * Ownership is explicit in `owner`: whoever holds the pointer writes its own
 * tag before using it and the tag of the next holder before handing it on.
 * When sb-control dies, the primary walks the pool and frees every object
 * still tagged SB_MSG_OWNER_CONTROL (it cannot be on a ring or in the
 * dataplane), so a crashed control plane leaks nothing.
 */
#ifndef SB_MSG_H
#define SB_MSG_H

#include <stddef.h>
#include <stdint.h>

#define SB_MSG_MAGIC 0x5342u /* "SB" */
#define SB_MSG_VERSION 1u
#define SB_MSG_OBJ_SIZE 2048u /* bytes per pool object, header included */

enum sb_msg_kind {
	SB_MSG_HEARTBEAT = 1, /* ring liveness probe; payload: none */
	SB_MSG_KIND_MAX,
};

enum sb_msg_owner {
	SB_MSG_OWNER_FREE = 0,  /* in the pool */
	SB_MSG_OWNER_DATAPLANE, /* held by a dataplane lcore */
	SB_MSG_OWNER_RING,      /* on a ring, in flight between the processes */
	SB_MSG_OWNER_CONTROL,   /* held by an sb-control shard */
	SB_MSG_OWNER_MAX,
};

#define SB_MSG_F_REPLY 0x01u /* heartbeat echo: return it to its origin */
#define SB_MSG_F_FROM_CONTROL 0x02u /* originated by sb-control (else the dataplane) */

struct sb_msg {
	uint16_t magic;     /* SB_MSG_MAGIC */
	uint8_t version;    /* SB_MSG_VERSION */
	uint8_t kind;       /* enum sb_msg_kind */
	uint8_t owner;      /* enum sb_msg_owner */
	uint8_t flags;      /* SB_MSG_F_* */
	uint16_t worker;    /* dataplane worker index of the ring pair */
	uint16_t shard;     /* control shard index of the ring pair */
	uint16_t reserved;
	uint32_t len;       /* payload bytes after the header */
	uint32_t epoch;     /* control epoch the message belongs to */
	uint32_t reserved2;
	uint64_t seq;       /* per-origin sequence number */
	uint64_t t0_tsc;    /* originator's TSC when sent (one host, one TSC) */
	uint8_t payload[];
};

_Static_assert(sizeof(struct sb_msg) == 40, "sb_msg header is part of the ring ABI");

#define SB_MSG_PAYLOAD_MAX (SB_MSG_OBJ_SIZE - sizeof(struct sb_msg))

enum sb_msg_status {
	SB_MSG_OK = 0,
	SB_MSG_BAD_MAGIC,
	SB_MSG_BAD_VERSION,
	SB_MSG_BAD_KIND,
	SB_MSG_BAD_LEN,
	SB_MSG_BAD_INDEX,
	SB_MSG_STATUS_MAX,
};

/* Write a header for a message of `kind` between worker and shard, with a
 * payload of len bytes. Returns 0, or -EINVAL if kind is unknown or len does
 * not fit an object. Leaves `owner` as SB_MSG_OWNER_DATAPLANE for the
 * dataplane to change; the caller sets flags and timestamps. */
int sb_msg_encode(struct sb_msg *m, enum sb_msg_kind kind, uint16_t worker, uint16_t shard,
		  uint32_t len, uint64_t seq, uint64_t t0_tsc);

/* Check a header received from a ring against the topology the receiver
 * knows. Returns SB_MSG_OK or the first thing wrong with it; the receiver
 * counts and frees anything not OK. */
enum sb_msg_status sb_msg_decode(const struct sb_msg *m, unsigned n_workers, unsigned n_shards);

/* A short name for a status, for counters and logs. */
const char *sb_msg_status_str(enum sb_msg_status st);

#endif
