/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The instant-messaging data of a user behind the store interface
 * (store.h's kv operations, so no caller depends on the backend): the
 * roster (RFC 6121 §2) with the subscription state of every contact, the
 * pending inbound subscription requests (§3.1.3: kept until answered and
 * delivered at each login), and the offline messages (XEP-0160), ordered
 * per user.
 *
 * Roster record (SB_STORE_ROSTER, key: the bare JID). One record per user,
 * read and rewritten whole: a roster is small (im.roster_max_items, 18
 * contacts typically) and every change is one atomic write.
 *
 *   u8 version (1), u8[7] zero, be64 ver (the roster version, RFC 6121
 *   §2.6), be64 floor (the oldest version pushes can still be computed
 *   from), be32 items, then per item:
 *   be64 ver (version of its last change), u8 sub (enum sb_sub), u8 flags
 *   (SB_ROSTER_F_*), u8 groups, u8 has_name, be16 jid_len, be16 name_len,
 *   jid, name, then per group be16 len, bytes.
 *
 * An item with SB_ROSTER_F_GONE is a tombstone: a removal remembered so a
 * client that presents an older version gets a push of it (§2.6.3); at most
 * SB_ROSTER_TOMBS_MAX are kept and floor rises as the oldest go. An item
 * without SB_ROSTER_F_SHOWN carries subscription state only (a request from
 * someone the user never added, §3.1.3): it is not part of the roster the
 * user sees until approved or added.
 *
 * Offline record (SB_STORE_OFFLINE, key: bare JID, 0, be64 seq; seq grows
 * per user so byte order is arrival order): be64 stamp (ms since the
 * epoch), u8 kind (| 0x80: an origin follows), u8 type, be16 from_len,
 * be16 from_bare_len, [origin: be64 tsc, be32 gen, be16 worker, be16 0],
 * from (the sender's full JID), then the stanza bytes exactly as delivered
 * (the XEP-0203 <delay/> already inside). Records without the flag (from
 * before origins) read as they always did.
 */
#ifndef SB_STORE_IM_H
#define SB_STORE_IM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SB_ROSTER_VERSION 1u
#define SB_ROSTER_GROUPS_MAX 32u   /* groups per item */
#define SB_ROSTER_TOMBS_MAX 64u    /* removals remembered for versioned pushes */
#define SB_ROSTER_TEXT_MAX 1023u   /* bytes of a name or a group */

/* RFC 6121 §2.1.2.5 subscription, without the pending flags. */
enum sb_sub {
	SB_SUB_NONE = 0,
	SB_SUB_TO,
	SB_SUB_FROM,
	SB_SUB_BOTH,
	SB_SUB_MAX,
};

#define SB_ROSTER_F_PENDING_OUT 0x01u /* ask='subscribe' */
#define SB_ROSTER_F_PENDING_IN 0x02u  /* a request waits for the user's answer */
#define SB_ROSTER_F_PREAPPROVED 0x04u /* RFC 6121 §3.4 */
#define SB_ROSTER_F_SHOWN 0x08u       /* part of the roster the user sees */
#define SB_ROSTER_F_GONE 0x10u        /* tombstone of a removal */

struct sb_roster_item {
	uint64_t ver;
	uint8_t sub;
	uint8_t flags;
	uint8_t n_groups;
	bool has_name;
	uint16_t jid_len;
	uint16_t name_len;
	char *jid;          /* normalised bare JID, NUL-terminated */
	char *name;         /* raw UTF-8 text (not escaped), NUL-terminated */
	char *groups[SB_ROSTER_GROUPS_MAX];
	uint16_t group_len[SB_ROSTER_GROUPS_MAX];
};

struct sb_roster {
	uint64_t ver;
	uint64_t floor;
	uint32_t n;
	uint32_t cap;
	struct sb_roster_item *items;
};

void sb_roster_init(struct sb_roster *r);
void sb_roster_free(struct sb_roster *r);

/* The item of jid (shown, hidden or tombstone), or NULL. */
struct sb_roster_item *sb_roster_find(struct sb_roster *r, const char *jid, size_t len);

/* The item of jid, created (not shown, subscription none) if missing; a
 * tombstone is revived as a fresh item. NULL: out of memory. */
struct sb_roster_item *sb_roster_get(struct sb_roster *r, const char *jid, size_t len);

/* Set an item's name (NULL: none) and groups; 0 or -ENOMEM. */
int sb_roster_item_set(struct sb_roster_item *it, const char *name, size_t name_len,
		       const char *const *groups, const uint16_t *group_len, unsigned n_groups);

/* Bump the roster version and stamp it on it (a change to push). */
void sb_roster_touch(struct sb_roster *r, struct sb_roster_item *it);

/* Turn it into a tombstone (or drop it if it was never shown), keeping at
 * most SB_ROSTER_TOMBS_MAX tombstones (floor rises past the oldest). */
void sb_roster_remove(struct sb_roster *r, struct sb_roster_item *it);

/* Items the user sees (shown, not gone). */
unsigned sb_roster_shown(const struct sb_roster *r);

/* Encode into a malloc'd record (*out, *len). 0 or -ENOMEM. */
int sb_roster_pack(const struct sb_roster *r, uint8_t **out, size_t *len);
/* Decode a record into an empty roster. 0, -EBADMSG or -ENOMEM. */
int sb_roster_unpack(struct sb_roster *r, const uint8_t *rec, size_t len);

/* Load the roster of bare[0..len) (an empty one when there is none). 0,
 * -EBADMSG (counted bad_record), -ENOMEM or a backend error. */
int sb_store_roster_load(struct sb_store *st, const char *bare, size_t len, struct sb_roster *r);
/* Write it back durably (an empty roster deletes the record). */
int sb_store_roster_save(struct sb_store *st, const char *bare, size_t len,
			 const struct sb_roster *r);

/* Pending inbound subscription requests: the request stanza of contact for
 * user, kept until the user answers (put), deleted when answered (del),
 * visited at login (list: fn gets the contact and the stanza bytes). */
int sb_store_subreq_put(struct sb_store *st, const char *user, size_t ulen, const char *contact,
			size_t clen, const void *stanza, size_t slen);
int sb_store_subreq_del(struct sb_store *st, const char *user, size_t ulen, const char *contact,
			size_t clen);
typedef int (*sb_store_subreq_fn)(void *arg, const char *contact, size_t clen,
				  const uint8_t *stanza, size_t slen);
int sb_store_subreq_list(struct sb_store *st, const char *user, size_t ulen, unsigned max,
			 sb_store_subreq_fn fn, void *arg);

/* Offline messages. */
#define SB_OFFLINE_HDR_LEN 14u
#define SB_OFFLINE_ORIGIN_LEN 14u /* after the header when the kind byte has 0x80 */

/* Where a stored message first entered sb-control: the dataplane worker
 * that read it from its sender and that worker's TSC when it packed the
 * chain (one rdtsc per stanza, so unique per worker), and the sender's
 * connection generation. It stays with the chain through routing, so a
 * chain a killed sb-control left behind can be matched against what it
 * had already committed (control/im/im_recover.c). */
struct sb_offline_origin {
	uint64_t tsc;
	uint32_t gen;
	uint16_t worker;
	uint16_t set;            /* 0: unknown (not stored; never matches) */
};

struct sb_offline_msg {
	uint64_t seq;
	uint64_t stamp_ms;
	uint8_t kind;            /* enum sb_msg_stanza_kind */
	uint8_t type;            /* enum sb_msg_stanza_type */
	uint16_t from_len;
	uint16_t from_bare_len;
	struct sb_offline_origin origin;
	const char *from;
	const uint8_t *bytes;
	size_t bytes_len;
};

/* Key of an offline message: bare, 0, be64 seq. Returns its length, or 0
 * if cap is too small. */
size_t sb_offline_key(uint8_t *key, size_t cap, const char *bare, size_t len, uint64_t seq);

/* Bytes of m's record. */
size_t sb_offline_rec_len(const struct sb_offline_msg *m);

/* Encode the record of m into rec (cap bytes). Returns its length or 0. */
size_t sb_offline_pack(const struct sb_offline_msg *m, uint8_t *rec, size_t cap);

/* Whether a stored message of bare (among the first max) has origin o
 * (o->set) or number seq (seq != 0): 1 yes, 0 no, or a negative errno.
 * A scan of the user's messages: for recovery, not the steady path. */
int sb_store_offline_has(struct sb_store *st, const char *bare, size_t len, unsigned max,
			 const struct sb_offline_origin *o, uint64_t seq);

/* Count the stored messages of bare (at most max are counted) and the
 * highest seq among them (0 if none). */
int sb_store_offline_count(struct sb_store *st, const char *bare, size_t len, unsigned max,
			   uint32_t *n, uint64_t *last_seq);

/* Visit the stored messages of bare in order, at most max; fn gets each
 * decoded (pointers valid during the call only). Returns the number
 * visited. */
typedef int (*sb_store_offline_fn)(void *arg, const struct sb_offline_msg *m);
int sb_store_offline_list(struct sb_store *st, const char *bare, size_t len, unsigned max,
			  sb_store_offline_fn fn, void *arg);

/* Delete the messages of bare with seq <= upto (UINT64_MAX: all), at most
 * max per call; returns how many were deleted. */
int sb_store_offline_purge(struct sb_store *st, const char *bare, size_t len, uint64_t upto,
			   unsigned max);

/* Records and bytes of a kind in all shards. */
int sb_store_kind_stats(struct sb_store *st, enum sb_store_kind kind, uint64_t *items,
			uint64_t *bytes);
const char *sb_store_kind_name(enum sb_store_kind kind);

/* The shard of a bare JID string. */
unsigned sb_store_shard_of_bare(const struct sb_store *st, const char *bare, size_t len);

#endif
