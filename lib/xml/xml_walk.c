/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Walks over an element the tokenizer has accepted (xml.h): with the
 * well-formedness and restricted-XML checks done, a start tag has the XML
 * 1.0 §3.1 shape Name (S Attribute)* S? ('>' | '/>'), a value is quoted
 * and may hold '>', and the only markup in content is tags, references and
 * CDATA sections. Shared by lib/xmpp (priority, bind, SASL) and
 * sb-control (roster items, disco), so the shape is read in one place.
 */
#include <string.h>

#include "xml.h"

static bool walk_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

size_t sb_xml_walk_tag_end(const uint8_t *p, size_t i, size_t len, bool *empty)
{
	uint8_t q = 0;

	for (i++; i < len; i++) {
		if (q != 0) {
			if (p[i] == q)
				q = 0;
		} else if (p[i] == '\'' || p[i] == '"') {
			q = p[i];
		} else if (p[i] == '>') {
			*empty = p[i - 1] == '/';
			return i + 1;
		}
	}
	*empty = true;
	return len;
}

size_t sb_xml_walk_find(const uint8_t *p, size_t i, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	for (; i + n <= len; i++)
		if (p[i] == (uint8_t)lit[0] && memcmp(p + i, lit, n) == 0)
			return i;
	return len;
}

bool sb_xml_walk_attr(const uint8_t *p, size_t len, const char *name, const uint8_t **val,
		      size_t *n)
{
	size_t i = 1, want = strlen(name);

	while (i < len && !walk_ws(p[i]) && p[i] != '/' && p[i] != '>')
		i++;
	for (;;) {
		size_t ns, ne, vs;
		uint8_t q;

		while (i < len && walk_ws(p[i]))
			i++;
		if (i >= len || p[i] == '/' || p[i] == '>')
			return false;
		ns = i;
		while (i < len && p[i] != '=' && !walk_ws(p[i]))
			i++;
		ne = i;
		while (i < len && p[i] != '\'' && p[i] != '"')
			i++;
		if (i >= len)
			return false;
		q = p[i];
		vs = ++i;
		while (i < len && p[i] != q)
			i++;
		if (i >= len)
			return false;
		if (ne - ns == want && memcmp(p + ns, name, want) == 0) {
			*val = p + vs;
			*n = i - vs;
			return true;
		}
		i++;
	}
}
