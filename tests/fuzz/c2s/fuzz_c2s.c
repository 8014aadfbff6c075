/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer target for the c2s path as two users see it. Stream A is the
 * fuzzed client: its bytes go through lib/xml and lib/xmpp exactly as the
 * dataplane glue feeds them (chunked, the per-lcore ctx scribbled over
 * whenever A is not mid-element, a private copy kept while it is), with
 * every asynchronous answer given at once (PLAIN accepted, SCRAM users
 * unknown, binds granted). Stream B is a second, logged-in session: its
 * real server output is the start of B's stream, and every stanza A gets
 * routed is appended to it byte for byte, as delivery writes it. The oracle
 * (each failure aborts):
 *  1. B's stream, parsed by expat with namespace processing, never fails:
 *     a routed stanza is namespace-well-formed in a stream that never saw
 *     A's declarations (issue 14, finding 2);
 *  2. every routed stanza is one element in jabber:client, message,
 *     presence or iq, with exactly one attribute whose local name is from
 *     (the stamped one, holding A's bound JID) and at most one whose local
 *     name is to (finding 3);
 *  3. A's own output, stream by stream, parses the same way.
 * Input: byte 0 bit 0 selects a scripted login (the data then starts at
 * the restarted stream's header, so the fuzzer controls its declarations
 * and the bind); bits 1 and 2 set A's TLS policy (1: optional, 2 or 3:
 * required; STARTTLS's handshake then completes at once, as if the bytes
 * after <starttls/> had been its own), bit 3 forbids PLAIN without TLS and
 * bit 4 turns in-band registration (XEP-0077) on, each request granted;
 * byte 1 is the chunk size (0: one chunk); the rest is A's stream.
 */
#include <expat.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s.h"
#include "xml.h"

#define FZ_DOMAIN "example.com"
#define FZ_OPEN "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " \
		"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"
#define FZ_AUTH "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" \
		"AGp1bGlldABzZWNyZXQ=</auth>"
#define FZ_BIND "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" \
		"<resource>r</resource></bind></iq>"
#define FZ_INPUT_MAX 65536
#define FZ_SBUF (FZ_INPUT_MAX + 4096)
#define FZ_OUT_MAX (1u << 20)
#define FZ_AUX 2
/* Expanded names are uri SEP local. The separator is not an XML Char, so
 * no namespace name can hold it (expat refuses a name that holds it). */
#define FZ_NS_SEP '\x01'

struct fz_conn {
	struct sb_xml x;
	struct sb_xml_ctx own;         /* private ctx copy while mid-element */
	bool own_used;
	struct sb_xml_limits lim;
	struct sb_c2s c;
	struct sb_c2s_env env;
	struct sb_c2s_scratch scratch;
	uint8_t out[65536];
	uint8_t route[65536 + SB_C2S_ROUTE_EXTRA];
	uint8_t sbuf[FZ_SBUF];         /* current stream, by stream offset */
	struct sb_c2s_aux aux[FZ_AUX];
	bool aux_used[FZ_AUX];
	char jid[3100];                /* glue storage for the bound JID */
	bool closed;
	char *sent;                    /* everything the server wrote */
	size_t sent_len;
	XML_Parser peer;               /* B's stream, for A's routed stanzas; or NULL */
};

static struct sb_xml_ctx fz_lcore_ctx;
static struct fz_conn fz_a, fz_b;
static char fz_sent_a[FZ_OUT_MAX], fz_sent_b[FZ_OUT_MAX];
static char fz_b_stream[8192];   /* B's stream as the server wrote it, after login */
static size_t fz_b_stream_len;

static void *aux_alloc(void *arg)
{
	struct fz_conn *f = arg;

	for (int i = 0; i < FZ_AUX; i++) {
		if (!f->aux_used[i]) {
			f->aux_used[i] = true;
			return &f->aux[i];
		}
	}
	return NULL;
}

static void aux_free(void *arg, void *obj)
{
	struct fz_conn *f = arg;
	long i = (struct sb_c2s_aux *)obj - f->aux;

	if (i < 0 || i >= FZ_AUX || !f->aux_used[i])
		abort(); /* a double free or a foreign object */
	f->aux_used[i] = false;
}

