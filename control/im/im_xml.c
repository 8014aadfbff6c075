/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Walks over validated stanza bytes and the escaping writers (im_xml.h).
 */
#include <errno.h>
#include <string.h>

#include "im_xml.h"
#include "xml.h"

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int imx_open(struct imx_el *e, const uint8_t *p, size_t len)
{
	size_t i = 1;

	memset(e, 0, sizeof(*e));
	if (len < 3 || p[0] != '<')
		return -EINVAL;
	while (i < len && !is_ws(p[i]) && p[i] != '>' && p[i] != '/')
		i++;
	e->p = p;
	e->len = len;
	e->name_len = i - 1;
	e->stag_end = sb_xml_walk_tag_end(p, 0, len, &e->empty);
	return e->name_len > 0 ? 0 : -EINVAL;
}

bool imx_attr(const struct imx_el *e, const char *name, const uint8_t **v, size_t *vl)
{
	return sb_xml_walk_attr(e->p, e->stag_end, name, v, vl);
}

int imx_attr_text(const struct imx_el *e, const char *name, char *out, size_t cap)
{
	const uint8_t *v;
	size_t vl;
	int n;

	if (!imx_attr(e, name, &v, &vl))
		return -ENOENT;
	if (cap == 0)
		return -ENOSPC;
	n = sb_xml_value_decode(v, vl, (uint8_t *)out, cap - 1);
	if (n < 0)
		return n;
	out[n] = '\0';
	return n;
}

bool imx_child(const struct imx_el *parent, size_t *pos, struct imx_el *child)
{
	const uint8_t *p = parent->p;
	size_t len = parent->len, i = *pos ? *pos : parent->stag_end;
	unsigned depth = 0;
	size_t start = 0;
	bool empty, done = false;

	if (parent->empty)
		return false;
	while (i < len) {
		if (p[i] != '<' || i + 1 >= len) {
			i++;
			continue;
		}
		if (p[i + 1] == '!') {
			i = sb_xml_walk_find(p, i, len, "]]>") + 3;
		} else if (p[i + 1] == '/') {
			if (depth == 0)
				return false; /* the parent's end tag */
			i = sb_xml_walk_tag_end(p, i, len, &empty);
			if (--depth == 0) {
				done = true;
				break;
			}
		} else {
			size_t e = sb_xml_walk_tag_end(p, i, len, &empty);

			if (depth == 0)
				start = i;
			if (!empty) {
				depth++;
			} else if (depth == 0) {
				i = e;
				done = true;
				break;
			}
			i = e;
		}
	}
	if (!done || i > len || start == 0)
		return false;
	*pos = i;
	return imx_open(child, p + start, i - start) == 0;
}

bool imx_is(const struct imx_el *e, const char *name, const char *ns, const char *inherited_ns)
{
	size_t n = strlen(name);
	char v[128];
	int vl;

	if (e->name_len != n || memcmp(e->p + 1, name, n) != 0)
		return false;
	vl = imx_attr_text(e, "xmlns", v, sizeof(v));
	if (vl == -ENOENT)
		return inherited_ns != NULL && strcmp(inherited_ns, ns) == 0;
	return vl >= 0 && strcmp(v, ns) == 0;
}

void imx_content(const struct imx_el *e, size_t *start, size_t *end)
{
	size_t i = e->len;

	*start = e->stag_end;
	if (e->empty) {
		*end = e->stag_end;
		return;
	}
	while (i > e->stag_end && e->p[i - 1] != '<')
		i--;
	*end = i > e->stag_end ? i - 1 : e->stag_end;
}

int imx_text(const struct imx_el *e, char *out, size_t cap)
{
	size_t s, end, o = 0, i;

	imx_content(e, &s, &end);
	if (cap == 0)
		return -ENOSPC;
	for (i = s; i < end;) {
		if (e->p[i] == '<' && i + 1 < end && e->p[i + 1] == '!') {
			size_t ce = sb_xml_walk_find(e->p, i + 9, end, "]]>");

			if (ce - (i + 9) > cap - 1 - o)
				return -ENOSPC;
			memcpy(out + o, e->p + i + 9, ce - (i + 9));
			o += ce - (i + 9);
			i = ce + 3;
		} else if (e->p[i] == '<') {
			return -EINVAL;
		} else {
			size_t j = i;
			int n;

			while (j < end && e->p[j] != '<')
				j++;
			n = sb_xml_value_decode(e->p + i, j - i, (uint8_t *)out + o, cap - 1 - o);
			if (n < 0)
				return n;
			o += (size_t)n;
			i = j;
		}
	}
	out[o] = '\0';
	return (int)o;
}

void imx_put(struct imx_out *o, const void *s, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

void imx_puts(struct imx_out *o, const char *s)
{
	imx_put(o, s, strlen(s));
}

void imx_esc(struct imx_out *o, const void *s, size_t n)
{
	const char *c = s;
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (c[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '\'': rep = "&apos;"; break;
		case '"': rep = "&quot;"; break;
		default: break;
		}
		if (rep == NULL)
			continue;
		imx_put(o, c + run, i - run);
		imx_puts(o, rep);
		run = i + 1;
	}
	imx_put(o, c + run, n - run);
}

void imx_attr_put(struct imx_out *o, const char *name, const void *v, size_t n)
{
	imx_puts(o, " ");
	imx_puts(o, name);
	imx_puts(o, "='");
	imx_esc(o, v, n);
	imx_puts(o, "'");
}

void imx_raw_attr_put(struct imx_out *o, const char *name, const void *raw, size_t n)
{
	const char *q = memchr(raw, '\'', n) != NULL ? "\"" : "'";

	imx_puts(o, " ");
	imx_puts(o, name);
	imx_puts(o, "=");
	imx_puts(o, q);
	imx_put(o, raw, n);
	imx_puts(o, q);
}
