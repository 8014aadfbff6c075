/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/router/sm.c (XEP-0198 §5 in a shard) against the real session
 * table: a resumable session hibernates with the chains its connection
 * gave back, queues what is routed to it, and on resume moves to the new
 * connection, answers with the inbound count and replays the queue in
 * order less what the client's h covers; an unknown id fails, an expired
 * one fails with its h (tombstone) after the queue was routed again; a
 * resume over a live stream kicks it (KICK_RESUMED) and completes on its
 * HIBERNATE; a queue past its bound ends the session at the next turn.
 * sb_router_send/deliver/stanza, sb_im_session_gone and the pool are stubs.
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
#include "router.h"
#include "shard.h"

#define LOG_MAX 64
#define JID "ann@example.com/phone"
#define BARE_LEN 15u

enum { EV_SEND, EV_DELIVER, EV_REROUTE, EV_GONE };
static struct {
	int ev;
	struct sb_msg *m;
} lg[LOG_MAX];
static unsigned n_log;

static void log_ev(int ev, struct sb_msg *m)
{
	assert_true(n_log < LOG_MAX);
	lg[n_log].ev = ev;
	lg[n_log++].m = m;
}

int sb_router_send(struct sb_shard *sh, unsigned w, struct sb_msg *m)
{
	(void)sh;
	assert_int_equal(m->worker, w);
	log_ev(EV_SEND, m);
	return 0;
}

void sb_router_deliver(struct sb_shard *sh, struct sb_msg *m, const struct sb_session *s)
{
	if (s->sm != NULL && sb_sm_take(sh, (struct sb_session *)s, m))
		return;
	m->conn = s->conn;
	m->conn_gen = s->conn_gen;
	log_ev(EV_DELIVER, m);
}

void sb_router_stanza(struct sb_shard *sh, struct sb_msg *m)
{
	(void)sh;
	log_ev(EV_REROUTE, m);
}

void sb_im_session_gone(struct sb_shard *sh, struct sb_session *s)
{
	(void)sh;
	(void)s;
	log_ev(EV_GONE, NULL);
}

/* control/im/im_offline.c: a flush of stored messages goes on after the
 * resume; counted, the window itself is tested with the IM module. */
static unsigned n_flush_resumed;

void sb_im_offline_resumed(struct sb_shard *sh, struct sb_session *s)
{
	(void)sh;
	(void)s;
	n_flush_resumed++;
}

/* XEP-0357 (control/im/im_push.c): counted, the notification itself is
 * tested with the IM module. */
static unsigned n_push;

void sb_im_push_hibernated(struct sb_shard *sh, const struct sb_session *s, const struct sb_msg *m,
			   uint32_t waiting)
{
	(void)sh;
	(void)s;
	(void)m;
	(void)waiting;
	n_push++;
}

static struct sb_shard *shard_new(void)
{
	struct sb_shard *sh = calloc(1, sizeof(*sh));
	struct sb_session *old = NULL;

	assert_non_null(sh);
	sh->index = 0;
	sh->n_workers = 2;
	sh->router.pool.alloc = sb_test_msg_alloc;
	sh->router.pool.free = sb_test_msg_free;
	sh->router.sm.queue_max = 8;
	assert_int_equal(sb_session_table_init(&sh->router.sessions, 16, 100), 0);
	assert_int_equal(sb_session_bind(&sh->router.sessions, JID, strlen(JID), BARE_LEN, 0, 7, 70,
					 &old), 0);
	n_log = 0;
	n_flush_resumed = 0;
	return sh;
}

static void shard_free(struct sb_shard *sh)
{
	for (unsigned i = 0; i < n_log; i++)
		free(lg[i].m);
	sb_session_table_free(&sh->router.sessions);
	free(sh->router.sm.tombs);
	free(sh);
}

