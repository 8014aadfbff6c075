/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer target for lib/xml, three checks per input:
 *  1. Raw: the input as a whole stream, fed in one chunk, split at a point
 *     taken from the input, and byte by byte, must give the same status, the
 *     same error offset and the same events (split invariance; no crash).
 *  2. Wrapped: the input placed between a stream header and its close. If
 *     the tokenizer accepts that document, expat (the oracle, with namespace
 *     processing) must accept it too, with the same number of top-level
 *     elements at the same byte ranges. The other direction is not checked:
 *     expat accepts comments, PIs, DTDs and more that RFC 6120 §11 makes us
 *     refuse. One known, tolerated difference: expat's name character
 *     classes predate XML 1.0 fifth edition, so when the input has non-ASCII
 *     bytes expat may refuse a name we accept (invalid token).
 *  3. Every accepted span decodes (sb_xml_value_decode) without error.
 */
#include <expat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

#define FZ_HDR "<stream:stream xmlns='jabber:client' " \
	       "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
#define FZ_CLOSE "</stream:stream>"
#define FZ_EVENTS_MAX 256
#define FZ_INPUT_MAX 65536

struct fz_ev {
	uint8_t type;
	uint64_t start, end;
};

struct fz_run {
	struct fz_ev ev[FZ_EVENTS_MAX];
	size_t nev;
	int st;
	uint64_t err_off;
	int closed;
};

static struct sb_xml_ctx fz_ctx, fz_own;

static void check_span(const uint8_t *doc, const struct sb_xml_span *sp)
{
	uint8_t out[FZ_INPUT_MAX + 256];

	if ((sp->flags & SB_XML_SPAN_ESCAPED) &&
	    sb_xml_value_decode(doc + sp->off, sp->len, out, sizeof(out)) < 0)
		abort();
}

static void record(struct fz_run *r, const uint8_t *doc, const struct sb_xml_event *ev)
{
	if (ev->type == SB_XML_EV_KEEPALIVE)
		return;
	if (ev->type == SB_XML_EV_STREAM_CLOSE)
		r->closed = 1;
	if (ev->hdr != NULL) {
		check_span(doc, &ev->hdr->to);
		check_span(doc, &ev->hdr->from);
		check_span(doc, &ev->hdr->id);
		check_span(doc, &ev->hdr->type);
	}
	if (r->nev < FZ_EVENTS_MAX)
		r->ev[r->nev++] = (struct fz_ev){ ev->type, ev->start_off, ev->end_off };
}

/* Feed doc[0..n) in chunks of chunk bytes (0: one chunk), keeping a private
 * ctx copy only while busy, as the dataplane does. */
static void run(struct fz_run *r, const uint8_t *doc, size_t n, size_t chunk)
{
	struct sb_xml x;
	struct sb_xml_limits lim;
	int own = 0;

	memset(r, 0, sizeof(*r));
	sb_xml_init(&x);
	sb_xml_limits_default(&lim);
	for (size_t pos = 0; pos < n;) {
		size_t len = chunk && n - pos > chunk ? chunk : n - pos, done = 0;

		if (!own)
			memset(&fz_ctx, 0x5A, sizeof(fz_ctx));
		while (done < len) {
			struct sb_xml_event ev;
			size_t used;
			int st = sb_xml_feed(&x, own ? &fz_own : &fz_ctx, &lim, doc + pos + done,
					     len - done, &ev, &used);

			done += used;
			if (st >= SB_XML_ERR_FIRST) {
				r->st = st;
				r->err_off = sb_xml_offset(&x);
				return;
			}
			if (st == SB_XML_EVENT)
				record(r, doc, &ev);
			else
				break;
		}
		pos += len;
		if (sb_xml_busy(&x) && !own) {
			fz_own = fz_ctx;
			own = 1;
		} else if (!sb_xml_busy(&x)) {
			own = 0;
		}
	}
}

