/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The pure parts of PEP (control/im/pep_node.h, caps_ver.h): who may read
 * a node under each access model; publish-options forms parsed (known
 * fields, "max", booleans, unsupported models, bad values, unknown fields
 * ignored); the configuration a new node gets (bookmarks private by
 * default) and whether an existing node satisfies publish-options
 * (precondition-not-met otherwise); max_items past the limit refused; the
 * roster access model's groups (parsed, kept, matched, read against a
 * contact's groups); XEP-0398 PHOTO <-> avatar items and the presence
 * hash; the XEP-0115 §5.2
 * example's ver.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "caps_ver.h"
#include "pep_avatar.h"
#include "pep_node.h"

#define S(x) x, (sizeof(x) - 1)

static void test_access(void **state)
{
	(void)state;
	for (uint8_t a = 0; a < SB_PEP_ACCESS_MAX; a++)
		for (int s = 0; s < SB_SUB_MAX; s++)
			assert_true(pep_access_allowed(a, true, (enum sb_sub)s, false));
	for (int s = 0; s < SB_SUB_MAX; s++) {
		assert_true(pep_access_allowed(SB_PEP_ACCESS_OPEN, false, (enum sb_sub)s, false));
		assert_false(pep_access_allowed(SB_PEP_ACCESS_WHITELIST, false, (enum sb_sub)s, true));
		/* roster: the groups alone decide, not the subscription. */
		assert_false(pep_access_allowed(SB_PEP_ACCESS_ROSTER, false, (enum sb_sub)s, false));
		assert_true(pep_access_allowed(SB_PEP_ACCESS_ROSTER, false, (enum sb_sub)s, true));
	}
	/* presence: the owner's roster says the contact sees its presence. */
	assert_true(pep_access_allowed(SB_PEP_ACCESS_PRESENCE, false, SB_SUB_FROM, false));
	assert_true(pep_access_allowed(SB_PEP_ACCESS_PRESENCE, false, SB_SUB_BOTH, false));
	assert_false(pep_access_allowed(SB_PEP_ACCESS_PRESENCE, false, SB_SUB_TO, true));
	assert_false(pep_access_allowed(SB_PEP_ACCESS_PRESENCE, false, SB_SUB_NONE, false));
	assert_false(pep_access_allowed(SB_PEP_ACCESS_MAX, false, SB_SUB_BOTH, true));
	assert_string_equal(pep_access_name(SB_PEP_ACCESS_WHITELIST), "whitelist");
	assert_string_equal(pep_access_name(SB_PEP_ACCESS_ROSTER), "roster");
}

static enum pep_form_err parse(const char *fields, struct pep_opts *o)
{
	static char buf[4096]; /* o->groups points into it */
	struct imx_el x;

	snprintf(buf, sizeof(buf),
		 "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
		 "<value>" PEP_NS_PUBLISH_OPTIONS "</value></field>%s</x>", fields);
	assert_int_equal(imx_open(&x, (const uint8_t *)buf, strlen(buf)), 0);
	return pep_form_parse(&x, o);
}

#define F(var, val) "<field var='pubsub#" var "'><value>" val "</value></field>"

