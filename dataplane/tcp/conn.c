/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Connection table and life cycle for one worker (see conn.h): the 4-tuple
 * hash, the connection and TIME-WAIT pools, the send list, and the post list
 * that runs what lib/tcp's callbacks may not do themselves.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "app/app.h"
#include "config.h"
#include "conn.h"
#include "heap.h"
#include "worker.h"

void sb_tcp_cfg_from_config(const struct sb_config *cfg, struct sb_tcp_cfg *tc)
{
	sb_tcp_cfg_default(tc);
	tc->mss = (uint16_t)cfg->tcp_mss;
	tc->rcv_space = (uint32_t)cfg->tcp_rcv_space;
	tc->rcv_wscale = (uint8_t)cfg->tcp_rcv_wscale;
	/* RFC 7323 §2.2: answer a window-scale option whenever it is offered,
	 * shift 0 included, so that the peer may scale its own window. */
	tc->wscale = true;
	tc->ooo_pieces_worker_max =
		(uint32_t)(cfg->dataplane_mbufs_per_worker * cfg->tcp_ooo_pool_pct / 100u);
	tc->ooo_pieces_src_max = tc->ooo_pieces_worker_max * (uint32_t)cfg->tcp_ooo_src_pct / 100u;
	if (tc->ooo_pieces_src_max > UINT16_MAX)
		tc->ooo_pieces_src_max = UINT16_MAX; /* the buckets count in 16 bits */
	tc->rto_min_us = (uint32_t)cfg->tcp_rto_min_ms * 1000u;
	tc->msl_ms = (uint32_t)cfg->tcp_msl_ms;
	tc->keep_idle_ms = (uint32_t)cfg->tcp_keepalive_idle_s * 1000u;
}

int sb_tcp_worker_init(struct sb_worker *w, const struct sb_tcp_cfg *cfg, uint32_t max_conns,
		       uint32_t tw_max, uint64_t now_us)
{
	struct sb_tcp_worker *t = w->tcp;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.entries = max_conns + tw_max,
		.key_len = sizeof(struct sb_tcp_tuple),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_lcore_to_socket_id(w->lcore_id),
	};
	struct sb_tcp_cfg tc;
	uint8_t key[16];
	uint64_t heap0;
	int rc;

	snprintf(name, sizeof(name), "sb_conn_tab_w%u", w->index);
	hp.name = name;
	heap0 = sb_dp_heap_bytes(hp.socket_id);
	t->table = rte_hash_create(&hp);
	if (t->table == NULL)
		return -ENOMEM;
	/* rte_hash does not say its size; the heap's growth does (before
	 * this worker runs: the main lcore alone allocates now). */
	w->ctr[SB_DP_CTR_mem_table_bytes] = sb_dp_heap_bytes(hp.socket_id) - heap0;
	/* Single-producer, single-consumer: only this lcore ever touches them. */
	snprintf(name, sizeof(name), "sb_conn_w%u", w->index);
	t->conn_pool = rte_mempool_create(name, max_conns, sizeof(struct sb_conn), 0, 0, NULL,
					  NULL, NULL, NULL, hp.socket_id,
					  RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	snprintf(name, sizeof(name), "sb_tw_w%u", w->index);
	t->tw_pool = rte_mempool_create(name, tw_max, sizeof(struct sb_tw_rec), 0, 0, NULL, NULL,
					NULL, NULL, hp.socket_id,
					RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (t->conn_pool == NULL || t->tw_pool == NULL)
		return -ENOMEM;
	rc = sb_wheel_init(&t->wheel, t->slots, 4, now_us / 1000);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < sizeof(key); i += 8) {
		uint64_t r = rte_rand();

		memcpy(key + i, &r, 8);
	}
	t->max_conns = max_conns;
	tc = *cfg;
	if (w->pkt_pool != NULL)
		tc.ooo_piece_bytes = w->pkt_pool->elt_size; /* the buffer a piece may pin */
	return sb_tcp_ctx_init(&t->ctx, &tc, &sb_tcp_glue_ops, w, &t->wheel, key);
}

int sb_tcp_app_add(struct sb_tcp_worker *t, const struct sb_app_ops *ops, void *ctx)
{
	if (t->n_apps == SB_TCP_APPS_MAX)
		return -ENOSPC;
	t->apps[t->n_apps] = (struct sb_tcp_app){ .ops = ops, .ctx = ctx };
	return t->n_apps++;
}

int sb_tcp_listen(struct sb_tcp_worker *t, uint16_t port_be, uint8_t app)
{
	if (app >= t->n_apps)
		return -EINVAL;
	if (t->n_listen == SB_TCP_LISTEN_MAX)
		return -ENOSPC;
	t->listen[t->n_listen].port_be = port_be;
	t->listen[t->n_listen].app = app;
	t->n_listen++;
	return 0;
}

