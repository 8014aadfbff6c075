/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Abuse limits of the c2s listener, enforced before parsing costs are paid:
 *   - new connections per second from one source address (token bucket);
 *   - a ban of an address after repeated failed logins (mod_fail2ban-style);
 *   - a per-connection byte-rate shaper: over budget, the connection's
 *     input is left in its mbufs and the TCP window closed until the bucket
 *     refills (the client is slowed, never disconnected for it).
 * Sessions per account are the control plane's (control.max_resources).
 *
 * Addresses live in a per-worker direct-mapped table: a slot is taken over
 * by the newest address hashing to it, so memory is fixed (xmpp.addr_table
 * entries of 16 bytes) and an attacker cycling addresses can only evict, not
 * grow, state. Eviction forgets a ban early; the table is sized so that
 * legitimate traffic rarely collides.
 */
#ifndef SB_DP_C2S_LIMITS_H
#define SB_DP_C2S_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

struct sb_worker;
struct sb_xc_worker;
struct sb_xc_conn;
struct sb_config;

struct sb_addr_slot {
	uint32_t addr;          /* network order; 0: empty */
	uint16_t tokens;        /* new connections left in the bucket */
	uint16_t failures;      /* failed logins since the last ban */
	uint32_t refill_ms;     /* when tokens were last topped up */
	uint32_t banned_until_s;
};

struct sb_xc_limits {
	struct sb_addr_slot *slots;
	uint32_t mask;
	uint32_t conn_rate;     /* per second */
	uint32_t conn_burst;
	uint32_t shaper_rate;   /* bytes per second */
	uint32_t shaper_burst;
	uint32_t ban_after;
	uint32_t ban_s;
};

int sb_xc_limits_init(struct sb_xc_limits *l, const struct sb_config *cfg, int socket);

struct sb_shm_live;

/* Take new values from sb-control's live block (sbctl limits set) if it
 * has changed since *seen and is not being written; once per loop turn.
 * Returns true when they were taken. */
bool sb_xc_limits_live(struct sb_xc_limits *l, const struct sb_shm_live *live, uint32_t *seen);

/* At accept: may a connection from addr_be go on? NULL if so, else why not
 * (the <text/> of the stream error the client gets); counts the refusal. */
const char *sb_xc_limits_accept(struct sb_xc_worker *xw, uint32_t addr_be, uint64_t now_ms);

/* A SASL attempt from addr_be failed; bans the address at the threshold. */
void sb_xc_limits_auth_failed(struct sb_xc_worker *xw, uint32_t addr_be, uint64_t now_ms);

/* Charge len received bytes to x's shaper. False: over budget, pause it. */
bool sb_xc_limits_charge(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint32_t len,
			  uint64_t now_ms);

/* Refill x's shaper; true once it may read again. */
bool sb_xc_limits_refill(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint64_t now_ms);

#endif
