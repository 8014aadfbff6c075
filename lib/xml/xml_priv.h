/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xml internals shared by its files: lexer states, character classes,
 * the incremental string matcher and the per-state step functions. Nothing
 * here is part of the module's interface.
 */
#ifndef SB_XML_PRIV_H
#define SB_XML_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xml.h"

/* Lexer states (struct sb_xml.state). */
enum xml_state {
	XS_INIT = 0,  /* first character of the stream: <?xml allowed here */
	XS_PROLOG,    /* whitespace before the stream header */
	XS_STREAM,    /* inside <stream:stream>, between top-level elements */
	XS_CLOSED,    /* after </stream:stream> */
	XS_ERROR,
	XS_LT,        /* after '<' */
	XS_BANG,      /* after "<!" */
	XS_CDATA_OPEN, /* matching "[CDATA[" */
	XS_CDATA,     /* inside a CDATA section */
	XS_PI_TARGET, /* after "<?" at the very start: matching "xml" */
	XS_DECL_WS,   /* XML declaration: before a pseudo-attribute or "?>" */
	XS_DECL_NAME,
	XS_DECL_EQ,
	XS_DECL_Q,
	XS_DECL_VAL,
	XS_DECL_END,  /* XML declaration: after '?' */
	XS_STAG_NAME, /* start tag name */
	XS_STAG_WS,   /* start tag, after whitespace */
	XS_ATTR_NAME,
	XS_ATTR_EQ,   /* after an attribute name, before '=' */
	XS_ATTR_Q,    /* after '=', before the quote */
	XS_ATTR_VAL,
	XS_AFTER_VAL, /* after the closing quote */
	XS_EMPTY,     /* after '/' in a start tag */
	XS_ETAG_START, /* after "</" */
	XS_ETAG_NAME,
	XS_ETAG_WS,
	XS_TEXT,      /* character data inside an element */
	XS_REF,       /* after '&' */
	XS_REF_NAME,
	XS_REF_HASH,  /* after "&#" */
	XS_REF_DEC,
	XS_REF_HEX0,  /* after "&#x" */
	XS_REF_HEX,
	XS_MAX,
};

/* struct sb_xml.flags */
#define XML_F_BUSY SB_XML_F_BUSY /* ctx holds state the connection needs */
#define XML_F_DECL_OK 0x02u    /* this '<' is the first character of the stream */
#define XML_F_BOM 0x04u        /* a byte order mark was seen */
#define XML_F_STREAM_NS 0x08u  /* the stream header bound stream: correctly */
#define XML_F_STREAM_DEF 0x10u /* the stream header declared a default namespace */

/* Character classes of ASCII bytes (xml_cc[]). */
#define CC_CHAR 0x01u   /* an XML Char (XML 1.0 §2.2) */
#define CC_WS 0x02u     /* S (XML 1.0 §2.3) */
#define CC_NSTART 0x04u /* NameStartChar other than ':' */
#define CC_NCHAR 0x08u  /* NameChar other than ':' */
#define CC_TEXT 0x10u   /* plain character data: no '<', '&', ']' */
#define CC_AVAL 0x20u   /* plain attribute value byte: no '<', '&', quotes, \t\n\r */
#define CC_HEX 0x40u

extern const uint8_t xml_cc[128];

/* Attribute kinds (ctx->attr_kind). */
enum xml_attr_kind {
	XA_OTHER = 0,
	XA_XMLNS,      /* xmlns='...' */
	XA_XMLNS_PFX,  /* xmlns:p='...' */
	XA_TYPE, XA_TO, XA_FROM, XA_ID, XA_VERSION, XA_LANG,
	XA_MAX,
};

