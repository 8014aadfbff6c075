/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reading and writing the stanza bytes sb-control handles. What it reads
 * was accepted by the dataplane's tokenizer (lib/xml: well-formed,
 * restricted XML, one stanza), so these walks only follow the shape of
 * such XML: tags with quoted attribute values, character data with
 * references, CDATA sections; no comments, PIs or DTDs can occur. Every
 * walk is bounded by the element's length. Writers escape every value with
 * the five predefined entities.
 */
#ifndef SB_IM_XML_H
#define SB_IM_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One element in a byte buffer: [0, len) is the whole element. */
struct imx_el {
	const uint8_t *p;
	size_t len;
	size_t name_len;   /* the qualified name at p + 1 */
	size_t stag_end;   /* index after the start tag's '>' */
	bool empty;        /* <x/> */
	bool client_ns;    /* the children's default namespace is the parent's */
};

/* Parse the start tag of the element at p[0..len). 0 or -EINVAL. */
int imx_open(struct imx_el *e, const uint8_t *p, size_t len);

/* The raw value of an unprefixed attribute, or false. */
bool imx_attr(const struct imx_el *e, const char *name, const uint8_t **v, size_t *vl);

/* An attribute's value decoded (references replaced) into out[0..cap),
 * NUL-terminated. Returns its length, -ENOENT when absent, -ENOSPC. */
int imx_attr_text(const struct imx_el *e, const char *name, char *out, size_t cap);

/* The next direct child element after *pos (start with *pos = 0).
 * Returns false at the end. */
bool imx_child(const struct imx_el *parent, size_t *pos, struct imx_el *child);

/* Whether e is named name (unprefixed) in namespace ns: its own xmlns, or
 * inherited_ns when it has none. */
bool imx_is(const struct imx_el *e, const char *name, const char *ns, const char *inherited_ns);

/* The character data of e (no child elements allowed) decoded into
 * out[0..cap), NUL-terminated. Returns its length, -EINVAL if e has child
 * elements, -ENOSPC. */
int imx_text(const struct imx_el *e, char *out, size_t cap);

/* Where the content of e starts and ends (for an empty element both are
 * the start tag's end). */
void imx_content(const struct imx_el *e, size_t *start, size_t *end);

/* Output buffer: writes past cap set over and are dropped. */
struct imx_out {
	char *p;
	size_t cap;
	size_t len;
	bool over;
};

void imx_put(struct imx_out *o, const void *s, size_t n);
void imx_puts(struct imx_out *o, const char *s);
/* s[0..n) with & < > ' " escaped. */
void imx_esc(struct imx_out *o, const void *s, size_t n);
/* name='value' with value escaped (leading space included). */
void imx_attr_put(struct imx_out *o, const char *name, const void *v, size_t n);
/* id='raw' with the raw bytes of a validated attribute value, quoted with
 * the character they cannot contain. */
void imx_raw_attr_put(struct imx_out *o, const char *name, const void *raw, size_t n);

#endif
