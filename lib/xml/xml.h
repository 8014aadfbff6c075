/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Restricted-XML tokenizer for XMPP streams (RFC 6120 §4, §11). It is fed the
 * bytes of one stream in arbitrary chunks and reports, without copying any
 * stanza content, the stream header, each complete top-level element (stanza
 * or nonza) as a byte range of the stream plus a parsed routing header, and
 * the stream close. Everything RFC 6120 §11 forbids, and everything that is
 * not well-formed XML 1.0 with namespaces, is an error with its own code.
 *
 * Memory model (the invariant the design rests on): struct sb_xml is the only
 * per-connection state (<= 64 bytes, see the _Static_assert). The bulk of the
 * working state (open element names, in-stanza prefix bindings, the header
 * being built) lives in a struct sb_xml_ctx that the caller passes to every
 * sb_xml_feed() call. While sb_xml_busy() is false (between top-level
 * elements) the ctx holds nothing of value and may be shared by every
 * connection of an lcore; while it is true (an element or the stream header
 * is only partly received) the caller must hand the same ctx contents back
 * on the next call for this connection. The dataplane uses one per-lcore ctx
 * and, only when a chunk ends inside a stanza, copies it into an object from
 * a bounded per-lcore pool that the connection keeps until the stanza ends,
 * next to the mbufs it already keeps. Exact end-tag matching needs memory
 * proportional to the open names; lib/xml/README.md says why that memory is
 * borrowed per stanza rather than kept per connection.
 *
 * Positions are stream offsets: byte 0 is the first byte ever fed. Attribute
 * values are reported as spans (offset, raw length) that the caller slices
 * out of the mbufs it still holds; sb_xml_value_decode() turns a span with
 * SB_XML_SPAN_ESCAPED into its value.
 */
#ifndef SB_XML_H
#define SB_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard capacities of struct sb_xml_ctx; struct sb_xml_limits may only be
 * stricter. Reaching one is a limit error, never a silent truncation. */
#define SB_XML_DEPTH_MAX 32u        /* open elements inside one stanza */
#define SB_XML_NAMES_BYTES 512u     /* qnames of the open elements, summed */
#define SB_XML_ATTRS_MAX 32u        /* attributes on one element */
#define SB_XML_ATTR_NAMES_BYTES 512u /* attribute qnames of one element, summed */
#define SB_XML_NS_MAX 16u           /* namespace declarations in scope in a stanza */
#define SB_XML_PREFIX_BYTES 128u    /* their prefixes, summed */
#define SB_XML_HDR_NAME_BYTES 24u   /* local names copied into struct sb_xml_header */
#define SB_XML_STREAM_PREFIX_BYTES 8u /* one extra prefix a stream header may declare */

/* What sb_xml_feed() returns. Values >= SB_XML_ERR_FIRST are errors; the
 * parser then stays in that error and returns it on every later call.
 * lib/xml/README.md maps each error to an RFC 6120 §4.9.3 stream error. */
