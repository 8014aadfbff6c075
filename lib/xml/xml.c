/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The tokenizer's byte loop: UTF-8 validation (RFC 3629 §4, Unicode table
 * 3-7), the fast scans over character data and attribute values, the states
 * outside tags (prolog, stream level, "<" and "<!" dispatch, CDATA, character
 * data and references) and the contract of sb_xml_feed(). Tags, attributes,
 * namespaces and the XML declaration are in xml_tag.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xml_priv.h"

void sb_xml_init(struct sb_xml *x)
{
	memset(x, 0, sizeof(*x));
	x->state = XS_INIT;
}

void sb_xml_limits_default(struct sb_xml_limits *lim)
{
	lim->max_stanza_bytes = 65536;
	lim->max_attr_value_bytes = 3072;
	lim->max_depth = 16;
	lim->max_attrs = 32;
	lim->max_name_bytes = 64;
}

static const char *const xml_status_names[SB_XML_ERR_MAX] = {
	[SB_XML_NEED_MORE] = "need-more",
	[SB_XML_EVENT] = "event",
	[SB_XML_ERR_SYNTAX] = "syntax",
	[SB_XML_ERR_NAME] = "bad-name",
	[SB_XML_ERR_TAG_MISMATCH] = "tag-mismatch",
	[SB_XML_ERR_DUP_ATTR] = "duplicate-attribute",
	[SB_XML_ERR_LT_IN_ATTR] = "lt-in-attribute",
	[SB_XML_ERR_REF_SYNTAX] = "bad-reference",
	[SB_XML_ERR_CHARREF] = "bad-char-reference",
	[SB_XML_ERR_CDATA_END] = "cdata-end-in-text",
	[SB_XML_ERR_TEXT_AT_STREAM] = "text-at-stream-level",
	[SB_XML_ERR_AFTER_CLOSE] = "data-after-close",
	[SB_XML_ERR_UNBOUND_PREFIX] = "unbound-prefix",
	[SB_XML_ERR_NS_DECL] = "bad-namespace-declaration",
	[SB_XML_ERR_UTF8] = "bad-utf8",
	[SB_XML_ERR_UTF8_OVERLONG] = "utf8-overlong",
	[SB_XML_ERR_UTF8_SURROGATE] = "utf8-surrogate",
	[SB_XML_ERR_UTF8_RANGE] = "utf8-out-of-range",
	[SB_XML_ERR_ILLEGAL_CHAR] = "illegal-char",
	[SB_XML_ERR_DTD] = "dtd",
	[SB_XML_ERR_COMMENT] = "comment",
	[SB_XML_ERR_PI] = "processing-instruction",
	[SB_XML_ERR_ENTITY] = "undefined-entity",
	[SB_XML_ERR_XML_DECL] = "bad-xml-declaration",
	[SB_XML_ERR_XML_VERSION] = "unsupported-xml-version",
	[SB_XML_ERR_ENCODING] = "unsupported-encoding",
	[SB_XML_ERR_STREAM_NAME] = "bad-stream-element",
	[SB_XML_ERR_STREAM_NS] = "bad-stream-namespace",
	[SB_XML_ERR_STREAM_PREFIX] = "stream-prefix-in-stanza",
	[SB_XML_ERR_LIMIT_STANZA] = "limit-stanza-bytes",
	[SB_XML_ERR_LIMIT_DEPTH] = "limit-depth",
	[SB_XML_ERR_LIMIT_ATTRS] = "limit-attributes",
	[SB_XML_ERR_LIMIT_VALUE] = "limit-value-bytes",
	[SB_XML_ERR_LIMIT_NAME] = "limit-name-bytes",
	[SB_XML_ERR_LIMIT_NS] = "limit-namespaces",
};

const char *sb_xml_status_str(enum sb_xml_status st)
{
	if ((unsigned)st >= SB_XML_ERR_MAX || xml_status_names[st] == NULL)
		return "unknown";
	return xml_status_names[st];
}

/* A lead byte >= 0x80: set up the continuation range for the next byte, so
 * overlong forms, surrogates and values above U+10FFFF are caught on the
 * first continuation byte (Unicode 15 table 3-7). */
