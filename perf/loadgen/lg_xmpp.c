/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-loadgen's XMPP client (see lg_xmpp.h). Each connection keeps the bytes
 * of the server's element in progress and the tokenizer state at the last
 * element boundary; each read re-feeds that tail with one shared
 * struct sb_xml_ctx (re-parsing a partial element costs little next to
 * keeping a 2 KiB context per connection, and elements here are short).
 * The login is strictly sequential: the gateway stops reading while the
 * control plane answers (lib/xmpp/README.md, "Waiting"), so pipelining would
 * only measure its queueing. Messages carry "SEQ TSC" in the body: the
 * sender's sequence number and its TSC at send time (one process, one
 * clock), so the receiver times them end to end through the gateway and
 * the control plane.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "config.h"
#include "lg_xmpp.h"
#include "lg_xsasl.h"
#include "loadgen.h"
#include "scram.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xml.h"

#define LG_X_RX_BYTES 2048u  /* the server's longest element here: features, ~400 bytes */
#define LG_X_OUT_BYTES 512u
#define LG_X_USER_BYTES 64u
#define LG_X_SEND_PER_TURN 512u
#define LG_NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"

enum lg_xstate {
	LG_X_NONE = 0,
	LG_X_FEATURES,  /* stream header sent, waiting for <stream:features/> */
	LG_X_SASL,      /* <auth/> sent: <challenge/> (SCRAM) or <success/> (PLAIN) next */
	LG_X_SASL_FINAL, /* SCRAM <response/> sent: <success/> with v= next */
	LG_X_FEATURES2, /* restarted after SASL: features with <bind/> next */
	LG_X_BIND,      /* bind iq sent */
	LG_X_READY,     /* bound, initial presence sent */
	LG_X_BYE,       /* our </stream:stream> sent */
	LG_X_FAILED,
	LG_X_MAX,
};

/* One connection's XMPP side. */
struct lg_xconn {
	struct sb_xml x;          /* tokenizer state at rx[0] (an element boundary) */
	uint64_t login_tsc;       /* TCP established */
	uint32_t tx_seq;          /* messages sent */
	uint32_t rx_seq;          /* next sequence number expected from the peer */
	uint16_t rx_len;
	uint8_t st;               /* enum lg_xstate */
	uint8_t ssig[20];         /* SCRAM: the ServerSignature expected */
	char cnonce[25];          /* SCRAM: our nonce, base64 of 18 random bytes */
	uint8_t rx[LG_X_RX_BYTES];
};

struct sb_lg_xmpp {
	bool msg_mode;
	bool scram;
	uint32_t users;
	uint64_t msg_rate;
	char domain[128];
	char prefix[32];
	char password[128];
	struct sb_lg_xmpp_totals tot;
	uint32_t pending;         /* established, login neither done nor failed */
	uint32_t logins_max;      /* pending + TCP opening, at most */
	uint64_t sent_due;        /* xmpp-msg: messages sent by the rate so far */
	uint32_t cursor;          /* xmpp-msg: next connection to send from */
	struct sb_lg_hist login_ns;
	struct sb_xml_limits lim;
	struct sb_xml_ctx ctx;    /* shared: only used inside one feed loop */
	struct lg_xconn *xc;
	struct sb_lg_scram_user *ucache;
};

static const char lg_stream_hdr_fmt[] =
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>";