enum sb_xml_status {
	SB_XML_NEED_MORE = 0,      /* all input consumed, no event */
	SB_XML_EVENT,              /* *ev filled; feed the rest of the chunk next */
	SB_XML_ERR_FIRST,
	/* not-well-formed: XML 1.0 syntax */
	SB_XML_ERR_SYNTAX = SB_XML_ERR_FIRST, /* a character no production allows here */
	SB_XML_ERR_NAME,           /* bad Name/QName character or shape */
	SB_XML_ERR_TAG_MISMATCH,   /* end tag does not match the open element */
	SB_XML_ERR_DUP_ATTR,       /* attribute given twice on one element */
	SB_XML_ERR_LT_IN_ATTR,     /* '<' inside an attribute value */
	SB_XML_ERR_REF_SYNTAX,     /* '&' not starting a well-formed reference */
	SB_XML_ERR_CHARREF,        /* character reference to a non-XML Char */
	SB_XML_ERR_CDATA_END,      /* "]]>" in character data */
	SB_XML_ERR_TEXT_AT_STREAM, /* non-whitespace character data between stanzas */
	SB_XML_ERR_AFTER_CLOSE,    /* bytes other than whitespace after </stream:stream> */
	/* not-well-formed: Namespaces in XML 1.0 */
	SB_XML_ERR_UNBOUND_PREFIX, /* prefix with no xmlns:prefix in scope */
	SB_XML_ERR_NS_DECL,        /* xmlns:p='', or xml/xmlns prefix (re)declared */
	/* not-well-formed: characters (RFC 3629, XML 1.0 §2.2) */
	SB_XML_ERR_UTF8,           /* invalid UTF-8 byte sequence */
	SB_XML_ERR_UTF8_OVERLONG,  /* overlong encoding */
	SB_XML_ERR_UTF8_SURROGATE, /* encoded U+D800..U+DFFF */
	SB_XML_ERR_UTF8_RANGE,     /* code point above U+10FFFF */
	SB_XML_ERR_ILLEGAL_CHAR,   /* not an XML Char (U+0000-U+0008, U+FFFE, ...) */
	/* restricted-xml: RFC 6120 §11.1 */
	SB_XML_ERR_DTD,            /* <!DOCTYPE or any markup declaration */
	SB_XML_ERR_COMMENT,        /* <!-- */
	SB_XML_ERR_PI,             /* processing instruction, or a misplaced <?xml ?> */
	SB_XML_ERR_ENTITY,         /* entity reference other than the five predefined */
	/* XML declaration (RFC 6120 §11.5, §11.6, §11.8) */
	SB_XML_ERR_XML_DECL,       /* malformed XML declaration */
	SB_XML_ERR_XML_VERSION,    /* version other than 1.0 */
	SB_XML_ERR_ENCODING,       /* encoding other than UTF-8 */
	/* stream shape (RFC 6120 §4.7, §4.8.5) */
	SB_XML_ERR_STREAM_NAME,    /* root is not <stream:stream>, or is empty */
	SB_XML_ERR_STREAM_NS,      /* stream prefix not bound to the streams namespace */
	/* bad-namespace-prefix: a stanza must carry its own declarations */
	SB_XML_ERR_STREAM_PREFIX,  /* inside a stanza, a prefix only the stream header binds */
	/* policy-violation: struct sb_xml_limits and ctx capacities */
	SB_XML_ERR_LIMIT_STANZA,   /* element (or stream header) longer than max_stanza_bytes */
	SB_XML_ERR_LIMIT_DEPTH,    /* nesting deeper than max_depth */
	SB_XML_ERR_LIMIT_ATTRS,    /* more attributes than max_attrs */
	SB_XML_ERR_LIMIT_VALUE,    /* attribute value longer than max_attr_value_bytes */
	SB_XML_ERR_LIMIT_NAME,     /* name longer than max_name_bytes */
	SB_XML_ERR_LIMIT_NS,       /* too many namespace declarations in scope */
	SB_XML_ERR_MAX,
};

enum sb_xml_event_type {
	SB_XML_EV_STREAM_OPEN = 1, /* the <stream:stream ...> start tag ended */
	SB_XML_EV_ELEMENT,         /* a top-level child element ended */
	SB_XML_EV_STREAM_CLOSE,    /* </stream:stream> */
	SB_XML_EV_KEEPALIVE,       /* input ended after whitespace between elements */
	SB_XML_EV_MAX,
};

#define SB_XML_SPAN_PRESENT 0x1u /* the attribute was given */
#define SB_XML_SPAN_ESCAPED 0x2u /* raw bytes hold references or \t\n\r: decode them */

/* An attribute value in the stream: raw bytes [off, off + len). */
struct sb_xml_span {
	uint64_t off;
	uint32_t len;
	uint32_t flags;  /* SB_XML_SPAN_* */
};

/* Where an element's namespace name comes from. */
enum sb_xml_ns_src {
	SB_XML_NS_NONE = 0,      /* no namespace (no default declared, or xmlns='') */
	SB_XML_NS_STREAM_DEFAULT, /* the xmlns of the stream header (stream-open hdr.ns) */
	SB_XML_NS_STREAMS,        /* http://etherx.jabber.org/streams (the stream: prefix) */
	SB_XML_NS_STREAM_EXTRA,   /* the one other prefix the stream header declared */
	SB_XML_NS_SPAN,           /* declared inside the stanza: the value is in span */
	SB_XML_NS_SRC_MAX,
};

struct sb_xml_ns {
	struct sb_xml_span span; /* valid for SB_XML_NS_SPAN */
	uint8_t src;             /* enum sb_xml_ns_src */
};

/* struct sb_xml_header.flags: the top-level element has a prefixed attribute
 * whose local name is from, to, id or type (say c:from). The tokenizer
 * accepts it (it is namespace-well-formed); a router must not, since
 * parsers that match attributes by local name would read it as the address
 * (lib/xmpp refuses such stanzas). */
#define SB_XML_HDR_F_PREFIXED_ADDR 0x01u