static enum sb_xml_status utf8_lead(struct sb_xml *x, uint8_t b)
{
	x->u8_lo = 0x80;
	x->u8_hi = 0xBF;
	if (b < 0xC0)
		return SB_XML_ERR_UTF8;
	if (b < 0xC2)
		return SB_XML_ERR_UTF8_OVERLONG;
	if (b < 0xE0) {
		x->u8_need = 1;
		x->u8_cp = b & 0x1Fu;
	} else if (b < 0xF0) {
		x->u8_need = 2;
		x->u8_cp = b & 0x0Fu;
		if (b == 0xE0)
			x->u8_lo = 0xA0;
		else if (b == 0xED)
			x->u8_hi = 0x9F;
	} else if (b < 0xF5) {
		x->u8_need = 3;
		x->u8_cp = b & 0x07u;
		if (b == 0xF0)
			x->u8_lo = 0x90;
		else if (b == 0xF4)
			x->u8_hi = 0x8F;
	} else {
		return b < 0xF8 ? SB_XML_ERR_UTF8_RANGE : SB_XML_ERR_UTF8;
	}
	return SB_XML_NEED_MORE;
}

static enum sb_xml_status utf8_cont(struct sb_xml *x, uint8_t b)
{
	if (b < x->u8_lo || b > x->u8_hi) {
		if ((b & 0xC0u) != 0x80u)
			return SB_XML_ERR_UTF8;
		if (x->u8_lo == 0xA0 || x->u8_lo == 0x90)
			return SB_XML_ERR_UTF8_OVERLONG;
		return x->u8_hi == 0x9F ? SB_XML_ERR_UTF8_SURROGATE : SB_XML_ERR_UTF8_RANGE;
	}
	x->u8_lo = 0x80;
	x->u8_hi = 0xBF;
	x->u8_cp = (x->u8_cp << 6) | (b & 0x3Fu);
	x->u8_need--;
	if (x->u8_need == 0 && !xml_is_char(x->u8_cp))
		return SB_XML_ERR_ILLEGAL_CHAR;
	return SB_XML_NEED_MORE;
}

/* Validate a whole multibyte sequence at p[0..avail) without touching the
 * parser's decoder. Returns its length, or 0 when the slow path must decide
 * (sequence split by the chunk end, invalid, or not an XML Char). */
static size_t utf8_whole(const uint8_t *p, size_t avail)
{
	uint8_t b = p[0];

	if (b >= 0xC2 && b < 0xE0 && avail >= 2 && (p[1] & 0xC0u) == 0x80u)
		return 2;
	if (b >= 0xE1 && b < 0xF0 && b != 0xED && b != 0xEF && avail >= 3 &&
	    (p[1] & 0xC0u) == 0x80u && (p[2] & 0xC0u) == 0x80u)
		return 3;
	return 0;
}

static enum sb_xml_status emit(struct sb_xml *x, struct sb_xml_event *ev,
			       enum sb_xml_event_type type)
{
	ev->type = (uint8_t)type;
	ev->ws_bytes = x->ws_bytes;
	x->ws_bytes = 0;
	return SB_XML_EVENT;
}

/* Between top-level elements (RFC 6120 §11.7, §4.6: whitespace is a keepalive;
 * any other character data there is not an XMPP stream). */
static enum sb_xml_status step_outside(struct sb_xml *x, struct sb_xml_ctx *c,
				       struct xml_step *s, uint32_t cp)
{
	if (xml_is_ws(cp)) {
		if (x->state == XS_INIT)
			x->state = XS_PROLOG;
		x->ws_bytes++;
		return SB_XML_NEED_MORE;
	}
	if (x->state == XS_CLOSED)
		return SB_XML_ERR_AFTER_CLOSE;
	if (cp == '<') {
		if (x->state == XS_INIT)
			x->flags |= XML_F_DECL_OK;
		x->flags |= XML_F_BUSY;
		x->start_off = s->pos;
		x->state = XS_LT;
		memset(&c->hdr, 0, sizeof(c->hdr));
		c->names_len = 0;
		c->nns = 0;
		c->prefix_len = 0;
		c->child_seen = 0;
		return SB_XML_NEED_MORE;
	}
	if (cp == 0xFEFF && x->state == XS_INIT && !(x->flags & XML_F_BOM)) {
		x->flags |= XML_F_BOM; /* XML 1.0 §4.3.3: an optional BOM */
		return SB_XML_NEED_MORE;
	}
	return x->depth == 0 ? SB_XML_ERR_SYNTAX : SB_XML_ERR_TEXT_AT_STREAM;
}

