/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stanza errors built outside a stream's state machine (RFC 6120 §8.3):
 * by the control plane when it cannot route a stanza, and by the dataplane
 * when the control plane is away. One builder, so both say the same thing.
 */
#ifndef SB_XMPP_ERROR_H
#define SB_XMPP_ERROR_H

#include <stddef.h>

struct sb_xmpp_error {
	const char *kind;      /* "message", "presence" or "iq" */
	const char *from;      /* who answers: the intended recipient, or the domain */
	size_t from_len;
	const char *to;        /* the original sender's full JID */
	size_t to_len;
	const char *id;        /* the original id as received (raw attribute bytes), or NULL */
	size_t id_len;
	const char *type;      /* "cancel", "wait", "modify", "auth" (RFC 6120 §8.3.2) */
	const char *condition; /* e.g. "service-unavailable" (RFC 6120 §8.3.3) */
	const char *app;       /* an application-specific condition element (§8.3.4),
				* raw XML written as is, or NULL */
};

/* Write the error stanza into out[0..cap). JIDs are escaped; the raw id is
 * put between the quote it cannot contain. Returns its length, or -ENOSPC. */
int sb_xmpp_error_write(const struct sb_xmpp_error *e, char *out, size_t cap);

#endif
