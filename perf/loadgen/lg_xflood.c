/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TLS handshake flood (see lg_xflood.h). A flood connection lives in
 * one of tls_flood_conc slots (its TCP connection, its handshake in
 * libssl, when it was opened); the slot goes back to a free list when TCP
 * lets go of the connection. Outcomes are counted once per attempt: done
 * (the server's first record after our Finished arrived -- its
 * NewSessionTicket, so the server has verified the Finished -- then
 * reset), failed (libssl said so), refused (the gateway closed or reset it
 * first, as it does at tls.handshakes_per_worker), connect failed, or cut
 * at the end of the window.
 *
 * With loadgen.tls_flood_mode = hello the flooders do no crypto at all:
 * each sends the same ClientHello, made once at start, and counts the
 * server's answering flight (ServerHello to Finished: its key share,
 * the shared secret and the CertificateVerify signature, nearly all of a
 * full handshake's server CPU) as done, then resets. That is the flood one
 * loadgen core can make large enough to saturate a gateway worker, whose
 * full handshake costs about as much CPU as the client's.
 *
 * The flood's own crypto must not stall the loadgen's loop, or the
 * pairs' latency would measure the loadgen: handshake steps are owed, in
 * arrival order, and run after the turn's receiving and sending, at most
 * loadgen.tls_flood_budget_us of them per turn (the design the gateway's
 * tls.handshake_budget_us follows).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "app/app.h"
#include "lg_keys.h"
#include "lg_xflood.h"
#include "loadgen.h"
#include "tcp/conn.h"
#include "tls.h"
#include "worker.h"

#define LG_FLOOD_CHUNK 1400u   /* handshake bytes per segment sent */
#define LG_FLOOD_NONE UINT32_MAX

enum lg_fstate {
	LG_F_FREE = 0,
	LG_F_OPENING,  /* SYN sent */
	LG_F_HS,       /* in the handshake (ssl NULL until the first step) */
	LG_F_WAIT_NST, /* our Finished sent: the server's next record ends it */
	LG_F_ENDED,    /* counted and reset: waiting for TCP to let go */
};

struct lg_fslot {
	struct sb_conn *c;
	struct sb_tls_ssl *ssl;
	uint64_t open_tsc;
	uint32_t next;           /* the free list, or the owed list */
	uint32_t prev;           /* the owed list */
	uint8_t state;           /* enum lg_fstate */
	uint8_t owed;            /* on the owed list */
};

struct sb_lg_flood {
	struct sb_tls_worker tw;
	struct sb_tls_client *cl;
	uint64_t total;          /* attempts in all */
	uint64_t rate;           /* opened per second at most, 0: no limit */
	uint32_t conc;
	uint32_t src_host;
	uint32_t src_count;
	uint16_t dport_be;
	bool cut;                /* the window ended: what was in progress was reset */
	uint32_t live;           /* slots in use */
	uint32_t free_head;
	uint32_t owed_head;      /* handshake steps owed, oldest first */
	uint32_t owed_tail;
	uint64_t budget_tsc;     /* handshake work per loop turn */
	bool hello_only;         /* tls_flood_mode = hello */
	uint16_t hello_len;
	uint8_t hello[2048];     /* the ClientHello replayed in hello mode */
	uint64_t tuple_next;
	uint64_t started;
	uint64_t done;
	uint64_t failed;
	uint64_t refused;        /* closed or reset by the gateway before done */
	uint64_t connect_fail;
	uint64_t open_err;
	uint64_t cut_n;          /* in progress when the window ended */
	uint64_t deferred;       /* turns that ended with steps still owed */
	uint64_t first_us;       /* first open */
	uint64_t last_done_us;
	struct lg_fslot *slot;
	struct sb_lg_hist hs_ns; /* TCP open to our Finished sent */
	uint8_t buf[LG_FLOOD_CHUNK];
};

/* Hello mode: one ClientHello (a fresh key share, then replayed). */
static int flood_make_hello(struct sb_lg_flood *f)
{
	struct sb_tls_ssl *s = sb_tls_ssl_new_client(&f->tw, f->cl);
	size_t n;

	if (s == NULL)
		return -ENOMEM;
	(void)sb_tls_ssl_handshake(&f->tw, s);
	n = sb_tls_ssl_pending(s);
	if (n == 0 || n > sizeof(f->hello)) {
		sb_tls_ssl_free(&f->tw, s);
		return -E2BIG;
	}
	f->hello_len = (uint16_t)sb_tls_ssl_output(s, f->hello, sizeof(f->hello));
	sb_tls_ssl_free(&f->tw, s);
	return 0;
}

