/* SPDX-License-Identifier: BSD-3-Clause
 *
 * External components (XEP-0114, jabber:component:accept): a listener on
 * kernel TCP in sb-control (low-rate administrative traffic, not the
 * dataplane's), one connection per configured component domain, the
 * handshake with its shared secret, and the stanzas both ways:
 * - a component's stanza (its from at its domain, to a local JID) is
 *   parsed on the component thread, posted to the recipient's shard
 *   (a wait-free queue per shard) and routed there like a client's, with
 *   the sender's "worker" SB_COMP_WORKER: what the shard answers (errors,
 *   iq results) comes back through sb_router_send to the component;
 * - a stanza to a component's domain (or a JID at it) is copied by the
 *   shard into the component's queue (bounded: im counters comp_*), which
 *   the component thread writes to the socket.
 * The shard side is comp_route.c, the thread comp_thread.c.
 */
#ifndef SB_CTL_COMPONENT_H
#define SB_CTL_COMPONENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/wfcqueue.h>

#include "msg.h"

struct sb_shard;
struct sb_route_in;

#define SB_COMP_MAX 8u              /* configured components */
#define SB_COMP_CONNS_MAX 16u       /* connections, handshakes in progress included */
#define SB_COMP_WORKER 0xFFFEu      /* the "worker" of a component's stanza */

/* One stanza for a component, queued by a shard. */
struct sb_comp_out {
	struct cds_wfcq_node node;
	uint32_t len;
	char bytes[];
};

/* One stanza from a component, queued for a shard: the routing header
 * (from_worker SB_COMP_WORKER), then to, from and the bytes. */
struct sb_comp_in {
	struct cds_wfcq_node node;
	struct sb_msg_stanza st;
	char data[];
};

struct sb_comp {
	char domain[256];
	size_t domain_len;
	char secret[256];
	size_t secret_len;
	bool connected;              /* atomic: a handshake succeeded, stream open */
	uint32_t pending;            /* atomic: stanzas queued for it */
	struct cds_wfcq_head q_head;
	struct cds_wfcq_tail q_tail;
};

/* Counters of the component thread (the shards count in im counters). */
struct sb_comp_ctr {
	uint64_t conns, handshakes, auth_failed, conflicts, stanzas_in, stanzas_out,
		bad_stanzas, closed;
};

struct sb_comps {
	struct sb_comp c[SB_COMP_MAX];
	unsigned n;
	uint32_t queue_max;          /* stanzas queued per component */
	uint32_t max_stanza_bytes;
	int lfd;
	struct sb_shard *shards;
	unsigned n_shards;
	volatile bool *quit;
	pthread_t thread;
	bool running;
	struct sb_comp_ctr ctr;      /* written by the thread, read racily by status */
};

/* Parse "domain=secret,domain=secret" into cs (domains normalised).
 * 0, or -EINVAL with why filled. */
int sb_comps_config(struct sb_comps *cs, const char *domains, char *why, size_t why_len);

/* Listen on "addr:port" and start the thread. 0 or a negative errno. */
int sb_comps_start(struct sb_comps *cs, const char *listen, struct sb_shard *shards, unsigned n,
		   volatile bool *quit, char *why, size_t why_len);
void sb_comps_stop(struct sb_comps *cs);

/* Shard side (comp_route.c). */
/* A stanza whose recipient is not at the local domain: true when it is for
 * a configured component (queued, or answered when it is not connected;
 * m consumed). */
bool sb_comp_route(struct sb_shard *sh, struct sb_msg *m, const struct sb_route_in *in);
/* Whether a JID (its bare part bare_len) is at a component's domain. */
bool sb_comp_is(const struct sb_shard *sh, const char *jid, size_t bare_len);
/* Stanza bytes the server makes for a JID at a component's domain: true
 * when it is one (queued, or dropped and counted when it is not connected
 * or its queue is full). */
bool sb_comp_send(struct sb_shard *sh, const char *to, size_t to_bare_len, const void *bytes,
		  size_t n);
/* A DELIVER chain for SB_COMP_WORKER (an answer to a component's stanza):
 * queued to the component its to names; m consumed. */
int sb_comp_deliver(struct sb_shard *sh, struct sb_msg *m);
/* The stanzas components sent this shard: routed. Returns the work done. */
unsigned sb_comp_drain(struct sb_shard *sh);

#endif
