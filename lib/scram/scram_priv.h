/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram private helpers shared by the state machine, the credential code
 * and PLAIN: the hash of each mechanism, one-shot HMAC and hash, and the
 * authorization-identity rule both mechanisms enforce.
 */
#ifndef SB_SCRAM_PRIV_H
#define SB_SCRAM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scram.h"

/* Output length of mech's hash (20 or 32); 0 for an invalid mech. */
size_t scram_hash_len(enum sb_scram_mech mech);

/* HMAC-H(key, a || b) and H(data) into out (scram_hash_len() bytes).
 * Return 0 or -EIO. */
int scram_hmac2(enum sb_scram_mech mech, const uint8_t *key, size_t key_len, const void *a,
		size_t a_len, const void *b, size_t b_len, uint8_t *out);
int scram_hash(enum sb_scram_mech mech, const uint8_t *data, size_t len, uint8_t *out);

/* StoredKey and ServerKey from SaltedPassword (RFC 5802 §3). */
int scram_keys_from_salted(enum sb_scram_mech mech, const uint8_t *salted, uint8_t *stored_key,
			   uint8_t *server_key);

/* PBKDF2 over an already SASLprepped password. */
int scram_salted_password(enum sb_scram_mech mech, const char *pw, size_t pw_len,
			  const uint8_t *salt, size_t salt_len, uint32_t iterations, uint8_t *out);

/* True if creds are usable for mech. */
bool scram_creds_valid(const struct sb_scram_creds *c, enum sb_scram_mech mech);

/* Normalise an authentication identity into *user: SB_SCRAM_OK or
 * SB_SCRAM_ERR_USERNAME. */
enum sb_scram_result scram_user_normalise(const char *in, size_t len, struct sb_scram_user *user);

/* RFC 6120 §6.3.8: an authzid may only name the authenticating user's own
 * bare JID. True if authzid parses as a JID equal to user@domain. */
bool scram_authzid_ok(const char *authzid, size_t len, const struct sb_scram_user *user,
		      const char *domain, size_t domain_len);

#endif