int sb_lg_flood_create(struct sb_lg *lg, const struct sb_lg_keys *cfg)
{
	struct sb_lg_flood *f;
	struct sb_tls_client_opts co = { .sni = cfg->loadgen_xmpp_domain, .alpn_xmpp = true };
	struct sb_tls_worker_opts wo = { 0 };
	struct sb_tls_error err;

	if (cfg->loadgen_tls_flood == 0)
		return 0;
	if (lg->mode != SB_LG_MODE_XMPP_MSG)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->total = cfg->loadgen_tls_flood;
	f->rate = cfg->loadgen_tls_flood_rate;
	f->conc = (uint32_t)cfg->loadgen_tls_flood_conc;
	f->src_host = cfg->loadgen_tls_flood_src_ip.addr;
	f->src_count = (uint32_t)cfg->loadgen_tls_flood_src_count;
	f->dport_be = rte_cpu_to_be_16((uint16_t)cfg->loadgen_tls_flood_port);
	wo.hs_max = f->conc;
	f->budget_tsc = cfg->loadgen_tls_flood_budget_us * rte_get_tsc_hz() / 1000000u;
	f->owed_head = f->owed_tail = LG_FLOOD_NONE;
	f->slot = calloc(f->conc, sizeof(*f->slot));
	if (f->slot == NULL || sb_tls_worker_init(&f->tw, &wo) < 0)
		goto fail;
	/* No CA: the flooders do not verify, so their side is the cheaper one. */
	f->cl = sb_tls_client_new(&co, &err);
	if (f->cl == NULL)
		goto fail;
	f->hello_only = strcmp(cfg->loadgen_tls_flood_mode, "hello") == 0;
	if (!f->hello_only && strcmp(cfg->loadgen_tls_flood_mode, "full") != 0)
		goto fail;
	if (f->hello_only && flood_make_hello(f) < 0)
		goto fail;
	for (uint32_t i = 0; i < f->conc; i++)
		f->slot[i].next = i + 1 < f->conc ? i + 1 : LG_FLOOD_NONE;
	sb_lg_hist_reset(&f->hs_ns);
	lg->flood = f;
	return 0;
fail:
	free(f->slot);
	free(f);
	return -ENOMEM;
}

uint32_t sb_lg_flood_slots(const struct sb_lg *lg)
{
	/* A reset connection's slot is free only once TCP has let it go. */
	return lg->flood != NULL ? 2u * lg->flood->conc : 0u;
}

bool sb_lg_flood_owns(const struct sb_lg *lg, uint32_t addr)
{
	return lg->flood != NULL && addr - lg->flood->src_host < lg->flood->src_count;
}

static struct lg_fslot *flood_slot(struct sb_lg *lg, const struct sb_conn *c)
{
	return &lg->flood->slot[c->app_data];
}

static void flood_owe(struct sb_lg_flood *f, uint32_t i)
{
	struct lg_fslot *s = &f->slot[i];

	if (s->owed)
		return;
	s->owed = 1;
	s->next = LG_FLOOD_NONE;
	s->prev = f->owed_tail;
	if (f->owed_tail != LG_FLOOD_NONE)
		f->slot[f->owed_tail].next = i;
	else
		f->owed_head = i;
	f->owed_tail = i;
}

static void flood_unowe(struct sb_lg_flood *f, uint32_t i)
{
	struct lg_fslot *s = &f->slot[i];

	if (!s->owed)
		return;
	s->owed = 0;
	if (s->prev != LG_FLOOD_NONE)
		f->slot[s->prev].next = s->next;
	else
		f->owed_head = s->next;
	if (s->next != LG_FLOOD_NONE)
		f->slot[s->next].prev = s->prev;
	else
		f->owed_tail = s->prev;
}

/* The attempt is over (counted by the caller): reset it, drop libssl. */
static void flood_end(struct sb_lg *lg, struct sb_worker *w, struct lg_fslot *s)
{
	flood_unowe(lg->flood, (uint32_t)(s - lg->flood->slot));
	sb_tls_ssl_free(&lg->flood->tw, s->ssl);
	s->ssl = NULL;
	s->state = LG_F_ENDED;
	sb_conn_abort(w, s->c);
}

/* libssl's output to TCP; false when the send queue refused it. */
static bool flood_flush(struct sb_lg *lg, struct sb_worker *w, struct lg_fslot *s)
{
	struct sb_lg_flood *f = lg->flood;
	size_t n;

	while ((n = sb_tls_ssl_output(s->ssl, f->buf, sizeof(f->buf))) > 0)
		if (sb_conn_send_bytes(w, s->c, f->buf, (uint32_t)n) < 0)
			return false;
	return true;
}