static int fz_random(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	memset(buf, 0x42, len);
	return 0;
}

static void conn_init(struct fz_conn *f, char *sent)
{
	memset(f, 0, sizeof(*f));
	sb_xml_init(&f->x);
	sb_xml_limits_default(&f->lim);
	if (sb_c2s_config_default(&f->env.cfg, FZ_DOMAIN, strlen(FZ_DOMAIN)) != 0)
		abort();
	/* Plaintext (the recipient logs in with PLAIN); the fuzzed connection
	 * sets its own policy from the input's first byte. */
	f->env.cfg.tls_policy = SB_C2S_TLS_OFF;
	f->env.cfg.plain_without_tls = true;
	memset(f->env.cfg.fake_secret, 7, sizeof(f->env.cfg.fake_secret));
	f->env.out = f->out;
	f->env.out_cap = sizeof(f->out);
	f->env.route = f->route;
	f->env.route_cap = sizeof(f->route);
	f->env.scratch = &f->scratch;
	f->env.aux_alloc = aux_alloc;
	f->env.aux_free = aux_free;
	f->env.cb_arg = f;
	f->env.random = fz_random;
	f->sent = sent;
	sb_c2s_start(&f->c, &f->env);
}

/* The local part of an expanded name. */
static const char *local_name(const char *name)
{
	const char *bar = strrchr(name, FZ_NS_SEP);

	return bar ? bar + 1 : name;
}

struct route_check {
	int depth;
	int top;                       /* top-level elements seen */
	bool bad;
	const char *jid;
};

static void XMLCALL rc_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct route_check *rc = ud;
	int from = 0, to = 0;

	if (rc->depth++ != 1)
		return;
	rc->top++;
	if (strcmp(name, "jabber:client\x01message") != 0 &&
	    strcmp(name, "jabber:client\x01presence") != 0 && strcmp(name, "jabber:client\x01iq") != 0)
		rc->bad = true;
	for (int i = 0; atts[i] != NULL; i += 2) {
		if (strcmp(local_name(atts[i]), "from") == 0) {
			from++;
			if (strcmp(atts[i], "from") != 0 || strcmp(atts[i + 1], rc->jid) != 0)
				rc->bad = true;
		}
		to += strcmp(local_name(atts[i]), "to") == 0;
	}
	if (from != 1 || to > 1)
		rc->bad = true;
}

static void XMLCALL rc_end(void *ud, const XML_Char *name)
{
	struct route_check *rc = ud;

	(void)name;
	rc->depth--;
}

/* A routed stanza, delivered into B's stream: it must parse there, be one
 * stanza, and carry one from (the stamped one) and at most one to. */
static void deliver_to_b(struct fz_conn *a, const uint8_t *p, size_t n)
{
	struct route_check *rc = XML_GetUserData(a->peer);

	rc->top = 0;
	rc->bad = false;
	rc->jid = a->jid;
	if (XML_Parse(a->peer, (const char *)p, (int)n, 0) != XML_STATUS_OK) {
		fprintf(stderr, "routed stanza broke B's stream (%s): %.*s\n",
			XML_ErrorString(XML_GetErrorCode(a->peer)), (int)n, (const char *)p);
		abort();
	}
	if (rc->bad || rc->top != 1 || rc->depth != 1) {
		fprintf(stderr, "routed stanza is not one stanza with one from (%d %d %d): %.*s\n",
			rc->bad, rc->top, rc->depth, (int)n,
			(const char *)p);
		abort();
	}
}

static void record(struct fz_conn *f, enum sb_c2s_action act)
{
	const struct sb_c2s_result *r = &f->env.res;

	if (f->env.out_len > FZ_OUT_MAX - 1 - f->sent_len)
		abort(); /* bounded: no input makes the server write this much */
	memcpy(f->sent + f->sent_len, f->env.out, f->env.out_len);
	f->sent_len += f->env.out_len;
	switch (act) {
	case SB_C2S_ACT_ROUTE:
		if (f->peer != NULL)
			deliver_to_b(f, r->stanza.bytes, r->stanza.len);
		break;
	case SB_C2S_ACT_RESTART:
		sb_xml_init(&f->x);
		f->own_used = false;
		break;
	case SB_C2S_ACT_CLOSE:
		f->closed = true;
		break;
	default:
		break;
	}
}

