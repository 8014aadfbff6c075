/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The IM core's plumbing: set-up, the inter-shard rings (one SPSC ring of
 * (chain, operation) per ordered pair of shards, drained in bounded bursts
 * each loop turn; a full ring parks in an in-order backlog that grows, as
 * the router's delivery backlog does), stanza chains built here, and the
 * inbound dispatcher. Work for this shard's own users that other work
 * produces goes through the same queue (the self backlog), so handlers
 * never nest and the shard's working buffers are never in use twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fifo.h"
#include "im.h"
#include "im_priv.h"
#include "router.h"
#include "shard.h"

const char *const sb_im_ctr_names[SB_IM_CTR_MAX] = {
#define SB_IM_CTR(name, help) [SB_IM_CTR_##name] = #name,
#include "im_counters.def"
#undef SB_IM_CTR
};

#define XRING_SIZE 4096u
#define XBURST 64u

int sb_im_init(struct sb_im *im, const struct sb_im_limits *lim, uint64_t max_stanza_bytes)
{
	memset(im, 0, sizeof(*im));
	im->lim = *lim;
	/* A stanza plus what is added to it: to, from, a delay stamp. */
	im->buf_cap = (size_t)max_stanza_bytes + 4u * SB_MSG_JID_MAX + 1024u;
	im->buf = malloc(im->buf_cap);
	im->obuf = malloc(im->buf_cap);
	im->hbuf = malloc(im->buf_cap);
	im->batch = calloc(lim->commit_batch, sizeof(im->batch[0]));
	im->pbuf_cap = SB_IM_PUSH_OUT_MAX;
	im->pbuf = malloc(im->pbuf_cap + im->buf_cap);
	if (im->buf == NULL || im->obuf == NULL || im->hbuf == NULL || im->batch == NULL ||
	    im->pbuf == NULL)
		return -ENOMEM;
	return im_mam_init(im);
}

int sb_im_connect(struct sb_shard *shards, unsigned n)
{
	for (unsigned d = 0; d < n; d++) {
		struct sb_im *im = &shards[d].router.im;

		im->peers = shards;
		im->n_shards = n;
		for (unsigned s = 0; s < n; s++) {
			if (s == d)
				continue;
			im->in[s] = calloc(1, sizeof(struct sb_im_xring) +
						      XRING_SIZE * sizeof(struct sb_im_xslot));
			if (im->in[s] == NULL)
				return -ENOMEM;
			im->in[s]->mask = XRING_SIZE - 1;
		}
	}
	return 0;
}

static bool xring_put(struct sb_im_xring *x, struct sb_msg *m, uint32_t op)
{
	uint32_t t = x->tail, h = __atomic_load_n(&x->head, __ATOMIC_ACQUIRE);

	if (t - h > x->mask)
		return false;
	x->slot[t & x->mask] = (struct sb_im_xslot){ .m = m, .op = op };
	__atomic_store_n(&x->tail, t + 1, __ATOMIC_RELEASE);
	return true;
}

static bool xring_get(struct sb_im_xring *x, struct sb_im_xslot *out)
{
	uint32_t h = x->head, t = __atomic_load_n(&x->tail, __ATOMIC_ACQUIRE);

	if (h == t)
		return false;
	*out = x->slot[h & x->mask];
	__atomic_store_n(&x->head, h + 1, __ATOMIC_RELEASE);
	return true;
}

static int xbacklog_push(struct sb_im_xbacklog *b, struct sb_msg *m, uint32_t op)
{
	if (b->n == b->cap) {
		void *q = b->q;

		if (sb_ctl_fifo_grow(&q, sizeof(b->q[0]), &b->head, b->n, &b->cap,
				     b->cap ? b->cap * 2 : 64) < 0)
			return -ENOMEM;
		b->q = q;
	}
	b->q[(b->head + b->n) % b->cap] = (struct sb_im_xslot){ .m = m, .op = op };
	b->n++;
	return 0;
}

/* Hand (m, op) to shard d: its ring, behind anything parked for it. */
void im_xsend(struct sb_shard *sh, unsigned d, struct sb_msg *m, uint32_t op)
{
	struct sb_im *im = &sh->router.im;
	struct sb_im_xbacklog *b = &im->out[d];

	if (d != sh->index) {
		SB_IM_INC(im, xshard_out);
		if (b->n == 0 && xring_put(im->peers[d].router.im.in[sh->index], m, op))
			return;
		SB_IM_INC(im, xshard_backlogged);
	}
	if (xbacklog_push(b, m, op) < 0) {
		SB_IM_INC(im, pool_empty);
		sb_msg_free_chain(m, &sh->router.pool);
		return;
	}
	im->out_total++;
}

