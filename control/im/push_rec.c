/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0357 registrations as a record, and the body cut (push_rec.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "push_rec.h"

int sb_push_unpack(const uint8_t *rec, size_t len, struct sb_push_reg *v, unsigned max)
{
	size_t off = 4;
	unsigned n;

	if (len < 4 || rec[0] != SB_PUSH_REC_VERSION)
		return -EBADMSG;
	n = rec[1];
	if (n > max)
		n = max; /* im.push_max_devices lowered since: the first ones */
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p[3];
		size_t l[3];

		for (unsigned f = 0; f < 3; f++) {
			if (off + 2 > len)
				return -EBADMSG;
			l[f] = (size_t)rec[off] << 8 | rec[off + 1];
			off += 2;
			if (l[f] > len - off)
				return -EBADMSG;
			p[f] = rec + off;
			off += l[f];
		}
		v[i] = (struct sb_push_reg){ p[0], l[0], p[1], l[1], p[2], l[2] };
	}
	return (int)n;
}

int sb_push_pack(const struct sb_push_reg *v, unsigned n, uint8_t **out, size_t *len)
{
	size_t total = 4, off = 4;
	uint8_t *rec;

	if (n > 255)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (v[i].jid_len > 0xFFFF || v[i].node_len > 0xFFFF || v[i].form_len > 0xFFFF)
			return -EINVAL;
		total += 6 + v[i].jid_len + v[i].node_len + v[i].form_len;
	}
	rec = malloc(total);
	if (rec == NULL)
		return -ENOMEM;
	rec[0] = SB_PUSH_REC_VERSION;
	rec[1] = (uint8_t)n;
	rec[2] = rec[3] = 0;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p[3] = { v[i].jid, v[i].node, v[i].form };
		size_t l[3] = { v[i].jid_len, v[i].node_len, v[i].form_len };

		for (unsigned f = 0; f < 3; f++) {
			rec[off] = (uint8_t)(l[f] >> 8);
			rec[off + 1] = (uint8_t)l[f];
			if (l[f] > 0)
				memcpy(rec + off + 2, p[f], l[f]);
			off += 2 + l[f];
		}
	}
	*out = rec;
	*len = total;
	return 0;
}

size_t sb_push_body_cut(const char *s, size_t len, size_t max)
{
	size_t l;
	const char *amp;

	if (len <= max)
		return len;
	l = max;
	while (l > 0 && ((uint8_t)s[l] & 0xC0u) == 0x80u)
		l--; /* s[l] would start the next piece: not a continuation byte */
	/* A reference is at most "&#x10FFFF;" (10 bytes): an '&' that late
	 * with no ';' before the cut is cut off whole. */
	amp = memchr(s + (l > 10 ? l - 10 : 0), '&', l > 10 ? 10 : l);
	while (amp != NULL) {
		const char *next;

		if (memchr(amp, ';', (size_t)(s + l - amp)) == NULL)
			return (size_t)(amp - s);
		next = memchr(amp + 1, '&', (size_t)(s + l - amp - 1));
		amp = next;
	}
	return l;
}
