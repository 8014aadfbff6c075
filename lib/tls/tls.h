/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TLS for the fast path, kernel TLS done in user space. libssl runs the
 * handshake over memory BIOs (no sockets); the moment SSL_do_handshake()
 * returns 1 on a TLS 1.3 connection, the traffic secrets (captured by a keylog
 * callback) and the record counts (from the msg callback) are taken over into
 * struct sb_tls_conn, about 250 bytes, and the SSL object is freed. From then
 * on this library's own RFC 8446 record layer seals and opens records with
 * libcrypto's EVP, using cipher contexts that belong to the worker and are
 * re-keyed per record. TLS 1.2 connections, which that record layer does not
 * speak, keep their SSL object (with released buffers) and are counted.
 *
 *   server = sb_tls_server_new(opts) + sb_tls_server_add_domain() per domain
 *   per worker: sb_tls_worker_init()
 *   per connection:
 *     s = sb_tls_ssl_new(w, server)
 *     loop: sb_tls_ssl_input(bytes) ; sb_tls_ssl_handshake() ;
 *           sb_tls_ssl_output() -> send
 *     on SB_TLS_HS_DONE: sb_tls_ssl_handoff(s, &conn, leftover) ; sb_tls_ssl_free(s)
 *     then: sb_tls_rec_open() on received bytes, sb_tls_rec_seal() to send
 *
 * Everything takes the worker explicitly; nothing here is global or
 * thread-local, and nothing logs: every refusal has a counter in
 * tls_counters.def. Functions return 0 or a negative errno unless they say
 * otherwise. The server (certificates, SNI, ticket key secret) is read-only
 * once built and shared by all workers; a reload builds a new one and swaps
 * the pointer, connections in a handshake keep a reference to the old one.
 */
#ifndef SB_TLS_H
#define SB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "ctr.h"

enum sb_tls_ctr {
#define SB_CTR(name, help) SB_TLS_CTR_##name,
#include "tls_counters.def"
#undef SB_CTR
	SB_TLS_CTR_MAX
};

/* Descriptions of the counters (lib/ctr's shape), indexed by enum sb_tls_ctr:
 * the dataplane copies them into the counter directory in shared memory. */
extern const struct sb_ctr_desc sb_tls_ctr_desc[SB_TLS_CTR_MAX];
/* Name of counter i, NULL past the end. */
const char *sb_tls_ctr_name(unsigned i);

/* The TLS 1.3 cipher suites the record layer implements (RFC 8446 §B.4). */
enum sb_tls_suite {
	SB_TLS_AES_128_GCM_SHA256,       /* 0x1301 */
	SB_TLS_AES_256_GCM_SHA384,       /* 0x1302 */
	SB_TLS_CHACHA20_POLY1305_SHA256, /* 0x1303 */
	SB_TLS_SUITE_MAX
};

#define SB_TLS_REC_HDR 5u                       /* type(1) legacy_version(2) length(2) */
#define SB_TLS_TAG 16u                          /* every suite's AEAD tag */
#define SB_TLS_PLAIN_MAX 16384u                 /* 2^14, RFC 8446 §5.1 */
#define SB_TLS_CIPHER_MAX (SB_TLS_PLAIN_MAX + 256u) /* 2^14+256, §5.2 */
/* The most unverified ciphertext a connection ever needs buffered: one whole
 * record. A longer length field is refused on the header alone. */
#define SB_TLS_REC_IN_MAX (SB_TLS_REC_HDR + SB_TLS_CIPHER_MAX)
/* Bytes of overhead per sealed record: header, content type, tag. */
#define SB_TLS_REC_OVERHEAD (SB_TLS_REC_HDR + 1u + SB_TLS_TAG)
#define SB_TLS_EXPORTER_LEN 32u                 /* RFC 9266 §2 tls-exporter */
#define SB_TLS_HS_IN_MAX 32768u                 /* unread handshake input per connection */
#define SB_TLS_KU_IN_MAX 32u                    /* peer KeyUpdates in a row without data */
/* AES-GCM: rotate our send key well before 2^24.5 records (RFC 8446 §5.5). */
#define SB_TLS_REKEY_RECORDS_DEFAULT (1ull << 24)

