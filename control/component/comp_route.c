/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shard's side of external components (component.h): stanzas to a
 * component's domain are copied into its queue (bounded by
 * component.queue_max: past it they are dropped, comp_queue_full; to a
 * component that is not connected a request is answered
 * service-unavailable), answers to a component's stanza come here from
 * sb_router_send, and the stanzas components sent are routed as a
 * client's are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "router.h"
#include "shard.h"

#define COMP_BURST 64u

static struct sb_comp *comp_of(struct sb_comps *cs, const char *jid, size_t bare_len)
{
	const char *at = memchr(jid, '@', bare_len);
	const char *dom = at ? at + 1 : jid;
	size_t dl = bare_len - (size_t)(dom - jid);

	for (unsigned i = 0; cs != NULL && i < cs->n; i++)
		if (cs->c[i].domain_len == dl && memcmp(cs->c[i].domain, dom, dl) == 0)
			return &cs->c[i];
	return NULL;
}

/* A queue entry for n bytes, or NULL when c's queue is full. */
static struct sb_comp_out *comp_entry(struct sb_comps *cs, struct sb_comp *c, size_t n)
{
	struct sb_comp_out *o;

	if (__atomic_load_n(&c->pending, __ATOMIC_RELAXED) >= cs->queue_max)
		return NULL;
	o = malloc(sizeof(*o) + n);
	if (o != NULL) {
		cds_wfcq_node_init(&o->node);
		o->len = (uint32_t)n;
	}
	return o;
}

static void comp_enqueue(struct sb_comp *c, struct sb_comp_out *o)
{
	__atomic_fetch_add(&c->pending, 1, __ATOMIC_RELAXED);
	cds_wfcq_enqueue(&c->q_head, &c->q_tail, &o->node);
}

/* Copy the bytes of m (at off, n) into c's queue; m is not consumed. */
static int comp_queue(struct sb_comps *cs, struct sb_comp *c, const struct sb_msg *m, size_t off,
		      size_t n)
{
	struct sb_comp_out *o = comp_entry(cs, c, n);

	if (o == NULL)
		return -ENOBUFS;
	sb_msg_read(m, off, o->bytes, n);
	comp_enqueue(c, o);
	return 0;
}

bool sb_comp_is(const struct sb_shard *sh, const char *jid, size_t bare_len)
{
	return comp_of(sh->router.comps, jid, bare_len) != NULL;
}

bool sb_comp_send(struct sb_shard *sh, const char *to, size_t to_bare_len, const void *bytes,
		  size_t n)
{
	struct sb_router *r = &sh->router;
	struct sb_comp *c = comp_of(r->comps, to, to_bare_len);
	struct sb_comp_out *o;

	if (c == NULL)
		return false;
	o = __atomic_load_n(&c->connected, __ATOMIC_ACQUIRE) ? comp_entry(r->comps, c, n) : NULL;
	if (o == NULL) {
		SB_IM_INC(&r->im, comp_queue_full);
		return true;
	}
	memcpy(o->bytes, bytes, n);
	comp_enqueue(c, o);
	SB_IM_INC(&r->im, comp_routed);
	return true;
}

bool sb_comp_route(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in)
{
	struct sb_router *r = &sh->router;
	struct sb_comp *c = comp_of(r->comps, in->to, in->st.to_bare_len);
	int rc;

	if (c == NULL)
		return false;
	if (!__atomic_load_n(&c->connected, __ATOMIC_ACQUIRE)) {
		SB_IM_INC(&r->im, comp_unavailable);
		sb_router_error(sh, in, "cancel", "service-unavailable",
				SB_ROUTE_CTR_err_unavailable);
	} else if ((rc = comp_queue(r->comps, c, m, sb_msg_stanza_bytes_off(&in->st),
				    in->st.bytes_len)) < 0) {
		SB_IM_INC(&r->im, comp_queue_full);
		sb_router_error(sh, in, "wait", "resource-constraint",
				SB_ROUTE_CTR_err_unavailable);
	} else {
		SB_IM_INC(&r->im, comp_routed);
	}
	sb_msg_free_chain(m, &r->pool);
	return true;
}

int sb_comp_deliver(struct sb_shard *sh, struct sb_msg *m)
{
	struct sb_router *r = &sh->router;
	struct sb_msg_stanza st;
	char to[SB_ROUTE_JID_MAX];
	struct sb_comp *c = NULL;
	int rc = -ENOENT;

	if (sb_msg_stanza_read(m, &st) == 0 && st.to_len < sizeof(to)) {
		sb_msg_read(m, sizeof(st), to, st.to_len);
		c = comp_of(r->comps, to, st.to_bare_len);
	}
	if (c != NULL && __atomic_load_n(&c->connected, __ATOMIC_ACQUIRE))
		rc = comp_queue(r->comps, c, m, sb_msg_stanza_bytes_off(&st), st.bytes_len);
	if (rc < 0)
		SB_IM_INC(&r->im, comp_queue_full);
	else
		SB_IM_INC(&r->im, comp_routed);
	sb_msg_free_chain(m, &r->pool);
	return rc;
}

unsigned sb_comp_drain(struct sb_shard *sh)
{
	struct sb_router *r = &sh->router;
	unsigned done = 0;

	while (done < COMP_BURST && !cds_wfcq_empty(&r->comp_head, &r->comp_tail)) {
		struct cds_wfcq_node *n = cds_wfcq_dequeue_blocking(&r->comp_head, &r->comp_tail);
		struct sb_comp_in *j;
		struct sb_msg *m;
		size_t len;

		if (n == NULL)
			break;
		j = caa_container_of(n, struct sb_comp_in, node);
		len = (size_t)j->st.to_len + j->st.from_len + j->st.bytes_len;
		m = r->pool.alloc(r->pool.arg);
		if (m == NULL) {
			SB_IM_INC(&r->im, pool_empty);
			free(j);
			break;
		}
		sb_msg_encode(m, SB_MSG_STANZA, SB_COMP_WORKER, sh->index, 0, 0, 0);
		m->owner = SB_MSG_OWNER_CONTROL;
		if (sb_msg_append(m, &j->st, sizeof(j->st), &r->pool) < 0 ||
		    sb_msg_append(m, j->data, len, &r->pool) < 0) {
			SB_IM_INC(&r->im, pool_empty);
			sb_msg_free_chain(m, &r->pool);
			free(j);
			break;
		}
		free(j);
		SB_IM_INC(&r->im, comp_received);
		sb_router_stanza(sh, m);
		done++;
	}
	return done;
}
