/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Encoding and validation of the ring message header.
 */
#include "msg.h"

#include <errno.h>
#include <string.h>

int sb_msg_encode(struct sb_msg *m, enum sb_msg_kind kind, uint16_t worker, uint16_t shard,
		  uint32_t len, uint64_t seq, uint64_t t0_tsc)
{
	if (kind <= 0 || kind >= SB_MSG_KIND_MAX || len > SB_MSG_PAYLOAD_MAX)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->magic = SB_MSG_MAGIC;
	m->version = SB_MSG_VERSION;
	m->kind = (uint8_t)kind;
	m->owner = SB_MSG_OWNER_DATAPLANE;
	m->worker = worker;
	m->shard = shard;
	m->len = len;
	m->seq = seq;
	m->t0_tsc = t0_tsc;
	return 0;
}

enum sb_msg_status sb_msg_decode(const struct sb_msg *m, unsigned n_workers, unsigned n_shards)
{
	if (m->magic != SB_MSG_MAGIC)
		return SB_MSG_BAD_MAGIC;
	if (m->version != SB_MSG_VERSION)
		return SB_MSG_BAD_VERSION;
	if (m->kind == 0 || m->kind >= SB_MSG_KIND_MAX)
		return SB_MSG_BAD_KIND;
	if (m->len > SB_MSG_PAYLOAD_MAX)
		return SB_MSG_BAD_LEN;
	if (m->worker >= n_workers || m->shard >= n_shards)
		return SB_MSG_BAD_INDEX;
	return SB_MSG_OK;
}

const char *sb_msg_status_str(enum sb_msg_status st)
{
	static const char *const names[SB_MSG_STATUS_MAX] = {
		[SB_MSG_OK] = "ok",
		[SB_MSG_BAD_MAGIC] = "bad_magic",
		[SB_MSG_BAD_VERSION] = "bad_version",
		[SB_MSG_BAD_KIND] = "bad_kind",
		[SB_MSG_BAD_LEN] = "bad_len",
		[SB_MSG_BAD_INDEX] = "bad_index",
	};

	return (unsigned)st < SB_MSG_STATUS_MAX ? names[st] : "unknown";
}
