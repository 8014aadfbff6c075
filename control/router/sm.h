/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0198 §5 resumption in a control shard: hibernated sessions.
 *
 * A session whose client enabled resumption carries a struct sb_session_sm
 * (SM_ENABLE from the dataplane; 96 bytes, heap). When its connection dies
 * without a stream close, the dataplane gives back every stanza it had
 * written and not had acknowledged (flagged SB_MSG_F_SM_SENT with its
 * outbound number) and every one it held, then sends HIBERNATE: the
 * session stays bound, "hibernated", for the window the client was granted.
 * Those chains, and whatever is routed to the session meanwhile (direct,
 * or given back by the dead connection's worker), wait on the session's
 * queue, in order, as the message chains they are: nothing is copied.
 *
 * RESUME_REQ (a new connection, any worker, after SASL) names the session
 * by id. Found hibernated: the session moves to the new connection,
 * RESUME_RESP tells it the inbound count (<resumed h/>), and the queue goes
 * to it as DELIVERs, less the stanzas the client's h says it had. Found
 * live (its old stream still open): the old connection is kicked with
 * SB_MSG_KICK_RESUMED (conflict, then HIBERNATE) and the resume completes
 * when its HIBERNATE arrives. Not found: RESUME_RESP fails, with the count
 * of an expired session when its tombstone (id, h) is still kept.
 *
 * When the window ends (or the queue passes xmpp.sm_hibernated_queue), the
 * session is unbound as by an UNBIND and every queued chain is routed again
 * with the session gone: another available resource, else offline storage
 * with <delay/>, never dropped or bounced as undeliverable.
 */
#ifndef SB_CTL_SM_H
#define SB_CTL_SM_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"

struct sb_shard;
struct sb_session;

#define SB_SM_TOMBS 1024u          /* expired (id, h) kept per shard */
#define SB_SM_TOMB_MS 600000u      /* and for at most this long */

struct sb_session_sm {
	uint8_t id[SB_MSG_SM_ID];
	uint32_t h_in;            /* stanzas handled from the client (at hibernation) */
	uint32_t max_s;           /* the window granted */
	uint32_t resume_h;        /* the client's h at the last resume */
	uint32_t q_n;             /* chains on the queue */
	bool hibernated;
	bool resume_pending;      /* a resume waits for the old stream's HIBERNATE */
	uint16_t rworker;         /* ... from this connection */
	uint32_t rgen;
	uint64_t rconn;
	uint32_t rh;              /* ... whose client had this h */
	uint64_t deadline_ms;
	struct sb_msg *q_head;    /* linked through sb_msg.held */
	struct sb_msg *q_tail;
	struct sb_session *sess;
	struct sb_session_sm *prev, *next; /* the shard's hibernated list, by deadline */
};

struct sb_sm_tomb {
	uint8_t id[SB_MSG_SM_ID];
	uint32_t h_in;
	uint64_t until_ms;
};

/* Per shard (in struct sb_router). */
struct sb_sm_shard {
	struct sb_session_sm *head, *tail; /* hibernated, earliest deadline first */
	uint32_t hibernated;
	uint32_t queue_max;                /* xmpp.sm_hibernated_queue */
	struct sb_sm_tomb *tombs;          /* SB_SM_TOMBS, allocated at the first expiry */
	uint32_t tomb_next;
};

/* Ring message handlers (own m). */
void sb_sm_enable(struct sb_shard *sh, struct sb_msg *m);
void sb_sm_hibernate(struct sb_shard *sh, struct sb_msg *m);
void sb_sm_resume(struct sb_shard *sh, struct sb_msg *m);

/* A stanza for session s: queued when s is hibernated (or its connection
 * is handing it over: a RETURNED chain from its own connection). True when
 * m was taken. */
bool sb_sm_take(struct sb_shard *sh, struct sb_session *s, struct sb_msg *m);

/* Session s leaves the table (unbind, replaced by a bind): its SM state is
 * freed and its queue routed again, after the caller removed s. Returns
 * the queue (linked through held) for sb_sm_reroute(). */
struct sb_msg *sb_sm_detach(struct sb_shard *sh, struct sb_session *s);
void sb_sm_reroute(struct sb_shard *sh, struct sb_msg *q);

/* End session s now: unbound as by an UNBIND (unavailable broadcast),
 * its queue routed again; expired: keep its (id, h) as a tombstone. */
void sb_sm_end(struct sb_shard *sh, struct sb_session *s, bool expired);

/* Once per loop turn: end the hibernations whose window is over. Returns
 * the sessions ended. Bounded. */
unsigned sb_sm_turn(struct sb_shard *sh);

#endif