/* ---------------------------------------------------------------- worker */

struct sb_tls_worker_opts {
	uint32_t hs_max;          /* handshakes in progress at once (0: 1024) */
	uint64_t rekey_records;   /* our KeyUpdate after this many records (0: default) */
};

/* Per-worker crypto state, passed explicitly to everything below. The AEAD
 * contexts are keyed per record from the connection's key and nonce, so a
 * connection carries no EVP object. */
struct sb_tls_worker {
	EVP_CIPHER *aead[SB_TLS_SUITE_MAX];     /* fetched once: no implicit fetch per record */
	EVP_CIPHER_CTX *enc[SB_TLS_SUITE_MAX];
	EVP_CIPHER_CTX *dec[SB_TLS_SUITE_MAX];
	/* The key each context holds now: a record under the same key (a
	 * burst on one connection) sets only the nonce, skipping the key
	 * schedule (about 180 ns of AES-GCM's ~450 per small record). */
	uint8_t enc_key[SB_TLS_SUITE_MAX][32];
	uint8_t dec_key[SB_TLS_SUITE_MAX][32];
	EVP_KDF_CTX *kdf;                       /* "TLS13-KDF", reused for every derivation */
	EVP_CIPHER *ticket_cipher;              /* AES-256-CBC for session tickets */
	uint64_t now_s;                         /* wall clock, seconds: ticket key epochs */
	uint64_t rekey_records;
	uint32_t hs_max;
	uint32_t hs_live;
	uint64_t ctr[SB_TLS_CTR_MAX];
};

int sb_tls_worker_init(struct sb_tls_worker *w, const struct sb_tls_worker_opts *opts);
void sb_tls_worker_fini(struct sb_tls_worker *w);
/* The worker's idea of the time (UNIX seconds), read by the ticket key
 * callback to pick the key epoch. The glue sets it once per second or so. */
static inline void sb_tls_worker_set_time(struct sb_tls_worker *w, uint64_t now_s)
{
	w->now_s = now_s;
}

/* ---------------------------------------------------------------- server */

enum sb_tls_version { SB_TLS_V12, SB_TLS_V13 };

struct sb_tls_server_opts {
	const char *ciphersuites;   /* TLS 1.3 list (NULL: the three of enum sb_tls_suite) */
	const char *ciphers12;      /* TLS 1.2 list (NULL: ECDHE + AEAD only) */
	const char *groups;         /* NULL: "X25519:P-256" */
	enum sb_tls_version min_version;
	uint32_t ticket_rotate_s;   /* ticket key epoch length (0: 7200) */
	bool alpn_xmpp;             /* select ALPN xmpp-client (direct TLS, XEP-0368) */
};

struct sb_tls_error {
	char msg[200];              /* what failed, on what, and OpenSSL's reason */
};

struct sb_tls_server;

/* A server with no domain yet; prev (may be NULL) passes on its ticket key
 * secret so that tickets issued before a reload still resume. NULL on
 * failure with err filled. */
struct sb_tls_server *sb_tls_server_new(const struct sb_tls_server_opts *opts,
					const struct sb_tls_server *prev,
					struct sb_tls_error *err);
/* Load a PEM certificate chain and key for domain. The first domain added is
 * the default, used without SNI or for an unknown name. -EINVAL (bad file,
 * key mismatch), -E2BIG past SB_TLS_DOMAINS_MAX, -ENOMEM; err filled. */
#define SB_TLS_DOMAINS_MAX 64u
#define SB_TLS_DOMAIN_LEN 255u
int sb_tls_server_add_domain(struct sb_tls_server *srv, const char *domain,
			     const char *cert_pem, const char *key_pem, struct sb_tls_error *err);
