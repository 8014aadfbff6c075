/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/im/im_offline.c's flow-controlled flush, against a real LMDB
 * store and the real router (route_stanza.c): a user with more stored
 * messages than im.offline_flush_window gets exactly a window at initial
 * presence, the last flagged SB_MSG_F_FLUSH_MORE, and only those purged;
 * the worker's FLUSH_MORE brings the next window, the last window has no
 * flag and ends the flush. A live message for the user during the flush
 * is stored behind the rest and arrives in its turn; a headline (never
 * stored) goes at once; after the flush, messages are delivered live
 * again. A FLUSH_MORE for another connection, or for a session that went
 * unavailable, sends nothing. When the flushing session ends or goes
 * unavailable, the flush continues on another available resource of the
 * account, else the rest stays stored. sb_router_send() (route.c) and
 * the message pool are stubs: the test sees every DELIVER the shard sends.
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

#include "im_shard_fx.h"
#include "msg_heap.h"
#include "im/im_priv.h"
#include "router.h"
#include "shard.h"

#define WINDOW 16u
#define STORED 40u
#define BOB "bob@example.com/phone"
#define BOB_BARE_LEN 15u
#define BOB_WORKER 1u
#define BOB_CONN 5u
#define BOB_GEN 50u

/* DELIVERs the shard sent, in order. */
#define SENT_MAX 256u
static struct sb_msg *sent[SENT_MAX];
static unsigned sent_w[SENT_MAX];
static unsigned n_sent;

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	(void)sh;
	assert_true(n_sent < SENT_MAX);
	sent_w[n_sent] = w;
	sent[n_sent++] = m;
	return 0;
}

static struct sb_session *bob(struct im_shard_fx *f)
{
	return sb_session_find(&f->sh->router.sessions, BOB, strlen(BOB), BOB_BARE_LEN);
}

static int fx_setup(void **state)
{
	struct im_shard_fx *f = calloc(1, sizeof(*f));
	struct sb_session *old = NULL;

	if (f == NULL || im_shard_fx_open(f, "offline-window", "bob@example.com", WINDOW) < 0)
		return -1;
	if (sb_session_bind(&f->sh->router.sessions, BOB, strlen(BOB), BOB_BARE_LEN, BOB_WORKER,
			    BOB_CONN, BOB_GEN, &old) < 0)
		return -1;
	n_sent = 0;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct im_shard_fx *f = *state;

	im_shard_fx_close(f, sent, n_sent);
	free(f);
	return 0;
}

/* A message from alice's connection (worker 0) to `to`, body "[i]". */
static struct sb_msg *chat(const char *to, uint8_t type, unsigned i)
{
	static const char from[] = "alice@example.com/pc";
	const char *slash = strchr(to, '/');
	char bytes[256];
	int n = snprintf(bytes, sizeof(bytes), "<message to='%s' type='%s'><body>[%u]</body>"
			 "</message>", to, type == SB_STYPE_HEADLINE ? "headline" : "chat", i);
	struct sb_msg_stanza h = {
		.kind = SB_STANZA_MESSAGE,
		.type = type,
		.to_len = (uint16_t)strlen(to),
		.to_bare_len = (uint16_t)(slash ? (size_t)(slash - to) : strlen(to)),
		.from_len = sizeof(from) - 1,
		.from_bare_len = sizeof("alice@example.com") - 1,
		.bytes_len = (uint32_t)n,
		.from_worker = 0,
		.from_conn = 1,
		.from_gen = 7,
	};
	struct sb_msg *m = im_shard_fx_stanza(&h, to, from, bytes, 0);

	assert_non_null(m);
	return m;
}

/* A FLUSH_MORE from bob's worker naming (conn, gen) and full JID jid. */
static struct sb_msg *flush_more_of(const char *jid, uint64_t conn, uint32_t gen)
{
	struct sb_msg *m = sb_test_msg_alloc(NULL);
	struct sb_msg_jid j = { .len = (uint16_t)strlen(jid), .bare_len = BOB_BARE_LEN };

