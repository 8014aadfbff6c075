/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The operator's view of the IM data (cmd_im.h): rosters, offline queues
 * and the store's occupancy by kind, straight through the store interface
 * (store/store_im.h) from the management thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_im.h"
#include "store/store_im.h"

#define IM_SHOW_DEFAULT 100u

static const char *const sub_names[SB_SUB_MAX] = { "none", "to", "from", "both" };

int sb_cmd_im_user(const struct sb_cmd_user *cu, const char *arg, struct sb_jid *j)
{
	char buf[SB_JID_FULL_MAX + 1];
	int n;

	if (strchr(arg, '@') != NULL)
		n = snprintf(buf, sizeof(buf), "%s", arg);
	else
		n = snprintf(buf, sizeof(buf), "%s@%s", arg, cu->domain);
	if (n <= 0 || (size_t)n >= sizeof(buf) || sb_jid_parse(j, buf, (size_t)n) < 0 ||
	    j->resource_len != 0)
		return -EINVAL;
	return 0;
}

static void roster_show(struct sb_out *o, const struct sb_roster *r)
{
	sb_out_printf(o, "ok\nver %" PRIu64 " items %u\n", r->ver, sb_roster_shown(r));
	for (uint32_t i = 0; i < r->n; i++) {
		const struct sb_roster_item *it = &r->items[i];

		if (it->flags & SB_ROSTER_F_GONE)
			continue;
		sb_out_printf(o, "%s %s%s%s%s%s", it->jid, sub_names[it->sub % SB_SUB_MAX],
			      it->flags & SB_ROSTER_F_PENDING_OUT ? " ask=subscribe" : "",
			      it->flags & SB_ROSTER_F_PENDING_IN ? " pending-in" : "",
			      it->flags & SB_ROSTER_F_PREAPPROVED ? " approved" : "",
			      it->flags & SB_ROSTER_F_SHOWN ? "" : " hidden");
		if (it->has_name)
			sb_out_printf(o, " name=\"%s\"", it->name);
		for (unsigned g = 0; g < it->n_groups; g++)
			sb_out_printf(o, " group=\"%s\"", it->groups[g]);
		sb_out_printf(o, "\n");
	}
}

static void cmd_roster(struct sb_cmd_user *cu, int argc, char **argv, struct sb_out *o)
{
	struct sb_jid *user = malloc(sizeof(*user)), *contact = malloc(sizeof(*contact));
	struct sb_roster r;
	size_t ul;
	const char *bare;
	int rc;

	if (user == NULL || contact == NULL || argc < 2 || sb_cmd_im_user(cu, argv[1], user) < 0 ||
	    (argc >= 3 && sb_jid_parse(contact, argv[2], strlen(argv[2])) < 0)) {
		sb_out_printf(o, "error: usage: roster show|add|del USER [CONTACT [NAME]]\n");
		goto out;
	}
	bare = sb_jid_bare(user, &ul);
	rc = sb_store_roster_load(cu->store, bare, ul, &r);
	if (rc < 0) {
		sb_out_printf(o, "error: roster of %s: %s\n", bare, strerror(-rc));
		goto out;
	}
	if (strcmp(argv[0], "show") == 0 && argc == 2) {
		roster_show(o, &r);
	} else if ((strcmp(argv[0], "add") == 0 && (argc == 3 || argc == 4)) ||
		   (strcmp(argv[0], "del") == 0 && argc == 3)) {
		struct sb_roster_item *it = sb_roster_find(&r, contact->buf, contact->full_len);

		if (argv[0][0] == 'a') {
			it = sb_roster_get(&r, contact->buf, contact->full_len);
			if (it != NULL)
				sb_roster_item_set(it, argc == 4 ? argv[3] : NULL,
						   argc == 4 ? strlen(argv[3]) : 0, NULL, NULL, 0);
			if (it != NULL) {
				it->flags |= SB_ROSTER_F_SHOWN;
				sb_roster_touch(&r, it);
			}
		} else if (it != NULL && !(it->flags & SB_ROSTER_F_GONE)) {
			it->flags |= SB_ROSTER_F_SHOWN;
			sb_roster_remove(&r, it);
		} else {
			sb_out_printf(o, "error: %s has no %s\n", bare, contact->buf);
			sb_roster_free(&r);
			goto out;
		}
		rc = sb_store_roster_save(cu->store, bare, ul, &r);
		if (rc < 0)
			sb_out_printf(o, "error: roster of %s: %s\n", bare, strerror(-rc));
		else
			sb_out_printf(o, "ok\n");
	} else {
		sb_out_printf(o, "error: usage: roster show|add|del USER [CONTACT [NAME]]\n");
	}
	sb_roster_free(&r);
out:
	free(user);
	free(contact);
}

