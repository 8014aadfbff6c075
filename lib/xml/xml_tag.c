/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tags: start tags with their attributes, end tags, namespace declarations
 * and prefix resolution (Namespaces in XML 1.0 §3, §5), the routing header of
 * top-level elements and the checks on the stream header (RFC 6120 §4.7,
 * §4.8). Names are the only bytes copied (into the caller's ctx, bounded by
 * the limits); attribute values are recorded as stream spans.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xml_priv.h"

#define STREAM_QNAME "stream:stream"
#define STREAM_QNAME_LEN 13u


static bool bytes_eq(const uint8_t *a, size_t alen, const char *b)
{
	return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/* Append cp to the QName being read into buf[used..cap). A QName is NCName
 * or NCName ':' NCName (Namespaces in XML 1.0 §4). */
static enum sb_xml_status name_char(struct sb_xml_ctx *c, const struct sb_xml_limits *lim,
				    uint8_t *buf, size_t cap, size_t used, uint32_t cp,
				    enum sb_xml_status full)
{
	uint8_t enc[4];
	size_t k;

	if (cp == ':') {
		if (c->tok_pfx != 0 || c->tok_len == 0)
			return SB_XML_ERR_NAME;
		c->tok_pfx = (uint16_t)(c->tok_len + 1);
	} else if (c->tok_len == 0 || c->tok_pfx == c->tok_len) {
		if (!xml_name_start_cp(cp))
			return SB_XML_ERR_NAME;
	} else if (!xml_name_cp(cp)) {
		return SB_XML_ERR_NAME;
	}
	k = xml_utf8_put(cp, enc);
	if (c->tok_len + k > lim->max_name_bytes)
		return SB_XML_ERR_LIMIT_NAME;
	if (used + c->tok_len + k > cap)
		return full;
	memcpy(buf + used + c->tok_len, enc, k);
	c->tok_len = (uint16_t)(c->tok_len + k);
	return SB_XML_NEED_MORE;
}

static bool name_cont(uint32_t cp)
{
	return cp == ':' || xml_name_cp(cp);
}

/* First character after '<': a start tag begins. */
enum sb_xml_status xml_tag_begin(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				 uint32_t cp)
{
	if (!xml_name_start_cp(cp))
		return (cp == ':' || xml_name_cp(cp)) ? SB_XML_ERR_NAME : SB_XML_ERR_SYNTAX;
	/* depth counts the stream; the stanza itself is one level of max_depth */
	if (x->depth >= 1 && x->depth > s->lim->max_depth)
		return SB_XML_ERR_LIMIT_DEPTH;
	c->tok_len = 0;
	c->tok_pfx = 0;
	c->nattrs = 0;
	c->attr_names_len = 0;
	c->self_closing = 0;
	x->state = XS_STAG_NAME;
	return name_char(c, s->lim, c->names, SB_XML_NAMES_BYTES, c->names_len, cp,
			 SB_XML_ERR_LIMIT_DEPTH);
}

/* The element's QName is complete. */
static enum sb_xml_status stag_name_end(struct sb_xml *x, struct sb_xml_ctx *c)
{
	const uint8_t *name = c->names + c->names_len;
	unsigned idx;

	if (c->tok_pfx != 0 && c->tok_pfx == c->tok_len)
		return SB_XML_ERR_NAME;
	if (c->tok_pfx == 6 && memcmp(name, "xmlns", 5) == 0)
		return SB_XML_ERR_NS_DECL; /* Namespaces in XML 1.0 §3 */
	if (x->depth == 0)
		return bytes_eq(name, c->tok_len, STREAM_QNAME) ? SB_XML_NEED_MORE
								 : SB_XML_ERR_STREAM_NAME;
	idx = x->depth - 1u;
	c->name_end[idx] = (uint16_t)(c->names_len + c->tok_len);
	c->name_pfx[idx] = c->tok_pfx;
	return SB_XML_NEED_MORE;
}

/* What an attribute means to the tokenizer: a namespace declaration, one of
 * the header attributes of the stream header or a top-level element (top),
 * or nothing. Dispatched on the length first: this runs per attribute. */
static uint8_t attr_classify(const uint8_t *name, size_t len, uint16_t pfx, bool top)
{
	if (pfx == 6 && memcmp(name, "xmlns", 5) == 0)
		return XA_XMLNS_PFX;
	if (pfx != 0)
		return top && len == 8 && memcmp(name, "xml:lang", 8) == 0 ? XA_LANG : XA_OTHER;
	switch (len) {
	case 2:
		if (top && name[0] == 't' && name[1] == 'o')
			return XA_TO;
		return top && name[0] == 'i' && name[1] == 'd' ? XA_ID : XA_OTHER;
	case 4:
		if (top && memcmp(name, "type", 4) == 0)
			return XA_TYPE;
		return top && memcmp(name, "from", 4) == 0 ? XA_FROM : XA_OTHER;
	case 5:
		return memcmp(name, "xmlns", 5) == 0 ? XA_XMLNS : XA_OTHER;
	case 7:
		return top && memcmp(name, "version", 7) == 0 ? XA_VERSION : XA_OTHER;
	default:
		return XA_OTHER;
	}
}

/* Local names of the routing attributes (RFC 6120 §8.1): a prefixed one on
 * a top-level element is flagged in the header (SB_XML_HDR_F_PREFIXED_ADDR). */
static bool addr_local(const uint8_t *local, size_t n)
{
	switch (n) {
	case 2:
		return memcmp(local, "to", 2) == 0 || memcmp(local, "id", 2) == 0;
	case 4:
		return memcmp(local, "from", 4) == 0 || memcmp(local, "type", 4) == 0;
	default:
		return false;
	}
}

static enum sb_xml_status attr_name_end(struct sb_xml *x, struct sb_xml_ctx *c,
					const struct sb_xml_limits *lim)
{
	const uint8_t *name = c->attr_names + c->attr_names_len;
	uint16_t len = c->tok_len, start = 0;

	if (c->tok_pfx != 0 && c->tok_pfx == c->tok_len)
		return SB_XML_ERR_NAME;
	if (c->nattrs >= lim->max_attrs)
		return SB_XML_ERR_LIMIT_ATTRS;
	for (unsigned a = 0; a < c->nattrs; a++) {
		/* XML 1.0 §3.1 WFC: Unique Att Spec */
		if (c->attr_end[a] - start == len && c->attr_names[start] == name[0] &&
		    memcmp(c->attr_names + start, name, len) == 0)
			return SB_XML_ERR_DUP_ATTR;
		start = c->attr_end[a];
	}
	c->attr_names_len = (uint16_t)(c->attr_names_len + len);
	c->attr_end[c->nattrs] = c->attr_names_len;
	c->attr_pfx[c->nattrs] = c->tok_pfx;
	c->nattrs++;
	c->attr_kind = attr_classify(name, len, c->tok_pfx, x->depth <= 1);
	if (c->tok_pfx != 0 && x->depth == 1 && c->attr_kind != XA_XMLNS_PFX &&
	    addr_local(name + c->tok_pfx, (size_t)(len - c->tok_pfx)))
		c->hdr.flags |= SB_XML_HDR_F_PREFIXED_ADDR;
	return SB_XML_NEED_MORE;
}

static void attr_value_begin(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
			     uint32_t quote)
{
	size_t start = c->nattrs > 1 ? c->attr_end[c->nattrs - 2] : 0;
	size_t len = c->attr_end[c->nattrs - 1] - start;

	c->quote = (uint8_t)quote;
	c->val_off = s->pos + 1;
	c->val_flags = SB_XML_SPAN_PRESENT;
	c->match_set = XM_NONE;
	c->val_hashing = 0;
	if (x->depth == 0 && bytes_eq(c->attr_names + start, len, "xmlns:stream")) {
		xml_match_start(c, XM_STREAMS_NS);
	} else if (c->attr_kind == XA_XMLNS_PFX || c->attr_kind == XA_XMLNS) {
		/* compared by hash: attrs_resolve(), reserved names */
		c->val_hashing = 1;
		c->val_cr = 0;
		c->val_hash = XML_HASH_SEED;
	}
	x->state = XS_ATTR_VAL;
}

void xml_attr_ref_char(struct sb_xml_ctx *c, uint32_t cp)
{
	/* A value given with references never matches a fixed string here:
	 * the streams namespace is compared literally (stricter than XML). */
	c->val_flags |= SB_XML_SPAN_ESCAPED;
	c->match_set = XM_NONE;
	c->match_alive = 0;
	if (c->val_hashing) {
		/* a referenced character is not normalised (XML 1.0 §3.3.3) */
		c->val_hash = xml_hash_cp(c->val_hash, cp);
		c->val_cr = 0;
	}
}

/* Hash a literal character of a namespace name, normalised as XML 1.0
 * §2.11 and §3.3.3 say: CR LF and CR are one line end, and every line end,
 * tab or newline becomes a space. */
static void value_hash(struct sb_xml_ctx *c, uint32_t cp)
{
	bool lf_after_cr = cp == '\n' && c->val_cr;

	c->val_cr = cp == '\r';
	if (lf_after_cr)
		return;
	if (cp == '\t' || cp == '\n' || cp == '\r')
		cp = ' ';
	c->val_hash = xml_hash_cp(c->val_hash, cp);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = XML_HASH_SEED;

	while (*s)
		h = xml_hash_cp(h, (uint8_t)*s++);
	return h;
}

/* Bind a prefix (plen 0: the default namespace) inside the stanza. */
static enum sb_xml_status ns_push(struct sb_xml *x, struct sb_xml_ctx *c, const uint8_t *pfx,
				  size_t plen, const struct sb_xml_span *span)
{
	if (c->nns >= SB_XML_NS_MAX || c->prefix_len + plen > SB_XML_PREFIX_BYTES)
		return SB_XML_ERR_LIMIT_NS;
	memcpy(c->prefixes + c->prefix_len, pfx, plen);
	c->prefix_len = (uint16_t)(c->prefix_len + plen);
	c->ns[c->nns].span = *span;
	c->ns[c->nns].pfx_end = c->prefix_len;
	c->ns[c->nns].depth = (uint8_t)(x->depth + 1);
	c->ns[c->nns].hash = plen ? c->val_hash : 0; /* defaults never apply to attributes */
	c->nns++;
	return SB_XML_NEED_MORE;
}

/* A namespace declaration on the stream header (RFC 6120 §4.8). */
static enum sb_xml_status stream_ns_decl(struct sb_xml *x, struct sb_xml_ctx *c,
					 const uint8_t *pfx, size_t plen,
					 const struct sb_xml_span *span)
{
	if (plen == 0) {
		c->hdr.ns.span = *span;
		c->hdr.ns.src = span->len ? SB_XML_NS_SPAN : SB_XML_NS_NONE;
		if (span->len)
			x->flags |= XML_F_STREAM_DEF;
		return SB_XML_NEED_MORE;
	}
	if (bytes_eq(pfx, plen, "stream")) {
		if (c->match_set != XM_STREAMS_NS || xml_match_done(c) != 0)
			return SB_XML_ERR_STREAM_NS;
		x->flags |= XML_F_STREAM_NS;
		return SB_XML_NEED_MORE;
	}
	if (x->extra_len != 0 || plen > SB_XML_STREAM_PREFIX_BYTES)
		return SB_XML_ERR_LIMIT_NS;
	memcpy(x->extra_prefix, pfx, plen);
	x->extra_len = (uint8_t)plen;
	x->extra_hash = c->val_hash;
	c->hdr.stream_extra = *span;
	return SB_XML_NEED_MORE;
}

static enum sb_xml_status attr_value_end(struct sb_xml *x, struct sb_xml_ctx *c,
					 struct xml_step *s)
{
	struct sb_xml_span span = { c->val_off, (uint32_t)(s->pos - c->val_off), c->val_flags };
	const uint8_t *pfx = c->attr_names + (c->nattrs > 1 ? c->attr_end[c->nattrs - 2] : 0);
	size_t plen = 0;
	struct sb_xml_span *dst = NULL;

	x->state = XS_AFTER_VAL;
	switch (c->attr_kind) {
	case XA_XMLNS_PFX:
		plen = (size_t)(c->attr_end[c->nattrs - 1] - (pfx - c->attr_names)) - 6;
		pfx += 6;
		/* Namespaces in XML 1.0 §3: xml and xmlns are never (re)bound
		 * here, and a prefix cannot be bound to the empty name. */
		if (span.len == 0 || bytes_eq(pfx, plen, "xml") || bytes_eq(pfx, plen, "xmlns"))
			return SB_XML_ERR_NS_DECL;
		/* fall through */
	case XA_XMLNS:
		/* ... nor is any prefix, or the default, bound to their names */
		if (c->val_hashing && (c->val_hash == hash_str(XML_NS_XML) ||
				       c->val_hash == hash_str(XML_NS_XMLNS)))
			return SB_XML_ERR_NS_DECL;
		if (x->depth == 0)
			return stream_ns_decl(x, c, pfx, plen, &span);
		return ns_push(x, c, pfx, plen, &span);
	case XA_TYPE: dst = &c->hdr.type; break;
	case XA_TO: dst = &c->hdr.to; break;
	case XA_FROM: dst = &c->hdr.from; break;
	case XA_ID: dst = &c->hdr.id; break;
	case XA_VERSION: dst = &c->hdr.version; break;
	case XA_LANG: dst = &c->hdr.lang; break;
	default: break;
	}
	if (dst != NULL)
		*dst = span;
	return SB_XML_NEED_MORE;
}

/* Resolve a prefix (plen 0: the default namespace) for an element; *hash
 * gets the namespace name's hash for a prefix. A prefix bound only on the
 * stream header resolves where stream_ok (the stream header itself, and the
 * name of a top-level element: stream:error, db:result); anywhere else in a
 * stanza it is SB_XML_ERR_STREAM_PREFIX, because a stanza routed into another
 * stream must carry its own declarations (that stream never saw ours). The
 * default namespace is exempt: it is jabber:client in every c2s stream. */
static enum sb_xml_status ns_resolve(const struct sb_xml *x, const struct sb_xml_ctx *c,
				     const uint8_t *pfx, size_t plen, bool stream_ok,
				     struct sb_xml_ns *out, uint64_t *hash)
{
	for (unsigned i = c->nns; i-- > 0;) {
		size_t start = i ? c->ns[i - 1].pfx_end : 0;

		if (c->ns[i].pfx_end - start == plen &&
		    memcmp(c->prefixes + start, pfx, plen) == 0) {
			out->span = c->ns[i].span;
			out->src = c->ns[i].span.len ? SB_XML_NS_SPAN : SB_XML_NS_NONE;
			*hash = c->ns[i].hash;
			return SB_XML_NEED_MORE;
		}
	}
	memset(out, 0, sizeof(*out));
	*hash = 0;
	if (plen == 0) {
		out->src = (x->flags & XML_F_STREAM_DEF) ? SB_XML_NS_STREAM_DEFAULT
							 : SB_XML_NS_NONE;
	} else if (bytes_eq(pfx, plen, "stream") && (x->flags & XML_F_STREAM_NS)) {
		out->src = SB_XML_NS_STREAMS;
		*hash = hash_str(XML_NS_STREAMS);
	} else if (x->extra_len && plen == x->extra_len &&
		   memcmp(pfx, x->extra_prefix, plen) == 0) {
		out->src = SB_XML_NS_STREAM_EXTRA;
		*hash = x->extra_hash;
	} else {
		return SB_XML_ERR_UNBOUND_PREFIX; /* Namespaces in XML 1.0 §5 */
	}
	return (plen == 0 || stream_ok) ? SB_XML_NEED_MORE : SB_XML_ERR_STREAM_PREFIX;
}

/* Every attribute prefix must be bound (xml is bound by definition), and
 * no two attributes may have the same local name and namespace name
 * (Namespaces in XML 1.0 §6.3). Namespace names are compared by a 64-bit
 * hash: a collision can only refuse a valid element, never accept one. */
static enum sb_xml_status attrs_resolve(const struct sb_xml *x, const struct sb_xml_ctx *c)
{
	uint64_t hash[SB_XML_ATTRS_MAX];
	struct sb_xml_ns ns;
	size_t start = 0;
	enum sb_xml_status r;

	for (unsigned a = 0; a < c->nattrs; start = c->attr_end[a], a++) {
		const uint8_t *name = c->attr_names + start;
		size_t plen = c->attr_pfx[a] ? c->attr_pfx[a] - 1u : 0;

		hash[a] = 0;
		if (plen == 0 || bytes_eq(name, plen, "xmlns"))
			continue;
		if (bytes_eq(name, plen, "xml")) {
			hash[a] = hash_str(XML_NS_XML);
		} else {
			/* stream-level prefixes: on the stream header only */
			r = ns_resolve(x, c, name, plen, x->depth == 0, &ns, &hash[a]);
			if (r != SB_XML_NEED_MORE)
				return r;
		}
		for (unsigned b = 0, bstart = 0; b < a; bstart = c->attr_end[b], b++) {
			size_t blen = c->attr_end[b] - bstart, bpfx = c->attr_pfx[b];

			if (hash[b] == hash[a] && hash[a] != 0 &&
			    blen - bpfx == c->attr_end[a] - start - plen - 1 &&
			    memcmp(c->attr_names + bstart + bpfx, name + plen + 1,
				   blen - bpfx) == 0)
				return SB_XML_ERR_DUP_ATTR;
		}
	}
	return SB_XML_NEED_MORE;
}

static void copy_local(char *dst, uint16_t *dst_len, const uint8_t *qname, size_t len,
		       size_t pfx)
{
	size_t n = len - pfx, k = n < SB_XML_HDR_NAME_BYTES - 1 ? n : SB_XML_HDR_NAME_BYTES - 1;

	memcpy(dst, qname + pfx, k);
	dst[k] = '\0';
	*dst_len = (uint16_t)n;
}

/* An element at depth level closed: pop its bindings and name. */
static enum sb_xml_status elem_end(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				   unsigned level)
{
	while (c->nns > 0 && c->ns[c->nns - 1].depth >= level)
		c->nns--;
	c->prefix_len = c->nns ? c->ns[c->nns - 1].pfx_end : 0;
	c->names_len = level > 2 ? c->name_end[level - 3] : 0;
	x->depth = (uint8_t)(level - 1);
	c->brackets = 0;
	if (level > 2) {
		x->state = XS_TEXT;
		return SB_XML_NEED_MORE;
	}
	x->state = XS_STREAM;
	x->flags &= (uint8_t)~XML_F_BUSY;
	return xml_emit(x, c, s, SB_XML_EV_ELEMENT);
}

static enum sb_xml_status stream_open(struct sb_xml *x, struct sb_xml_ctx *c,
				      struct xml_step *s)
{
	if (c->self_closing)
		return SB_XML_ERR_STREAM_NAME;
	if (!(x->flags & XML_F_STREAM_NS))
		return SB_XML_ERR_STREAM_NS;
	if (attrs_resolve(x, c) != SB_XML_NEED_MORE)
		return SB_XML_ERR_UNBOUND_PREFIX;
	memcpy(c->hdr.name, "stream", 7);
	c->hdr.name_len = 6;
	x->depth = 1;
	x->state = XS_STREAM;
	x->flags &= (uint8_t)~XML_F_BUSY;
	return xml_emit(x, c, s, SB_XML_EV_STREAM_OPEN);
}

/* '>' of a start tag: resolve names, fill the header, open the element. */
static enum sb_xml_status stag_end(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s)
{
	unsigned level = x->depth + 1u, idx = level - 2u;
	size_t start = c->names_len, len, pfx;
	struct sb_xml_ns ns;
	uint64_t hash;
	enum sb_xml_status r;

	if (level == 1)
		return stream_open(x, c, s);
	len = c->name_end[idx] - start;
	pfx = c->name_pfx[idx];
	r = ns_resolve(x, c, c->names + start, pfx ? pfx - 1 : 0, level == 2, &ns, &hash);
	if (r == SB_XML_NEED_MORE)
		r = attrs_resolve(x, c);
	if (r != SB_XML_NEED_MORE)
		return r;
	if (level == 2) {
		copy_local(c->hdr.name, &c->hdr.name_len, c->names + start, len, pfx);
		c->hdr.ns = ns;
	} else if (level == 3 && !c->child_seen) {
		copy_local(c->hdr.child_name, &c->hdr.child_name_len, c->names + start, len, pfx);
		c->hdr.child_ns = ns;
		c->child_seen = 1;
	}
	c->names_len = c->name_end[idx];
	if (c->self_closing)
		return elem_end(x, c, s, level);
	x->depth = (uint8_t)level;
	x->state = XS_TEXT;
	c->brackets = 0;
	return SB_XML_NEED_MORE;
}

static enum sb_xml_status step_attr_val(struct sb_xml *x, struct sb_xml_ctx *c,
					struct xml_step *s, uint32_t cp)
{
	if (s->pos - c->val_off >= s->lim->max_attr_value_bytes && cp != c->quote)
		return SB_XML_ERR_LIMIT_VALUE;
	if (cp == c->quote)
		return attr_value_end(x, c, s);
	if (cp == '<')
		return SB_XML_ERR_LT_IN_ATTR; /* XML 1.0 §3.1 WFC: No < in Attribute Values */
	if (cp == '&') {
		c->ret_state = XS_ATTR_VAL;
		x->state = XS_REF;
		return SB_XML_NEED_MORE;
	}
	if (cp == '\t' || cp == '\n' || cp == '\r')
		c->val_flags |= SB_XML_SPAN_ESCAPED; /* normalised to ' ', XML 1.0 §3.3.3 */
	if (c->match_set != XM_NONE)
		xml_match_step(c, cp);
	else if (c->val_hashing)
		value_hash(c, cp);
	return SB_XML_NEED_MORE;
}

/* Inside a start tag, between names: whitespace, '/', '>' or a new name. */
static enum sb_xml_status step_in_tag(struct sb_xml *x, struct sb_xml_ctx *c,
				      struct xml_step *s, uint32_t cp)
{
	if (xml_is_ws(cp)) {
		x->state = XS_STAG_WS;
		return SB_XML_NEED_MORE;
	}
	if (cp == '/') {
		x->state = XS_EMPTY;
		return SB_XML_NEED_MORE;
	}
	if (cp == '>')
		return stag_end(x, c, s);
	if (x->state != XS_STAG_WS)
		return SB_XML_ERR_SYNTAX; /* attributes are separated by S (XML 1.0 §3.1) */
	if (!xml_name_start_cp(cp))
		return cp == ':' ? SB_XML_ERR_NAME : SB_XML_ERR_SYNTAX;
	c->tok_len = 0;
	c->tok_pfx = 0;
	x->state = XS_ATTR_NAME;
	return name_char(c, s->lim, c->attr_names, SB_XML_ATTR_NAMES_BYTES, c->attr_names_len,
			 cp, SB_XML_ERR_LIMIT_ATTRS);
}

enum sb_xml_status xml_tag_step(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				uint32_t cp)
{
	enum sb_xml_status r;

	switch (x->state) {
	case XS_ATTR_VAL:
		return step_attr_val(x, c, s, cp);
	case XS_STAG_NAME:
		if (name_cont(cp))
			return name_char(c, s->lim, c->names, SB_XML_NAMES_BYTES, c->names_len,
					 cp, SB_XML_ERR_LIMIT_DEPTH);
		if (!xml_is_ws(cp) && cp != '/' && cp != '>')
			return SB_XML_ERR_SYNTAX;
		r = stag_name_end(x, c);
		return r != SB_XML_NEED_MORE ? r : step_in_tag(x, c, s, cp);
	case XS_ATTR_NAME:
		if (name_cont(cp))
			return name_char(c, s->lim, c->attr_names, SB_XML_ATTR_NAMES_BYTES,
					 c->attr_names_len, cp, SB_XML_ERR_LIMIT_ATTRS);
		if (!xml_is_ws(cp) && cp != '=')
			return SB_XML_ERR_SYNTAX;
		r = attr_name_end(x, c, s->lim);
		x->state = cp == '=' ? XS_ATTR_Q : XS_ATTR_EQ;
		return r;
	case XS_ATTR_EQ:
		if (cp == '=')
			x->state = XS_ATTR_Q;
		else if (!xml_is_ws(cp))
			return SB_XML_ERR_SYNTAX;
		return SB_XML_NEED_MORE;
	case XS_ATTR_Q:
		if (cp == '"' || cp == '\'')
			attr_value_begin(x, c, s, cp);
		else if (!xml_is_ws(cp))
			return SB_XML_ERR_SYNTAX;
		return SB_XML_NEED_MORE;
	case XS_EMPTY:
		if (cp != '>')
			return SB_XML_ERR_SYNTAX;
		c->self_closing = 1;
		return stag_end(x, c, s);
	default: /* XS_STAG_WS, XS_AFTER_VAL */
		return step_in_tag(x, c, s, cp);
	}
}

/* End tags (XML 1.0 §3.1 WFC: Element Type Match): the name is compared
 * byte by byte with the open element's, or with stream:stream at depth 1. */
enum sb_xml_status xml_etag_step(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				 uint32_t cp)
{
	const uint8_t *want = (const uint8_t *)STREAM_QNAME;
	size_t want_len = STREAM_QNAME_LEN;
	uint8_t enc[4];
	size_t k;

	if (x->depth >= 2) {
		unsigned idx = x->depth - 2u;
		size_t start = idx ? c->name_end[idx - 1] : 0;

		want = c->names + start;
		want_len = c->name_end[idx] - start;
	}
	if (x->state != XS_ETAG_WS && (x->state == XS_ETAG_START || name_cont(cp))) {
		if (x->state == XS_ETAG_START && !xml_name_start_cp(cp))
			return SB_XML_ERR_NAME;
		x->state = XS_ETAG_NAME;
		k = xml_utf8_put(cp, enc);
		if (c->tok_len + k > want_len || memcmp(want + c->tok_len, enc, k) != 0)
			return SB_XML_ERR_TAG_MISMATCH;
		c->tok_len = (uint16_t)(c->tok_len + k);
		return SB_XML_NEED_MORE;
	}
	if (c->tok_len != want_len)
		return SB_XML_ERR_TAG_MISMATCH;
	if (xml_is_ws(cp)) {
		x->state = XS_ETAG_WS;
		return SB_XML_NEED_MORE;
	}
	if (cp != '>')
		return SB_XML_ERR_SYNTAX;
	if (x->depth >= 2)
		return elem_end(x, c, s, x->depth);
	x->depth = 0;
	x->state = XS_CLOSED;
	x->flags &= (uint8_t)~XML_F_BUSY;
	return xml_emit(x, c, s, SB_XML_EV_STREAM_CLOSE);
}

/* Bulk path for the ASCII middle of a name (start tag, attribute or end
 * tag): takes a run of name characters other than ':' at once. Returns the
 * index of the first byte the state machine must see itself: a ':', a
 * non-ASCII byte, a delimiter, the byte that reaches a limit, or a byte
 * that does not match the open element's name (so errors keep their exact
 * offsets). */
size_t xml_name_run(struct sb_xml *x, struct sb_xml_ctx *c, const struct sb_xml_limits *lim,
		    const uint8_t *p, size_t i, size_t end)
{
	uint8_t *buf = c->names;
	const uint8_t *want = (const uint8_t *)STREAM_QNAME;
	size_t used = c->names_len, cap = SB_XML_NAMES_BYTES, room, j = i;

	if (c->tok_len == 0 || c->tok_pfx == c->tok_len)
		return i; /* an NCName's first character has its own rule */
	if (x->state == XS_ETAG_NAME) {
		room = STREAM_QNAME_LEN;
		if (x->depth >= 2) {
			unsigned idx = x->depth - 2u;
			size_t start = idx ? c->name_end[idx - 1] : 0;

			want = c->names + start;
			room = c->name_end[idx] - start;
		}
		room -= c->tok_len;
		if (end - i > room)
			end = i + room;
		while (j < end && p[j] < 0x80 && (xml_cc[p[j]] & CC_NCHAR))
			j++;
		if (memcmp(want + c->tok_len, p + i, j - i) != 0)
			return i;
		c->tok_len = (uint16_t)(c->tok_len + (j - i));
		return j;
	}
	if (x->state == XS_ATTR_NAME) {
		buf = c->attr_names;
		used = c->attr_names_len;
		cap = SB_XML_ATTR_NAMES_BYTES;
	}
	room = lim->max_name_bytes - c->tok_len;
	if (cap - used - c->tok_len < room)
		room = cap - used - c->tok_len;
	if (end - i > room)
		end = i + room;
	while (j < end && p[j] < 0x80 && (xml_cc[p[j]] & CC_NCHAR))
		j++;
	memcpy(buf + used + c->tok_len, p + i, j - i);
	c->tok_len = (uint16_t)(c->tok_len + (j - i));
	return j;
}

/* Bulk path for a namespace name being hashed: plain ASCII bytes hash as
 * themselves (they need no normalisation). Returns the next index to step. */
size_t xml_value_hash_run(struct sb_xml_ctx *c, const uint8_t *p, size_t i, size_t end)
{
	uint64_t h = c->val_hash;
	size_t j = i;

	while (j < end && p[j] < 0x80 && (xml_cc[p[j]] & CC_AVAL))
		h = xml_hash_cp(h, p[j++]);
	if (j > i) {
		c->val_hash = h;
		c->val_cr = 0;
	}
	return j;
}
