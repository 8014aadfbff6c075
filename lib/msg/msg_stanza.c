/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The layout of stanza messages (SB_MSG_STANZA, SB_MSG_DELIVER), read and
 * checked in one place for both processes, and the size limits it must
 * hold, derived from xmpp.max_stanza_bytes alone.
 */
#include <errno.h>
#include <stdio.h>

#include "msg.h"

size_t sb_msg_stanza_max_payload(uint64_t max_stanza_bytes)
{
	return sizeof(struct sb_msg_stanza) + 2u * SB_MSG_JID_MAX + (size_t)max_stanza_bytes +
	       SB_MSG_STANZA_GROWTH;
}

int sb_msg_stanza_limits_check(uint64_t max_stanza_bytes, char *why, size_t why_len)
{
	size_t need = sb_msg_stanza_max_payload(max_stanza_bytes);
	size_t cap = (size_t)SB_MSG_CHAIN_MAX * SB_MSG_PAYLOAD_MAX;

	if (need <= cap)
		return 0;
	snprintf(why, why_len,
		 "xmpp.max_stanza_bytes = %llu: with routing (%zu bytes more) a stanza needs %zu "
		 "bytes, and a message chain carries %zu; lower it to %zu or less",
		 (unsigned long long)max_stanza_bytes, need - (size_t)max_stanza_bytes, need, cap,
		 cap - (need - (size_t)max_stanza_bytes));
	return -E2BIG;
}

/* The stanza header at chain offset base, checked against the chain. */
static int stanza_read_at(const struct sb_msg *m, size_t base, struct sb_msg_stanza *h)
{
	if (sb_msg_read(m, base, h, sizeof(*h)) != sizeof(*h))
		return -EINVAL;
	if (h->kind == 0 || h->kind >= SB_STANZA_KIND_MAX || h->type >= SB_STYPE_MAX ||
	    h->to_len > SB_MSG_JID_MAX || h->from_len > SB_MSG_JID_MAX ||
	    h->to_bare_len > h->to_len || h->from_bare_len > h->from_len ||
	    (uint64_t)h->id_off + h->id_len > h->bytes_len ||
	    base + sb_msg_stanza_bytes_off(h) + (uint64_t)h->bytes_len != m->total_len)
		return -EINVAL;
	return 0;
}

int sb_msg_stanza_read(const struct sb_msg *m, struct sb_msg_stanza *h)
{
	return stanza_read_at(m, 0, h);
}

int sb_msg_multi_read(const struct sb_msg *m, struct sb_msg_multi *mh, struct sb_msg_stanza *h)
{
	if (sb_msg_read(m, 0, mh, sizeof(*mh)) != sizeof(*mh) || mh->n == 0 ||
	    mh->n > SB_MSG_MULTI_MAX || stanza_read_at(m, sb_msg_multi_stanza_off(mh->n), h) < 0 ||
	    h->to_len != 0 || mh->to_off > h->bytes_len)
		return -EINVAL;
	return 0;
}