void sb_tcp_post_add(struct sb_tcp_worker *t, struct sb_conn *c, uint8_t flags)
{
	c->flags |= flags;
	if (c->flags & SB_CONN_F_POST)
		return;
	/* The list is sized for the most connections one batch of core calls
	 * can touch (one per segment, SB_TCP_TIMERS_PER_TURN per timer run). */
	RTE_ASSERT(t->n_post < SB_TCP_POST_MAX);
	c->flags |= SB_CONN_F_POST;
	t->post[t->n_post++] = c;
}

/* Free a list of segments linked through m->next. */
static void conn_free_list(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
}

static uint32_t conn_src_bucket(const struct sb_conn *c)
{
	return (rte_be_to_cpu_32(c->tuple.raddr) * 2654435761u) >> 24; /* 256 buckets */
}

void sb_conn_ooo_src_prepare(struct sb_tcp_worker *t, const struct sb_conn *c)
{
	uint32_t max = t->ctx.cfg.ooo_pieces_src_max, used = t->ooo_src[conn_src_bucket(c)];

	t->ctx.ooo_src_left = max == 0 ? UINT32_MAX : (used >= max ? 0 : max - used);
}

void sb_conn_ooo_settle(struct sb_tcp_worker *t, struct sb_conn *c)
{
	uint16_t *b = &t->ooo_src[conn_src_bucket(c)];

	if (c->ooo_charged == c->tcb.ooo_pieces)
		return;
	*b = (uint16_t)(*b - RTE_MIN(*b, c->ooo_charged) + c->tcb.ooo_pieces);
	c->ooo_charged = c->tcb.ooo_pieces;
}

/* Free the held out-of-order pieces: the core has forgotten them. */
static void conn_drop_ooo(struct sb_worker *w, struct sb_conn *c)
{
	for (const struct rte_mbuf *m = c->ooo; m != NULL; m = m->next)
		w->ctr[SB_DP_CTR_tcp_ooo_mbufs]--;
	conn_free_list(c->ooo);
	c->ooo = NULL;
}

void sb_conn_drop_buffers(struct sb_worker *w, struct sb_conn *c)
{
	conn_free_list(c->snd_head);
	conn_drop_ooo(w, c);
	c->snd_head = c->snd_tail = NULL;
	c->snd_queued = 0;
}

static void conn_free(struct sb_worker *w, struct sb_conn *c)
{
	struct sb_tcp_worker *t = w->tcp;

	/* Dead by the glue's hand (no mbuf for received bytes): the core
	 * still has timers armed and held ranges charged. */
	if (c->tcb.state != SB_TCPS_CLOSED) {
		t->in_core = true;
		sb_tcp_abort(&t->ctx, &c->tcb, w->now_us);
		t->in_core = false;
	}
	sb_conn_ooo_settle(t, c);
	sb_conn_drop_buffers(w, c);
	if (rte_hash_del_key(t->table, &c->tuple) < 0)
		SB_CTR_INC(w, tcp_table_inconsistent);
	if (c->tcb.state == SB_TCPS_SYN_RECEIVED && t->half_open > 0)
		t->half_open--;
	t->conns--;
	rte_mempool_put(t->conn_pool, c);
}

/* Swap a connection in TIME-WAIT for a small record (RFC 9293 §3.10.7.4). */
static void conn_to_time_wait(struct sb_worker *w, struct sb_conn *c)
{
	struct sb_tcp_worker *t = w->tcp;
	struct sb_tw_rec *tw;

	if (rte_mempool_get(t->tw_pool, (void **)&tw) != 0) {
		/* No record left: the connection keeps its full TCB until its
		 * 2MSL runs out; counted, never dropped. */
		SB_CTR_INC(w, tcp_tw_pool_empty);
		return;
	}
	tw->tuple = c->tuple;
	sb_tcp_tw_init(&t->ctx, &tw->tw, &c->tcb);
	sb_conn_ooo_settle(t, c);
	sb_conn_drop_buffers(w, c);
	rte_hash_add_key_data(t->table, &tw->tuple, tw);
	t->conns--;
	t->time_wait++;
	rte_mempool_put(t->conn_pool, c);
}

/* What the core must hear about, with in_core set so that anything the
 * application does in response is deferred again. */
