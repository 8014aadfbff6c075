/* SPDX-License-Identifier: BSD-3-Clause
 *
 * SCRAM-SHA-1, client side (RFC 5802 §3), for sb-loadgen's XMPP logins.
 * Messages are the decoded SASL payloads; the caller base64-encodes them
 * into <auth/> and <response/> (RFC 6120 §6.4.2).
 */
#ifndef SB_LG_XSASL_H
#define SB_LG_XSASL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Per user: the keys derived from SaltedPassword, valid for one salt and
 * iteration count (RFC 5802 §5.1: the client may cache them). */
struct sb_lg_scram_user {
	uint8_t ck[20];       /* ClientKey */
	uint8_t sk[20];       /* ServerKey */
	uint32_t iter;        /* 0: nothing cached */
	uint8_t salt_len;
	char salt_b64[51];    /* the salt as the server sent it */
};

_Static_assert(sizeof(struct sb_lg_scram_user) == 96, "per-user cache entry");

/* client-first-message "n,,n=USER,r=CNONCE" into out; returns its length. */
int sb_lg_scram_first(char *out, size_t cap, const char *user, const char *cnonce);

/* From the server-first-message: client-final-message into out (returns its
 * length), and the ServerSignature the server must prove in ssig. Computes
 * SaltedPassword only when u holds nothing for this salt and count
 * (*ran_pbkdf2 says). -EPROTO: the server's nonce does not extend ours;
 * -EINVAL: malformed. */
int sb_lg_scram_final(struct sb_lg_scram_user *u, const char *user, const char *password,
		      const char *cnonce, const char *sfm, size_t sfm_len, char *out, size_t cap,
		      uint8_t ssig[20], bool *ran_pbkdf2);

/* The server-final-message "v=..." proves ssig. */
bool sb_lg_scram_verify(const uint8_t ssig[20], const char *sfinal, size_t len);

#endif