	sb_msg_encode(m, SB_MSG_FLUSH_MORE, BOB_WORKER, 0, (uint32_t)(sizeof(j) + j.len), 0, 0);
	memcpy(m->payload, &j, sizeof(j));
	memcpy(m->payload + sizeof(j), jid, j.len);
	m->conn = conn;
	m->conn_gen = gen;
	return m;
}

/* The same, for bob's phone. */
static struct sb_msg *flush_more(uint64_t conn, uint32_t gen)
{
	return flush_more_of(BOB, conn, gen);
}

/* The number in the body of DELIVER m. */
static unsigned body_num(const struct sb_msg *m)
{
	struct sb_msg_stanza h;
	char bytes[512];
	const char *p;

	assert_int_equal(sb_msg_stanza_read(m, &h), 0);
	assert_true(h.bytes_len < sizeof(bytes));
	sb_msg_read(m, sb_msg_stanza_bytes_off(&h), bytes, h.bytes_len);
	bytes[h.bytes_len] = '\0';
	p = strstr(bytes, "<body>[");
	assert_non_null(p);
	return (unsigned)strtoul(p + 7, NULL, 10);
}

/* Assert the DELIVERs sent since `from` are bodies first.., to bob's
 * connection, only the last flagged iff flagged; returns how many. */
static unsigned expect_window(unsigned from, unsigned first, unsigned n, bool flagged)
{
	assert_int_equal(n_sent - from, n);
	for (unsigned i = 0; i < n; i++) {
		const struct sb_msg *m = sent[from + i];

		assert_int_equal(m->kind, SB_MSG_DELIVER);
		assert_int_equal(sent_w[from + i], BOB_WORKER);
		assert_int_equal(m->conn, BOB_CONN);
		assert_int_equal(m->conn_gen, BOB_GEN);
		assert_int_equal(body_num(m), first + i);
		assert_int_equal((m->flags & SB_MSG_F_FLUSH_MORE) != 0, flagged && i == n - 1);
	}
	return n;
}

static uint32_t stored(struct im_shard_fx *f)
{
	uint32_t n = 0;
	uint64_t last = 0;

	sb_im_offline_commit(f->sh);
	assert_int_equal(sb_store_offline_count(&f->st, "bob@example.com", BOB_BARE_LEN, 1000, &n,
						&last), 0);
	return n;
}

/* STORED messages for bob while his session is not available, then
 * initial presence: the first window. */
static void store_then_available(struct im_shard_fx *f)
{
	struct sb_session *s = bob(f);

	for (unsigned i = 0; i < STORED; i++)
		sb_router_stanza(f->sh, chat("bob@example.com", SB_STYPE_CHAT, i));
	assert_int_equal(n_sent, 0);
	assert_int_equal(stored(f), STORED);
	s->available = true;
	im_offline_deliver(f->sh, s);
}

static void test_window_then_more(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_im *im = &f->sh->router.im;
	unsigned at = 0;

	store_then_available(f);
	/* A window, the last flagged; only those purged. */
	at += expect_window(at, 0, WINDOW, true);
	assert_true(bob(f)->flushing);
	assert_int_equal(stored(f), STORED - WINDOW);
	assert_int_equal(im->ctr[SB_IM_CTR_offline_windows], 1);
	/* Nothing more until the worker wrote the last. */
	assert_int_equal(n_sent, at);
	sb_im_offline_more(f->sh, flush_more(BOB_CONN, BOB_GEN));
	at += expect_window(at, WINDOW, WINDOW, true);
	assert_int_equal(stored(f), STORED - 2 * WINDOW);
	/* The last window: the rest, unflagged, and the flush is over. */
	sb_im_offline_more(f->sh, flush_more(BOB_CONN, BOB_GEN));
	at += expect_window(at, 2 * WINDOW, STORED - 2 * WINDOW, false);
	assert_false(bob(f)->flushing);
	assert_int_equal(stored(f), 0);
	assert_int_equal(im->ctr[SB_IM_CTR_offline_windows], 3);
	assert_int_equal(im->ctr[SB_IM_CTR_offline_flush_more], 2);
	assert_int_equal(im->ctr[SB_IM_CTR_offline_delivered], STORED);
	/* Not flushing: a live message is delivered at once. */
	sb_router_stanza(f->sh, chat("bob@example.com", SB_STYPE_CHAT, 99));
	at += expect_window(at, 99, 1, false);
	assert_int_equal(im->ctr[SB_IM_CTR_offline_behind_flush], 0);
}

