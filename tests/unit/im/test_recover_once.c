/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/im/im_recover.c: what a SIGKILLed sb-control left in shared
 * memory is routed again by its successor, except what it had finished,
 * so that a message is stored or delivered exactly once. Against a real
 * LMDB store and the real router, with sb_router_send() and the message
 * pool stubbed (the test sees every DELIVER):
 *
 *  - a chain whose offline commit had returned (found again with the same
 *    origin) is not stored a second time, and its XEP-0198 promise is
 *    kept; one that was not committed is stored, and two messages with
 *    equal bytes but different origins are both stored;
 *  - of the original and its copy remade with the archive stanza-id
 *    (both still the predecessor's), only the copy is delivered;
 *  - a flush purges its window before the first chain leaves, and a
 *    recovered chain of a flush is sent only if its record is gone.
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

#define BOB_BARE "bob@example.com"
#define BOB "bob@example.com/phone"
#define BOB_WORKER 1u
#define BOB_CONN 5u
#define BOB_GEN 50u
#define ALICE "alice@example.com/pc"
#define ALICE_WORKER 0u
#define ALICE_CONN 1u
#define ALICE_GEN 7u
#define WINDOW 16u

#define SENT_MAX 64u
static struct sb_msg *sent[SENT_MAX];
static unsigned n_sent;
static int stored_at_first_send = -1; /* bob's stored messages when the first DELIVER left */

static uint32_t stored_now(struct sb_shard *sh)
{
	uint32_t n = 0;
	uint64_t last = 0;

	assert_int_equal(sb_store_offline_count(sh->router.store, BOB_BARE, strlen(BOB_BARE), 1000,
						&n, &last), 0);
	return n;
}

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	(void)w;
	assert_true(n_sent < SENT_MAX);
	if (stored_at_first_send < 0)
		stored_at_first_send = (int)stored_now(sh);
	sent[n_sent++] = m;
	return 0;
}

