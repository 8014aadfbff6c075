/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The RFC 6121 instant-messaging core of a control shard: roster (§2),
 * presence subscriptions (§3, the state machine in sub.h), presence
 * broadcast and probes (§4), offline messages (XEP-0160 with XEP-0203
 * delay) and the server's own answers (XEP-0030, XEP-0092, XEP-0202).
 *
 * Where work runs. The dataplane sends a stanza to the shard of its
 * recipient, or of its sender when it has no `to`. Everything about a user
 * (roster, sessions, offline queue) is on that user's shard, so work that
 * spans two users crosses between shards by the inter-shard rings
 * (xshard.c): a subscription stanza is first handled as outbound on the
 * sender's shard (its roster, its push), then as inbound on the contact's;
 * a broadcast presence goes from the sender's shard to each contact's.
 * Nothing here takes a lock: each shard touches only its own users.
 *
 * Storage is the store interface (store/store_im.h): rosters are read
 * and written per change, offline messages are written in group commits
 * (offline.c has the durability guarantee).
 */
#ifndef SB_CTL_IM_H
#define SB_CTL_IM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct sb_shard;
struct sb_session;
struct sb_route_in;
struct sb_im_mam;

enum sb_im_ctr {
#define SB_IM_CTR(name, help) SB_IM_CTR_##name,
#include "im_counters.def"
#undef SB_IM_CTR
	SB_IM_CTR_MAX,
};

extern const char *const sb_im_ctr_names[SB_IM_CTR_MAX];

struct sb_im_limits {
	uint32_t roster_max_items;
	uint32_t roster_item_bytes;
	uint32_t offline_quota;
	uint32_t offline_window;    /* im.offline_flush_window: stored messages per window */
	uint64_t commit_tsc;        /* im.offline_commit_us in TSC cycles */
	uint32_t commit_batch;
	uint32_t block_max_items;   /* XEP-0191 items per user */
	uint32_t vcard_max_bytes;   /* XEP-0054 */
	uint32_t private_max_bytes; /* XEP-0049, per namespace */
	uint32_t private_max_items; /* XEP-0049 namespaces per user */
	/* XEP-0313 (im_mam.c) */
	bool mam;                   /* im.mam: archiving on */
	uint64_t mam_retention_us;  /* 0: kept until purged */
	uint32_t mam_page_max;      /* results per page */
	uint32_t mam_count_max;     /* records scanned for <count/> */
	uint64_t mam_commit_tsc;    /* im.mam_commit_us in TSC cycles */
	uint32_t mam_commit_batch;  /* records per archive commit */
	/* XEP-0357 (im_push.c) */
	bool push;                  /* im.push: enable/disable answered, notifications sent */
	bool push_body;             /* im.push_body: the body in notifications */
	uint32_t push_max_devices;  /* registrations per user */
	/* XEP-0163 (im_pep.c) */
	uint32_t pep_max_items;     /* items per node */
	uint32_t pep_item_max_bytes; /* bytes of an item's payload */
	uint32_t pep_max_nodes;     /* nodes per user */
};

#define SB_IM_NS_PUSH "urn:xmpp:push:0"
#define SB_IM_PUSH_DEVICES_MAX 64u  /* the ceiling of im.push_max_devices */
/* A notification's room: three JIDs, a node, a form, a body, the rest. */
#define SB_IM_PUSH_OUT_MAX (3u * SB_MSG_JID_MAX + 1024u + 2048u + 1024u + 2048u)

/* Operations on the inter-shard rings. */
enum sb_im_xop {
	SB_IM_X_INBOUND = 1,  /* a stanza for a user of the receiving shard */
	SB_IM_X_OUTBOUND,     /* a subscription stanza of a user of the receiving shard */
	SB_IM_X_BROADCAST,    /* a presence for a list of the receiving shard's users */
	SB_IM_X_BLOCKSYNC,    /* an online user's block list, replicated (im_block.c) */
	SB_IM_X_DIRECTED,     /* a directed presence of a user of the receiving shard */
	SB_IM_X_SENT,         /* a message a user of the receiving shard sent: archive, carbons */
	SB_IM_X_PEPEV,        /* a PEP event for a user (or one resource) of the receiving shard */
	SB_IM_X_PEPLAST,      /* a resource asks an owner of the receiving shard for last items */
};

