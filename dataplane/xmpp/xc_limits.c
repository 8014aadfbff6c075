/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See xc_limits.h. All state is the worker's own; time comes from the
 * loop's clock (milliseconds for buckets, seconds for bans).
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "xc_limits.h"
#include "config.h"
#include "worker.h"
#include "xc.h"

int sb_xc_limits_init(struct sb_xc_limits *l, const struct sb_config *cfg, int socket)
{
	uint32_t n = rte_align32pow2((uint32_t)cfg->xmpp_addr_table);

	l->slots = rte_zmalloc_socket("sb_c2s_addr", sizeof(*l->slots) * n, RTE_CACHE_LINE_SIZE,
				      socket);
	if (l->slots == NULL)
		return -ENOMEM;
	l->mask = n - 1;
	l->conn_rate = (uint32_t)cfg->xmpp_conn_rate_per_addr;
	l->conn_burst = (uint32_t)RTE_MIN(cfg->xmpp_conn_burst_per_addr, (uint64_t)UINT16_MAX);
	l->shaper_rate = (uint32_t)cfg->xmpp_shaper_bytes_per_s;
	l->shaper_burst = (uint32_t)cfg->xmpp_shaper_burst_bytes;
	l->ban_after = (uint32_t)cfg->xmpp_ban_after_failures;
	l->ban_s = (uint32_t)cfg->xmpp_ban_s;
	return 0;
}

bool sb_xc_limits_live(struct sb_xc_limits *l, const struct sb_shm_live *live, uint32_t *seen)
{
	uint32_t seq = __atomic_load_n(&live->seq, __ATOMIC_ACQUIRE);
	uint64_t v[6];

	if (likely(seq == *seen) || (seq & 1u))
		return false;
	v[0] = __atomic_load_n(&live->conn_rate_per_addr, __ATOMIC_RELAXED);
	v[1] = __atomic_load_n(&live->conn_burst_per_addr, __ATOMIC_RELAXED);
	v[2] = __atomic_load_n(&live->shaper_bytes_per_s, __ATOMIC_RELAXED);
	v[3] = __atomic_load_n(&live->shaper_burst_bytes, __ATOMIC_RELAXED);
	v[4] = __atomic_load_n(&live->ban_after_failures, __ATOMIC_RELAXED);
	v[5] = __atomic_load_n(&live->ban_s, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&live->seq, __ATOMIC_RELAXED) != seq)
		return false; /* written meanwhile: next turn */
	*seen = seq;
	/* sb-control checked each against its key's range. */
	l->conn_rate = (uint32_t)v[0];
	l->conn_burst = (uint32_t)RTE_MIN(v[1], (uint64_t)UINT16_MAX);
	l->shaper_rate = (uint32_t)v[2];
	l->shaper_burst = (uint32_t)v[3];
	l->ban_after = (uint32_t)v[4];
	l->ban_s = (uint32_t)v[5];
	return true;
}

/* The slot of addr, taken over if another address holds it. */
static struct sb_addr_slot *limits_slot(struct sb_xc_limits *l, uint32_t addr, uint64_t now_ms)
{
	struct sb_addr_slot *s = &l->slots[rte_hash_crc_4byte(addr, 0x5342) & l->mask];

	if (s->addr != addr) {
		s->addr = addr;
		s->tokens = (uint16_t)l->conn_burst;
		s->failures = 0;
		s->refill_ms = (uint32_t)now_ms;
		s->banned_until_s = 0;
	}
	return s;
}

const char *sb_xc_limits_accept(struct sb_xc_worker *xw, uint32_t addr_be, uint64_t now_ms)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_limits *l = &xw->limits;
	struct sb_addr_slot *s = limits_slot(l, addr_be, now_ms);
	uint32_t elapsed = (uint32_t)now_ms - s->refill_ms;
	uint64_t add = (uint64_t)elapsed * l->conn_rate / 1000;

	if (s->banned_until_s != 0 && (uint32_t)(now_ms / 1000) < s->banned_until_s) {
		SB_CTR_INC(w, xmpp_banned);
		return "too many failed logins from your address: try again later";
	}
	if (add > 0) {
		s->tokens = (uint16_t)RTE_MIN(s->tokens + add, (uint64_t)l->conn_burst);
		s->refill_ms = (uint32_t)now_ms;
	}
	if (s->tokens == 0) {
		SB_CTR_INC(w, xmpp_conn_rate_limited);
		return "too many new connections from your address: retry in a few seconds";
	}
	s->tokens--;
	return NULL;
}

void sb_xc_limits_auth_failed(struct sb_xc_worker *xw, uint32_t addr_be, uint64_t now_ms)
{
	struct sb_worker *w = xw->w;
	struct sb_xc_limits *l = &xw->limits;
	struct sb_addr_slot *s = limits_slot(l, addr_be, now_ms);

	SB_CTR_INC(w, xmpp_auth_failures);
	if (++s->failures >= l->ban_after) {
		s->failures = 0;
		s->banned_until_s = (uint32_t)(now_ms / 1000) + l->ban_s;
		SB_CTR_INC(w, xmpp_bans);
	}
}

bool sb_xc_limits_refill(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint64_t now_ms)
{
	const struct sb_xc_limits *l = &xw->limits;
	uint64_t add = (uint64_t)((uint32_t)now_ms - x->shaper_ms) * l->shaper_rate / 1000;

	if (add > 0) {
		x->shaper_tokens = (int32_t)RTE_MIN((int64_t)x->shaper_tokens + (int64_t)add,
						    (int64_t)l->shaper_burst);
		x->shaper_ms = (uint32_t)now_ms;
	}
	return x->shaper_tokens > 0;
}

bool sb_xc_limits_charge(struct sb_xc_worker *xw, struct sb_xc_conn *x, uint32_t len, uint64_t now_ms)
{
	sb_xc_limits_refill(xw, x, now_ms);
	x->shaper_tokens -= (int32_t)RTE_MIN(len, (uint32_t)INT32_MAX);
	return x->shaper_tokens > 0;
}