unsigned im_bare_shard(const struct sb_shard *sh, const char *bare, size_t len)
{
	return (unsigned)(sb_jid_bare_hash_str(bare, len) % sh->router.im.n_shards);
}

static void im_dispatch(struct sb_shard *sh, struct sb_msg *m, uint32_t op)
{
	if (op == SB_IM_X_OUTBOUND)
		im_sub_outbound(sh, m);
	else if (op == SB_IM_X_BROADCAST)
		im_broadcast_in(sh, m);
	else if (op == SB_IM_X_BLOCKSYNC)
		im_block_sync_in(sh, m);
	else if (op == SB_IM_X_DIRECTED)
		im_directed_in(sh, m);
	else if (op == SB_IM_X_SENT)
		im_msg_sent(sh, m);
	else if (op == SB_IM_X_PEPEV)
		im_pep_event_in(sh, m);
	else if (op == SB_IM_X_PEPLAST)
		im_pep_last_in(sh, m);
	else
		sb_im_inbound(sh, m);
}

/* The self queue and what other shards' rings did not take. */
static unsigned im_flush(struct sb_shard *sh)
{
	struct sb_im *im = &sh->router.im;
	unsigned done = 0;

	for (unsigned d = 0; d < im->n_shards && im->out_total > 0; d++) {
		struct sb_im_xbacklog *b = &im->out[d];
		uint32_t n = d == sh->index ? b->n : UINT32_MAX; /* self: what is there now */

		while (b->n > 0 && n-- > 0 && done < XBURST) {
			struct sb_im_xslot x = b->q[b->head];

			if (d != sh->index &&
			    !xring_put(im->peers[d].router.im.in[sh->index], x.m, x.op))
				break;
			b->head = (b->head + 1) % b->cap;
			b->n--;
			im->out_total--;
			done++;
			if (d == sh->index)
				im_dispatch(sh, x.m, x.op);
		}
	}
	return done;
}

unsigned sb_im_poll(struct sb_shard *sh, uint64_t now_tsc)
{
	struct sb_im *im = &sh->router.im;
	unsigned done = 0;

	for (unsigned s = 0; s < im->n_shards; s++) {
		struct sb_im_xslot x;
		unsigned n = 0;

		if (im->in[s] == NULL)
			continue;
		while (n < XBURST && xring_get(im->in[s], &x)) {
			SB_IM_INC(im, xshard_in);
			im_dispatch(sh, x.m, x.op);
			n++;
		}
		done += n;
	}
	if (im->out_total > 0)
		done += im_flush(sh);
	if (im->batch_n > 0 && (now_tsc >= im->batch_deadline_tsc))
		sb_im_offline_commit(sh);
	im_mam_poll(sh, now_tsc);
	return done;
}

void sb_im_send_inbound(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_msg_stanza st;
	char bare[SB_ROUTE_JID_MAX];

	if (sb_msg_stanza_read(m, &st) < 0 || st.to_bare_len == 0) {
		sb_msg_free_chain(m, &sh->router.pool);
		return;
	}
	sb_msg_read(m, sizeof(st), bare, st.to_bare_len);
	m->kind = SB_MSG_STANZA;
	im_xsend(sh, im_bare_shard(sh, bare, st.to_bare_len), m, SB_IM_X_INBOUND);
}

/* A new chain of kind with header st (lengths filled here), to, from and
 * bytes. NULL when the pool is empty (counted). */
struct sb_msg *im_chain(struct sb_shard *sh, enum sb_msg_kind kind, uint8_t skind, uint8_t type,
			const char *to, size_t to_len, size_t to_bare_len, const char *from,
			size_t from_len, size_t from_bare_len, const void *bytes, size_t n)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_stanza st = {
		.kind = skind,
		.type = type,
		.to_len = (uint16_t)to_len,
		.to_bare_len = (uint16_t)to_bare_len,
		.from_len = (uint16_t)from_len,
		.from_bare_len = (uint16_t)from_bare_len,
		.bytes_len = (uint32_t)n,
	};
	struct sb_msg *m = r->pool.alloc(r->pool.arg);

	if (m == NULL) {
		SB_IM_INC(&r->im, pool_empty);
		return NULL;
	}
	sb_msg_encode(m, kind, 0, sh->index, 0, 0, 0);
	m->owner = SB_MSG_OWNER_CONTROL;
	if (sb_msg_append(m, &st, sizeof(st), &r->pool) < 0 ||
	    sb_msg_append(m, to, to_len, &r->pool) < 0 ||
	    sb_msg_append(m, from, from_len, &r->pool) < 0 ||
	    sb_msg_append(m, bytes, n, &r->pool) < 0) {
		SB_IM_INC(&r->im, pool_empty);
		sb_msg_free_chain(m, &r->pool);
		return NULL;
	}
	return m;
}

