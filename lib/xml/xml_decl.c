/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The XML declaration (XML 1.0 §2.8, §4.3.3), the only processing-
 * instruction-like markup RFC 6120 §11.5 lets through, and only as the
 * stream's first markup. Pseudo-attributes come in the fixed order version,
 * encoding, standalone; version must be 1.0 and encoding UTF-8 (RFC 6120
 * §11.6), each compared incrementally so a declaration split across chunks
 * costs nothing extra.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xml_priv.h"

#define DECL_VERSION 0x1u
#define DECL_ENCODING 0x2u
#define DECL_STANDALONE 0x4u

/* After "<?": only "xml" followed by whitespace is a declaration. */
static enum sb_xml_status decl_target(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	if (xml_match_done(c) == 0) {
		if (xml_is_ws(cp)) {
			c->decl_seen = 0;
			c->tok_len = 1; /* whitespace seen before the next pseudo-attribute */
			x->state = XS_DECL_WS;
			return SB_XML_NEED_MORE;
		}
		return (cp == ':' || xml_name_cp(cp)) ? SB_XML_ERR_PI : SB_XML_ERR_XML_DECL;
	}
	if (xml_match_step(c, cp) == 0)
		return SB_XML_ERR_PI;
	return SB_XML_NEED_MORE;
}

/* The pseudo-attribute name ended: check it is the next one allowed. */
static enum sb_xml_status decl_name_end(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	int d = xml_match_done(c);

	if (d == 0 && c->decl_seen == 0)
		c->attr_kind = DECL_VERSION;
	else if (d == 1 && c->decl_seen == DECL_VERSION)
		c->attr_kind = DECL_ENCODING;
	else if (d == 2 && (c->decl_seen & DECL_VERSION) && !(c->decl_seen & DECL_STANDALONE))
		c->attr_kind = DECL_STANDALONE;
	else
		return SB_XML_ERR_XML_DECL;
	x->state = cp == '=' ? XS_DECL_Q : XS_DECL_EQ;
	return SB_XML_NEED_MORE;
}

static enum sb_xml_status decl_value_end(struct sb_xml *x, struct sb_xml_ctx *c)
{
	if (xml_match_done(c) < 0) {
		if (c->attr_kind == DECL_VERSION)
			return SB_XML_ERR_XML_VERSION;
		return c->attr_kind == DECL_ENCODING ? SB_XML_ERR_ENCODING : SB_XML_ERR_XML_DECL;
	}
	c->decl_seen |= c->attr_kind;
	c->tok_len = 0;
	x->state = XS_DECL_WS;
	return SB_XML_NEED_MORE;
}

static enum sb_xml_status decl_quote(struct sb_xml *x, struct sb_xml_ctx *c, uint32_t cp)
{
	if (xml_is_ws(cp))
		return SB_XML_NEED_MORE;
	if (cp != '"' && cp != '\'')
		return SB_XML_ERR_XML_DECL;
	c->quote = (uint8_t)cp;
	if (c->attr_kind == DECL_VERSION)
		xml_match_start(c, XM_VERSION);
	else if (c->attr_kind == DECL_ENCODING)
		xml_match_start(c, XM_ENCODING);
	else
		xml_match_start(c, XM_STANDALONE);
	x->state = XS_DECL_VAL;
	return SB_XML_NEED_MORE;
}

enum sb_xml_status xml_decl_step(struct sb_xml *x, struct sb_xml_ctx *c, struct xml_step *s,
				 uint32_t cp)
{
	(void)s;
	switch (x->state) {
	case XS_PI_TARGET:
		return decl_target(x, c, cp);
	case XS_DECL_WS:
		if (xml_is_ws(cp)) {
			c->tok_len = 1;
			return SB_XML_NEED_MORE;
		}
		if (cp == '?') {
			x->state = XS_DECL_END;
			return SB_XML_NEED_MORE;
		}
		if (!c->tok_len || !xml_name_start_cp(cp))
			return SB_XML_ERR_XML_DECL;
		xml_match_start(c, XM_DECL_NAME);
		xml_match_step(c, cp);
		x->state = XS_DECL_NAME;
		return SB_XML_NEED_MORE;
	case XS_DECL_NAME:
		if (xml_is_ws(cp) || cp == '=')
			return decl_name_end(x, c, cp);
		if (xml_match_step(c, cp) == 0)
			return SB_XML_ERR_XML_DECL;
		return SB_XML_NEED_MORE;
	case XS_DECL_EQ:
		if (cp == '=')
			x->state = XS_DECL_Q;
		else if (!xml_is_ws(cp))
			return SB_XML_ERR_XML_DECL;
		return SB_XML_NEED_MORE;
	case XS_DECL_Q:
		return decl_quote(x, c, cp);
	case XS_DECL_VAL:
		if (cp == c->quote)
			return decl_value_end(x, c);
		if (cp == '<' || cp == '&')
			return SB_XML_ERR_XML_DECL;
		xml_match_step(c, cp);
		return SB_XML_NEED_MORE;
	default: /* XS_DECL_END */
		if (cp != '>' || !(c->decl_seen & DECL_VERSION))
			return SB_XML_ERR_XML_DECL;
		x->state = XS_PROLOG;
		x->flags &= (uint8_t)~XML_F_BUSY;
		return SB_XML_NEED_MORE;
	}
}