static int same(const struct fz_run *a, const struct fz_run *b)
{
	return a->st == b->st && a->err_off == b->err_off && a->nev == b->nev &&
	       memcmp(a->ev, b->ev, a->nev * sizeof(a->ev[0])) == 0;
}

struct ex_state {
	int depth;
	size_t count;
	long start_idx;
	int start_len;
	int mismatch;
	const struct fz_run *ours;
	XML_Parser p;
};

static void XMLCALL ex_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct ex_state *s = ud;

	(void)name;
	(void)atts;
	s->depth++;
	if (s->depth == 2) {
		s->start_idx = (long)XML_GetCurrentByteIndex(s->p);
		s->start_len = XML_GetCurrentByteCount(s->p);
	}
}

static void XMLCALL ex_end(void *ud, const XML_Char *name)
{
	struct ex_state *s = ud;
	long idx = (long)XML_GetCurrentByteIndex(s->p), end;
	const struct fz_ev *e;

	(void)name;
	if (s->depth == 2) {
		/* an empty-element tag ends where its start tag ends */
		end = idx == s->start_idx ? idx + s->start_len
					  : idx + XML_GetCurrentByteCount(s->p);
		/* ours: event 0 is the stream open, then one per element */
		e = s->count + 1 < s->ours->nev ? &s->ours->ev[s->count + 1] : NULL;
		if (e == NULL || e->type != SB_XML_EV_ELEMENT ||
		    e->start != (uint64_t)s->start_idx || e->end != (uint64_t)end)
			s->mismatch = 1;
		s->count++;
	}
	s->depth--;
}

static void oracle(const uint8_t *doc, size_t n, const uint8_t *data, size_t size,
		   const struct fz_run *ours)
{
	struct ex_state s = { .ours = ours };
	enum XML_Status st;
	int non_ascii = 0;

	/* expat refuses namespace names that contain its separator: take one
	 * that no XML document can contain, not even by reference */
	s.p = XML_ParserCreateNS("UTF-8", '\x01');
	if (s.p == NULL)
		abort();
	XML_SetUserData(s.p, &s);
	XML_SetElementHandler(s.p, ex_start, ex_end);
	st = XML_Parse(s.p, (const char *)doc, (int)n, 1);
	for (size_t i = 0; i < size; i++)
		non_ascii |= data[i] >= 0x80;
	if (st != XML_STATUS_OK) {
		enum XML_Error e = XML_GetErrorCode(s.p);

		if (!(non_ascii && e == XML_ERROR_INVALID_TOKEN))
			abort(); /* we accepted what expat refuses */
	} else if (s.mismatch || s.count + 2 != ours->nev) {
		abort(); /* different top-level elements */
	}
	XML_ParserFree(s.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t doc[sizeof(FZ_HDR) + FZ_INPUT_MAX + sizeof(FZ_CLOSE)];
	static struct fz_run a, b;
	size_t hl = sizeof(FZ_HDR) - 1, cl = sizeof(FZ_CLOSE) - 1, n;

	if (size > FZ_INPUT_MAX)
		return 0;
	/* 1. the raw input is a stream of its own */
	run(&a, data, size, 0);
	run(&b, data, size, 1);
	if (!same(&a, &b))
		abort();
	if (size > 0) {
		run(&b, data, size, 1u + data[0] % 61u);
		if (!same(&a, &b))
			abort();
	}
	/* 2. wrapped, against expat */
	memcpy(doc, FZ_HDR, hl);
	memcpy(doc + hl, data, size);
	memcpy(doc + hl + size, FZ_CLOSE, cl);
	n = hl + size + cl;
	run(&a, doc, n, 0);
	run(&b, doc, n, 7);
	if (!same(&a, &b))
		abort();
	if (a.st == 0 && a.closed && a.nev < FZ_EVENTS_MAX)
		oracle(doc, n, data, size, &a);
	return 0;
}