/* Matcher string sets (ctx->match_set). */
enum xml_match_set {
	XM_NONE = 0,
	XM_ENTITY,     /* lt gt amp apos quot */
	XM_CDATA,      /* CDATA[ */
	XM_XML,        /* xml */
	XM_DECL_NAME,  /* version encoding standalone */
	XM_VERSION,    /* 1.0 */
	XM_ENCODING,   /* UTF-8, case-insensitive */
	XM_STANDALONE, /* yes no */
	XM_STREAMS_NS, /* http://etherx.jabber.org/streams */
	XM_MAX,
};

#define XML_NS_STREAMS "http://etherx.jabber.org/streams"
#define XML_NS_XML "http://www.w3.org/XML/1998/namespace"
#define XML_NS_XMLNS "http://www.w3.org/2000/xmlns/"

/* Start matching ctx's next characters against set. */
void xml_match_start(struct sb_xml_ctx *c, enum xml_match_set set);
/* Feed one character; returns the number of candidates still alive. */
unsigned xml_match_step(struct sb_xml_ctx *c, uint32_t cp);
/* Index of the candidate matched exactly by what was fed, or -1. */
int xml_match_done(const struct sb_xml_ctx *c);

/* Name classes above ASCII (XML 1.0 fifth edition §2.3). */
bool xml_name_start_wide(uint32_t cp);
bool xml_name_wide(uint32_t cp);

static inline bool xml_name_start_cp(uint32_t cp)
{
	return cp < 0x80 ? (xml_cc[cp] & CC_NSTART) != 0 : xml_name_start_wide(cp);
}

static inline bool xml_name_cp(uint32_t cp)
{
	return cp < 0x80 ? (xml_cc[cp] & CC_NCHAR) != 0 : xml_name_wide(cp);
}

/* Whether cp (decoded, not a surrogate) is an XML Char. */
static inline bool xml_is_char(uint32_t cp)
{
	if (cp < 0x80)
		return (xml_cc[cp] & CC_CHAR) != 0;
	return (cp < 0xD800 || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF));
}

static inline bool xml_is_ws(uint32_t cp)
{
	return cp < 0x80 && (xml_cc[cp] & CC_WS) != 0;
}

/* What one step of the lexer produced. */
struct xml_step {
	const struct sb_xml_limits *lim;
	struct sb_xml_event *ev;
	uint64_t pos;   /* stream offset of the byte that ended the character */
};

/* Step functions of the tag states (xml_tag.c). Each takes one character
 * and returns SB_XML_NEED_MORE, SB_XML_EVENT or an error. */
enum sb_xml_status xml_tag_begin(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				 uint32_t cp);
enum sb_xml_status xml_tag_step(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				uint32_t cp);
enum sb_xml_status xml_etag_step(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				 uint32_t cp);
enum sb_xml_status xml_decl_step(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				 uint32_t cp);
/* Fill s->ev for a completed element or tag ending at s->pos (xml.c). */
enum sb_xml_status xml_emit(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
			    enum sb_xml_event_type type);
/* Bulk path for names (xml_tag.c); returns the next index to step. */
size_t xml_name_run(struct sb_xml *x, struct sb_xml_ctx *c, const struct sb_xml_limits *lim,
		    const uint8_t *p, size_t i, size_t end);
/* Hash of a namespace name, one character at a time (FNV-1a over code
 * points): equal names after attribute-value normalisation hash equal. */
#define XML_HASH_SEED 0xCBF29CE484222325ull

static inline uint64_t xml_hash_cp(uint64_t h, uint32_t cp)
{
	return (h ^ cp) * 0x100000001B3ull;
}

/* Bulk path for a namespace name being hashed (xml_tag.c). */
size_t xml_value_hash_run(struct sb_xml_ctx *c, const uint8_t *p, size_t i, size_t end);
/* A reference inside an attribute value decoded to cp. */
void xml_attr_ref_char(struct sb_xml_ctx *c, uint32_t cp);

/* xml_chars.c: UTF-8 encoding of a code point; returns its length 1..4. */
size_t xml_utf8_put(uint32_t cp, uint8_t out[4]);

#endif
