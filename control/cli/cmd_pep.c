/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `sbctl pep show USER`: a user's PEP nodes (XEP-0163), each with its
 * access model, max_items, items and payload bytes, read through the
 * store interface (store/store_pep.h) on the management thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_im.h"
#include "store/store_pep.h"

#define PEP_SHOW_MAX 100000u

struct pep_names {
	char **v;
	unsigned n, cap;
};

static int pep_named(void *arg, const char *node, size_t nlen)
{
	struct pep_names *p = arg;
	char *s;

	if (p->n == p->cap) {
		unsigned cap = p->cap ? p->cap * 2 : 16;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL)
			return 1;
		p->v = v;
		p->cap = cap;
	}
	s = strndup(node, nlen);
	if (s == NULL)
		return 1;
	p->v[p->n++] = s;
	return 0;
}

static const char *const access_names[SB_PEP_ACCESS_MAX] = { "presence", "open", "whitelist",
								  "roster" };

void sb_cmd_pep_run(struct sb_cmd_user *cu, const char *args, struct sb_out *o)
{
	struct sb_jid *user = malloc(sizeof(*user));
	struct pep_names names = { 0 };
	char u[SB_JID_FULL_MAX + 1];
	size_t ul;
	int rc;

	if (user == NULL || strncmp(args, "show ", 5) != 0 || strchr(args + 5, ' ') != NULL ||
	    sb_cmd_im_user(cu, args + 5, user) < 0) {
		sb_out_printf(o, "error: usage: pep show USER\n");
		free(user);
		return;
	}
	ul = sb_jid_format(user, true, u, sizeof(u));
	free(user);
	/* Names first: the scan's visitor must not read the store again. */
	rc = sb_store_pep_list(cu->store, u, ul, PEP_SHOW_MAX, pep_named, &names);
	if (rc < 0) {
		sb_out_printf(o, "error: %s: %s\n", u, strerror(-rc));
		return;
	}
	sb_out_printf(o, "ok\nnodes %u\n", names.n);
	for (unsigned i = 0; i < names.n; i++) {
		struct sb_pep_node nd;
		uint64_t bytes = 0;

		rc = sb_store_pep_load(cu->store, u, ul, names.v[i], strlen(names.v[i]), &nd);
		if (rc < 0) {
			sb_out_printf(o, "%s error %s\n", names.v[i], strerror(-rc));
		} else {
			for (uint32_t k = 0; k < nd.n; k++)
				bytes += nd.items[k].len;
			sb_out_printf(o, "%s access %s max_items %u items %u bytes %llu%s%s\n",
				      names.v[i], access_names[nd.access], nd.max_items, nd.n,
				      (unsigned long long)bytes,
				      nd.flags & SB_PEP_F_NO_PERSIST ? " persist 0" : "",
				      nd.flags & SB_PEP_F_SEND_NEVER ? " send_last never" : "");
			sb_pep_node_free(&nd);
		}
		free(names.v[i]);
	}
	free(names.v);
}