/* One handshake step (the first creates the ClientHello) and what it produced. */
static void flood_step(struct sb_lg *lg, struct sb_worker *w, struct lg_fslot *s)
{
	struct sb_lg_flood *f = lg->flood;
	enum sb_tls_hs_result r;

	if (s->ssl == NULL && (s->ssl = sb_tls_ssl_new_client(&f->tw, f->cl)) == NULL) {
		f->failed++;
		flood_end(lg, w, s);
		return;
	}
	r = sb_tls_ssl_handshake(&f->tw, s->ssl);
	if (!flood_flush(lg, w, s) || r == SB_TLS_HS_FAILED) {
		f->failed++;
		flood_end(lg, w, s);
		return;
	}
	if (r != SB_TLS_HS_DONE)
		return;
	/* Our Finished is on its way; the server's NewSessionTicket, sent
	 * once it has verified it, ends the attempt. */
	sb_tls_ssl_free(&f->tw, s->ssl);
	s->ssl = NULL;
	s->state = LG_F_WAIT_NST;
}

/* The server answered our Finished: the handshake is done on both ends. */
static void flood_done(struct sb_lg *lg, struct sb_worker *w, struct lg_fslot *s)
{
	struct sb_lg_flood *f = lg->flood;

	f->done++;
	f->last_done_us = w->now_us;
	sb_lg_hist_add(&f->hs_ns, (uint64_t)((double)(rte_rdtsc() - s->open_tsc) * 1e9 /
					     (double)lg->tsc_hz));
	flood_end(lg, w, s);
}

static void flood_on_open(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_lg *lg = ctx;
	struct lg_fslot *s = flood_slot(lg, c);

	if (s->state != LG_F_OPENING)
		return; /* cut at the end of the window meanwhile */
	if (lg->flood->hello_only) {
		/* The server's answer ends it, as a NewSessionTicket would. */
		s->state = LG_F_WAIT_NST;
		if (sb_conn_send_bytes(w, c, lg->flood->hello, lg->flood->hello_len) < 0) {
			lg->flood->failed++;
			flood_end(lg, w, s);
		}
		return;
	}
	s->state = LG_F_HS;
	flood_owe(lg->flood, (uint32_t)c->app_data); /* the ClientHello */
}

static void flood_on_data(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	struct sb_lg *lg = ctx;
	struct lg_fslot *s = flood_slot(lg, c);

	if (s->state == LG_F_WAIT_NST) {
		flood_done(lg, w, s);
	} else if (s->state == LG_F_HS) {
		/* Queued in libssl now (a copy), the step when it is due. */
		for (struct rte_mbuf *g = m; g != NULL && s->state == LG_F_HS; g = g->next) {
			size_t n = rte_pktmbuf_data_len(g);

			if (s->ssl == NULL ||
			    sb_tls_ssl_input(&lg->flood->tw, s->ssl,
					     rte_pktmbuf_mtod(g, const uint8_t *), n) < n) {
				lg->flood->failed++; /* early, or more than a handshake holds */
				flood_end(lg, w, s);
			}
		}
		if (s->state == LG_F_HS)
			flood_owe(lg->flood, (uint32_t)c->app_data);
	}
	rte_pktmbuf_free(m);
}

static void flood_on_writable(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	(void)w;
	(void)c;
}

/* The gateway ended it first: what it does at its handshake cap. */
static void flood_on_peer_fin(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct sb_lg *lg = ctx;
	struct lg_fslot *s = flood_slot(lg, c);

	if (s->state == LG_F_HS || s->state == LG_F_OPENING || s->state == LG_F_WAIT_NST) {
		lg->flood->refused++;
		sb_tls_ssl_free(&lg->flood->tw, s->ssl);
		s->ssl = NULL;
		s->state = LG_F_ENDED;
	}
	sb_conn_abort(w, c);
}

static void flood_on_close(void *ctx, struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why)
{
	struct sb_lg *lg = ctx;
	struct sb_lg_flood *f = lg->flood;
	struct lg_fslot *s = flood_slot(lg, c);
	uint32_t i = (uint32_t)c->app_data;

	(void)w;
	(void)why;
	if (s->state == LG_F_OPENING)
		f->connect_fail++;
	else if (s->state == LG_F_HS || s->state == LG_F_WAIT_NST)
		f->refused++;
	flood_unowe(f, i);
	sb_tls_ssl_free(&f->tw, s->ssl);
	s->ssl = NULL;
	s->c = NULL;
	s->state = LG_F_FREE;
	s->next = f->free_head;
	f->free_head = i;
	f->live--;
}

const struct sb_app_ops sb_lg_flood_ops = {
	.name = "loadgen-tls-flood",
	.on_accept = flood_on_open,
	.on_data = flood_on_data,
	.on_writable = flood_on_writable,
	.on_peer_fin = flood_on_peer_fin,
	.on_close = flood_on_close,
};

