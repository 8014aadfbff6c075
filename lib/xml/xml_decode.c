/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Decoding of attribute values the tokenizer accepted and reported as spans:
 * the five predefined entities and character references are replaced, and
 * \t \n \r become spaces (XML 1.0 §3.3.3 attribute-value normalisation for
 * CDATA-typed attributes, which is every attribute without a DTD). Run by the
 * caller on the few values it needs (to, from, id, ...), after it gathered
 * the span's bytes from its mbufs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xml_priv.h"


/* Parse the reference at raw[0] == '&'; returns its length and sets *cp, or
 * 0 if it is not one the tokenizer accepts. */
static size_t parse_ref(const uint8_t *raw, size_t len, uint32_t *cp)
{
	static const struct { const char *name; size_t n; uint32_t cp; } ents[] = {
		{ "&lt;", 4, '<' }, { "&gt;", 4, '>' }, { "&amp;", 5, '&' },
		{ "&apos;", 6, '\'' }, { "&quot;", 6, '"' },
	};
	size_t i = 2;
	uint32_t v = 0;
	unsigned base = 10;

	if (len < 3 || raw[1] != '#') {
		for (size_t e = 0; e < sizeof(ents) / sizeof(ents[0]); e++) {
			if (len >= ents[e].n && memcmp(raw, ents[e].name, ents[e].n) == 0) {
				*cp = ents[e].cp;
				return ents[e].n;
			}
		}
		return 0;
	}
	if (raw[2] == 'x') {
		base = 16;
		i = 3;
	}
	for (; i < len && raw[i] != ';'; i++) {
		uint32_t d;

		if (raw[i] >= '0' && raw[i] <= '9')
			d = raw[i] - '0';
		else if (base == 16 && raw[i] < 0x80 && (xml_cc[raw[i]] & CC_HEX))
			d = (uint32_t)((raw[i] | 0x20) - 'a' + 10);
		else
			return 0;
		v = v * base + d;
		if (v > 0x10FFFF)
			return 0;
	}
	if (i >= len || i == (base == 16 ? 3u : 2u) || !xml_is_char(v) ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return i + 1;
}

int sb_xml_value_decode(const uint8_t *raw, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		uint8_t tmp[4];
		size_t k, w;
		uint32_t cp;

		if (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n') {
			i++; /* XML 1.0 §2.11: a CR LF pair is one line end */
			continue;
		}
		if (raw[i] != '&') {
			if (o >= cap)
				return -ENOSPC;
			out[o++] = raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r' ? ' '
											: raw[i];
			i++;
			continue;
		}
		k = parse_ref(raw + i, len - i, &cp);
		if (k == 0)
			return -EINVAL;
		w = xml_utf8_put(cp, tmp);
		if (o + w > cap)
			return -ENOSPC;
		memcpy(out + o, tmp, w);
		o += w;
		i += k;
	}
	return (int)o;
}