static void test_form(void **state)
{
	struct pep_opts o;
	struct imx_el x;

	(void)state;
	assert_int_equal(parse(F("access_model", "open") F("max_items", "max")
			       F("persist_items", "true") F("send_last_published_item", "never")
			       F("notify_retract", "whatever"), &o), PEP_FORM_OK);
	assert_int_equal(o.has, PEP_OPT_ACCESS | PEP_OPT_MAX_ITEMS | PEP_OPT_PERSIST |
				PEP_OPT_SEND_LAST);
	assert_int_equal(o.access, SB_PEP_ACCESS_OPEN);
	assert_int_equal(o.max_items, PEP_MAX_ITEMS_MAX);
	assert_true(o.persist);
	assert_true(o.send_never);
	assert_int_equal(parse(F("max_items", "12") F("persist_items", "0"), &o), PEP_FORM_OK);
	assert_int_equal(o.has, PEP_OPT_MAX_ITEMS | PEP_OPT_PERSIST);
	assert_int_equal(o.max_items, 12);
	assert_false(o.persist);
	assert_int_equal(parse("", &o), PEP_FORM_OK);
	assert_int_equal(o.has, 0);
	assert_int_equal(parse(F("access_model", "authorize"), &o), PEP_FORM_UNSUPPORTED);
	assert_int_equal(parse(F("access_model", "roster"), &o), PEP_FORM_OK);
	assert_int_equal(o.access, SB_PEP_ACCESS_ROSTER);
	assert_int_equal(parse(F("max_items", "-1"), &o), PEP_FORM_BAD);
	assert_int_equal(parse(F("max_items", "0"), &o), PEP_FORM_BAD);
	assert_int_equal(parse(F("max_items", "7x"), &o), PEP_FORM_BAD);
	assert_int_equal(parse(F("persist_items", "yes"), &o), PEP_FORM_BAD);
	assert_int_equal(parse(F("send_last_published_item", "sometimes"), &o), PEP_FORM_BAD);
	assert_int_equal(imx_open(&x, (const uint8_t *)S("<y xmlns='jabber:x:data'/>")), 0);
	assert_int_equal(pep_form_parse(&x, &o), PEP_FORM_BAD);
}

static void test_configure_match(void **state)
{
	struct sb_pep_node nd;
	struct pep_opts o = { 0 };

	(void)state;
	sb_pep_node_init(&nd);
	/* Defaults: presence, one item; bookmarks whitelist. */
	assert_null(pep_node_configure(&nd, S("urn:xmpp:avatar:data"), &o, 100, true));
	assert_int_equal(nd.access, SB_PEP_ACCESS_PRESENCE);
	assert_int_equal(nd.max_items, 1);
	assert_null(pep_node_configure(&nd, S("urn:xmpp:bookmarks:1"), &o, 100, true));
	assert_int_equal(nd.access, SB_PEP_ACCESS_WHITELIST);
	assert_null(pep_node_configure(&nd, S("storage:bookmarks"), &o, 100, true));
	assert_int_equal(nd.access, SB_PEP_ACCESS_WHITELIST);
	/* No options: any node matches. */
	assert_true(pep_opts_match(&nd, &o));
	/* Options applied; "max" is the limit. */
	o = (struct pep_opts){ .has = PEP_OPT_ACCESS | PEP_OPT_MAX_ITEMS | PEP_OPT_PERSIST,
			       .access = SB_PEP_ACCESS_OPEN, .max_items = PEP_MAX_ITEMS_MAX,
			       .persist = false };
	assert_null(pep_node_configure(&nd, S("eu.siacs.conversations.axolotl.devicelist"), &o,
				       100, true));
	assert_int_equal(nd.access, SB_PEP_ACCESS_OPEN);
	assert_int_equal(nd.max_items, 100);
	assert_true(nd.flags & SB_PEP_F_NO_PERSIST);
	assert_true(pep_opts_match(&nd, &o));
	/* Each option that differs: precondition-not-met. */
	o.access = SB_PEP_ACCESS_WHITELIST;
	assert_false(pep_opts_match(&nd, &o));
	o.access = SB_PEP_ACCESS_OPEN;
	o.max_items = 99;
	assert_false(pep_opts_match(&nd, &o));
	o.max_items = 100; /* the number: as configured */
	assert_true(pep_opts_match(&nd, &o));
	/* "max" still matches after the limit changed, and follows it. */
	o.max_items = PEP_MAX_ITEMS_MAX;
	assert_true(pep_opts_match(&nd, &o));
	pep_node_limit(&nd, 200);
	assert_int_equal(nd.max_items, 200);
	pep_node_limit(&nd, 100);
	assert_int_equal(nd.max_items, 100);
	o.persist = true;
	assert_false(pep_opts_match(&nd, &o));
	/* A number over a lowered limit is cut to it. */
	{
		struct sb_pep_node n2;
		struct pep_opts o2 = { .has = PEP_OPT_MAX_ITEMS, .max_items = 50 };

		sb_pep_node_init(&n2);
		assert_null(pep_node_configure(&n2, S("n"), &o2, 100, true));
		assert_false(n2.flags & SB_PEP_F_MAX_ITEMS_MAX);
		o2.max_items = PEP_MAX_ITEMS_MAX;
		assert_false(pep_opts_match(&n2, &o2));
		pep_node_limit(&n2, 100);
		assert_int_equal(n2.max_items, 50);
		pep_node_limit(&n2, 10);
		assert_int_equal(n2.max_items, 10);
	}
	o = (struct pep_opts){ .has = PEP_OPT_SEND_LAST, .send_never = true };
	assert_false(pep_opts_match(&nd, &o));
	assert_null(pep_node_configure(&nd, S("x"), &o, 100, false));
	assert_true(pep_opts_match(&nd, &o));
	assert_int_equal(nd.access, SB_PEP_ACCESS_OPEN); /* not fresh: kept */
	/* max_items over the limit: policy-violation, nothing changed. */
	o = (struct pep_opts){ .has = PEP_OPT_MAX_ITEMS | PEP_OPT_ACCESS, .max_items = 101,
			       .access = SB_PEP_ACCESS_PRESENCE };
	assert_string_equal(pep_node_configure(&nd, S("x"), &o, 100, false), "policy-violation");
	assert_int_equal(nd.access, SB_PEP_ACCESS_OPEN);
	assert_int_equal(nd.max_items, 100);
	sb_pep_node_free(&nd);
}

