/* SPDX-License-Identifier: BSD-3-Clause
 *
 * In-band registration (XEP-0077) in sb-control: the decisions the
 * dataplane cannot make. A REGISTER_REQ comes to the shard that owns the
 * account (hash of the bare JID, like AUTH_REQ). Creating or re-keying an
 * account derives SCRAM credentials (two PBKDF2 runs), so the work runs on
 * auth_pool.c's threads, inline only when there are none; the shard sends
 * the answer down its own ring.
 *
 * What stands between an anonymous peer and a new account, in order:
 *   1. the per-address rate limit (xmpp.register_rate attempts per
 *      xmpp.register_window_s, every CREATE counted, refused ones too, so
 *      token guessing and name probing are bounded by it as well);
 *   2. the invite token (xmpp.register_token), compared in constant time;
 *   3. the conflict check, before any PBKDF2 is spent;
 *   4. the store's own checks (SASLprep of the password, the key size).
 * The rate table is one per process (addresses are not sharded the way
 * accounts are), a fixed array of xmpp.register_addrs slots behind a mutex
 * taken only by registrations; when every slot is inside its window a new
 * address is refused (fail closed: a flood of addresses cannot reset the
 * count of others by evicting them).
 */
#ifndef SB_CTL_REGISTER_H
#define SB_CTL_REGISTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_msg;
struct sb_shard;
struct sb_store;

#define SB_REG_TOKEN_MAX 256u

struct sb_reg_slot {
	uint32_t addr;        /* IPv4, as lib/tcp keeps it; 0 with count 0: free */
	uint32_t count;       /* attempts in the window */
	uint64_t window_start_s;
};

struct sb_reg {
	bool enabled;                  /* xmpp.register */
	uint32_t rate;                 /* attempts per window and address */
	uint64_t window_s;
	uint32_t iterations;           /* auth.scram_iterations */
	size_t token_len;              /* 0: no token needed */
	char token[SB_REG_TOKEN_MAX];
	pthread_mutex_t lock;          /* the table and the counters below */
	struct sb_reg_slot *slots;
	uint32_t n_slots;
	uint64_t rate_limited;         /* attempts refused by the rate limit */
	uint64_t table_full;           /* ... because no slot was free */
};

/* Set reg up; token may be "" (none needed). 0, -EINVAL (token longer than
 * SB_REG_TOKEN_MAX, n_slots or rate 0) or -ENOMEM. */
int sb_reg_init(struct sb_reg *reg, bool enabled, const char *token, uint32_t rate,
		uint64_t window_s, uint32_t n_slots, uint32_t iterations);
void sb_reg_fini(struct sb_reg *reg);

/* Count one attempt from addr at now_s: 0 (allowed), -EBUSY (past the rate)
 * or -EAGAIN (no slot free). Any thread. */
int sb_reg_rate(struct sb_reg *reg, uint32_t addr, uint64_t now_s);

/* Whether token[0..len) is the configured one (true when none is needed). */
bool sb_reg_token_ok(const struct sb_reg *reg, const char *token, size_t len);

/* Carry out the REGISTER_REQ m (validated by sb_router_register()) against
 * store; wipes the password in m. Returns enum sb_msg_reg_status or another
 * negative errno (store failure). Any thread. */
int sb_reg_work(struct sb_reg *reg, struct sb_store *store, struct sb_msg *m, uint64_t now_s);

/* Shard thread: take a REGISTER_REQ off the ring (owns m). */
void sb_router_register(struct sb_shard *sh, struct sb_msg *m);
/* Shard thread: turn m into its REGISTER_RESP with status rc, count it and
 * send it; a removed or re-keyed account's other sessions are ended
 * (kick.c), the asking connection spared. */
void sb_router_register_reply(struct sb_shard *sh, struct sb_msg *m, int rc);

#endif