static const uint8_t ID[SB_MSG_SM_ID] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* An SM message from (worker, conn, gen) with jid. */
static struct sb_msg *sm_msg(enum sb_msg_kind kind, uint16_t w, uint64_t conn, uint32_t gen,
			     const char *jid, size_t bare_len, uint32_t h_in, uint32_t h_out,
			     uint32_t max_s)
{
	struct sb_msg *m = sb_test_msg_alloc(NULL);
	struct sb_msg_sm p = { .h_in = h_in, .h_out = h_out, .max_s = max_s,
			       .jid_len = (uint16_t)strlen(jid), .bare_len = (uint16_t)bare_len };

	memcpy(p.id, ID, sizeof(ID));
	sb_msg_encode(m, kind, w, 0, (uint32_t)(sizeof(p) + p.jid_len), 0, 0);
	memcpy(m->payload, &p, sizeof(p));
	memcpy(m->payload + sizeof(p), jid, p.jid_len);
	m->conn = conn;
	m->conn_gen = gen;
	return m;
}

/* A stanza chain for the session; returned by its own connection with
 * outbound number seq when seq != 0. */
static struct sb_msg *chain(uint64_t tag, uint32_t seq)
{
	struct sb_msg *m = sb_test_msg_alloc(NULL);

	sb_msg_encode(m, SB_MSG_STANZA, 0, 0, 0, 0, 0);
	m->status = (int16_t)tag;
	if (seq != 0) {
		m->flags = SB_MSG_F_RETURNED | SB_MSG_F_SM_SENT;
		m->sm_seq = seq;
		m->conn = 7;
		m->conn_gen = 70;
	}
	return m;
}

static struct sb_session *ann(struct sb_shard *sh)
{
	return sb_session_find(&sh->router.sessions, JID, strlen(JID), BARE_LEN);
}

static void hibernate_with(struct sb_shard *sh, uint32_t max_s)
{
	struct sb_session *s;

	sb_sm_enable(sh, sm_msg(SB_MSG_SM_ENABLE, 0, 7, 70, JID, BARE_LEN, 0, 0, max_s));
	s = ann(sh);
	assert_non_null(s->sm);
	for (uint32_t seq = 1; seq <= 3; seq++)
		assert_true(sb_sm_take(sh, s, chain(seq, seq)));
	sb_sm_hibernate(sh, sm_msg(SB_MSG_HIBERNATE, 0, 7, 70, JID, BARE_LEN, 5, 3, 0));
	assert_true(s->sm->hibernated);
	/* routed to it while it is away */
	sb_router_deliver(sh, chain(4, 0), s);
	assert_int_equal(s->sm->q_n, 4);
	assert_int_equal(n_log, 0);
}

static void test_resume_replays_in_order(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_session *s;
	struct sb_msg_sm p;

	(void)state;
	hibernate_with(sh, 300);
	/* a new connection on worker 1, whose client had 2 of the 3 */
	sb_sm_resume(sh, sm_msg(SB_MSG_RESUME_REQ, 1, 9, 90, "ann@example.com", BARE_LEN, 0, 2, 0));
	s = ann(sh);
	assert_int_equal(s->worker, 1);
	assert_int_equal(s->conn, 9);
	assert_false(s->sm->hibernated);
	assert_int_equal(n_log, 3);
	assert_int_equal(lg[0].ev, EV_SEND);
	assert_int_equal(lg[0].m->kind, SB_MSG_RESUME_RESP);
	assert_int_equal(lg[0].m->status, 0);
	assert_int_equal(lg[0].m->conn, 9);
	sb_msg_read(lg[0].m, 0, &p, sizeof(p));
	assert_int_equal(p.h_in, 5);
	assert_int_equal(p.jid_len, strlen(JID));
	assert_int_equal(lg[1].ev, EV_DELIVER);
	assert_int_equal(lg[1].m->status, 3);
	assert_int_equal(lg[1].m->conn, 9);
	assert_int_equal(lg[2].ev, EV_DELIVER);
	assert_int_equal(lg[2].m->status, 4);
	assert_int_equal(sh->router.ctr[SB_ROUTE_CTR_sm_replay_had], 2);
	/* a flush of stored offline messages goes on, after the queue */
	assert_int_equal(n_flush_resumed, 1);
	/* a late copy of seq 1 from the old connection: the client had it */
	assert_true(sb_sm_take(sh, s, chain(1, 1)));
	assert_int_equal(n_log, 3);
	shard_free(sh);
}