static void conn_post_core(struct sb_worker *w, struct sb_conn *c, uint64_t now_us)
{
	struct sb_tcp_worker *t = w->tcp;

	t->in_core = true;
	if (c->flags & SB_CONN_F_RCVSPACE) {
		c->flags &= (uint8_t)~SB_CONN_F_RCVSPACE;
		sb_tcp_set_rcv_space(&t->ctx, &c->tcb, c->rcv_space_pending, now_us);
	}
	if (!(c->flags & SB_CONN_F_DEAD)) {
		uint32_t n = c->snd_queued - sb_tcp_snd_queued(&c->tcb);

		if (n != 0 && sb_tcp_send(&t->ctx, &c->tcb, n, now_us) < 0)
			SB_CTR_INC(w, tcp_send_after_close);
	}
	if ((c->flags & SB_CONN_F_CLOSE) && !(c->flags & SB_CONN_F_DEAD)) {
		c->flags &= (uint8_t)~SB_CONN_F_CLOSE;
		sb_tcp_close(&t->ctx, &c->tcb, now_us);
		conn_drop_ooo(w, c); /* nobody will read them: the core forgot them */
	}
	t->in_core = false;
}

static void conn_post_one(struct sb_worker *w, struct sb_conn *c, uint64_t now_us)
{
	const struct sb_tcp_app *app = &w->tcp->apps[c->app];

	c->flags &= (uint8_t)~SB_CONN_F_POST;
	if (c->flags & SB_CONN_F_ACCEPTED) {
		c->flags &= (uint8_t)~SB_CONN_F_ACCEPTED;
		if (!c->told) {
			c->told = 1;
			app->ops->on_accept(app->ctx, w, c);
		}
	}
	if (c->flags & SB_CONN_F_WRITABLE) {
		c->flags &= (uint8_t)~SB_CONN_F_WRITABLE;
		app->ops->on_writable(app->ctx, w, c);
	}
	if (c->flags & SB_CONN_F_PEER_FIN) {
		c->flags &= (uint8_t)~SB_CONN_F_PEER_FIN;
		app->ops->on_peer_fin(app->ctx, w, c);
	}
	conn_post_core(w, c, now_us);
	sb_conn_ooo_settle(w->tcp, c);
	if (c->flags & SB_CONN_F_POST)
		return; /* the core posted it again: finish it on that entry */
	if (c->flags & SB_CONN_F_DEAD) {
		app->ops->on_close(app->ctx, w, c, (enum sb_tcp_event)c->why);
		conn_free(w, c);
	} else if (c->flags & SB_CONN_F_TW) {
		app->ops->on_close(app->ctx, w, c, SB_TCP_EV_TIME_WAIT);
		conn_to_time_wait(w, c);
	}
}

void sb_tcp_post(struct sb_worker *w)
{
	struct sb_tcp_worker *t = w->tcp;

	/* Entries may be appended while the list is walked. */
	t->in_post = true;
	for (uint32_t i = 0; i < t->n_post; i++)
		conn_post_one(w, t->post[i], w->now_us);
	t->n_post = 0;
	t->in_post = false;
}

uint32_t sb_conn_snd_space(const struct sb_worker *w, const struct sb_conn *c)
{
	uint32_t max = w->tcp->snd_queue_max;

	return c->snd_queued >= max ? 0 : max - c->snd_queued;
}

int sb_conn_send(struct sb_worker *w, struct sb_conn *c, struct rte_mbuf *m)
{
	struct sb_tcp_worker *t = w->tcp;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

	if (c->flags & (SB_CONN_F_DEAD | SB_CONN_F_TW | SB_CONN_F_CLOSE))
		return -EPIPE;
	/* Over the limit by more than one advertised window means the
	 * application ignored sb_conn_snd_space(). */
	if (c->snd_queued + len > t->snd_queue_max + t->rcv_space)
		return -ENOBUFS;
	if (len == 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	if (c->snd_tail != NULL)
		c->snd_tail->next = m;
	else
		c->snd_head = m;
	c->snd_tail = last;
	c->snd_queued += len;
	sb_tcp_post_add(t, c, 0);
	if (!t->in_core && !t->in_post)
		sb_tcp_post(w);
	return 0;
}

int sb_conn_send_bytes(struct sb_worker *w, struct sb_conn *c, const void *p, uint32_t len)
{
	struct sb_tcp_worker *t = w->tcp;
	const uint8_t *src = p;
	struct rte_mbuf *tail = c->snd_tail;
	uint32_t left = len;

	if (c->flags & (SB_CONN_F_DEAD | SB_CONN_F_TW | SB_CONN_F_CLOSE))
		return -EPIPE;
	if (c->snd_queued + len > t->snd_queue_max + t->rcv_space)
		return -ENOBUFS;
	/* Appending behind bytes already sent is safe: frames copy their
	 * payload, and the core names bytes by offset from SND.UNA. */
	while (left > 0) {
		uint16_t room = tail != NULL ? rte_pktmbuf_tailroom(tail) : 0;
		uint16_t n;

		if (room == 0) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(w->pkt_pool);

			if (m == NULL) {
				SB_CTR_INC(w, mbuf_alloc_fail);
				break;
			}
			if (tail != NULL)
				tail->next = m;
			else
				c->snd_head = m;
			tail = c->snd_tail = m;
			continue;
		}
		n = (uint16_t)RTE_MIN(left, (uint32_t)room);
		memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len), src, n);
		tail->data_len = (uint16_t)(tail->data_len + n);
		tail->pkt_len = tail->data_len;
		src += n;
		left -= n;
	}
	c->snd_queued += len - left;
	if (len - left > 0) {
		sb_tcp_post_add(t, c, 0);
		if (!t->in_core && !t->in_post)
			sb_tcp_post(w);
	}
	return left == 0 ? 0 : -ENOMEM;
}