/* Take one more reference (a worker adopting a reloaded server), and drop
 * the caller's; the server is freed when the last handshake using it has
 * ended. Both atomic: any thread may put. */
void sb_tls_server_get(struct sb_tls_server *srv);
void sb_tls_server_put(struct sb_tls_server *srv);
unsigned sb_tls_server_domains(const struct sb_tls_server *srv);
const char *sb_tls_server_domain(const struct sb_tls_server *srv, unsigned i);
/* tls-server-end-point channel binding data of domain i (RFC 5929 §4.1:
 * the certificate hashed with its signature's hash, SHA-256 at least),
 * for SCRAM -PLUS. -ENOENT for a bad index. */
#define SB_TLS_ENDPOINT_MAX 64u
int sb_tls_server_endpoint(const struct sb_tls_server *srv, unsigned i,
			   uint8_t out[SB_TLS_ENDPOINT_MAX], size_t *ret_len);
/* Whole days from now until domain i's certificate expires; negative once it
 * has (so -1 means expired less than a day ago). -ENOENT for a bad index. */
int sb_tls_server_days_left(const struct sb_tls_server *srv, unsigned i, time_t now,
			    int *ret_days);

/* From the configuration (tls_config.c): xmpp.domain's certificate
 * (tls.cert_file/tls.key_file, or <tls.cert_dir>/<domain>.pem and .key),
 * then every name of tls.domains from tls.cert_dir; suites, groups, minimum
 * version and ticket epoch from [tls]; ALPN xmpp-client selected. NULL with
 * err naming the file that failed. */
struct sb_config;
struct sb_tls_server *sb_tls_server_from_config(const struct sb_config *cfg,
						const struct sb_tls_server *prev,
						struct sb_tls_error *err);
void sb_tls_worker_opts_from_config(const struct sb_config *cfg, struct sb_tls_worker_opts *o);

/* ------------------------------------------------------------- handshake */

/* A connection while libssl owns it: in its handshake, or for good if it
 * negotiated TLS 1.2. Opaque; about 15 KB idle with buffers released. */
struct sb_tls_ssl;

enum sb_tls_hs_result {
	SB_TLS_HS_AGAIN,   /* needs more input; send what sb_tls_ssl_output() gives */
	SB_TLS_HS_DONE,    /* handshake complete: drain output, then hand off */
	SB_TLS_HS_FAILED,  /* dead: send the output (an alert, if any), then close */
};

/* NULL when the worker's cap is reached (HS_REFUSED_CAP) or on ENOMEM. */
struct sb_tls_ssl *sb_tls_ssl_new(struct sb_tls_worker *w, struct sb_tls_server *srv);
void sb_tls_ssl_free(struct sb_tls_worker *w, struct sb_tls_ssl *s);
/* Queue received bytes. Returns how many were taken (fewer than len once
 * SB_TLS_HS_IN_MAX bytes are unread; the caller keeps the rest). */
size_t sb_tls_ssl_input(struct sb_tls_worker *w, struct sb_tls_ssl *s, const uint8_t *in,
			size_t len);
enum sb_tls_hs_result sb_tls_ssl_handshake(struct sb_tls_worker *w, struct sb_tls_ssl *s);
/* Bytes waiting to be sent, and copy up to cap of them out (returns count). */
size_t sb_tls_ssl_pending(const struct sb_tls_ssl *s);
size_t sb_tls_ssl_output(struct sb_tls_ssl *s, uint8_t *out, size_t cap);
bool sb_tls_ssl_is_tls13(const struct sb_tls_ssl *s);
bool sb_tls_ssl_resumed(const struct sb_tls_ssl *s);
/* Negotiated ALPN protocol ("" if none) and SNI name ("" if none). */
const char *sb_tls_ssl_alpn(const struct sb_tls_ssl *s);
const char *sb_tls_ssl_sni(const struct sb_tls_ssl *s);

/* ------------------------------------------------------ record layer state */