int sb_lg_xmpp_create(struct sb_lg *lg, const struct sb_config *cfg, bool msg_mode)
{
	struct sb_lg_xmpp *xm = calloc(1, sizeof(*xm));

	if (xm == NULL)
		return -ENOMEM;
	xm->msg_mode = msg_mode;
	xm->users = cfg->loadgen_xmpp_users ? (uint32_t)cfg->loadgen_xmpp_users : lg->n_conns;
	xm->msg_rate = cfg->loadgen_xmpp_msg_rate;
	xm->logins_max = (uint32_t)cfg->loadgen_xmpp_logins_max;
	if (strcmp(cfg->loadgen_xmpp_mech, "SCRAM-SHA-1") == 0)
		xm->scram = true;
	else if (strcmp(cfg->loadgen_xmpp_mech, "PLAIN") != 0)
		goto inval;
	/* Pairs talk to bare JIDs: each user must be logged in once. */
	if (msg_mode && (xm->users < lg->n_conns || lg->n_conns % 2 != 0))
		goto inval;
	if (snprintf(xm->domain, sizeof(xm->domain), "%s", cfg->loadgen_xmpp_domain) >=
		    (int)sizeof(xm->domain) ||
	    snprintf(xm->prefix, sizeof(xm->prefix), "%s", cfg->loadgen_xmpp_user_prefix) >=
		    (int)sizeof(xm->prefix) ||
	    snprintf(xm->password, sizeof(xm->password), "%s", cfg->loadgen_xmpp_password) >=
		    (int)sizeof(xm->password))
		goto inval;
	sb_xml_limits_default(&xm->lim);
	sb_lg_hist_reset(&xm->login_ns);
	xm->xc = calloc(lg->n_conns, sizeof(*xm->xc));
	xm->ucache = calloc(xm->users, sizeof(*xm->ucache));
	if (xm->xc == NULL || xm->ucache == NULL) {
		free(xm->xc);
		free(xm->ucache);
		free(xm);
		return -ENOMEM;
	}
	lg->xmpp = xm;
	return 0;
inval:
	free(xm);
	return -EINVAL;
}

static uint64_t lg_ns_since(const struct sb_lg *lg, uint64_t tsc)
{
	/* In double: cycles times 1e9 overflows 64 bits after a few seconds. */
	return (uint64_t)((double)(rte_rdtsc() - tsc) * 1e9 / (double)lg->tsc_hz);
}

static void lg_user(const struct sb_lg_xmpp *xm, uint32_t idx, char *out, size_t cap)
{
	snprintf(out, cap, "%s%" PRIu32, xm->prefix, idx % xm->users);
}

static int lg_xsend(struct sb_lg *lg, uint32_t idx, const char *s, size_t len)
{
	struct sb_lg_conn *lc = &lg->conns[idx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(lg->w->pkt_pool);
	char *p;

	if (m == NULL || (p = rte_pktmbuf_append(m, (uint16_t)len)) == NULL) {
		rte_pktmbuf_free(m);
		lg->tot.send_err++;
		return -ENOBUFS;
	}
	memcpy(p, s, len);
	if (lc->c == NULL || sb_conn_send(lg->w, lc->c, m) < 0) {
		rte_pktmbuf_free(m);
		lg->tot.send_err++;
		return -ENOBUFS;
	}
	return 0;
}

static int lg_xsendf_len(struct sb_lg *lg, uint32_t idx, const char *buf, int n)
{
	if (n < 0 || (size_t)n >= LG_X_OUT_BYTES)
		return -E2BIG;
	return lg_xsend(lg, idx, buf, (size_t)n);
}

static void lg_send_header(struct sb_lg *lg, uint32_t idx)
{
	char buf[LG_X_OUT_BYTES];

	lg_xsendf_len(lg, idx, buf, snprintf(buf, sizeof(buf), lg_stream_hdr_fmt,
					     lg->xmpp->domain));
}

/* The login failed: count it once, and close (the peer's answer is moot). */
static void lg_fail(struct sb_lg *lg, uint32_t idx, uint64_t *why)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	(*why)++;
	if (xc->st < LG_X_READY) {
		xm->tot.login_fail++;
		xm->pending--;
	}
	xc->st = LG_X_FAILED;
	if (lg->conns[idx].state == SB_LG_C_OPEN) {
		lg->conns[idx].state = SB_LG_C_CLOSING;
		lg->open--;
		lg->closing++;
		sb_conn_close(lg->w, lg->conns[idx].c);
	}
}

void sb_lg_xmpp_on_open(struct sb_lg *lg, uint32_t idx)
{
	struct lg_xconn *xc = &lg->xmpp->xc[idx];

	sb_xml_init(&xc->x);
	xc->rx_len = 0;
	xc->login_tsc = rte_rdtsc();
	xc->st = LG_X_FEATURES;
	lg->xmpp->pending++;
	lg_send_header(lg, idx);
}

/* <auth/>: PLAIN carries the credentials (RFC 4616 §2: authzid empty),
 * SCRAM the client-first-message. */
