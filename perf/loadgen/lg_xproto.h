/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The XMPP client side shared by sb-loadgen (its own TCP over memif) and
 * sb-kclient (kernel sockets through the TAP): the few elements a c2s login
 * and the chat benchmark write, and the few things read back out of the
 * server's elements. Pure C over byte ranges that lib/xml has delimited;
 * no I/O, no DPDK. A login is RFC 6120's: stream header (§4.7), SASL
 * (§6.4: PLAIN, RFC 4616, or SCRAM-SHA-1, RFC 5802), restart (§6.4.6), bind
 * with a server-generated resource (§7.6), initial presence (RFC 6121 §4.2).
 */
#ifndef SB_LG_XPROTO_H
#define SB_LG_XPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_lg_scram_user;

#define SB_LG_XP_NONCE_BYTES 25u  /* base64 of 18 random bytes, NUL included */
#define SB_LG_XP_CONDS 23u        /* RFC 6120 §8.3.3's conditions, then "other" */

extern const char sb_lg_xp_bind[];     /* the bind iq, id 'b1' */
extern const char sb_lg_xp_presence[]; /* initial presence */
extern const char sb_lg_xp_roster_get[]; /* RFC 6121 §2.2 roster get */

/* The stream header to domain into out; its length or -E2BIG. */
int sb_lg_xp_header(char *out, size_t cap, const char *domain);

/* <auth/> for user: PLAIN carries the credentials (RFC 4616 §2, authzid
 * empty), SCRAM the client-first-message with a fresh nonce (into cnonce). */
int sb_lg_xp_auth(char *out, size_t cap, bool scram, const char *user, const char *password,
		  char cnonce[SB_LG_XP_NONCE_BYTES]);

/* SCRAM: the <challenge/> element e answered by a <response/> into out; the
 * ServerSignature to expect into ssig. *ran_pbkdf2 says whether u's cache
 * missed. Negative on a malformed challenge or a nonce not extending ours. */
int sb_lg_xp_response(char *out, size_t cap, struct sb_lg_scram_user *u, const char *user,
		      const char *password, const char *cnonce, const uint8_t *e, size_t len,
		      uint8_t ssig[20], bool *ran_pbkdf2);

/* SCRAM: <success/> element e carries v= proving ssig. */
bool sb_lg_xp_success_ok(const uint8_t ssig[20], const uint8_t *e, size_t len);

/* A chat message "SEQ STAMP" to to@domain; its length or -E2BIG. */
int sb_lg_xp_chat(char *out, size_t cap, const char *to, const char *domain, uint64_t seq,
		  uint64_t stamp);

/* SEQ and STAMP out of a chat message element; -EINVAL if it has neither. */
int sb_lg_xp_chat_parse(const uint8_t *e, size_t len, uint64_t *seq, uint64_t *stamp);

/* Index in sb_lg_xp_cond_name of the defined condition inside the <error/>
 * child of stanza e (RFC 6120 §8.3.2); the last index for anything else. */
unsigned sb_lg_xp_cond(const uint8_t *e, size_t len);
extern const char *const sb_lg_xp_cond_name[SB_LG_XP_CONDS];

/* The <item/> elements of roster result e (RFC 6121 §2.1.4), counted. */
uint64_t sb_lg_xp_roster_items(const uint8_t *e, size_t len);

/* The character data of <jid/> in bind result e into out (NUL-terminated). */
int sb_lg_xp_bound_jid(const uint8_t *e, size_t len, char *out, size_t cap);

#endif
