/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Server side of the SASL mechanisms Switchboard offers: SCRAM-SHA-1 and
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), their -PLUS variants with channel
 * binding tls-exporter (RFC 9266) or tls-server-end-point (RFC 5929), and PLAIN
 * (RFC 4616) checked against the same stored SCRAM credentials. Everything
 * here is a pure state machine: it takes a client message and writes the
 * server's answer into a caller buffer, never blocks and never does I/O. The
 * credential lookup sits between two calls because in the real system the
 * dataplane asks a control shard for it over a ring:
 *
 *   sb_scram_server_start(client-first)  -> normalised username
 *   ... caller looks up struct sb_scram_creds for that user ...
 *   sb_scram_server_first(creds)         -> server-first-message
 *   sb_scram_server_final(client-final)  -> server-final-message (v= or e=)
 *
 * The server only ever holds salt, iteration count, StoredKey and ServerKey
 * (RFC 5802 §3); a password exists only while an account is created or a
 * PLAIN attempt is checked. Library code: never logs; every refusal has its
 * own enum sb_scram_result value for the caller's counters.
 */
#ifndef SB_SCRAM_H
#define SB_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sb_scram_mech {
	SB_SCRAM_SHA1,   /* "SCRAM-SHA-1", RFC 5802 */
	SB_SCRAM_SHA256, /* "SCRAM-SHA-256", RFC 7677 */
	SB_SCRAM_MECH_MAX
};

#define SB_SCRAM_KEY_MAX 32u          /* SHA-256 output; SHA-1 uses the first 20 */
#define SB_SCRAM_SALT_MAX 64u
#define SB_SCRAM_SALT_DEFAULT 16u     /* salt length sb_scram_credentials_new() draws */
#define SB_SCRAM_ITER_MIN 4096u       /* RFC 7677 §4: at least 4096 */
#define SB_SCRAM_ITER_MAX 1000000u    /* bounds the CPU one login attempt may cost */
#define SB_SCRAM_USER_MAX 255u        /* normalised username, octets */
#define SB_SCRAM_FAKE_NAME_MAX 3071u  /* what fake credentials may be keyed on: a JID */
#define SB_SCRAM_PASS_MAX 1023u       /* password, octets, before and after SASLprep */
#define SB_SCRAM_CLIENT_MSG_MAX 512u  /* client-first / client-final message, octets */
#define SB_SCRAM_CNONCE_MAX 128u      /* client nonce, printable octets */
#define SB_SCRAM_SNONCE_RAW 18u       /* CSPRNG bytes in our nonce: 24 base64 chars */
#define SB_SCRAM_SERVER_MSG_MAX 320u  /* room for any server message we write */
#define SB_SCRAM_PLAIN_MAX 255u       /* RFC 4616 §2: authzid, authcid, passwd each */

/* What a step did; SB_SCRAM_OK is 0. Each refusal is one counter. */
enum sb_scram_result {
	SB_SCRAM_OK = 0,
	SB_SCRAM_ERR_MALFORMED,        /* syntax, bad base64: e=invalid-encoding */
	SB_SCRAM_ERR_TOO_LONG,         /* a message or field past its limit */
	SB_SCRAM_ERR_EXTENSION,        /* mandatory extension m=: extensions-not-supported */
	SB_SCRAM_ERR_CB_NOT_SUPPORTED, /* gs2 "p=" without -PLUS, or a type we have no data for */
	SB_SCRAM_ERR_USERNAME,         /* bad =2C/=3D escape or PRECIS refusal */
	SB_SCRAM_ERR_AUTHZID,          /* authzid names someone else */
	SB_SCRAM_ERR_CB_MISMATCH,      /* c= is not the gs2 header: channel-bindings-dont-match */
	SB_SCRAM_ERR_NONCE,            /* r= in client-final is not the combined nonce */
	SB_SCRAM_ERR_PROOF,            /* wrong password: invalid-proof */
	SB_SCRAM_ERR_CREDS,            /* stored credentials unusable (mechanism, iterations) */
	SB_SCRAM_ERR_STATE,            /* step called out of order */
	SB_SCRAM_ERR_INTERNAL,         /* CSPRNG or crypto failure: other-error */
	SB_SCRAM_ERR_CB_DOWNGRADE,     /* gs2 "y" while we offered -PLUS (RFC 5802 §6) */
	SB_SCRAM_RESULT_MAX
};

