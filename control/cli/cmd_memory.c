/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_memory.h. Every figure is a row: subsystem, item, where (a
 * worker, a shard or the node), bytes in use and bytes reserved. Pools
 * are found by the names their owners give them (dataplane/tcp/conn.c,
 * dataplane/xmpp/xc_setup.c) and measured as objects times the object's
 * full size (header, element, trailer).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "attach.h"
#include "cmd_memory.h"
#include "metrics/collect.h"
#include "shard.h"
#include "store/store.h"

#define MEM_ROWS_MAX (SB_MAX_WORKERS * 8 + SB_MAX_SHARDS * 4 + 8) /* rows per worker, per shard, node */
#define MEM_NODE (-1)

struct mem_row {
	const char *sub;       /* tcp, xmpp, tls, sessions, rings_pools, store */
	const char *item;
	int worker;            /* or MEM_NODE */
	int shard;             /* or MEM_NODE */
	uint64_t in_use;
	uint64_t reserved;
	uint64_t objs;         /* objects in use (pools), else 0 */
	bool client;           /* counts toward bytes per connection */
};

struct mem {
	unsigned n;
	struct mem_row r[MEM_ROWS_MAX];
};

static struct mem_row *mem_add(struct mem *m, const char *sub, const char *item, int worker,
			       int shard)
{
	struct mem_row *r;

	if (m->n == MEM_ROWS_MAX)
		return NULL;
	r = &m->r[m->n++];
	*r = (struct mem_row){ .sub = sub, .item = item, .worker = worker, .shard = shard };
	return r;
}

static uint64_t mem_obj_bytes(const struct rte_mempool *mp)
{
	return (uint64_t)mp->header_size + mp->elt_size + mp->trailer_size;
}

/* Pool "sb_<what>_w<w>" (or `what` itself for w < 0) as a row. */
static void mem_pool(struct mem *m, const char *sub, const char *item, const char *what, int w,
		     bool client)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;
	struct mem_row *r;

	if (w >= 0)
		snprintf(name, sizeof(name), "sb_%s_w%d", what, w);
	else
		snprintf(name, sizeof(name), "%s", what);
	mp = rte_mempool_lookup(name);
	if (mp == NULL || (r = mem_add(m, sub, item, w, MEM_NODE)) == NULL)
		return;
	r->objs = rte_mempool_in_use_count(mp);
	r->in_use = r->objs * mem_obj_bytes(mp);
	r->reserved = (uint64_t)mp->size * mem_obj_bytes(mp);
	r->client = client;
}

static uint64_t mem_worker_ctr(const struct sb_shm *shm, unsigned w, const char *group,
			       const char *name)
{
	const struct sb_shm_ctr_entry *e = sb_shm_dir_find(&shm->worker_dir, group, name);

	return e != NULL ? sb_shm_ctr_sum(e, &shm->workers[w], 0, 1) : 0;
}

static void mem_workers(struct mem *m, const struct sb_shm *shm)
{
	for (unsigned w = 0; w < shm->n_workers; w++) {
		struct mem_row *r;

		mem_pool(m, "tcp", "connections", "conn", (int)w, true);
		mem_pool(m, "tcp", "time_wait", "tw", (int)w, false);
		r = mem_add(m, "tcp", "table", (int)w, MEM_NODE);
		if (r != NULL)
			r->in_use = r->reserved =
				mem_worker_ctr(shm, w, "dataplane", "mem_table_bytes");
		mem_pool(m, "xmpp", "streams", "xc_conn", (int)w, true);
		mem_pool(m, "xmpp", "parser_states", "xctx", (int)w, true);
		mem_pool(m, "xmpp", "login_states", "xaux", (int)w, true);
		mem_pool(m, "xmpp", "jids", "xjid", (int)w, true);
		mem_pool(m, "tls", "states", "xtls", (int)w, true);
	}
}

static void mem_node(struct mem *m, const struct sb_metrics_src *src)
{
	const struct sb_shm *shm = src->attach->shm;
	struct mem_row *r;

	mem_pool(m, "rings_pools", "msg_pool", SB_MSG_POOL_NAME, -1, false);
	mem_pool(m, "rings_pools", "mbuf_pool", "sb_mbuf", -1, false);
	r = mem_add(m, "rings_pools", "rings", MEM_NODE, MEM_NODE);
	if (r != NULL) {
		ssize_t one = rte_ring_get_memsize(shm->ring_size);

		r->reserved = one > 0 ? (uint64_t)one * 2 * shm->n_workers * shm->n_shards : 0;
		r->in_use = r->reserved;
	}
}

