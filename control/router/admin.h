/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Operator requests to a control shard, answered by the shard: session
 * counts, lists and details, kicking one session or all of a user's, and
 * a message injected as if a user had sent it (sbctl session ..., message
 * send). The session table belongs to the shard thread alone (session.h),
 * so the management thread never reads it: it posts a request on the
 * shard's liburcu wait-free queue (as kick.c does), and the shard fills in
 * the answer and marks it done with a release store. The management thread
 * waits for that mark for a bounded time (SB_ADMIN_WAIT_MS) and then gives
 * up; a request outlives whichever side lets go last (a reference count),
 * so a late answer writes into memory that is still there.
 *
 * Every answer is bounded: a list holds at most the rows the request was
 * made with (SB_ADMIN_ROWS_MAX), counting the sessions it had no room for;
 * a list walks at most SB_ADMIN_BUCKETS_PER_TURN hash buckets per loop
 * turn, so a large table never stalls the shard's rings. Requests pending
 * per shard are bounded by SB_ADMIN_PENDING_MAX.
 */
#ifndef SB_CTL_ADMIN_H
#define SB_CTL_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/wfcqueue.h>

#include "msg.h"

struct sb_router;
struct sb_shard;

#define SB_ADMIN_PENDING_MAX 64u       /* requests queued per shard */
#define SB_ADMIN_ROWS_MAX 500u         /* sessions one list answer holds */
#define SB_ADMIN_BUCKETS_PER_TURN 4096u
#define SB_ADMIN_WAIT_MS 500u          /* the management thread's patience */
#define SB_ADMIN_JID_MAX 256u          /* a row's full JID, NUL included (the dataplane's bound JIDs) */
#define SB_ADMIN_TEXT_MAX 3000u        /* a message body or a kick reason, bytes */
#define SB_ADMIN_INFO_WAIT_MS 200u     /* a shard's patience with a worker's CONN_INFO */

enum sb_admin_op {
	SB_ADMIN_COUNT = 1, /* sessions and users of the shard */
	SB_ADMIN_LIST,      /* every session, up to cap rows */
	SB_ADMIN_USER,      /* the sessions of bare JID jid */
	SB_ADMIN_SHOW,      /* the session of full JID jid */
	SB_ADMIN_KICK,      /* end the session (full) or sessions (bare) of jid */
	SB_ADMIN_SEND,      /* route a <message/> from `from` to jid with body text */
	SB_ADMIN_LIMIT,     /* set a live limit of the shard: limit = value */
	SB_ADMIN_OP_MAX,
};

/* The shard's limits that change live (sbctl limits set, config reload). */
enum sb_admin_limit {
	SB_ADMIN_LIM_MAX_SESSIONS = 1, /* control.max_sessions */
	SB_ADMIN_LIM_MAX_RESOURCES,    /* control.max_resources */
	SB_ADMIN_LIM_ROSTER_MAX_ITEMS, /* im.roster_max_items */
	SB_ADMIN_LIM_OFFLINE_QUOTA,    /* im.offline_quota */
	SB_ADMIN_LIM_OFFLINE_COMMIT_US, /* im.offline_commit_us */
	SB_ADMIN_LIM_MAX,
};

/* One session as the control plane knows it. */
struct sb_admin_row {
	uint64_t conn;        /* the dataplane's handle */
	uint64_t bound_tsc;   /* when the bind was accepted (or replayed) */
	uint32_t conn_gen;
	uint16_t worker;
	uint16_t shard;
	int16_t priority;
	bool available;       /* initial presence sent */
	bool roster_requested;
	bool dp;              /* SHOW: the worker answered: dp_info is valid */
	struct sb_msg_conn_info dp_info; /* SHOW: the dataplane's view (lib/msg) */
	char jid[SB_ADMIN_JID_MAX];
};

struct sb_admin_req {
	struct cds_wfcq_node node;
	uint32_t refs;        /* atomic: the poster's and the shard's */
	uint32_t done;        /* atomic (release): the answer below is complete */
	/* The question (poster, before posting). */
	uint8_t op;           /* enum sb_admin_op */
	int16_t status;       /* KICK: enum sb_msg_kick */
	uint16_t jid_len;     /* normalised */
	uint16_t bare_len;
	uint16_t from_len;    /* SEND */
	uint16_t text_len;    /* SEND: body; KICK: reason (at most SB_MSG_KICK_TEXT_MAX) */
	uint32_t cap;         /* rows[] */
	uint16_t limit;       /* LIMIT: enum sb_admin_limit */
	uint64_t value;       /* LIMIT: its new value (checked against the key's range) */
	char jid[SB_MSG_JID_MAX + 1];
	char from[SB_MSG_JID_MAX + 1];
	char text[SB_ADMIN_TEXT_MAX + 1];
	/* The answer (shard). */
	int rc;               /* 0 or a negative errno */
	uint64_t sessions;    /* COUNT: the shard's; else sessions matched */
	uint64_t users;       /* COUNT */
	uint32_t n;           /* rows filled */
	uint32_t cursor;      /* LIST: the next bucket to walk (the shard's) */
	uint64_t id;          /* SEND: the stanza id's number */
	struct sb_admin_row rows[];
};

/* Management side (no DPDK: also linked by the CLI's unit tests). */

/* A request for op with room for cap rows (0 for all but LIST/USER),
 * zeroed, one reference held by the caller. NULL: no memory, or cap over
 * SB_ADMIN_ROWS_MAX. */
struct sb_admin_req *sb_admin_req_new(enum sb_admin_op op, uint32_t cap);

/* Queue req for the shard that owns r; takes a reference for it. 0, or
 * -EBUSY past SB_ADMIN_PENDING_MAX (the request is not queued). */
int sb_admin_post(struct sb_router *r, struct sb_admin_req *req);

/* Whether the shard has answered (acquire). */
bool sb_admin_done(const struct sb_admin_req *req);

/* Wait until every one of the n requests is done or timeout_ms passed.
 * 0, or -ETIMEDOUT (each request's done says which answered). */
int sb_admin_wait(struct sb_admin_req *const *reqs, unsigned n, unsigned timeout_ms);

/* Drop one reference; the last frees req. NULL is ignored. */
void sb_admin_put(struct sb_admin_req *req);

/* Shard side (admin.c). */

void sb_admin_init(struct sb_router *r);
/* Answer queued requests: a whole LIST may take several turns, a SHOW
 * waits up to SB_ADMIN_INFO_WAIT_MS for its worker's CONN_INFO (other
 * requests wait behind it), everything else one. Returns the work done. */
unsigned sb_admin_drain(struct sb_shard *sh);
/* A worker's CONN_INFO answer (the shard's link handler); owns m. */
void sb_admin_conn_info(struct sb_shard *sh, struct sb_msg *m);

#endif
