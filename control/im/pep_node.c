/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Publish-options and node configuration forms, and access decisions
 * (pep_node.h). Pure functions over validated stanza bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "pep_node.h"

#define VAL_MAX 256u

static const char *const access_names[SB_PEP_ACCESS_MAX] = {
	[SB_PEP_ACCESS_PRESENCE] = "presence",
	[SB_PEP_ACCESS_OPEN] = "open",
	[SB_PEP_ACCESS_WHITELIST] = "whitelist",
	[SB_PEP_ACCESS_ROSTER] = "roster",
};

const char *pep_access_name(uint8_t access)
{
	return access < SB_PEP_ACCESS_MAX ? access_names[access] : "?";
}

/* The first <value/> of a field, decoded; its length or -1. */
static int field_value(const struct imx_el *f, char *v)
{
	struct imx_el e;
	size_t pos = 0;

	while (imx_child(f, &pos, &e))
		if (imx_is(&e, "value", "jabber:x:data", "jabber:x:data"))
			return imx_text(&e, v, VAL_MAX);
	return -1;
}

static int parse_bool(const char *v, bool *b)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
		*b = true;
	else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
		*b = false;
	else
		return -1;
	return 0;
}

static enum pep_form_err field_apply(const char *var, const char *v, struct pep_opts *o)
{
	if (strcmp(var, "pubsub#access_model") == 0) {
		for (uint8_t a = 0; a < SB_PEP_ACCESS_MAX; a++)
			if (strcmp(v, access_names[a]) == 0) {
				o->access = a;
				o->has |= PEP_OPT_ACCESS;
				return PEP_FORM_OK;
			}
		/* authorize: not offered (no explicit subscriptions to approve). */
		return PEP_FORM_UNSUPPORTED;
	}
	if (strcmp(var, "pubsub#max_items") == 0) {
		char *end;
		unsigned long n;

		o->has |= PEP_OPT_MAX_ITEMS;
		if (strcmp(v, "max") == 0) {
			o->max_items = PEP_MAX_ITEMS_MAX;
			return PEP_FORM_OK;
		}
		n = strtoul(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != 0 || n == 0 || n >= PEP_MAX_ITEMS_MAX)
			return PEP_FORM_BAD;
		o->max_items = (uint32_t)n;
		return PEP_FORM_OK;
	}
	if (strcmp(var, "pubsub#persist_items") == 0) {
		o->has |= PEP_OPT_PERSIST;
		return parse_bool(v, &o->persist) < 0 ? PEP_FORM_BAD : PEP_FORM_OK;
	}
	if (strcmp(var, "pubsub#send_last_published_item") == 0) {
		o->has |= PEP_OPT_SEND_LAST;
		if (strcmp(v, "never") == 0)
			o->send_never = true;
		else if (strcmp(v, "on_sub") == 0 || strcmp(v, "on_sub_and_presence") == 0)
			o->send_never = false;
		else
			return PEP_FORM_BAD;
		return PEP_FORM_OK;
	}
	return PEP_FORM_OK; /* FORM_TYPE and what this server does not keep */
}

/* Each <value/> of a roster_groups_allowed field decoded into g
 * (SB_PEP_GROUP_MAX + 1) and handed to fn; the count, or -1 when a value
 * is empty, too long or one too many. */
static int groups_walk(const struct imx_el *f, char *g,
		       bool (*fn)(void *arg, const char *g, size_t len), void *arg)
{
	struct imx_el e;
	size_t pos = 0;
	int n = 0, l;

	while (imx_child(f, &pos, &e)) {
		if (!imx_is(&e, "value", "jabber:x:data", "jabber:x:data"))
			continue;
		l = imx_text(&e, g, SB_PEP_GROUP_MAX + 1);
		if (l <= 0 || ++n > (int)SB_PEP_GROUPS_MAX)
			return -1;
		if (fn != NULL && !fn(arg, g, (size_t)l))
			return -1;
	}
	return n;
}

enum pep_form_err pep_form_parse(const struct imx_el *x, struct pep_opts *o)
{
	char var[VAL_MAX], v[VAL_MAX], g[SB_PEP_GROUP_MAX + 1];
	struct imx_el f;
	size_t pos = 0;

	memset(o, 0, sizeof(*o));
	if (!imx_is(x, "x", "jabber:x:data", NULL))
		return PEP_FORM_BAD;
	while (imx_child(x, &pos, &f)) {
		enum pep_form_err e;

		if (!imx_is(&f, "field", "jabber:x:data", "jabber:x:data") ||
		    imx_attr_text(&f, "var", var, sizeof(var)) < 0)
			continue;
		/* A list-multi: every value counts, and none is a value (no group). */
		if (strcmp(var, PEP_FIELD_GROUPS) == 0) {
			if (groups_walk(&f, g, NULL, NULL) < 0)
				return PEP_FORM_BAD;
			o->groups = f;
			o->has |= PEP_OPT_GROUPS;
			continue;
		}
		if (field_value(&f, v) < 0)
			continue; /* a field without a value sets nothing */
		e = field_apply(var, v, o);
		if (e != PEP_FORM_OK)
			return e;
	}
	return PEP_FORM_OK;
}

/* Bookmarks are private whatever the client forgets to say (XEP-0402
 * §5, XEP-0048 §3.1). */
static bool node_private(const char *node, size_t nlen)
{
	static const char *const priv[] = { "urn:xmpp:bookmarks:1", "storage:bookmarks" };

	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (nlen == strlen(priv[i]) && memcmp(node, priv[i], nlen) == 0)
			return true;
	return false;
}

void pep_node_limit(struct sb_pep_node *nd, uint32_t limit)
{
	if ((nd->flags & SB_PEP_F_MAX_ITEMS_MAX) || nd->max_items > limit)
		nd->max_items = limit;
}