/* Stored credentials of one user for one mechanism (RFC 5802 §3). */
struct sb_scram_creds {
	uint8_t mech;         /* enum sb_scram_mech */
	uint8_t salt_len;     /* 1..SB_SCRAM_SALT_MAX */
	uint16_t pad;         /* zero */
	uint32_t iterations;  /* SB_SCRAM_ITER_MIN..SB_SCRAM_ITER_MAX */
	uint8_t salt[SB_SCRAM_SALT_MAX];
	uint8_t stored_key[SB_SCRAM_KEY_MAX]; /* H(ClientKey) */
	uint8_t server_key[SB_SCRAM_KEY_MAX]; /* HMAC(SaltedPassword, "Server Key") */
};

/* Storage record: version byte 1, mech, salt_len, 0, iterations (big
 * endian), salt (zero padded to 64), StoredKey, ServerKey (zero padded). */
#define SB_SCRAM_CREDS_VERSION 1u
#define SB_SCRAM_CREDS_RECORD_LEN (8u + SB_SCRAM_SALT_MAX + 2u * SB_SCRAM_KEY_MAX)

/* A username as the lookup wants it: PRECIS UsernameCaseMapped, the same
 * form as a JID localpart (lib/jid). NUL-terminated. */
struct sb_scram_user {
	uint16_t len;
	char name[SB_SCRAM_USER_MAX + 1];
};

/* Channel binding types (RFC 5056), by their gs2 cb-name. */
enum sb_scram_cb {
	SB_SCRAM_CB_NONE,            /* gs2 "n" or "y" */
	SB_SCRAM_CB_TLS_EXPORTER,    /* "tls-exporter", RFC 9266 (TLS 1.3) */
	SB_SCRAM_CB_TLS_ENDPOINT,    /* "tls-server-end-point", RFC 5929 §4 */
	SB_SCRAM_CB_MAX
};
#define SB_SCRAM_CB_DATA_MAX 64u     /* a certificate hash up to SHA-512 */

/* What the connection can bind to, from its TLS: each value present or
 * not (len 0). plus_offered: the -PLUS mechanisms were offered on this
 * stream, so a "y" client has been downgraded (RFC 5802 §6). */
struct sb_scram_cbind {
	const uint8_t *data[SB_SCRAM_CB_MAX]; /* indexed by enum sb_scram_cb */
	uint8_t len[SB_SCRAM_CB_MAX];
	bool plus_offered;
};

/* Per-connection SCRAM state, alive only during authentication. buf holds
 * gs2-header, client-first-message-bare, ',', server-first-message, ',':
 * the first two thirds of AuthMessage (RFC 5802 §3) and the bytes c= must
 * repeat. */
struct sb_scram_server {
	uint8_t mech;
	uint8_t state;        /* private: which call is expected next */
	uint8_t gs2_len;      /* gs2-header at buf[0] */
	uint8_t cnonce_len;
	uint16_t cnonce_off;  /* c-nonce inside buf */
	uint16_t cfb_len;     /* client-first-message-bare at buf[gs2_len] */
	uint16_t sfm_len;     /* server-first-message after cfb and ',' */
	uint8_t cb_type;      /* enum sb_scram_cb the client chose */
	uint8_t cb_len;       /* its data, which c= must carry after the gs2 header */
	uint8_t cb_data[SB_SCRAM_CB_DATA_MAX];
	uint8_t stored_key[SB_SCRAM_KEY_MAX];
	uint8_t server_key[SB_SCRAM_KEY_MAX];
	char buf[SB_SCRAM_CLIENT_MSG_MAX + SB_SCRAM_SERVER_MSG_MAX + 2];
};
_Static_assert(sizeof(struct sb_scram_server) <= 976, "SCRAM state grew");

