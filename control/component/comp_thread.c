/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The component thread (component.h): one kernel TCP listener, at most
 * SB_COMP_CONNS_MAX connections, polled with a short timeout (the shards'
 * queues are looked at every turn: components are administrative
 * traffic, a few milliseconds do not matter and no shard makes a syscall).
 *
 * A connection (XEP-0114 §3): the component opens
 * <stream:stream xmlns='jabber:component:accept' to='DOMAIN'>; DOMAIN must
 * be configured, else host-unknown. The server answers its stream header
 * with a random id; the component sends <handshake>hex(SHA-1(id ‖
 * secret))</handshake>; a match gets <handshake/>, anything else
 * not-authorized and the close. A domain with a connected component
 * refuses a second one (conflict). Then every element is a stanza
 * (message, presence, iq; anything else: the close with
 * unsupported-stanza-type): its from must be the domain or a JID at it
 * and its to a JID (else it is dropped, bad_stanzas); it is posted to the
 * shard of its recipient. The XML is the dataplane's tokenizer (lib/xml)
 * with its default limits and xmpp.max_stanza_bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "component.h"
#include "jid.h"
#include "router.h"
#include "shard.h"
#include "xml.h"

#define NS_ACCEPT "jabber:component:accept"
#define OUT_HIGH (1u << 20) /* bytes waiting for the socket before the queue is left alone */
#define HANDSHAKE_MS 10000u /* a connection not authenticated by then is closed */

struct comp_conn {
	int fd;
	struct sb_comp *comp;        /* after the stream header */
	bool authed;
	bool closing;                /* close once out is written */
	bool header_sent;
	uint64_t since_ms;           /* accepted at (CLOCK_MONOTONIC) */
	char id[33];
	struct sb_xml x;
	struct sb_xml_ctx ctx;       /* its own: an element may span reads */
	uint8_t *in;                 /* bytes fed, from stream offset in_base */
	size_t in_len, in_cap;
	size_t fed;                  /* bytes of in already given to the tokenizer */
	uint64_t in_base;
	uint8_t *out;
	size_t out_len, out_cap;
};

struct comp_state {
	struct sb_comps *cs;
	struct comp_conn conn[SB_COMP_CONNS_MAX];
	struct sb_xml_limits lim;
	struct sb_jid jid;
	char buf[SB_JID_FULL_MAX + 1];
};

