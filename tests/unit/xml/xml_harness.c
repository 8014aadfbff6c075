/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xml test harness: see xml_harness.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml_harness.h"

static void span_str(char *dst, const char *in, const struct sb_xml_span *sp)
{
	dst[0] = '\0';
	if (!(sp->flags & SB_XML_SPAN_PRESENT))
		return;
	if (sp->flags & SB_XML_SPAN_ESCAPED) {
		int n = sb_xml_value_decode((const uint8_t *)in + sp->off, sp->len, (uint8_t *)dst,
					    H_STR - 1);
		if (n < 0) {
			snprintf(dst, H_STR, "!decode%d", n);
			return;
		}
		dst[n] = '\0';
		return;
	}
	snprintf(dst, H_STR, "%.*s", (int)sp->len, in + sp->off);
}

static void ns_str(char *dst, const char *in, const struct sb_xml_ns *ns)
{
	if (ns->src == SB_XML_NS_SPAN)
		span_str(dst, in, &ns->span);
	else
		dst[0] = '\0';
}

static void record(struct h_run *r, const char *in, const struct sb_xml_event *ev)
{
	struct h_rec *e;

	/* Whitespace is reported where the chunks happen to end: only the
	 * totals are split-invariant, so only they are recorded. */
	r->ws_total += ev->ws_bytes;
	if (ev->type == SB_XML_EV_KEEPALIVE) {
		r->keepalives++;
		return;
	}
	if (r->nev >= H_EVENTS_MAX)
		abort();
	e = &r->ev[r->nev++];
	memset(e, 0, sizeof(*e));
	e->type = ev->type;
	e->start = ev->start_off;
	e->end = ev->end_off;
	if (ev->type == SB_XML_EV_STREAM_CLOSE)
		return;
	memcpy(e->name, ev->hdr->name, sizeof(e->name));
	memcpy(e->child, ev->hdr->child_name, sizeof(e->child));
	e->ns_src = ev->hdr->ns.src;
	e->child_ns_src = ev->hdr->child_ns.src;
	ns_str(e->ns, in, &ev->hdr->ns);
	ns_str(e->child_ns, in, &ev->hdr->child_ns);
	span_str(e->type_attr, in, &ev->hdr->type);
	span_str(e->to, in, &ev->hdr->to);
	span_str(e->from, in, &ev->hdr->from);
	span_str(e->id, in, &ev->hdr->id);
	span_str(e->version, in, &ev->hdr->version);
	span_str(e->lang, in, &ev->hdr->lang);
	e->id_flags = ev->hdr->id.flags;
	e->hdr_flags = ev->hdr->flags;
}

void h_feed(struct h_run *r, const char *in, size_t len, size_t chunk, size_t cut,
	    const struct sb_xml_limits *lim)
{
	struct sb_xml x;
	struct sb_xml_ctx *lcore = malloc(sizeof(*lcore)), *own = NULL;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	sb_xml_init(&x);
	while (pos < len || pos == 0) {
		size_t n = len - pos;
		size_t done = 0;

		if (chunk == SIZE_MAX)
			n = pos < cut ? cut - pos : len - pos;
		else if (chunk != 0 && n > chunk)
			n = chunk;
		/* An idle connection owns no ctx: the lcore's may hold anything. */
		if (own == NULL)
			memset(lcore, 0xA5, sizeof(*lcore));
		while (done < n || n == 0) {
			struct sb_xml_event ev;
			size_t used;
			struct sb_xml_ctx *c = own ? own : lcore;
			const uint8_t *p = (const uint8_t *)in + pos + done;
			enum sb_xml_status st = sb_xml_feed(&x, c, lim, p, n - done, &ev, &used);

			done += used;
			if (st >= SB_XML_ERR_FIRST) {
				r->st = st;
				r->err_off = sb_xml_offset(&x);
				free(own);
				free(lcore);
				return;
			}
			if (st == SB_XML_EVENT)
				record(r, in, &ev);
			if (st == SB_XML_NEED_MORE)
				break;
		}
		pos += n;
		/* Chunk boundary: keep a private copy only while busy. */
		if (sb_xml_busy(&x) && own == NULL) {
			own = malloc(sizeof(*own));
			memcpy(own, lcore, sizeof(*own));
		} else if (!sb_xml_busy(&x) && own != NULL) {
			free(own);
			own = NULL;
		}
		if (len == 0)
			break;
	}
	free(own);
	free(lcore);
}

void h_feed_all(struct h_run *r, const char *in)
{
	struct sb_xml_limits lim;

	sb_xml_limits_default(&lim);
	h_feed(r, in, strlen(in), 0, 0, &lim);
}

int h_cmp(const struct h_run *a, const struct h_run *b)
{
	if (a->st != b->st || a->nev != b->nev || a->err_off != b->err_off ||
	    a->ws_total != b->ws_total)
		return 1;
	for (size_t i = 0; i < a->nev; i++)
		if (memcmp(&a->ev[i], &b->ev[i], sizeof(a->ev[i])) != 0)
			return 1;
	return 0;
}