/* Buffers in flight, all of them inside rings_pools/mbuf_pool and so
 * shown apart, never added to the totals: send queues and unconsumed
 * input (the workers' sweep gauges), out-of-order data (mbufs held). */
struct mem_buffers {
	uint64_t snd, in, ooo;
};

static void mem_buffers(const struct sb_metrics_src *src, int w, struct mem_buffers *b)
{
	const struct sb_shm *shm = src->attach->shm;
	uint64_t mbuf = src->mbuf_pool != NULL ? mem_obj_bytes(src->mbuf_pool) : 0;

	*b = (struct mem_buffers){ 0 };
	for (unsigned i = 0; i < shm->n_workers; i++) {
		if (w != MEM_NODE && (unsigned)w != i)
			continue;
		b->snd += mem_worker_ctr(shm, i, "dataplane", "xmpp_snd_bytes");
		b->in += mem_worker_ctr(shm, i, "dataplane", "xmpp_in_bytes");
		b->ooo += mem_worker_ctr(shm, i, "dataplane", "tcp_ooo_mbufs") * mbuf;
	}
}

static void mem_shards(struct mem *m, const struct sb_metrics_src *src)
{
	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++) {
		const struct sb_router *rt = &src->shards[s].router;
		const struct sb_session_table *t = &rt->sessions;
		struct mem_row *r = mem_add(m, "sessions", "buckets", MEM_NODE, (int)s);
		uint64_t bl_in = 0, bl_cap = 0;

		/* The hash buckets are the table's fixed cost; the records are
		 * what each session adds (JIDs and presence copies apart). */
		if (r != NULL)
			r->in_use = r->reserved = ((uint64_t)t->mask + 1) * sizeof(void *);
		r = mem_add(m, "sessions", "records", MEM_NODE, (int)s);
		if (r != NULL) {
			r->objs = t->sessions;
			r->in_use = r->reserved =
				(uint64_t)t->users * sizeof(struct sb_session_user) +
				(uint64_t)t->sessions * sizeof(struct sb_session);
			r->client = true;
		}
		for (unsigned w = 0; w < src->shards[s].n_workers; w++) {
			bl_in += (uint64_t)rt->backlog[w].n * sizeof(struct sb_msg *);
			bl_cap += (uint64_t)rt->backlog[w].cap * sizeof(struct sb_msg *);
		}
		for (unsigned p = 0; p < 64; p++) {
			bl_in += (uint64_t)rt->im.out[p].n * sizeof(struct sb_im_xslot);
			bl_cap += (uint64_t)rt->im.out[p].cap * sizeof(struct sb_im_xslot);
		}
		r = mem_add(m, "sessions", "backlogs", MEM_NODE, (int)s);
		if (r != NULL) {
			r->in_use = bl_in;
			r->reserved = bl_cap;
		}
		if (src->store != NULL && s < src->store->n_shards) {
			struct sb_store_shard_info si;

			if (sb_store_shard_info((struct sb_store *)src->store, s, &si) == 0 &&
			    (r = mem_add(m, "store", "lmdb", MEM_NODE, (int)s)) != NULL) {
				r->in_use = si.used_bytes;
				r->reserved = si.map_bytes;
			}
		}
	}
}

static void mem_read(struct mem *m, const struct sb_metrics_src *src)
{
	m->n = 0;
	mem_workers(m, src->attach->shm);
	mem_node(m, src);
	mem_shards(m, src);
}

static uint64_t mem_conns(const struct sb_shm *shm)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < shm->n_workers; w++)
		n += shm->workers[w].tcp_conns;
	return n;
}

static uint64_t mem_client(const struct mem *m)
{
	uint64_t b = 0;

	for (unsigned i = 0; i < m->n; i++)
		b += m->r[i].client ? m->r[i].in_use : 0;
	return b;
}

uint64_t sb_cmd_memory_client_bytes(const struct sb_metrics_src *src)
{
	static struct mem m; /* management thread only */

	mem_read(&m, src);
	return mem_client(&m);
}

/* Sum rows matching sub (NULL: any) and item (NULL: any), worker w
 * (MEM_NODE: any), shard s (MEM_NODE: any). */
