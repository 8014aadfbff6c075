/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A second, independent XMPP client for the integration tests, on Debian's
 * libstrophe (C), so that the gateway is checked against more than one
 * implementation (slixmpp is the other, xmpp_client.py). It runs inside the
 * test's namespace. With --tls-ca FILE it insists on TLS (STARTTLS on 5222,
 * or direct TLS, XEP-0368, with --direct-tls on 5223) and verifies the
 * gateway's certificate and name against FILE (the development CA of
 * scripts/tls-dev-ca.sh; a folder of hashed CA files works too); a certificate that does not verify ends the run
 * with OpenSSL's reason. Without it, TLS is switched off
 * (XMPP_CONN_FLAG_DISABLE_TLS) for a gateway run with xmpp.tls = off.
 * libstrophe picks the SASL mechanism itself (strongest offered first); the
 * one it used is reported, and whether the stream was encrypted. Every mode
 * is bounded in time and exits 0 only on success, else prints one FAIL line.
 *
 *   login JID PASSWORD [--expect-auth-fail]   log in, bind, XEP-0199 ping the
 *                                             server, disconnect cleanly
 *   send  JID PASSWORD TO BODY                log in, send one chat message,
 *                                             ping the server, wait briefly for
 *                                             an error bounce, disconnect
 *   pings JID PASSWORD --count N [--interval-ms M]
 *                                             log in, then N server pings one
 *                                             after another, M ms apart (10):
 *                                             round trips p50/p99/max in us
 *                                             (a latency probe for perf/)
 *   recv  JID PASSWORD --expect-from JID --expect-body TEXT --ready FILE
 *                                             log in, send presence, write FILE
 *                                             once the server routes to us, wait
 *                                             for one chat message and check its
 *                                             sender (bare JID) and body
 * Options: --timeout SECONDS (20), --host ADDR (198.18.0.2), --port N (5222;
 * 5223 with --direct-tls), --tls-ca FILE, --direct-tls (needs --tls-ca), -v
 * (libstrophe's debug log on stderr).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <strophe.h>

#define STEP_MS 50
#define LINGER_MS 300      /* how long `send` waits for an error bounce */
#define CLOSE_WAIT_US 5000000ULL
#define PING_NS "urn:xmpp:ping"

enum mode { MODE_LOGIN, MODE_SEND, MODE_RECV, MODE_PINGS, MODE_MAX };

#define PINGS_MAX 100000u

struct run {
	enum mode mode;
	const char *jid, *password, *to, *body;
	const char *expect_from, *expect_body, *ready, *host, *tls_ca;
	unsigned short port;
	unsigned timeout_s;
	bool expect_auth_fail, verbose, direct_tls;
	char cert_error[160];   /* why the certificate was refused, if it was */
	unsigned count, interval_ms, n_rtt; /* pings */
	unsigned *rtt_us;
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	char mech[32];          /* the SASL mechanism libstrophe used */
	char probe[64];         /* body of the readiness probe (recv) */
	unsigned long long ping_sent_us;
	bool auth_failed, session, disconnected, done, ok;
	char why[256];
};

static unsigned long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* The first verdict wins; later ones (e.g. the disconnect it causes) do not
 * overwrite the reason. */
static void __attribute__((format(printf, 3, 4))) finish(struct run *r, bool ok, const char *fmt,
							  ...)
{
	va_list ap;

	if (r->done)
		return;
	r->done = true;
	r->ok = ok;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	if (!r->disconnected)
		xmpp_disconnect(r->conn);
}

/* libstrophe reports the mechanism only in its log ("SASL %s auth
 * successful" / "... failed"), so the log handler picks it up there. */
static void log_handler(void *ud, xmpp_log_level_t level, const char *area, const char *msg)
{
	struct run *r = ud;
	const char *p;
	size_t n;

	if (strncmp(msg, "SASL ", 5) == 0 && (p = strstr(msg + 5, " auth ")) != NULL) {
		n = (size_t)(p - (msg + 5));
		if (n < sizeof(r->mech)) {
			memcpy(r->mech, msg + 5, n);
			r->mech[n] = '\0';
		}
		if (strcmp(p, " auth failed") == 0)
			r->auth_failed = true;
	}
	if (r->verbose || (level >= XMPP_LEVEL_ERROR && !r->expect_auth_fail))
		fprintf(stderr, "strophe %s: %s\n", area, msg);
}

/* libstrophe's certificate callback carries no user pointer; the one run
 * of this process is where its verdict goes. */
static struct run *cert_run;

/* Called only when OpenSSL's verification (chain to --tls-ca, host name)
 * failed: refuse, and keep the reason for the FAIL line. */
static int cert_refused(const xmpp_tlscert_t *cert, const char *const errormsg)
{
	(void)cert;
	if (cert_run != NULL)
		snprintf(cert_run->cert_error, sizeof(cert_run->cert_error), "%s",
			 errormsg != NULL ? errormsg : "(no reason)");
	return 0;
}

/* --tls-ca may name a CA folder (hashed names, `openssl rehash`), as
 * profanity's `/tls certpath set` takes one. */
static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *tls_note(struct run *r)
{
	if (!xmpp_conn_is_secured(r->conn))
		return "in plaintext";
	return r->direct_tls ? "over direct TLS, certificate verified"
			     : "over STARTTLS, certificate verified";
}

static void send_ping(struct run *r, const char *id, xmpp_handler cb)
{
	xmpp_stanza_t *iq = xmpp_iq_new(r->ctx, "get", id);
	xmpp_stanza_t *ping = xmpp_stanza_new(r->ctx);
	char *domain = xmpp_jid_domain(r->ctx, r->jid);

	xmpp_stanza_set_to(iq, domain);
	xmpp_stanza_set_name(ping, "ping");
	xmpp_stanza_set_ns(ping, PING_NS);
	xmpp_stanza_add_child(iq, ping);
	xmpp_stanza_release(ping);
	xmpp_id_handler_add(r->conn, cb, id, r);
	r->ping_sent_us = now_us();
	xmpp_send(r->conn, iq);
	xmpp_stanza_release(iq);
	xmpp_free(r->ctx, domain);
}

static void send_chat(struct run *r, const char *to, const char *body, const char *id)
{
	xmpp_stanza_t *msg = xmpp_message_new(r->ctx, "chat", to, id);

	xmpp_message_set_body(msg, body);
	xmpp_send(r->conn, msg);
	xmpp_stanza_release(msg);
}

static bool iq_is_result(xmpp_stanza_t *st)
{
	const char *type = xmpp_stanza_get_type(st);

	return type != NULL && strcmp(type, "result") == 0;
}

static int linger_done(xmpp_conn_t *conn, void *ud)
{
	struct run *r = ud;

	(void)conn;
	finish(r, true, "send: %s -> %s delivered to the server, no error back, %s", r->jid,
	       r->to, tls_note(r));
	return 0;
}

static int pings_next(xmpp_conn_t *conn, void *ud);

static int cmp_u(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* pings: one round trip more; the next ping after the interval, or the
 * percentiles once all are in. */
static int pings_result(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct run *r = ud;
	unsigned n;

	if (!iq_is_result(st)) {
		finish(r, false, "server ping answered with type %s", xmpp_stanza_get_type(st));
		return 0;
	}
	r->rtt_us[r->n_rtt++] = (unsigned)(now_us() - r->ping_sent_us);
	if (r->n_rtt < r->count) {
		xmpp_timed_handler_add(conn, pings_next, r->interval_ms, r);
		return 0;
	}
	n = r->n_rtt;
	qsort(r->rtt_us, n, sizeof(r->rtt_us[0]), cmp_u);
	finish(r, true, "pings: %u round trips %s: p50 %u us p99 %u us max %u us", n, tls_note(r),
	       r->rtt_us[n / 2], r->rtt_us[(size_t)n * 99 / 100], r->rtt_us[n - 1]);
	return 0;
}

static int pings_next(xmpp_conn_t *conn, void *ud)
{
	struct run *r = ud;

	(void)conn;
	send_ping(r, "sb-ping-n", pings_result);
	return 0;
}

static int ping_result(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct run *r = ud;
	double ms = (double)(now_us() - r->ping_sent_us) / 1000.0;

	if (!iq_is_result(st)) {
		finish(r, false, "server ping answered with type %s", xmpp_stanza_get_type(st));
		return 0;
	}
	if (r->mode == MODE_LOGIN)
		finish(r, true, "login: %s with %s bound %s, server ping %.1f ms, %s", r->jid,
		       r->mech, xmpp_conn_get_bound_jid(conn), ms, tls_note(r));
	else
		xmpp_timed_handler_add(conn, linger_done, LINGER_MS, r);
	return 0;
}

static int write_ready(struct run *r)
{
	int fd = open(r->ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "ready\n", 6) != 6) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

/* recv: check one message. The first one back is our own probe (sent to our
 * bare JID after the presence): the router delivers to a bare JID only to
 * available resources, so its arrival proves our presence was processed and
 * a peer's message will reach us. Only then is the ready file written. */
static void check_message(struct run *r, const char *type, const char *bare, const char *body)
{
	if (r->probe[0] != '\0' && body != NULL && strcmp(body, r->probe) == 0) {
		r->probe[0] = '\0';
		if (write_ready(r) < 0)
			finish(r, false, "cannot write the ready file %s", r->ready);
		return;
	}
	if (strcmp(type, "error") == 0)
		finish(r, false, "an error message came back");
	else if (r->probe[0] != '\0')
		finish(r, false, "a message arrived before the readiness probe");
	else if (bare == NULL || strcmp(bare, r->expect_from) != 0)
		finish(r, false, "message from %s, expected %s", bare ? bare : "(none)",
		       r->expect_from);
	else if (body == NULL || strcmp(body, r->expect_body) != 0)
		finish(r, false, "body is \"%s\", expected \"%s\"", body ? body : "(none)",
		       r->expect_body);
	else
		finish(r, true, "recv: %s got \"%s\" from %s (type %s), %s", r->jid, body, bare, type,
		       tls_note(r));
}

static int message_handler(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct run *r = ud;
	const char *type = xmpp_stanza_get_type(st);
	const char *from = xmpp_stanza_get_from(st);
	char *body = xmpp_message_get_body(st);
	char *bare = from ? xmpp_jid_bare(r->ctx, from) : NULL;

	(void)conn;
	if (type == NULL)
		type = "normal"; /* RFC 6121 §5.2.2: the default */
	if (r->mode == MODE_RECV)
		check_message(r, type, bare, body);
	else if (strcmp(type, "error") == 0)
		finish(r, false, "message to %s bounced with an error", r->to);
	if (body != NULL)
		xmpp_free(r->ctx, body);
	if (bare != NULL)
		xmpp_free(r->ctx, bare);
	return 1;
}

static void session_start(struct run *r)
{
	xmpp_stanza_t *pres;
	char *bare;

	r->session = true;
	xmpp_handler_add(r->conn, message_handler, NULL, "message", NULL, r);
	switch (r->mode) {
	case MODE_LOGIN:
		send_ping(r, "sb-ping-login", ping_result);
		break;
	case MODE_PINGS:
		send_ping(r, "sb-ping-n", pings_result);
		break;
	case MODE_SEND:
		send_chat(r, r->to, r->body, "sb-strophe-1");
		/* Answered by the server after the message was taken in. */
		send_ping(r, "sb-ping-send", ping_result);
		break;
	case MODE_RECV:
		pres = xmpp_presence_new(r->ctx);
		xmpp_send(r->conn, pres);
		xmpp_stanza_release(pres);
		snprintf(r->probe, sizeof(r->probe), "sb-ready-probe-%ld", (long)getpid());
		bare = xmpp_jid_bare(r->ctx, xmpp_conn_get_bound_jid(r->conn));
		send_chat(r, bare, r->probe, "sb-probe");
		xmpp_free(r->ctx, bare);
		break;
	case MODE_MAX:
		break;
	}
}

static void conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
			 xmpp_stream_error_t *stream_error, void *ud)
{
	struct run *r = ud;

	(void)conn;
	if (status == XMPP_CONN_CONNECT) {
		if (r->expect_auth_fail)
			finish(r, false, "login as %s succeeded, expected a failure", r->jid);
		else
			session_start(r);
		return;
	}
	if (status != XMPP_CONN_DISCONNECT && status != XMPP_CONN_FAIL)
		return;
	r->disconnected = true;
	if (r->cert_error[0] != '\0')
		finish(r, false, "the gateway's certificate was refused: %s", r->cert_error);
	else if (r->expect_auth_fail && r->auth_failed && !r->session)
		finish(r, true, "login: %s refused as expected (last mechanism tried %s)", r->jid,
		       r->mech);
	else if (r->auth_failed && !r->session)
		finish(r, false, "authentication of %s failed (%s)", r->jid, r->mech);
	else
		finish(r, false, "disconnected (socket error %d%s%s)", error,
		       stream_error ? ", stream error " : "",
		       stream_error && stream_error->text ? stream_error->text : "");
}

static int usage(void)
{
	fprintf(stderr,
		"usage: strophe_client login JID PASSWORD [--expect-auth-fail]\n"
		"       strophe_client send JID PASSWORD TO BODY\n"
		"       strophe_client pings JID PASSWORD --count N [--interval-ms M]\n"
		"       strophe_client recv JID PASSWORD --expect-from JID --expect-body TEXT"
		" --ready FILE\n"
		"options: --timeout SECONDS --host ADDR --port N --tls-ca FILE [--direct-tls] -v\n");
	return 2;
}

static int parse_options(struct run *r, int argc, char **argv, int i)
{
	for (; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "-v") == 0) {
			r->verbose = true;
			continue;
		}
		if (strcmp(o, "--direct-tls") == 0) {
			r->direct_tls = true;
			continue;
		}
		if (strcmp(o, "--expect-auth-fail") == 0 && r->mode == MODE_LOGIN) {
			r->expect_auth_fail = true;
			continue;
		}
		if (v == NULL)
			return -1;
		if (strcmp(o, "--expect-from") == 0)
			r->expect_from = v;
		else if (strcmp(o, "--expect-body") == 0)
			r->expect_body = v;
		else if (strcmp(o, "--ready") == 0)
			r->ready = v;
		else if (strcmp(o, "--host") == 0)
			r->host = v;
		else if (strcmp(o, "--count") == 0)
			r->count = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(o, "--interval-ms") == 0)
			r->interval_ms = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(o, "--tls-ca") == 0)
			r->tls_ca = v;
		else if (strcmp(o, "--port") == 0)
			r->port = (unsigned short)strtoul(v, NULL, 10);
		else if (strcmp(o, "--timeout") == 0)
			r->timeout_s = (unsigned)strtoul(v, NULL, 10);
		else
			return -1;
		i++;
	}
	if (r->mode == MODE_RECV && (!r->expect_from || !r->expect_body || !r->ready))
		return -1;
	if (r->direct_tls && r->tls_ca == NULL)
		return -1;
	if (r->mode == MODE_PINGS && (r->count == 0 || r->count > PINGS_MAX))
		return -1;
	if (r->port == 0)
		r->port = r->direct_tls ? 5223 : 5222;
	return r->timeout_s > 0 && r->port > 0 ? 0 : -1;
}

