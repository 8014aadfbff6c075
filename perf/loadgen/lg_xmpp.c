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

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "lg_keys.h"
#include "lg_xmpp.h"
#include "lg_xmpp_priv.h"
#include "lg_xsasl.h"
#include "loadgen.h"
#include "tcp/conn.h"
#include "worker.h"
#include "xml.h"

int sb_lg_xmpp_create(struct sb_lg *lg, const struct sb_lg_keys *cfg, bool msg_mode)
{
	struct sb_lg_xmpp *xm = calloc(1, sizeof(*xm));

	if (xm == NULL)
		return -ENOMEM;
	xm->msg_mode = msg_mode;
	xm->users = cfg->loadgen_xmpp_users ? (uint32_t)cfg->loadgen_xmpp_users : lg->n_conns;
	xm->msg_rate = cfg->loadgen_xmpp_msg_rate;
	xm->roster = cfg->loadgen_xmpp_roster;
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
	sb_lg_hist_reset(&xm->drain_ns);
	xm->ka_interval_us = cfg->loadgen_xmpp_keepalive_s * 1000000u;
	xm->rx_cap = msg_mode ? LG_X_RX_MSG_BYTES
			      : xm->roster ? LG_X_RX_ROSTER_BYTES : LG_X_RX_LOGIN_BYTES;
	xm->xc = calloc(lg->n_conns, sizeof(*xm->xc));
	xm->rxbuf = calloc(lg->n_conns, xm->rx_cap);
	xm->ucache = calloc(xm->users, sizeof(*xm->ucache));
	if (xm->xc == NULL || xm->rxbuf == NULL || xm->ucache == NULL) {
		free(xm->xc);
		free(xm->rxbuf);
		free(xm->ucache);
		free(xm);
		return -ENOMEM;
	}
	if (lg_xtls_create(xm, cfg->loadgen_xmpp_tls, cfg->loadgen_xmpp_tls_ca, lg->n_conns) < 0) {
		fprintf(stderr, "sb-loadgen: loadgen.xmpp_tls=%s: cannot set up TLS (mode is off, "
				"starttls or direct; the CA file must be readable)\n",
			cfg->loadgen_xmpp_tls);
		return -EINVAL; /* the process exits: what was allocated goes with it */
	}
	lg->xmpp = xm;
	return 0;
inval:
	free(xm);
	return -EINVAL;
}

uint64_t lg_ns_since(const struct sb_lg *lg, uint64_t tsc)
{
	/* In double: cycles times 1e9 overflows 64 bits after a few seconds. */
	return (uint64_t)((double)(rte_rdtsc() - tsc) * 1e9 / (double)lg->tsc_hz);
}

void lg_xuser(const struct sb_lg_xmpp *xm, uint32_t idx, char *out, size_t cap)
{
	snprintf(out, cap, "%s%" PRIu32, xm->prefix, idx % xm->users);
}

int lg_xsend(struct sb_lg *lg, uint32_t idx, const char *s, size_t len)
{
	if (lg->xmpp->xc[idx].tls == LG_XC_TLS_ON)
		return lg_xtls_send(lg, idx, s, len);
	return lg_xsend_raw(lg, idx, s, len);
}

int lg_xsend_bytes(struct sb_lg *lg, uint32_t idx, const char *s, size_t len)
{
	if (lg->xmpp->xc[idx].tls == LG_XC_TLS_ON)
		return lg_xtls_send(lg, idx, s, len);
	return sb_conn_send_bytes(lg->w, lg->conns[idx].c, s, (uint32_t)len);
}

int lg_xsend_raw(struct sb_lg *lg, uint32_t idx, const void *s, size_t len)
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

	lg_xsendf_len(lg, idx, buf, sb_lg_xp_header(buf, sizeof(buf), lg->xmpp->domain));
}

/* The login failed: count it once, and close (the peer's answer is moot). */
void lg_xfail(struct sb_lg *lg, uint32_t idx, uint64_t *why)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	(*why)++;
	if (xc->st < LG_X_READY) {
		xm->tot.login_fail++;
		xm->tot.fail_in[xc->st]++;
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
	xc->tls = LG_XC_TLS_NONE;
	lg->xmpp->pending++;
	if (lg->xmpp->tls.mode == LG_XTLS_DIRECT) {
		lg_xtls_start(lg, idx); /* XEP-0368: TLS from the first byte */
		return;
	}
	xc->st = LG_X_FEATURES;
	lg_send_header(lg, idx);
}

void lg_xtls_ready(struct sb_lg *lg, uint32_t idx)
{
	struct lg_xconn *xc = &lg->xmpp->xc[idx];

	sb_xml_init(&xc->x);
	xc->rx_len = 0;
	xc->st = LG_X_FEATURES;
	lg_send_header(lg, idx);
}