static void lg_send_auth(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	char user[LG_X_USER_BYTES], msg[256], b64[360], buf[LG_X_OUT_BYTES];
	uint8_t rnd[18];
	int n;

	lg_user(xm, idx, user, sizeof(user));
	if (xm->scram) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
		    sb_scram_b64_encode(rnd, sizeof(rnd), xc->cnonce, sizeof(xc->cnonce)) < 0) {
			lg_fail(lg, idx, &xm->tot.bad_server);
			return;
		}
		n = sb_lg_scram_first(msg, sizeof(msg), user, xc->cnonce);
	} else {
		n = snprintf(msg, sizeof(msg), "%c%s%c%s", 0, user, 0, xm->password);
		if (n >= (int)sizeof(msg))
			n = -1;
	}
	if (n < 0 || sb_scram_b64_encode((const uint8_t *)msg, (size_t)n, b64, sizeof(b64)) < 0) {
		lg_fail(lg, idx, &xm->tot.bad_server);
		return;
	}
	xc->st = LG_X_SASL;
	lg_xsendf_len(lg, idx, buf,
		      snprintf(buf, sizeof(buf),
			       "<auth xmlns='" LG_NS_SASL "' mechanism='%s'>%s</auth>",
			       xm->scram ? "SCRAM-SHA-1" : "PLAIN", b64));
}

/* Character data of a simple element <x ...>TEXT</x>, base64-decoded into out. */
static int lg_b64_content(const uint8_t *e, size_t len, char *out, size_t cap)
{
	const uint8_t *gt = memchr(e, '>', len), *lt;
	int n;

	if (gt == NULL || gt[-1] == '/')
		return 0; /* empty element: empty payload */
	for (lt = e + len - 1; lt > gt && *lt != '<'; lt--)
		;
	if (lt <= gt + 1)
		return 0;
	n = sb_scram_b64_decode((const char *)gt + 1, (size_t)(lt - gt - 1), (uint8_t *)out,
				cap - 1);
	if (n < 0)
		return -EINVAL;
	out[n] = '\0';
	return n;
}

static void lg_on_challenge(struct sb_lg *lg, uint32_t idx, const uint8_t *e, size_t len)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	char user[LG_X_USER_BYTES], sfm[256], cfm[256], b64[360], buf[LG_X_OUT_BYTES];
	bool ran = false;
	int n = lg_b64_content(e, len, sfm, sizeof(sfm));

	lg_user(xm, idx, user, sizeof(user));
	if (n > 0)
		n = sb_lg_scram_final(&xm->ucache[idx % xm->users], user, xm->password, xc->cnonce,
				      sfm, (size_t)n, cfm, sizeof(cfm), xc->ssig, &ran);
	if (ran)
		xm->tot.pbkdf2_runs++;
	if (n <= 0 || sb_scram_b64_encode((const uint8_t *)cfm, (size_t)n, b64, sizeof(b64)) < 0) {
		lg_fail(lg, idx, &xm->tot.bad_server);
		return;
	}
	xc->st = LG_X_SASL_FINAL;
	lg_xsendf_len(lg, idx, buf,
		      snprintf(buf, sizeof(buf), "<response xmlns='" LG_NS_SASL "'>%s</response>",
			       b64));
}

/* <success/>: check the server's proof (SCRAM), then restart the stream
 * (RFC 6120 §6.4.6): the tokenizer starts over at offset 0. */
static bool lg_on_success(struct sb_lg *lg, uint32_t idx, const uint8_t *e, size_t len)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	char sfinal[128];
	int n;

	if (xm->scram) {
		n = lg_b64_content(e, len, sfinal, sizeof(sfinal));
		if (xc->st != LG_X_SASL_FINAL || n <= 0 ||
		    !sb_lg_scram_verify(xc->ssig, sfinal, (size_t)n)) {
			lg_fail(lg, idx, &xm->tot.bad_server);
			return false;
		}
	} else if (xc->st != LG_X_SASL) {
		lg_fail(lg, idx, &xm->tot.bad_server);
		return false;
	}
	sb_xml_init(&xc->x);
	xc->rx_len = 0;
	xc->st = LG_X_FEATURES2;
	lg_send_header(lg, idx);
	return true;
}

/* The value of attribute span sp of the element starting at stream offset base. */
static bool lg_attr_is(const uint8_t *e, uint64_t base, const struct sb_xml_span *sp,
		       const char *want)
{
	size_t n = strlen(want);

	return (sp->flags & SB_XML_SPAN_PRESENT) && sp->len == n && sp->off >= base &&
	       memcmp(e + (sp->off - base), want, n) == 0;
}

