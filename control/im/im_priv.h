/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the files of control/im share among themselves.
 */
#ifndef SB_IM_PRIV_H
#define SB_IM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "im.h"
#include "im_xml.h"
#include "msg.h"
#include "store/store_im.h"

struct sb_shard;
struct sb_session;
struct sb_session_user;
struct sb_route_in;

#define IM_NS_ROSTER "jabber:iq:roster"
#define IM_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define IM_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define IM_NS_VERSION "jabber:iq:version"
#define IM_NS_TIME "urn:xmpp:time"
#define IM_NS_CLIENT "jabber:client"
#define IM_NS_BLOCKING "urn:xmpp:blocking"
#define IM_NS_BLOCKING_ERRORS "urn:xmpp:blocking:errors"
#define IM_NS_VCARD "vcard-temp"
#define IM_NS_PRIVATE "jabber:iq:private"

/* im_push.c (XEP-0357) */
bool im_push_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		const struct imx_el *child, bool own);
/* A message from from[0..from_len) (bytes[0..n)) is waiting for bare:
 * count stanzas in all. Notifies each of bare's app servers. */
void im_push_notify(struct sb_shard *sh, const char *bare, size_t blen, const char *from,
		    size_t from_len, const char *bytes, size_t n, uint32_t count);
/* A result or error for the server at a user's bare JID: a push answer? */
void im_push_answer(struct sb_shard *sh, const struct sb_route_in *in);

/* im_core.c */
void im_xsend(struct sb_shard *sh, unsigned d, struct sb_msg *m, uint32_t op);
unsigned im_bare_shard(const struct sb_shard *sh, const char *bare, size_t len);
struct sb_msg *im_chain(struct sb_shard *sh, enum sb_msg_kind kind, uint8_t skind, uint8_t type,
			const char *to, size_t to_len, size_t to_bare_len, const char *from,
			size_t from_len, size_t from_bare_len, const void *bytes, size_t n);
/* A STANZA chain like m (in its header, the sender's connection, flags)
 * with the bytes b[0..n) instead; NULL when the pool is empty. The caller
 * moves a promise m carries (sb_promise_moved) and frees m. */
struct sb_msg *im_rechain(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in,
			  const char *b, size_t n);
void im_deliver_bytes(struct sb_shard *sh, const struct sb_session *s, uint8_t skind, uint8_t type,
		      const char *from, size_t from_len, size_t from_bare_len, const void *bytes,
		      size_t n);
void im_reply(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in,
	      const void *bytes, size_t n);
/* "<iq type='result' from=… to=… id=…" (no closing '>') answering in. */
void im_result_open(struct imx_out *o, const struct sb_route_in *in);
ssize_t im_bytes(struct sb_shard *sh, const struct sb_msg *m, const struct sb_route_in *in);
void im_put_with_to(struct imx_out *o, const char *b, size_t n, const char *to, size_t to_len);

/* im_fanout.c */
/* bytes (a presence without to; to_off: where each recipient's to goes)
 * to the sessions v[0..n): one DELIVER_MULTI per worker and per
 * SB_MSG_MULTI_MAX sessions, not one message per recipient. */
void im_deliver_multi(struct sb_shard *sh, struct sb_session *const *v, unsigned n, uint8_t type,
		      const char *from, size_t from_len, size_t from_bare_len, const char *bytes,
		      size_t len, size_t to_off);
/* Broadcast bytes (from the session s's full JID, without to) to the
 * available resources of every contact with a subscription from (from,
 * both) of roster r: one inter-shard message per shard holding contacts,
 * then one delivery message per worker there. */
void im_broadcast_contacts(struct sb_shard *sh, const struct sb_session *s,
			   const struct sb_roster *r, uint8_t type, const char *bytes, size_t len);
/* The receiving end of im_broadcast_contacts (SB_IM_X_BROADCAST). */
void im_broadcast_in(struct sb_shard *sh, struct sb_msg *m);
/* Where " to='…'" goes in presence bytes: after the element name. */
size_t im_to_off(const char *b, size_t n);

/* im_roster.c */
/* Push item (of user bare) to every interested resource (RFC 6121
 * §2.1.6), or only to session only. */
void im_roster_push(struct sb_shard *sh, const char *bare, size_t len, const struct sb_roster *r,
		    const struct sb_roster_item *it, const struct sb_session *only);
void im_roster_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		  const struct imx_el *query);
/* Items the user has (shown or with subscription state), tombstones aside. */
unsigned im_roster_live(const struct sb_roster *r);