static void test_live_message_stored_behind(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_im *im = &f->sh->router.im;
	unsigned at = 0;

	store_then_available(f);
	at += expect_window(at, 0, WINDOW, true);
	/* During the flush: to the bare JID and to bob's full JID, both
	 * stored behind the rest; a headline (never stored) goes at once. */
	sb_router_stanza(f->sh, chat("bob@example.com", SB_STYPE_CHAT, STORED));
	sb_router_stanza(f->sh, chat(BOB, SB_STYPE_CHAT, STORED + 1));
	assert_int_equal(n_sent, at);
	assert_int_equal(im->ctr[SB_IM_CTR_offline_behind_flush], 2);
	sb_router_stanza(f->sh, chat("bob@example.com", SB_STYPE_HEADLINE, 500));
	at += expect_window(at, 500, 1, false);
	assert_int_equal(stored(f), STORED - WINDOW + 2);
	/* They arrive in their turn, after every older one. */
	sb_im_offline_more(f->sh, flush_more(BOB_CONN, BOB_GEN));
	at += expect_window(at, WINDOW, WINDOW, true);
	sb_im_offline_more(f->sh, flush_more(BOB_CONN, BOB_GEN));
	at += expect_window(at, 2 * WINDOW, STORED + 2 - 2 * WINDOW, false);
	assert_false(bob(f)->flushing);
	assert_int_equal(stored(f), 0);
}

static void test_flush_more_stale_or_unavailable(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_im *im = &f->sh->router.im;
	unsigned at = 0;

	store_then_available(f);
	at += expect_window(at, 0, WINDOW, true);
	/* Another generation of the handle: a connection since closed. */
	sb_im_offline_more(f->sh, flush_more(BOB_CONN, BOB_GEN + 1));
	assert_int_equal(n_sent, at);
	assert_int_equal(im->ctr[SB_IM_CTR_offline_flush_stale], 1);
	assert_true(bob(f)->flushing);
	/* Unavailable: the flush stops, the rest stays stored. */
	bob(f)->available = false;
	sb_im_offline_more(f->sh, flush_more(BOB_CONN, BOB_GEN));
	assert_int_equal(n_sent, at);
	assert_false(bob(f)->flushing);
	assert_int_equal(stored(f), STORED - WINDOW);
	/* Available again: the next initial presence starts over. */
	bob(f)->available = true;
	im_offline_deliver(f->sh, bob(f));
	at += expect_window(at, WINDOW, WINDOW, true);
}

#define TAB "bob@example.com/tablet"
#define TAB_CONN 6u
#define TAB_GEN 60u

/* bob's tablet, available, bound after the phone's flush began (its own
 * initial presence would have started a flush of its own). */
static struct sb_session *bind_tablet(struct im_shard_fx *f)
{
	struct sb_session *old = NULL, *t;

	assert_int_equal(sb_session_bind(&f->sh->router.sessions, TAB, strlen(TAB), BOB_BARE_LEN,
					 BOB_WORKER, TAB_CONN, TAB_GEN, &old), 0);
	t = sb_session_find(&f->sh->router.sessions, TAB, strlen(TAB), BOB_BARE_LEN);
	assert_non_null(t);
	t->available = true;
	return t;
}

/* Whether m is one of the test's messages (not a presence broadcast). */
static bool is_body(const struct sb_msg *m)
{
	struct sb_msg_stanza h;

	if (m->kind != SB_MSG_DELIVER)
		return false;
	assert_int_equal(sb_msg_stanza_read(m, &h), 0);
	return h.kind == SB_STANZA_MESSAGE;
}

