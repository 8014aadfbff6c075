/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's XMPP requests to sb-control and its answers: credential
 * lookups and PLAIN checks, binds and unbinds, stanzas to route, and what
 * comes back (AUTH_RESP, BIND_RESP, DELIVER, KICK). A request goes to the
 * shard that owns the user, hash(bare JID) % shards (lib/jid); a stanza to
 * the shard that owns its recipient.
 *
 * Without sb-control, logins and binds are refused with a stream error and
 * stanzas get a type='wait' error back (RFC 6120 §8.3.2): the connection
 * stays up and the client retries. A full ring pauses the connection's
 * input until the stanza fits (sb_xmpp_turn retries).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xconn.h"

static unsigned ring_shard_of(const struct sb_worker *w, const char *bare, size_t len)
{
	return (unsigned)(sb_jid_bare_hash_str(bare, len) % w->n_shards);
}

static struct sb_msg *ring_msg(struct sb_worker *w, const struct sb_xconn *x,
			       enum sb_msg_kind kind)
{
	struct sb_msg *m = w->msg_ops.alloc(w->msg_ops.arg);

	if (m == NULL) {
		SB_CTR_INC(w, msg_alloc_fail);
		return NULL;
	}
	sb_msg_encode(m, kind, w->index, 0, 0, ++w->hb_seq, rte_rdtsc());
	m->conn = sb_xconn_handle(x);
	m->conn_gen = x->gen;
	return m;
}

/* Send or give up: the caller's fallback runs when 0 is not returned. */
static int ring_send(struct sb_worker *w, unsigned shard, struct sb_msg *m)
{
	int rc = sb_ctl_link_send(w, shard, m, rte_rdtsc());

	if (rc < 0) {
		SB_CTR_INC(w, xmpp_ctl_unavailable);
		sb_msg_free_chain(m, &w->msg_ops);
	}
	return rc;
}

static void ring_refuse(struct sb_worker *w, struct sb_xconn *x)
{
	sb_xconn_act(w, x, sb_c2s_shutdown(&x->c2s, &w->xmpp->env,
					   SB_C2S_SERR_RESOURCE_CONSTRAINT));
}

void sb_xconn_auth_request(struct sb_worker *w, struct sb_xconn *x, bool plain)
{
	const struct sb_c2s_result *res = &w->xmpp->env.res;
	struct sb_msg_auth a = {
		.mech = res->mech,
		.flags = plain ? SB_MSG_AUTH_PLAIN : 0,
		.user_len = (uint16_t)res->bare_len,
		.pass_len = plain ? (uint16_t)res->passwd_len : 0,
	};
	struct sb_msg *m = ring_msg(w, x, SB_MSG_AUTH_REQ);

	if (m == NULL || sizeof(a) + a.user_len + a.pass_len > SB_MSG_PAYLOAD_MAX) {
		if (m != NULL)
			sb_msg_free_chain(m, &w->msg_ops);
		ring_refuse(w, x);
		return;
	}
	memcpy(m->payload, &a, sizeof(a));
	memcpy(m->payload + sizeof(a), res->bare, a.user_len);
	if (plain)
		memcpy(m->payload + sizeof(a) + a.user_len, res->passwd, a.pass_len);
	m->len = m->total_len = (uint32_t)(sizeof(a) + a.user_len + a.pass_len);
	if (ring_send(w, ring_shard_of(w, res->bare, res->bare_len), m) < 0)
		ring_refuse(w, x);
}

/* A JID message (BIND_REQ, UNBIND) for x's JID. */
static struct sb_msg *ring_jid_msg(struct sb_worker *w, const struct sb_xconn *x,
				   enum sb_msg_kind kind, const char *jid, size_t len,
				   size_t bare_len)
{
	struct sb_msg *m = ring_msg(w, x, kind);
	struct sb_msg_jid j = { .len = (uint16_t)len, .bare_len = (uint16_t)bare_len };

	if (m == NULL)
		return NULL;
	memcpy(m->payload, &j, sizeof(j));
	memcpy(m->payload + sizeof(j), jid, len);
	m->len = m->total_len = (uint32_t)(sizeof(j) + len);
	return m;
}

void sb_xconn_bind_request(struct sb_worker *w, struct sb_xconn *x)
{
	struct sb_xmpp_worker *xw = w->xmpp;
	const struct sb_c2s_result *res = &xw->env.res;
	const char *slash = memchr(res->jid, '/', res->jid_len);
	size_t bare_len = slash ? (size_t)(slash - res->jid) : res->jid_len;
	struct sb_msg *m;

	if (res->jid_len >= SB_XCONN_JID_MAX) {
		SB_CTR_INC(w, xmpp_jid_too_long);
		sb_xconn_act(w, x, sb_c2s_bind_result(&x->c2s, &xw->env, SB_C2S_BIND_NOT_ALLOWED,
						      NULL, 0));
		return;
	}
	if (x->jid == NULL && rte_mempool_get(xw->jid_pool, (void **)&x->jid) != 0) {
		x->jid = NULL;
		ring_refuse(w, x);
		return;
	}
	memcpy(x->jid, res->jid, res->jid_len);
	x->jid[res->jid_len] = '\0';
	m = ring_jid_msg(w, x, SB_MSG_BIND_REQ, x->jid, res->jid_len, bare_len);
	if (m == NULL || ring_send(w, ring_shard_of(w, x->jid, bare_len), m) < 0)
		ring_refuse(w, x);
}

void sb_xconn_unbind(struct sb_worker *w, struct sb_xconn *x)
{
	/* The bound JID is ours (x->jid), whatever state the stream is in. */
	const char *jid = x->jid;
	size_t len = strlen(jid);
	const char *slash = memchr(jid, '/', len);
	size_t bare_len = slash ? (size_t)(slash - jid) : len;
	struct sb_msg *m;

	m = ring_jid_msg(w, x, SB_MSG_UNBIND, jid, len, bare_len);
	/* Without sb-control the replay of the next one leaves this out. */
	if (m != NULL)
		ring_send(w, ring_shard_of(w, jid, bare_len), m);
}

/* Replay a bound session to a new sb-control. -ENOBUFS: try again later. */
int sb_xconn_replay(struct sb_worker *w, struct sb_xconn *x)
{
	size_t len, bare_len;
	const char *jid = sb_c2s_full_jid(&x->c2s, &len);
	struct sb_msg *m;
	int rc;

	sb_c2s_bare_jid(&x->c2s, &bare_len);
	m = ring_jid_msg(w, x, SB_MSG_BIND_REQ, jid, len, bare_len);
	if (m == NULL)
		return -ENOBUFS;
	m->flags |= SB_MSG_F_REPLAY;
	if (x->flags & SB_XC_F_AVAILABLE)
		((struct sb_msg_jid *)m->payload)->flags |= SB_MSG_JID_AVAILABLE;
	rc = sb_ctl_link_send(w, ring_shard_of(w, jid, bare_len), m, rte_rdtsc());
	if (rc < 0)
		sb_msg_free_chain(m, &w->msg_ops);
	return rc;
}