/* After '<': dispatch on the markup's second character. */
static enum sb_xml_status step_lt(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				  uint32_t cp)
{
	bool decl_ok = (x->flags & XML_F_DECL_OK) != 0;

	x->flags &= (uint8_t)~XML_F_DECL_OK;
	switch (cp) {
	case '/':
		if (x->depth == 0)
			return SB_XML_ERR_SYNTAX;
		c->tok_len = 0;
		x->state = XS_ETAG_START;
		return SB_XML_NEED_MORE;
	case '!':
		x->state = XS_BANG;
		return SB_XML_NEED_MORE;
	case '?':
		/* RFC 6120 §11.1: no PIs; §11.5: only the XML declaration, first. */
		if (!decl_ok)
			return SB_XML_ERR_PI;
		xml_match_start(c, XM_XML);
		x->state = XS_PI_TARGET;
		return SB_XML_NEED_MORE;
	default:
		return xml_tag_begin(x, c, s, cp);
	}
}

/* After "<!": comments, markup declarations and CDATA sections. */
static enum sb_xml_status step_bang(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	if (cp == '-')
		return SB_XML_ERR_COMMENT;      /* RFC 6120 §11.1 */
	if (cp == '[') {
		if (x->depth < 2)
			return x->depth == 0 ? SB_XML_ERR_SYNTAX : SB_XML_ERR_TEXT_AT_STREAM;
		xml_match_start(c, XM_CDATA);
		x->state = XS_CDATA_OPEN;
		return SB_XML_NEED_MORE;
	}
	if (cp == 'D' || cp == 'E' || cp == 'A' || cp == 'N')
		return SB_XML_ERR_DTD;          /* DOCTYPE, ENTITY, ATTLIST, NOTATION */
	return SB_XML_ERR_SYNTAX;
}

static enum sb_xml_status step_cdata(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	if (x->state == XS_CDATA_OPEN) {
		if (xml_match_step(c, cp) == 0)
			return SB_XML_ERR_SYNTAX;
		if (xml_match_done(c) >= 0) {
			x->state = XS_CDATA;
			c->brackets = 0;
		}
		return SB_XML_NEED_MORE;
	}
	if (cp == ']') {
		if (c->brackets < 2)
			c->brackets++;
		return SB_XML_NEED_MORE;
	}
	if (cp == '>' && c->brackets == 2)
		x->state = XS_TEXT;
	c->brackets = 0;
	return SB_XML_NEED_MORE;
}

static enum sb_xml_status step_text(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	switch (cp) {
	case '<':
		x->state = XS_LT;
		return SB_XML_NEED_MORE;
	case '&':
		c->ret_state = XS_TEXT;
		x->state = XS_REF;
		return SB_XML_NEED_MORE;
	case ']':
		if (c->brackets < 2)
			c->brackets++;
		return SB_XML_NEED_MORE;
	case '>':
		if (c->brackets == 2)
			return SB_XML_ERR_CDATA_END; /* XML 1.0 §2.4 */
		break;
	default:
		break;
	}
	c->brackets = 0;
	return SB_XML_NEED_MORE;
}

static enum sb_xml_status ref_done(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	x->state = c->ret_state;
	if (c->ret_state == XS_ATTR_VAL)
		xml_attr_ref_char(c, cp);
	else
		c->brackets = 0;
	return SB_XML_NEED_MORE;
}

static int hex_val(uint32_t cp)
{
	if (cp >= '0' && cp <= '9')
		return (int)(cp - '0');
	if (cp < 0x80 && (xml_cc[cp] & CC_HEX))
		return (int)((cp | 0x20u) - 'a' + 10);
	return -1;
}

/* References (XML 1.0 §4.1): the five predefined entities and character
 * references; RFC 6120 §11.1 forbids every other entity reference. */