static void lg_send_auth(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	char user[LG_X_USER_BYTES], buf[LG_X_OUT_BYTES];
	int n;

	lg_xuser(xm, idx, user, sizeof(user));
	n = sb_lg_xp_auth(buf, sizeof(buf), xm->scram, user, xm->password, xc->cnonce);
	if (n < 0) {
		lg_xfail(lg, idx, &xm->tot.bad_server);
		return;
	}
	xc->st = LG_X_SASL;
	lg_xsendf_len(lg, idx, buf, n);
}

static void lg_on_challenge(struct sb_lg *lg, uint32_t idx, const uint8_t *e, size_t len)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	struct sb_lg_scram_user *u = &xm->ucache[idx % xm->users];
	char user[LG_X_USER_BYTES], buf[LG_X_OUT_BYTES];
	bool ran = false;
	int n;

	lg_xuser(xm, idx, user, sizeof(user));
	/* A user's first login tries the keys last derived: SaltedPassword
	 * depends on the password (one for all users), the salt and the count
	 * only, so accounts seeded with one salt (perf/bench/im/seed_roster.c)
	 * cost one PBKDF2 in all; another salt is derived as before. */
	if (u->iter == 0)
		*u = xm->ushared;
	n = sb_lg_xp_response(buf, sizeof(buf), u, user, xm->password, xc->cnonce, e, len,
			      xc->ssig, &ran);
	if (ran) {
		xm->tot.pbkdf2_runs++;
		xm->ushared = *u;
	}
	if (n < 0) {
		lg_xfail(lg, idx, &xm->tot.bad_server);
		return;
	}
	xc->st = LG_X_SASL_FINAL;
	lg_xsendf_len(lg, idx, buf, n);
}

/* <success/>: check the server's proof (SCRAM), then restart the stream
 * (RFC 6120 §6.4.6): the tokenizer starts over at offset 0. */