int sb_comps_config(struct sb_comps *cs, const char *domains, char *why, size_t why_len)
{
	const char *p = domains;

	memset(cs, 0, sizeof(*cs));
	cs->lfd = -1;
	while (*p != '\0') {
		const char *end = strchr(p, ','), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		struct sb_comp *c;
		struct sb_jid *j;

		eq = memchr(p, '=', n);
		if (eq == NULL || eq == p || eq + 1 == p + n || cs->n == SB_COMP_MAX) {
			snprintf(why, why_len, "component.domains: '%.*s': want domain=secret (at most %u)",
				 (int)n, p, SB_COMP_MAX);
			return -EINVAL;
		}
		c = &cs->c[cs->n];
		j = malloc(sizeof(*j));
		if (j == NULL || sb_jid_parse(j, p, (size_t)(eq - p)) < 0 || j->local_len > 0 ||
		    j->resource_len > 0) {
			snprintf(why, why_len, "component.domains: '%.*s' is not a domain", (int)(eq - p),
				 p);
			free(j);
			return -EINVAL;
		}
		c->domain_len = sb_jid_format(j, true, c->domain, sizeof(c->domain));
		free(j);
		c->secret_len = (size_t)(p + n - eq - 1);
		memcpy(c->secret, eq + 1, c->secret_len);
		cds_wfcq_init(&c->q_head, &c->q_tail);
		cs->n++;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void out_put(struct comp_conn *k, const void *b, size_t n)
{
	if (k->out_len + n > k->out_cap) {
		size_t cap = k->out_cap ? k->out_cap : 4096;
		void *o;

		while (cap < k->out_len + n)
			cap *= 2;
		o = realloc(k->out, cap);
		if (o == NULL) {
			k->closing = true;
			return;
		}
		k->out = o;
		k->out_cap = cap;
	}
	memcpy(k->out + k->out_len, b, n);
	k->out_len += n;
}

static void out_puts(struct comp_conn *k, const char *s)
{
	out_put(k, s, strlen(s));
}

static void conn_fail(struct comp_conn *k, const char *cond)
{
	if (!k->header_sent)
		out_puts(k, "<?xml version='1.0'?><stream:stream xmlns:stream="
			    "'http://etherx.jabber.org/streams' xmlns='" NS_ACCEPT "'>");
	out_puts(k, "<stream:error><");
	out_puts(k, cond);
	out_puts(k, " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
	k->closing = true;
}

static void conn_close(struct comp_state *st, struct comp_conn *k)
{
	if (k->authed && k->comp != NULL) {
		struct sb_comp *c = k->comp;
		struct cds_wfcq_node *n;

		__atomic_store_n(&c->connected, false, __ATOMIC_RELEASE);
		/* What was queued for it goes with it. */
		while ((n = __cds_wfcq_dequeue_nonblocking(&c->q_head, &c->q_tail)) != NULL &&
		       n != CDS_WFCQ_WOULDBLOCK) {
			free(caa_container_of(n, struct sb_comp_out, node));
			__atomic_fetch_sub(&c->pending, 1, __ATOMIC_RELAXED);
		}
	}
	close(k->fd);
	free(k->in);
	free(k->out);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	st->cs->ctr.closed++;
}

/* The stream header: the domain, the answer with an id. */
static void on_open(struct comp_state *st, struct comp_conn *k, const struct sb_xml_event *ev)
{
	const struct sb_xml_header *h = ev->hdr;
	char to[256];
	int n = -1;
	uint8_t rnd[16];

	if (h->to.flags & SB_XML_SPAN_PRESENT)
		n = sb_xml_value_decode(k->in + (h->to.off - k->in_base), h->to.len, (uint8_t *)to,
					sizeof(to) - 1);
	for (unsigned i = 0; n > 0 && i < st->cs->n; i++)
		if (st->cs->c[i].domain_len == (size_t)n &&
		    strncasecmp(st->cs->c[i].domain, to, (size_t)n) == 0)
			k->comp = &st->cs->c[i];
	if (k->comp == NULL) {
		conn_fail(k, "host-unknown");
		return;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		conn_fail(k, "internal-server-error");
		return;
	}
	for (unsigned i = 0; i < sizeof(rnd); i++)
		snprintf(k->id + 2 * i, 3, "%02x", rnd[i]);
	out_puts(k, "<?xml version='1.0'?><stream:stream xmlns:stream="
		    "'http://etherx.jabber.org/streams' xmlns='" NS_ACCEPT "' from='");
	out_puts(k, k->comp->domain);
	out_puts(k, "' id='");
	out_puts(k, k->id);
	out_puts(k, "'>");
	k->header_sent = true;
}

static void on_handshake(struct comp_state *st, struct comp_conn *k, const uint8_t *e, size_t len)
{
	struct sb_comp *c = k->comp;
	unsigned char md[20];
	char hex[41];
	size_t s = 0, t;
	bool empty;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned mdl = 0;
	bool ok = false;

	s = sb_xml_walk_tag_end(e, 0, len, &empty);
	t = empty ? s : sb_xml_walk_find(e, s, len, "</");
	if (mctx != NULL && EVP_DigestInit_ex(mctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(mctx, k->id, strlen(k->id)) == 1 &&
	    EVP_DigestUpdate(mctx, c->secret, c->secret_len) == 1 &&
	    EVP_DigestFinal_ex(mctx, md, &mdl) == 1 && mdl == 20) {
		for (unsigned i = 0; i < 20; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		ok = t - s == 40 && strncasecmp(hex, (const char *)e + s, 40) == 0;
	}
	EVP_MD_CTX_free(mctx);
	if (!ok) {
		st->cs->ctr.auth_failed++;
		conn_fail(k, "not-authorized");
		return;
	}
	if (__atomic_load_n(&c->connected, __ATOMIC_ACQUIRE)) {
		st->cs->ctr.conflicts++;
		conn_fail(k, "conflict");
		return;
	}
	k->authed = true;
	__atomic_store_n(&c->connected, true, __ATOMIC_RELEASE);
	st->cs->ctr.handshakes++;
	out_puts(k, "<handshake/>");
}

static const struct {
	const char *name;
	uint8_t type;
} types[] = {
	{ "error", SB_STYPE_ERROR },	       { "chat", SB_STYPE_CHAT },
	{ "normal", SB_STYPE_NORMAL },	       { "groupchat", SB_STYPE_GROUPCHAT },
	{ "headline", SB_STYPE_HEADLINE },     { "get", SB_STYPE_GET },
	{ "set", SB_STYPE_SET },	       { "result", SB_STYPE_RESULT },
	{ "unavailable", SB_STYPE_UNAVAILABLE }, { "subscribe", SB_STYPE_SUBSCRIBE },
	{ "subscribed", SB_STYPE_SUBSCRIBED }, { "unsubscribe", SB_STYPE_UNSUBSCRIBE },
	{ "unsubscribed", SB_STYPE_UNSUBSCRIBED }, { "probe", SB_STYPE_PROBE },
};

/* A JID attribute decoded and normalised into out; its length, or 0. */
static size_t jid_attr(struct comp_state *st, const struct comp_conn *k,
		       const struct sb_xml_span *sp, char *out, size_t cap, size_t *bare)
{
	int n;
	size_t l;

	if (!(sp->flags & SB_XML_SPAN_PRESENT))
		return 0;
	n = sb_xml_value_decode(k->in + (sp->off - k->in_base), sp->len, (uint8_t *)st->buf,
				sizeof(st->buf));
	if (n <= 0 || sb_jid_parse(&st->jid, st->buf, (size_t)n) < 0)
		return 0;
	l = sb_jid_format(&st->jid, false, out, cap);
	*bare = sb_jid_format(&st->jid, true, st->buf, sizeof(st->buf));
	return l;
}

static void on_stanza(struct comp_state *st, struct comp_conn *k, const struct sb_xml_event *ev)
{
	const struct sb_xml_header *h = ev->hdr;
	struct sb_comp *c = k->comp;
	const uint8_t *e = k->in + (ev->start_off - k->in_base);
	size_t len = (size_t)(ev->end_off - ev->start_off), to_bare = 0, from_bare = 0;
	char to[SB_JID_FULL_MAX + 1], from[SB_JID_FULL_MAX + 1];
	size_t to_len, from_len;
	struct sb_msg_stanza s = { .from_worker = SB_COMP_WORKER };
	struct sb_comp_in *j;
	const char *at;
	unsigned shard;

	if (strcmp(h->name, "message") == 0)
		s.kind = SB_STANZA_MESSAGE;
	else if (strcmp(h->name, "presence") == 0)
		s.kind = SB_STANZA_PRESENCE;
	else if (strcmp(h->name, "iq") == 0)
		s.kind = SB_STANZA_IQ;
	else {
		conn_fail(k, "unsupported-stanza-type");
		return;
	}
	to_len = jid_attr(st, k, &h->to, to, sizeof(to), &to_bare);
	from_len = jid_attr(st, k, &h->from, from, sizeof(from), &from_bare);
	at = from_len ? memchr(from, '@', from_bare) : NULL;
	/* from: the component's domain, or a JID at it. */
	if (to_len == 0 || from_len == 0 ||
	    (size_t)(from_bare - (at ? (size_t)(at + 1 - from) : 0)) != c->domain_len ||
	    memcmp(at ? at + 1 : from, c->domain, c->domain_len) != 0 ||
	    (h->flags & SB_XML_HDR_F_PREFIXED_ADDR)) {
		st->cs->ctr.bad_stanzas++;
		return;
	}
	if (h->type.flags & SB_XML_SPAN_PRESENT) {
		const char *tv = (const char *)k->in + (h->type.off - k->in_base);

		s.type = SB_STYPE_OTHER;
		for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strlen(types[i].name) == h->type.len &&
			    memcmp(types[i].name, tv, h->type.len) == 0)
				s.type = types[i].type;
	}
	if (h->id.flags & SB_XML_SPAN_PRESENT) {
		s.id_off = (uint32_t)(h->id.off - ev->start_off);
		s.id_len = h->id.len;
	}
	s.to_len = (uint16_t)to_len;
	s.to_bare_len = (uint16_t)to_bare;
	s.from_len = (uint16_t)from_len;
	s.from_bare_len = (uint16_t)from_bare;
	s.bytes_len = (uint32_t)len;
	j = malloc(sizeof(*j) + to_len + from_len + len);
	if (j == NULL) {
		st->cs->ctr.bad_stanzas++;
		return;
	}
	cds_wfcq_node_init(&j->node);
	j->st = s;
	memcpy(j->data, to, to_len);
	memcpy(j->data + to_len, from, from_len);
	memcpy(j->data + to_len + from_len, e, len);
	shard = (unsigned)(sb_jid_bare_hash_str(to, to_bare) % st->cs->n_shards);
	cds_wfcq_enqueue(&st->cs->shards[shard].router.comp_head,
			 &st->cs->shards[shard].router.comp_tail, &j->node);
	st->cs->ctr.stanzas_in++;
}

/* Feed what was read; handle every complete event. */
static void conn_feed(struct comp_state *st, struct comp_conn *k)
{
	size_t pos = k->fed;
	uint64_t done = k->in_base; /* stream offset: bytes before it are no longer needed */

	while (!k->closing && pos < k->in_len) {
		struct sb_xml_event ev;
		size_t used = 0;
		enum sb_xml_status rc = sb_xml_feed(&k->x, &k->ctx, &st->lim, k->in + pos,
						    k->in_len - pos, &ev, &used);

		pos += used;
		if (rc == SB_XML_NEED_MORE)
			break;
		if (rc != SB_XML_EVENT) {
			conn_fail(k, rc == SB_XML_ERR_LIMIT_STANZA ? "policy-violation"
								   : "not-well-formed");
			return;
		}
		done = ev.type == SB_XML_EV_KEEPALIVE ? k->in_base + pos : ev.end_off;
		if (ev.type == SB_XML_EV_STREAM_OPEN)
			on_open(st, k, &ev);
		else if (ev.type == SB_XML_EV_STREAM_CLOSE) {
			out_puts(k, "</stream:stream>");
			k->closing = true;
		} else if (ev.type == SB_XML_EV_ELEMENT && !k->authed) {
			if (strcmp(ev.hdr->name, "handshake") != 0)
				conn_fail(k, "not-authorized");
			else
				on_handshake(st, k, k->in + (ev.start_off - k->in_base),
					     (size_t)(ev.end_off - ev.start_off));
		} else if (ev.type == SB_XML_EV_ELEMENT) {
			on_stanza(st, k, &ev);
		}
	}
	/* Keep the bytes of an element in progress, from the end of the last
	 * event on (its spans will be stream offsets into them); between
	 * elements nothing is needed. */
	{
		size_t keep_from = sb_xml_busy(&k->x) ? (size_t)(done - k->in_base) : pos;

		if (keep_from > k->in_len)
			keep_from = k->in_len;
		memmove(k->in, k->in + keep_from, k->in_len - keep_from);
		k->in_len -= keep_from;
		k->in_base += keep_from;
		k->fed = pos - keep_from;
	}
}

static void conn_read(struct comp_state *st, struct comp_conn *k)
{
	ssize_t n;

	if (k->in_cap - k->in_len < 4096) {
		size_t cap = k->in_cap ? k->in_cap * 2 : 8192;
		void *p;

		if (cap > (size_t)st->cs->max_stanza_bytes * 2 + 65536) {
			conn_fail(k, "policy-violation");
			return;
		}
		p = realloc(k->in, cap);
		if (p == NULL) {
			conn_fail(k, "resource-constraint");
			return;
		}
		k->in = p;
		k->in_cap = cap;
	}
	n = recv(k->fd, k->in + k->in_len, k->in_cap - k->in_len, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(st, k);
		return;
	}
	if (n < 0)
		return;
	k->in_len += (size_t)n;
	conn_feed(st, k);
}

/* Move what the shards queued for k's component to its output. */
static void conn_pull(struct comp_state *st, struct comp_conn *k)
{
	struct sb_comp *c = k->comp;

	while (k->out_len < OUT_HIGH) {
		struct cds_wfcq_node *n = __cds_wfcq_dequeue_nonblocking(&c->q_head, &c->q_tail);
		struct sb_comp_out *o;

		if (n == NULL || n == CDS_WFCQ_WOULDBLOCK)
			break;
		o = caa_container_of(n, struct sb_comp_out, node);
		out_put(k, o->bytes, o->len);
		free(o);
		__atomic_fetch_sub(&c->pending, 1, __ATOMIC_RELAXED);
		st->cs->ctr.stanzas_out++;
	}
}

static void conn_write(struct comp_state *st, struct comp_conn *k)
{
	while (k->out_len > 0) {
		ssize_t n = send(k->fd, k->out, k->out_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_close(st, k);
			return;
		}
		memmove(k->out, k->out + n, k->out_len - (size_t)n);
		k->out_len -= (size_t)n;
	}
	if (k->closing)
		conn_close(st, k);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void comp_accept(struct comp_state *st)
{
	int fd = accept4(st->cs->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int one = 1;

	if (fd < 0)
		return;
	for (unsigned i = 0; i < SB_COMP_CONNS_MAX; i++) {
		struct comp_conn *k = &st->conn[i];

		if (k->fd >= 0)
			continue;
		memset(k, 0, sizeof(*k));
		k->fd = fd;
		k->since_ms = now_ms();
		sb_xml_init(&k->x);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		st->cs->ctr.conns++;
		return;
	}
	close(fd); /* SB_COMP_CONNS_MAX reached */
}

static void *comp_main(void *arg)
{
	struct comp_state *st = arg;
	struct sb_comps *cs = st->cs;

	while (!*cs->quit) {
		struct pollfd p[SB_COMP_CONNS_MAX + 1];
		struct comp_conn *pk[SB_COMP_CONNS_MAX + 1];
		unsigned n = 0;

		for (unsigned i = 0; i < SB_COMP_CONNS_MAX; i++) {
			struct comp_conn *k = &st->conn[i];

			if (k->fd < 0)
				continue;
			if (!k->authed && !k->closing && now_ms() - k->since_ms > HANDSHAKE_MS) {
				st->cs->ctr.auth_failed++;
				conn_fail(k, "connection-timeout");
			}
			if (k->authed)
				conn_pull(st, k);
			if (k->out_len > 0)
				conn_write(st, k);
			if (k->fd < 0)
				continue;
			p[n] = (struct pollfd){ .fd = k->fd,
						.events = (short)(POLLIN |
								  (k->out_len ? POLLOUT : 0)) };
			pk[n++] = k;
		}
		p[n] = (struct pollfd){ .fd = cs->lfd, .events = POLLIN };
		if (poll(p, n + 1, 2) <= 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (pk[i]->fd < 0)
				continue;
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(st, pk[i]);
			if (pk[i]->fd >= 0 && pk[i]->out_len > 0)
				conn_write(st, pk[i]);
		}
		if (p[n].revents & POLLIN)
			comp_accept(st);
	}
	for (unsigned i = 0; i < SB_COMP_CONNS_MAX; i++)
		if (st->conn[i].fd >= 0)
			conn_close(st, &st->conn[i]);
	free(st);
	return NULL;
}

int sb_comps_start(struct sb_comps *cs, const char *listen_on, struct sb_shard *shards, unsigned n,
		   volatile bool *quit, char *why, size_t why_len)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const char *colon = strrchr(listen_on, ':');
	char host[64];
	struct comp_state *st;
	int one = 1, rc;

	if (colon == NULL || (size_t)(colon - listen_on) >= sizeof(host)) {
		snprintf(why, why_len, "component.listen '%s': want ADDRESS:PORT", listen_on);
		return -EINVAL;
	}
	memcpy(host, listen_on, (size_t)(colon - listen_on));
	host[colon - listen_on] = '\0';
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || a.sin_port == 0) {
		snprintf(why, why_len, "component.listen '%s': want IPv4-ADDRESS:PORT", listen_on);
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st->cs = cs;
	for (unsigned i = 0; i < SB_COMP_CONNS_MAX; i++)
		st->conn[i].fd = -1;
	sb_xml_limits_default(&st->lim);
	st->lim.max_stanza_bytes = cs->max_stanza_bytes;
	cs->shards = shards;
	cs->n_shards = n;
	cs->quit = quit;
	cs->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cs->lfd < 0 || setsockopt(cs->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(cs->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(cs->lfd, 16) < 0) {
		rc = -errno;
		snprintf(why, why_len, "component.listen %s: %s", listen_on, strerror(errno));
		if (cs->lfd >= 0)
			close(cs->lfd);
		cs->lfd = -1;
		free(st);
		return rc;
	}
	rc = pthread_create(&cs->thread, NULL, comp_main, st);
	if (rc != 0) {
		snprintf(why, why_len, "component thread: %s", strerror(rc));
		close(cs->lfd);
		cs->lfd = -1;
		free(st);
		return -rc;
	}
	cs->running = true;
	return 0;
}

void sb_comps_stop(struct sb_comps *cs)
{
	if (!cs->running)
		return;
	pthread_join(cs->thread, NULL);
	close(cs->lfd);
	cs->lfd = -1;
	cs->running = false;
}
