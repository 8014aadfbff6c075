/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The operator's view of the message archives (cmd_mam.h): count and
 * oldest-first purge of one user's archive, through the store interface.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_mam.h"
#include "store/store_mam.h"

static int mam_counted(void *arg, const struct sb_mam_rec *r)
{
	(void)r;
	(*(uint64_t *)arg)++;
	return 0;
}

static void mam_usage(struct sb_out *o)
{
	sb_out_printf(o, "error: usage: mam count USER | mam purge USER [--before TIME]\n");
}

void sb_cmd_mam_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o)
{
	char line[1024], buf[SB_JID_FULL_MAX + 1], *argv[4], *save = NULL;
	struct sb_jid *user = malloc(sizeof(*user));
	uint64_t before = UINT64_MAX, n = 0;
	const char *bare;
	int argc = 0, rc = 0, len;
	size_t ul;

	if (user == NULL || snprintf(line, sizeof(line), "%s", args) >= (int)sizeof(line))
		goto usage;
	for (char *t = strtok_r(line, " ", &save); t != NULL && argc < 4;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (argc < 2)
		goto usage;
	len = strchr(argv[1], '@') != NULL ? snprintf(buf, sizeof(buf), "%s", argv[1])
					   : snprintf(buf, sizeof(buf), "%s@%s", argv[1], cu->domain);
	if (len <= 0 || (size_t)len >= sizeof(buf) || sb_jid_parse(user, buf, (size_t)len) < 0 ||
	    user->resource_len != 0 || user->local_len == 0)
		goto usage;
	bare = sb_jid_bare(user, &ul);
	if (strcmp(argv[0], "count") == 0 && argc == 2) {
		rc = sb_store_mam_range(cu->store, bare, ul, 0, UINT64_MAX - 1, false, UINT32_MAX,
					mam_counted, &n);
		if (rc >= 0)
			sb_out_printf(o, "ok\n%llu\n", (unsigned long long)n);
	} else if (strcmp(argv[0], "purge") == 0 && (argc == 2 || argc == 4)) {
		if (argc == 4 && (strcmp(argv[2], "--before") != 0 ||
				  sb_mam_time_parse(argv[3], strlen(argv[3]), &before) < 0))
			goto usage;
		while ((rc = sb_store_mam_purge(cu->store, bare, ul, before, 1024)) > 0)
			n += (uint64_t)rc;
		if (rc == 0)
			sb_out_printf(o, "ok\n%llu purged\n", (unsigned long long)n);
	} else {
		goto usage;
	}
	if (rc < 0)
		sb_out_printf(o, "error: mam %s of %s: %s\n", argv[0], bare, strerror(-rc));
	free(user);
	return;
usage:
	mam_usage(o);
	free(user);
}
