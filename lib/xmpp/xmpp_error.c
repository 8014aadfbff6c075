/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See xmpp_error.h.
 */
#include <errno.h>
#include <string.h>

#include "xmpp_error.h"

struct err_buf {
	char *p;
	size_t cap, len;
	int overflow;
};

static void put(struct err_buf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct err_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Attribute value in single quotes (XML 1.0 §2.4, §3.3.3). */
static void put_esc(struct err_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': puts_(b, "&amp;"); break;
		case '<': puts_(b, "&lt;"); break;
		case '>': puts_(b, "&gt;"); break;
		case '\'': puts_(b, "&apos;"); break;
		case '"': puts_(b, "&quot;"); break;
		default: put(b, &s[i], 1); break;
		}
	}
}

int sb_xmpp_error_write(const struct sb_xmpp_error *e, char *out, size_t cap)
{
	struct err_buf b = { .p = out, .cap = cap };

	puts_(&b, "<");
	puts_(&b, e->kind);
	puts_(&b, " from='");
	put_esc(&b, e->from, e->from_len);
	puts_(&b, "' to='");
	put_esc(&b, e->to, e->to_len);
	puts_(&b, "'");
	if (e->id != NULL) {
		/* The raw value was valid between one of the quotes, so it
		 * cannot hold both: keep the bytes, pick the other quote. */
		const char *q = memchr(e->id, '\'', e->id_len) ? "\"" : "'";

		puts_(&b, " id=");
		puts_(&b, q);
		put(&b, e->id, e->id_len);
		puts_(&b, q);
	}
	puts_(&b, " type='error'><error type='");
	puts_(&b, e->type);
	puts_(&b, "'><");
	puts_(&b, e->condition);
	puts_(&b, " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>");
	if (e->app != NULL)
		puts_(&b, e->app);
	puts_(&b, "</error></");
	puts_(&b, e->kind);
	puts_(&b, ">");
	if (b.overflow)
		return -ENOSPC;
	out[b.len] = '\0';
	return (int)b.len;
}