static enum sb_xml_status step_ref(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	static const uint32_t ent_cp[5] = { '<', '>', '&', '\'', '"' };
	int d;

	switch (x->state) {
	case XS_REF:
		if (cp == '#') {
			x->state = XS_REF_HASH;
			return SB_XML_NEED_MORE;
		}
		if (!xml_name_start_cp(cp))
			return SB_XML_ERR_REF_SYNTAX;
		xml_match_start(c, XM_ENTITY);
		if (xml_match_step(c, cp) == 0)
			return SB_XML_ERR_ENTITY;
		x->state = XS_REF_NAME;
		return SB_XML_NEED_MORE;
	case XS_REF_NAME:
		if (cp == ';') {
			d = xml_match_done(c);
			return d < 0 ? SB_XML_ERR_ENTITY : ref_done(x, c, ent_cp[d]);
		}
		if (cp != ':' && !xml_name_cp(cp))
			return SB_XML_ERR_REF_SYNTAX;
		if (xml_match_step(c, cp) == 0)
			return SB_XML_ERR_ENTITY; /* a name no predefined entity starts with */
		return SB_XML_NEED_MORE;
	case XS_REF_HASH:
		c->ref_cp = 0;
		if (cp == 'x') {
			x->state = XS_REF_HEX0;
			return SB_XML_NEED_MORE;
		}
		x->state = XS_REF_DEC;
		break;
	case XS_REF_HEX0:
		x->state = XS_REF_HEX;
		break;
	default:
		if (cp == ';')
			return xml_is_char(c->ref_cp) && (c->ref_cp < 0xD800 || c->ref_cp > 0xDFFF)
				       ? ref_done(x, c, c->ref_cp) : SB_XML_ERR_CHARREF;
		break;
	}
	/* A digit of a decimal or hexadecimal reference; the value saturates
	 * above U+10FFFF so leading zeros are fine and overflow is impossible. */
	if (x->state == XS_REF_DEC)
		d = (cp >= '0' && cp <= '9') ? (int)(cp - '0') : -1;
	else
		d = hex_val(cp);
	if (d < 0)
		return SB_XML_ERR_REF_SYNTAX;
	c->ref_cp = c->ref_cp * (x->state == XS_REF_DEC ? 10u : 16u) + (uint32_t)d;
	if (c->ref_cp > 0x10FFFF)
		c->ref_cp = 0x110000;
	return SB_XML_NEED_MORE;
}

/* One character through the state machine: the dispatch on the state. */
static enum sb_xml_status step(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
			       uint32_t cp)
{
	/* most characters that get here are markup inside a start tag */
	if (x->state >= XS_STAG_NAME && x->state <= XS_EMPTY)
		return xml_tag_step(x, c, s, cp);
	switch (x->state) {
	case XS_INIT:
	case XS_PROLOG:
	case XS_STREAM:
	case XS_CLOSED:
		return step_outside(x, c, s, cp);
	case XS_LT:
		return step_lt(x, c, s, cp);
	case XS_BANG:
		return step_bang(x, c, cp);
	case XS_CDATA_OPEN:
	case XS_CDATA:
		return step_cdata(x, c, cp);
	case XS_TEXT:
		return step_text(x, c, cp);
	case XS_REF:
	case XS_REF_NAME:
	case XS_REF_HASH:
	case XS_REF_DEC:
	case XS_REF_HEX0:
	case XS_REF_HEX:
		if (c->ret_state == XS_ATTR_VAL &&
		    s->pos - c->val_off >= s->lim->max_attr_value_bytes)
			return SB_XML_ERR_LIMIT_VALUE;
		return step_ref(x, c, cp);
	case XS_PI_TARGET:
	case XS_DECL_WS:
	case XS_DECL_NAME:
	case XS_DECL_EQ:
	case XS_DECL_Q:
	case XS_DECL_VAL:
	case XS_DECL_END:
		return xml_decl_step(x, c, s, cp);
	case XS_ETAG_START:
	case XS_ETAG_NAME:
	case XS_ETAG_WS:
		return xml_etag_step(x, c, s, cp);
	case XS_ERROR:
		return (enum sb_xml_status)x->err;
	default:
		return xml_tag_step(x, c, s, cp);
	}
}

#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull

/* Bytes of w equal to the byte in ones * b, as high bits (Mycroft). */
static inline uint64_t swar_eq(uint64_t w, uint64_t b)
{
	uint64_t v = w ^ (SWAR_ONES * b);

	return (v - SWAR_ONES) & ~v & SWAR_HIGH;
}

/* Fast scan of plain bytes in character data or an attribute value; returns
 * the index of the first byte the state machine must see. Eight bytes at a
 * time while none is a control character, non-ASCII or one of the
 * delimiters of the class; then byte by byte, with whole UTF-8 sequences
 * validated in place. */
static size_t scan_plain(const uint8_t *p, size_t i, size_t end, uint8_t cls)
{
	/* '<' and '&' end both classes; ']' text, the two quotes values */
	uint64_t d3 = cls == CC_TEXT ? ']' : '\'', d4 = cls == CC_TEXT ? ']' : '"';

	if (cls != 0) {
		while (end - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (((w - SWAR_ONES * 0x20) & ~w & SWAR_HIGH) | (w & SWAR_HIGH) |
			    swar_eq(w, '<') | swar_eq(w, '&') | swar_eq(w, d3) | swar_eq(w, d4))
				break;
			i += 8;
		}
	}
	while (i < end) {
		uint8_t b = p[i];
		size_t k;

		if (b < 0x80) {
			if (!(xml_cc[b] & cls))
				break;
			i++;
			continue;
		}
		k = utf8_whole(p + i, end - i);
		if (k == 0)
			break;
		i += k;
	}
	return i;
}

static void clamp_limits(const struct sb_xml_limits *in, struct sb_xml_limits *out)
{
	*out = *in;
	if (out->max_depth > SB_XML_DEPTH_MAX)
		out->max_depth = SB_XML_DEPTH_MAX;
	if (out->max_attrs > SB_XML_ATTRS_MAX)
		out->max_attrs = SB_XML_ATTRS_MAX;
	if (out->max_name_bytes > SB_XML_ATTR_NAMES_BYTES)
		out->max_name_bytes = SB_XML_ATTR_NAMES_BYTES;
}

/* Bytes the fast scans may take from p[i..n) before a limit must be checked
 * by the state machine. */
static size_t scan_end(const struct sb_xml *x, const struct sb_xml_ctx *c,
		       const struct sb_xml_limits *lim, uint64_t base, size_t i, size_t n)
{
	uint64_t pos = base + i, room = x->start_off + lim->max_stanza_bytes - pos;

	if (x->state == XS_ATTR_VAL) {
		uint64_t vroom = c->val_off + lim->max_attr_value_bytes - pos;

		if (vroom < room)
			room = vroom;
	}
	return room < n - i ? i + (size_t)room : n;
}

/* States with a bulk path (fast_paths()). */
#define XML_FAST_STATES ((1ull << XS_TEXT) | (1ull << XS_CDATA) | (1ull << XS_ATTR_VAL) | \
			 (1ull << XS_STAG_NAME) | (1ull << XS_ATTR_NAME) | (1ull << XS_ETAG_NAME))
_Static_assert(XS_MAX <= 64, "XML_FAST_STATES is a 64-bit set of states");

/* The bulk paths: from p[i], the bytes that need no per-character state
 * machine in the current state (plain text, plain attribute values, whole
 * UTF-8 sequences there, runs of name characters). Returns the index of the
 * first byte left for step(); i itself when no bulk path applies. */
static size_t fast_paths(struct sb_xml *x, struct sb_xml_ctx *c, const struct sb_xml_limits *lim,
			 const uint8_t *p, size_t i, size_t n)
{
	uint8_t b = p[i], cls = 0;

	switch (x->state) {
	case XS_TEXT:
		if (c->brackets != 0 || (b < 0x80 && !(xml_cc[b] & CC_TEXT)))
			return i;
		cls = CC_TEXT;
		break;
	case XS_CDATA:
		if (c->brackets != 0 || b < 0x80)
			return i;
		break;
	case XS_ATTR_VAL:
		if (c->match_set != XM_NONE || (b < 0x80 && !(xml_cc[b] & CC_AVAL)))
			return i;
		if (c->val_hashing)
			return b < 0x80 ? xml_value_hash_run(c, p, i,
							     scan_end(x, c, lim, x->off, i, n))
					: i;
		cls = CC_AVAL;
		break;
	case XS_STAG_NAME:
	case XS_ATTR_NAME:
	case XS_ETAG_NAME:
		if (b >= 0x80 || !(xml_cc[b] & CC_NCHAR))
			return i;
		return xml_name_run(x, c, lim, p, i, scan_end(x, c, lim, x->off, i, n));
	default:
		return i;
	}
	/* a multibyte character starts the run: validate whole sequences only */
	return scan_plain(p, i, scan_end(x, c, lim, x->off, i, n), b >= 0x80 ? 0 : cls);
}

