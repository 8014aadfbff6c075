/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The pure parts of PEP (XEP-0163): publish-options and node configuration
 * forms (XEP-0060 §7.1.5, §8.2), whether they agree with a node, and who
 * may read a node (XEP-0060 §4.5 access models). No I/O: unit `im-pep`.
 */
#ifndef SB_PEP_NODE_H
#define SB_PEP_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "im_xml.h"
#include "store/store_im.h"
#include "store/store_pep.h"

#define PEP_NS "http://jabber.org/protocol/pubsub"
#define PEP_NS_EVENT "http://jabber.org/protocol/pubsub#event"
#define PEP_NS_OWNER "http://jabber.org/protocol/pubsub#owner"
#define PEP_NS_ERRORS "http://jabber.org/protocol/pubsub#errors"
#define PEP_NS_PUBLISH_OPTIONS "http://jabber.org/protocol/pubsub#publish-options"
#define PEP_NS_NODE_CONFIG "http://jabber.org/protocol/pubsub#node_config"

#define PEP_MAX_ITEMS_MAX UINT32_MAX /* "max": the server's limit */

/* The options a form names (has: which ones). */
#define PEP_OPT_ACCESS 0x01u
#define PEP_OPT_MAX_ITEMS 0x02u
#define PEP_OPT_PERSIST 0x04u
#define PEP_OPT_SEND_LAST 0x08u
#define PEP_OPT_GROUPS 0x10u

#define PEP_FIELD_GROUPS "pubsub#roster_groups_allowed"

struct pep_opts {
	uint8_t has;
	uint8_t access;      /* enum sb_pep_access */
	bool persist;
	bool send_never;
	uint32_t max_items;  /* PEP_MAX_ITEMS_MAX for "max" */
	/* pubsub#roster_groups_allowed: the field itself (its <value/>s,
	 * checked by pep_form_parse), valid as long as the form's bytes. */
	struct imx_el groups;
};

enum pep_form_err {
	PEP_FORM_OK = 0,
	PEP_FORM_BAD,         /* not a form, or a value that does not parse: bad-request */
	PEP_FORM_UNSUPPORTED, /* an access model or value this server does not offer */
};

/* Parse a jabber:x:data form (the <x/> element) of publish-options or
 * node_config. Known fields: pubsub#access_model (presence, open,
 * whitelist), pubsub#max_items (a number or "max"), pubsub#persist_items,
 * pubsub#send_last_published_item (never; on_sub, on_sub_and_presence);
 * the others are ignored (docs/PROTOCOLS.md). */
enum pep_form_err pep_form_parse(const struct imx_el *x, struct pep_opts *o);

/* The configuration a node created by a publish gets: the defaults of
 * its name (bookmarks are whitelist, everything else presence, one item),
 * then the options. limit: im.pep_max_items. Returns NULL, or the error
 * condition when max_items asks more than limit ("policy-violation") or
 * the groups could not be copied ("internal-server-error"). */
const char *pep_node_configure(struct sb_pep_node *nd, const char *node, size_t nlen,
			       const struct pep_opts *o, uint32_t limit, bool fresh);

/* Whether an existing node's configuration satisfies the publish-options
 * (XEP-0060 §7.1.5: otherwise precondition-not-met). "max" matches a node
 * configured with "max", whatever the limit was then. */
/* A stored node under the limit as configured now: "max" follows it, and
 * nothing keeps more (after im.pep_max_items was lowered). */
void pep_node_limit(struct sb_pep_node *nd, uint32_t limit);

bool pep_opts_match(const struct sb_pep_node *nd, const struct pep_opts *o);

/* Whether a requester may read the owner's node, and so get its
 * notifications and last item: the owner always; open: anyone; presence:
 * a contact with subscription from or both in the owner's roster (sub,
 * SB_SUB_NONE when absent); roster: a contact in one of the node's roster
 * groups (in_group); whitelist: the owner only. */
bool pep_access_allowed(uint8_t access, bool owner, enum sb_sub sub, bool in_group);

/* The same for a node and the requester's item in the owner's roster (it:
 * NULL when absent, blocked or unknown; a tombstone counts as absent). */
bool pep_may_read(const struct sb_pep_node *nd, bool owner, const struct sb_roster_item *it);

const char *pep_access_name(uint8_t access);

#endif
