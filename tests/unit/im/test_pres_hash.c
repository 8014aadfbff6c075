/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0398 §4 past the broadcast, against a real LMDB store and session
 * table on one shard: the avatar hash (XEP-0153 vcard-temp:x:update) in a
 * directed presence (im_directed.c), and in each presence the server sends
 * again on a user's behalf (im_pres_out): a probe answer, the presence of
 * the other resources a new resource gets, the presence of a session
 * replayed after a restart. The hash is the avatar's when the presence goes
 * out, not when it was sent, with the broadcast's rules: an x without photo
 * is replaced, the client's own photo is left, no avatar leaves the
 * presence as sent. What the shard sends itself (inbound presence) is read
 * off its own backlog; deliveries to sessions come to the stubbed
 * sb_router_send().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg_heap.h"
#include "im_priv.h"
#include "pep_avatar.h"
#include "router.h"
#include "shard.h"
#include "store/store_lmdb.h"
#include "store/store_pep.h"
#include "store_fx.h"
#include "tmpdir.h"

#define D "d.test"
#define ANN "ann@" D
#define PHONE ANN "/phone"
#define LAPTOP ANN "/laptop"
#define BOB "bob@" D
#define BOB_PC BOB "/pc"
#define ID1 "0a4d55a8d778e5022fab701977c5d840bbc486d0"
#define ID2 "8d2be6e2f9b2b0c8e1fbb0b0de4b2a8e0f5e1c3a"
#define UPD "<x xmlns='vcard-temp:x:update'>"
#define MAX_STANZA 4096u

/* Chains delivered to sessions (sb_router_send), in order. */
static struct sb_msg *sent[16];
static unsigned n_sent;

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	(void)sh;
	(void)w;
	assert_true(n_sent < 16);
	sent[n_sent++] = m;
	return 0;
}

struct fx {
	char dir[256];
	struct sb_store st;
	struct sb_shard *sh;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const struct sb_im_limits lim = {
		.roster_max_items = 64, .commit_batch = 4, .offline_quota = 8,
		.pep_max_items = 4, .pep_item_max_bytes = 1024, .pep_max_nodes = 8,
	};
	char why[256];
	struct sb_router *r;

	if (f == NULL || sb_test_tmpdir_make(f->dir, "pres-hash-test") < 0 ||
	    sb_store_lmdb_open(&f->st, f->dir, 1, 4u << 20, why, sizeof(why)) < 0)
		return -1;
	f->sh = calloc(1, sizeof(*f->sh));
	if (f->sh == NULL)
		return -1;
	r = &f->sh->router;
	f->sh->n_workers = 2;
	r->store = &f->st;
	memcpy(r->domain, D, sizeof(D));
	r->domain_len = sizeof(D) - 1;
	r->pool.alloc = sb_test_msg_alloc;
	r->pool.free = sb_test_msg_free;
	if (sb_session_table_init(&r->sessions, 16, 100) < 0 ||
	    sb_router_buffers_init(r, MAX_STANZA) < 0)
		return -1;
	/* sb_im_init's buffers, not its archive and offline batches: the paths
	 * here use neither, and sb-control never frees them. */
	r->im.lim = lim;
	r->im.buf_cap = MAX_STANZA + 4u * SB_MSG_JID_MAX + 1024u;
	r->im.buf = malloc(r->im.buf_cap);
	r->im.obuf = malloc(r->im.buf_cap);
	r->im.hbuf = malloc(r->im.buf_cap);
	if (r->im.buf == NULL || r->im.obuf == NULL || r->im.hbuf == NULL)
		return -1;
	r->im.peers = f->sh;
	r->im.n_shards = 1;
	n_sent = 0;
	*state = f;
	return 0;
}

/* The chains the shard sent itself, popped off its backlog: the next one
 * of kind op (others are dropped), or NULL. */
static struct sb_msg *self_next(struct fx *f, uint32_t op)
{
	struct sb_im *im = &f->sh->router.im;
	struct sb_im_xbacklog *b = &im->out[0];

