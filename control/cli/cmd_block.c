/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `sbctl block list USER`: a user's XEP-0191 block list, read through the
 * store interface (store/store_udata.h) on the management thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_im.h"
#include "store/store_udata.h"

void sb_cmd_block_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o)
{
	struct sb_jid *user = malloc(sizeof(*user));
	struct sb_blocklist bl;
	char u[SB_JID_FULL_MAX + 1];
	size_t ul;
	int rc;

	if (user == NULL || strncmp(args, "list ", 5) != 0 || strchr(args + 5, ' ') != NULL ||
	    sb_cmd_im_user(cu, args + 5, user) < 0) {
		sb_out_printf(o, "error: usage: block list USER\n");
		free(user);
		return;
	}
	ul = sb_jid_format(user, true, u, sizeof(u));
	free(user);
	rc = sb_store_block_load(cu->store, u, ul, &bl);
	if (rc < 0) {
		sb_out_printf(o, "error: %s: %s\n", u, strerror(-rc));
		return;
	}
	sb_out_printf(o, "ok\nitems %u\n", bl.n);
	for (uint32_t i = 0; i < bl.n; i++)
		sb_out_printf(o, "%s\n", bl.v[i].jid);
	sb_blocklist_free(&bl);
}
