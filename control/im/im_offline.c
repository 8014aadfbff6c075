/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Offline messages (XEP-0160, RFC 6121 §8.5.2.2): a chat or normal message
 * (or one of an unknown type, §5.2.2) for an existing user with no
 * available resource is stored with an XEP-0203 <delay/> and delivered in
 * order to the first resource that sends initial presence with a
 * non-negative priority, then deleted; groupchat is answered
 * service-unavailable, headline and error are dropped (§8.5.2.2.1).
 *
 * Group commit. Messages wait in the shard's batch until it holds
 * im.offline_commit_batch of them or the oldest has waited
 * im.offline_commit_us; one kv_write (one fsync) then stores them all.
 *
 * Durability. The sender's stanza is acknowledged to its TCP stack when
 * the dataplane reads it, before it reaches here. A message stays in its
 * chain of shared-pool objects, tagged as held by sb-control, until the
 * commit that stores it has returned (fsync done); only then are the
 * objects freed. A SIGKILLed sb-control therefore leaves every message
 * that was not yet stored in the shared pool, and the next sb-control
 * routes those chains again before anything else (control/attach.c,
 * offline_recovered): such a message is delivered or stored. The
 * guarantee holds while sb-dataplane (which owns the pool) lives; a
 * message committed but not yet freed when the kill came is stored a
 * second time (at least once, not exactly once, for that window of
 * microseconds).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "im_priv.h"
#include "router.h"
#include "shard.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* XEP-0082 DateTime in UTC with milliseconds. */
static void put_stamp(struct imx_out *o, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;
	char s[64];

	gmtime_r(&t, &tm);
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ms % 1000u));
	imx_puts(o, s);
}

/* The message bytes with <delay/> (XEP-0203 §4) added as the last child. */
static void put_delayed(struct sb_shard *sh, struct imx_out *o, const char *b, size_t n,
			uint64_t ms)
{
	struct imx_el el;
	size_t cs, ce;

	if (imx_open(&el, (const uint8_t *)b, n) < 0) {
		o->over = true;
		return;
	}
	imx_content(&el, &cs, &ce);
	if (el.empty) {
		imx_put(o, b, el.stag_end - 2); /* without "/>" */
		imx_puts(o, ">");
	} else {
		imx_put(o, b, ce);
	}
	imx_puts(o, "<delay xmlns='urn:xmpp:delay'");
	imx_attr_put(o, "from", sh->router.domain, sh->router.domain_len);
	imx_puts(o, " stamp='");
	put_stamp(o, ms);
	imx_puts(o, "'/>");
	if (el.empty) {
		imx_puts(o, "</");
		imx_put(o, b + 1, el.name_len);
		imx_puts(o, ">");
	} else {
		imx_put(o, b + ce, n - ce);
	}
}

/* Messages of bare in the batch, and the highest seq among them. */
static uint32_t batch_count(const struct sb_im *im, const char *bare, size_t len, uint64_t *last)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < im->batch_n; i++) {
		const struct sb_im_pending *p = &im->batch[i];

		if (p->key_len == len + 9 && memcmp(p->rec, bare, len) == 0 && p->rec[len] == 0) {
			n++;
			if (p->seq > *last)
				*last = p->seq;
		}
	}
	return n;
}

static int offline_queue(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	const char *bare = in->to;
	size_t len = in->st.to_bare_len;
	uint64_t last = 0, ms = now_ms();
	uint32_t n = 0;
	struct sb_offline_msg om;
	struct sb_im_pending *p;
	ssize_t bn;
	int rc;

	if (im->batch_n >= im->lim.commit_batch)
		return -ENOBUFS; /* the store refuses commits: nothing more is taken */
	rc = sb_store_offline_count(sh->router.store, bare, len, im->lim.offline_quota, &n, &last);
	if (rc < 0)
		return rc;
	n += batch_count(im, bare, len, &last);
	if (n >= im->lim.offline_quota)
		return -EDQUOT;
	bn = im_bytes(sh, m, in);
	if (bn < 0)
		return (int)bn;
	put_delayed(sh, &o, im->buf, (size_t)bn, ms);
	if (o.over)
		return -E2BIG;
	om = (struct sb_offline_msg){
		.stamp_ms = ms,
		.kind = in->st.kind,
		.type = in->st.type,
		.from_len = in->st.from_len,
		.from_bare_len = in->st.from_bare_len,
		.from = in->from,
		.bytes = (const uint8_t *)o.p,
		.bytes_len = o.len,
	};
	p = &im->batch[im->batch_n];
	p->rec = malloc(len + 9 + SB_OFFLINE_HDR_LEN + om.from_len + om.bytes_len);
	if (p->rec == NULL)
		return -ENOMEM;
	p->seq = last + 1;
	p->key_len = (uint32_t)sb_offline_key(p->rec, len + 9, bare, len, p->seq);
	p->rec_len = (uint32_t)sb_offline_pack(&om, p->rec + p->key_len,
					       SB_OFFLINE_HDR_LEN + om.from_len + om.bytes_len);
	if (p->key_len == 0 || p->rec_len == 0) {
		free(p->rec);
		return -ENAMETOOLONG;
	}
	/* The chain is kept, not freed, until the commit (durability). */
	p->m = m;
	if (im->batch_n++ == 0)
		im->batch_deadline_tsc = rte_rdtsc() + im->lim.commit_tsc;
	SB_IM_INC(im, offline_queued);
	im_push_notify(sh, bare, len, in->from, in->st.from_len, im->buf, (size_t)bn, n + 1);
	return 0;
}