static void mem_sum(const struct mem *m, const char *sub, const char *item, int w, int s,
		    uint64_t *in_use, uint64_t *reserved)
{
	*in_use = *reserved = 0;
	for (unsigned i = 0; i < m->n; i++) {
		const struct mem_row *r = &m->r[i];

		if ((sub && strcmp(r->sub, sub)) || (item && strcmp(r->item, item)) ||
		    (w != MEM_NODE && r->worker != w) || (s != MEM_NODE && r->shard != s))
			continue;
		*in_use += r->in_use;
		*reserved += r->reserved;
	}
}

static const char *const mem_subs[] = { "tcp", "xmpp", "tls", "sessions", "rings_pools",
					"store" };
#define MEM_SUBS (sizeof(mem_subs) / sizeof(mem_subs[0]))

/* One subsystem's items, in row order, each summed over workers and shards. */
static void mem_items(const struct mem *m, const char *sub, bool json, struct sb_out *o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->n; i++) {
		uint64_t in_use, reserved, objs = 0;
		bool seen = false;

		if (strcmp(m->r[i].sub, sub) != 0)
			continue;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = strcmp(m->r[j].sub, sub) == 0 && strcmp(m->r[j].item, m->r[i].item) == 0;
		if (seen)
			continue;
		mem_sum(m, sub, m->r[i].item, MEM_NODE, MEM_NODE, &in_use, &reserved);
		for (unsigned j = i; j < m->n; j++)
			if (strcmp(m->r[j].sub, sub) == 0 && strcmp(m->r[j].item, m->r[i].item) == 0)
				objs += m->r[j].objs;
		if (json)
			sb_out_printf(o, "%s\"%s\":{\"in_use\":%" PRIu64 ",\"reserved\":%" PRIu64
					 ",\"objects\":%" PRIu64 "}",
				      n ? "," : "", m->r[i].item, in_use, reserved, objs);
		else
			sb_out_printf(o, "%-12s %-16s %14" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n",
				      sub, m->r[i].item, in_use, reserved, objs);
		n++;
	}
}

static void mem_text(const struct mem *m, const struct sb_metrics_src *src, uint64_t conns,
		     uint64_t sessions, struct sb_out *o)
{
	const struct sb_shm *shm = src->attach->shm;
	uint64_t in_use, reserved, client = mem_client(m);
	struct mem_buffers b;

	sb_out_printf(o, "%-12s %-16s %14s %14s %10s\n", "subsystem", "item", "in_use_bytes",
		      "reserved_bytes", "objects");
	for (unsigned k = 0; k < MEM_SUBS; k++)
		mem_items(m, mem_subs[k], false, o);
	mem_sum(m, NULL, NULL, MEM_NODE, MEM_NODE, &in_use, &reserved);
	sb_out_printf(o, "%-12s %-16s %14" PRIu64 " %14" PRIu64 "\n", "total", "", in_use,
		      reserved);
	mem_buffers(src, MEM_NODE, &b);
	sb_out_printf(o, "buffers in the mbuf pool: send queues %" PRIu64 ", receive %" PRIu64
			 ", out-of-order %" PRIu64 "\n",
		      b.snd, b.in, b.ooo);
	for (unsigned w = 0; w < shm->n_workers; w++) {
		mem_sum(m, NULL, NULL, (int)w, MEM_NODE, &in_use, &reserved);
		mem_buffers(src, (int)w, &b);
		sb_out_printf(o, "worker %u (lcore %u): in use %" PRIu64 ", reserved %" PRIu64
				 ", taken at start %" PRIu64 ", send queues %" PRIu64
				 ", receive %" PRIu64 "\n",
			      w, shm->workers[w].lcore_id, in_use, reserved,
			      mem_worker_ctr(shm, w, "dataplane", "mem_init_bytes"), b.snd, b.in);
	}
	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++) {
		uint64_t st_in, st_res;

		mem_sum(m, "sessions", NULL, MEM_NODE, (int)s, &in_use, &reserved);
		mem_sum(m, "store", NULL, MEM_NODE, (int)s, &st_in, &st_res);
		sb_out_printf(o, "shard %u: sessions %u, sessions and backlogs %" PRIu64
				 " in use (%" PRIu64 " reserved), store %" PRIu64 " of %" PRIu64
				 " map bytes\n",
			      s, src->shards[s].router.sessions.sessions, in_use, reserved, st_in,
			      st_res);
	}
	sb_out_printf(o, "connections %" PRIu64 ", sessions %" PRIu64 ", client bytes %" PRIu64
			 ", bytes per connection %" PRIu64 "\n",
		      conns, sessions, client, conns ? client / conns : 0);
}

