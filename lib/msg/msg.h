/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What crosses the rings between sb-dataplane and sb-control.
 *
 * A message is one object of the shared pool SB_MSG_POOL_NAME, created by the
 * primary; rings carry pointers to it, so nothing is copied per hop. Every
 * object starts with struct sb_msg. Both processes run on one host from one
 * build, so fields are in host byte order; the header still carries a magic
 * and a version so that a process from another build, or a stray pointer, is
 * caught and counted instead of trusted.
 *
 * Ownership is explicit in `owner`: whoever holds the pointer writes its own
 * tag before using it and the tag of the next holder before handing it on.
 * When sb-control dies, the primary walks the pool and frees every object
 * still tagged SB_MSG_OWNER_CONTROL (it cannot be on a ring or in the
 * dataplane), so a crashed control plane leaks nothing.
 */
#ifndef SB_MSG_H
#define SB_MSG_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define SB_MSG_MAGIC 0x5342u /* "SB" */
#define SB_MSG_VERSION 8u
#define SB_MSG_OBJ_SIZE 2048u /* bytes per pool object, header included */

enum sb_msg_kind {
	SB_MSG_HEARTBEAT = 1, /* ring liveness probe; payload: none */
	SB_MSG_AUTH_REQ,      /* worker -> shard: struct sb_msg_auth */
	SB_MSG_AUTH_RESP,     /* shard -> worker: status; SCRAM: a packed credential record */
	SB_MSG_BIND_REQ,      /* worker -> shard: struct sb_msg_jid, the full JID to bind */
	SB_MSG_BIND_RESP,     /* shard -> worker: status; struct sb_msg_jid as bound */
	SB_MSG_UNBIND,        /* worker -> shard: struct sb_msg_jid, the session ended */
	SB_MSG_STANZA,        /* worker -> shard: struct sb_msg_stanza, to route */
	SB_MSG_DELIVER,       /* shard -> worker: stanza bytes to write on `conn` */
	SB_MSG_KICK,          /* shard -> worker: close `conn` (status: enum sb_msg_kick) */
	SB_MSG_DELIVER_MULTI, /* shard -> worker: struct sb_msg_multi: one stanza, many connections */
	SB_MSG_CONN_INFO,     /* shard -> worker: describe `conn` (seq: the asker's cookie); the
	                       * same object back up with struct sb_msg_conn_info, or status
	                       * -ENOENT when the connection has gone (sbctl session show) */
	SB_MSG_SM_ENABLE,     /* worker -> shard: struct sb_msg_sm: a session became resumable */
	SB_MSG_HIBERNATE,     /* worker -> shard: struct sb_msg_sm: a resumable session's
			       * connection died: keep the session (instead of UNBIND) */
	SB_MSG_RESUME_REQ,    /* worker -> shard: struct sb_msg_sm: <resume/> on `conn` */
	SB_MSG_RESUME_RESP,   /* shard -> worker: status; struct sb_msg_sm as resumed */
	SB_MSG_REGISTER_REQ,  /* worker -> shard: struct sb_msg_register (XEP-0077) */
	SB_MSG_REGISTER_RESP, /* shard -> worker: status (enum sb_msg_reg_status), no payload */
	SB_MSG_STANZA_DONE,   /* shard -> worker: struct sb_msg_done: stanzas flagged
			       * SB_MSG_F_SM_PROMISE that reached their recipient's
			       * worker or were committed to storage (XEP-0198 acks) */
	SB_MSG_PROMISE_SYNC,  /* worker -> shard after a new epoch, echoed (F_REPLY) once
			       * every promise it carried before is answered (seq: epoch) */
	SB_MSG_FLUSH_MORE,    /* worker -> shard: struct sb_msg_jid, the bound full JID of
			       * `conn`: a DELIVER flagged SB_MSG_F_FLUSH_MORE was written
			       * to it, so the session's next window of stored offline
			       * messages may come (control/im/im_offline.c) */
	SB_MSG_KIND_MAX,
};