static int parse_args(struct run *r, int argc, char **argv)
{
	int need;

	if (argc < 4)
		return -1;
	if (strcmp(argv[1], "login") == 0)
		r->mode = MODE_LOGIN;
	else if (strcmp(argv[1], "pings") == 0)
		r->mode = MODE_PINGS;
	else if (strcmp(argv[1], "send") == 0)
		r->mode = MODE_SEND;
	else if (strcmp(argv[1], "recv") == 0)
		r->mode = MODE_RECV;
	else
		return -1;
	need = r->mode == MODE_SEND ? 6 : 4;
	if (argc < need)
		return -1;
	r->jid = argv[2];
	r->password = argv[3];
	if (r->mode == MODE_SEND) {
		r->to = argv[4];
		r->body = argv[5];
	}
	return parse_options(r, argc, argv, need);
}

/* Drive libstrophe's loop until the verdict is in and the stream is closed,
 * or the time is up; a close that hangs is cut off after CLOSE_WAIT_US. */
static void run_loop(struct run *r)
{
	unsigned long long deadline = now_us() + (unsigned long long)r->timeout_s * 1000000ULL;
	unsigned long long done_at = 0;

	while (!r->disconnected) {
		if (!r->done && now_us() > deadline)
			finish(r, false, "%s: timed out after %u s (session %s)",
			       r->mode == MODE_RECV ? "recv" : "login/send", r->timeout_s,
			       r->session ? "established" : "not established");
		if (r->done && done_at == 0)
			done_at = now_us();
		if (done_at != 0 && now_us() - done_at > CLOSE_WAIT_US)
			break;
		xmpp_run_once(r->ctx, STEP_MS);
	}
}