/* Decode the character that ends at p[*i] (ASCII or the last byte of a
 * UTF-8 sequence). Returns SB_XML_NEED_MORE with *cp set, SB_XML_EVENT when
 * the byte was consumed into a still incomplete sequence, or an error. */
static enum sb_xml_status next_char(struct sb_xml *x, uint8_t b, uint32_t *cp)
{
	enum sb_xml_status r;

	if (x->u8_need) {
		r = utf8_cont(x, b);
		if (r != SB_XML_NEED_MORE)
			return r;
		*cp = x->u8_cp;
		return x->u8_need ? SB_XML_EVENT : SB_XML_NEED_MORE;
	}
	if (b >= 0x80) {
		r = utf8_lead(x, b);
		return r != SB_XML_NEED_MORE ? r : SB_XML_EVENT;
	}
	*cp = b;
	return (xml_cc[b] & CC_CHAR) ? SB_XML_NEED_MORE : SB_XML_ERR_ILLEGAL_CHAR;
}

enum sb_xml_status sb_xml_feed(struct sb_xml *x, struct sb_xml_ctx *c,
			       const struct sb_xml_limits *lim_in, const uint8_t *p, size_t n,
			       struct sb_xml_event *ev, size_t *consumed)
{
	struct sb_xml_limits lim;
	struct xml_step s = { .lim = &lim, .ev = ev };
	enum sb_xml_status r = SB_XML_NEED_MORE;
	uint64_t base = x->off;
	size_t i = 0;

	if (x->err) {
		*consumed = 0;
		return (enum sb_xml_status)x->err;
	}
	clamp_limits(lim_in, &lim);
	while (i < n) {
		enum sb_xml_status rc;
		uint32_t cp = 0;
		size_t j;

		s.pos = base + i;
		if ((x->flags & XML_F_BUSY) && s.pos - x->start_off >= lim.max_stanza_bytes) {
			r = SB_XML_ERR_LIMIT_STANZA;
			break;
		}
		if (x->u8_need == 0 && ((1ull << x->state) & XML_FAST_STATES)) {
			j = fast_paths(x, c, &lim, p, i, n);
			if (j > i) {
				i = j;
				continue;
			}
		}
		rc = next_char(x, p[i], &cp);
		if (rc >= SB_XML_ERR_FIRST) {
			r = rc;
			break;
		}
		i++;
		if (rc == SB_XML_EVENT)
			continue; /* inside a multibyte character */
		r = step(x, c, &s, cp);
		if (r != SB_XML_NEED_MORE)
			break;
	}
	if (r == SB_XML_NEED_MORE && x->state == XS_STREAM && x->ws_bytes > 0) {
		ev->start_off = base + i - x->ws_bytes;
		ev->end_off = base + i;
		ev->hdr = NULL;
		r = emit(x, ev, SB_XML_EV_KEEPALIVE);
	}
	if (r >= SB_XML_ERR_FIRST) {
		/* i is the offending byte unless a multibyte character ended on it */
		if (i > 0 && s.pos < base + i)
			i--;
		x->err = (uint8_t)r;
		x->state = XS_ERROR;
	}
	x->off = base + i;
	*consumed = i;
	return r;
}

/* Shared with xml_tag.c: fill the event for a completed element or tag, the
 * point at which the caller may hand the element's bytes on and release
 * its mbufs. */
enum sb_xml_status xml_emit(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
			    enum sb_xml_event_type type)
{
	s->ev->start_off = x->start_off;
	s->ev->end_off = s->pos + 1;
	s->ev->hdr = type == SB_XML_EV_STREAM_CLOSE ? NULL : &c->hdr;
	return emit(x, s->ev, type);
}
