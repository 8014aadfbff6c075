/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TCP glue (dataplane/tcp/) between two workers' stacks: receive with
 * the application holding its window shut, send with the per-connection
 * queue limit (tcp.snd_queue_max) against a peer that does not read, and
 * everything arriving intact and in order once the reader catches up; a
 * data segment completing the handshake (its ACK lost) reaches the
 * application after its accept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "dp_harness.h"
#include "tcp/conn.h"
#include "worker.h"

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 31u + (i >> 8));
}

static void fill(uint8_t *p, uint32_t off, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = pattern(off + i);
}

static void assert_pattern(const struct dp_sock *s, uint32_t n)
{
	for (uint32_t i = 0; i < RTE_MIN(n, s->rx_len); i++)
		if (s->rx[i] != pattern(i))
			fail_msg("byte %u: got %u, sent %u", i, s->rx[i], pattern(i));
	assert_int_equal(s->rx_len, n);
}

/* Read everything s holds until total bytes arrived; time moves on so
 * that a lost window update is repaired by the sender's persist timer. */
static void read_all(struct dp_h *h, struct dp_sock *s, uint32_t total)
{
	for (unsigned round = 0; s->rx_len < total && round < 200; round++) {
		dp_read(h, s, s->held);
		if (s->held == 0)
			dp_advance(h, 10);
	}
	dp_advance(h, 500); /* the last delayed ACK */
}

static void test_receive_window_holds_data_back(void **state)
{
	static uint8_t buf[20000];
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct dp_sock *ps = dp_connect(h, DP_PORT_REC);
	struct dp_sock *gs = &h->gw_socks[0];
	uint32_t held;

	(void)state;
	assert_int_equal(h->n_gw_socks, 1);
	gs->rcv_limit = 1; /* the application takes nothing more than it holds */
	fill(buf, 0, sizeof(buf));
	dp_send(h, ps, buf, sizeof(buf));
	dp_advance(h, 500); /* delayed ACKs out */
	held = gs->held;
	assert_true(held > 0);
	assert_true(held <= h->cfg.tcp_rcv_space);
	/* The rest waits in the sender's queue, not in the receiver. */
	assert_int_equal(held + ps->c->snd_queued, sizeof(buf));
	/* Zero window: time passes, persist probes go out, nothing more is taken. */
	dp_advance(h, 2000);
	assert_int_equal(gs->held, held);
	assert_int_equal(ps->c->snd_queued, sizeof(buf) - held);

	gs->rcv_limit = 4096;
	read_all(h, gs, sizeof(buf));
	assert_pattern(gs, sizeof(buf));
	assert_int_equal(ps->c->snd_queued, 0);
	assert_true(ps->writable > 0);
	assert_int_equal(DP_CTR(h, tcp_rx_lost), 0);
	dp_close(h, ps);
	assert_true(gs->closed);
	dp_free(h);
}

static void test_send_queue_limit(void **state)
{
	static uint8_t buf[1000];
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct dp_sock *ps = dp_connect(h, DP_PORT_REC);
	struct dp_sock *gs = &h->gw_socks[0];
	uint32_t max = (uint32_t)h->cfg.tcp_snd_queue_max, sent = 0;

	(void)state;
	ps->rcv_limit = 1; /* the peer application reads nothing */
	dp_read(h, ps, 0);
	/* The gateway's application sends while the glue says there is room. */
	for (unsigned i = 0; i < 1000 && sb_conn_snd_space(h->gw, gs->c) > 0; i++) {
		uint32_t n = RTE_MIN((uint32_t)sizeof(buf), sb_conn_snd_space(h->gw, gs->c));

		fill(buf, sent, n);
		dp_send(h, gs, buf, n);
		sent += n;
	}
	assert_int_equal(sb_conn_snd_space(h->gw, gs->c), 0);
	assert_int_equal(gs->c->snd_queued, max);
	assert_int_equal(sent, max + ps->held);
	/* Past the limit by more than a window: refused, nothing queued. */
	assert_int_equal(sb_conn_send_bytes(h->gw, gs->c, buf, h->cfg.tcp_rcv_space + 1),
			 -ENOBUFS);
	assert_int_equal(gs->c->snd_queued, max);

	/* The peer reads: acknowledgements free the queue and the
	 * application hears it can write again. */
	gs->writable = 0;
	ps->rcv_limit = 8192;
	read_all(h, ps, sent);
	assert_pattern(ps, sent);
	assert_true(gs->writable > 0);
	assert_int_equal(gs->c->snd_queued, 0);
	assert_int_equal(sb_conn_snd_space(h->gw, gs->c), max);
	dp_free(h);
}

static void test_echo_through_the_glue(void **state)
{
	static uint8_t buf[3000];
	struct dp_h *h = dp_new(&(struct dp_opts){ 0 });
	struct dp_sock *ps = dp_connect(h, DP_PORT_ECHO);

	(void)state;
	fill(buf, 0, sizeof(buf));
	dp_send(h, ps, buf, 1);
	dp_send(h, ps, buf + 1, sizeof(buf) - 1);
	assert_pattern(ps, sizeof(buf));
	dp_close(h, ps);
	assert_true(ps->peer_fin);
	assert_int_equal(h->gw->tcp->conns, 0);
	dp_free(h);
}

/* The handshake's last ACK lost: the stream header completes it. The c2s
 * application must get those bytes after hearing of the connection, not
 * drop them (TCP has acked them: the client would wait for features until
 * the login timeout). */
static void test_data_completes_the_handshake(void **state)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });
	struct dp_sock *ps = dp_connect_ack_lost(h, DP_PORT_C2S);
	char hdr[256];
	int n = dp_stream_header(h, hdr, sizeof(hdr));

	(void)state;
	assert_int_equal(h->gw->ctr[SB_DP_CTR_xmpp_accepted], 0);
	dp_send(h, ps, hdr, (size_t)n);
	assert_int_equal(h->gw->ctr[SB_DP_CTR_xmpp_accepted], 1);
	assert_true(dp_sock_saw(ps, "<stream:features"));
	dp_close(h, ps);
	dp_advance(h, 100);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive_window_holds_data_back),
		cmocka_unit_test(test_send_queue_limit),
		cmocka_unit_test(test_echo_through_the_glue),
		cmocka_unit_test(test_data_completes_the_handshake),
	};

	dp_eal_init("dp_tcp");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