struct sb_im_xslot {
	struct sb_msg *m;
	uint32_t op;
};

/* One single-producer single-consumer ring from shard s to this one. */
struct sb_im_xring {
	uint32_t head __attribute__((aligned(64))); /* consumer */
	uint32_t tail __attribute__((aligned(64))); /* producer */
	uint32_t mask;
	struct sb_im_xslot slot[];
};

/* What a ring to a peer did not take, in order. */
struct sb_im_xbacklog {
	struct sb_im_xslot *q;
	uint32_t head, n, cap;
};

/* One offline message waiting for its group commit: the chain itself is
 * kept (not freed) until the commit, so a killed sb-control leaves it
 * tagged in the shared pool for the next one to find (offline.c). */
struct sb_im_pending {
	struct sb_msg *m;
	uint64_t seq;
	uint32_t key_len;
	uint32_t rec_len;
	uint8_t *rec;       /* key, then record: malloc'd */
};

struct sb_im {
	struct sb_im_limits lim;
	struct sb_shard *peers;          /* every shard, indexed by shard */
	unsigned n_shards;
	struct sb_im_xring *in[64];      /* from shard s (NULL for self) */
	struct sb_im_xbacklog out[64];   /* to shard s, when its ring is full */
	uint32_t out_total;
	/* Group commit of offline messages. */
	struct sb_im_pending *batch;
	uint32_t batch_n;
	uint64_t batch_deadline_tsc;
	/* A stanza's bytes read out of its chain, and one being built; each
	 * xmpp.max_stanza_bytes and room for what is added. */
	char *buf;
	char *obuf;
	size_t buf_cap;
	/* A user's presence with the avatar hash put in (XEP-0398 §4), as it
	 * goes out (buf_cap): apart from buf and obuf, which the senders
	 * write while they send it. */
	char *hbuf;
	uint64_t push_id;               /* ids of roster pushes and push notifications */
	char *pbuf;                     /* a notification (pbuf_cap), then a message's bytes */
	size_t pbuf_cap;
	struct sb_blk_table *blk;       /* online users' block lists (im_block.c) */
	struct sb_im_mam *mam;          /* the archive's batch and id key (im_mam.c) */
	struct im_caps_cache *caps;     /* verified caps ver -> PEP interest (im_caps.c) */
	uint32_t caps_query;            /* ids of caps queries */
	uint64_t ctr[SB_IM_CTR_MAX];
};

#define SB_IM_INC(im, name) ((im)->ctr[SB_IM_CTR_##name]++)

/* Set up a shard's IM state; 0 or -ENOMEM. The xrings are wired by
 * sb_im_connect() once every shard is set up. */
int sb_im_init(struct sb_im *im, const struct sb_im_limits *lim, uint64_t max_stanza_bytes);
int sb_im_connect(struct sb_shard *shards, unsigned n);

/* Per loop turn: inter-shard rings in and out, the offline commit when
 * due. Returns the work done. */
unsigned sb_im_poll(struct sb_shard *sh, uint64_t now_tsc);

/* Entry points from the router (route_stanza.c); each owns m. */
/* An iq with no to (the account's own), to the domain, or to a user's
 * bare JID: answered here. */
