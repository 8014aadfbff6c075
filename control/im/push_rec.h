/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0357's pure parts (im_push.c uses them; unit `im-push` tests them):
 * a user's push registrations as one store record, and the body cut a
 * notification may carry.
 *
 * Record (SB_STORE_PUSH, key: bare JID):
 *   u8 version (1), u8 count, u8[2] zero, then per registration
 *   be16 jid_len, jid, be16 node_len, node, be16 form_len, form
 */
#ifndef SB_IM_PUSH_REC_H
#define SB_IM_PUSH_REC_H

#include <stddef.h>
#include <stdint.h>

#define SB_PUSH_REC_VERSION 1u

/* One registration; the pointers are into a record or the caller's. */
struct sb_push_reg {
	const uint8_t *jid;
	size_t jid_len;
	const uint8_t *node;
	size_t node_len;
	const uint8_t *form;   /* the publish-options <x/>, or empty */
	size_t form_len;
};

/* The first at most max registrations of rec[0..len) into v, pointing
 * into rec; their count, or -EBADMSG. */
int sb_push_unpack(const uint8_t *rec, size_t len, struct sb_push_reg *v, unsigned max);

/* v[0..n) (n <= 255, each field under 64 KiB) into a malloc'd record;
 * 0, -EINVAL or -ENOMEM. */
int sb_push_pack(const struct sb_push_reg *v, unsigned n, uint8_t **out, size_t *len);

/* How many bytes of the raw (escaped) character data s[0..len) fit in
 * max without cutting a UTF-8 sequence or a character reference. */
size_t sb_push_body_cut(const char *s, size_t len, size_t max);

#endif
