/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the server answers about itself and its accounts: service discovery
 * (XEP-0030 §3, §4) on the domain and on an account's bare JID, software
 * version (XEP-0092) and entity time (XEP-0202) of the server. The feature
 * list names exactly what is implemented; anything else asked of the
 * server or an account is service-unavailable (RFC 6120 §8.4).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "im_priv.h"
#include "register.h"
#include "router.h"
#include "shard.h"

#ifndef SB_VERSION_STRING
#define SB_VERSION_STRING "0.1.0"
#endif

/* The server's features: each one is implemented (docs/PROTOCOLS.md). */
static const char *const server_features[] = {
	IM_NS_DISCO_INFO,
	IM_NS_DISCO_ITEMS,
	IM_NS_ROSTER,
	"urn:xmpp:ping",     /* XEP-0199, answered by the dataplane */
	IM_NS_VERSION,
	IM_NS_TIME,
	"msgoffline",        /* XEP-0160 §6 */
	"urn:xmpp:carbons:2", /* XEP-0280 */
	"presence",
	IM_NS_BLOCKING,      /* XEP-0191 */
	IM_NS_VCARD,         /* XEP-0054 */
	IM_NS_PRIVATE,       /* XEP-0049 */
};

static const char *const account_features[] = {
	IM_NS_DISCO_INFO,
	IM_NS_DISCO_ITEMS,
	"urn:xmpp:mam:2",          /* XEP-0313 §7, on the account's bare JID */
	"urn:xmpp:mam:2#extended",
	"urn:xmpp:sid:0",          /* XEP-0359 */
	SB_IM_NS_PUSH,             /* XEP-0357 §4, on the account's bare JID */
	/* XEP-0163 PEP on the account (im_pep.c) */
	"http://jabber.org/protocol/pubsub",
	"http://jabber.org/protocol/pubsub#publish",
	"http://jabber.org/protocol/pubsub#publish-options",
	"http://jabber.org/protocol/pubsub#auto-create",
	"http://jabber.org/protocol/pubsub#create-nodes",
	"http://jabber.org/protocol/pubsub#create-and-configure",
	"http://jabber.org/protocol/pubsub#retrieve-items",
	"http://jabber.org/protocol/pubsub#retract-items",
	"http://jabber.org/protocol/pubsub#delete-nodes",
	"http://jabber.org/protocol/pubsub#purge-nodes",
	"http://jabber.org/protocol/pubsub#config-node",
	"http://jabber.org/protocol/pubsub#access-presence",
	"http://jabber.org/protocol/pubsub#access-open",
	"http://jabber.org/protocol/pubsub#access-whitelist",
	"http://jabber.org/protocol/pubsub#access-roster",
	"http://jabber.org/protocol/pubsub#persistent-items",
	"http://jabber.org/protocol/pubsub#last-published",
	"http://jabber.org/protocol/pubsub#filtered-notifications",
	"http://jabber.org/protocol/pubsub#item-ids",
	"http://jabber.org/protocol/pubsub#multi-items",
	"urn:xmpp:bookmarks:1#compat", /* XEP-0402 §3: private storage:bookmarks is the node */
	"urn:xmpp:pep-vcard-conversion:0", /* XEP-0398 §5: vCard PHOTO <-> avatar nodes */
};

static void result_open(struct imx_out *o, const struct sb_route_in *in)
{
	im_result_open(o, in);
	imx_puts(o, ">");
}

static void disco_info(struct imx_out *o, const struct sb_route_in *in, bool server, bool mam,
		       bool reg)
{
	const char *const *f = server ? server_features : account_features;
	size_t n = server ? sizeof(server_features) / sizeof(f[0])
			  : sizeof(account_features) / sizeof(f[0]);

	result_open(o, in);
	imx_puts(o, "<query xmlns='" IM_NS_DISCO_INFO "'>");
	if (server)
		imx_puts(o, "<identity category='server' type='im' name='Switchboard'/>");
	else
		imx_puts(o, "<identity category='account' type='registered'/>"
			    "<identity category='pubsub' type='pep'/>");
	for (size_t i = 0; i < n; i++) {
		/* The archive's features only when it is on (im.mam). */
		if (!mam && strncmp(f[i], "urn:xmpp:", 9) == 0 &&
		    (strncmp(f[i] + 9, "mam:", 4) == 0 || strncmp(f[i] + 9, "sid:", 4) == 0))
			continue;
		imx_puts(o, "<feature");
		imx_attr_put(o, "var", f[i], strlen(f[i]));
		imx_puts(o, "/>");
	}
	/* XEP-0077 §3.2.1 / §8: only when xmpp.register is on. */
	if (server && reg)
		imx_puts(o, "<feature var='jabber:iq:register'/>");
	imx_puts(o, "</query></iq>");
}

static void entity_time(struct imx_out *o, const struct sb_route_in *in)
{
	struct timespec ts;
	struct tm tm;
	char s[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	result_open(o, in);
	imx_puts(o, "<time xmlns='" IM_NS_TIME "'><tzo>+00:00</tzo><utc>");
	imx_puts(o, s);
	imx_puts(o, "</utc></time></iq>");
}

void im_disco_iq(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in,
		 const struct imx_el *child, bool to_server)
{
	struct sb_im *im = &sh->router.im;
	struct imx_out o = { .p = im->obuf, .cap = im->buf_cap };
	bool get = in->st.type == SB_STYPE_GET;
	const char *acct = in->st.to_len ? in->to : in->from;
	size_t acct_len = in->st.to_len ? in->st.to_bare_len : in->st.from_bare_len;

	if (get && imx_is(child, "query", IM_NS_DISCO_INFO, NULL)) {
		/* An account is described only if it exists (XEP-0030 §3.1:
		 * an unknown entity is item-not-found; RFC 6121 §8.5.1 wants
		 * service-unavailable so accounts cannot be probed). */
		if (!to_server && sb_store_user_exists(sh->router.store, acct, acct_len) == 0)
			goto unsupported;
		disco_info(&o, in, to_server, im->lim.mam,
			   sh->router.reg != NULL && sh->router.reg->enabled);
		SB_IM_INC(im, disco_info);
	} else if (get && imx_is(child, "query", IM_NS_DISCO_ITEMS, NULL)) {
		if (!to_server && sb_store_user_exists(sh->router.store, acct, acct_len) == 0)
			goto unsupported;
		result_open(&o, in);
		imx_puts(&o, "<query xmlns='" IM_NS_DISCO_ITEMS "'>");
		/* An account's PEP nodes the asker may read (XEP-0163 §7). */
		if (!to_server)
			im_pep_disco_items(sh, &o, acct, acct_len, in->from, in->st.from_bare_len);
		imx_puts(&o, "</query></iq>");
		SB_IM_INC(im, disco_items);
	} else if (get && to_server && imx_is(child, "query", IM_NS_VERSION, NULL)) {
		result_open(&o, in);
		imx_puts(&o, "<query xmlns='" IM_NS_VERSION "'><name>Switchboard</name><version>"
			     SB_VERSION_STRING "</version></query></iq>");
		SB_IM_INC(im, version);
	} else if (get && to_server && imx_is(child, "time", IM_NS_TIME, NULL)) {
		entity_time(&o, in);
		SB_IM_INC(im, time);
	} else {
		goto unsupported;
	}
	if (!o.over)
		im_reply(sh, m, in, o.p, o.len);
	return;
unsupported:
	SB_IM_INC(im, iq_unsupported);
	sb_router_error(sh, in, "cancel", "service-unavailable", SB_ROUTE_CTR_err_unavailable);
}