/* SB_MSG_KICK status: why a session ends, which decides the stream error
 * the client gets (RFC 6120 §4.9.3). Negative errno values, so that the
 * status field keeps one convention; an unknown value is read as conflict. */
enum sb_msg_kick {
	SB_MSG_KICK_CONFLICT = -EEXIST,       /* replaced by a newer session: <conflict/> */
	SB_MSG_KICK_ACCOUNT_DELETED = -ENOENT, /* sbctl user del: <not-authorized/> */
	SB_MSG_KICK_PASSWORD_CHANGED = -EACCES, /* sbctl user passwd: <reset/> (§4.9.3.16) */
	/* sbctl session kick: <policy-violation/> (§4.9.3.14) with the payload,
	 * if any, as <text/> (at most SB_MSG_KICK_TEXT_MAX bytes, UTF-8). */
	SB_MSG_KICK_ADMIN = -EPERM,
	SB_MSG_KICK_ADMIN_RESET = -ECONNRESET, /* sbctl session kick --reset: <reset/>, text as above */
	SB_MSG_KICK_RESUMED = -EALREADY, /* XEP-0198 §5: resumed on another stream: <conflict/>,
					  * and HIBERNATE instead of UNBIND */
};

#define SB_MSG_KICK_TEXT_MAX 255u /* a KICK's <text/> payload, bytes */

/* SB_MSG_CONN_INFO answer: what the dataplane knows of one connection. */
struct sb_msg_conn_info {
	uint8_t tcp_state;        /* lib/tcp's enum sb_tcp_state */
	uint8_t tls;              /* 0: plaintext, 1: TLS handshake, 2: TLS */
	uint8_t closing;          /* a stream error or close was sent */
	uint8_t reserved;
	uint32_t idle_ms;         /* since the client last sent a byte */
	uint32_t send_queue_bytes; /* sent or queued, not yet acknowledged */
	uint32_t srtt_us;         /* smoothed round-trip time, 0: no sample */
	/* XMPP bytes of the current stream (since the last restart: after a
	 * login, the session's), plaintext on both sides of TLS. */
	uint64_t bytes_in;        /* received and consumed */
	uint64_t bytes_out;       /* written */
};

enum sb_msg_owner {
	SB_MSG_OWNER_FREE = 0,  /* in the pool */
	SB_MSG_OWNER_DATAPLANE, /* held by a dataplane lcore */
	SB_MSG_OWNER_RING,      /* on a ring, in flight between the processes */
	SB_MSG_OWNER_CONTROL,   /* held by an sb-control shard */
	SB_MSG_OWNER_FREEING,   /* freed by a shard, waiting for room on a return ring */
	SB_MSG_OWNER_MAX,
};

#define SB_MSG_F_REPLY 0x01u /* heartbeat echo: return it to its origin */
#define SB_MSG_F_FROM_CONTROL 0x02u /* originated by sb-control (else the dataplane) */
#define SB_MSG_F_REPLAY 0x04u /* BIND_REQ re-sent after a control restart: no reply */
#define SB_MSG_F_RETURNED 0x08u /* STANZA: a DELIVER its recipient's connection closed
                                  * before taking it, given back to be routed again */
#define SB_MSG_F_SM_SENT 0x10u  /* RETURNED: it was written and not acknowledged
                                  * (XEP-0198); sm_seq is its outbound number */
#define SB_MSG_F_SM_PROMISE 0x20u /* STANZA from an XEP-0198 client: sb-control owes its
                                   * sender a STANZA_DONE for stanza number sm_h once it
                                   * reached the recipient's worker or storage */