/* The messages sent since `from` all go to the tablet, bodies first..;
 * returns how many. */
static unsigned to_tablet(unsigned from, unsigned first)
{
	unsigned n = 0;

	for (unsigned i = from; i < n_sent; i++) {
		if (!is_body(sent[i]))
			continue;
		assert_int_equal(sent[i]->conn, TAB_CONN);
		assert_int_equal(sent[i]->conn_gen, TAB_GEN);
		assert_int_equal(body_num(sent[i]), first + n);
		n++;
	}
	return n;
}

/* bob's phone sends unavailable presence. */
static struct sb_msg *phone_unavailable(void)
{
	static const char bytes[] = "<presence type='unavailable'/>";
	struct sb_msg_stanza h = {
		.kind = SB_STANZA_PRESENCE,
		.type = SB_STYPE_UNAVAILABLE,
		.from_len = sizeof(BOB) - 1,
		.from_bare_len = BOB_BARE_LEN,
		.bytes_len = sizeof(bytes) - 1,
		.from_worker = BOB_WORKER,
		.from_conn = BOB_CONN,
		.from_gen = BOB_GEN,
	};
	struct sb_msg *m = im_shard_fx_stanza(&h, "", BOB, bytes, 0);

	assert_non_null(m);
	return m;
}

/* The phone's session ends mid-flush: the rest goes to the tablet, a
 * window at a time, in order, instead of waiting for a presence. */
static void test_flush_moves_when_session_ends(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_im *im = &f->sh->router.im;
	unsigned at = 0;

	store_then_available(f);
	at += expect_window(at, 0, WINDOW, true);
	bind_tablet(f);
	sb_im_session_gone(f->sh, bob(f));
	assert_int_equal(sb_session_unbind(&f->sh->router.sessions, BOB, strlen(BOB),
					   BOB_BARE_LEN, BOB_CONN, BOB_GEN), 0);
	assert_int_equal(to_tablet(at, WINDOW), WINDOW);
	at = n_sent;
	assert_int_equal(im->ctr[SB_IM_CTR_offline_flush_moved], 1);
	/* The phone's late FLUSH_MORE is stale; the tablet's brings the rest. */
	sb_im_offline_more(f->sh, flush_more(BOB_CONN, BOB_GEN));
	assert_int_equal(n_sent, at);
	sb_im_offline_more(f->sh, flush_more_of(TAB, TAB_CONN, TAB_GEN));
	assert_int_equal(to_tablet(at, 2 * WINDOW), STORED - 2 * WINDOW);
	assert_int_equal(stored(f), 0);
}

/* Unavailable mid-flush: the same, at once (not at the next FLUSH_MORE). */
static void test_flush_moves_when_unavailable(void **state)
{
	struct im_shard_fx *f = *state;
	unsigned at = 0;

	store_then_available(f);
	at += expect_window(at, 0, WINDOW, true);
	bind_tablet(f);
	sb_router_stanza(f->sh, phone_unavailable());
	assert_false(bob(f)->available);
	assert_int_equal(to_tablet(at, WINDOW), WINDOW);
	assert_int_equal(stored(f), STORED - 2 * WINDOW);
}

/* No other available resource: the rest stays stored. */
static void test_flush_ends_stored_without_heir(void **state)
{
	struct im_shard_fx *f = *state;
	unsigned at = 0;

	store_then_available(f);
	at += expect_window(at, 0, WINDOW, true);
	bind_tablet(f)->available = false;
	sb_im_session_gone(f->sh, bob(f));
	assert_int_equal(n_sent, at);
	assert_false(bob(f)->flushing);
	assert_int_equal(stored(f), STORED - WINDOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window_then_more, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_live_message_stored_behind, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_more_stale_or_unavailable, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_moves_when_session_ends, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_moves_when_unavailable, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_ends_stored_without_heir, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
