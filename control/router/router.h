/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What a control shard does with XMPP messages from the dataplane:
 * credential lookups and PLAIN checks (auth.c), the session table
 * (session.c) and stanza routing per RFC 6121 §8 (route.c). Every function
 * takes the shard explicitly and owns the message it is handed.
 */
#ifndef SB_CTL_ROUTER_H
#define SB_CTL_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/wfcqueue.h>

#include "msg.h"
#include "shm.h"
#include "im/im.h"
#include "session.h"
#include "promise.h"
#include "sm.h"
#include "store/store.h"

struct sb_shard;
struct sb_auth_pool;
struct sb_kick_job;
struct sb_reg;

#define SB_KICK_PENDING_MAX 4096u /* account changes queued per shard */
#define SB_KICK_BURST 16u         /* requests one loop turn handles */

enum sb_route_ctr {
#define SB_CTR(name, help) SB_ROUTE_CTR_##name,
#include "route_counters.def"
#undef SB_CTR
	SB_ROUTE_CTR_MAX,
};

extern const char *const sb_route_ctr_names[SB_ROUTE_CTR_MAX];

/* Messages for one worker that found its ring full, in order. */
struct sb_route_backlog {
	struct sb_msg **q;
	uint32_t head;
	uint32_t n;
	uint32_t cap;
};

#define SB_ROUTE_JID_MAX (SB_MSG_JID_MAX + 1)

/* A stanza's routing fields, read out of its chain. The id is as long as
 * the stanza allows (xmpp.max_stanza_bytes): its buffer is sized from that
 * key by sb_router_buffers_init(). */
struct sb_route_in {
	struct sb_msg_stanza st;
	char to[SB_ROUTE_JID_MAX];
	char from[SB_ROUTE_JID_MAX];
	char *id;
	size_t id_cap;   /* bytes id holds before its NUL */
};

struct sb_router {
	struct sb_session_table sessions;
	struct sb_store *store;          /* accounts; NULL in unit tests */
	char domain[256];
	size_t domain_len;
	struct sb_msg_pool_ops pool;
	bool refuse_conflict;            /* control.bind_conflict = refuse */
	/* Backpressure: a full delivery ring parks messages here, and while
	 * the backlog is above half its size the shard stops reading the
	 * stanza rings, so the dataplane's rings fill and its clients' TCP
	 * windows close. A backlog past its size grows (route.c). */
	struct sb_route_backlog backlog[SB_MAX_WORKERS];
	uint32_t backlog_total;
	uint32_t backlog_high;
	/* Working memory of this shard's thread (state passed, never static). */
	struct sb_route_in in;
	char *err_body;                  /* an error stanza: any id, two JIDs */
	size_t err_cap;
	/* XEP-0077 policy and rate table, one per process (register.h);
	 * NULL: registration off. */
	struct sb_reg *reg;
	/* PLAIN checks off this thread (auth_pool.h); NULL: inline. */
	struct sb_auth_pool *auth;
	struct cds_wfcq_head auth_done_head;
	struct cds_wfcq_tail auth_done_tail;
	/* Account changes from the management thread (kick.c). */
	struct cds_wfcq_head kick_head;
	struct cds_wfcq_tail kick_tail;
	struct sb_kick_job *kick_held;   /* a request waiting for pool room */
	uint32_t kick_pending;           /* atomic: posted, not yet done */
	/* External components (control/component): their configuration and
	 * queues, and the stanzas they sent this shard (the thread posts). */
	struct sb_comps *comps;
	struct cds_wfcq_head comp_head;
	struct cds_wfcq_tail comp_tail;
	/* Operator requests from the management thread (admin.c). */
	struct cds_wfcq_head admin_head;
	struct cds_wfcq_tail admin_tail;
	struct sb_admin_req *admin_held; /* a request not finished in one turn */
	uint32_t admin_pending;          /* atomic: posted, not yet answered */
	struct sb_admin_req *admin_wait; /* a SHOW waiting for its worker's CONN_INFO */
	uint64_t admin_wait_until_tsc;
	uint64_t admin_cookie;           /* CONN_INFO's seq: an old answer never matches */
	/* XEP-0198 hibernated sessions (sm.c). */
	struct sb_sm_shard sm;
	/* XEP-0198 ack promises owed to senders' workers (promise.c). */
	struct sb_promise pr;
	/* The RFC 6121 core (control/im). */
	struct sb_im im;
	uint64_t ctr[SB_ROUTE_CTR_MAX];
};

