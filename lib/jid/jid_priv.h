/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/jid private interface between the ASCII fast path (jid.c) and the
 * non-ASCII slow path (jid_precis.c: ICU for PRECIS, libidn2 for IDNA2008).
 * Each slow-path function takes one part that contains at least one byte
 * >= 0x80 (or an A-label), writes its normalised UTF-8 form into
 * out[0..cap) NUL-terminated, and returns 0 or a negative errno with *why set.
 */
#ifndef SB_JID_PRIV_H
#define SB_JID_PRIV_H

#include <stddef.h>

#include "jid.h"

int jid_precis_local(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
		     enum sb_jid_reason *why);
int jid_precis_resource(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
			enum sb_jid_reason *why);
int jid_idna_domain(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
		    enum sb_jid_reason *why);

/* Map a reason to the errno sb_jid_parse_why() returns for it. */
int jid_fail(enum sb_jid_reason *why, enum sb_jid_reason r);

#endif