void sb_im_offline(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	int rc;

	switch (in->st.type) {
	case SB_STYPE_ERROR:
	case SB_STYPE_HEADLINE:
		SB_IM_INC(im, offline_dropped);
		goto free;
	case SB_STYPE_GROUPCHAT:
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
		goto free;
	default:
		break;
	}
	rc = sb_store_user_exists(r->store, in->to, in->st.to_bare_len);
	if (rc == 0 || im->lim.offline_quota == 0) {
		SB_IM_INC(im, offline_no_user);
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
		goto free;
	}
	rc = offline_queue(sh, m, in);
	if (rc == 0) {
		sb_promise_keep(&r->pr, m); /* XEP-0198: owed at the commit */
		if (im->batch_n >= im->lim.commit_batch)
			sb_im_offline_commit(sh);
		return;
	}
	if (rc == -EDQUOT) {
		SB_IM_INC(im, offline_quota);
		sb_router_error(sh, in, "wait", "resource-constraint",
				SB_ROUTE_CTR_err_unavailable);
	} else {
		SB_IM_INC(im, offline_failed);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
	}
free:
	sb_msg_free_chain(m, &r->pool);
}

void sb_im_offline_commit(struct sb_shard *sh)
{
	struct sb_router *r = &sh->router;
	struct sb_im *im = &r->im;
	struct sb_store_op *ops;
	uint32_t n = im->batch_n, na = im_mam_pending(im);
	int rc = -ENOMEM;

	if (n + na == 0)
		return;
	/* Archive records ride the same transaction (im_mam.c). */
	ops = malloc((n + na) * sizeof(*ops));
	if (ops != NULL) {
		for (uint32_t i = 0; i < n; i++) {
			struct sb_im_pending *p = &im->batch[i];

			ops[i] = (struct sb_store_op){ .kind = SB_STORE_OFFLINE,
						       .key = p->rec,
						       .klen = p->key_len,
						       .val = p->rec + p->key_len,
						       .vlen = p->rec_len };
		}
		im_mam_ops(im, ops + n);
		/* All of the batch belongs to this shard's users. */
		rc = r->store->ops->kv_write(r->store->impl, sh->index % r->store->n_shards, ops,
					     n + na);
		free(ops);
	}
	if (rc < 0) {
		/* Kept for the next turn: a full map may be an operator's
		 * fix away, and dropping would break the guarantee. */
		SB_IM_INC(im, store_errors);
		im->batch_deadline_tsc = rte_rdtsc() + im->lim.commit_tsc * 64u;
		if (im->ctr[SB_IM_CTR_store_errors] % 1024u == 1u)
			fprintf(stderr, "sb-control: shard %u offline commit of %u messages: %s "
					"(retrying)\n", sh->index, n, strerror(-rc));
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		sb_promise_fulfil(sh, im->batch[i].m);
		sb_msg_free_chain(im->batch[i].m, &r->pool);
		free(im->batch[i].rec);
	}
	im->batch_n = 0;
	im_mam_committed(im);
	im->ctr[SB_IM_CTR_offline_stored] += n;
	SB_IM_INC(im, offline_commits);
}

struct deliver_ctx {
	struct sb_shard *sh;
	const struct sb_session *s;
	uint64_t last;
};

/* One stored message on its way; when no chain can be built for it (the
 * message pool is dry) the walk stops there and it and the rest stay
 * stored for the session's next available presence: never purged unsent. */
static int offline_one(void *arg, const struct sb_offline_msg *om)
{
	struct deliver_ctx *d = arg;
	struct sb_msg *m = im_chain(d->sh, SB_MSG_DELIVER, om->kind, om->type, d->s->jid,
				    d->s->jid_len, d->s->bare_len, om->from, om->from_len,
				    om->from_bare_len, om->bytes, om->bytes_len);

	if (m == NULL) {
		SB_IM_INC(&d->sh->router.im, offline_deferred);
		return 1;
	}
	sb_router_deliver(d->sh, m, d->s);
	SB_IM_INC(&d->sh->router.im, offline_delivered);
	d->last = om->seq;
	return 0;
}

void im_offline_deliver(struct sb_shard *sh, const struct sb_session *s)
{
	struct sb_im *im = &sh->router.im;
	struct deliver_ctx d = { .sh = sh, .s = s };
	int n;

	/* Messages still in the batch are stored first, so order holds. */
	if (im->batch_n > 0)
		sb_im_offline_commit(sh);
	n = sb_store_offline_list(sh->router.store, s->jid, s->bare_len,
				  im->lim.offline_quota + 1u, offline_one, &d);
	if (n <= 0 || d.last == 0)
		return;
	/* Each message once: deleted as soon as it is on its way. */
	while (sb_store_offline_purge(sh->router.store, s->jid, s->bare_len, d.last,
				      UINT32_MAX) > 0)
		;
}
