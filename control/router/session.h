/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One control shard's session table: for every online user of the shard
 * (hash(bare JID) % shards), the resources bound and where each lives
 * (dataplane worker, connection handle and generation). Owned by the shard
 * thread alone, so it takes no lock. Bounded by control.max_sessions; a
 * bind past it is refused with resource-constraint.
 *
 * Memory: a user entry (the bare JID) plus one small entry per resource,
 * about 100 bytes for a typical session.
 */
#ifndef SB_CTL_SESSION_H
#define SB_CTL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_session_sm;
struct sb_im_caps;

struct sb_session {
	struct sb_session *next;   /* next resource of the same user */
	uint64_t conn;             /* the dataplane's handle */
	uint32_t conn_gen;
	uint16_t worker;
	int16_t priority;
	uint64_t bound_tsc;        /* when the bind was accepted or replayed (sbctl session) */          /* RFC 6121 §4.7.2.3 */
	bool available;            /* initial presence sent (RFC 6121 §4.2) */
	bool roster_requested;     /* an interested resource (RFC 6121 §2.1.6) */
	bool carbons;              /* XEP-0280 enabled (not replayed after a restart) */
	/* Stored offline messages go to it a window at a time and more are
	 * stored (control/im/im_offline.c): a live message for it is stored
	 * behind them instead of overtaking them. */
	bool flushing;
	uint32_t pres_len;
	/* Its last available presence as the client sent it, for probes; the
	 * avatar hash goes in as it goes out (im_pres_out) (heap). */
	char *pres;
	/* Where it sent directed available presence (RFC 6121 §4.6.3), to
	 * tell them unavailable: (be16 length, JID) each (heap). */
	char *directed;
	uint32_t directed_len;
	uint16_t directed_n;
	struct sb_session_sm *sm;  /* XEP-0198 resumption state (router/sm.h), or NULL */
	struct sb_im_caps *caps;   /* XEP-0115 caps and PEP interest (im_caps.c), one block, or NULL */
	uint16_t jid_len;          /* full JID */
	uint16_t bare_len;
	char jid[];                /* full JID, NUL-terminated */
};

struct sb_session_user {
	struct sb_session_user *next; /* hash chain */
	struct sb_session *res;       /* resources, most recent first */
	uint64_t hash;
	uint16_t bare_len;
	char bare[];
};

struct sb_session_table {
	struct sb_session_user **buckets;
	uint32_t mask;
	uint32_t sessions;
	uint32_t users;
	uint32_t max_sessions;
	uint32_t max_resources;  /* per user; 0: no limit */
};

int sb_session_table_init(struct sb_session_table *t, uint32_t buckets, uint32_t max_sessions);
void sb_session_table_free(struct sb_session_table *t);

/* The user's entry for a bare JID, or NULL. */
struct sb_session_user *sb_session_user_find(struct sb_session_table *t, const char *bare,
					     size_t len);

/* The session of a full JID, or NULL. */
struct sb_session *sb_session_find(struct sb_session_table *t, const char *jid, size_t len,
				   size_t bare_len);

/* Bind jid to (worker, conn, gen). If the full JID is bound already, the
 * old session is returned in *ret_replaced (unlinked, for the caller to
 * kick and free) and the new one takes its place. Returns 0, -ENOSPC past
 * max_sessions, -EDQUOT past max_resources for the user, -ENOMEM. */
int sb_session_bind(struct sb_session_table *t, const char *jid, size_t len, size_t bare_len,
		    uint16_t worker, uint64_t conn, uint32_t gen, struct sb_session **ret_replaced);

/* Remove the session of jid if it still belongs to (conn, gen). Returns 0 or
 * -ENOENT. */
int sb_session_unbind(struct sb_session_table *t, const char *jid, size_t len, size_t bare_len,
		      uint64_t conn, uint32_t gen);

/* Free a session unlinked from the table (its presence copy too). */
void sb_session_free(struct sb_session *s);

#endif