#define SB_MSG_F_FLUSH_MORE 0x40u /* DELIVER: the last of a window of stored offline
                                   * messages, and more are stored: once it is written
                                   * to the connection, the worker sends the shard a
                                   * FLUSH_MORE (flow control: a window at a time, so
                                   * a login never holds more than the connection's
                                   * share). Meaningless on anything else; cleared
                                   * when a DELIVER is given back (F_RETURNED) */

struct sb_msg {
	uint16_t magic;     /* SB_MSG_MAGIC */
	uint8_t version;    /* SB_MSG_VERSION */
	uint8_t kind;       /* enum sb_msg_kind */
	uint8_t owner;      /* enum sb_msg_owner */
	uint8_t flags;      /* SB_MSG_F_* */
	uint16_t worker;    /* dataplane worker index of the ring pair */
	uint16_t shard;     /* control shard index of the ring pair */
	int16_t status;     /* replies: 0 or a negative errno */
	uint32_t len;       /* payload bytes in this object */
	uint32_t epoch;     /* control epoch the message belongs to */
	uint32_t conn_gen;  /* generation of `conn`: a reused handle never matches */
	uint32_t total_len; /* payload bytes of the whole chain */
	uint64_t conn;      /* the dataplane's connection handle, opaque to sb-control */
	union {
		uint64_t seq;       /* heartbeats: the prober's sequence number; a DELIVER
				     * marked SB_MSG_ST_STORED: its offline number;
				     * 0 otherwise */
		struct sb_msg *held; /* a DELIVER its recipient's worker holds: the next one */
	};
	union {
		uint64_t t0_tsc;    /* originator's TSC when sent (one host, one TSC) */
		uint64_t sm_seq;    /* a DELIVER written and kept for XEP-0198 until the
				     * client acks it: its outbound stanza number */
	};
	struct sb_msg *next; /* continuation of a payload longer than one object */
	uint8_t payload[];
};

_Static_assert(sizeof(struct sb_msg) == 64, "sb_msg header is part of the ring ABI");

#define SB_MSG_PAYLOAD_MAX (SB_MSG_OBJ_SIZE - sizeof(struct sb_msg))
#define SB_MSG_CHAIN_MAX 576u /* objects in one chain: 1.09 MiB, a 1 MiB stanza stamped */

/* SB_MSG_AUTH_REQ payload: the user and, for PLAIN, the password to verify
 * (the control plane runs PBKDF2 so the dataplane never stalls on it). */
#define SB_MSG_AUTH_PLAIN 0x01u
struct sb_msg_auth {
	uint8_t mech;       /* enum sb_scram_mech, or the PLAIN flag */
	uint8_t flags;      /* SB_MSG_AUTH_* */
	uint16_t user_len;  /* normalised bare JID */
	uint16_t pass_len;  /* PLAIN only; wiped by the receiver */
	uint16_t reserved;
	char data[];        /* user, then password */
};

/* SB_MSG_REGISTER_REQ payload (XEP-0077): create an account (before
 * login), or change or remove the sender's own (bound). The password is
 * wiped by the receiver as soon as the credentials are derived. The
 * client's address keys the per-address registration rate limit. */
enum sb_msg_reg_op {
	SB_MSG_REG_CREATE = 0,
	SB_MSG_REG_PASSWD,
	SB_MSG_REG_REMOVE,
	SB_MSG_REG_OP_MAX,
};

/* SB_MSG_REGISTER_RESP status: 0 done, else a negative errno naming the
 * refusal, so the status field keeps one convention. */
enum sb_msg_reg_status {
	SB_MSG_REG_OK = 0,
	SB_MSG_REG_EXISTS = -EEXIST,       /* the username is taken: conflict */
	SB_MSG_REG_BAD_PASSWORD = -EILSEQ, /* empty or refused by SASLprep: not-acceptable */
	SB_MSG_REG_TOKEN = -EPERM,         /* the invite token is missing or wrong: not-allowed */
	SB_MSG_REG_RATE = -EBUSY,          /* too many from this address: resource-constraint */
	SB_MSG_REG_BUSY = -EAGAIN,         /* the rate table is full: resource-constraint */
	SB_MSG_REG_DISABLED = -ENOSYS,     /* xmpp.register is off in sb-control */
	/* anything else: the store or the queue failed (internal-server-error) */
};