/* "SCRAM-SHA-1" / "SCRAM-SHA-256"; NULL for an invalid mech. */
const char *sb_scram_mech_name(enum sb_scram_mech mech);

/* Mechanism by its SASL name (exact, case-sensitive per RFC 4422 §3.1);
 * SB_SCRAM_MECH_MAX if not ours. */
enum sb_scram_mech sb_scram_mech_from_name(const char *name, size_t len);

/* Counter name of a result ("ok", "malformed", ...). */
const char *sb_scram_result_str(enum sb_scram_result r);

/* Step 1. Parse client-first-message (RFC 5802 §7) for mech. domain is the
 * server's own normalised domain (as in a parsed struct sb_jid): an authzid,
 * if present, must be the bare JID user@domain of the authenticating user,
 * otherwise SB_SCRAM_ERR_AUTHZID. On SB_SCRAM_OK, *user is the normalised
 * username to look up and st waits for sb_scram_server_first(). */
enum sb_scram_result sb_scram_server_start(struct sb_scram_server *st, enum sb_scram_mech mech,
					   const char *domain, size_t domain_len,
					   const char *client_first, size_t len,
					   struct sb_scram_user *user);

/* Step 1 for a -PLUS mechanism (plus true) or with the connection's
 * binding data known (cb non-NULL): gs2 "p=<cb-name>" is accepted only with
 * plus and a type cb has data for (else SB_SCRAM_ERR_CB_NOT_SUPPORTED), and
 * its data must then follow the gs2 header in c=; a -PLUS mechanism with
 * "n" or "y" is SB_SCRAM_ERR_MALFORMED; "y" without plus while
 * cb->plus_offered is SB_SCRAM_ERR_CB_DOWNGRADE. sb_scram_server_start() is
 * this with plus false and cb NULL. cb's data is copied. */
enum sb_scram_result sb_scram_server_start_cb(struct sb_scram_server *st, enum sb_scram_mech mech,
					      bool plus, const struct sb_scram_cbind *cb,
					      const char *domain, size_t domain_len,
					      const char *client_first, size_t len,
					      struct sb_scram_user *user);

/* "tls-exporter" / "tls-server-end-point"; NULL for NONE or invalid. */
const char *sb_scram_cb_name(enum sb_scram_cb t);

/* Step 2. Build server-first-message from the user's stored credentials
 * with a fresh 18-byte CSPRNG nonce; writes it into out[0..cap) (cap >=
 * SB_SCRAM_SERVER_MSG_MAX always suffices) and its length into *out_len. For
 * an unknown user pass credentials from sb_scram_credentials_fake() so that
 * the exchange looks the same and fails at the proof. */
enum sb_scram_result sb_scram_server_first(struct sb_scram_server *st,
					   const struct sb_scram_creds *creds,
					   char *out, size_t cap, size_t *out_len);

/* Step 2 with a caller-chosen server nonce (printable, no ','): for the RFC
 * test vectors only. Production code calls sb_scram_server_first(). */
enum sb_scram_result sb_scram_server_first_nonce(struct sb_scram_server *st,
						 const struct sb_scram_creds *creds,
						 const char *snonce, size_t snonce_len,
						 char *out, size_t cap, size_t *out_len);

/* Step 3. Check client-final-message (channel binding, nonce, proof in
 * constant time) and write server-final-message: "v=ServerSignature" on
 * SB_SCRAM_OK, otherwise "e=<server-error-value>" of RFC 5802 §7 (nothing
 * for SB_SCRAM_ERR_STATE). One attempt per exchange: st is finished and its
 * keys wiped whatever the result. */
enum sb_scram_result sb_scram_server_final(struct sb_scram_server *st,
					   const char *client_final, size_t len,
					   char *out, size_t cap, size_t *out_len);

/* Wipe st (keys included). */
void sb_scram_server_reset(struct sb_scram_server *st);