struct groups_acc {
	const char *g[SB_PEP_GROUPS_MAX];
	uint16_t len[SB_PEP_GROUPS_MAX];
	char *buf; /* SB_PEP_GROUPS_MAX × (SB_PEP_GROUP_MAX + 1) */
	unsigned n;
};

static bool group_keep(void *arg, const char *g, size_t len)
{
	struct groups_acc *a = arg;
	char *dst = a->buf + (size_t)a->n * (SB_PEP_GROUP_MAX + 1);

	memcpy(dst, g, len);
	a->g[a->n] = dst;
	a->len[a->n++] = (uint16_t)len;
	return true;
}

/* Whether the field names exactly the node's groups (as a set). */
struct groups_cmp {
	const struct sb_pep_node *nd;
};

static bool group_known(void *arg, const char *g, size_t len)
{
	const struct groups_cmp *c = arg;

	return sb_pep_node_has_group(c->nd, g, len);
}

static bool groups_same(const struct sb_pep_node *nd, const struct imx_el *f)
{
	char g[SB_PEP_GROUP_MAX + 1];
	struct groups_cmp c = { .nd = nd };
	int n = groups_walk(f, g, group_known, &c);

	/* Every value is a node group and as many (values are not repeated
	 * in practice; a repeated one makes the sets differ here). */
	return n >= 0 && (unsigned)n == nd->n_groups;
}

const char *pep_node_configure(struct sb_pep_node *nd, const char *node, size_t nlen,
			       const struct pep_opts *o, uint32_t limit, bool fresh)
{
	if ((o->has & PEP_OPT_MAX_ITEMS) && o->max_items != PEP_MAX_ITEMS_MAX &&
	    o->max_items > limit)
		return "policy-violation";
	if (o->has & PEP_OPT_GROUPS) {
		char g[SB_PEP_GROUP_MAX + 1];
		struct groups_acc a = { .n = 0 };
		int rc;

		a.buf = malloc((size_t)SB_PEP_GROUPS_MAX * (SB_PEP_GROUP_MAX + 1));
		if (a.buf == NULL)
			return "internal-server-error";
		/* Checked by pep_form_parse: cannot fail here. */
		groups_walk(&o->groups, g, group_keep, &a);
		rc = sb_pep_node_groups_set(nd, a.g, a.len, a.n);
		free(a.buf);
		if (rc < 0)
			return "internal-server-error";
	} else if (fresh) {
		sb_pep_node_groups_set(nd, NULL, NULL, 0);
	}
	if (fresh) {
		nd->access = node_private(node, nlen) ? SB_PEP_ACCESS_WHITELIST
						      : SB_PEP_ACCESS_PRESENCE;
		nd->flags = 0;
		nd->max_items = 1;
	}
	if (o->has & PEP_OPT_ACCESS)
		nd->access = o->access;
	if (o->has & PEP_OPT_MAX_ITEMS) {
		bool max = o->max_items == PEP_MAX_ITEMS_MAX;

		nd->max_items = max ? limit : o->max_items;
		nd->flags = (uint8_t)((nd->flags & ~SB_PEP_F_MAX_ITEMS_MAX) |
				      (max ? SB_PEP_F_MAX_ITEMS_MAX : 0));
	}
	if (o->has & PEP_OPT_PERSIST)
		nd->flags = (uint8_t)((nd->flags & ~SB_PEP_F_NO_PERSIST) |
				      (o->persist ? 0 : SB_PEP_F_NO_PERSIST));
	if (o->has & PEP_OPT_SEND_LAST)
		nd->flags = (uint8_t)((nd->flags & ~SB_PEP_F_SEND_NEVER) |
				      (o->send_never ? SB_PEP_F_SEND_NEVER : 0));
	return NULL;
}

bool pep_opts_match(const struct sb_pep_node *nd, const struct pep_opts *o)
{
	if ((o->has & PEP_OPT_ACCESS) && nd->access != o->access)
		return false;
	/* "max" asked and given: the limit, whatever it is now. */
	if ((o->has & PEP_OPT_MAX_ITEMS) &&
	    (o->max_items == PEP_MAX_ITEMS_MAX ? !(nd->flags & SB_PEP_F_MAX_ITEMS_MAX)
					       : nd->max_items != o->max_items))
		return false;
	if ((o->has & PEP_OPT_PERSIST) && !(nd->flags & SB_PEP_F_NO_PERSIST) != o->persist)
		return false;
	if ((o->has & PEP_OPT_SEND_LAST) && !!(nd->flags & SB_PEP_F_SEND_NEVER) != o->send_never)
		return false;
	if ((o->has & PEP_OPT_GROUPS) && !groups_same(nd, &o->groups))
		return false;
	return true;
}

bool pep_access_allowed(uint8_t access, bool owner, enum sb_sub sub, bool in_group)
{
	if (owner)
		return true;
	switch (access) {
	case SB_PEP_ACCESS_OPEN:
		return true;
	case SB_PEP_ACCESS_PRESENCE:
		return sub == SB_SUB_FROM || sub == SB_SUB_BOTH;
	case SB_PEP_ACCESS_ROSTER:
		return in_group;
	default:
		return false;
	}
}

bool pep_may_read(const struct sb_pep_node *nd, bool owner, const struct sb_roster_item *it)
{
	bool in_group = false;

	if (it != NULL && (it->flags & SB_ROSTER_F_GONE))
		it = NULL;
	for (unsigned i = 0; it != NULL && i < it->n_groups && !in_group; i++)
		in_group = sb_pep_node_has_group(nd, it->groups[i], it->group_len[i]);
	return pep_access_allowed(nd->access, owner, it ? (enum sb_sub)it->sub : SB_SUB_NONE,
				  in_group);
}