/* Answer whatever f waits for, as the control plane would. */
static void answer(struct fz_conn *f)
{
	const struct sb_c2s_result *r = &f->env.res;

	while (sb_c2s_waiting(&f->c) && !f->closed) {
		switch (f->c.state) {
		case SB_C2S_S_SASL_LOOKUP:
			record(f, sb_c2s_credentials(&f->c, &f->env, NULL));
			break;
		case SB_C2S_S_SASL_VERIFY:
			record(f, sb_c2s_plain_result(&f->c, &f->env, true));
			break;
		case SB_C2S_S_TLS_WAIT: /* the handshake succeeds: a new stream */
			sb_xml_init(&f->x);
			f->own_used = false;
			record(f, sb_c2s_tls_done(&f->c, &f->env));
			if (!sb_c2s_encrypted(&f->c))
				abort();
			break;
		case SB_C2S_S_REG_WAIT:
			record(f, sb_c2s_register_result(&f->c, &f->env, SB_C2S_REG_OK));
			break;
		default: /* BIND_WAIT: grant the JID asked for */
			if (r->jid_len >= sizeof(f->jid))
				abort();
			memcpy(f->jid, r->jid, r->jid_len);
			f->jid[r->jid_len] = '\0';
			record(f, sb_c2s_bind_result(&f->c, &f->env, SB_C2S_BIND_OK, f->jid,
						     r->jid_len));
			break;
		}
	}
}

/* One tokenizer event to the state machine. */
static void dispatch(struct fz_conn *f, const struct sb_xml_event *ev)
{
	const uint8_t *el = f->sbuf + ev->start_off;
	size_t len = (size_t)(ev->end_off - ev->start_off);

	switch (ev->type) {
	case SB_XML_EV_STREAM_OPEN:
		record(f, sb_c2s_stream_open(&f->c, &f->env, ev->hdr, el, len, ev->start_off));
		break;
	case SB_XML_EV_ELEMENT:
		record(f, sb_c2s_element(&f->c, &f->env, ev->hdr, el, len, ev->start_off));
		break;
	case SB_XML_EV_STREAM_CLOSE:
		record(f, sb_c2s_stream_close(&f->c, &f->env));
		break;
	default:
		break;
	}
	answer(f);
}

/* Feed p[0..n) as one received chunk, with the glue's ctx discipline. */
static void feed(struct fz_conn *f, const uint8_t *p, size_t n)
{
	size_t done = 0;

	if (!f->own_used)
		memset(&fz_lcore_ctx, 0x5A, sizeof(fz_lcore_ctx));
	while (done < n && !f->closed) {
		struct sb_xml_event ev;
		uint64_t off = sb_xml_offset(&f->x);
		size_t used = 0;
		enum sb_xml_status st;

		st = sb_xml_feed(&f->x, f->own_used ? &f->own : &fz_lcore_ctx, &f->lim, p + done,
				 n - done, &ev, &used);
		if (off + used > sizeof(f->sbuf))
			abort();
		memcpy(f->sbuf + off, p + done, used);
		done += used;
		if (st == SB_XML_NEED_MORE)
			break;
		if (st >= SB_XML_ERR_FIRST) {
			record(f, sb_c2s_xml_error(&f->c, &f->env, st));
			break;
		}
		if (ev.type != SB_XML_EV_KEEPALIVE && sb_xml_busy(&f->x))
			abort(); /* an event ends the element */
		dispatch(f, &ev);
	}
	if (sb_xml_busy(&f->x) && !f->own_used) {
		f->own = fz_lcore_ctx;
		f->own_used = true;
	} else if (!sb_xml_busy(&f->x)) {
		f->own_used = false;
	}
}