	while (b->n > 0) {
		struct sb_im_xslot x = b->q[b->head];

		b->head = (b->head + 1) % b->cap;
		b->n--;
		im->out_total--;
		if (x.op == op)
			return x.m;
		sb_msg_free_chain(x.m, &f->sh->router.pool);
	}
	return NULL;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	struct sb_router *r = &f->sh->router;

	self_next(f, UINT32_MAX);
	for (unsigned i = 0; i < n_sent; i++)
		sb_msg_free_chain(sent[i], &r->pool);
	sb_session_table_free(&r->sessions);
	store_fx_close(&f->st, f->dir);
	free(r->im.out[0].q);
	free(r->im.buf);
	free(r->im.obuf);
	free(r->im.hbuf);
	free(r->in.id);
	free(r->err_body);
	free(f->sh);
	free(f);
	return 0;
}

/* A chain's stanza header, to and from checked; its bytes, NUL-ended
 * (malloc'd). A STANZA or DELIVER chain (im_chain's layout). */
static char *bytes_of(struct sb_msg *m, const char *to, const char *from)
{
	struct sb_msg_stanza st;
	char j[SB_ROUTE_JID_MAX];
	char *b;

	assert_non_null(m);
	assert_int_equal(sb_msg_stanza_read(m, &st), 0);
	assert_int_equal(st.kind, SB_STANZA_PRESENCE);
	sb_msg_read(m, sizeof(st), j, st.to_len);
	j[st.to_len] = 0;
	assert_string_equal(j, to);
	sb_msg_read(m, sizeof(st) + st.to_len, j, st.from_len);
	j[st.from_len] = 0;
	assert_string_equal(j, from);
	b = calloc(1, st.bytes_len + 1);
	assert_non_null(b);
	sb_msg_read(m, sb_msg_stanza_bytes_off(&st), b, st.bytes_len);
	return b;
}

/* A stanza from the dataplane, parsed into the router's in. */
static struct sb_msg *stanza(struct fx *f, uint8_t type, const char *to, const char *from,
			     const char *bytes)
{
	const char *ts = strchr(to, '/'), *fs = strchr(from, '/');
	struct sb_msg *m = im_chain(f->sh, SB_MSG_STANZA, SB_STANZA_PRESENCE, type, to, strlen(to),
				    ts ? (size_t)(ts - to) : strlen(to), from, strlen(from),
				    fs ? (size_t)(fs - from) : strlen(from), bytes, strlen(bytes));

	assert_non_null(m);
	assert_int_equal(sb_router_parse(m, &f->sh->router.in), 0);
	return m;
}

static struct sb_session *bind(struct fx *f, const char *jid, uint64_t conn)
{
	struct sb_router *r = &f->sh->router;
	struct sb_session *old = NULL;
	size_t bare = (size_t)(strchr(jid, '/') - jid);

	assert_int_equal(sb_session_bind(&r->sessions, jid, strlen(jid), bare, 1, conn,
					 (uint32_t)conn, &old), 0);
	assert_null(old);
	return sb_session_find(&r->sessions, jid, strlen(jid), bare);
}

/* user's available presence bytes, as its client sent them (the router's
 * entry for presence without to); what it broadcast is dropped. */
static void available(struct fx *f, const char *user, const char *bytes)
{
	struct sb_msg *m = stanza(f, SB_STYPE_NONE, "", user, bytes);

	sb_im_presence_own(f->sh, m, &f->sh->router.in);
	self_next(f, UINT32_MAX);
	for (unsigned i = 0; i < n_sent; i++)
		sb_msg_free_chain(sent[i], &f->sh->router.pool);
	n_sent = 0;
}

/* ann's avatar metadata node: the newest item names id ("": disabled). */
static void avatar(struct fx *f, const char *id)
{
	struct sb_pep_node nd;
	char payload[256];

	if (*id)
		snprintf(payload, sizeof(payload), "<metadata xmlns='%s'><info bytes='5' id='%s' "
			 "type='image/png'/></metadata>", PEP_AVATAR_META, id);
	else
		snprintf(payload, sizeof(payload), "<metadata xmlns='%s'/>", PEP_AVATAR_META);
	sb_pep_node_init(&nd);
	nd.max_items = 1;
	assert_int_equal(sb_pep_item_put(&nd, *id ? id : "off", *id ? strlen(id) : 3, payload,
					 strlen(payload)), 0);
	assert_int_equal(sb_store_pep_save(&f->st, ANN, strlen(ANN), PEP_AVATAR_META,
					   strlen(PEP_AVATAR_META), &nd), 0);
	sb_pep_node_free(&nd);
}