struct sb_tls_dir {
	uint8_t secret[48];   /* current traffic secret (Hash.length used) */
	uint8_t key[32];      /* AEAD key (16 or 32 used) */
	uint8_t iv[12];       /* per-record nonce base, RFC 8446 §5.3 */
	uint64_t seq;         /* records under this key; reset on every key change */
};

enum sb_tls_conn_flag {
	SB_TLS_F_KU_OWED = 1u << 0,     /* peer asked for a KeyUpdate: send before data */
	SB_TLS_F_CLOSE_OWED = 1u << 1,  /* close_notify to send */
	SB_TLS_F_ALERT_OWED = 1u << 2,  /* fatal alert (conn.alert) to send */
	SB_TLS_F_RX_CLOSED = 1u << 3,   /* close_notify or an error received: no more input */
	SB_TLS_F_TX_CLOSED = 1u << 4,   /* our close_notify or fatal alert sent: no more output */
	SB_TLS_F_KU_WANTED = 1u << 5,   /* our own KeyUpdate at the next seal */
	SB_TLS_F_KU_REQUEST = 1u << 6,  /* ... with update_requested */
	SB_TLS_F_CLIENT = 1u << 7,      /* the client's end: the server's tickets are skipped */
};

/* An established TLS 1.3 session: everything the record layer keeps. */
struct sb_tls_conn {
	struct sb_tls_dir rx, tx;
	uint8_t suite;                  /* enum sb_tls_suite */
	uint8_t flags;                  /* enum sb_tls_conn_flag */
	uint8_t alert;                  /* description of the owed fatal alert */
	uint8_t ku_in_row;              /* peer KeyUpdates since its last data */
	uint8_t hs_len;                 /* bytes of a handshake message split across records */
	uint8_t hs_frag[4];             /* ... only a KeyUpdate is legal: 4 + 1 bytes */
	uint8_t domain;                 /* index of the server domain (SNI) it was made with */
	uint16_t tx_frag_max;           /* our plaintext per record: 2^14 or max_fragment_length */
	uint8_t exporter[SB_TLS_EXPORTER_LEN]; /* tls-exporter (RFC 9266); wipe after SASL */
};
_Static_assert(sizeof(struct sb_tls_conn) <= 256,
	       "TLS state per idle session must stay far under the 1 KB budget");

/* Take a finished TLS 1.3 handshake over: secrets, keys and sequence numbers
 * into conn, the tls-exporter value computed, and the bytes the peer sent
 * after its Finished copied to rest (up to rest_cap; their count in
 * *ret_rest_len). The SSL object is freed; the caller still calls
 * sb_tls_ssl_free(). -EAGAIN while output is still pending (the tickets must
 * leave first), -EPROTONOSUPPORT for TLS 1.2 (keep using s), -ENOSPC when
 * rest_cap is short (nothing changed), -EPROTO when secrets are missing. */
int sb_tls_ssl_handoff(struct sb_tls_worker *w, struct sb_tls_ssl *s, struct sb_tls_conn *conn,
		       uint8_t *rest, size_t rest_cap, size_t *ret_rest_len);
/* tls-exporter (RFC 9266) of a kept (TLS 1.2 or not yet handed off) SSL. */
int sb_tls_ssl_exporter(struct sb_tls_ssl *s, uint8_t out[SB_TLS_EXPORTER_LEN]);
/* Application data over a kept SSL object (TLS 1.2): like SSL_read/SSL_write
 * over the memory BIOs. Read returns bytes (0: need input), -ECONNRESET on
 * close_notify, -EPROTO on error; write returns bytes taken. */
int sb_tls_ssl_read(struct sb_tls_worker *w, struct sb_tls_ssl *s, uint8_t *out, size_t cap);
int sb_tls_ssl_write(struct sb_tls_worker *w, struct sb_tls_ssl *s, const uint8_t *in, size_t len);

/* ---------------------------------------------------------------- client */

