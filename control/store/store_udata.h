/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Per-user records that are read and written whole, behind the store's kv
 * operations (no caller depends on the backend): the block list (XEP-0191),
 * the vCard (XEP-0054) and private XML storage (XEP-0049).
 *
 * Block list record (SB_STORE_BLOCK, key: the bare JID):
 *   u8 version (1), u8[3] zero, be32 items, then per item be16 len, the
 *   normalised JID (bare, full, domain or domain/resource). An empty list
 *   has no record.
 * vCard record (SB_STORE_VCARD, key: the bare JID): the <vCard/> element's
 *   bytes as the owner sent them (xmlns='vcard-temp' on it).
 * Private record (SB_STORE_PRIVATE, key: bare JID, 0, namespace): the
 *   stored element's bytes as sent (its own xmlns on it).
 */
#ifndef SB_STORE_UDATA_H
#define SB_STORE_UDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SB_BLOCK_VERSION 1u
#define SB_BLOCK_JID_MAX 3071u /* a full JID (RFC 7622 §3.1: 3 × 1023) */

struct sb_block_item {
	uint16_t len;
	char *jid;          /* normalised, NUL-terminated */
};

struct sb_blocklist {
	uint32_t n;
	uint32_t cap;
	struct sb_block_item *v;
};

void sb_blocklist_init(struct sb_blocklist *bl);
void sb_blocklist_free(struct sb_blocklist *bl);
/* 1 added, 0 already there, -ENOMEM, -EINVAL (empty or too long). */
int sb_blocklist_add(struct sb_blocklist *bl, const char *jid, size_t len);
/* 1 removed, 0 not there. */
int sb_blocklist_del(struct sb_blocklist *bl, const char *jid, size_t len);
/* Whether jid[0..len) (a full or bare JID, or a domain) is blocked by an
 * item, with the JID matching of XEP-0191 §6 (XEP-0016 §2.1): an item
 * user@domain/resource matches that JID only, user@domain any resource of
 * it, domain/resource that JID only, domain every JID at the domain. */
bool sb_blocklist_match(const struct sb_blocklist *bl, const char *jid, size_t len);

/* Encode into a malloc'd record; 0 or -ENOMEM. */
int sb_blocklist_pack(const struct sb_blocklist *bl, uint8_t **out, size_t *len);
/* Decode into an empty list; 0, -EBADMSG or -ENOMEM. */
int sb_blocklist_unpack(struct sb_blocklist *bl, const uint8_t *rec, size_t len);

/* The block list of bare (an empty one when there is none); 0, -EBADMSG
 * (counted bad_record), -ENOMEM or a backend error. */
int sb_store_block_load(struct sb_store *st, const char *bare, size_t len,
			struct sb_blocklist *bl);
/* Write it back durably (an empty list deletes the record). */
int sb_store_block_save(struct sb_store *st, const char *bare, size_t len,
			const struct sb_blocklist *bl);

/* A record of kind under (bare, sub): key bare alone when slen is 0, else
 * bare, 0, sub. get: a malloc'd copy in *val (caller frees), -ENOENT when
 * there is none; put: val NULL deletes (a missing record is no error). */
int sb_store_udata_get(struct sb_store *st, enum sb_store_kind kind, const char *bare, size_t blen,
		       const char *sub, size_t slen, uint8_t **val, size_t *vlen);
int sb_store_udata_put(struct sb_store *st, enum sb_store_kind kind, const char *bare, size_t blen,
		       const char *sub, size_t slen, const void *val, size_t vlen);
/* How many records of kind bare has under bare, 0, … (at most max). */
int sb_store_udata_count(struct sb_store *st, enum sb_store_kind kind, const char *bare,
			 size_t blen, unsigned max);

#endif