/* bob has a subscription to ann (from, on ann's side). */
static void bob_subscribed(struct fx *f)
{
	struct sb_roster r;
	struct sb_roster_item *it;

	sb_roster_init(&r);
	it = sb_roster_get(&r, BOB, strlen(BOB));
	assert_non_null(it);
	it->sub = SB_SUB_FROM;
	it->flags = SB_ROSTER_F_SHOWN;
	assert_int_equal(sb_store_roster_save(&f->st, ANN, strlen(ANN), &r), 0);
	sb_roster_free(&r);
}

/* ann, with bob subscribed to her, available on her phone with bytes. */
static struct sb_session *ann_online(struct fx *f, const char *bytes)
{
	struct sb_session *s;

	bob_subscribed(f);
	s = bind(f, PHONE, 7);
	available(f, PHONE, bytes);
	return s;
}

/* bob's probe of ann (RFC 6121 §4.3): ann's answer, bytes malloc'd. */
static char *probe(struct fx *f)
{
	struct sb_msg *m = stanza(f, SB_STYPE_PROBE, ANN, BOB_PC,
				  "<presence from='" BOB_PC "' to='" ANN "' type='probe'/>");
	char *b;

	im_probe_inbound(f->sh, m, &f->sh->router.in);
	m = self_next(f, SB_IM_X_INBOUND);
	b = bytes_of(m, BOB_PC, PHONE);
	sb_msg_free_chain(m, &f->sh->router.pool);
	return b;
}

/* bob's probe of ann is answered with want. */
static void probe_is(struct fx *f, const char *want)
{
	char *b = probe(f);

	assert_string_equal(b, want);
	free(b);
}

/* The avatar published after ann's presence: bob's probe gets the hash. */
static void test_probe_after_publish(void **state)
{
	struct fx *f = *state;

	ann_online(f, "<presence from='" PHONE "'><show>away</show></presence>");
	avatar(f, ID1);
	probe_is(f, "<presence to='" BOB_PC "' from='" PHONE "'><show>away</show>"
		 UPD "<photo>" ID1 "</photo></x></presence>");
}

/* A new avatar: the answer carries its hash, not the one broadcast before. */
static void test_probe_new_avatar(void **state)
{
	struct fx *f = *state;

	avatar(f, ID1);
	ann_online(f, "<presence from='" PHONE "'/>");
	avatar(f, ID2);
	probe_is(f, "<presence to='" BOB_PC "' from='" PHONE "'>" UPD "<photo>" ID2 "</photo></x>"
		 "</presence>");
	/* Disabled (an empty <metadata/>): an empty photo. */
	avatar(f, "");
	probe_is(f, "<presence to='" BOB_PC "' from='" PHONE "'>" UPD "<photo/></x>"
		 "</presence>");
}

/* The broadcast's rules: an x without photo replaced, not doubled; the
 * client's own photo left; no avatar, the presence as sent. */
static void test_probe_rules(void **state)
{
	struct fx *f = *state;
	struct sb_session *s;

	s = ann_online(f, "<presence from='" PHONE "'/>");
	probe_is(f, "<presence to='" BOB_PC "' from='" PHONE "'/>");
	avatar(f, ID1);
	available(f, PHONE, "<presence from='" PHONE "'>" UPD "</x><priority>1</priority></presence>");
	/* What is stored is what the client sent: the hash goes in on the way
	 * out, so a later avatar can replace it. */
	{
		static const char sent_bytes[] = "<presence from='" PHONE "'>" UPD "</x>"
						 "<priority>1</priority></presence>";

		assert_int_equal(s->pres_len, sizeof(sent_bytes) - 1);
		assert_memory_equal(s->pres, sent_bytes, sizeof(sent_bytes) - 1);
	}
	probe_is(f, "<presence to='" BOB_PC "' from='" PHONE "'><priority>1</priority>"
		 UPD "<photo>" ID1 "</photo></x></presence>");
	available(f, PHONE, "<presence from='" PHONE "'>" UPD "<photo/></x></presence>");
	probe_is(f, "<presence to='" BOB_PC "' from='" PHONE "'>" UPD "<photo/></x>"
		 "</presence>");
}

