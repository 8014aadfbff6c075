/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Presence fan-out (RFC 6121 §4.2.2, §4.4.2, §4.5.2) without a message per
 * recipient. The sender's shard sends one inter-shard message to each
 * shard that holds contacts to tell, carrying the presence once and the
 * list of those contacts (SB_IM_X_BROADCAST); that shard resolves their
 * available sessions and sends one DELIVER_MULTI per dataplane worker,
 * carrying the presence once and the list of connections; the worker
 * writes it to each with that connection's full JID as `to`. A broadcast
 * to N contacts on one worker costs sb-control one stanza copy per shard
 * and per worker instead of N.
 *
 * Inter-shard layout (a chain of kind STANZA, never seen by the dataplane):
 * struct im_bcast, then n contacts as (be16 length, bare JID), then a
 * stanza header (to_len 0), the sender's full JID and the bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "im_priv.h"
#include "router.h"
#include "shard.h"

struct im_bcast {
	uint32_t n;          /* contacts */
	uint32_t list_len;   /* bytes of the list */
	uint32_t to_off;
	uint32_t reserved;
};

#define FANOUT_BATCH 256u /* sessions resolved before they are sent */

/* One DELIVER_MULTI for up to SB_MSG_MULTI_MAX sessions of worker w. */
static void multi_send(struct sb_shard *sh, unsigned w, struct sb_session *const *v, unsigned n,
		       const struct sb_msg_stanza *st, const char *from, const char *bytes,
		       size_t to_off)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_multi mh = { .n = n, .to_off = (uint32_t)to_off };
	struct sb_msg *m = r->pool.alloc(r->pool.arg);
	int rc = 0;

	if (m == NULL) {
		SB_IM_INC(&r->im, pool_empty);
		return;
	}
	sb_msg_encode(m, SB_MSG_DELIVER_MULTI, (uint16_t)w, sh->index, 0, 0, 0);
	m->owner = SB_MSG_OWNER_CONTROL;
	rc = sb_msg_append(m, &mh, sizeof(mh), &r->pool);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct sb_msg_target t = { .conn = v[i]->conn, .conn_gen = v[i]->conn_gen };

		rc = sb_msg_append(m, &t, sizeof(t), &r->pool);
	}
	if (rc == 0)
		rc = sb_msg_append(m, st, sizeof(*st), &r->pool);
	if (rc == 0)
		rc = sb_msg_append(m, from, st->from_len, &r->pool);
	if (rc == 0)
		rc = sb_msg_append(m, bytes, st->bytes_len, &r->pool);
	if (rc < 0) {
		SB_IM_INC(&r->im, pool_empty);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	r->im.ctr[SB_IM_CTR_presence_fanout] += n;
	SB_IM_INC(&r->im, fanout_msgs);
	sb_router_send(sh, w, m);
}

void im_deliver_multi(struct sb_shard *sh, struct sb_session *const *v, unsigned n, uint8_t type,
		      const char *from, size_t from_len, size_t from_bare_len, const char *bytes,
		      size_t len, size_t to_off)
{
	const struct sb_msg_stanza st = {
		.kind = SB_STANZA_PRESENCE,
		.type = type,
		.from_len = (uint16_t)from_len,
		.from_bare_len = (uint16_t)from_bare_len,
		.bytes_len = (uint32_t)len,
	};
	struct sb_session *batch[SB_MSG_MULTI_MAX];

	/* Per worker, in order of first appearance: n is small (a roster's
	 * online contacts' resources on one shard), so a pass per worker. */
	for (unsigned w = 0; w < sh->n_workers; w++) {
		unsigned k = 0;

		for (unsigned i = 0; i < n; i++) {
			if (v[i]->worker != w)
				continue;
			batch[k++] = v[i];
			if (k == SB_MSG_MULTI_MAX) {
				multi_send(sh, w, batch, k, &st, from, bytes, to_off);
				k = 0;
			}
		}
		if (k > 0)
			multi_send(sh, w, batch, k, &st, from, bytes, to_off);
	}
}

static bool fans_to(const struct sb_roster_item *it)
{
	return !(it->flags & SB_ROSTER_F_GONE) && (it->sub == SB_SUB_FROM || it->sub == SB_SUB_BOTH);
}