static int fx_setup(void **state)
{
	struct im_shard_fx *f = calloc(1, sizeof(*f));

	if (f == NULL || im_shard_fx_open(f, "recover-once", BOB_BARE, WINDOW) < 0)
		return -1;
	n_sent = 0;
	stored_at_first_send = -1;
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

/* Bob's phone, bound and available. */
static void bob_online(struct im_shard_fx *f)
{
	struct sb_session *old = NULL, *s;

	assert_int_equal(sb_session_bind(&f->sh->router.sessions, BOB, strlen(BOB),
					 strlen(BOB_BARE), BOB_WORKER, BOB_CONN, BOB_GEN, &old), 0);
	s = sb_session_find(&f->sh->router.sessions, BOB, strlen(BOB), strlen(BOB_BARE));
	assert_non_null(s);
	s->available = true;
}

/* A chat from alice's stream-management connection to bob's bare JID,
 * stanza number sm_h, read by her worker at TSC tsc; cflags: sb-control's
 * marks; body "[body]". As the chain a killed sb-control leaves. */
static struct sb_msg *chat(uint64_t tsc, uint32_t sm_h, uint16_t cflags, const char *body)
{
	char bytes[256];
	int n = snprintf(bytes, sizeof(bytes), "<message to='" BOB_BARE "' type='chat'>"
			 "<body>[%s]</body></message>", body);
	struct sb_msg_stanza h = {
		.kind = SB_STANZA_MESSAGE,
		.type = SB_STYPE_CHAT,
		.to_len = sizeof(BOB_BARE) - 1,
		.to_bare_len = sizeof(BOB_BARE) - 1,
		.from_len = sizeof(ALICE) - 1,
		.from_bare_len = sizeof("alice@example.com") - 1,
		.bytes_len = (uint32_t)n,
		.from_worker = ALICE_WORKER,
		.cflags = cflags,
		.from_gen = ALICE_GEN,
		.from_conn = ALICE_CONN,
		.sm_h = sm_h,
	};
	struct sb_msg *m = im_shard_fx_stanza(&h, BOB_BARE, ALICE, bytes, tsc);

	assert_non_null(m);
	m->flags = SB_MSG_F_SM_PROMISE;
	m->conn = ALICE_CONN;
	m->conn_gen = ALICE_GEN;
	return m;
}

static uint32_t stored(struct im_shard_fx *f)
{
	sb_im_offline_commit(f->sh);
	return stored_now(f->sh);
}

/* Whether DELIVER m's bytes contain s. */
static bool says(const struct sb_msg *m, const char *s)
{
	struct sb_msg_stanza h;
	char bytes[512];

	assert_int_equal(sb_msg_stanza_read(m, &h), 0);
	assert_true(h.bytes_len < sizeof(bytes));
	sb_msg_read(m, sb_msg_stanza_bytes_off(&h), bytes, h.bytes_len);
	bytes[h.bytes_len] = '\0';
	return strstr(bytes, s) != NULL;
}

/* The promise entries owed to alice's worker, and the last one's h. */
static uint32_t promised(struct im_shard_fx *f, uint32_t *last_h)
{
	const struct sb_promise_batch *b = &f->sh->router.pr.w[ALICE_WORKER];

	if (b->n > 0)
		*last_h = b->e[b->n - 1].sm_h;
	return b->n;
}

static void test_committed_not_stored_again(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_msg *again;
	uint32_t h = 0;

	/* Stored and committed by the predecessor... */
	sb_promise_route(f->sh, chat(1000, 1, 0, "one"));
	assert_int_equal(stored(f), 1);
	assert_int_equal(promised(f, &h), 1);
	/* ...whose chain was still tagged CONTROL when the kill came. */
	again = chat(1000, 1, 0, "one");
	sb_im_recovered(f->sh, &again, 1);
	assert_int_equal(stored(f), 1);
	assert_int_equal(f->sh->router.im.ctr[SB_IM_CTR_recover_dedup_stored], 1);
	assert_int_equal(f->sh->router.im.ctr[SB_IM_CTR_offline_recovered], 0);
	/* Safe: in storage. The worker is told (again: entries may repeat). */
	assert_int_equal(promised(f, &h), 2);
	assert_int_equal(h, 1);
	assert_int_equal(n_sent, 0);
}

static void test_uncommitted_stored_once(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_msg *rec[2];

	/* One committed; the next two never were (the same bytes as the
	 * first, read later: another message). */
	sb_promise_route(f->sh, chat(1000, 1, 0, "same"));
	assert_int_equal(stored(f), 1);
	rec[0] = chat(2000, 2, 0, "same");
	rec[1] = chat(3000, 3, 0, "other");
	sb_im_recovered(f->sh, rec, 2);
	assert_int_equal(stored(f), 3);
	assert_int_equal(f->sh->router.im.ctr[SB_IM_CTR_offline_recovered], 2);
	assert_int_equal(f->sh->router.im.ctr[SB_IM_CTR_recover_dedup_stored], 0);
}

static void test_remade_twin_delivered_once(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_msg *rec[2];

	bob_online(f);
	/* The original and its copy with the archive's stanza-id: the kill
	 * came before the original was freed. In either order. */
	rec[0] = chat(1000, 1, SB_MSG_ST_ARCHIVED, "sid");
	rec[1] = chat(1000, 1, 0, "orig");
	sb_im_recovered(f->sh, rec, 2);
	assert_int_equal(n_sent, 1);
	assert_true(says(sent[0], "[sid]"));
	rec[0] = chat(2000, 2, 0, "orig");
	rec[1] = chat(2000, 2, SB_MSG_ST_ARCHIVED, "sid");
	sb_im_recovered(f->sh, rec, 2);
	assert_int_equal(n_sent, 2);
	assert_true(says(sent[1], "[sid]"));
	assert_int_equal(f->sh->router.im.ctr[SB_IM_CTR_recover_dedup_twin], 2);
	/* Not a twin: same TSC on another worker. */
	rec[0] = chat(3000, 3, 0, "a");
	rec[1] = chat(3000, 4, 0, "b");
	memcpy(&rec[1]->payload[offsetof(struct sb_msg_stanza, from_worker)],
	       &(uint16_t){ BOB_WORKER }, sizeof(uint16_t));
	sb_im_recovered(f->sh, rec, 2);
	assert_int_equal(n_sent, 4);
}

/* Stored messages for bob, then his initial presence: the window. */
static void flush_three(struct im_shard_fx *f)
{
	struct sb_session *s;

	for (unsigned i = 0; i < 3; i++)
		sb_promise_route(f->sh, chat(1000 + i, 1 + i, 0, "stored"));
	assert_int_equal(stored(f), 3);
	bob_online(f);
	s = sb_session_find(&f->sh->router.sessions, BOB, strlen(BOB), strlen(BOB_BARE));
	im_offline_deliver(f->sh, s);
}

static void test_flush_purges_before_sending(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_msg_stanza h;

	flush_three(f);
	assert_int_equal(n_sent, 3);
	/* A kill after the first left would otherwise leave it stored too. */
	assert_int_equal(stored_at_first_send, 0);
	for (unsigned i = 0; i < n_sent; i++) {
		assert_int_equal(sb_msg_stanza_read(sent[i], &h), 0);
		assert_true(h.cflags & SB_MSG_ST_STORED);
		assert_int_not_equal(sent[i]->seq, 0);
	}
}

static void test_flush_chain_recovered(void **state)
{
	struct im_shard_fx *f = *state;
	struct sb_msg *m;

	flush_three(f);
	/* A chain of that window found again (it waited in a backlog): its
	 * record is gone, so it is sent. */
	m = sent[--n_sent];
	sb_im_recovered(f->sh, &m, 1);
	assert_int_equal(n_sent, 3);
	assert_ptr_equal(sent[2], m);
	/* The same chain while its record is still stored (the kill came
	 * before the purge): dropped, the record goes at the next flush. */
	sb_session_find(&f->sh->router.sessions, BOB, strlen(BOB), strlen(BOB_BARE))->available =
		false;
	sb_promise_route(f->sh, chat(5000, 9, 0, "kept"));
	assert_int_equal(stored(f), 1);
	m = sb_router_copy(&f->sh->router, sent[2]);
	assert_non_null(m);
	m->kind = SB_MSG_DELIVER;
	{
		uint32_t n = 0;
		uint64_t last = 0;

		assert_int_equal(sb_store_offline_count(&f->st, BOB_BARE, strlen(BOB_BARE), 1000,
							&n, &last), 0);
		m->seq = last;
	}
	sb_im_recovered(f->sh, &m, 1);
	assert_int_equal(n_sent, 3);
	assert_int_equal(stored(f), 1);
	assert_int_equal(f->sh->router.im.ctr[SB_IM_CTR_recover_dedup_flush], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_committed_not_stored_again, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted_stored_once, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_remade_twin_delivered_once, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_purges_before_sending, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_flush_chain_recovered, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