struct sb_msg_register {
	uint8_t op;         /* enum sb_msg_reg_op */
	uint8_t reserved;
	uint16_t user_len;  /* normalised bare JID */
	uint16_t pass_len;  /* CREATE, PASSWD; wiped by the receiver */
	uint16_t token_len; /* CREATE: the invite token as given (<key/>) */
	uint32_t addr;      /* the client's IPv4 address (as lib/tcp keeps it) */
	char data[];        /* user, password, token */
};

/* A JID as carried by BIND_REQ/BIND_RESP/UNBIND. */
#define SB_MSG_JID_AVAILABLE 0x01u /* replay: the session had sent available presence */
struct sb_msg_jid {
	uint16_t len;       /* full JID */
	uint16_t bare_len;  /* its bare prefix */
	int16_t priority;
	uint16_t flags;     /* SB_MSG_JID_* */
	char jid[];
};

/* XEP-0198 resumption (SM_ENABLE, HIBERNATE, RESUME_REQ, RESUME_RESP). */
#define SB_MSG_SM_ID 16u          /* bytes of a resumption id (sent as 32 hex chars) */
#define SB_MSG_SM_H_KNOWN 0x01u   /* RESUME_RESP failed: h_in is the expired session's */
#define SB_MSG_SM_AVAILABLE 0x02u /* RESUME_RESP: the session had sent available presence */
struct sb_msg_sm {
	uint8_t id[SB_MSG_SM_ID];
	uint32_t h_in;      /* HIBERNATE, RESUME_RESP: stanzas handled from the client */
	uint32_t h_out;     /* HIBERNATE: stanzas sent; RESUME_REQ: the client's h */
	uint32_t max_s;     /* SM_ENABLE: the resumption window, seconds */
	uint16_t flags;     /* SB_MSG_SM_* */
	uint16_t jid_len;   /* full JID (RESUME_REQ: the authenticated bare JID) */
	uint16_t bare_len;
	uint16_t reserved;
	char jid[];
};

/* SB_MSG_STANZA_DONE payload: n entries, each the highest-so-far or any
 * one promised stanza number of one sender connection (the worker keeps a
 * window of them, so entries may come in any order and twice). */
struct sb_msg_done_ent {
	uint64_t conn;       /* the sender's handle */
	uint32_t conn_gen;
	uint32_t sm_h;       /* the stanza's number (struct sb_msg_stanza.sm_h) */
};
struct sb_msg_done {
	uint32_t n;
	uint32_t reserved;
	struct sb_msg_done_ent e[];
};
#define SB_MSG_DONE_MAX ((SB_MSG_PAYLOAD_MAX - sizeof(struct sb_msg_done)) / \
			 sizeof(struct sb_msg_done_ent))

enum sb_msg_stanza_kind {
	SB_STANZA_MESSAGE = 1,
	SB_STANZA_PRESENCE,
	SB_STANZA_IQ,
	SB_STANZA_KIND_MAX,
};

/* The type attribute of a stanza (RFC 6120 §8.2.3, RFC 6121 §4.7.1, §5.2.2). */
enum sb_msg_stanza_type {
	SB_STYPE_NONE = 0,  /* absent: normal message, available presence */
	SB_STYPE_ERROR,
	SB_STYPE_CHAT,
	SB_STYPE_NORMAL,
	SB_STYPE_GROUPCHAT,
	SB_STYPE_HEADLINE,
	SB_STYPE_GET,
	SB_STYPE_SET,
	SB_STYPE_RESULT,
	SB_STYPE_UNAVAILABLE,
	SB_STYPE_SUBSCRIBE,
	SB_STYPE_SUBSCRIBED,
	SB_STYPE_UNSUBSCRIBE,
	SB_STYPE_UNSUBSCRIBED,
	SB_STYPE_PROBE,
	SB_STYPE_OTHER,     /* anything else (an error for the recipient to judge) */
	SB_STYPE_MAX,
};

