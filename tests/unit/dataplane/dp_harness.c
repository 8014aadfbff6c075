/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The in-process dataplane fixture (dp_harness.h): EAL, two workers on
 * ring ports, the gateway's control rings, and the test as sb-control.
 * Each harness numbers its workers and pools afresh (h->id), so tests of
 * one binary never meet each other's objects by name.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "app/app.h"
#include "dp_harness.h"
#include "net/net.h"
#include "pktio.h"
#include "ring/ctl_link.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xmpp/xc.h"

#define DP_RUN_MAX 100000u    /* turns of dp_run before it calls the wire stuck */

static unsigned dp_next_id;

/* EAL leaves its runtime folder behind even with --no-shconf: remove it,
 * so that test runs do not pile up folders under /var/run/dpdk. */
static char dp_runtime_dir[PATH_MAX];

static void dp_eal_exit(void)
{
	rte_eal_cleanup();
	if (dp_runtime_dir[0] != '\0')
		rmdir(dp_runtime_dir);
}

void dp_eal_init(const char *test_name)
{
	static bool done;
	char prefix[64];
	char *argv[] = {
		(char *)test_name, "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-l", "0", "-m", "64", prefix, "--log-level=lib.*:error", NULL,
	};

	if (done)
		return;
	/* Unique per test process: parallel unit tests never share a runtime folder. */
	snprintf(prefix, sizeof(prefix), "--file-prefix=sbt_%s_%d", test_name, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		fail_msg("EAL init: %s", rte_strerror(rte_errno));
	snprintf(dp_runtime_dir, sizeof(dp_runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(dp_eal_exit);
	done = true;
}

static struct dp_sock *dp_sock_of(const struct sb_conn *c)
{
	return (struct dp_sock *)(uintptr_t)c->app_data;
}

static void rec_window(struct sb_worker *w, struct dp_sock *s)
{
	if (s->rcv_limit != 0 && s->c != NULL)
		sb_conn_set_rcv_space(w, s->c, s->held >= s->rcv_limit ? 0 : s->rcv_limit - s->held);
}

static void rec_accept(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	struct dp_h *h = ctx;
	struct dp_sock *s = dp_sock_of(c);

	if (s == NULL) { /* a passive open on the gateway's DP_PORT_REC */
		assert_true(h->n_gw_socks < DP_SOCKS);
		s = &h->gw_socks[h->n_gw_socks++];
		memset(s, 0, sizeof(*s));
		s->c = c;
		c->app_data = (uint64_t)(uintptr_t)s;
	}
	s->established = true;
	rec_window(w, s);
}

static void rec_data(void *ctx, struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	struct dp_sock *s = dp_sock_of(c);

	(void)ctx;
	for (struct rte_mbuf *seg = m; seg != NULL; seg = seg->next) {
		uint32_t n = seg->data_len;
		uint32_t keep = s->rx_len >= DP_RX_MAX ? 0 : RTE_MIN(n, DP_RX_MAX - s->rx_len);

		memcpy(s->rx + s->rx_len, rte_pktmbuf_mtod(seg, const uint8_t *), keep);
		s->rx_len += keep;
		s->held += n;
	}
	rte_pktmbuf_free(m);
	rec_window(w, s);
}

static void rec_writable(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	(void)w;
	dp_sock_of(c)->writable++;
}

static void rec_peer_fin(void *ctx, struct sb_worker *w, struct sb_conn *c)
{
	(void)ctx;
	dp_sock_of(c)->peer_fin = true;
	sb_conn_close(w, c);
}

static void rec_close(void *ctx, struct sb_worker *w, struct sb_conn *c, enum sb_tcp_event why)
{
	struct dp_sock *s = dp_sock_of(c);

	(void)ctx;
	(void)w;
	(void)why;
	s->closed = true;
	s->c = NULL;
}

static const struct sb_app_ops dp_rec_app = {
	.name = "test-rec",
	.on_accept = rec_accept,
	.on_data = rec_data,
	.on_writable = rec_writable,
	.on_peer_fin = rec_peer_fin,
	.on_close = rec_close,
};

/* The peer opens every connection from an address of its own: DP_SOCKS
 * of them from DP_PEER_IP (struct sb_net_hooks). */
static bool dp_peer_owns(void *ctx, uint32_t addr_be)
{
	(void)ctx;
	return rte_be_to_cpu_32(addr_be) - DP_PEER_IP < DP_SOCKS;
}

/* Application app with context ctx listening on port of worker w, as
 * dataplane/main.c registers them. */
static void dp_listen(struct sb_worker *w, uint16_t port, const struct sb_app_ops *app, void *ctx)
{
	int id = sb_tcp_app_add(w->tcp, app, ctx);

	assert_true(id >= 0);
	assert_int_equal(sb_tcp_listen(w->tcp, rte_cpu_to_be_16(port), (uint8_t)id), 0);
}

/* A ring port: frames sent on it go to `tx`, frames received come from `rx`. */
static uint16_t dp_port(struct dp_h *h, const char *what, struct rte_ring *rx, struct rte_ring *tx)
{
	struct rte_eth_conf conf = { 0 };
	char name[32];
	int port;

	snprintf(name, sizeof(name), "dp%u_%s", h->id, what);
	port = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned)rte_socket_id());
	assert_true(port >= 0);
	assert_int_equal(rte_eth_dev_configure((uint16_t)port, 1, 1, &conf), 0);
	assert_int_equal(rte_eth_rx_queue_setup((uint16_t)port, 0, 256, rte_socket_id(), NULL,
						 h->pkt_pool), 0);
	assert_int_equal(rte_eth_tx_queue_setup((uint16_t)port, 0, 256, rte_socket_id(), NULL), 0);
	assert_int_equal(rte_eth_dev_start((uint16_t)port), 0);
	return (uint16_t)port;
}

/* A worker as dataplane/main.c sets one up, on port `k` of the harness. */
static struct sb_worker *dp_worker(struct dp_h *h, unsigned k, uint32_t ip)
{
	struct sb_worker *w = rte_zmalloc("dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

	assert_non_null(w);
	w->index = (uint16_t)(h->id * 2 + k);
	w->port_id = h->port[k];
	w->burst = 32;
	w->ipv4_be = rte_cpu_to_be_32(ip);
	w->mac = (struct rte_ether_addr){ { 0x02, 0, 0, 0, (uint8_t)h->id, (uint8_t)(k + 1) } };
	sb_idle_init(&w->idle, 1, 0);
	w->msg_pool = h->msg_pool;
	sb_ctl_link_pool_ops(w);
	w->shm = h->shm;
	w->stats = &h->shm->workers[k];
	w->ctr = w->stats->ctr;
	w->pkt_pool = h->pkt_pool;
	w->quit = &h->quit;
	w->tsc_per_us = 1;
	sb_pktio_init(w);
	return w;
}

static void dp_tcp(struct dp_h *h, struct sb_worker *w)
{
	struct sb_tcp_cfg tc;
	struct sb_tcp_worker *t = rte_zmalloc("dp_tcp", sizeof(*t), RTE_CACHE_LINE_SIZE);

	assert_non_null(t);
	w->tcp = t;
	t->snd_queue_max = (uint32_t)h->cfg.tcp_snd_queue_max;
	t->rcv_space = (uint32_t)h->cfg.tcp_rcv_space;
	t->syn_cookie_threshold = (uint32_t)h->cfg.tcp_syn_cookie_threshold;
	sb_tcp_cfg_from_config(&h->cfg, &tc);
	assert_int_equal(sb_tcp_worker_init(w, &tc, (uint32_t)h->cfg.tcp_max_conns,
					    (uint32_t)h->cfg.tcp_tw_max, 0), 0);
}

/* The defaults of every key, with the pools sized for a test. */
static void dp_config(struct dp_h *h, const struct dp_opts *o)
{
	sb_config_defaults(&h->cfg);
	h->cfg.tcp_max_conns = DP_SOCKS + 16;
	h->cfg.tcp_tw_max = DP_SOCKS + 16;
	h->cfg.tcp_snd_queue_max = 16384;
	h->cfg.tcp_rcv_space = 16384;
	h->cfg.xmpp_auth_contexts = 64;
	h->cfg.xmpp_partial_stanzas = 64;
	h->cfg.xmpp_addr_table = 1024;
	h->cfg.rings_msgs = o->msgs != 0 ? o->msgs : 1024;
	h->cfg.rings_size = o->ring_size != 0 ? o->ring_size : 256;
	h->cfg.dataplane_mbufs_per_worker = o->mbufs != 0 ? o->mbufs : 2048;
	/* Plaintext unless the test asks for TLS (xmpp.tls is required by
	 * default). */
	snprintf(h->cfg.xmpp_tls, sizeof(h->cfg.xmpp_tls), "off");
	h->cfg.xmpp_plain_without_tls = true;
	if (o->tls != NULL) {
		snprintf(h->cfg.xmpp_tls, sizeof(h->cfg.xmpp_tls), "%s", o->tls);
		snprintf(h->cfg.tls_cert_file, sizeof(h->cfg.tls_cert_file), "%s", o->tls_cert);
		snprintf(h->cfg.tls_key_file, sizeof(h->cfg.tls_key_file), "%s", o->tls_key);
	}
}

/* An SPSC ring named for this harness, `what` and k. */
static struct rte_ring *dp_ring(struct dp_h *h, const char *what, unsigned k, unsigned size,
			       unsigned flags)
{
	char name[32];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "dp%u_%s%u", h->id, what, k);
	r = rte_ring_create(name, size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ | flags);
	assert_non_null(r);
	return r;
}

static void dp_pools(struct dp_h *h)
{
	/* The fill and return rings of every (worker, shard) pair, as
	 * dataplane/shared.c sizes them. */
	unsigned msgs = (unsigned)h->cfg.rings_msgs;
	unsigned fill = sb_pool_fill_size(msgs, h->shm->n_workers * DP_SHARDS);
	char name[32];

	snprintf(name, sizeof(name), "dp%u_mbuf", h->id);
	h->pkt_pool = rte_pktmbuf_pool_create(name, (unsigned)h->cfg.dataplane_mbufs_per_worker, 0,
					      0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	snprintf(name, sizeof(name), "dp%u_msg", h->id);
	h->msg_pool = rte_mempool_create(name, msgs, SB_MSG_OBJ_SIZE, 0, 0, NULL, NULL, NULL, NULL,
					 (int)rte_socket_id(), 0);
	assert_non_null(h->pkt_pool);
	assert_non_null(h->msg_pool);
	for (unsigned s = 0; s < DP_SHARDS; s++) {
		h->up[s] = dp_ring(h, "up", s, (unsigned)h->cfg.rings_size, 0);
		h->down[s] = dp_ring(h, "dn", s, (unsigned)h->cfg.rings_size, 0);
		h->fill[s] = dp_ring(h, "fl", s, fill, RING_F_EXACT_SZ);
		h->ret[s] = dp_ring(h, "rt", s, sb_pool_ret_size(fill), RING_F_EXACT_SZ);
	}
	for (unsigned k = 0; k < 2; k++)
		h->wire[k] = dp_ring(h, "wire", k, 1024, 0);
}

struct dp_h *dp_new(const struct dp_opts *o)
{
	struct dp_h *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->id = dp_next_id++;
	dp_config(h, o);
	h->shm = rte_zmalloc("dp_shm", sizeof(*h->shm), RTE_CACHE_LINE_SIZE);
	h->socks = calloc(DP_SOCKS, sizeof(*h->socks));
	h->gw_socks = calloc(DP_SOCKS, sizeof(*h->gw_socks));
	assert_non_null(h->shm);
	assert_non_null(h->socks);
	assert_non_null(h->gw_socks);
	h->shm->n_workers = 2;
	h->shm->n_shards = DP_SHARDS;
	dp_pools(h);
	h->port[0] = dp_port(h, "gw", h->wire[1], h->wire[0]);
	h->port[1] = dp_port(h, "peer", h->wire[0], h->wire[1]);
	h->gw = dp_worker(h, 0, DP_GW_IP);
	h->peer = dp_worker(h, 1, DP_PEER_IP);
	h->peer->net.owns = dp_peer_owns;
	h->gw->n_shards = DP_SHARDS;
	for (unsigned s = 0; s < DP_SHARDS; s++) {
		h->gw->up[s] = h->up[s];
		h->gw->down[s] = h->down[s];
		h->gw->fill[s] = h->fill[s];
		h->gw->ret[s] = h->ret[s];
	}
	h->gw->msg_reserve = (uint32_t)(h->cfg.rings_msgs / 4);
	h->gw->hb_interval_tsc = 1000;
	sb_ctl_link_init(h->gw);
	dp_tcp(h, h->gw);
	dp_tcp(h, h->peer);
	h->peer_app = (uint8_t)sb_tcp_app_add(h->peer->tcp, &dp_rec_app, h);
	dp_listen(h->gw, DP_PORT_ECHO, &sb_app_echo, NULL);
	dp_listen(h->gw, DP_PORT_REC, &dp_rec_app, h);
	if (o->c2s) {
		struct sb_tls_server *srv = NULL;

		if (o->tls != NULL) {
			struct sb_tls_error err;

			srv = sb_tls_server_from_config(&h->cfg, NULL, &err);
			if (srv == NULL)
				fail_msg("TLS server: %s", err.msg);
		}
		assert_int_equal(sb_xc_worker_init(h->gw, &h->cfg, srv, &h->xw), 0);
		dp_listen(h->gw, DP_PORT_C2S, &sb_xc_app, h->xw);
	}
	return h;
}

static void dp_free_tcp(struct sb_worker *w)
{
	rte_hash_free(w->tcp->table);
	rte_mempool_free(w->tcp->conn_pool);
	rte_mempool_free(w->tcp->tw_pool);
	rte_free(w->tcp);
}

static void dp_free_xmpp(struct sb_xc_worker *xw)
{
	if (xw->tls_srv != NULL) {
		sb_tls_worker_fini(&xw->tls);
		sb_tls_server_put(xw->tls_srv);
		rte_mempool_free(xw->tls_pool);
		rte_free(xw->tls_buf);
		rte_free(xw->tls_plain);
	}
	rte_mempool_free(xw->conn_pool);
	rte_mempool_free(xw->ctx_pool);
	rte_mempool_free(xw->aux_pool);
	rte_mempool_free(xw->jid_pool);
	rte_free(xw->xtab);
	rte_free(xw->elem);
	rte_free(xw->route);
	rte_free(xw->limits.slots);
	rte_free(xw);
}

void dp_free(struct dp_h *h)
{
	struct rte_mbuf *m;

	if (h->xw != NULL)
		dp_free_xmpp(h->xw);
	dp_free_tcp(h->gw);
	dp_free_tcp(h->peer);
	for (unsigned k = 0; k < 2; k++) {
		rte_eth_dev_stop(h->port[k]);
		rte_eth_dev_close(h->port[k]);
		while (rte_ring_dequeue(h->wire[k], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(h->wire[k]);
	}
	for (unsigned s = 0; s < DP_SHARDS; s++) {
		rte_ring_free(h->up[s]);
		rte_ring_free(h->down[s]);
		rte_ring_free(h->fill[s]);
		rte_ring_free(h->ret[s]);
	}
	rte_free(h->gw);
	rte_free(h->peer);
	rte_mempool_free(h->msg_pool);
	rte_mempool_free(h->pkt_pool);
	rte_free(h->shm);
	free(h->socks);
	free(h->gw_socks);
	free(h);
}

/* Frames waiting at worker w's port go through its input path. */
static unsigned dp_rx(struct sb_worker *w)
{
	struct rte_mbuf *pkts[64];
	uint16_t n = rte_eth_rx_burst(w->port_id, 0, pkts, RTE_DIM(pkts));

	SB_CTR_ADD(w, rx_pkts, n);
	for (uint16_t i = 0; i < n; i++)
		sb_eth_input(w, pkts[i]);
	return n;
}

void dp_run(struct dp_h *h)
{
	for (unsigned turn = 0; turn < DP_RUN_MAX; turn++) {
		unsigned moved;

		h->gw->now_us = h->peer->now_us = h->now_us;
		sb_pktio_flush(h->gw);
		sb_pktio_flush(h->peer);
		moved = dp_rx(h->peer) + dp_rx(h->gw);
		sb_tcp_io_timers(h->gw, h->now_us);
		sb_tcp_io_timers(h->peer, h->now_us);
		for (unsigned i = 0; i < h->gw->tcp->n_apps; i++) {
			const struct sb_tcp_app *a = &h->gw->tcp->apps[i];

			if (a->ops->on_turn != NULL)
				(void)a->ops->on_turn(a->ctx, h->gw, h->now_us);
		}
		if (moved == 0 && h->gw->tx_n == 0 && h->peer->tx_n == 0)
			return;
	}
	fail_msg("dp_run: frames still moving after %u turns", DP_RUN_MAX);
}

void dp_gw_turn(struct dp_h *h)
{
	h->gw->now_us = h->peer->now_us = h->now_us;
	sb_pktio_flush(h->peer);
	(void)dp_rx(h->gw);
	sb_tcp_io_timers(h->gw, h->now_us);
	for (unsigned i = 0; i < h->gw->tcp->n_apps; i++) {
		const struct sb_tcp_app *a = &h->gw->tcp->apps[i];

		if (a->ops->on_turn != NULL)
			(void)a->ops->on_turn(a->ctx, h->gw, h->now_us);
	}
	sb_pktio_flush(h->gw);
	(void)dp_rx(h->peer);
}

void dp_advance(struct dp_h *h, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		h->now_us += 1000;
		dp_run(h);
	}
}

static struct sb_worker *dp_owner(const struct dp_h *h, const struct dp_sock *s)
{
	return s >= h->gw_socks && s < h->gw_socks + DP_SOCKS ? h->gw : h->peer;
}

struct dp_sock *dp_connect(struct dp_h *h, uint16_t dport)
{
	struct dp_sock *s;
	unsigned k = h->n_socks;
	int err = 0;

	assert_true(k < DP_SOCKS);
	s = &h->socks[h->n_socks++];
	memset(s, 0, sizeof(*s));
	/* One source address per connection: the c2s per-address rate limit
	 * stays out of the way. */
	s->c = sb_conn_connect(h->peer, rte_cpu_to_be_32(DP_PEER_IP + k),
			       rte_cpu_to_be_32(DP_GW_IP), rte_cpu_to_be_16((uint16_t)(20000 + k)),
			       rte_cpu_to_be_16(dport), &h->gw->mac, h->peer_app, &err);
	assert_int_equal(err, 0);
	assert_non_null(s->c);
	s->c->app_data = (uint64_t)(uintptr_t)s;
	dp_run(h);
	assert_true(s->established);
	return s;
}

struct dp_sock *dp_connect_ack_lost(struct dp_h *h, uint16_t dport)
{
	struct dp_sock *s;
	struct rte_mbuf *m;
	unsigned k = h->n_socks, lost = 0;
	int err = 0;

	assert_true(k < DP_SOCKS);
	s = &h->socks[h->n_socks++];
	memset(s, 0, sizeof(*s));
	s->c = sb_conn_connect(h->peer, rte_cpu_to_be_32(DP_PEER_IP + k),
			       rte_cpu_to_be_32(DP_GW_IP), rte_cpu_to_be_16((uint16_t)(20000 + k)),
			       rte_cpu_to_be_16(dport), &h->gw->mac, h->peer_app, &err);
	assert_int_equal(err, 0);
	assert_non_null(s->c);
	s->c->app_data = (uint64_t)(uintptr_t)s;
	/* One step at a time: SYN, SYN-ACK, then the peer's ACK is lost on
	 * the wire (wire[1] goes to the gateway). */
	h->gw->now_us = h->peer->now_us = h->now_us;
	sb_pktio_flush(h->peer);
	assert_int_equal(dp_rx(h->gw), 1);
	sb_pktio_flush(h->gw);
	assert_int_equal(dp_rx(h->peer), 1);
	sb_pktio_flush(h->peer);
	while (rte_ring_dequeue(h->wire[1], (void **)&m) == 0) {
		rte_pktmbuf_free(m);
		lost++;
	}
	assert_int_equal(lost, 1);
	assert_true(s->established);
	return s;
}

void dp_send(struct dp_h *h, struct dp_sock *s, const void *p, size_t len)
{
	assert_non_null(s->c);
	assert_int_equal(sb_conn_send_bytes(dp_owner(h, s), s->c, p, (uint32_t)len), 0);
	dp_run(h);
}

void dp_read(struct dp_h *h, struct dp_sock *s, uint32_t n)
{
	assert_true(n <= s->held);
	s->held -= n;
	rec_window(dp_owner(h, s), s);
	dp_run(h);
}

void dp_close(struct dp_h *h, struct dp_sock *s)
{
	if (s->c != NULL)
		sb_conn_close(dp_owner(h, s), s->c);
	dp_run(h);
}

void dp_ctl_attach(struct dp_h *h, uint32_t epoch)
{
	if (epoch != 0) {
		h->shm->ctl_epoch = epoch;
		h->shm->ctl_shards = DP_SHARDS;
	}
	__atomic_store_n(&h->shm->ctl_live, epoch, __ATOMIC_RELEASE);
}

struct sb_msg *dp_ctl_take(struct dp_h *h)
{
	struct sb_msg *m;

	for (unsigned s = 0; s < DP_SHARDS; s++)
		if (rte_ring_sc_dequeue(h->up[s], (void **)&m) == 0) {
			assert_int_equal(m->owner, SB_MSG_OWNER_RING);
			assert_int_equal(m->shard, s);
			sb_msg_set_owner(m, SB_MSG_OWNER_CONTROL);
			return m;
		}
	return NULL;
}

unsigned dp_ctl_drain(struct dp_h *h)
{
	struct sb_msg *m;
	unsigned n = 0;

	while ((m = dp_ctl_take(h)) != NULL) {
		dp_msg_free(h, m);
		n++;
	}
	return n;
}

unsigned dp_msgs_free(const struct dp_h *h)
{
	return rte_mempool_avail_count(h->msg_pool) + h->gw->msg_stash_n;
}

void dp_msg_free(struct dp_h *h, struct sb_msg *m)
{
	sb_msg_free_chain(m, &h->gw->msg_ops);
}

void dp_ctl_reply(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint64_t conn,
		  uint32_t gen, int16_t status, const void *p, size_t len)
{
	dp_ctl_put_flags(h, shard, kind, 0, conn, gen, status, p, len);
	dp_run(h);
}

void dp_ctl_reply_flags(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint8_t flags,
			uint64_t conn, uint32_t gen, int16_t status, const void *p, size_t len)
{
	dp_ctl_put_flags(h, shard, kind, flags, conn, gen, status, p, len);
	dp_run(h);
}

void dp_ctl_put(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint64_t conn,
		uint32_t gen, int16_t status, const void *p, size_t len)
{
	dp_ctl_put_flags(h, shard, kind, 0, conn, gen, status, p, len);
}

void dp_ctl_put_flags(struct dp_h *h, unsigned shard, enum sb_msg_kind kind, uint8_t flags,
		      uint64_t conn, uint32_t gen, int16_t status, const void *p, size_t len)
{
	struct sb_msg *m;

	assert_int_equal(rte_mempool_get(h->msg_pool, (void **)&m), 0);
	assert_int_equal(sb_msg_encode(m, kind, h->gw->index, (uint16_t)shard, (uint32_t)len, 0, 0),
			 0);
	m->flags = (uint8_t)(SB_MSG_F_FROM_CONTROL | flags);
	m->next = NULL;
	m->conn = conn;
	m->conn_gen = gen;
	m->status = status;
	if (len > 0)
		memcpy(m->payload, p, len);
	m->owner = SB_MSG_OWNER_RING;
	assert_int_equal(rte_ring_sp_enqueue(h->down[shard], m), 0);
	/* Taken and handled, or waiting behind a deferred one (sb_msg_link_defer). */
	if (sb_ctl_link_poll(h->gw, 0) != 1)
		assert_true(sb_msg_link_deferred(&h->gw->link));
}

size_t dp_multi_payload(uint8_t *buf, size_t cap, struct sb_xc_conn *const *to, uint32_t n,
			const char *from, const char *bytes)
{
	const char *slash = strchr(from, '/');
	struct sb_msg_multi mh = {
		.n = n,
		.to_off = (uint32_t)(1 + strcspn(bytes + 1, " />")),
	};
	struct sb_msg_stanza st = {
		.kind = SB_STANZA_PRESENCE,
		.from_len = (uint16_t)strlen(from),
		.from_bare_len = (uint16_t)(slash ? (size_t)(slash - from) : strlen(from)),
		.bytes_len = (uint32_t)strlen(bytes),
	};
	size_t off = sizeof(mh);

	assert_true(sb_msg_multi_stanza_off(n) + sizeof(st) + st.from_len + st.bytes_len <= cap);
	memcpy(buf, &mh, sizeof(mh));
	for (uint32_t i = 0; i < n; i++) {
		struct sb_msg_target t = { .conn = sb_xc_handle(to[i]), .conn_gen = to[i]->gen };

		memcpy(buf + off, &t, sizeof(t));
		off += sizeof(t);
	}
	memcpy(buf + off, &st, sizeof(st));
	off += sizeof(st);
	memcpy(buf + off, from, st.from_len);
	off += st.from_len;
	memcpy(buf + off, bytes, st.bytes_len);
	return off + st.bytes_len;
}

bool dp_sock_saw(const struct dp_sock *s, const char *needle)
{
	return memmem(s->rx, s->rx_len, needle, strlen(needle)) != NULL;
}

int dp_stream_header(const struct dp_h *h, char *buf, size_t cap)
{
	return snprintf(buf, cap,
			"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
			"xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>",
			h->cfg.xmpp_domain);
}

static void dp_stream_open(struct dp_h *h, struct dp_sock *s)
{
	char hdr[256];
	int n = dp_stream_header(h, hdr, sizeof(hdr));

	dp_send(h, s, hdr, (size_t)n);
}

/* sb-control's answer to the request m, for the connection m names. */
static void dp_ctl_answer(struct dp_h *h, struct sb_msg *m, enum sb_msg_kind kind, int16_t status)
{
	uint64_t conn = m->conn;
	uint32_t gen = m->conn_gen;
	unsigned shard = m->shard;

	dp_msg_free(h, m);
	dp_ctl_reply(h, shard, kind, conn, gen, status, NULL, 0);
}

struct dp_sock *dp_c2s_auth(struct dp_h *h, const char *user)
{
	struct dp_sock *s = dp_connect(h, DP_PORT_C2S);
	unsigned char plain[128], b64[200];
	char auth[320];
	int n;

	dp_stream_open(h, s);
	assert_true(dp_sock_saw(s, "PLAIN"));
	n = snprintf((char *)plain, sizeof(plain), "%c%s%csecret", 0, user, 0);
	EVP_EncodeBlock(b64, plain, n);
	n = snprintf(auth, sizeof(auth),
		     "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>",
		     b64);
	dp_send(h, s, auth, (size_t)n);
	return s;
}

void dp_c2s_bind(struct dp_h *h, struct dp_sock *s)
{
	static const char bind[] = "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:"
				   "xmpp-bind'><resource>r</resource></bind></iq>";
	struct sb_msg *m = dp_ctl_take(h);

	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_AUTH_REQ);
	dp_ctl_answer(h, m, SB_MSG_AUTH_RESP, 0);
	assert_true(dp_sock_saw(s, "<success"));
	dp_stream_open(h, s);
	dp_send(h, s, bind, sizeof(bind) - 1);
	m = dp_ctl_take(h);
	assert_non_null(m);
	assert_int_equal(m->kind, SB_MSG_BIND_REQ);
	dp_ctl_answer(h, m, SB_MSG_BIND_RESP, 0);
	assert_true(dp_sock_saw(s, "/r</jid>"));
}

struct dp_sock *dp_c2s_login(struct dp_h *h, const char *user)
{
	struct dp_sock *s = dp_c2s_auth(h, user);

	dp_c2s_bind(h, s);
	return s;
}

void dp_c2s_chats(struct dp_h *h, struct dp_sock *s, unsigned first, unsigned n, size_t pad)
{
	static char body[1024], buf[1200];

	assert_true(pad < sizeof(body) - 16);
	for (unsigned i = first; i < first + n; i++) {
		int len = snprintf(body, sizeof(body), "[%u]", i);

		memset(body + len, 'x', pad);
		body[(size_t)len + pad] = '\0';
		len = snprintf(buf, sizeof(buf),
			       "<message to='bob@%s' type='chat'><body>%s</body></message>",
			       h->cfg.xmpp_domain, body);
		assert_true(len > 0 && (size_t)len < sizeof(buf));
		dp_send(h, s, buf, (size_t)len);
		dp_advance(h, 50);
	}
}

static unsigned ctl_take_chats(struct dp_h *h, unsigned first, bool replay_ok)
{
	static char bytes[2048];
	struct sb_msg *m;
	unsigned n = 0;

	while ((m = dp_ctl_take(h)) != NULL) {
		char tag[24];
		size_t len;

		if (replay_ok && m->kind == SB_MSG_BIND_REQ && (m->flags & SB_MSG_F_REPLAY)) {
			dp_msg_free(h, m);
			continue;
		}
		assert_int_equal(m->kind, SB_MSG_STANZA);
		len = sb_msg_read(m, 0, bytes, sizeof(bytes));
		snprintf(tag, sizeof(tag), "<body>[%u]", first + n);
		if (memmem(bytes, len, tag, strlen(tag)) == NULL)
			fail_msg("expected chat %u, got '%.*s'", first + n, (int)len, bytes);
		dp_msg_free(h, m);
		n++;
	}
	return n;
}

unsigned dp_ctl_take_chats(struct dp_h *h, unsigned first)
{
	return ctl_take_chats(h, first, false);
}

unsigned dp_ctl_take_chats_replayed(struct dp_h *h, unsigned first)
{
	return ctl_take_chats(h, first, true);
}

struct dp_sock *dp_c2s_window_shut(struct dp_h *h, unsigned n, unsigned *ret_routed)
{
	struct dp_sock *s;

	h->xw->input_budget = 16384; /* the window, from the first byte on */
	dp_ctl_attach(h, 1);
	s = dp_c2s_login(h, "alice");
	h->gw->mbufs_low = true;
	/* A stanza per segment, so that the connection is between stanzas
	 * after each one: what was advertised is read, then no more. */
	dp_c2s_chats(h, s, 0, n, 800);
	dp_advance(h, 1000);
	*ret_routed = dp_ctl_take_chats(h, 0);
	return s;
}