/* The inter-shard message for the contacts of roster r on shard d. */
static struct sb_msg *bcast_chain(struct sb_shard *sh, unsigned d, const struct sb_session *s,
				  const struct sb_roster *r, uint8_t type, const char *bytes,
				  size_t len)
{
	struct sb_router *ro = &sh->router;
	struct im_bcast hdr = { .to_off = (uint32_t)im_to_off(bytes, len) };
	const struct sb_msg_stanza st = {
		.kind = SB_STANZA_PRESENCE,
		.type = type,
		.from_len = s->jid_len,
		.from_bare_len = s->bare_len,
		.bytes_len = (uint32_t)len,
	};
	struct sb_msg *m = ro->pool.alloc(ro->pool.arg);
	int rc;

	if (m == NULL)
		return NULL;
	sb_msg_encode(m, SB_MSG_STANZA, 0, sh->index, 0, 0, 0);
	m->owner = SB_MSG_OWNER_CONTROL;
	rc = sb_msg_append(m, &hdr, sizeof(hdr), &ro->pool);
	for (uint32_t i = 0; i < r->n && rc == 0; i++) {
		const struct sb_roster_item *it = &r->items[i];
		uint8_t l[2] = { (uint8_t)(it->jid_len >> 8), (uint8_t)it->jid_len };

		if (!fans_to(it) || im_bare_shard(sh, it->jid, it->jid_len) != d)
			continue;
		rc = sb_msg_append(m, l, 2, &ro->pool);
		if (rc == 0)
			rc = sb_msg_append(m, it->jid, it->jid_len, &ro->pool);
		hdr.n++;
		hdr.list_len += 2u + it->jid_len;
	}
	if (rc == 0)
		rc = sb_msg_append(m, &st, sizeof(st), &ro->pool);
	if (rc == 0)
		rc = sb_msg_append(m, s->jid, s->jid_len, &ro->pool);
	if (rc == 0)
		rc = sb_msg_append(m, bytes, len, &ro->pool);
	if (rc < 0) {
		sb_msg_free_chain(m, &ro->pool);
		return NULL;
	}
	/* The header went first, into the first object: complete it there. */
	memcpy(m->payload, &hdr, sizeof(hdr));
	return m;
}

void im_broadcast_contacts(struct sb_shard *sh, const struct sb_session *s,
			   const struct sb_roster *r, uint8_t type, const char *bytes, size_t len)
{
	struct sb_im *im = &sh->router.im;
	uint64_t shards = 0;

	for (uint32_t i = 0; i < r->n; i++)
		if (fans_to(&r->items[i]))
			shards |= 1ull << im_bare_shard(sh, r->items[i].jid, r->items[i].jid_len);
	for (unsigned d = 0; d < im->n_shards; d++) {
		struct sb_msg *m;

		if (!(shards & (1ull << d)))
			continue;
		m = bcast_chain(sh, d, s, r, type, bytes, len);
		if (m == NULL) {
			SB_IM_INC(im, pool_empty);
			continue;
		}
		im_xsend(sh, d, m, SB_IM_X_BROADCAST);
	}
}

void im_broadcast_in(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_session *v[FANOUT_BATCH];
	struct sb_msg_stanza st;
	struct im_bcast hdr;
	char from[SB_ROUTE_JID_MAX], bare[SB_ROUTE_JID_MAX];
	size_t off = sizeof(hdr), soff;
	unsigned n = 0;

	if (sb_msg_read(m, 0, &hdr, sizeof(hdr)) != sizeof(hdr) ||
	    sizeof(hdr) + (uint64_t)hdr.list_len > m->total_len)
		goto bad;
	soff = sizeof(hdr) + hdr.list_len;
	if (sb_msg_read(m, soff, &st, sizeof(st)) != sizeof(st) || st.from_len > SB_MSG_JID_MAX ||
	    soff + sizeof(st) + st.from_len + (uint64_t)st.bytes_len != m->total_len ||
	    st.bytes_len >= im->buf_cap || hdr.to_off > st.bytes_len)
		goto bad;
	sb_msg_read(m, soff + sizeof(st), from, st.from_len);
	sb_msg_read(m, soff + sizeof(st) + st.from_len, im->buf, st.bytes_len);
	for (uint32_t i = 0; i < hdr.n && off + 2 <= soff; i++) {
		uint8_t l[2];
		size_t bl;
		struct sb_session_user *u;

		sb_msg_read(m, off, l, 2);
		bl = (size_t)l[0] << 8 | l[1];
		if (bl == 0 || bl > SB_MSG_JID_MAX || off + 2 + bl > soff)
			goto bad;
		sb_msg_read(m, off + 2, bare, bl);
		off += 2 + bl;
		if (im_block_online(sh, bare, bl, from, st.from_len)) {
			SB_IM_INC(im, blocked_in); /* XEP-0191 §3.5 */
			continue;
		}
		u = sb_session_user_find(&r->sessions, bare, bl);
		for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next) {
			if (!s->available)
				continue;
			if (n == FANOUT_BATCH) {
				im_deliver_multi(sh, v, n, st.type, from, st.from_len,
						 st.from_bare_len, im->buf, st.bytes_len, hdr.to_off);
				n = 0;
			}
			v[n++] = s;
		}
	}
	if (n > 0)
		im_deliver_multi(sh, v, n, st.type, from, st.from_len, st.from_bare_len, im->buf,
				 st.bytes_len, hdr.to_off);
	sb_msg_free_chain(m, &r->pool);
	return;
bad:
	SB_ROUTE_INC(r, malformed);
	sb_msg_free_chain(m, &r->pool);
}