/* SB_MSG_STANZA payload: what routing needs, then the stanza bytes exactly
 * as the recipient gets them (from= already stamped by the dataplane). The
 * bytes continue in `next` objects when they do not fit. The id is not
 * copied: it is named by its place in the bytes. */
struct sb_msg_stanza {
	uint8_t kind;        /* enum sb_msg_stanza_kind */
	uint8_t type;        /* enum sb_msg_stanza_type */
	uint16_t to_len;     /* normalised recipient JID, 0: none (the server) */
	uint16_t to_bare_len;
	uint16_t from_len;   /* the sender's full JID */
	uint16_t from_bare_len;
	int16_t priority;    /* presence: <priority/> (RFC 6121 §4.7.2.3), else 0 */
	uint32_t id_off;     /* raw id attribute value: offset in the stanza bytes */
	uint32_t id_len;     /* 0: no id */
	uint32_t bytes_len;  /* stanza bytes, over the whole chain */
	/* The sender's connection (the dataplane's handle, worker and
	 * generation): where an error for this stanza goes, also after the
	 * message was re-addressed to its recipient and given back. */
	uint16_t from_worker;
	uint16_t cflags;     /* sb-control's marks (SB_MSG_ST_*); 0 from the dataplane */
	uint32_t from_gen;
	uint64_t from_conn;
	uint32_t sm_h;       /* SB_MSG_F_SM_PROMISE: the sender's inbound stanza number */
	uint32_t reserved2;
	/* to, from, then the stanza bytes */
	char data[];
};

/* struct sb_msg_stanza.cflags: what sb-control already did with a chain,
 * read back by a successor that finds the chain after a SIGKILL
 * (control/im/im_recover.c). */
#define SB_MSG_ST_ARCHIVED 0x01u /* STANZA: made again with the recipient's
				  * archive stanza-id (control/im/im_msg.c):
				  * archived, carbons and sender's copy done */
#define SB_MSG_ST_STORED 0x02u   /* DELIVER: from offline storage; sb_msg.seq
				  * is its stored number, purged before the
				  * chain goes on a ring */

/* The limits a stanza message must hold, all derived from the one
 * configuration key xmpp.max_stanza_bytes: the dataplane stamps at most
 * SB_MSG_STANZA_GROWTH bytes onto an element it accepted, and the JIDs are
 * at most SB_MSG_JID_MAX bytes each. */
#define SB_MSG_JID_MAX 3071u
#define SB_MSG_STANZA_GROWTH (SB_MSG_JID_MAX * 6u + 16u)

/* Payload bytes of the largest STANZA/DELIVER chain for elements of at most
 * max_stanza_bytes. */
size_t sb_msg_stanza_max_payload(uint64_t max_stanza_bytes);

/* Whether chains can carry stanzas of max_stanza_bytes: 0, or -E2BIG with
 * the reason in why. Both processes refuse a configuration that fails. */
int sb_msg_stanza_limits_check(uint64_t max_stanza_bytes, char *why, size_t why_len);

/* Read and check m's struct sb_msg_stanza against its chain: lengths add
 * up to total_len, the id lies inside the bytes, JIDs within bounds.
 * 0 or -EINVAL. */
int sb_msg_stanza_read(const struct sb_msg *m, struct sb_msg_stanza *h);

/* Chain offset of the stanza bytes of a message whose header is h. */
static inline size_t sb_msg_stanza_bytes_off(const struct sb_msg_stanza *h)
{
	return sizeof(*h) + h->to_len + h->from_len;
}