#define G(vals) "<field var='" PEP_FIELD_GROUPS "' type='list-multi'>" vals "</field>"

/* The roster model: roster_groups_allowed parsed (every value, none
 * clears, bad ones refused), kept on the node, matched as a set, and
 * read against a contact's roster groups. */
static void test_roster_groups(void **state)
{
	struct sb_pep_node nd;
	struct pep_opts o;
	struct sb_roster ro;
	struct sb_roster_item *it;
	char big[SB_PEP_GROUP_MAX + 200], many[SB_PEP_GROUPS_MAX * 32 + 64];
	const char *fr = "Friends";
	uint16_t frl = 7;

	(void)state;
	sb_pep_node_init(&nd);
	assert_int_equal(parse(F("access_model", "roster")
			       G("<value>Friends</value><value>Family &amp; co</value>"), &o),
			 PEP_FORM_OK);
	assert_int_equal(o.has, PEP_OPT_ACCESS | PEP_OPT_GROUPS);
	assert_null(pep_node_configure(&nd, S("urn:example:n"), &o, 10, true));
	assert_int_equal(nd.access, SB_PEP_ACCESS_ROSTER);
	assert_int_equal(nd.n_groups, 2);
	assert_true(sb_pep_node_has_group(&nd, S("Family & co")));
	assert_false(sb_pep_node_has_group(&nd, S("Family")));
	assert_true(pep_opts_match(&nd, &o));
	/* A different set: precondition-not-met. */
	assert_int_equal(parse(G("<value>Friends</value>"), &o), PEP_FORM_OK);
	assert_false(pep_opts_match(&nd, &o));
	assert_int_equal(parse(G("<value>Family &amp; co</value><value>Friends</value>"), &o),
			 PEP_FORM_OK);
	assert_true(pep_opts_match(&nd, &o)); /* order does not matter */
	assert_int_equal(parse(G("<value>Friends</value><value>Work</value>"), &o), PEP_FORM_OK);
	assert_false(pep_opts_match(&nd, &o));

	/* Readers: the owner; a contact in a group; not one outside, nor a
	 * tombstone, nor a stranger, whatever the subscription. */
	sb_roster_init(&ro);
	it = sb_roster_get(&ro, S("in@example.net"));
	assert_int_equal(sb_roster_item_set(it, NULL, 0, &fr, &frl, 1), 0);
	it->sub = SB_SUB_NONE;
	assert_true(pep_may_read(&nd, false, it));
	it->flags |= SB_ROSTER_F_GONE;
	assert_false(pep_may_read(&nd, false, it));
	it = sb_roster_get(&ro, S("out@example.net"));
	it->sub = SB_SUB_BOTH;
	assert_false(pep_may_read(&nd, false, it));
	assert_false(pep_may_read(&nd, false, NULL));
	assert_true(pep_may_read(&nd, true, NULL));
	/* Presence keeps reading the subscription. */
	nd.access = SB_PEP_ACCESS_PRESENCE;
	assert_true(pep_may_read(&nd, false, it));
	nd.access = SB_PEP_ACCESS_ROSTER;
	sb_roster_free(&ro);

	/* Configure with no value clears the groups; without the field they stay. */
	assert_int_equal(parse(F("max_items", "3"), &o), PEP_FORM_OK);
	assert_null(pep_node_configure(&nd, S("urn:example:n"), &o, 10, false));
	assert_int_equal(nd.n_groups, 2);
	assert_int_equal(parse(G(""), &o), PEP_FORM_OK);
	assert_null(pep_node_configure(&nd, S("urn:example:n"), &o, 10, false));
	assert_int_equal(nd.n_groups, 0);
	assert_true(pep_opts_match(&nd, &o));
	/* Bad values: an empty one, one too long, too many. */
	assert_int_equal(parse(G("<value></value>"), &o), PEP_FORM_BAD);
	memset(big, 'g', sizeof(big));
	memcpy(big, "<value>", 7);
	memcpy(big + 7 + SB_PEP_GROUP_MAX + 1, "</value>", 9);
	{
		char f[sizeof(big) + 128];

		snprintf(f, sizeof(f), G("%s"), big);
		assert_int_equal(parse(f, &o), PEP_FORM_BAD);
	}
	many[0] = 0;
	for (unsigned i = 0; i <= SB_PEP_GROUPS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "<value>g%u</value>", i);
	{
		char f[sizeof(many) + 128];

		snprintf(f, sizeof(f), G("%s"), many);
		assert_int_equal(parse(f, &o), PEP_FORM_BAD);
	}
	sb_pep_node_free(&nd);
}