static bool lg_on_success(struct sb_lg *lg, uint32_t idx, const uint8_t *e, size_t len)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	if (xm->scram) {
		if (xc->st != LG_X_SASL_FINAL || !sb_lg_xp_success_ok(xc->ssig, e, len)) {
			lg_xfail(lg, idx, &xm->tot.bad_server);
			return false;
		}
	} else if (xc->st != LG_X_SASL) {
		lg_xfail(lg, idx, &xm->tot.bad_server);
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

static void lg_login_done(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	xc->st = LG_X_READY;
	xm->pending--;
	xm->tot.login_ok++;
	sb_lg_hist_add(&xm->login_ns, lg_ns_since(lg, xc->login_tsc));
}

/* Bound. What a client does first: its roster (RFC 6121 §2.2), waiting
 * for it as a client does before showing it, then initial presence
 * (§4.2), which makes the session available; without xmpp_roster the
 * presence goes at once and the login ends here. */
static void lg_bound(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;

	if (xm->roster) {
		xm->xc[idx].st = LG_X_ROSTER;
		lg_xsend(lg, idx, sb_lg_xp_roster_get, strlen(sb_lg_xp_roster_get));
		return;
	}
	lg_xsend(lg, idx, sb_lg_xp_presence, strlen(sb_lg_xp_presence));
	lg_login_done(lg, idx);
}

/* Whether the spans a and b hold the same bytes (the element at base). */
static bool lg_span_eq(const uint8_t *e, uint64_t base, const struct sb_xml_span *a,
		       const struct sb_xml_span *b)
{
	return (a->flags & SB_XML_SPAN_PRESENT) && (b->flags & SB_XML_SPAN_PRESENT) &&
	       a->len == b->len && a->off >= base && b->off >= base &&
	       memcmp(e + (a->off - base), e + (b->off - base), a->len) == 0;
}

/* A presence on a bound session. Ours comes back from our full JID to it
 * (RFC 6121 §4.2.2: the server broadcasts it to the user's available
 * resources, the sender included, once it has gone to the contacts): with
 * xmpp_roster that ends the login. Any other is a contact's. */
static void lg_on_presence(struct sb_lg *lg, uint32_t idx, const struct sb_xml_header *h,
			   const uint8_t *e, uint64_t base)
{
	struct sb_lg_xmpp *xm = lg->xmpp;

	if (lg_span_eq(e, base, &h->from, &h->to)) {
		if (xm->xc[idx].st == LG_X_AVAIL)
			lg_login_done(lg, idx);
		return;
	}
	if (lg_attr_is(e, base, &h->type, "unavailable"))
		xm->tot.pres_unavail_rx++;
	else if (!(h->type.flags & SB_XML_SPAN_PRESENT))
		xm->tot.pres_rx++;
}

/* One top-level element from the server. Returns false when the stream was
 * restarted or the connection failed: the rest of rx is void. */
static bool lg_on_element(struct sb_lg *lg, uint32_t idx, const struct sb_xml_header *h,
			  const uint8_t *e, size_t len, uint64_t base)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	if (xc->st >= LG_X_ROSTER && lg_attr_is(e, base, &h->type, "error")) {
		if (xc->st == LG_X_ROSTER && lg_attr_is(e, base, &h->id, "r")) {
			lg_xfail(lg, idx, &xm->tot.bad_server);
			return false;
		}
		lg_xmsg_on_bounce(lg, e, len);
		return true;
	}
	if (xc->st >= LG_X_ROSTER && strcmp(h->name, "presence") == 0) {
		lg_on_presence(lg, idx, h, e, base);
		return true;
	}
	if (strcmp(h->name, "message") == 0) {
		if (xc->st == LG_X_READY || xc->st == LG_X_BYE)
			lg_xmsg_on_message(lg, idx, e, len);
		else
			xm->tot.msg_bad++;
		return true;
	}
	if (strcmp(h->name, "error") == 0 && h->ns.src == SB_XML_NS_STREAMS) {
		lg_xfail(lg, idx, &xm->tot.stream_err);
		return false;
	}
	switch (xc->st) {
	case LG_X_FEATURES:
		if (strcmp(h->name, "features") != 0)
			break;
		if (xm->tls.mode == LG_XTLS_STARTTLS && xc->tls == LG_XC_TLS_NONE) {
			static const char st[] = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

			xc->st = LG_X_STARTTLS;
			lg_xsend(lg, idx, st, sizeof(st) - 1);
			return true;
		}
		lg_send_auth(lg, idx);
		return true;
	case LG_X_STARTTLS:
		if (strcmp(h->name, "proceed") != 0)
			break;
		lg_xtls_start(lg, idx); /* RFC 6120 §5.4.2.3: the handshake, at once */
		return false;
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
			lg_xfail(lg, idx, &xm->tot.sasl_fail);
			return false;
		}
		break;
	case LG_X_FEATURES2:
		if (strcmp(h->name, "features") != 0)
			break;
		xc->st = LG_X_BIND;
		lg_xsend(lg, idx, sb_lg_xp_bind, strlen(sb_lg_xp_bind));
		return true;
	case LG_X_BIND:
		if (strcmp(h->name, "iq") != 0 || !lg_attr_is(e, base, &h->id, "b1"))
			break;
		if (!lg_attr_is(e, base, &h->type, "result")) {
			lg_xfail(lg, idx, &xm->tot.bad_server);
			return false;
		}
		lg_bound(lg, idx);
		return true;
	case LG_X_ROSTER:
		if (strcmp(h->name, "iq") != 0 || !lg_attr_is(e, base, &h->id, "r"))
			return true; /* a roster push or the like: not measured */
		if (!lg_attr_is(e, base, &h->type, "result")) {
			lg_xfail(lg, idx, &xm->tot.bad_server);
			return false;
		}
		xm->tot.roster_items += sb_lg_xp_roster_items(e, len);
		xc->st = LG_X_AVAIL;
		lg_xsend(lg, idx, sb_lg_xp_presence, strlen(sb_lg_xp_presence));
		return true;
	case LG_X_AVAIL:
	case LG_X_READY:
	case LG_X_BYE:
		return true; /* presence and the like: not measured */
	default:
		return true;
	}
	lg_xfail(lg, idx, &xm->tot.bad_server);
	return false;
}

/* Handle one event; false: stop reading this connection's rx. */
static bool lg_on_event(struct sb_lg *lg, uint32_t idx, const struct sb_xml_event *ev,
			uint64_t base)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	if (ev->type == SB_XML_EV_ELEMENT)
		return lg_on_element(lg, idx, ev->hdr, lg_rx(xm, idx) + (ev->start_off - base),
				     (size_t)(ev->end_off - ev->start_off), ev->start_off);
	if (ev->type == SB_XML_EV_STREAM_CLOSE) {
		if (xc->st == LG_X_BYE) {
			xm->tot.clean_close++;
			return false;
		}
		lg_xfail(lg, idx, &xm->tot.stream_err);
		return false;
	}
	return true; /* STREAM_OPEN (features follow), KEEPALIVE */
}

/* Tokenize rx from the last element boundary; keep the incomplete tail.
 * Returns false when the rest of the input is void (restarted, failed, closed). */