void sb_im_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* Presence with no to: availability, broadcast, initial presence work. */
void sb_im_presence_own(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* Presence of a subscription type or probe to a local user, from the
 * dataplane (the sender is a local user). */
void sb_im_presence_sub(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* A message for a user with no available resource (RFC 6121 §8.5.2.2):
 * stored, or answered. */
void sb_im_offline(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* FLUSH_MORE from a worker (im_offline.c): the last message of a session's
 * window of stored messages was written to its connection; the next
 * window goes if it is still that connection's available session. Owns m. */
void sb_im_offline_more(struct sb_shard *sh, struct sb_msg *m);
/* The chains a killed predecessor left to this shard (control/recover.c),
 * h[0..n) oldest first: answers are sent and stanzas routed again, less
 * what the predecessor had finished (im_recover.c says which). Owns the
 * chains, not the array. */
void sb_im_recovered(struct sb_shard *sh, struct sb_msg **h, uint32_t n);
/* Session s stops being one stored messages may go to (it ends, or goes
 * unavailable) while it is flushing them: the flush continues on another
 * available resource of the account of non-negative priority, if any;
 * else the rest stays stored for the next available presence. */
void sb_im_offline_ended(struct sb_shard *sh, struct sb_session *s);
/* XEP-0198: session s was resumed on a new connection: a flush it was in
 * goes on (its window's last message may have gone back unwritten). */
void sb_im_offline_resumed(struct sb_shard *sh, struct sb_session *s);
/* A message routing is about to deliver (in, after sb_im_message): true
 * when a session that would get it is flushing its stored messages, and m
 * went to offline storage behind them instead (m consumed). */
bool sb_im_offline_behind(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* A session ended (UNBIND): unavailable broadcast if it was available;
 * s is still in the table, and freed by the caller. */
void sb_im_session_gone(struct sb_shard *sh, struct sb_session *s);

/* A session replayed as available after a control restart: its presence
 * for probes is rebuilt from what the replay carries (priority). */
void sb_im_session_replayed(struct sb_shard *sh, struct sb_session *s);

/* Send a stanza chain (STANZA layout, to/from set) to its recipient's
 * shard as inbound. Owns m. */
void sb_im_send_inbound(struct sb_shard *sh, struct sb_msg *m);
/* Inbound handling of a stanza for a local user (from this or another
 * shard). Owns m. */
void sb_im_inbound(struct sb_shard *sh, struct sb_msg *m);

/* Block lists (im_block.c). A user's first session bound (load the list
 * and replicate it), its last gone (forget it). */
void sb_im_user_bound(struct sb_shard *sh, const char *bare, size_t len);
void sb_im_user_gone(struct sb_shard *sh, const char *bare, size_t len);
/* A stanza from the dataplane with a local recipient: true when a block
 * list stops it (answered or dropped; m consumed). */
bool sb_im_block_route(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);

/* Directed presence (not a subscription type) from the dataplane to a
 * local JID: remembered on the sender's session, then delivered. Owns m. */
void sb_im_presence_directed(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* A message for a local user, before it is routed (im_msg.c): carbons
 * (XEP-0280), archiving for both parties (XEP-0313) and the stanza-id
 * (XEP-0359) the recipient sees. Returns the chain to route (m, or a copy
 * with the stanza-id that replaced it, in->st.bytes_len updated), or NULL
 * when m was consumed. */
struct sb_msg *sb_im_message(struct sb_shard *sh, struct sb_msg *m, struct sb_route_in *in);

/* XEP-0357 (im_push.c): messages went into the queue of s, a hibernated
 * session (waiting: stanzas queued): the newest worth it among m and the
 * chains linked behind it (sb_msg.held) is notified to the user's app
 * servers. m is not consumed. */
void sb_im_push_hibernated(struct sb_shard *sh, const struct sb_session *s, const struct sb_msg *m,
			   uint32_t waiting);

/* At the shard's exit: the archive writer's batch finished and what is
 * queued (archive, offline) committed, so the store can be closed. */
void sb_im_stop(struct sb_shard *sh);

/* Offline commit now (shutdown, tests). */
void sb_im_offline_commit(struct sb_shard *sh);

#endif
