/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What a control shard does with XMPP messages from the dataplane:
 * credential lookups and PLAIN checks (auth.c), the session table
 * (session.c) and stanza routing per RFC 6121 §8 (route.c). Every function
 * takes the shard explicitly and owns the message it is handed.
 */
#ifndef SB_CTL_ROUTER_H
#define SB_CTL_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "session.h"

struct sb_shard;
struct sb_store;

enum sb_route_ctr {
#define SB_ROUTE_CTR(name, help) SB_ROUTE_CTR_##name,
#include "route_counters.def"
#undef SB_ROUTE_CTR
	SB_ROUTE_CTR_MAX,
};

extern const char *const sb_route_ctr_names[SB_ROUTE_CTR_MAX];

struct sb_router {
	struct sb_session_table sessions;
	struct sb_store *store;          /* accounts; NULL in unit tests */
	char domain[256];
	size_t domain_len;
	struct sb_msg_pool_ops pool;
	bool refuse_conflict;            /* control.bind_conflict = refuse */
	uint64_t ctr[SB_ROUTE_CTR_MAX];
};

#define SB_ROUTE_INC(r, name) ((r)->ctr[SB_ROUTE_CTR_##name]++)

/* auth.c */
void sb_router_auth(struct sb_shard *sh, struct sb_msg *m);

/* route.c */
void sb_router_bind(struct sb_shard *sh, struct sb_msg *m);
void sb_router_unbind(struct sb_shard *sh, struct sb_msg *m);
void sb_router_stanza(struct sb_shard *sh, struct sb_msg *m);

/* Send m down to worker w (owner tags handled); frees it when the ring is
 * full. Returns 0 or -ENOBUFS. */
int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m);

#endif