static uint64_t lg_parse_u64(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	while (*p < end && **p >= '0' && **p <= '9')
		v = v * 10u + (uint64_t)(*(*p)++ - '0');
	return v;
}

/* A chat message from our pair: "SEQ TSC" in the body. */
static void lg_on_message(struct sb_lg *lg, uint32_t idx, const uint8_t *e, size_t len)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	const uint8_t *b = memmem(e, len, "<body>", 6), *end = e + len, *p;
	uint64_t seq, tsc;

	if (b == NULL) {
		xm->tot.msg_bad++;
		return;
	}
	p = b + 6;
	seq = lg_parse_u64(&p, end);
	if (p == end || *p != ' ') {
		xm->tot.msg_bad++;
		return;
	}
	p++;
	tsc = lg_parse_u64(&p, end);
	if (p == end || *p != '<' || tsc == 0) {
		xm->tot.msg_bad++;
		return;
	}
	sb_lg_hist_add(&lg->lat_ns, lg_ns_since(lg, tsc));
	xm->tot.msgs_rx++;
	lg->tot.msgs_rx++;
	if (seq < xc->rx_seq) {
		xm->tot.msg_reorder++;
		return;
	}
	xm->tot.msg_gap += seq - xc->rx_seq;
	xc->rx_seq = (uint32_t)seq + 1u;
}

static void lg_login_done(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	static const char presence[] = "<presence/>";

	xc->st = LG_X_READY;
	xm->pending--;
	xm->tot.login_ok++;
	/* Initial presence (RFC 6121 §4.2): the session becomes available. */
	lg_xsend(lg, idx, presence, sizeof(presence) - 1);
	sb_lg_hist_add(&xm->login_ns, lg_ns_since(lg, xc->login_tsc));
}

/* One top-level element from the server. Returns false when the stream was
 * restarted or the connection failed: the rest of rx is void. */
static bool lg_on_element(struct sb_lg *lg, uint32_t idx, const struct sb_xml_header *h,
			  const uint8_t *e, size_t len, uint64_t base)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	static const char bind[] = "<iq type='set' id='b1'><bind "
				   "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>";

	if (strcmp(h->name, "message") == 0) {
		if (xc->st == LG_X_READY || xc->st == LG_X_BYE)
			lg_on_message(lg, idx, e, len);
		else
			xm->tot.msg_bad++;
		return true;
	}
	if (strcmp(h->name, "error") == 0 && h->ns.src == SB_XML_NS_STREAMS) {
		lg_fail(lg, idx, &xm->tot.stream_err);
		return false;
	}
	switch (xc->st) {
	case LG_X_FEATURES:
		if (strcmp(h->name, "features") != 0)
			break;
		lg_send_auth(lg, idx);
		return true;
	case LG_X_SASL:
	case LG_X_SASL_FINAL:
		if (strcmp(h->name, "success") == 0) {
			lg_on_success(lg, idx, e, len);
			return false; /* restarted or failed: what follows is void */
		}
		if (strcmp(h->name, "challenge") == 0 && xm->scram && xc->st == LG_X_SASL) {
			lg_on_challenge(lg, idx, e, len);
			return true;
		}
		if (strcmp(h->name, "failure") == 0) {
			lg_fail(lg, idx, &xm->tot.sasl_fail);
			return false;
		}
		break;
	case LG_X_FEATURES2:
		if (strcmp(h->name, "features") != 0)
			break;
		xc->st = LG_X_BIND;
		lg_xsend(lg, idx, bind, sizeof(bind) - 1);
		return true;
	case LG_X_BIND:
		if (strcmp(h->name, "iq") != 0 || !lg_attr_is(e, base, &h->id, "b1"))
			break;
		if (!lg_attr_is(e, base, &h->type, "result")) {
			lg_fail(lg, idx, &xm->tot.bad_server);
			return false;
		}
		lg_login_done(lg, idx);
		return true;
	case LG_X_READY:
	case LG_X_BYE:
		return true; /* presence and the like: not measured */
	default:
		return true;
	}
	lg_fail(lg, idx, &xm->tot.bad_server);
	return false;
}