static void test_unknown_then_expired(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_msg_sm p;

	(void)state;
	sb_sm_resume(sh, sm_msg(SB_MSG_RESUME_REQ, 1, 9, 90, "ann@example.com", BARE_LEN, 0, 0, 0));
	assert_int_equal(n_log, 1);
	assert_int_equal(lg[0].m->status, -ENOENT);
	sb_msg_read(lg[0].m, 0, &p, sizeof(p));
	assert_int_equal(p.flags & SB_MSG_SM_H_KNOWN, 0);
	free(lg[0].m);
	n_log = 0;
	hibernate_with(sh, 0); /* a window of 0 s: over at the next turn */
	assert_int_equal(sb_sm_turn(sh), 1);
	assert_null(ann(sh));
	/* gone broadcast, then the 4 queued chains routed again, in order */
	assert_int_equal(n_log, 5);
	assert_int_equal(lg[0].ev, EV_GONE);
	for (unsigned i = 1; i < 5; i++) {
		assert_int_equal(lg[i].ev, EV_REROUTE);
		assert_int_equal(lg[i].m->status, (int16_t)i);
		assert_true(lg[i].m->flags & SB_MSG_F_RETURNED);
		assert_false(lg[i].m->flags & SB_MSG_F_SM_SENT);
	}
	sb_sm_resume(sh, sm_msg(SB_MSG_RESUME_REQ, 1, 9, 90, "ann@example.com", BARE_LEN, 0, 0, 0));
	assert_int_equal(lg[5].m->status, -ENOENT);
	sb_msg_read(lg[5].m, 0, &p, sizeof(p));
	assert_true(p.flags & SB_MSG_SM_H_KNOWN);
	assert_int_equal(p.h_in, 5);
	shard_free(sh);
}

static void test_resume_over_open_stream(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_session *s;

	(void)state;
	sb_sm_enable(sh, sm_msg(SB_MSG_SM_ENABLE, 0, 7, 70, JID, BARE_LEN, 0, 0, 300));
	sb_sm_resume(sh, sm_msg(SB_MSG_RESUME_REQ, 1, 9, 90, "ann@example.com", BARE_LEN, 0, 0, 0));
	assert_int_equal(n_log, 1);
	assert_int_equal(lg[0].m->kind, SB_MSG_KICK);
	assert_int_equal(lg[0].m->status, SB_MSG_KICK_RESUMED);
	assert_int_equal(lg[0].m->conn, 7);
	s = ann(sh);
	assert_true(sb_sm_take(sh, s, chain(1, 1)));
	sb_sm_hibernate(sh, sm_msg(SB_MSG_HIBERNATE, 0, 7, 70, JID, BARE_LEN, 2, 1, 0));
	assert_int_equal(s->conn, 9);
	assert_int_equal(n_log, 3);
	assert_int_equal(lg[1].m->kind, SB_MSG_RESUME_RESP);
	assert_int_equal(lg[1].m->status, 0);
	assert_int_equal(lg[2].ev, EV_DELIVER);
	assert_int_equal(lg[2].m->conn, 9);
	shard_free(sh);
}

static void test_queue_bound_ends_session(void **state)
{
	struct sb_shard *sh = shard_new();
	struct sb_session *s;

	(void)state;
	hibernate_with(sh, 300);
	s = ann(sh);
	for (uint64_t i = 5; i <= 9; i++)
		sb_router_deliver(sh, chain(i, 0), s);
	assert_int_equal(s->sm->q_n, 9);
	assert_int_equal(sh->router.ctr[SB_ROUTE_CTR_sm_queue_full], 1);
	assert_int_equal(sb_sm_turn(sh), 1);
	assert_null(ann(sh));
	assert_int_equal(n_log, 10); /* gone, then 9 routed again */
	shard_free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_replays_in_order),
		cmocka_unit_test(test_unknown_then_expired),
		cmocka_unit_test(test_resume_over_open_stream),
		cmocka_unit_test(test_queue_bound_ends_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