static bool lg_xparse(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	uint8_t *rx = lg_rx(xm, idx);
	struct sb_xml x = xc->x;
	uint64_t base = sb_xml_offset(&xc->x);
	size_t off = 0, done = 0;

	while (off < xc->rx_len) {
		struct sb_xml_event ev;
		size_t used = 0;
		enum sb_xml_status st = sb_xml_feed(&x, &xm->ctx, &xm->lim, rx + off,
						    xc->rx_len - off, &ev, &used);

		if (st >= SB_XML_ERR_FIRST) {
			lg_xfail(lg, idx, &xm->tot.xml_err);
			return false;
		}
		off += used;
		if (st == SB_XML_NEED_MORE)
			break;
		if (!sb_xml_busy(&x)) {
			xc->x = x;
			done = off;
		}
		if (!lg_on_event(lg, idx, &ev, base))
			return false;
	}
	memmove(rx, rx + done, xc->rx_len - done);
	xc->rx_len = (uint16_t)(xc->rx_len - done);
	return true;
}

/* Feed plaintext through the tail buffer as much as fits at a time; an
 * element longer than the buffer is an error (xml_err). */
bool lg_xfeed(struct sb_lg *lg, uint32_t idx, const uint8_t *p, size_t n)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	bool ok = true;

	while (ok && n != 0) {
		uint32_t k = (uint32_t)RTE_MIN(n, (size_t)(xm->rx_cap - xc->rx_len));

		if (xc->st == LG_X_FAILED || xc->st == LG_X_NONE || xc->st == LG_X_TLS_HS) {
			ok = false;
		} else if (k == 0) {
			lg_xfail(lg, idx, &xm->tot.xml_err);
			ok = false;
		} else {
			memcpy(lg_rx(xm, idx) + xc->rx_len, p, k);
			xc->rx_len = (uint16_t)(xc->rx_len + k);
			p += k;
			n -= k;
			ok = lg_xparse(lg, idx);
		}
	}
	return ok;
}

void sb_lg_xmpp_on_data(struct sb_lg *lg, uint32_t idx, struct rte_mbuf *m)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];
	bool ok = true;

	for (struct rte_mbuf *s = m; s != NULL && ok; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);
		uint32_t n = rte_pktmbuf_data_len(s);

		if (xc->tls != LG_XC_TLS_NONE) {
			lg_xtls_input(lg, idx, p, n); /* ciphertext: opened, then fed */
			ok = xc->st != LG_X_FAILED;
		} else {
			ok = lg_xfeed(lg, idx, p, n);
		}
	}
	rte_pktmbuf_free(m);
}

void sb_lg_xmpp_on_close(struct sb_lg *lg, uint32_t idx)
{
	struct sb_lg_xmpp *xm = lg->xmpp;
	struct lg_xconn *xc = &xm->xc[idx];

	if (xc->st != LG_X_NONE && xc->st < LG_X_READY) {
		xm->tot.login_fail++;
		xm->tot.fail_in[xc->st]++;
		xm->pending--;
	}
	xc->st = LG_X_FAILED;
	lg_xtls_closed(lg, idx);
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


static double lg_ms(const struct sb_lg_hist *h, double q)
{
	return (double)sb_lg_hist_quantile(h, q) / 1e6;
}

/* "KEY=step:n,..." for the login steps with a count (nothing if none). */
static void lg_steps(const char *key, const uint64_t n[LG_X_MAX])
{
	static const char *const step[LG_X_MAX] = {
		[LG_X_FEATURES] = "features", [LG_X_STARTTLS] = "starttls", [LG_X_TLS_HS] = "tls",
		[LG_X_SASL] = "sasl",
		[LG_X_SASL_FINAL] = "sasl_final", [LG_X_FEATURES2] = "features2",
		[LG_X_BIND] = "bind", [LG_X_ROSTER] = "roster", [LG_X_AVAIL] = "avail",
	};
	const char *sep = key;

	for (unsigned k = 0; k < LG_X_MAX; k++)
		if (n[k] != 0 && step[k] != NULL) {
			printf("%s%s:%" PRIu64, sep, step[k], n[k]);
			sep = ",";
		}
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
	lg_xtls_report(xm);
	lg_xmsg_report(lg, send_us);
	printf(" clean_close=%" PRIu64, t->clean_close);
	lg_steps(" login_fail_in=", t->fail_in);
	/* Logins neither done nor failed when the run ended (its duration
	 * cap), by the answer they were still waiting for. */
	{
		uint64_t pending[LG_X_MAX] = { 0 };

		for (uint32_t i = 0; i < lg->n_conns; i++)
			if (xm->xc[i].st != LG_X_NONE && xm->xc[i].st < LG_X_READY)
				pending[xm->xc[i].st]++;
		lg_steps(" login_pending_in=", pending);
	}
	if (xm->roster)
		printf(" roster_items=%" PRIu64 " presence_rx=%" PRIu64
		       " presence_unavail_rx=%" PRIu64, t->roster_items, t->pres_rx,
		       t->pres_unavail_rx);
}
