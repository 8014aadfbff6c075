/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0352 in the dataplane (dataplane/xmpp/xc_csi.c): a client that said
 * <inactive/> gets nothing that is not urgent; a newer presence from the
 * same full JID replaces the held one; an urgent stanza writes what was
 * held, in order, then itself; <active/> writes it all; the cap writes it;
 * a presence fan-out (DELIVER_MULTI) is held as a copy of its own; held
 * stanzas are not counted in XEP-0198's outbound h until written; and
 * when the connection closes they go back to sb-control after its UNBIND,
 * in order, none lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mempool.h>

#include "dp_harness.h"
#include "worker.h"
#include "xmpp/xc.h"

#define BOB "bob@switchboard.test/r"
#define INACTIVE "<inactive xmlns='urn:xmpp:csi:0'/>"
#define ACTIVE "<active xmlns='urn:xmpp:csi:0'/>"

static struct sb_xc_conn *bound_xc(struct dp_h *h)
{
	struct sb_xc_worker *xw = h->xw;

	assert_int_equal(xw->bound.n, 1);
	return xw->xtab[xw->bound.head];
}

/* DELIVER stanza `bytes` of kind/type from `from` to bob, as shard 0. */
static void deliver(struct dp_h *h, const struct sb_xc_conn *x, uint8_t kind, uint8_t type,
		    const char *from, const char *bytes)
{
	uint8_t buf[SB_MSG_PAYLOAD_MAX];
	const char *slash = strchr(from, '/');
	struct sb_msg_stanza st = {
		.kind = kind,
		.type = type,
		.to_len = sizeof(BOB) - 1,
		.to_bare_len = sizeof("bob@switchboard.test") - 1,
		.from_len = (uint16_t)strlen(from),
		.from_bare_len = (uint16_t)(slash ? (size_t)(slash - from) : strlen(from)),
		.bytes_len = (uint32_t)strlen(bytes),
		.from_conn = 1,
		.from_gen = 7,
	};
	size_t off = sizeof(st);

	memcpy(buf, &st, sizeof(st));
	memcpy(buf + off, BOB, st.to_len);
	off += st.to_len;
	memcpy(buf + off, from, st.from_len);
	off += st.from_len;
	memcpy(buf + off, bytes, st.bytes_len);
	dp_ctl_reply(h, 0, SB_MSG_DELIVER, sb_xc_handle(x), x->gen, 0, buf, off + st.bytes_len);
}

static void presence(struct dp_h *h, const struct sb_xc_conn *x, const char *from,
		     const char *show)
{
	char b[256];

	snprintf(b, sizeof(b), "<presence from='%s' to='" BOB "'><show>%s</show></presence>",
		 from, show);
	deliver(h, x, SB_STANZA_PRESENCE, SB_STYPE_NONE, from, b);
}

static void chat(struct dp_h *h, const struct sb_xc_conn *x, const char *from, const char *body)
{
	char b[256];

	snprintf(b, sizeof(b), "<message from='%s' to='" BOB "' type='chat'><body>%s</body>"
		 "</message>", from, body);
	deliver(h, x, SB_STANZA_MESSAGE, SB_STYPE_CHAT, from, b);
}

static struct dp_h *inactive_bob(struct dp_sock **ret_s, struct sb_xc_conn **ret_x, bool sm)
{
	struct dp_h *h = dp_new(&(struct dp_opts){ .c2s = true });

	dp_ctl_attach(h, 1);
	*ret_s = dp_c2s_login(h, "bob");
	*ret_x = bound_xc(h);
	if (sm) {
		static const char en[] = "<enable xmlns='urn:xmpp:sm:3'/>";

		dp_send(h, *ret_s, en, sizeof(en) - 1);
		assert_true(dp_sock_saw(*ret_s, "<enabled "));
	}
	dp_send(h, *ret_s, INACTIVE, sizeof(INACTIVE) - 1);
	assert_true(sb_c2s_csi_inactive(&(*ret_x)->c2s));
	(*ret_s)->rx_len = 0; /* what follows is what bob is spared, or not */
	return h;
}

