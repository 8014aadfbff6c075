/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The message archive (XEP-0313 v1.1, urn:xmpp:mam:2 and #extended) of a
 * shard's users: records queued for the shard's group commit (the one
 * offline messages ride, im_offline.c: one transaction and one fsync for
 * both), and the queries of a user's own archive answered from the store
 * (store/store_mam.h): the form's with/start/end/after-id/before-id/ids,
 * XEP-0059 paging both ways with <flip-page/>, results as
 * <message><result><forwarded><delay/>…, then <fin> with <set>.
 *
 * Bounded work: a page is at most im.mam_page_max results; a page's scan
 * and the <count/> scan visit at most im.mam_count_max records (a `with`
 * filter that matches rarely in a large archive ends the page early, not
 * complete, and <count/> is left out past the bound).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "im_mam_priv.h"
#include "im_priv.h"
#include "mam_query.h"
#include "router.h"
#include "shard.h"
#include "store_mam.h"

#define NS_RSM "http://jabber.org/protocol/rsm"
#define NS_FORWARD "urn:xmpp:forward:0"
#define PAGE_DEFAULT 50u

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t im_mam_next_ord(struct sb_im *im)
{
	uint64_t t = now_us();

	/* Unique on the shard, so unique per user: never below the last. */
	im->mam->last_ord = t > im->mam->last_ord ? t : im->mam->last_ord + 1;
	return im->mam->last_ord;
}

void im_mam_expire(struct sb_shard *sh, const char *owner, size_t len)
{
	struct sb_im *im = &sh->router.im;
	uint64_t now = now_us();
	int rc;

	if (im->lim.mam_retention_us == 0 || now <= im->lim.mam_retention_us)
		return;
	rc = sb_store_mam_purge(sh->router.store, owner, len, now - im->lim.mam_retention_us,
				1024);
	if (rc > 0)
		im->ctr[SB_IM_CTR_mam_expired] += (uint64_t)rc;
	else if (rc < 0)
		SB_IM_INC(im, store_errors);
}

static const struct sb_mam_idkey *idkey(struct sb_shard *sh)
{
	struct sb_im_mam *a = sh->router.im.mam;

	if (!a->keyed) {
		sb_mam_idkey_init(&a->idkey, sh->router.store->fake_secret);
		a->keyed = true;
	}
	return &a->idkey;
}

void im_mam_id(struct sb_shard *sh, const char *owner, size_t len, uint64_t ord, char out[17])
{
	sb_mam_id_str(sb_mam_id_of(idkey(sh), owner, len, ord), out);
}

/* Write a message as a forwarded child: it needs its own namespace there,
 * since <forwarded/> changes the default one (XEP-0297 §3). */
void im_put_inner(struct imx_out *o, const char *b, size_t n)
{
	struct imx_el el;
	const uint8_t *v;
	size_t vl, i = im_to_off(b, n);

	if (imx_open(&el, (const uint8_t *)b, n) == 0 && imx_attr(&el, "xmlns", &v, &vl)) {
		imx_put(o, b, n);
		return;
	}
	imx_put(o, b, i);
	imx_puts(o, " xmlns='" IM_NS_CLIENT "'");
	imx_put(o, b + i, n - i);
}

/* A DELIVER of bytes (a message, or the fin iq) to the querying session. */
static void mam_send(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in,
		     uint8_t kind, const char *bytes, size_t n)
{
	struct sb_msg *e = im_chain(sh, SB_MSG_DELIVER, kind,
				    kind == SB_STANZA_IQ ? SB_STYPE_RESULT : SB_STYPE_NORMAL,
				    in->from, in->st.from_len, in->st.from_bare_len, in->from,
				    in->st.from_bare_len, in->st.from_bare_len, bytes, n);

	if (e == NULL)
		return;
	e->worker = m->worker;
	e->conn = m->conn;
	e->conn_gen = m->conn_gen;
	sb_router_send(sh, m->worker, e);
}

struct mam_run {
	struct sb_shard *sh;
	const struct sb_msg *m;
	const struct sb_route_in *in;
	const struct sb_mam_query *q;
	uint64_t *ords;       /* a page's ords as scanned */
	uint32_t n, want;     /* collected, page size + 1 */
	uint64_t count, before_first;
	uint64_t first_ord;
};

static bool mam_match(const struct sb_mam_query *q, const struct sb_mam_rec *r)
{
	size_t bl;
	const char *b;

	if (!q->has_with)
		return true;
	if (q->with.resource_len == 0) {
		b = sb_jid_bare(&q->with, &bl);
		return r->with_bare_len == bl && memcmp(r->with, b, bl) == 0;
	}
	return r->with_len == q->with.full_len && memcmp(r->with, q->with.buf, r->with_len) == 0;
}

static int mam_collect(void *arg, const struct sb_mam_rec *r)
{
	struct mam_run *run = arg;

	if (!mam_match(run->q, r))
		return 0;
	run->ords[run->n++] = r->ord;
	return run->n == run->want;
}

static int mam_counted(void *arg, const struct sb_mam_rec *r)
{
	struct mam_run *run = arg;

	if (mam_match(run->q, r)) {
		run->count++;
		run->before_first += r->ord < run->first_ord;
	}
	return 0;
}

/* The index entries of the peer's bare JID; a full JID is compared here. */
static bool with_match(const struct sb_mam_query *q, const char *with, size_t wlen)
{
	return q->with.resource_len == 0 ||
	       (wlen == q->with.full_len && memcmp(with, q->with.buf, wlen) == 0);
}

static int mam_with_collect(void *arg, uint64_t ord, const char *with, size_t wlen)
{
	struct mam_run *run = arg;

	if (!with_match(run->q, with, wlen))
		return 0;
	run->ords[run->n++] = ord;
	return run->n == run->want;
}

static int mam_with_counted(void *arg, uint64_t ord, const char *with, size_t wlen)
{
	struct mam_run *run = arg;

	if (with_match(run->q, with, wlen)) {
		run->count++;
		run->before_first += ord < run->first_ord;
	}
	return 0;
}

/* Scan [lo, hi] of the archive, or of the `with` index when the query has
 * one, with visitor a (archive) or b (index); records visited. */
static int mam_scan(struct sb_shard *sh, struct mam_run *run, uint64_t lo, uint64_t hi,
		    bool back, sb_mam_fn a, sb_mam_with_fn b)
{
	const struct sb_mam_query *q = run->q;
	const char *wb;
	size_t wl;

	if (!q->has_with)
		return sb_store_mam_range(sh->router.store, run->in->from,
					  run->in->st.from_bare_len, lo, hi, back,
					  sh->router.im.lim.mam_count_max, a, run);
	wb = sb_jid_bare(&q->with, &wl);
	return sb_store_mam_with_range(sh->router.store, run->in->from, run->in->st.from_bare_len,
				       wb, wl, lo, hi, back, sh->router.im.lim.mam_count_max, b,
				       run);
}

static int mam_found(void *arg, const struct sb_mam_rec *r)
{
	(void)arg;
	(void)r;
	return 0;
}

/* One result message (XEP-0313 §4.2) for record r. */
static int mam_result(void *arg, const struct sb_mam_rec *r)
{
	struct mam_run *run = arg;
	struct sb_shard *sh = run->sh;
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	char id[17], stamp[32];

	im_mam_id(sh, run->in->from, run->in->st.from_bare_len, r->ord, id);
	sb_mam_time_str(r->ord, stamp);
	imx_puts(&o, "<message");
	imx_attr_put(&o, "to", run->in->from, run->in->st.from_len);
	imx_attr_put(&o, "from", run->in->from, run->in->st.from_bare_len);
	imx_puts(&o, "><result xmlns='" SB_MAM_NS "'");
	if (run->q->queryid != NULL)
		imx_raw_attr_put(&o, "queryid", run->q->queryid, run->q->queryid_len);
	imx_puts(&o, " id='");
	imx_puts(&o, id);
	imx_puts(&o, "'><forwarded xmlns='" NS_FORWARD "'><delay xmlns='urn:xmpp:delay' stamp='");
	imx_puts(&o, stamp);
	imx_puts(&o, "'/>");
	im_put_inner(&o, (const char *)r->bytes, r->bytes_len);
	imx_puts(&o, "</forwarded></result></message>");
	if (o.over) {
		SB_IM_INC(im, mam_dropped);
		return 0;
	}
	mam_send(sh, run->m, run->in, SB_STANZA_MESSAGE, o.p, o.len);
	SB_IM_INC(im, mam_results);
	return 0;
}

/* The ord of a public id, if owner's archive holds it. */
static bool mam_known(struct sb_shard *sh, const char *owner, size_t len, uint64_t id,
		      uint64_t *ord)
{
	*ord = sb_mam_ord_of(idkey(sh), owner, len, id);
	return sb_store_mam_get(sh->router.store, owner, len, *ord, mam_found, NULL) == 0;
}

static void put_id_el(struct imx_out *o, const char *el, const char *id, const char *attr)
{
	imx_puts(o, "<");
	imx_puts(o, el);
	if (attr != NULL)
		imx_puts(o, attr);
	imx_puts(o, ">");
	imx_puts(o, id);
	imx_puts(o, "</");
	imx_puts(o, el);
	imx_puts(o, ">");
}

static void mam_fin(struct mam_run *run, const uint64_t *page, uint32_t n, bool complete,
		    bool counted)
{
	struct sb_shard *sh = run->sh;
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	const char *owner = run->in->from;
	size_t olen = run->in->st.from_bare_len;
	char id[17], num[48];

	im_result_open(&o, run->in);
	imx_puts(&o, "><fin xmlns='" SB_MAM_NS "'");
	if (complete)
		imx_puts(&o, " complete='true'");
	imx_puts(&o, "><set xmlns='" NS_RSM "'>");
	if (n > 0) {
		im_mam_id(sh, owner, olen, page[0], id);
		snprintf(num, sizeof(num), " index='%llu'", (unsigned long long)run->before_first);
		put_id_el(&o, "first", id, counted && !run->q->flip ? num : NULL);
		im_mam_id(sh, owner, olen, page[n - 1], id);
		put_id_el(&o, "last", id, NULL);
	}
	if (counted) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)run->count);
		put_id_el(&o, "count", num, NULL);
	}
	imx_puts(&o, "</set></fin></iq>");
	if (!o.over)
		mam_send(sh, run->m, run->in, SB_STANZA_IQ, o.p, o.len);
}