static void feed_str(struct fz_conn *f, const char *s)
{
	feed(f, (const uint8_t *)s, strlen(s));
}

/* Open, PLAIN, restart; with bind, bound as juliet@example.com/r. */
static void login(struct fz_conn *f, bool bind)
{
	feed_str(f, FZ_OPEN);
	feed_str(f, FZ_AUTH);
	if (bind) {
		feed_str(f, FZ_OPEN);
		feed_str(f, FZ_BIND);
		if (!sb_c2s_bound(&f->c))
			abort();
	}
}

/* Each stream the server wrote on A (split at our XML declarations) must
 * parse with namespaces; a stream we closed must be complete. */
static void check_own_output(const char *s, size_t len, bool closed)
{
	static const char decl[] = "<?xml version='1.0'?>";
	const char *end = s + len;

	while (s < end) {
		const char *next = memmem(s + 1, (size_t)(end - s - 1), decl, sizeof(decl) - 1);
		size_t n = next ? (size_t)(next - s) : (size_t)(end - s);
		XML_Parser p = XML_ParserCreateNS(NULL, FZ_NS_SEP);

		if (XML_Parse(p, s, (int)n, next == NULL && closed) != XML_STATUS_OK) {
			fprintf(stderr, "server output to A not namespace-well-formed (%s): %.*s\n",
				XML_ErrorString(XML_GetErrorCode(p)), (int)n, s);
			abort();
		}
		XML_ParserFree(p);
		s += n;
	}
}

/* B once: a logged-in session whose stream, as the server wrote it since
 * the restart, is what every routed stanza is appended to. */
static void init_b(void)
{
	const char *hdr;

	conn_init(&fz_b, fz_sent_b);
	login(&fz_b, true);
	fz_sent_b[fz_b.sent_len] = '\0';
	hdr = strstr(fz_sent_b + 1, "<?xml version='1.0'?>");
	if (hdr == NULL)
		abort();
	fz_b_stream_len = fz_b.sent_len - (size_t)(hdr - fz_sent_b);
	if (fz_b_stream_len >= sizeof(fz_b_stream))
		abort();
	memcpy(fz_b_stream, hdr, fz_b_stream_len);
	sb_c2s_release(&fz_b.c, &fz_b.env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct route_check rc = { 0 };
	size_t chunk;
	XML_Parser b;

	if (!ready) {
		init_b();
		ready = true;
	}
	if (size < 2 || size > FZ_INPUT_MAX)
		return 0;
	chunk = data[1];
	conn_init(&fz_a, fz_sent_a);
	fz_a.env.cfg.tls_policy = (data[0] >> 1) & 3 ? (((data[0] >> 1) & 3) == 1
							   ? SB_C2S_TLS_OPTIONAL
							   : SB_C2S_TLS_REQUIRED)
						  : SB_C2S_TLS_OFF;
	fz_a.env.cfg.plain_without_tls = !(data[0] & 8);
	fz_a.env.cfg.reg = (data[0] & 16) != 0;
	b = XML_ParserCreateNS(NULL, FZ_NS_SEP);
	XML_SetUserData(b, &rc);
	XML_SetElementHandler(b, rc_start, rc_end);
	if (XML_Parse(b, fz_b_stream, (int)fz_b_stream_len, 0) != XML_STATUS_OK)
		abort();
	rc.top = 0;
	if (data[0] & 1)
		login(&fz_a, false);
	fz_a.peer = b;
	data += 2;
	size -= 2;
	for (size_t pos = 0; pos < size && !fz_a.closed;) {
		size_t n = chunk == 0 || size - pos < chunk ? size - pos : chunk;

		feed(&fz_a, data + pos, n);
		pos += n;
	}
	check_own_output(fz_sent_a, fz_a.sent_len, fz_a.closed);
	sb_c2s_release(&fz_a.c, &fz_a.env);
	if (fz_a.aux_used[0] || fz_a.aux_used[1])
		abort(); /* every aux object goes back to the pool */
	XML_ParserFree(b);
	return 0;
}