/* Where needle first occurs in what s received, or -1. */
static long at(const struct dp_sock *s, const char *needle)
{
	const uint8_t *p = memmem(s->rx, s->rx_len, needle, strlen(needle));

	return p == NULL ? -1 : (long)(p - s->rx);
}

static void test_held_superseded_flushed_by_message(void **state)
{
	struct dp_sock *s;
	struct sb_xc_conn *x;
	struct dp_h *h = inactive_bob(&s, &x, false);

	(void)state;
	presence(h, x, "alice@switchboard.test/a", "away1");
	presence(h, x, "carol@switchboard.test/c", "carol1");
	presence(h, x, "alice@switchboard.test/a", "away2");
	deliver(h, x, SB_STANZA_MESSAGE, SB_STYPE_CHAT, "alice@switchboard.test/a",
		"<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
		"</message>");
	presence(h, x, "alice@switchboard.test/a", "away3");
	/* another resource of alice is another contact's presence */
	presence(h, x, "alice@switchboard.test/b", "b1");
	dp_run(h);
	assert_int_equal(s->rx_len, 0);
	assert_int_equal(x->csi_n, 4);
	assert_int_equal(DP_CTR(h, xmpp_csi_held), 6);
	assert_int_equal(DP_CTR(h, xmpp_csi_superseded), 2);
	assert_int_equal(DP_CTR(h, xmpp_delivered), 0);
	dp_advance(h, 50);
	chat(h, x, "alice@switchboard.test/a", "wake up");
	dp_run(h);
	/* held first, oldest first, then the message */
	assert_true(at(s, "carol1") >= 0);
	assert_true(at(s, "carol1") < at(s, "<composing"));
	assert_true(at(s, "<composing") < at(s, "away3"));
	assert_true(at(s, "away3") < at(s, "b1"));
	assert_true(at(s, "b1") < at(s, "wake up"));
	assert_int_equal(at(s, "away1"), -1);
	assert_int_equal(at(s, "away2"), -1);
	assert_null(x->csi);
	assert_int_equal(x->csi_n, 0);
	assert_int_equal(x->csi_bytes, 0);
	assert_int_equal(h->xw->csi_objs, 0);
	assert_int_equal(DP_CTR(h, xmpp_csi_flushed), 4);
	assert_int_equal(DP_CTR(h, xmpp_csi_flush_urgent), 1);
	assert_int_equal(DP_CTR(h, xmpp_delivered), 5);
	assert_true(DP_CTR(h, xmpp_csi_held_ms) >= 4 * 50);
	/* still inactive: the next presence waits again */
	presence(h, x, "carol@switchboard.test/c", "carol2");
	dp_run(h);
	assert_int_equal(at(s, "carol2"), -1);
	assert_int_equal(x->csi_n, 1);
	dp_free(h);
}

static void test_active_flushes(void **state)
{
	struct dp_sock *s;
	struct sb_xc_conn *x;
	struct dp_h *h = inactive_bob(&s, &x, false);

	(void)state;
	presence(h, x, "alice@switchboard.test/a", "p1");
	/* a headline (PEP) and a receipt wait too */
	deliver(h, x, SB_STANZA_MESSAGE, SB_STYPE_HEADLINE, "alice@switchboard.test",
		"<message type='headline'><body>pep</body></message>");
	deliver(h, x, SB_STANZA_MESSAGE, SB_STYPE_CHAT, "alice@switchboard.test/a",
		"<message><received xmlns='urn:xmpp:receipts' id='r1'/></message>");
	dp_run(h);
	assert_int_equal(s->rx_len, 0);
	assert_int_equal(x->csi_n, 3);
	dp_send(h, s, ACTIVE, sizeof(ACTIVE) - 1);
	dp_run(h);
	assert_false(sb_c2s_csi_inactive(&x->c2s));
	assert_true(at(s, "p1") >= 0 && at(s, "p1") < at(s, "pep"));
	assert_true(at(s, "pep") < at(s, "id='r1'"));
	assert_null(x->csi);
	assert_int_equal(DP_CTR(h, xmpp_csi_flush_active), 1);
	assert_int_equal(DP_CTR(h, xmpp_csi_flushed), 3);
	/* active: written at once */
	presence(h, x, "alice@switchboard.test/a", "p2");
	dp_run(h);
	assert_true(at(s, "p2") > 0);
	assert_int_equal(DP_CTR(h, xmpp_csi_held), 3);
	dp_free(h);
}

