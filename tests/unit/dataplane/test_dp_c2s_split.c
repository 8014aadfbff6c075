/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The c2s pump (dataplane/xmpp/xc_glue.c) across segment boundaries: a
 * stream header and a SASL PLAIN <auth/> sent in two TCP segments, split
 * at every byte, and once a byte per segment, must give exactly what the
 * unsplit bytes give: the same bytes back to the client, one AUTH_REQ to
 * sb-control with the same payload, the same element count. The tokenizer
 * state of a split element travels in a pool object (xmpp.partial_stanzas)
 * between segments; every such object is back in its pool at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mempool.h>

#include "dp_harness.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xmpp/xc.h"

/* "\0juliet\0secret" */
#define AUTH "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" \
	     "AGp1bGlldABzZWNyZXQ=</auth>"

struct outcome {
	uint8_t rx[2048];
	uint32_t rx_len;
	uint8_t req[256];
	uint32_t req_len;
	uint64_t elements;
};

/* Stream ids come from here: the same bytes for every connection, so that
 * what the client receives can be compared byte for byte. */
static int fixed_random(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	memset(buf, 0x5a, len);
	return 0;
}

static size_t input(const struct dp_h *h, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
			 "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>"
			 "%s", h->cfg.xmpp_domain, AUTH);

	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

/* Send in[0..len) cut at the offsets in cuts[0..n_cuts), one segment per
 * piece, and record what came of it. */
static void run_once(struct dp_h *h, const char *in, size_t len, const size_t *cuts,
		     unsigned n_cuts, struct outcome *out)
{
	uint64_t elements = DP_CTR(h, xmpp_elements);
	struct dp_sock *s = dp_connect(h, DP_PORT_C2S);
	size_t from = 0;
	struct sb_msg *m;

	for (unsigned i = 0; i <= n_cuts; i++) {
		size_t to = i < n_cuts ? cuts[i] : len;

		dp_send(h, s, in + from, to - from);
		/* The next piece leaves as its own segment: the delayed ACK
		 * of this one is let out first. */
		dp_advance(h, 50);
		from = to;
	}
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_AUTH_REQ);
	assert_true(m->len <= sizeof(out->req));
	out->req_len = m->len;
	memcpy(out->req, m->payload, m->len);
	dp_msg_free(h, m);
	assert_null(dp_ctl_take(h));
	assert_true(s->rx_len <= sizeof(out->rx));
	out->rx_len = s->rx_len;
	memcpy(out->rx, s->rx, s->rx_len);
	out->elements = DP_CTR(h, xmpp_elements) - elements;
	dp_close(h, s);
	assert_true(s->closed || s->c == NULL || s->peer_fin);
}

static void assert_same(const struct outcome *want, const struct outcome *got, size_t cut)
{
	if (got->rx_len != want->rx_len || memcmp(got->rx, want->rx, want->rx_len) != 0)
		fail_msg("cut at %zu: the client got %u bytes '%.*s', unsplit %u bytes", cut,
			 got->rx_len, (int)got->rx_len, (const char *)got->rx, want->rx_len);
	assert_int_equal(got->req_len, want->req_len);
	assert_memory_equal(got->req, want->req, want->req_len);
	assert_int_equal(got->elements, want->elements);
}

static struct dp_h *setup_c2s(void)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });

	h->xw->env.random = fixed_random;
	dp_ctl_attach(h, 1);
	return h;
}

static void teardown_c2s(struct dp_h *h)
{
	struct sb_xc_worker *xw = h->xw;

	/* Every connection closed: all objects back in their pools. */
	assert_int_equal(h->gw->tcp->conns, 0);
	assert_int_equal(rte_mempool_avail_count(xw->conn_pool), h->cfg.tcp_max_conns);
	assert_int_equal(rte_mempool_avail_count(xw->ctx_pool), h->cfg.xmpp_partial_stanzas);
	assert_int_equal(rte_mempool_avail_count(xw->aux_pool), h->cfg.xmpp_auth_contexts);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

static void test_split_at_every_byte(void **state)
{
	struct dp_h *h = setup_c2s();
	static char in[512];
	size_t len = input(h, in, sizeof(in));
	struct outcome want, got;

	(void)state;
	run_once(h, in, len, NULL, 0, &want);
	assert_true(want.rx_len > 0);
	assert_true(memmem(want.rx, want.rx_len, "PLAIN", 5) != NULL);
	assert_int_equal(want.elements, 1); /* the <auth/>; the header is no element */
	for (size_t cut = 1; cut < len; cut++) {
		run_once(h, in, len, &cut, 1, &got);
		assert_same(&want, &got, cut);
	}
	assert_int_equal(DP_CTR(h, xmpp_partial_full), 0);
	teardown_c2s(h);
}

static void test_byte_per_segment(void **state)
{
	struct dp_h *h = setup_c2s();
	static char in[512];
	static size_t cuts[512];
	size_t len = input(h, in, sizeof(in));
	struct outcome want, got;

	(void)state;
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	run_once(h, in, len, NULL, 0, &want);
	run_once(h, in, len, cuts, (unsigned)(len - 1), &got);
	assert_same(&want, &got, 0);
	teardown_c2s(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_at_every_byte),
		cmocka_unit_test(test_byte_per_segment),
	};

	dp_eal_init("dp_c2s_split");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