static int offline_show_one(void *arg, const struct sb_offline_msg *m)
{
	struct sb_out *o = arg;

	sb_out_printf(o, "%" PRIu64 " %" PRIu64 " %.*s %zu bytes\n", m->seq, m->stamp_ms,
		      (int)m->from_len, m->from, m->bytes_len);
	return 0;
}

static void cmd_offline(struct sb_cmd_user *cu, int argc, char **argv, struct sb_out *o)
{
	struct sb_jid *user = malloc(sizeof(*user));
	const char *bare;
	size_t ul;
	uint32_t n = 0;
	uint64_t last;
	int rc, total = 0;

	if (user == NULL || argc < 2 || argc > 3 || sb_cmd_im_user(cu, argv[1], user) < 0) {
		sb_out_printf(o, "error: usage: offline count|show|purge USER [MAX]\n");
		free(user);
		return;
	}
	bare = sb_jid_bare(user, &ul);
	if (strcmp(argv[0], "count") == 0) {
		rc = sb_store_offline_count(cu->store, bare, ul, UINT32_MAX, &n, &last);
		if (rc == 0)
			sb_out_printf(o, "ok\n%u\n", n);
	} else if (strcmp(argv[0], "show") == 0) {
		unsigned max = argc == 3 ? (unsigned)strtoul(argv[2], NULL, 10) : IM_SHOW_DEFAULT;

		sb_out_printf(o, "ok\n");
		rc = sb_store_offline_list(cu->store, bare, ul, max, offline_show_one, o);
		rc = rc < 0 ? rc : 0;
	} else if (strcmp(argv[0], "purge") == 0) {
		while ((rc = sb_store_offline_purge(cu->store, bare, ul, UINT64_MAX, UINT32_MAX)) > 0)
			total += rc;
		if (rc == 0)
			sb_out_printf(o, "ok\npurged %d\n", total);
	} else {
		sb_out_printf(o, "error: usage: offline count|show|purge USER [MAX]\n");
		rc = 0;
	}
	if (rc < 0)
		sb_out_printf(o, "error: offline %s of %s: %s\n", argv[0], bare, strerror(-rc));
	free(user);
}

static void cmd_store(struct sb_cmd_user *cu, int argc, char **argv, struct sb_out *o)
{
	if (argc != 1 || strcmp(argv[0], "stats") != 0) {
		sb_out_printf(o, "error: usage: store stats\n");
		return;
	}
	sb_out_printf(o, "ok\n");
	for (unsigned k = 0; k < SB_STORE_KIND_MAX; k++) {
		uint64_t items = 0, bytes = 0;
		int rc = sb_store_kind_stats(cu->store, (enum sb_store_kind)k, &items, &bytes);

		if (rc < 0)
			sb_out_printf(o, "%s error %s\n", sb_store_kind_name(k), strerror(-rc));
		else
			sb_out_printf(o, "%s items %" PRIu64 " bytes %" PRIu64 "\n",
				      sb_store_kind_name(k), items, bytes);
	}
	{
		uint64_t accounts = 0;

		if (sb_store_user_count(cu->store, &accounts) == 0)
			sb_out_printf(o, "accounts items %" PRIu64 "\n", accounts);
	}
}

void sb_cmd_im_run(struct sb_cmd_user *cu, const char *cmd, const char *args, struct sb_out *o)
{
	char line[1024], *argv[8], *save = NULL;
	int argc = 0;

	if (snprintf(line, sizeof(line), "%s", args) >= (int)sizeof(line)) {
		sb_out_printf(o, "error: request too long\n");
		return;
	}
	for (char *t = strtok_r(line, " ", &save); t != NULL && argc < 8;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (argc == 0) {
		sb_out_printf(o, "error: %s: missing subcommand\n", cmd);
		return;
	}
	if (strcmp(cmd, "roster") == 0)
		cmd_roster(cu, argc, argv, o);
	else if (strcmp(cmd, "offline") == 0)
		cmd_offline(cu, argc, argv, o);
	else
		cmd_store(cu, argc, argv, o);
}