void sb_conn_set_rcv_space(struct sb_worker *w, struct sb_conn *c, uint32_t bytes)
{
	c->rcv_space_pending = bytes;
	sb_tcp_post_add(w->tcp, c, SB_CONN_F_RCVSPACE);
	if (!w->tcp->in_core && !w->tcp->in_post)
		sb_tcp_post(w);
}

void sb_conn_close(struct sb_worker *w, struct sb_conn *c)
{
	if (c->flags & SB_CONN_F_DEAD)
		return; /* being reset (sb_conn_abort): no FIN to send */
	sb_tcp_post_add(w->tcp, c, SB_CONN_F_CLOSE);
	if (!w->tcp->in_core && !w->tcp->in_post)
		sb_tcp_post(w);
}

void sb_conn_abort(struct sb_worker *w, struct sb_conn *c)
{
	struct sb_tcp_worker *t = w->tcp;

	if (c->flags & SB_CONN_F_DEAD)
		return;
	/* Never released here: the caller is usually in the middle of a
	 * write to c (a reader that stopped reading is found by its full
	 * queue), and its callers still hold c's application object. The
	 * next post-processing releases it: the one a send to any other
	 * connection runs, or the worker's after each batch
	 * (sb_tcp_post_turn). Only aborted connections can wait on the
	 * list outside the core, so a full list holds only ones their
	 * callers are done with: post-processing them first is safe. */
	if (t->n_post >= SB_TCP_POST_MAX - 1 && !t->in_core && !t->in_post)
		sb_tcp_post(w);
	/* conn_free() sends the RST: the core still thinks it is open. */
	c->why = SB_TCP_EV_RESET;
	sb_tcp_post_add(t, c, SB_CONN_F_DEAD);
}

void sb_tcp_post_turn(struct sb_worker *w)
{
	struct sb_tcp_worker *t = w->tcp;

	if (t->n_post != 0 && !t->in_core && !t->in_post)
		sb_tcp_post(w);
}

struct sb_conn *sb_conn_connect(struct sb_worker *w, uint32_t laddr_be, uint32_t raddr_be,
				uint16_t lport_be,
				uint16_t rport_be, const struct rte_ether_addr *dmac, uint8_t app,
				int *ret_err)
{
	struct sb_tcp_worker *t = w->tcp;
	struct sb_conn *c;
	int rc;

	struct sb_tcp_tuple tu = {
		.laddr = laddr_be, .raddr = raddr_be, .lport = lport_be, .rport = rport_be,
	};

	if (rte_hash_lookup(t->table, &tu) >= 0) {
		*ret_err = -EADDRINUSE;
		return NULL;
	}
	if (t->conns >= t->max_conns || rte_mempool_get(t->conn_pool, (void **)&c) != 0) {
		SB_CTR_INC(w, tcp_conn_limit);
		*ret_err = -ENOBUFS;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	sb_wheel_timer_init(&c->tcb.timer);
	c->tuple = tu;
	rte_ether_addr_copy(dmac, &c->peer_mac);
	c->app = app;
	rc = rte_hash_add_key_data(t->table, &c->tuple, c);
	if (rc < 0) {
		SB_CTR_INC(w, tcp_conn_limit);
		rte_mempool_put(t->conn_pool, c);
		*ret_err = -ENOBUFS;
		return NULL;
	}
	t->conns++;
	t->in_core = true;
	sb_tcp_connect(&t->ctx, &c->tcb, sb_tcp_iss(&t->ctx, &c->tuple, w->now_us), w->now_us);
	t->in_core = false;
	sb_tcp_post(w);
	*ret_err = 0;
	return c;
}