/* The next tuple of the cycle; -ENOBUFS when TCP is full. */
static int flood_open_one(struct sb_lg *lg)
{
	struct sb_lg_flood *f = lg->flood;
	uint64_t k = f->tuple_next++ % ((uint64_t)f->src_count * SB_LG_PORTS_PER_ADDR);
	uint32_t saddr = rte_cpu_to_be_32(f->src_host + (uint32_t)(k / SB_LG_PORTS_PER_ADDR));
	uint16_t sport = rte_cpu_to_be_16((uint16_t)(SB_LG_PORT_FIRST + k % SB_LG_PORTS_PER_ADDR));
	uint32_t i = f->free_head;
	struct lg_fslot *s = &f->slot[i];
	struct sb_conn *c;
	int err = 0;

	c = sb_conn_connect(lg->w, saddr, lg->dst_be, sport, f->dport_be, &lg->nexthop_mac,
			    lg->flood_app, &err);
	if (c == NULL) {
		f->open_err++;
		return err;
	}
	f->free_head = s->next;
	f->live++;
	f->started++;
	c->app_data = i;
	s->c = c;
	s->ssl = NULL;
	s->state = LG_F_OPENING;
	s->open_tsc = rte_rdtsc();
	return 0;
}

/* The window is over: reset what is still in progress (counted as cut). */
static unsigned flood_cut(struct sb_lg *lg)
{
	struct sb_lg_flood *f = lg->flood;
	unsigned n = 0;

	f->cut = true;
	for (uint32_t i = 0; i < f->conc; i++) {
		struct lg_fslot *s = &f->slot[i];

		if (s->state != LG_F_OPENING && s->state != LG_F_HS && s->state != LG_F_WAIT_NST)
			continue;
		f->cut_n++;
		flood_end(lg, lg->w, s);
		n++;
	}
	return n;
}

/* The owed steps, oldest first, while this turn's budget lasts. */
static unsigned flood_run_owed(struct sb_lg *lg)
{
	struct sb_lg_flood *f = lg->flood;
	uint64_t t0 = rte_rdtsc(), now = t0;
	unsigned n = 0;

	while (f->owed_head != LG_FLOOD_NONE && now - t0 <= f->budget_tsc) {
		uint32_t i = f->owed_head;

		flood_unowe(f, i);
		if (f->slot[i].state == LG_F_HS)
			flood_step(lg, lg->w, &f->slot[i]);
		n++;
		now = rte_rdtsc();
	}
	if (f->owed_head != LG_FLOOD_NONE)
		f->deferred++;
	return n;
}

unsigned sb_lg_flood_some(struct sb_lg *lg, uint64_t start_us, uint64_t stop_us)
{
	struct sb_lg_flood *f = lg->flood;
	uint64_t now_us = lg->w->now_us, due;
	unsigned n = 0;

	if (f == NULL || f->cut || start_us == 0 || now_us < start_us)
		return 0;
	if (now_us >= stop_us)
		return flood_cut(lg);
	n += flood_run_owed(lg);
	if (f->started == 0)
		f->first_us = now_us;
	due = f->rate != 0 ? (now_us - f->first_us) * f->rate / 1000000u + 1u : f->total;
	due = RTE_MIN(due, f->total);
	for (unsigned k = 0; f->started < due && f->free_head != LG_FLOOD_NONE &&
			     k < SB_LG_OPEN_PER_TURN; k++) {
		if (flood_open_one(lg) == -ENOBUFS)
			break; /* TCP full: the next turn tries again */
		n++;
	}
	return n;
}

void sb_lg_flood_report(const struct sb_lg *lg)
{
	const struct sb_lg_flood *f = lg->flood;
	uint64_t span_us;

	if (f == NULL)
		return;
	span_us = f->last_done_us > f->first_us ? f->last_done_us - f->first_us : 0;
	printf(" flood_mode=%s", f->hello_only ? "hello" : "full");
	printf(" flood_started=%" PRIu64 " flood_done=%" PRIu64 " flood_per_s=%.0f"
	       " flood_failed=%" PRIu64 " flood_refused=%" PRIu64 " flood_connect_fail=%" PRIu64
	       " flood_open_err=%" PRIu64 " flood_cut=%" PRIu64 " flood_owed_turns=%" PRIu64
	       " flood_hs_ms_p50=%.2f flood_hs_ms_p99=%.2f",
	       f->started, f->done, span_us ? (double)f->done * 1e6 / (double)span_us : 0.0,
	       f->failed, f->refused, f->connect_fail, f->open_err, f->cut_n, f->deferred,
	       (double)sb_lg_hist_quantile(&f->hs_ns, 0.5) / 1e6,
	       (double)sb_lg_hist_quantile(&f->hs_ns, 0.99) / 1e6);
}