/* Handle one event; false: stop reading this connection's rx. */
static bool lg_on_event(struct sb_lg *lg, uint32_t idx, const struct sb_xml_event *ev,
			uint64_t base)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	if (ev->type == SB_XML_EV_ELEMENT)
		return lg_on_element(lg, idx, ev->hdr, xc->rx + (ev->start_off - base),
				     (size_t)(ev->end_off - ev->start_off), ev->start_off);
	if (ev->type == SB_XML_EV_STREAM_CLOSE) {
		if (xc->st == LG_X_BYE) {
			xm->tot.clean_close++;
			return false;
		}
		lg_fail(lg, idx, &xm->tot.stream_err);
		return false;
	}
	return true; /* STREAM_OPEN (features follow), KEEPALIVE */
}

/* Tokenize rx from the last element boundary; keep the incomplete tail. */
static void lg_xparse(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	struct sb_xml x = xc->x;
	uint64_t base = sb_xml_offset(&xc->x);
	size_t off = 0, done = 0;

	while (off < xc->rx_len) {
		struct sb_xml_event ev;
		size_t used = 0;
		enum sb_xml_status st = sb_xml_feed(&x, &xm->ctx, &xm->lim, xc->rx + off,
						    xc->rx_len - off, &ev, &used);

		if (st >= SB_XML_ERR_FIRST) {
			lg_fail(lg, idx, &xm->tot.xml_err);
			return;
		}
		off += used;
		if (st == SB_XML_NEED_MORE)
			break;
		if (!sb_xml_busy(&x)) {
			xc->x = x;
			done = off;
		}
		if (!lg_on_event(lg, idx, &ev, base))
			return; /* restarted (rx reset), failed or closed */
	}
	memmove(xc->rx, xc->rx + done, xc->rx_len - done);
	xc->rx_len = (uint16_t)(xc->rx_len - done);
}

void sb_lg_xmpp_on_data(struct sb_lg *lg, uint32_t idx, struct rte_mbuf *m)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	bool ok = true;

	for (struct rte_mbuf *s = m; s != NULL && ok; s = s->next) {
		uint16_t n = rte_pktmbuf_data_len(s);

		if (xc->st == LG_X_FAILED || xc->st == LG_X_NONE)
			break;
		if (n > sizeof(xc->rx) - xc->rx_len) {
			lg_fail(lg, idx, &xm->tot.xml_err);
			ok = false;
			break;
		}
		memcpy(xc->rx + xc->rx_len, rte_pktmbuf_mtod(s, const uint8_t *), n);
		xc->rx_len = (uint16_t)(xc->rx_len + n);
	}
	rte_pktmbuf_free(m);
	if (ok && xc->st != LG_X_FAILED && xc->st != LG_X_NONE)
		lg_xparse(lg, idx);
}

void sb_lg_xmpp_on_close(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	if (xc->st != LG_X_NONE && xc->st < LG_X_READY) {
		xm->tot.login_fail++;
		xm->pending--;
	}
	xc->st = LG_X_FAILED;
}

void sb_lg_xmpp_bye(struct sb_lg *lg, uint32_t idx)
{
	struct lg_xconn *xc = &lg->xmpp->xc[idx];
	static const char bye[] = "</stream:stream>";

	if (xc->st != LG_X_READY)
		return;
	xc->st = LG_X_BYE;
	lg_xsend(lg, idx, bye, sizeof(bye) - 1);
}

bool sb_lg_xmpp_may_open(const struct sb_lg *lg)
{
	return lg->xmpp->pending + lg->opening < lg->xmpp->logins_max;
}

bool sb_lg_xmpp_settled(const struct sb_lg *lg)
{
	return lg->xmpp->pending == 0;
}

