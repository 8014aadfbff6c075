/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See out.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "out.h"

void sb_out_init(struct sb_out *o, char *buf, size_t size)
{
	o->buf = buf;
	o->size = size;
	o->len = 0;
	o->truncated = false;
	if (size > 0)
		buf[0] = '\0';
}

void sb_out_printf(struct sb_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->truncated || o->len + 1 >= o->size) {
		o->truncated = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->truncated = true;
		o->len = o->size - 1;
		return;
	}
	o->len += (size_t)n;
}