/* Parsed header of the stream header or of a top-level element. Local names
 * are copied (NUL-terminated; *_len is the real length, and a name longer than
 * SB_XML_HDR_NAME_BYTES - 1 is truncated in the copy only). */
struct sb_xml_header {
	char name[SB_XML_HDR_NAME_BYTES];       /* local name */
	char child_name[SB_XML_HDR_NAME_BYTES]; /* local name of the first child */
	uint16_t name_len;
	uint16_t child_name_len;                /* 0: the element has no child */
	uint8_t flags;                          /* SB_XML_HDR_F_* */
	struct sb_xml_ns ns;
	struct sb_xml_ns child_ns;
	struct sb_xml_span type, to, from, id;
	struct sb_xml_span version, lang;       /* stream header: version, xml:lang */
	struct sb_xml_span stream_extra;        /* stream header: the extra prefix's namespace */
};

struct sb_xml_event {
	uint8_t type;           /* enum sb_xml_event_type */
	uint32_t ws_bytes;      /* whitespace between elements since the previous event */
	uint64_t start_off;     /* first byte ('<') of the element or tag */
	uint64_t end_off;       /* one past its last byte ('>') */
	const struct sb_xml_header *hdr; /* STREAM_OPEN, ELEMENT; in ctx, valid until it is fed */
};

/* Limits from configuration; each must be <= the matching ctx capacity. */
struct sb_xml_limits {
	uint32_t max_stanza_bytes;     /* whole top-level element, or the stream header */
	uint32_t max_attr_value_bytes; /* raw bytes of one attribute value */
	uint16_t max_depth;            /* elements open inside a stanza, the stanza included */
	uint16_t max_attrs;            /* attributes per element */
	uint16_t max_name_bytes;       /* bytes of one qname */
};

#define SB_XML_F_BUSY 0x01u /* struct sb_xml.flags: see sb_xml_busy() */

/* Per-connection state. Opaque: use the functions below. */
struct sb_xml {
	uint64_t off;         /* stream offset of the next byte */
	uint64_t start_off;   /* '<' of the element or tag in progress */
	uint32_t ws_bytes;    /* whitespace since the last event */
	uint32_t u8_cp;       /* UTF-8 sequence being decoded */
	uint8_t state;        /* lexer state (xml_priv.h) */
	uint8_t depth;        /* 0: before the stream header, 1: between stanzas */
	uint8_t err;          /* enum sb_xml_status of a failed parser, else 0 */
	uint8_t u8_need;      /* continuation bytes still expected */
	uint8_t u8_lo, u8_hi; /* allowed range of the next continuation byte */
	uint8_t flags;        /* XML_F_* (xml_priv.h) */
	uint8_t extra_len;    /* length of extra_prefix, 0 if none */
	char extra_prefix[SB_XML_STREAM_PREFIX_BYTES]; /* declared on the stream header */
	uint64_t extra_hash;  /* hash of its namespace name (duplicate attributes) */
};
_Static_assert(sizeof(struct sb_xml) <= 64, "per-connection XML state must stay <= 64 bytes");

/* Working state, see the memory model above. Opaque; about 2.2 KiB. */
struct sb_xml_ctx {
	struct sb_xml_header hdr;
	uint64_t val_off;                         /* current attribute value */
	uint32_t val_len;
	uint32_t val_flags;
	uint32_t ref_cp;                          /* character reference value */
	uint16_t tok_len;                         /* bytes of the name being read */
	uint16_t tok_pfx;                         /* its prefix length + 1, 0 if none */
	uint16_t names_len;                       /* used bytes of names[] */
	uint16_t attr_names_len;
	uint16_t prefix_len;
	uint8_t nattrs;
	uint8_t nns;
	uint8_t attr_kind;                        /* XML_A_* of the current attribute */
	uint8_t quote;
	uint8_t ret_state;                        /* state a reference returns to */
	uint8_t match_set, match_alive, match_k;  /* incremental string matcher */
	uint8_t brackets;                         /* "]]" seen in text */
	uint8_t self_closing;
	uint8_t decl_seen;                        /* XML declaration pseudo-attributes */
	uint8_t child_seen;
	uint16_t name_end[SB_XML_DEPTH_MAX];      /* end of each open qname in names[] */
	uint16_t name_pfx[SB_XML_DEPTH_MAX];      /* its prefix length + 1, 0 if none */
	uint16_t attr_end[SB_XML_ATTRS_MAX];
	uint16_t attr_pfx[SB_XML_ATTRS_MAX];
	uint64_t val_hash;                        /* of a namespace name being read */
	uint8_t val_hashing;                      /* val_hash is being computed */
	uint8_t val_cr;                           /* last character hashed was a raw CR */
	struct {
		struct sb_xml_span span;          /* namespace name */
		uint64_t hash;                    /* of the normalised name (0: none) */
		uint16_t pfx_end;                 /* end of the prefix in prefixes[] */
		uint8_t depth;                    /* element depth that declared it */
	} ns[SB_XML_NS_MAX];
	uint8_t names[SB_XML_NAMES_BYTES];
	uint8_t attr_names[SB_XML_ATTR_NAMES_BYTES];
	uint8_t prefixes[SB_XML_PREFIX_BYTES];
};