static void mem_json(const struct mem *m, const struct sb_metrics_src *src, uint64_t conns,
		     uint64_t sessions, struct sb_out *o)
{
	const struct sb_shm *shm = src->attach->shm;
	uint64_t in_use, reserved, client = mem_client(m);
	struct mem_buffers b;

	mem_buffers(src, MEM_NODE, &b);
	mem_sum(m, NULL, NULL, MEM_NODE, MEM_NODE, &in_use, &reserved);
	sb_out_printf(o, "{\"version\":1,\"buffers\":{\"send_queues\":%" PRIu64
			 ",\"receive\":%" PRIu64 ",\"out_of_order\":%" PRIu64 "},",
		      b.snd, b.in, b.ooo);
	sb_out_printf(o, "\"connections\":%" PRIu64 ",\"sessions\":%" PRIu64
			 ",\"client_bytes\":%" PRIu64 ",\"bytes_per_connection\":%" PRIu64
			 ",\"total\":{\"in_use\":%" PRIu64 ",\"reserved\":%" PRIu64 "},\"subsystems\":{",
		      conns, sessions, client, conns ? client / conns : 0, in_use, reserved);
	for (unsigned k = 0; k < MEM_SUBS; k++) {
		mem_sum(m, mem_subs[k], NULL, MEM_NODE, MEM_NODE, &in_use, &reserved);
		sb_out_printf(o, "%s\"%s\":{\"in_use\":%" PRIu64 ",\"reserved\":%" PRIu64
				 ",\"items\":{",
			      k ? "," : "", mem_subs[k], in_use, reserved);
		mem_items(m, mem_subs[k], true, o);
		sb_out_printf(o, "}}");
	}
	sb_out_printf(o, "},\"lcores\":[");
	for (unsigned w = 0; w < shm->n_workers; w++) {
		mem_sum(m, NULL, NULL, (int)w, MEM_NODE, &in_use, &reserved);
		mem_buffers(src, (int)w, &b);
		sb_out_printf(o, "%s{\"worker\":%u,\"lcore\":%u,\"in_use\":%" PRIu64
				 ",\"reserved\":%" PRIu64 ",\"start_bytes\":%" PRIu64
				 ",\"send_queues\":%" PRIu64 ",\"receive\":%" PRIu64 "}",
			      w ? "," : "", w, shm->workers[w].lcore_id, in_use, reserved,
			      mem_worker_ctr(shm, w, "dataplane", "mem_init_bytes"), b.snd, b.in);
	}
	sb_out_printf(o, "],\"shards\":[");
	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++) {
		uint64_t st_in, st_res;

		mem_sum(m, "sessions", NULL, MEM_NODE, (int)s, &in_use, &reserved);
		mem_sum(m, "store", NULL, MEM_NODE, (int)s, &st_in, &st_res);
		sb_out_printf(o, "%s{\"shard\":%u,\"sessions\":%u,\"in_use\":%" PRIu64
				 ",\"reserved\":%" PRIu64 ",\"store_used\":%" PRIu64
				 ",\"store_map\":%" PRIu64 "}",
			      s ? "," : "", s, src->shards[s].router.sessions.sessions, in_use,
			      reserved, st_in, st_res);
	}
	sb_out_printf(o, "]}\n");
}

void sb_cmd_memory_run(const struct sb_metrics_src *src, const char *args, struct sb_out *o)
{
	static struct mem m; /* management thread only */
	uint64_t sessions = 0, conns;

	if (args[0] != '\0' && strcmp(args, "--json") != 0) {
		sb_out_printf(o, "error: usage: memory [--json]\n");
		return;
	}
	mem_read(&m, src);
	conns = mem_conns(src->attach->shm);
	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++)
		sessions += src->shards[s].router.sessions.sessions;
	sb_out_printf(o, "ok\n");
	if (args[0] != '\0')
		mem_json(&m, src, conns, sessions, o);
	else
		mem_text(&m, src, conns, sessions, o);
}