static void reverse(uint64_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n / 2; i++) {
		uint64_t t = v[i];

		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

/* Bounds of the whole result set, the form's and retention's; false
 * when an id in the form is not in the archive. */
static bool mam_bounds(struct sb_shard *sh, const struct sb_mam_query *q, const char *owner,
		       size_t olen, uint64_t *lo, uint64_t *hi)
{
	const struct sb_im_limits *lim = &sh->router.im.lim;
	uint64_t ord, now = now_us();

	*lo = q->start_us;
	*hi = q->end_us == UINT64_MAX ? UINT64_MAX - 1 : q->end_us;
	if (lim->mam_retention_us > 0 && now > lim->mam_retention_us &&
	    *lo < now - lim->mam_retention_us)
		*lo = now - lim->mam_retention_us;
	if (q->has_after_id) {
		if (!mam_known(sh, owner, olen, q->after_id, &ord))
			return false;
		*lo = ord + 1 > *lo ? ord + 1 : *lo;
	}
	if (q->has_before_id) {
		if (!mam_known(sh, owner, olen, q->before_id, &ord))
			return false;
		*hi = ord - 1 < *hi ? ord - 1 : *hi;
	}
	return true;
}

static void mam_query(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in,
		      const struct sb_mam_query *q)
{
	struct sb_im *im = &sh->router.im;
	struct sb_store *st = sh->router.store;
	const char *owner = in->from;
	size_t olen = in->st.from_bare_len;
	uint32_t max = q->has_max ? q->max : PAGE_DEFAULT;
	struct mam_run run = { .sh = sh, .m = m, .in = in, .q = q };
	uint64_t lo, hi, plo, phi, ord;
	bool back = q->has_before, counted = false, complete;
	int rc;

	if (max > im->lim.mam_page_max)
		max = im->lim.mam_page_max;
	if (!mam_bounds(sh, q, owner, olen, &lo, &hi))
		goto not_found;
	plo = lo;
	phi = hi;
	if (q->has_after) {
		if (!mam_known(sh, owner, olen, q->after, &ord))
			goto not_found;
		plo = ord + 1 > plo ? ord + 1 : plo;
	}
	if (q->has_before && !q->before_last) {
		if (!mam_known(sh, owner, olen, q->before, &ord))
			goto not_found;
		phi = ord - 1 < phi ? ord - 1 : phi;
	}
	run.ords = malloc(((size_t)max + 1) * sizeof(run.ords[0]));
	if (run.ords == NULL) {
		sb_router_error(sh, in, "wait", "resource-constraint", SB_ROUTE_CTR_err_unavailable);
		return;
	}
	run.want = max + 1;
	rc = max == 0 ? 0 : mam_scan(sh, &run, plo, phi, back, mam_collect, mam_with_collect);
	if (rc < 0) {
		free(run.ords);
		SB_IM_INC(im, store_errors);
		sb_router_error(sh, in, "wait", "internal-server-error",
				SB_ROUTE_CTR_err_unavailable);
		return;
	}
	/* Complete: nothing is left in the paging direction (and the scan
	 * was not cut short by its bound). */
	complete = run.n < run.want && (unsigned)rc < im->lim.mam_count_max;
	if (run.n > max)
		run.n = max;
	if (back)
		reverse(run.ords, run.n);
	run.first_ord = run.n > 0 ? run.ords[0] : 0;
	rc = mam_scan(sh, &run, lo, hi, false, mam_counted, mam_with_counted);
	counted = rc >= 0 && (unsigned)rc < im->lim.mam_count_max;
	if (q->flip)
		reverse(run.ords, run.n);
	for (uint32_t i = 0; i < run.n; i++)
		sb_store_mam_get(st, owner, olen, run.ords[i], mam_result, &run);
	mam_fin(&run, run.ords, run.n, complete, counted);
	free(run.ords);
	SB_IM_INC(im, mam_queries);
	return;
not_found:
	SB_IM_INC(im, mam_not_found);
	sb_router_error(sh, in, "cancel", "item-not-found", SB_ROUTE_CTR_err_unavailable);
}

/* <query/> with the ids field (#extended): exactly those, in order. */
static void mam_query_ids(struct sb_shard *sh, const struct sb_msg *m,
			  const struct sb_route_in *in, const struct sb_mam_query *q)
{
	struct mam_run run = { .sh = sh, .m = m, .in = in, .q = q };
	uint64_t ords[SB_MAM_IDS_MAX];

	for (unsigned i = 0; i < q->n_ids; i++) {
		if (!mam_known(sh, in->from, in->st.from_bare_len, q->ids[i], &ords[i])) {
			SB_IM_INC(&sh->router.im, mam_not_found);
			sb_router_error(sh, in, "cancel", "item-not-found",
					SB_ROUTE_CTR_err_unavailable);
			return;
		}
	}
	for (unsigned i = 0; i < q->n_ids; i++)
		sb_store_mam_get(sh->router.store, in->from, in->st.from_bare_len, ords[i],
				 mam_result, &run);
	mam_fin(&run, ords, q->n_ids, true, false);
	SB_IM_INC(&sh->router.im, mam_queries);
}

static const char *const form_fields[] = { "with", "start", "end", "after-id", "before-id",
					   "ids" };

/* XEP-0313 §5.1: the fields a query form may hold. */
static void mam_form(struct imx_out *o, const struct sb_route_in *in)
{
	im_result_open(o, in);
	imx_puts(o, "><query xmlns='" SB_MAM_NS "'><x xmlns='jabber:x:data' type='form'>"
		    "<field type='hidden' var='FORM_TYPE'><value>" SB_MAM_NS "</value></field>");
	for (size_t i = 0; i < sizeof(form_fields) / sizeof(form_fields[0]); i++) {
		imx_puts(o, "<field var='");
		imx_puts(o, form_fields[i]);
		imx_puts(o, i == 0 ? "' type='jid-single'/>" :
			     i < 3 ? "' type='text-single'/>" :
			     i == 5 ? "' type='text-multi'/>" : "' type='text-single'/>");
	}
	imx_puts(o, "</x></query></iq>");
}

static int mam_edge(void *arg, const struct sb_mam_rec *r)
{
	*(uint64_t *)arg = r->ord;
	return 1;
}

/* #extended metadata (XEP-0313 §6.2): the oldest and newest records. */
static void mam_metadata(struct sb_shard *sh, struct imx_out *o, const struct sb_route_in *in)
{
	const char *owner = in->from;
	size_t olen = in->st.from_bare_len;
	uint64_t ord[2] = { 0, 0 };
	char id[17], stamp[32];

	sb_store_mam_range(sh->router.store, owner, olen, 0, UINT64_MAX - 1, false, 1, mam_edge,
			   &ord[0]);
	sb_store_mam_range(sh->router.store, owner, olen, 0, UINT64_MAX - 1, true, 1, mam_edge,
			   &ord[1]);
	im_result_open(o, in);
	imx_puts(o, "><metadata xmlns='" SB_MAM_NS "'>");
	for (unsigned i = 0; i < 2 && ord[0] != 0; i++) {
		im_mam_id(sh, owner, olen, ord[i], id);
		sb_mam_time_str(ord[i], stamp);
		imx_puts(o, i == 0 ? "<start id='" : "<end id='");
		imx_puts(o, id);
		imx_puts(o, "' timestamp='");
		imx_puts(o, stamp);
		imx_puts(o, "'/>");
	}
	imx_puts(o, "</metadata></iq>");
}

/* XEP-0441: this server archives everything with a body, so the only
 * preferences it holds are default='always' with no lists; a set asking
 * for exactly that is answered, any other feature-not-implemented. */
static void mam_prefs(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		      const struct imx_el *child, struct imx_out *o)
{
	struct imx_el c;
	size_t pos = 0;
	char def[16];
	bool lists_empty = true;

	if (in->st.type == SB_STYPE_SET) {
		while (imx_child(child, &pos, &c)) {
			struct imx_el j;
			size_t jp = 0;

			lists_empty = lists_empty && !imx_child(&c, &jp, &j);
		}
		if (imx_attr_text(child, "default", def, sizeof(def)) < 0 ||
		    strcmp(def, "always") != 0 || !lists_empty) {
			sb_router_error(sh, in, "cancel", "feature-not-implemented",
					SB_ROUTE_CTR_err_unavailable);
			return;
		}
	}
	im_result_open(o, in);
	imx_puts(o, "><prefs xmlns='" SB_MAM_NS "' default='always'><always/><never/></prefs></iq>");
	if (!o->over)
		im_reply(sh, m, in, o->p, o->len);
}

void im_mam_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
	       const struct imx_el *child)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	struct sb_mam_query *q;
	enum sb_mam_qerr e;

	if (imx_is(child, "prefs", SB_MAM_NS, NULL)) {
		mam_prefs(sh, m, in, child, &o);
		return;
	}
	if (in->st.type == SB_STYPE_GET) {
		if (imx_is(child, "metadata", SB_MAM_NS, NULL)) {
			im_mam_flush(sh);
			mam_metadata(sh, &o, in);
		} else {
			mam_form(&o, in);
		}
		if (!o.over)
			im_reply(sh, m, in, o.p, o.len);
		return;
	}
	/* Everything written before the query reads the archive. */
	im_mam_flush(sh);
	q = malloc(sizeof(*q));
	if (q == NULL) {
		sb_router_error(sh, in, "wait", "resource-constraint", SB_ROUTE_CTR_err_unavailable);
		return;
	}
	e = sb_mam_query_parse(child, q);
	if (e == SB_MAM_Q_OK && q->n_ids > 0)
		mam_query_ids(sh, m, in, q);
	else if (e == SB_MAM_Q_OK)
		mam_query(sh, m, in, q);
	else if (e == SB_MAM_Q_NOT_IMPLEMENTED)
		sb_router_error(sh, in, "cancel", "feature-not-implemented",
				SB_ROUTE_CTR_err_unavailable);
	else
		sb_router_error(sh, in, "modify", "bad-request", SB_ROUTE_CTR_err_unavailable);
	free(q);
}