/* Reset x for a new stream (the first byte fed after this is offset 0): at
 * connection start and at every stream restart, after STARTTLS and after
 * SASL success (RFC 6120 §5.4.3.3, §6.4.6). */
void sb_xml_init(struct sb_xml *x);

/* Defaults suited to c2s: 64 KiB stanzas (a common server default), depth 16,
 * 32 attributes, 3 KiB values (a full JID is at most 3071 bytes, RFC 7622
 * §3.1), 64-byte names. */
void sb_xml_limits_default(struct sb_xml_limits *lim);

/* Feed bytes p[0..n) of the stream. Consumes bytes until an event completes
 * (returns SB_XML_EVENT, *ev filled, *consumed = bytes used including the
 * event's last byte: call again with the rest), until the input is used up
 * (SB_XML_NEED_MORE, *consumed = n), or until an error (*consumed = offset of
 * the offending byte in p; every later call returns the same error without
 * reading). When the input ends between top-level elements after whitespace,
 * a KEEPALIVE event is returned with *consumed = n. Feeding the same bytes in
 * any split gives the same elements, offsets and errors (only where
 * whitespace is reported, in a KEEPALIVE or the next event, depends on it).
 * lim must not exceed the ctx capacities (checked: an oversized limit is
 * clamped to the capacity). ctx: see the memory model above. */
enum sb_xml_status sb_xml_feed(struct sb_xml *x, struct sb_xml_ctx *ctx,
			       const struct sb_xml_limits *lim, const uint8_t *p, size_t n,
			       struct sb_xml_event *ev, size_t *consumed);

/* True while the ctx given to sb_xml_feed() holds state this connection
 * needs on its next call (an element or the stream header is incomplete). */
static inline bool sb_xml_busy(const struct sb_xml *x)
{
	return (x->flags & SB_XML_F_BUSY) != 0;
}

/* Stream offset of the next byte to feed. */
static inline uint64_t sb_xml_offset(const struct sb_xml *x)
{
	return x->off;
}

/* Un-read the top-level element ev that sb_xml_feed() just returned: the
 * next feed starts again at its '<' and returns it again. Only for an
 * SB_XML_EV_ELEMENT event, before any other feed of x: between top-level
 * elements nothing but the offset is state (the stream header's bindings
 * stay), so a caller that finds it cannot take the element in now (the
 * dataplane: no message objects for it) leaves its bytes unconsumed. */
static inline void sb_xml_unread(struct sb_xml *x, const struct sb_xml_event *ev)
{
	x->off = ev->start_off;
	x->ws_bytes = 0;
}

/* Short stable name of a status ("need-more", "unbound-prefix", ...). */
const char *sb_xml_status_str(enum sb_xml_status st);

/* Decode the raw bytes of a span that the tokenizer accepted: references
 * replaced, \t \n \r normalised to spaces (XML 1.0 §3.3.3). Writes at most
 * cap bytes to out (the result is never longer than the input). Returns the
 * decoded length, or -ENOSPC if out is too small, -EINVAL if the bytes are not
 * a well-formed value (not what the tokenizer accepted). */
int sb_xml_value_decode(const uint8_t *raw, size_t len, uint8_t *out, size_t cap);

/* Walks over an element the tokenizer accepted (xml_walk.c); each is
 * bounded by len. p[i] is the '<' of a start tag: the index after its
 * '>' (len if none), and whether it was an empty-element tag. */
size_t sb_xml_walk_tag_end(const uint8_t *p, size_t i, size_t len, bool *empty);
/* The index of the first lit at or after i, or len. */
size_t sb_xml_walk_find(const uint8_t *p, size_t i, size_t len, const char *lit);
/* The raw value of the unprefixed attribute name of the start tag at p[0]
 * (the first len bytes hold it), or false. */
bool sb_xml_walk_attr(const uint8_t *p, size_t len, const char *name, const uint8_t **val,
		      size_t *n);

#endif