static void test_urgent_kinds(void **state)
{
	struct dp_sock *s;
	struct sb_xc_conn *x;
	struct dp_h *h = inactive_bob(&s, &x, false);

	(void)state;
	presence(h, x, "alice@switchboard.test/a", "p1");
	deliver(h, x, SB_STANZA_PRESENCE, SB_STYPE_SUBSCRIBE, "dave@switchboard.test",
		"<presence type='subscribe' from='dave@switchboard.test'/>");
	dp_run(h);
	assert_true(at(s, "p1") >= 0 && at(s, "p1") < at(s, "subscribe"));
	presence(h, x, "alice@switchboard.test/a", "p2");
	deliver(h, x, SB_STANZA_IQ, SB_STYPE_GET, "alice@switchboard.test/a",
		"<iq type='get' id='q1'><ping xmlns='urn:xmpp:ping'/></iq>");
	dp_run(h);
	assert_true(at(s, "p2") >= 0 && at(s, "p2") < at(s, "id='q1'"));
	assert_int_equal(DP_CTR(h, xmpp_csi_flush_urgent), 2);
	dp_free(h);
}

static void test_cap_flushes(void **state)
{
	struct dp_sock *s;
	struct sb_xc_conn *x;
	struct dp_h *h = inactive_bob(&s, &x, false);
	char from[64];

	(void)state;
	h->xw->csi_held_max = 4;
	for (unsigned i = 0; i < 5; i++) {
		snprintf(from, sizeof(from), "u%u@switchboard.test/r", i);
		presence(h, x, from, from);
	}
	dp_run(h);
	/* the fifth did not fit: the four went out, it waits alone */
	assert_int_equal(DP_CTR(h, xmpp_csi_flush_full), 1);
	assert_true(at(s, "u3@") >= 0);
	assert_int_equal(at(s, "'u4@"), -1);
	assert_int_equal(x->csi_n, 1);
	dp_free(h);
}

/* Outbound h (XEP-0198) counts what was written, never what waits. */
static void test_sm_counts_written_only(void **state)
{
	struct dp_sock *s;
	struct sb_xc_conn *x;
	struct dp_h *h = inactive_bob(&s, &x, true);
	uint32_t out0 = x->c2s.sm_out;

	(void)state;
	presence(h, x, "alice@switchboard.test/a", "p1");
	presence(h, x, "carol@switchboard.test/c", "c1");
	presence(h, x, "alice@switchboard.test/a", "p2");
	dp_run(h);
	assert_int_equal(x->c2s.sm_out, out0);
	assert_int_equal(x->sm_kept, 0);
	chat(h, x, "alice@switchboard.test/a", "hi");
	dp_run(h);
	/* c1, p2, the chat: numbered and kept until acked */
	assert_int_equal(x->c2s.sm_out, out0 + 3);
	assert_int_equal(x->sm_kept, 3);
	dp_free(h);
}

/* A presence fan-out to an inactive client is held as a DELIVER of its
 * own, `to` written in. */