/* SASLprep (RFC 4013) of a password into out[0..cap): printable ASCII
 * passes unchanged without calling ICU, ASCII controls are refused, anything
 * else goes through ICU's RFC 4013 profile. stored selects the stored-string
 * rules (unassigned code points refused) over the query rules. Returns 0,
 * -EILSEQ (prohibited or ill-formed), -EINVAL (empty result), -ENOSPC. */
int sb_scram_saslprep(const char *in, size_t len, bool stored, char *out, size_t cap,
		      size_t *out_len);

/* Credentials for a new account: SaltedPassword = PBKDF2-HMAC-H(SASLprep(
 * password), salt, iterations) (RFC 5802 §3), then StoredKey and ServerKey.
 * Returns 0, -EINVAL on a bad argument, or the errors of sb_scram_saslprep(),
 * -EIO if OpenSSL fails. */
int sb_scram_credentials_derive(enum sb_scram_mech mech, const char *password, size_t len,
				const uint8_t *salt, size_t salt_len, uint32_t iterations,
				struct sb_scram_creds *out);

/* As sb_scram_credentials_derive() with a fresh SB_SCRAM_SALT_DEFAULT-byte
 * salt from the CSPRNG. */
int sb_scram_credentials_new(enum sb_scram_mech mech, const char *password, size_t len,
			     uint32_t iterations, struct sb_scram_creds *out);

/* Stand-in credentials for a user that does not exist (RFC 5802 §9 on
 * username enumeration): the salt is HMAC(secret, username), so repeated
 * attempts see the same salt, and the keys are random, so no proof
 * matches. secret is a per-deployment key; user is the name looked up (a
 * username or a bare JID, at most SB_SCRAM_FAKE_NAME_MAX octets). iterations is set to
 * SB_SCRAM_ITER_MIN: a deployment that creates accounts with another count
 * sets out->iterations to it, or the count gives the fake away. Returns 0,
 * -EINVAL or -EIO. */
int sb_scram_credentials_fake(enum sb_scram_mech mech, const uint8_t *secret, size_t secret_len,
			      const char *user, size_t user_len, struct sb_scram_creds *out);

/* Storage record of SB_SCRAM_CREDS_RECORD_LEN bytes. unpack validates
 * everything (version, mech, lengths, ranges, zero padding): -EINVAL. */
void sb_scram_credentials_pack(const struct sb_scram_creds *c,
			       uint8_t rec[SB_SCRAM_CREDS_RECORD_LEN]);
int sb_scram_credentials_unpack(struct sb_scram_creds *c, const uint8_t *rec, size_t len);

/* PLAIN (RFC 4616 §2): message = [authzid] NUL authcid NUL passwd. */
struct sb_scram_plain {
	struct sb_scram_user user; /* normalised authcid */
	const char *passwd;        /* points into the caller's message */
	uint16_t passwd_len;
};

/* Parse a PLAIN message. The authcid is normalised as a username; an
 * authzid, if present, must be the bare JID user@domain (domain as for
 * sb_scram_server_start()), else SB_SCRAM_ERR_AUTHZID. */
enum sb_scram_result sb_scram_plain_parse(const char *msg, size_t len, const char *domain,
					  size_t domain_len, struct sb_scram_plain *out);

/* Check a PLAIN password against stored SCRAM credentials: re-derive
 * StoredKey with the stored salt and iterations and compare in constant
 * time. SB_SCRAM_OK, SB_SCRAM_ERR_PROOF (wrong password or a password
 * SASLprep refuses), SB_SCRAM_ERR_CREDS or SB_SCRAM_ERR_INTERNAL. */
enum sb_scram_result sb_scram_plain_verify(const struct sb_scram_creds *creds,
					   const char *passwd, size_t len);

/* Strict base64 (RFC 4648 §4, padded, no line breaks, zero pad bits).
 * encode returns the length written (NUL-terminated) or -ENOSPC; decode
 * returns the decoded length, -EINVAL on any malformed input, -ENOSPC. */
int sb_scram_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int sb_scram_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
