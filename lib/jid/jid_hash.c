/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/jid hashing: SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012) and the bare-JID hash that assigns each user to
 * its owning control shard (hash % M, DESIGN.md). SipHash is keyed; the
 * shard hash uses a fixed, published key because both processes, every
 * restart and every cluster node must agree on the owner: it is not a
 * defence against chosen-address flooding, which the shard count bounds.
 */
#include <stdint.h>
#include <string.h>

#include "jid.h"

/* "switchboard-jid\0": changing it moves every user to another shard. */
static const uint8_t jid_hash_key[16] = {
	's', 'w', 'i', 't', 'c', 'h', 'b', 'o', 'a', 'r', 'd', '-', 'j', 'i', 'd', 0,
};

static inline uint64_t jid_sip_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t jid_sip_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define SIP_ROUND(v0, v1, v2, v3) \
	do { \
		v0 += v1; v1 = jid_sip_rotl(v1, 13); v1 ^= v0; v0 = jid_sip_rotl(v0, 32); \
		v2 += v3; v3 = jid_sip_rotl(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = jid_sip_rotl(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = jid_sip_rotl(v1, 17); v1 ^= v2; v2 = jid_sip_rotl(v2, 32); \
	} while (0)

uint64_t sb_jid_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = jid_sip_le64(key), k1 = jid_sip_le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	uint8_t tail[8] = { 0 };
	size_t full = len & ~(size_t)7;

	for (size_t i = 0; i < full; i += 8) {
		m = jid_sip_le64(p + i);
		v3 ^= m;
		SIP_ROUND(v0, v1, v2, v3);
		SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	memcpy(tail, p + full, len - full);
	b |= jid_sip_le64(tail);
	v3 ^= b;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (unsigned r = 0; r < 4; r++)
		SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t sb_jid_bare_hash(const struct sb_jid *j)
{
	size_t len;
	const char *bare = sb_jid_bare(j, &len);

	return sb_jid_siphash24(jid_hash_key, bare, len);
}

uint64_t sb_jid_bare_hash_str(const char *bare, size_t len)
{
	return sb_jid_siphash24(jid_hash_key, bare, len);
}
