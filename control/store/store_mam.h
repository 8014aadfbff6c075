/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The message archive of a user (XEP-0313) behind the store interface:
 * append-only records in the user's shard, ordered by time, each named by
 * an id the user's clients see (XEP-0359 stanza-id, XEP-0313 result id).
 *
 * Archive record (SB_STORE_MAM, key: bare JID, 0, be64 ord). ord is the
 * archiving time in microseconds since the epoch, made unique per shard
 * by the writer (never below the last one it gave + 1), so byte order is
 * arrival order and a start/end filter is a key range:
 *
 *   u8 version (1), u8 flags (SB_MAM_F_*), be16 with_len, be16
 *   with_bare_len, be16 zero, with (the other party's JID: the recipient
 *   as addressed for a message the user sent, the sender's full JID for
 *   one received), then the message bytes with from and to as the user's
 *   client saw or sent them.
 *
 * Index by peer (SB_STORE_MAM_WITH, key: bare JID, 0, the peer's bare JID,
 * 0, be64 ord; value: the peer's JID as in the record), written in the
 * same transaction as the record, so that a `with` query reads only the
 * records it returns (a record whose index key would pass SB_STORE_KEY_MAX
 * is not indexed).
 *
 * Ids. A record's public id is a keyed 64-bit permutation of its ord (a
 * four-round Feistel network over SipHash-2-4, tweaked by the user's bare
 * JID, keyed from the deployment secret), written as 16 hex digits. So ids
 * are unique (a permutation of unique ords) and never reused (ords only
 * grow), do not reveal the time or the archive's size to someone without
 * the secret, and need no index: the id decrypts to the key.
 */
#ifndef SB_STORE_MAM_H
#define SB_STORE_MAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SB_MAM_VERSION 1u
#define SB_MAM_HDR_LEN 8u
#define SB_MAM_F_OUT 0x01u /* the user sent it */
#define SB_MAM_ID_LEN 16u  /* hex digits of an id */

struct sb_mam_rec {
	uint64_t ord;
	uint8_t flags;
	uint16_t with_len;
	uint16_t with_bare_len;
	const char *with;
	const uint8_t *bytes;
	size_t bytes_len;
};

/* Key of a record: bare, 0, be64 ord. Its length, or 0 if it does not fit
 * cap or SB_STORE_KEY_MAX. */
size_t sb_mam_key(uint8_t *key, size_t cap, const char *bare, size_t len, uint64_t ord);

/* Key of a record's index entry; its length, or 0 if it does not fit. */
size_t sb_mam_with_key(uint8_t *key, size_t cap, const char *bare, size_t len,
		       const char *with_bare, size_t wlen, uint64_t ord);

/* Encode r (ord aside) into rec[0..cap). Its length, or 0. */
size_t sb_mam_pack(const struct sb_mam_rec *r, uint8_t *rec, size_t cap);

/* Decode a record and its key. 0 or -EBADMSG. */
int sb_mam_unpack(struct sb_mam_rec *r, const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen);

/* The id permutation's key, derived from the deployment secret. */
struct sb_mam_idkey {
	uint8_t k[16];
};

void sb_mam_idkey_init(struct sb_mam_idkey *ik, const uint8_t secret[SB_STORE_SECRET_LEN]);
uint64_t sb_mam_id_of(const struct sb_mam_idkey *ik, const char *bare, size_t len, uint64_t ord);
uint64_t sb_mam_ord_of(const struct sb_mam_idkey *ik, const char *bare, size_t len, uint64_t id);
/* 16 lowercase hex digits and a NUL. */
void sb_mam_id_str(uint64_t id, char out[SB_MAM_ID_LEN + 1]);
/* Exactly 16 hex digits; 0 or -EINVAL. */
int sb_mam_id_parse(const char *s, size_t n, uint64_t *id);

/* Visit the records of bare with lo <= ord <= hi, ascending (descending
 * with reverse), at most max visited; fn returns nonzero to stop. Records
 * that do not decode are counted (bad_record) and skipped. Returns how
 * many were visited, or a negative errno. */
typedef int (*sb_mam_fn)(void *arg, const struct sb_mam_rec *r);
int sb_store_mam_range(struct sb_store *st, const char *bare, size_t len, uint64_t lo,
		       uint64_t hi, bool reverse, unsigned max, sb_mam_fn fn, void *arg);

/* Visit the index entries of peer with_bare in bare's archive with lo <=
 * ord <= hi, as sb_store_mam_range does; fn gets the ord and the peer's
 * JID as recorded. */
typedef int (*sb_mam_with_fn)(void *arg, uint64_t ord, const char *with, size_t with_len);
int sb_store_mam_with_range(struct sb_store *st, const char *bare, size_t len,
			    const char *with_bare, size_t wlen, uint64_t lo, uint64_t hi,
			    bool reverse, unsigned max, sb_mam_with_fn fn, void *arg);

/* The record of ord: fn called once. 0, -ENOENT or an error. */
int sb_store_mam_get(struct sb_store *st, const char *bare, size_t len, uint64_t ord,
		     sb_mam_fn fn, void *arg);

/* Delete the oldest records of bare with ord < before, at most max, with
 * their index entries (one transaction). Returns how many were deleted. */
int sb_store_mam_purge(struct sb_store *st, const char *bare, size_t len, uint64_t before,
		       unsigned max);

/* XEP-0082 DateTime (YYYY-MM-DDThh:mm:ss[.fraction](Z|(+|-)hh:mm)) to
 * microseconds since the epoch; 0 or -EINVAL. */
int sb_mam_time_parse(const char *s, size_t n, uint64_t *us);

/* XEP-0082 DateTime in UTC with microseconds; out holds 28 bytes. */
void sb_mam_time_str(uint64_t us, char out[32]);

#endif
