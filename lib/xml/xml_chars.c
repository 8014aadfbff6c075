/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Character classes for the tokenizer: the ASCII class table that drives the
 * byte loops, the XML 1.0 (fifth edition) §2.3 NameStartChar/NameChar ranges
 * for code points above ASCII, and a small incremental matcher for the few
 * fixed strings the grammar names (predefined entities, CDATA[, the XML
 * declaration's pseudo-attributes, the streams namespace). The matcher keeps
 * an index and a bit set of live candidates, so a string split across chunks
 * is matched without being copied.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xml_priv.h"

#define C_ CC_CHAR
#define W_ (CC_CHAR | CC_WS)
#define T_ (CC_CHAR | CC_TEXT | CC_AVAL)        /* punctuation, plain everywhere */
#define N_ (T_ | CC_NSTART | CC_NCHAR)          /* letters and '_' */
#define H_ (N_ | CC_HEX)                        /* a-f A-F */
#define D_ (T_ | CC_NCHAR | CC_HEX)             /* digits */
#define P_ (T_ | CC_NCHAR)                      /* '-' '.' */

const uint8_t xml_cc[128] = {
	/* 0x00-0x08 are not XML Chars; \t \n \r are whitespace, plain in text
	 * but normalised in attribute values (XML 1.0 §3.3.3), so not CC_AVAL. */
	0, 0, 0, 0, 0, 0, 0, 0, 0,
	W_ | CC_TEXT, W_ | CC_TEXT, 0, 0, W_ | CC_TEXT, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* ' ' */ W_ | CC_TEXT | CC_AVAL, /* ! */ T_, /* " */ C_ | CC_TEXT, /* # */ T_,
	/* $ */ T_, /* % */ T_, /* & */ C_, /* ' */ C_ | CC_TEXT,
	/* ( */ T_, /* ) */ T_, /* * */ T_, /* + */ T_, /* , */ T_, /* - */ P_, /* . */ P_,
	/* / */ T_,
	D_, D_, D_, D_, D_, D_, D_, D_, D_, D_,
	/* : */ T_, /* ; */ T_, /* < */ C_, /* = */ T_, /* > */ T_, /* ? */ T_, /* @ */ T_,
	H_, H_, H_, H_, H_, H_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_,
	N_, N_, N_, N_, N_, N_,
	/* [ */ T_, /* \ */ T_, /* ] */ C_ | CC_AVAL, /* ^ */ T_, /* _ */ N_, /* ` */ T_,
	H_, H_, H_, H_, H_, H_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_,
	N_, N_, N_, N_, N_, N_,
	/* { */ T_, /* | */ T_, /* } */ T_, /* ~ */ T_, /* DEL */ T_,
};
_Static_assert(sizeof(xml_cc) == 128, "one class per ASCII byte");

/* XML 1.0 fifth edition §2.3 [4], above ASCII. */
bool xml_name_start_wide(uint32_t cp)
{
	return (cp >= 0xC0 && cp <= 0xD6) || (cp >= 0xD8 && cp <= 0xF6) ||
	       (cp >= 0xF8 && cp <= 0x2FF) || (cp >= 0x370 && cp <= 0x37D) ||
	       (cp >= 0x37F && cp <= 0x1FFF) || (cp >= 0x200C && cp <= 0x200D) ||
	       (cp >= 0x2070 && cp <= 0x218F) || (cp >= 0x2C00 && cp <= 0x2FEF) ||
	       (cp >= 0x3001 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFDCF) ||
	       (cp >= 0xFDF0 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0xEFFFF);
}

/* XML 1.0 fifth edition §2.3 [4a], above ASCII. */
bool xml_name_wide(uint32_t cp)
{
	return xml_name_start_wide(cp) || cp == 0xB7 || (cp >= 0x300 && cp <= 0x36F) ||
	       (cp >= 0x203F && cp <= 0x2040);
}

struct xml_match_tab {
	const char *s[5];
	uint8_t n;
	uint8_t fold;  /* compare ASCII case-insensitively */
};

static const struct xml_match_tab xml_match_tabs[XM_MAX] = {
	[XM_ENTITY] = { { "lt", "gt", "amp", "apos", "quot" }, 5, 0 },
	[XM_CDATA] = { { "CDATA[" }, 1, 0 },
	[XM_XML] = { { "xml" }, 1, 0 },
	[XM_DECL_NAME] = { { "version", "encoding", "standalone" }, 3, 0 },
	[XM_VERSION] = { { "1.0" }, 1, 0 },
	[XM_ENCODING] = { { "utf-8" }, 1, 1 },
	[XM_STANDALONE] = { { "yes", "no" }, 2, 0 },
	[XM_STREAMS_NS] = { { XML_NS_STREAMS }, 1, 0 },
};

void xml_match_start(struct sb_xml_ctx *c, enum xml_match_set set)
{
	c->match_set = (uint8_t)set;
	c->match_alive = (uint8_t)((1u << xml_match_tabs[set].n) - 1u);
	c->match_k = 0;
}

unsigned xml_match_step(struct sb_xml_ctx *c, uint32_t cp)
{
	const struct xml_match_tab *t = &xml_match_tabs[c->match_set];
	unsigned alive = c->match_alive, live = 0;

	if (cp >= 0x80 || c->match_k == UINT8_MAX) {
		c->match_alive = 0;
		return 0;
	}
	if (t->fold && cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	for (unsigned j = 0; j < t->n; j++) {
		if (!(alive & (1u << j)))
			continue;
		if ((uint8_t)t->s[j][c->match_k] != cp)
			alive &= ~(1u << j); /* also drops candidates already complete */
		else
			live++;
	}
	c->match_alive = (uint8_t)alive;
	c->match_k++;
	return live;
}

int xml_match_done(const struct sb_xml_ctx *c)
{
	const struct xml_match_tab *t = &xml_match_tabs[c->match_set];

	for (unsigned j = 0; j < t->n; j++)
		if ((c->match_alive & (1u << j)) && t->s[j][c->match_k] == '\0')
			return (int)j;
	return -1;
}

/* Encode code point cp (a valid XML Char) as UTF-8 into out; returns 1..4. */
size_t xml_utf8_put(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0u | (cp >> 6));
		out[1] = (uint8_t)(0x80u | (cp & 0x3Fu));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0u | (cp >> 12));
		out[1] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
		out[2] = (uint8_t)(0x80u | (cp & 0x3Fu));
		return 3;
	}
	out[0] = (uint8_t)(0xF0u | (cp >> 18));
	out[1] = (uint8_t)(0x80u | ((cp >> 12) & 0x3Fu));
	out[2] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
	out[3] = (uint8_t)(0x80u | (cp & 0x3Fu));
	return 4;
}