struct sb_msg *im_rechain(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in,
			  const char *b, size_t n)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_stanza st = in->st;
	struct sb_msg *c = r->pool.alloc(r->pool.arg);

	if (c == NULL)
		return NULL;
	sb_msg_encode(c, SB_MSG_STANZA, m->worker, m->shard, 0, m->seq, m->t0_tsc);
	c->owner = SB_MSG_OWNER_CONTROL;
	c->flags = m->flags;
	c->conn = m->conn;
	c->conn_gen = m->conn_gen;
	st.bytes_len = (uint32_t)n;
	if (sb_msg_append(c, &st, sizeof(st), &r->pool) < 0 ||
	    sb_msg_append(c, in->to, in->st.to_len, &r->pool) < 0 ||
	    sb_msg_append(c, in->from, in->st.from_len, &r->pool) < 0 ||
	    sb_msg_append(c, b, n, &r->pool) < 0) {
		sb_msg_free_chain(c, &r->pool);
		return NULL;
	}
	return c;
}

/* Deliver bytes to session s, with header to = s's JID. */
void im_deliver_bytes(struct sb_shard *sh, const struct sb_session *s, uint8_t skind, uint8_t type,
		      const char *from, size_t from_len, size_t from_bare_len, const void *bytes,
		      size_t n)
{
	struct sb_msg *m = im_chain(sh, SB_MSG_DELIVER, skind, type, s->jid, s->jid_len,
				    s->bare_len, from, from_len, from_bare_len, bytes, n);

	if (m != NULL)
		sb_router_deliver(sh, m, s);
}

/* Reply to the sender of m (the session that sent it) with bytes. */
void im_reply(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in,
	      const void *bytes, size_t n)
{
	struct sb_msg *e = im_chain(sh, SB_MSG_DELIVER, in->st.kind, SB_STYPE_RESULT, in->from,
				    in->st.from_len, in->st.from_bare_len, sh->router.domain,
				    sh->router.domain_len, sh->router.domain_len, bytes, n);

	if (e == NULL)
		return;
	e->worker = m->worker;
	e->conn = m->conn;
	e->conn_gen = m->conn_gen;
	sb_router_send(sh, m->worker, e);
}

void im_result_open(struct imx_out *o, const struct sb_route_in *in)
{
	imx_puts(o, "<iq type='result'");
	if (in->st.to_len > 0)
		imx_attr_put(o, "from", in->to, in->st.to_len);
	imx_attr_put(o, "to", in->from, in->st.from_len);
	imx_raw_attr_put(o, "id", in->id, in->st.id_len);
}

/* The stanza bytes of m copied into im->buf; their length, or -E2BIG. */
ssize_t im_bytes(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_im *im = &sh->router.im;

	if (in->st.bytes_len >= im->buf_cap)
		return -E2BIG;
	sb_msg_read(m, sb_msg_stanza_bytes_off(&in->st), im->buf, in->st.bytes_len);
	im->buf[in->st.bytes_len] = '\0';
	return (ssize_t)in->st.bytes_len;
}

/* The bytes b[0..n) with " to='to'" inserted after the element name. */
size_t im_to_off(const char *b, size_t n)
{
	size_t i = 1;

	while (i < n && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' &&
	       b[i] != '>' && b[i] != '/')
		i++;
	return i;
}

void im_put_with_to(struct imx_out *o, const char *b, size_t n, const char *to, size_t to_len)
{
	size_t i = im_to_off(b, n);

	imx_put(o, b, i);
	imx_attr_put(o, "to", to, to_len);
	imx_put(o, b + i, n - i);
}

void sb_im_inbound(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_route_in *in = &r->in;

	if (sb_router_parse(m, in) < 0) {
		SB_ROUTE_INC(r, malformed);
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	if (in->st.kind != SB_STANZA_PRESENCE || im_block_in_drop(sh, in)) {
		sb_msg_free_chain(m, &r->pool);
		return;
	}
	switch (in->st.type) {
	case SB_STYPE_SUBSCRIBE:
	case SB_STYPE_SUBSCRIBED:
	case SB_STYPE_UNSUBSCRIBE:
	case SB_STYPE_UNSUBSCRIBED:
		im_sub_inbound(sh, m, in);
		return;
	case SB_STYPE_PROBE:
		im_probe_inbound(sh, m, in);
		return;
	default:
		im_presence_inbound(sh, m, in);
		return;
	}
}