int main(int argc, char **argv)
{
	static unsigned rtt_us[PINGS_MAX];
	struct run r = { .host = "198.18.0.2", .timeout_s = 20, .interval_ms = 10,
			 .rtt_us = rtt_us };
	xmpp_log_t log = { .handler = log_handler, .userdata = &r };

	if (parse_args(&r, argc, argv) < 0)
		return usage();
	xmpp_initialize();
	r.ctx = xmpp_ctx_new(NULL, &log);
	r.conn = xmpp_conn_new(r.ctx);
	if (r.ctx == NULL || r.conn == NULL) {
		fprintf(stderr, "FAIL: libstrophe context\n");
		return 1;
	}
	/* With a CA: TLS or nothing (no fallback to plaintext), the chain and
	 * the domain's name checked by libstrophe's OpenSSL. */
	if (r.tls_ca != NULL) {
		cert_run = &r;
		xmpp_conn_set_flags(r.conn, r.direct_tls ? XMPP_CONN_FLAG_LEGACY_SSL
							 : XMPP_CONN_FLAG_MANDATORY_TLS);
		if (is_dir(r.tls_ca))
			xmpp_conn_set_capath(r.conn, r.tls_ca);
		else
			xmpp_conn_set_cafile(r.conn, r.tls_ca);
		xmpp_conn_set_certfail_handler(r.conn, cert_refused);
	} else {
		xmpp_conn_set_flags(r.conn, XMPP_CONN_FLAG_DISABLE_TLS);
	}
	xmpp_conn_set_jid(r.conn, r.jid);
	xmpp_conn_set_pass(r.conn, r.password);
	if (xmpp_connect_client(r.conn, r.host, r.port, conn_handler, &r) != XMPP_EOK)
		finish(&r, false, "cannot start connecting to %s:%u", r.host, r.port);
	else
		run_loop(&r);
	if (r.ok && !r.disconnected) {
		r.ok = false;
		snprintf(r.why, sizeof(r.why), "the stream close was not confirmed");
	}
	xmpp_conn_release(r.conn);
	xmpp_ctx_free(r.ctx);
	xmpp_shutdown();
	if (!r.ok) {
		fprintf(stderr, "FAIL: %s\n", r.why[0] ? r.why : "no verdict");
		return 1;
	}
	printf("%s\n", r.why);
	return 0;
}