/* A session replayed after an sb-control restart: its rebuilt presence
 * gets the hash too. */
static void test_probe_replayed(void **state)
{
	struct fx *f = *state;
	struct sb_session *s;

	bob_subscribed(f);
	avatar(f, ID1);
	s = bind(f, PHONE, 7);
	s->available = true;
	s->priority = 3;
	sb_im_session_replayed(f->sh, s);
	probe_is(f, "<presence to='" BOB_PC "' from='" PHONE "'><priority>3</priority>"
		 UPD "<photo>" ID1 "</photo></x></presence>");
}

/* A new resource gets the other's presence with the hash as it is now. */
static void test_new_resource(void **state)
{
	struct fx *f = *state;
	char *b = NULL;

	bind(f, PHONE, 7);
	available(f, PHONE, "<presence from='" PHONE "'><show>dnd</show></presence>");
	avatar(f, ID1);
	bind(f, LAPTOP, 8);
	{
		struct sb_msg *m = stanza(f, SB_STYPE_NONE, "", LAPTOP,
					  "<presence from='" LAPTOP "'/>");

		sb_im_presence_own(f->sh, m, &f->sh->router.in);
	}
	for (unsigned i = 0; i < n_sent && b == NULL; i++) {
		struct sb_msg_stanza st;
		char from[SB_ROUTE_JID_MAX];

		if (sent[i]->kind != SB_MSG_DELIVER || sb_msg_stanza_read(sent[i], &st) < 0 ||
		    st.from_len != strlen(PHONE))
			continue;
		sb_msg_read(sent[i], sizeof(st) + st.to_len, from, st.from_len);
		if (memcmp(from, PHONE, st.from_len) == 0)
			b = bytes_of(sent[i], LAPTOP, PHONE);
	}
	assert_non_null(b);
	assert_string_equal(b, "<presence to='" LAPTOP "' from='" PHONE "'><show>dnd</show>"
			       UPD "<photo>" ID1 "</photo></x></presence>");
	free(b);
}

/* Directed presence (RFC 6121 §4.6, a group chat join): the hash put in
 * on the sender's shard; unavailable is left as it is. */
static void test_directed(void **state)
{
	struct fx *f = *state;
	struct sb_msg *m;
	char *b;

	avatar(f, ID1);
	bind(f, PHONE, 7);
	m = stanza(f, SB_STYPE_NONE, "room@muc." D "/ann", PHONE,
		   "<presence from='" PHONE "' to='room@muc." D "/ann'><x xmlns='http://jabber.org/"
		   "protocol/muc'/></presence>");
	im_directed_in(f->sh, m);
	m = self_next(f, SB_IM_X_INBOUND);
	b = bytes_of(m, "room@muc." D "/ann", PHONE);
	assert_string_equal(b, "<presence from='" PHONE "' to='room@muc." D "/ann'><x xmlns='http:"
			       "//jabber.org/protocol/muc'/>" UPD "<photo>" ID1 "</photo></x>"
			       "</presence>");
	free(b);
	sb_msg_free_chain(m, &f->sh->router.pool);
	m = stanza(f, SB_STYPE_UNAVAILABLE, "room@muc." D "/ann", PHONE,
		   "<presence from='" PHONE "' to='room@muc." D "/ann' type='unavailable'/>");
	im_directed_in(f->sh, m);
	m = self_next(f, SB_IM_X_INBOUND);
	b = bytes_of(m, "room@muc." D "/ann", PHONE);
	assert_string_equal(b, "<presence from='" PHONE "' to='room@muc." D "/ann' "
			       "type='unavailable'/>");
	free(b);
	sb_msg_free_chain(m, &f->sh->router.pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_after_publish, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_probe_new_avatar, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_probe_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_probe_replayed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_new_resource, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_directed, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
