/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The operator's account commands on the management socket ("user add",
 * "user passwd", "user del", "user list", "user show", "user stats"), over
 * the account store (store/store.h). A password arrives as the rest of the
 * request line after the JID; it is handed to the store, which keeps only
 * SCRAM credentials, and is never echoed in a reply or logged.
 */
#ifndef SB_CTL_CMD_USER_H
#define SB_CTL_CMD_USER_H

#include <stddef.h>
#include <stdint.h>

#include "jid.h"
#include "out.h"
#include "store/store.h"

#define SB_CMD_USER_LIST_DEFAULT 100u
#define SB_CMD_USER_LIST_MAX 10000u

/* What happened to an account, for its live sessions. */
enum sb_cmd_user_change {
	SB_CMD_USER_DELETED,          /* sessions end with <not-authorized/> */
	SB_CMD_USER_PASSWORD_CHANGED, /* sessions end with <reset/> */
	SB_CMD_USER_CHANGE_MAX
};

/* Called after a successful del or passwd, to end the account's sessions;
 * returns 0 or a negative errno (the reply then says they were not ended). */
typedef int (*sb_cmd_user_changed_fn)(void *arg, const struct sb_jid *user,
				      enum sb_cmd_user_change what);

struct sb_cmd_user {
	struct sb_store *store;
	sb_cmd_user_changed_fn changed; /* NULL until the shards run */
	void *changed_arg;
	uint32_t iterations;          /* auth.scram_iterations */
	uint16_t domain_len;
	char domain[SB_JID_PART_MAX + 1]; /* xmpp.domain, normalised */
};

/* Check and normalise domain (a JID domainpart) and keep store and
 * iterations. Returns 0, or -EINVAL with why[0..why_len) saying what is wrong
 * with the domain or the iteration count. */
int sb_cmd_user_init(struct sb_cmd_user *cu, struct sb_store *store, const char *domain,
		     uint64_t iterations, char *why, size_t why_len);

/* Serve "user <args>": args is the request line after "user" and its space
 * (may be empty). Writes "ok\n" and a body, or one "error: ...\n" line. */
void sb_cmd_user_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o);

#endif
