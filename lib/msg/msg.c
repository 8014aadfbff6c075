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
	m->total_len = len;
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
	if (m->len > SB_MSG_PAYLOAD_MAX || m->total_len < m->len ||
	    m->total_len > SB_MSG_CHAIN_MAX * SB_MSG_PAYLOAD_MAX ||
	    (m->next == NULL && m->total_len != m->len))
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

int sb_msg_append(struct sb_msg *first, const void *p, size_t n, const struct sb_msg_pool_ops *ops)
{
	const uint8_t *src = p;
	struct sb_msg *last = first;
	unsigned objs = 1;

	while (last->next != NULL) {
		last = last->next;
		objs++;
	}
	while (n > 0) {
		size_t room = SB_MSG_PAYLOAD_MAX - last->len;
		size_t k = n < room ? n : room;

		if (k == 0) {
			struct sb_msg *m;

			if (objs == SB_MSG_CHAIN_MAX)
				return -E2BIG;
			m = ops->alloc(ops->arg);
			if (m == NULL)
				return -ENOBUFS;
			sb_msg_encode(m, (enum sb_msg_kind)first->kind, first->worker, first->shard, 0,
				      first->seq, first->t0_tsc);
			m->owner = first->owner;
			last->next = m;
			last = m;
			objs++;
			continue;
		}
		memcpy(last->payload + last->len, src, k);
		last->len += (uint32_t)k;
		last->total_len = last->len;
		first->total_len += (uint32_t)(first == last ? 0 : k);
		if (first == last)
			first->total_len = first->len;
		src += k;
		n -= k;
	}
	return 0;
}

size_t sb_msg_read(const struct sb_msg *first, size_t off, void *dst, size_t n)
{
	const struct sb_msg *m = first;
	uint8_t *out = dst;
	size_t done = 0;

	while (m != NULL && off >= m->len) {
		off -= m->len;
		m = m->next;
	}
	while (m != NULL && done < n) {
		size_t k = m->len - off;

		if (k > n - done)
			k = n - done;
		memcpy(out + done, m->payload + off, k);
		done += k;
		off = 0;
		m = m->next;
	}
	return done;
}

void sb_msg_set_owner(struct sb_msg *first, enum sb_msg_owner owner)
{
	for (struct sb_msg *m = first; m != NULL; m = m->next)
		m->owner = (uint8_t)owner;
}

void sb_msg_free_chain(struct sb_msg *first, const struct sb_msg_pool_ops *ops)
{
	while (first != NULL) {
		struct sb_msg *next = first->next;

		first->next = NULL;
		first->owner = SB_MSG_OWNER_FREE;
		ops->free(ops->arg, first);
		first = next;
	}
}
