/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fields of a presence stanza that the control plane routes on, taken
 * out here so that sb-control never searches stanza bytes: the <priority/>
 * child (RFC 6121 §4.7.2.3). The element was validated by lib/xml, so this
 * walk only follows the shape of well-formed XML: tags with quoted attribute
 * values, character data with references, CDATA sections. It reads the
 * direct children of the presence only and stops at its end tag; the work is
 * bounded by the element's length.
 */
#include <errno.h>
#include <string.h>

#include "c2s_priv.h"

static bool is_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The value of an xs:byte as XML Schema 1.0 Part 2 §3.3.13 reads it:
 * whitespace collapsed, optional sign, decimal digits (leading zeros
 * allowed), -128..127. Fed one character at a time. */
struct c2s_byte {
	int state;        /* 0 leading ws, 1 after sign, 2 digits, 3 trailing ws, -1 bad */
	int neg;
	int v;            /* saturates at 1000 */
};

static void byte_char(struct c2s_byte *b, uint32_t cp)
{
	bool ws = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
	bool digit = cp >= '0' && cp <= '9';

	if (b->state < 0)
		return;
	if (ws) {
		if (b->state == 1)
			b->state = -1;
		else if (b->state == 2)
			b->state = 3;
	} else if (digit && (b->state == 0 || b->state == 1 || b->state == 2)) {
		b->state = 2;
		if (b->v < 1000)
			b->v = b->v * 10 + (int)(cp - '0');
	} else if ((cp == '-' || cp == '+') && b->state == 0) {
		b->state = 1;
		b->neg = cp == '-';
	} else {
		b->state = -1;
	}
}

/* A character reference &#N; or &#xH; at p[i] (the tokenizer checked it);
 * any other reference is one of the five entities, none of which is a digit,
 * sign or whitespace: U+FFFF stands for them. Returns the index after ';'. */
static size_t ref_char(const uint8_t *p, size_t i, size_t len, uint32_t *cp)
{
	uint32_t v = 0;
	bool hex = i + 2 < len && p[i + 1] == '#' && p[i + 2] == 'x';

	*cp = 0xFFFF;
	if (i + 1 < len && p[i + 1] == '#') {
		for (i += hex ? 3 : 2; i < len && p[i] != ';'; i++) {
			uint32_t d = p[i] <= '9' ? p[i] - (uint32_t)'0' : (p[i] | 0x20u) - 'a' + 10u;

			v = v > 0x10FFFF ? v : v * (hex ? 16u : 10u) + d;
		}
		*cp = v;
		return i + 1;
	}
	while (i < len && p[i] != ';')
		i++;
	return i + 1;
}

/* The content of a <priority> element from p[i] up to its end tag (a child
 * element makes it invalid). Returns the index after "</priority>". */
static size_t priority_content(const uint8_t *p, size_t i, size_t len, struct c2s_byte *b)
{
	uint32_t cp;
	size_t e;
	bool empty;

	while (i < len) {
		if (p[i] == '&') {
			i = ref_char(p, i, len, &cp);
			byte_char(b, cp);
		} else if (p[i] == '<' && i + 1 < len && p[i + 1] == '!') {
			e = sb_xml_walk_find(p, i + 9, len, "]]>"); /* <![CDATA[ ... ]]> */
			for (i += 9; i < e; i++)
				byte_char(b, p[i]);
			i = e + 3;
		} else if (p[i] == '<') {
			if (i + 1 < len && p[i + 1] != '/')
				b->state = -1; /* <priority> has character data only */
			return sb_xml_walk_tag_end(p, i, len, &empty);
		} else {
			byte_char(b, p[i] < 0x80 ? p[i] : 0xFFFF);
			i++;
		}
	}
	return len;
}

/* Whether an xmlns='...' value (raw bytes, i.e. possibly with references)
 * names jabber:client. */
static bool raw_is_client(const uint8_t *raw, size_t n)
{
	uint8_t v[sizeof(C2S_NS_CLIENT)];
	int w = sb_xml_value_decode(raw, n, v, sizeof(v));

	return w == (int)sizeof(C2S_NS_CLIENT) - 1 && memcmp(v, C2S_NS_CLIENT, (size_t)w) == 0;
}

/* Whether the direct child starting at p[i] is <priority> in jabber:client:
 * unprefixed, with the namespace its own xmlns gives or, without one, the
 * one its parent's children inherit. */
static bool is_priority(const uint8_t *p, size_t i, size_t end, bool inherit_client)
{
	static const char name[] = "priority";
	const uint8_t *v;
	size_t n = sizeof(name) - 1;
	struct c2s_elem tag = { .p = p + i, .len = end - i };

	if (end - i < n + 2 || memcmp(p + i + 1, name, n) != 0 ||
	    !(is_ws(p[i + 1 + n]) || p[i + 1 + n] == '>' || p[i + 1 + n] == '/'))
		return false;
	if (c2s_attr_raw(&tag, "xmlns", &v, &n))
		return raw_is_client(v, n);
	return inherit_client;
}

int c2s_presence_priority(const struct c2s_elem *e, int8_t *prio)
{
	const uint8_t *p = e->p, *v;
	size_t len = e->len, i, end, n;
	struct c2s_byte b;
	bool empty, client = true;
	unsigned depth = 1, seen = 0;

	*prio = 0;
	i = c2s_stag_end(e, &empty);
	if (empty)
		return 0;
	if (c2s_attr_raw(e, "xmlns", &v, &n))
		client = raw_is_client(v, n); /* the children's default namespace */
	while (i < len && depth > 0) {
		if (p[i] != '<' || i + 1 >= len) {
			i++;
			continue;
		}
		if (p[i + 1] == '/') {
			depth--;
			i = sb_xml_walk_tag_end(p, i, len, &empty);
		} else if (p[i + 1] == '!') {
			i = sb_xml_walk_find(p, i, len, "]]>") + 3;
		} else {
			end = sb_xml_walk_tag_end(p, i, len, &empty);
			if (depth == 1 && is_priority(p, i, end, client)) {
				/* RFC 6121 §4.7.2.3: one element, an xs:byte */
				memset(&b, 0, sizeof(b));
				i = empty ? end : priority_content(p, end, len, &b);
				if (++seen > 1 || b.state < 2 || b.v > (b.neg ? 128 : 127))
					return -EINVAL;
				*prio = (int8_t)(b.neg ? -b.v : b.v);
				continue;
			}
			depth += empty ? 0u : 1u;
			i = end;
		}
	}
	return seen;
}