/* SB_MSG_DELIVER_MULTI payload: one stanza for n connections of one worker
 * (a presence broadcast: one message per worker, not per recipient). Then
 * n struct sb_msg_target, then a DELIVER's payload (struct sb_msg_stanza
 * with to_len 0, from, bytes). Each connection gets the bytes with
 * " to='<its bound full JID>'" inserted at byte to_off. */
#define SB_MSG_MULTI_MAX 64u /* targets per message: fits the room a `to` would take */
struct sb_msg_multi {
	uint32_t n;          /* 1..SB_MSG_MULTI_MAX */
	uint32_t to_off;     /* in the stanza bytes, <= bytes_len */
};

struct sb_msg_target {
	uint64_t conn;       /* handle, as in struct sb_msg */
	uint32_t conn_gen;
	uint32_t reserved;
};

/* Chain offset of the stanza part of a DELIVER_MULTI with n targets. */
static inline size_t sb_msg_multi_stanza_off(uint32_t n)
{
	return sizeof(struct sb_msg_multi) + (size_t)n * sizeof(struct sb_msg_target);
}

/* Read and check a DELIVER_MULTI: its header, and the stanza header after
 * the targets against the chain (as sb_msg_stanza_read). 0 or -EINVAL. */
int sb_msg_multi_read(const struct sb_msg *m, struct sb_msg_multi *mh, struct sb_msg_stanza *h);

enum sb_msg_status {
	SB_MSG_OK = 0,
	SB_MSG_BAD_MAGIC,
	SB_MSG_BAD_VERSION,
	SB_MSG_BAD_KIND,
	SB_MSG_BAD_LEN,
	SB_MSG_BAD_INDEX,
	SB_MSG_STATUS_MAX,
};

/* Write a header for a message of `kind` between worker and shard, with a
 * payload of len bytes. Returns 0, or -EINVAL if kind is unknown or len does
 * not fit an object. Leaves `owner` as SB_MSG_OWNER_DATAPLANE for the
 * dataplane to change; the caller sets flags and timestamps. */
int sb_msg_encode(struct sb_msg *m, enum sb_msg_kind kind, uint16_t worker, uint16_t shard,
		  uint32_t len, uint64_t seq, uint64_t t0_tsc);

/* Check a header received from a ring against the topology the receiver
 * knows. Returns SB_MSG_OK or the first thing wrong with it; the receiver
 * counts and frees anything not OK. */
enum sb_msg_status sb_msg_decode(const struct sb_msg *m, unsigned n_workers, unsigned n_shards);

/* A short name for a status, for counters and logs. */
const char *sb_msg_status_str(enum sb_msg_status st);

/* Pool access for the chain helpers: lib/ has no DPDK, the caller wraps its
 * rte_mempool. alloc returns NULL when the pool is empty. */
struct sb_msg_pool_ops {
	struct sb_msg *(*alloc)(void *arg);
	void (*free)(void *arg, struct sb_msg *m);
	void *arg;
};

/* Append n bytes to the payload of the chain starting at first, taking new
 * objects from the pool when the last one is full (each continuation gets
 * first's kind, indices and owner). Returns 0, -ENOBUFS when the pool ran
 * dry (the chain keeps what was appended; the caller frees it), or -E2BIG
 * past SB_MSG_CHAIN_MAX objects. */
int sb_msg_append(struct sb_msg *first, const void *p, size_t n, const struct sb_msg_pool_ops *ops);

/* Copy n payload bytes from chain offset off into dst. Returns the bytes
 * copied (fewer when the chain ends first). */
size_t sb_msg_read(const struct sb_msg *first, size_t off, void *dst, size_t n);

/* Tag every object of the chain. */
void sb_msg_set_owner(struct sb_msg *first, enum sb_msg_owner owner);

/* Return every object of the chain to the pool, tagged free. */
void sb_msg_free_chain(struct sb_msg *first, const struct sb_msg_pool_ops *ops);

#endif