static void test_multi_held_as_copy(void **state)
{
	struct dp_sock *s;
	struct sb_xc_conn *x;
	struct dp_h *h = inactive_bob(&s, &x, false);
	static const char bytes[] = "<presence from='alice@switchboard.test/a'><show>m1</show>"
				    "</presence>";
	uint8_t buf[1024];
	size_t off = dp_multi_payload(buf, sizeof(buf), &x, 1, "alice@switchboard.test/a", bytes);
	unsigned free0;

	(void)state;
	dp_run(h);
	free0 = dp_msgs_free(h);
	dp_ctl_reply(h, 0, SB_MSG_DELIVER_MULTI, 0, 0, 0, buf, off);
	dp_run(h);
	assert_int_equal(s->rx_len, 0);
	assert_int_equal(x->csi_n, 1);
	assert_int_equal(dp_msgs_free(h), free0 - 1);
	/* the newer fan-out from alice/a replaces it */
	memcpy(strstr((char *)buf + off - (sizeof(bytes) - 1), "m1"), "m2", 2);
	dp_ctl_reply(h, 0, SB_MSG_DELIVER_MULTI, 0, 0, 0, buf, off);
	dp_run(h);
	assert_int_equal(x->csi_n, 1);
	assert_int_equal(DP_CTR(h, xmpp_csi_superseded), 1);
	chat(h, x, "alice@switchboard.test/a", "hi");
	dp_run(h);
	assert_true(at(s, "<presence to='" BOB "' from='alice@switchboard.test/a'><show>m2") >= 0);
	assert_int_equal(at(s, "m1"), -1);
	assert_true(at(s, "m2") < at(s, "<body>hi"));
	assert_int_equal(dp_msgs_free(h), free0);
	dp_free(h);
}

/* Closed while things wait: after the UNBIND each goes back to
 * sb-control as a returned STANZA, in order. */
static void test_closed_returned(void **state)
{
	struct dp_sock *s;
	struct sb_xc_conn *x;
	struct dp_h *h = inactive_bob(&s, &x, false);
	static const char *const want[] = { "c1", "p2", "b1" };
	struct sb_msg *m;
	unsigned n = 0;

	(void)state;
	presence(h, x, "alice@switchboard.test/a", "p1");
	presence(h, x, "carol@switchboard.test/c", "c1");
	presence(h, x, "alice@switchboard.test/a", "p2");
	presence(h, x, "alice@switchboard.test/b", "b1");
	dp_run(h);
	dp_close(h, s);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_UNBIND);
	dp_msg_free(h, m);
	while ((m = dp_ctl_take(h)) != NULL) {
		struct sb_msg_stanza st;
		char bytes[512], to[64];

		assert_int_equal(m->kind, SB_MSG_STANZA);
		assert_true(m->flags & SB_MSG_F_RETURNED);
		assert_int_equal(sb_msg_stanza_read(m, &st), 0);
		assert_true(st.bytes_len < sizeof(bytes) && st.to_len < sizeof(to));
		sb_msg_read(m, sizeof(st), to, st.to_len);
		to[st.to_len] = '\0';
		assert_string_equal(to, BOB);
		sb_msg_read(m, sb_msg_stanza_bytes_off(&st), bytes, st.bytes_len);
		bytes[st.bytes_len] = '\0';
		assert_true(n < 3);
		assert_non_null(strstr(bytes, want[n]));
		n++;
		dp_msg_free(h, m);
	}
	assert_int_equal(n, 3);
	assert_int_equal(DP_CTR(h, xmpp_deliver_returned), 3);
	assert_int_equal(DP_CTR(h, xmpp_csi_flush_closing), 1);
	assert_int_equal(h->xw->csi_objs, 0);
	assert_int_equal(h->xw->held_objs, 0);
	assert_int_equal(dp_msgs_free(h), h->cfg.rings_msgs);
	dp_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_superseded_flushed_by_message),
		cmocka_unit_test(test_active_flushes),
		cmocka_unit_test(test_urgent_kinds),
		cmocka_unit_test(test_cap_flushes),
		cmocka_unit_test(test_sm_counts_written_only),
		cmocka_unit_test(test_multi_held_as_copy),
		cmocka_unit_test(test_closed_returned),
	};

	dp_eal_init("dp_csi");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