#define SB_ROUTE_INC(r, name) ((r)->ctr[SB_ROUTE_CTR_##name]++)

/* auth.c */
void sb_router_auth(struct sb_shard *sh, struct sb_msg *m);
/* Check a PLAIN request against the store (any thread), with equal work for
 * unknown users; wipes the password. 0 or -EACCES. */
int sb_auth_plain_check(struct sb_store *store, struct sb_msg *m);
/* Turn an AUTH_REQ into its AUTH_RESP with status rc and send it (shard);
 * plain: it was a PLAIN check (the payload's flags may be overwritten). */
void sb_router_auth_reply(struct sb_shard *sh, struct sb_msg *m, bool plain, int rc);

/* kick.c: end every session of an account (sbctl user del / passwd). */
void sb_router_kick_init(struct sb_router *r);
/* Any thread: queue "kick every session of bare[0..len) with status" (enum
 * sb_msg_kick) for the shard that owns r. 0, -EBUSY past
 * SB_KICK_PENDING_MAX (counted kick_queue_full), -ENOMEM, -EINVAL. */
int sb_router_kick_post(struct sb_router *r, const char *bare, size_t len, int16_t status);
/* Shard thread: send the KICKs of up to SB_KICK_BURST queued requests.
 * Returns the requests done. */
unsigned sb_router_kick_drain(struct sb_shard *sh);
/* The same, sparing the connection that sent keep (its worker, handle and
 * generation): an in-band password change ends the user's other sessions
 * (XEP-0077 §3.3), not the one that asked. keep NULL: spare none. */
int sb_router_kick_post_except(struct sb_router *r, const char *bare, size_t len,
			       int16_t status, const struct sb_msg *keep);

/* route.c */
void sb_router_bind(struct sb_shard *sh, struct sb_msg *m);
void sb_router_unbind(struct sb_shard *sh, struct sb_msg *m);
void sb_router_stanza(struct sb_shard *sh, struct sb_msg *m);

/* Send m down to worker w (owner tags handled), through the backlog when
 * the ring is full. Returns 0, or -ENOBUFS (counted ring_full, m freed)
 * only when memory for a larger backlog cannot be had. */
int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m);

/* route_stanza.c, for control/im. */
/* Read m's routing fields into in. 0 or -EINVAL. */
int sb_router_parse(const struct sb_msg *m, struct sb_route_in *in);
/* Hand m to session s (relabelled DELIVER). */
void sb_router_deliver(struct sb_shard *sh, struct sb_msg *m, const struct sb_session *s);
/* A copy of chain m; NULL when the pool is empty. */
struct sb_msg *sb_router_copy(struct sb_router *r, const struct sb_msg *m);
/* Answer the sender of m (in) with a stanza error of etype ("cancel",
 * "wait", "modify") and condition cond, counted as c; never for an error. */
void sb_router_error(struct sb_shard *sh, const struct sb_route_in *in,
		     const char *etype, const char *cond, enum sb_route_ctr c);
/* The same with an application-specific condition element (raw XML). */
void sb_router_error_app(struct sb_shard *sh, const struct sb_route_in *in, const char *etype,
			 const char *cond, const char *app, enum sb_route_ctr c);
/* Every available resource of the highest non-negative priority (RFC 6121
 * §8.5.2.1.1) gets m; returns how many (m consumed when > 0). */
unsigned sb_router_to_user(struct sb_shard *sh, struct sb_msg *m, struct sb_session_user *u);

/* Size the working buffers for stanzas of max_stanza_bytes. 0 or -ENOMEM. */
int sb_router_buffers_init(struct sb_router *r, uint64_t max_stanza_bytes);

/* Size the backlogs: cap messages per worker. 0 or -ENOMEM. */
int sb_router_backlog_init(struct sb_router *r, unsigned n_workers, uint32_t cap);

/* Move what fits from the backlogs to the rings. Returns messages moved. */
unsigned sb_router_flush(struct sb_shard *sh);

/* Whether the shard should stop reading the stanza rings for now. */
static inline bool sb_router_congested(const struct sb_router *r)
{
	return r->backlog_total > r->backlog_high;
}

#endif