/* im_presence.c */
/* s's presence as it goes out now (s->pres not NULL): with the avatar
 * hash put in (XEP-0398 §4) in im->hbuf, valid until the next call, or
 * s->pres itself; its length in *n. One store read. */
const char *im_pres_out(struct sb_shard *sh, const struct sb_session *s, size_t *n);
void im_sub_outbound(struct sb_shard *sh, struct sb_msg *m);
void im_sub_inbound(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
void im_probe_inbound(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
void im_presence_inbound(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* Send a subscription stanza of type from bare user to bare contact, as
 * the user's server does after its outbound processing (bare-JID stamped). */
void im_sub_send(struct sb_shard *sh, const char *user, size_t ulen, const char *contact,
		 size_t clen, const char *type, const char *inner, size_t inner_len);

/* im_recover.c: where chain m (header st) first entered sb-control, for
 * the offline record; origin->set 0 when unknown. */
void im_origin_of(const struct sb_msg *m, const struct sb_msg_stanza *st,
		  struct sb_offline_origin *origin);

/* im_offline.c */
/* The user's initial presence from s: stored messages to s, the first
 * window of them (the rest follow on FLUSH_MORE, sb_im_offline_more). */
void im_offline_deliver(struct sb_shard *sh, struct sb_session *s);

/* im_disco.c */
void im_disco_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		 const struct imx_el *child, bool to_server);

/* im_block.c */
/* A block list iq of the user (blocklist get, block, unblock): handled
 * (true, m not consumed) or not one. */
bool im_block_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		 const struct imx_el *child);
/* A presence from session s to jid as inbound on jid's shard (built in
 * obuf): body (s's presence bytes, to inserted), or with body NULL an
 * empty one of type (unavailable or probe). */
void im_pres_from(struct sb_shard *sh, const struct sb_session *s, const char *jid, size_t jlen,
		  uint8_t type, const char *body, size_t blen);
/* The receiving end of SB_IM_X_BLOCKSYNC. */
void im_block_sync_in(struct sb_shard *sh, struct sb_msg *m);
/* Inbound (recipient in->to, a user of this shard): whether its block
 * list stops a stanza from in->from (counted). */
bool im_block_in_drop(struct sb_shard *sh, const struct sb_route_in *in);
/* Whether the online user (any shard) blocks jid. */
bool im_block_online(struct sb_shard *sh, const char *user, size_t ulen, const char *jid,
		     size_t jlen);
/* Mark the contacts the online user blocks as gone in r (a copy used
 * for a broadcast, never saved): no presence, no probes to them. */
void im_block_filter_roster(struct sb_shard *sh, const char *bare, size_t len,
			    struct sb_roster *r);

/* im_directed.c */
/* The receiving end of SB_IM_X_DIRECTED (the sender's shard). */
void im_directed_in(struct sb_shard *sh, struct sb_msg *m);
/* Session s goes unavailable: unavailable to the JIDs it sent directed
 * presence that the broadcast (roster r, as filtered) did not reach. */
void im_directed_gone(struct sb_shard *sh, struct sb_session *s, const struct sb_roster *r);

/* im_vcard.c, im_private.c: handled (true, m not consumed) or not one.
 * own: the iq has no to or names the sender's bare JID. */
bool im_vcard_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		 const struct imx_el *child, bool own);
bool im_private_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		   const struct imx_el *child, bool own);
/* im_mam.c, im_mam_batch.c (XEP-0313) */
int im_mam_init(struct sb_im *im);
/* Archive records waiting for the group commit; their ops for it (ops
 * has room for im_mam_pending()), and the batch emptied once durable. */
uint32_t im_mam_pending(const struct sb_im *im);
unsigned im_mam_ops(struct sb_im *im, struct sb_store_op *ops);
void im_mam_committed(struct sb_im *im);
/* Per loop turn: the archive batch committed when its own deadline
 * (im.mam_commit_us) has passed. */
void im_mam_poll(struct sb_shard *sh, uint64_t now_tsc);
/* Everything queued or being written is in the store when this returns
 * (before a query reads it). */
void im_mam_flush(struct sb_shard *sh);
/* The next record's ord (unique and growing on this shard). */
uint64_t im_mam_next_ord(struct sb_im *im);
/* The public id of owner's record ord, 16 hex digits. */
void im_mam_id(struct sb_shard *sh, const char *owner, size_t len, uint64_t ord, char out[17]);
/* Queue a record of owner's archive for the next group commit. 0, or a
 * negative errno (counted mam_dropped). */
int im_mam_archive(struct sb_shard *sh, const char *owner, size_t olen, uint64_t ord,
		   uint8_t flags, const char *with, size_t with_len, size_t with_bare_len,
		   const char *bytes, size_t n);
