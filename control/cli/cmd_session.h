/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The operator's session commands on the management socket:
 *
 *   session count [--json]
 *   session list [--user JID] [--max N] [--json]
 *   session show FULLJID [--json]
 *   session kick JID [--reset] [--reason TEXT]   TEXT: the rest of the line
 *   message send FROM TO TEXT                    TEXT: the rest of the line
 *
 * Each asks the control shards that own the sessions (router/admin.h:
 * a request on the shard's wait-free queue, answered by the shard thread)
 * and formats what they answer, as text or as JSON (docs/OPERATIONS.md
 * describes the shape). Usage mistakes answer "error: usage: ...", which
 * sbctl turns into exit status 2.
 */
#ifndef SB_CTL_CMD_SESSION_H
#define SB_CTL_CMD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"
#include "shm.h"

struct sb_router;
struct sb_admin_req;
struct sb_store;

#define SB_CMD_SESSION_LIST_DEFAULT 100u

struct sb_cmd_session {
	struct sb_router *routers[SB_MAX_SHARDS]; /* by shard; set once the shards run */
	unsigned n_shards;                        /* 0 until then */
	uint16_t worker_lcore[SB_MAX_WORKERS];    /* worker index -> EAL lcore */
	uint64_t tsc_hz;
	uint64_t (*now_tsc)(void);
	uint64_t next_id;                         /* message send's ids */
	unsigned wait_ms;                         /* SB_ADMIN_WAIT_MS; tests shorten it */
	struct sb_store *store;                   /* message send: does TO exist? NULL: not asked */
	size_t domain_len;
	char domain[1024];                        /* xmpp.domain, normalised */
};

/* A parsed request line (after "session" or "message"). */
enum sb_cmd_session_verb {
	SB_CMD_SESSION_COUNT = 1,
	SB_CMD_SESSION_LIST,
	SB_CMD_SESSION_SHOW,
	SB_CMD_SESSION_KICK,
	SB_CMD_MESSAGE_SEND,
	SB_CMD_SESSION_VERB_MAX,
};

struct sb_cmd_session_args {
	enum sb_cmd_session_verb verb;
	bool json;
	bool reset;               /* kick --reset */
	uint32_t max;             /* list --max */
	const char *jid;          /* show/kick JID, list --user, send TO */
	size_t jid_len;
	const char *from;         /* send FROM */
	size_t from_len;
	const char *text;         /* kick --reason, send TEXT: NUL-terminated rest */
};

/* Parse "session ARGS" (message false) or "message ARGS" (message true).
 * 0, or -EINVAL with the usage error in why. Pure: no shard is asked. */
int sb_cmd_session_parse(const char *args, bool message, struct sb_cmd_session_args *a,
			 char *why, size_t why_len);

/* Whether s[0..n) is UTF-8 that XML 1.0 can carry (no C0 control other
 * than tab, no U+FFFE/U+FFFF, no surrogates, nothing over U+10FFFF). */
bool sb_cmd_session_text_ok(const char *s, size_t n);

/* One session as JSON (an object) or as a text line, given the shards'
 * row; now_tsc for its age. */
void sb_cmd_session_row_json(const struct sb_cmd_session *cs, const void *row, uint64_t now_tsc,
			     struct sb_out *o);

/* s[0..n) as a JSON string, quotes included. */
void sb_cmd_session_json_str(struct sb_out *o, const char *s, size_t n);

/* Serve the request: "session ..." (message false) or "message ...". */
void sb_cmd_session_run(struct sb_cmd_session *cs, const char *args, bool message,
			struct sb_out *o);

#endif
