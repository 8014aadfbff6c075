/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PEP nodes (XEP-0163) behind the store's kv operations: one record per
 * (user, node), its configuration and its items, read and written whole at
 * each publish or retract. A node is small in practice (an OMEMO device
 * list or bundle, an avatar, a few bookmarks) and bounded by
 * im.pep_max_items × im.pep_item_max_bytes; a whole-record write is one
 * atomic change, so a node never shows half a publish.
 *
 * Record (SB_STORE_PEP, key: bare JID, 0, node name):
 *   u8 version (1), u8 access (enum sb_pep_access), u8 flags
 *   (SB_PEP_F_*), u8 zero, be32 max_items, be32 items, then per item,
 *   oldest first: be16 id_len, be32 payload_len, id, payload (the item's
 *   child element as published, or nothing).
 * Version 2 is version 1 with the u8 after flags the number of roster
 * groups (pubsub#roster_groups_allowed, the roster access model) and,
 * between the header and the items, per group be16 len, bytes. A node
 * without groups is still written as version 1, so records stay readable
 * by the version before groups.
 */
#ifndef SB_STORE_PEP_H
#define SB_STORE_PEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SB_PEP_VERSION 1u
#define SB_PEP_VERSION_GROUPS 2u
#define SB_PEP_HDR_LEN 12u
#define SB_PEP_NODE_MAX 1023u /* bytes of a node name */
#define SB_PEP_ID_MAX 1023u   /* bytes of an item id */
#define SB_PEP_GROUPS_MAX 32u  /* roster groups a roster node names (as a roster item) */
#define SB_PEP_GROUP_MAX 1023u /* bytes of a group name (SB_ROSTER_TEXT_MAX) */

/* pubsub#access_model values this server implements (XEP-0060 §4.5). */
enum sb_pep_access {
	SB_PEP_ACCESS_PRESENCE = 0, /* the PEP default (XEP-0163 §4.2) */
	SB_PEP_ACCESS_OPEN,
	SB_PEP_ACCESS_WHITELIST,    /* the owner only: no whitelist editing */
	SB_PEP_ACCESS_ROSTER,       /* contacts in the node's roster groups */
	SB_PEP_ACCESS_MAX,
};

#define SB_PEP_F_NO_PERSIST 0x01u /* pubsub#persist_items false: the last item only */
#define SB_PEP_F_SEND_NEVER 0x02u /* pubsub#send_last_published_item never */
#define SB_PEP_F_MAX_ITEMS_MAX 0x04u /* pubsub#max_items "max": the server's limit, as it is now */
#define SB_PEP_F_ALL (SB_PEP_F_NO_PERSIST | SB_PEP_F_SEND_NEVER | SB_PEP_F_MAX_ITEMS_MAX)

struct sb_pep_item {
	uint16_t id_len;
	uint32_t len;
	char *id;          /* NUL-terminated */
	uint8_t *payload;
};

struct sb_pep_node {
	uint8_t access;
	uint8_t flags;
	uint32_t max_items;
	uint32_t n;
	uint32_t cap;
	struct sb_pep_item *items; /* oldest first */
	uint8_t n_groups;          /* pubsub#roster_groups_allowed */
	uint16_t group_len[SB_PEP_GROUPS_MAX];
	char *groups[SB_PEP_GROUPS_MAX]; /* NUL-terminated, malloc'd */
};

void sb_pep_node_init(struct sb_pep_node *nd);
void sb_pep_node_free(struct sb_pep_node *nd);

/* Replace the node's roster groups with copies of groups[0..n) (n at
 * most SB_PEP_GROUPS_MAX, each 1..SB_PEP_GROUP_MAX bytes); 0, -EINVAL or
 * -ENOMEM (the node keeps no groups then). */
int sb_pep_node_groups_set(struct sb_pep_node *nd, const char *const *groups,
			   const uint16_t *lens, unsigned n);
/* Whether group[0..len) is one of the node's roster groups. */
bool sb_pep_node_has_group(const struct sb_pep_node *nd, const char *group, size_t len);
/* Drop every item (pubsub#owner purge). */
void sb_pep_node_purge(struct sb_pep_node *nd);

/* The item with id, or NULL. */
struct sb_pep_item *sb_pep_item_find(struct sb_pep_node *nd, const char *id, size_t len);

/* Publish: the item id replaced (moved to the newest place) or appended,
 * then the oldest dropped until max_items (1 without persistence) remain.
 * 0, -ENOMEM, -EINVAL (empty or too long id). */
int sb_pep_item_put(struct sb_pep_node *nd, const char *id, size_t id_len, const void *payload,
		    size_t len);
/* Drop the oldest items past max_items (1 without persistence), after a
 * configuration change. */
void sb_pep_node_trim(struct sb_pep_node *nd);
/* 1 removed, 0 not there. */
int sb_pep_item_del(struct sb_pep_node *nd, const char *id, size_t len);

/* The newest item, or NULL. */
const struct sb_pep_item *sb_pep_item_last(const struct sb_pep_node *nd);

/* Encode into a malloc'd record; 0 or -ENOMEM. */
int sb_pep_node_pack(const struct sb_pep_node *nd, uint8_t **out, size_t *len);
/* Decode into nd (initialised here; left empty on an error); 0, -EBADMSG
 * or -ENOMEM. */
int sb_pep_node_unpack(struct sb_pep_node *nd, const uint8_t *rec, size_t len);

/* The node of bare (an empty, initialised node and -ENOENT when there is
 * none); 0, -EBADMSG (counted bad_record), -ENOMEM or a backend error. */
int sb_store_pep_load(struct sb_store *st, const char *bare, size_t blen, const char *node,
		      size_t nlen, struct sb_pep_node *nd);
/* Write it durably; nd NULL deletes the node. */
int sb_store_pep_save(struct sb_store *st, const char *bare, size_t blen, const char *node,
		      size_t nlen, const struct sb_pep_node *nd);
/* Visit bare's node names in byte order, at most max (fn gets the name,
 * valid during the call); returns how many were visited. */
typedef int (*sb_store_pep_fn)(void *arg, const char *node, size_t nlen);
int sb_store_pep_list(struct sb_store *st, const char *bare, size_t blen, unsigned max,
		      sb_store_pep_fn fn, void *arg);

#endif