/* Retention (im.mam_retention_days): delete up to 1024 of owner's
 * expired records (at initial presence; nothing is written if none). */
void im_mam_expire(struct sb_shard *sh, const char *owner, size_t len);
void im_mam_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
	       const struct imx_el *child);
/* Write inner (a message) as a child of another element: with
 * xmlns='jabber:client' when it does not say its namespace. */
void im_put_inner(struct imx_out *o, const char *b, size_t n);

/* im_carbons.c (XEP-0280) */
void im_carbons_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		   const struct imx_el *child);
/* A <dir/> copy ("sent" or "received") of message inner to every
 * carbons-enabled resource of user bare except those skip() names. */
void im_carbons_copy(struct sb_shard *sh, const char *bare, size_t len, const char *dir,
		     uint8_t type, const char *inner, size_t n,
		     bool (*skip)(const struct sb_session *s, const void *arg), const void *arg);

/* im_caps.c (XEP-0115) */
/* A session's capabilities and PEP interest, one heap block (freed with
 * the session): the ver it announced, then the nodes it wants
 * notifications of (its "<node>+notify" features), each NUL-terminated. */
struct sb_im_caps {
	bool pending;        /* a disco#info query is out */
	bool last_due;       /* initial presence: last items once resolved */
	uint32_t query;      /* the id of the query out */
	uint16_t ver_len;
	uint32_t notify_len; /* bytes of the node list */
	char data[];         /* ver NUL, then the node names */
};
/* Presence (initial or not) from s, after s->pres was stored: its <c/>
 * resolved from the cache or by a disco#info query to s; at initial
 * presence, the last items of the nodes it wants once known. */
void im_caps_presence(struct sb_shard *sh, struct sb_session *s, bool initial);
/* An iq result or error for a user of this shard: a caps query's answer
 * (true, consumed the work; m is freed by the caller) or not one. */
bool im_caps_result(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* Whether s wants notifications of node. */
bool im_caps_wants(const struct sb_session *s, const char *node, size_t nlen);
void im_caps_free(struct sb_im *im);

/* im_pep_vcard.c (XEP-0398): a vCard set's PHOTO to the avatar nodes;
 * the PHOTO a vCard get shows req (photo: possibly nothing) and 1, or 0
 * when the account has no avatar metadata node (the stored vCard as is). */
void im_pep_vcard_set(struct sb_shard *sh, const char *owner, size_t olen,
		      const struct imx_el *vcard);
int im_pep_vcard_photo(struct sb_shard *sh, const char *owner, size_t olen, const char *req,
		       size_t rlen, struct imx_out *photo);
/* An available presence b[0..n) of owner with the avatar hash put in
 * (XEP-0398 §4), written to o: true, or false to send it as it is. */
bool im_pep_vcard_presence(struct sb_shard *sh, const char *owner, size_t olen, const char *b,
			   size_t n, struct imx_out *o);

/* im_pep.c (XEP-0163) */
/* A pubsub iq to an account (own or another's): handled (true, m not
 * consumed) or not one. */
bool im_pep_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
	       const struct imx_el *child, bool own);
/* s became available and its interest is known: ask the owners it has a
 * subscription to (and its own account) for their last items. */
void im_pep_login(struct sb_shard *sh, const struct sb_session *s);
/* SB_IM_X_PEPEV (an event for a user of this shard) and SB_IM_X_PEPLAST
 * (a request for an owner of this shard's last items). */
void im_pep_event_in(struct sb_shard *sh, struct sb_msg *m);
void im_pep_last_in(struct sb_shard *sh, struct sb_msg *m);
/* The account's node names for disco#items (the ones requester may read). */
void im_pep_disco_items(struct sb_shard *sh, struct imx_out *o, const char *owner, size_t olen,
			const char *requester, size_t rlen);

/* XEP-0402 §3 compatibility, from im_private.c: the bookmarks node as
 * <storage xmlns='storage:bookmarks'/> into o (false: no such node, the
 * private record answers), and a stored <storage/> written to the node
 * (its items replaced, events to the owner's resources). */
bool im_pep_bookmarks_get(struct sb_shard *sh, const char *owner, size_t olen,
			  struct imx_out *o);
void im_pep_bookmarks_set(struct sb_shard *sh, const char *owner, size_t olen,
			  const struct imx_el *storage);

/* im_msg.c */
/* SB_IM_X_SENT: the sender's side of a message (archive, sent carbons). */
void im_msg_sent(struct sb_shard *sh, struct sb_msg *m);

#endif