static void el(struct imx_el *e, const char *s)
{
	assert_int_equal(imx_open(e, (const uint8_t *)s, strlen(s)), 0);
}

/* sha1sum of "hello avatar" */
#define SHA1_HELLO "8e274696f2bd20516c2f743207065763a6dfe75e"

/* XEP-0398: a vCard PHOTO (folded BINVAL) to the avatar items, with the
 * SHA-1 of the image bytes as id; the metadata's <info/> back to a PHOTO;
 * the stored vCard with its PHOTO replaced; what is refused. */
static void test_avatar(void **state)
{
	/* "hello avatar": 12 bytes. */
	static const char b64[] = "aGVsbG8gYXZhdGFy";
	struct pep_avatar a;
	struct imx_el v;
	char out[1024], id[PEP_AVATAR_ID_MAX + 1], type[PEP_AVATAR_TYPE_MAX + 1];
	struct imx_out o = { .p = out, .cap = sizeof(out) };

	(void)state;
	el(&v, "<vCard xmlns='vcard-temp'><FN>A</FN><PHOTO><TYPE>image/png</TYPE>"
	       "<BINVAL>aGVsbG8g\nYXZh dGFy</BINVAL></PHOTO></vCard>");
	assert_int_equal(pep_avatar_from_vcard(&v, &a), 0);
	assert_int_equal(a.bytes, 12);
	assert_string_equal(a.type, "image/png");
	assert_int_equal(a.b64_len, strlen(b64));
	assert_memory_equal(a.b64, b64, a.b64_len);
	assert_string_equal(a.id, SHA1_HELLO);
	pep_avatar_data_item(&o, &a);
	out[o.len] = 0;
	assert_string_equal(out, "<data xmlns='urn:xmpp:avatar:data'>aGVsbG8gYXZhdGFy</data>");
	o.len = 0;
	pep_avatar_meta_item(&o, &a);
	out[o.len] = 0;
	assert_string_equal(out, "<metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12' "
				 "id='" SHA1_HELLO "' type='image/png'/></metadata>");
	/* And back: the metadata names the data item. */
	assert_int_equal(pep_avatar_meta_info((const uint8_t *)out, o.len, id, type), 1);
	assert_string_equal(id, a.id);
	assert_string_equal(type, "image/png");
	pep_avatar_free(&a);
	/* An <info url/> is hosted elsewhere: the next one counts; empty: none. */
	assert_int_equal(pep_avatar_meta_info((const uint8_t *)S(
		"<metadata xmlns='urn:xmpp:avatar:metadata'><info id='x' type='image/gif' "
		"url='https://e/x'/><info bytes='1' id='y' type='image/jpeg'/></metadata>"),
		id, type), 1);
	assert_string_equal(id, "y");
	assert_string_equal(type, "image/jpeg");
	assert_int_equal(pep_avatar_meta_info((const uint8_t *)S(
		"<metadata xmlns='urn:xmpp:avatar:metadata'/>"), id, type), 0);
	assert_int_equal(pep_avatar_meta_info((const uint8_t *)S("<data xmlns='urn:x'/>"), id,
					      type), -EINVAL);
	o.len = 0;
	assert_int_equal(pep_avatar_photo(&o, SHA1_HELLO, "image/png", (const uint8_t *)S(
		"<data xmlns='urn:xmpp:avatar:data'>aGVsbG8g\nYXZhdGFy</data>")), 0);
	out[o.len] = 0;
	assert_string_equal(out, "<PHOTO><TYPE>image/png</TYPE><BINVAL>aGVsbG8gYXZhdGFy</BINVAL>"
				 "</PHOTO>");
	assert_int_equal(pep_avatar_photo(&o, SHA1_HELLO, "image/png",
					  (const uint8_t *)S("<x xmlns='y'/>")), -EINVAL);
	/* Data that is not the image the metadata names: no PHOTO. */
	assert_int_equal(pep_avatar_photo(&o, "0000000000000000000000000000000000000000", "image/png",
					  (const uint8_t *)S("<data xmlns='urn:xmpp:avatar:data'>"
							     "aGVsbG8gYXZhdGFy</data>")), -EINVAL);
	/* The stored vCard: other fields kept, every PHOTO replaced. */
	o.len = 0;
	pep_avatar_vcard_with(&o, (const uint8_t *)S(
		"<vCard xmlns='vcard-temp'><FN>A</FN><PHOTO><EXTVAL>u</EXTVAL></PHOTO><NICKNAME>n"
		"</NICKNAME></vCard>"), S("<PHOTO/>"));
	out[o.len] = 0;
	assert_string_equal(out, "<vCard xmlns='vcard-temp'><FN>A</FN><NICKNAME>n</NICKNAME>"
				 "<PHOTO/></vCard>");
	o.len = 0;
	pep_avatar_vcard_with(&o, (const uint8_t *)S("<vCard xmlns='vcard-temp'/>"), S("<P/>"));
	out[o.len] = 0;
	assert_string_equal(out, "<vCard xmlns='vcard-temp'><P/></vCard>");
	o.len = 0;
	pep_avatar_vcard_with(&o, NULL, 0, "", 0);
	out[o.len] = 0;
	assert_string_equal(out, "<vCard xmlns='vcard-temp'></vCard>");
	/* §4: the hash put in presence; an x without photo replaced; the
	 * client's own photo (even empty) left alone; "" is <photo/>. */
#define UPD "<x xmlns='vcard-temp:x:update'>"
	o.len = 0;
	assert_true(pep_avatar_presence(&o, (const uint8_t *)S("<presence/>"), SHA1_HELLO));
	out[o.len] = 0;
	assert_string_equal(out, "<presence>" UPD "<photo>" SHA1_HELLO "</photo></x></presence>");
	o.len = 0;
	assert_true(pep_avatar_presence(&o, (const uint8_t *)S(
		"<presence id='p1'><show>away</show>" UPD "</x><c xmlns='http://jabber.org/protocol/"
		"caps' hash='sha-1' node='n' ver='v'/></presence>"), ""));
	out[o.len] = 0;
	assert_string_equal(out, "<presence id='p1'><show>away</show><c xmlns='http://jabber.org/"
				 "protocol/caps' hash='sha-1' node='n' ver='v'/>" UPD "<photo/></x>"
				 "</presence>");
	assert_false(pep_avatar_presence(&o, (const uint8_t *)S(
		"<presence>" UPD "<photo/></x></presence>"), SHA1_HELLO));
	assert_false(pep_avatar_presence(&o, (const uint8_t *)S(
		"<presence>" UPD "<photo>abc</photo></x></presence>"), SHA1_HELLO));
	assert_false(pep_avatar_presence(&o, (const uint8_t *)S("<message/>"), SHA1_HELLO));
	/* Refused: no PHOTO or an EXTVAL one (nothing to do), no or a bad
	 * TYPE, BINVAL not base64. */
	el(&v, "<vCard xmlns='vcard-temp'><FN>A</FN></vCard>");
	assert_int_equal(pep_avatar_from_vcard(&v, &a), -ENOENT);
	el(&v, "<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>http://e/a</EXTVAL></PHOTO></vCard>");
	assert_int_equal(pep_avatar_from_vcard(&v, &a), -ENOENT);
	el(&v, "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>aGVsbG8gYXZhdGFy</BINVAL></PHOTO></vCard>");
	assert_int_equal(pep_avatar_from_vcard(&v, &a), -EINVAL);
	el(&v, "<vCard xmlns='vcard-temp'><PHOTO><TYPE>image png</TYPE>"
	       "<BINVAL>aGVsbG8gYXZhdGFy</BINVAL></PHOTO></vCard>");
	assert_int_equal(pep_avatar_from_vcard(&v, &a), -EINVAL);
	el(&v, "<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE>"
	       "<BINVAL>aGVsbG8*YXZhdGFy</BINVAL></PHOTO></vCard>");
	assert_int_equal(pep_avatar_from_vcard(&v, &a), -EINVAL);
	assert_null(a.b64);
}

static void test_caps_ver(void **state)
{
	/* XEP-0115 §5.2, given out of order. */
	char *ids[] = { strdup("client/pc//Exodus 0.9.1") };
	char *feats[] = { strdup("http://jabber.org/protocol/muc"),
			  strdup("http://jabber.org/protocol/disco#info"),
			  strdup("http://jabber.org/protocol/caps"),
			  strdup("http://jabber.org/protocol/disco#items") };
	char ver[CAPS_VER_B64_LEN + 1];

	(void)state;
	assert_int_equal(caps_ver_sha1(ids, 1, feats, 4, ver), 0);
	assert_string_equal(ver, "QgayPKawpkPSDYmwT/WM94uAlu0=");
	/* One feature fewer: another ver. */
	assert_int_equal(caps_ver_sha1(ids, 1, feats, 3, ver), 0);
	assert_string_not_equal(ver, "QgayPKawpkPSDYmwT/WM94uAlu0=");
	free(ids[0]);
	for (int i = 0; i < 4; i++)
		free(feats[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_configure_match),
		cmocka_unit_test(test_roster_groups),
		cmocka_unit_test(test_avatar),
		cmocka_unit_test(test_caps_ver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