/* The client role (tls_client.c), for load generators and tests: TLS 1.3
 * only, no session kept, the same hand-off as a server's connection. */
struct sb_tls_client_opts {
	const char *sni;            /* server name sent (NULL: none) */
	const char *ca_file;        /* verify the server against it (NULL: no check) */
	const char *ciphersuites;   /* NULL: OpenSSL's TLS 1.3 default */
	const char *groups;         /* NULL: "X25519:P-256" */
	bool alpn_xmpp;             /* offer ALPN xmpp-client (direct TLS, XEP-0368) */
};

struct sb_tls_client;

struct sb_tls_client *sb_tls_client_new(const struct sb_tls_client_opts *o,
					struct sb_tls_error *err);
void sb_tls_client_free(struct sb_tls_client *cl);
/* A client connection: drive it like a server's (input, handshake, output),
 * then sb_tls_ssl_handoff() as soon as the handshake is done. */
struct sb_tls_ssl *sb_tls_ssl_new_client(struct sb_tls_worker *w, struct sb_tls_client *cl);

/* ------------------------------------------------------------ record layer */

enum sb_tls_rec_result {
	SB_TLS_REC_NEED_MORE, /* no whole record yet; nothing consumed */
	SB_TLS_REC_DATA,      /* application data (maybe 0 bytes) in out */
	SB_TLS_REC_CONTROL,   /* KeyUpdate or warning consumed; flush if sb_tls_conn_owed() */
	SB_TLS_REC_CLOSED,    /* close_notify: flush our answer, then close */
	SB_TLS_REC_FATAL,     /* dead: flush the owed alert (if any), then close */
};

/* Total length of the record starting at hdr (5 bytes available), so the
 * caller knows how much to gather; 0 if its length field is over the limit. */
size_t sb_tls_rec_size(const uint8_t hdr[SB_TLS_REC_HDR]);

/* Open the first record of in[0..len). On DATA, out[0..*ret_out_len) holds
 * verified plaintext; out needs room for the record's ciphertext minus the
 * tag (SB_TLS_CIPHER_MAX always suffices) and may alias in + 5. *ret_used is
 * the bytes consumed (0 on NEED_MORE). On a tag failure out is wiped: no
 * unverified byte is ever released. */
enum sb_tls_rec_result sb_tls_rec_open(struct sb_tls_worker *w, struct sb_tls_conn *c,
				       const uint8_t *in, size_t len, size_t *ret_used,
				       uint8_t *out, size_t out_cap, size_t *ret_out_len);

/* Whether control records (KeyUpdate answer, close_notify, alert) are owed. */
static inline bool sb_tls_conn_owed(const struct sb_tls_conn *c)
{
	return (c->flags & (SB_TLS_F_KU_OWED | SB_TLS_F_CLOSE_OWED | SB_TLS_F_ALERT_OWED |
			    SB_TLS_F_KU_WANTED)) != 0;
}

/* Seal: first whatever control records are owed, then data[0..len) in
 * records of at most tx_frag_max plaintext bytes, into out[0..cap). Returns
 * the bytes written to out and sets *ret_used to the data bytes taken (a
 * short out takes fewer; len 0 only flushes). -EPIPE once our side is closed
 * (after close_notify or a fatal alert: nothing more may be sent). */
long sb_tls_rec_seal(struct sb_tls_worker *w, struct sb_tls_conn *c, const uint8_t *data,
		     size_t len, size_t *ret_used, uint8_t *out, size_t cap);
/* Queue our own close_notify (RFC 8446 §6.1); flushed by the next seal. */
void sb_tls_conn_close(struct sb_tls_conn *c);
/* Queue our own KeyUpdate; request asks the peer to update too. */
void sb_tls_conn_key_update(struct sb_tls_conn *c, bool request);
/* Wipe a connection's keys (OPENSSL_cleanse) when it ends. */
void sb_tls_conn_wipe(struct sb_tls_conn *c);

#endif
