/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XMPP addresses (RFC 7622): parsing into a compact normalised form,
 * comparison, formatting and the stable hash that picks a user's control
 * shard. A parsed JID is kept as its normalised full string
 * "localpart@domainpart/resourcepart" in one buffer plus three lengths, so the
 * bare JID is a prefix of the full JID: comparing, hashing and formatting the
 * bare JID never re-assemble anything. Normalisation is PRECIS
 * UsernameCaseMapped for the localpart (RFC 8265 §3.3), OpaqueString for the
 * resourcepart (RFC 8265 §4.2) and IDNA2008 U-labels, lower-cased, for the
 * domainpart (RFC 7622 §3.2); README.md says exactly what is covered. Pure
 * ASCII input never leaves this library's own code (no ICU/libidn2 call, no
 * allocation); non-ASCII input goes through ICU and libidn2, which may
 * allocate: that is the cold path of a rare address.
 */
#ifndef SB_JID_H
#define SB_JID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 7622 §3.1: each part is 1..1023 octets; full JID at most 3071. */
#define SB_JID_PART_MAX 1023u
#define SB_JID_FULL_MAX (3u * SB_JID_PART_MAX + 2u)

/* Why a parse failed; the caller keeps one counter per reason. */
enum sb_jid_reason {
	SB_JID_OK = 0,
	SB_JID_EMPTY_LOCAL,        /* "@example.com": '@' with nothing before it */
	SB_JID_EMPTY_DOMAIN,       /* "", "user@", "/res", "." */
	SB_JID_EMPTY_RESOURCE,     /* "user@example.com/" */
	SB_JID_LOCAL_TOO_LONG,     /* > 1023 octets before or after normalisation */
	SB_JID_DOMAIN_TOO_LONG,
	SB_JID_RESOURCE_TOO_LONG,
	SB_JID_LOCAL_FORBIDDEN,    /* RFC 7622 §3.3.1: " & ' / : < > @ or space */
	SB_JID_LOCAL_DISALLOWED,   /* PRECIS IdentifierClass refuses a code point */
	SB_JID_RESOURCE_DISALLOWED,/* PRECIS FreeformClass refuses a code point */
	SB_JID_BAD_UTF8,           /* ill-formed UTF-8 in any part */
	SB_JID_DOMAIN_LABEL,       /* empty label, > 63 octets, non-LDH, bad hyphen */
	SB_JID_DOMAIN_IDNA,        /* libidn2 refused an IDN or an A-label */
	SB_JID_IP_LITERAL,         /* "[...]" that is not an IPv6 address */
	SB_JID_REASON_MAX
};

/* A normalised JID. buf holds "local@domain/resource" (without the '@' when
 * local_len is 0, without the '/' when resource_len is 0), NUL-terminated. */
struct sb_jid {
	uint16_t local_len;     /* 0: no localpart */
	uint16_t domain_len;    /* always >= 1 after a successful parse */
	uint16_t resource_len;  /* 0: bare JID */
	uint16_t full_len;      /* strlen(buf) */
	char buf[SB_JID_FULL_MAX + 1];
};
_Static_assert(sizeof(struct sb_jid) <= 3080, "struct sb_jid grew");

/* Parse and normalise s[0..len) (not NUL-terminated; an embedded NUL is
 * refused as a forbidden/disallowed code point). On success returns 0 and
 * fills *out. On failure returns a negative errno and *why (may be NULL)
 * says which rule failed: -EINVAL for an empty part, a bad domain label, an
 * IDNA refusal or a bad IP literal, -ENAMETOOLONG for a length limit,
 * -EILSEQ for bad UTF-8 or a forbidden/disallowed code point, -ENOMEM if ICU
 * or libidn2 could not allocate. *out is unspecified on failure. */
int sb_jid_parse_why(struct sb_jid *out, const char *s, size_t len, enum sb_jid_reason *why);

/* sb_jid_parse_why() without the reason. */
int sb_jid_parse(struct sb_jid *out, const char *s, size_t len);

/* Normalise one localpart (PRECIS UsernameCaseMapped plus RFC 7622 §3.3.1's
 * forbidden characters) into out[0..cap), NUL-terminated; *out_len gets its
 * length. Used by SASL for the authentication identity. Returns 0 or a
 * negative errno as sb_jid_parse_why(); -ENOSPC if cap is too small. */
int sb_jid_local_normalise(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
			   enum sb_jid_reason *why);

/* Bare JID ("local@domain" or "domain") of a parsed JID, not NUL-terminated
 * unless the JID is bare. */
static inline const char *sb_jid_bare(const struct sb_jid *j, size_t *len)
{
	*len = (size_t)j->local_len + (j->local_len ? 1u : 0u) + j->domain_len;
	return j->buf;
}

/* Localpart / domainpart / resourcepart pointers into buf (not terminated). */
static inline const char *sb_jid_local(const struct sb_jid *j)
{
	return j->buf;
}

static inline const char *sb_jid_domain(const struct sb_jid *j)
{
	return j->buf + j->local_len + (j->local_len ? 1u : 0u);
}

static inline const char *sb_jid_resource(const struct sb_jid *j)
{
	return j->buf + j->full_len - j->resource_len;
}

/* True if the two JIDs have the same bare JID (both are normalised, so this
 * is a byte compare). */
bool sb_jid_bare_eq(const struct sb_jid *a, const struct sb_jid *b);

/* True if the two full JIDs are equal. */
bool sb_jid_full_eq(const struct sb_jid *a, const struct sb_jid *b);

/* Copy the full (bare == false) or bare JID into buf[0..size), NUL-terminated.
 * Returns the length needed (excluding the NUL), like snprintf; the output is
 * truncated but still terminated when the result is >= size. */
size_t sb_jid_format(const struct sb_jid *j, bool bare, char *buf, size_t size);

/* Stable 64-bit hash of the normalised bare JID: SipHash-2-4 under the fixed
 * key SB_JID_HASH_KEY (jid_hash.c). The same on every host, in both processes
 * and across restarts, so hash % M names the same owning control shard
 * everywhere. Case variants of an address hash equally (they normalise to the
 * same bytes). */
uint64_t sb_jid_bare_hash(const struct sb_jid *j);

/* The same hash of a bare JID already in normalised text form (what the
 * rings carry), so a receiver need not parse it again. */
uint64_t sb_jid_bare_hash_str(const char *bare, size_t len);

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of data under a 16-byte key;
 * exported for callers that want a per-deployment key. */
uint64_t sb_jid_siphash24(const uint8_t key[16], const void *data, size_t len);

/* Name of a reason for counters and diagnostics ("empty_local", ...). */
const char *sb_jid_reason_str(enum sb_jid_reason why);

#endif