unsigned sb_lg_xmpp_send_some(struct sb_lg *lg, uint64_t start_us, uint64_t stop_us)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	uint64_t now_us = lg->w->now_us, due;
	char buf[LG_X_OUT_BYTES], peer[LG_X_USER_BYTES];
	unsigned sent = 0, looked = 0;

	if (now_us < start_us || now_us >= stop_us)
		return 0;
	due = (now_us - start_us) * xm->msg_rate / 1000000u + 1u;
	/* Our own send queues must not take the mbufs receiving needs: with the
	 * pool empty nothing is received, nothing acknowledged, nothing freed.
	 * Below a quarter free the rate is not kept (counted, and the report's
	 * delivered rate then falls short of the offered one). */
	if (xm->sent_due < due &&
	    rte_mempool_avail_count(lg->w->pkt_pool) < lg->w->pkt_pool->size / 4) {
		xm->tot.msg_throttled++;
		return 0;
	}
	while (xm->sent_due < due && sent < LG_X_SEND_PER_TURN && looked < lg->n_conns) {
		uint32_t idx = xm->cursor;
		struct lg_xconn *xc = &xm->xc[idx];
		int n;

		xm->cursor = xm->cursor + 1 == lg->n_conns ? 0 : xm->cursor + 1;
		looked++;
		if (xc->st != LG_X_READY || xm->xc[idx ^ 1u].st != LG_X_READY)
			continue;
		lg_user(xm, idx ^ 1u, peer, sizeof(peer));
		n = snprintf(buf, sizeof(buf),
			     "<message to='%s@%s' type='chat'><body>%" PRIu32 " %" PRIu64
			     "</body></message>", peer, xm->domain, xc->tx_seq, rte_rdtsc());
		xm->sent_due++;
		if (lg_xsendf_len(lg, idx, buf, n) < 0)
			continue;
		xc->tx_seq++;
		xm->tot.msgs_tx++;
		lg->tot.msgs_tx++;
		sent++;
		looked = 0;
	}
	return sent;
}

uint64_t sb_lg_xmpp_errors(const struct sb_lg *lg)
{
	const struct sb_lg_xmpp_totals *t = &lg->xmpp->tot;

	return t->login_fail + t->sasl_fail + t->bad_server + t->stream_err + t->xml_err +
	       t->msg_bad + t->msg_reorder;
}

uint64_t sb_lg_xmpp_lost(const struct sb_lg *lg)
{
	const struct sb_lg_xmpp *xm = lg->xmpp;
	uint64_t lost = xm->tot.msg_gap; /* skipped over, never seen */

	if (!xm->msg_mode)
		return 0;
	for (uint32_t i = 0; i < lg->n_conns; i++) {
		uint32_t sent = xm->xc[i ^ 1u].tx_seq, got = xm->xc[i].rx_seq;

		lost += sent > got ? sent - got : 0;
	}
	return lost;
}

static double lg_ms(const struct sb_lg_hist *h, double q)
{
	return (double)sb_lg_hist_quantile(h, q) / 1e6;
}

void sb_lg_xmpp_report(const struct sb_lg *lg, uint64_t open_us, uint64_t send_us)
{
	const struct sb_lg_xmpp *xm = lg->xmpp;
	const struct sb_lg_xmpp_totals *t = &xm->tot;
	const struct sb_lg_hist *h = &xm->login_ns;

	printf(" mech=%s logins=%" PRIu64 " login_fail=%" PRIu64 " logins_per_s=%.0f"
	       " login_ms_p50=%.2f login_ms_p99=%.2f login_ms_max=%.2f pbkdf2_runs=%" PRIu64
	       " sasl_fail=%" PRIu64 " bad_server=%" PRIu64 " stream_err=%" PRIu64
	       " xml_err=%" PRIu64,
	       xm->scram ? "SCRAM-SHA-1" : "PLAIN", t->login_ok, t->login_fail,
	       open_us ? (double)t->login_ok * 1e6 / (double)open_us : 0.0, lg_ms(h, 0.5),
	       lg_ms(h, 0.99), lg_ms(h, 1.0), t->pbkdf2_runs, t->sasl_fail, t->bad_server,
	       t->stream_err, t->xml_err);
	if (xm->msg_mode)
		printf(" xmsgs_tx=%" PRIu64 " xmsgs_rx=%" PRIu64 " xmsg_per_s=%.0f lost=%" PRIu64
		       " gaps=%" PRIu64 " reorder=%" PRIu64 " msg_bad=%" PRIu64
		       " throttled_turns=%" PRIu64,
		       t->msgs_tx, t->msgs_rx,
		       send_us ? (double)t->msgs_rx * 1e6 / (double)send_us : 0.0,
		       sb_lg_xmpp_lost(lg), t->msg_gap, t->msg_reorder, t->msg_bad,
		       t->msg_throttled);
	printf(" clean_close=%" PRIu64, t->clean_close);
}

bool sb_lg_xmpp_ok(const struct sb_lg *lg)
{
	const struct sb_lg_xmpp *xm = lg->xmpp;

	if (xm->tot.login_ok != lg->n_conns || sb_lg_xmpp_errors(lg) != 0)
		return false;
	return !xm->msg_mode || (xm->tot.msgs_rx != 0 && sb_lg_xmpp_lost(lg) == 0);
}
