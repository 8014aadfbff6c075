/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Micro-benchmark of lib/tls on one core, in one process, against a libssl
 * client over memory BIOs:
 *  - server-side CPU per full and per resumed TLS 1.3 handshake (X25519,
 *    ECDSA P-256 certificate), hand-off included; only the server's calls
 *    are timed, so the figure is the handshakes/s one worker core can do;
 *  - the record layer: seal and open of 64 B and 1 KiB records per suite,
 *    ns per record, in a burst on one connection (the worker's EVP context
 *    keeps its key) and interleaved over two (re-keyed every record);
 *  - heap bytes per idle session, counted with CRYPTO_set_mem_functions:
 *    the server's libssl object after a TLS 1.3 handshake (released
 *    buffers), the same for TLS 1.2, and what is left after the hand-off;
 *    and per handshake in progress (what the handshake cap multiplies).
 * The certificate comes from scripts/tls-dev-ca.sh (path in argv[1]).
 * Usage: bench_tls TLS_DEV_CA_SCRIPT [scale]   (scale 1: make bench's
 * short form; 10: the figures of docs/BENCHMARKS.md)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "tls.h"

/* ------------------------------------------------------ heap accounting */

static long long heap_bytes, heap_blocks;

struct hdr {
	size_t size;
	size_t pad; /* keeps the payload 16-byte aligned */
};

static void *b_malloc(size_t n, const char *file, int line)
{
	struct hdr *h = malloc(sizeof(*h) + n);

	(void)file, (void)line;
	if (h == NULL)
		return NULL;
	h->size = n;
	heap_bytes += (long long)n;
	heap_blocks++;
	return h + 1;
}

static void b_free(void *p, const char *file, int line)
{
	struct hdr *h;

	(void)file, (void)line;
	if (p == NULL)
		return;
	h = (struct hdr *)p - 1;
	heap_bytes -= (long long)h->size;
	heap_blocks--;
	free(h);
}

static void *b_realloc(void *p, size_t n, const char *file, int line)
{
	struct hdr *h;
	void *q;

	if (p == NULL)
		return b_malloc(n, file, line);
	if (n == 0) {
		b_free(p, file, line);
		return NULL;
	}
	h = (struct hdr *)p - 1;
	q = b_malloc(n, file, line);
	if (q != NULL) {
		memcpy(q, p, h->size < n ? h->size : n);
		b_free(p, file, line);
	}
	return q;
}

/* -------------------------------------------------------------- helpers */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_tls: %s\n", what);
	exit(1);
}

struct client {
	SSL *ssl;
	BIO *rbio, *wbio;
};

static void client_new(struct client *c, SSL_CTX *ctx, SSL_SESSION *sess)
{
	c->ssl = SSL_new(ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
	SSL_set_tlsext_host_name(c->ssl, "switchboard.test");
	if (sess != NULL)
		SSL_set_session(c->ssl, sess);
}

static void client_free(struct client *c)
{
	SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);
}

/* Drive one handshake; *server_s accumulates the time spent in the
 * server's calls only. Returns the server's handshake object, done. */
static struct sb_tls_ssl *handshake(struct sb_tls_worker *w, struct sb_tls_server *srv,
				    struct client *c, double *server_s)
{
	static uint8_t buf[16384];
	double t = now_s();
	struct sb_tls_ssl *s = sb_tls_ssl_new(w, srv);
	enum sb_tls_hs_result r = SB_TLS_HS_AGAIN;

	*server_s += now_s() - t;
	if (s == NULL)
		die("sb_tls_ssl_new failed");
	for (int turn = 0; turn < 10 && r == SB_TLS_HS_AGAIN; turn++) {
		int n;

		SSL_do_handshake(c->ssl);
		n = BIO_read(c->wbio, buf, sizeof(buf));
		t = now_s();
		if (n > 0)
			sb_tls_ssl_input(w, s, buf, (size_t)n);
		r = sb_tls_ssl_handshake(w, s);
		n = (int)sb_tls_ssl_output(s, buf, sizeof(buf));
		*server_s += now_s() - t;
		if (n > 0)
			BIO_write(c->rbio, buf, n);
	}
	if (r != SB_TLS_HS_DONE)
		die("handshake did not complete");
	SSL_do_handshake(c->ssl);
	return s;
}

static void handoff(struct sb_tls_worker *w, struct sb_tls_ssl *s, struct sb_tls_conn *conn,
		    double *server_s)
{
	uint8_t rest[64];
	size_t rest_len;
	double t = now_s();

	if (sb_tls_ssl_handoff(w, s, conn, rest, sizeof(rest), &rest_len) != 0)
		die("hand-off failed");
	sb_tls_ssl_free(w, s);
	*server_s += now_s() - t;
}

/* The client reads the ticket (and a byte of data) and returns its session. */
static SSL_SESSION *client_ticket(struct sb_tls_worker *w, struct sb_tls_conn *conn,
				  struct client *c)
{
	uint8_t wire[256], b;
	size_t used;
	long n = sb_tls_rec_seal(w, conn, (const uint8_t *)"x", 1, &used, wire, sizeof(wire));

	BIO_write(c->rbio, wire, (int)n);
	if (SSL_read(c->ssl, &b, 1) != 1)
		die("client read failed");
	return SSL_get1_session(c->ssl);
}

/* ----------------------------------------------------------- handshakes */

static void bench_handshakes(struct sb_tls_worker *w, struct sb_tls_server *srv, SSL_CTX *cctx,
			     unsigned n)
{
	double full_s = 0, res_s = 0;
	SSL_SESSION *sess = NULL;
	struct sb_tls_conn conn;

	for (unsigned i = 0; i < n; i++) {
		struct client c;

		client_new(&c, cctx, NULL);
		handoff(w, handshake(w, srv, &c, &full_s), &conn, &full_s);
		if (i == n - 1)
			sess = client_ticket(w, &conn, &c);
		client_free(&c);
	}
	for (unsigned i = 0; i < n; i++) {
		struct client c;
		SSL_SESSION *next;

		client_new(&c, cctx, sess);
		handoff(w, handshake(w, srv, &c, &res_s), &conn, &res_s);
		if (!SSL_session_reused(c.ssl))
			die("resumption failed");
		next = client_ticket(w, &conn, &c); /* one ticket per connection */
		SSL_SESSION_free(sess);
		sess = next;
		client_free(&c);
	}
	SSL_SESSION_free(sess);
	printf("tls-handshake: %u each, server CPU: full %.0f us (%.0f/s per core), "
	       "resumed %.0f us (%.0f/s per core), hand-off included\n",
	       n, full_s / n * 1e6, n / full_s, res_s / n * 1e6, n / res_s);
}

/* --------------------------------------------------------- record layer */

static void bench_records(struct sb_tls_worker *w, struct sb_tls_server *srv, SSL_CTX *cctx,
			  const char *suite, unsigned n)
{
	static uint8_t wire[2048], plain[SB_TLS_CIPHER_MAX], msg[1024];
	static const size_t sizes[2] = {64, 1024};
	struct sb_tls_conn conn[2], peer[2];
	struct client c;
	double dummy = 0;

	SSL_CTX_set_ciphersuites(cctx, suite);
	for (unsigned j = 0; j < 2; j++) {
		client_new(&c, cctx, NULL);
		handoff(w, handshake(w, srv, &c, &dummy), &conn[j], &dummy);
		client_free(&c);
		/* The peer: our own record layer with the directions swapped. */
		peer[j] = conn[j];
		peer[j].rx = conn[j].tx;
		peer[j].tx = conn[j].rx;
	}
	memset(msg, 'm', sizeof(msg));
	/* burst: every record on one connection (the key stays in the
	 * context); interleaved: two connections in turn (re-keyed per record,
	 * as when many connections each send one message). */
	for (unsigned k = 0; k < 4; k++) {
		size_t size = sizes[k & 1];
		unsigned mix = k >> 1;
		double seal_s = 0, open_s = 0;

		for (unsigned i = 0; i < n; i++) {
			unsigned j = mix ? i & 1 : 0;
			size_t used, plen;
			double t0 = now_s();
			long len = sb_tls_rec_seal(w, &conn[j], msg, size, &used, wire,
						   sizeof(wire));
			double t1 = now_s();

			if (sb_tls_rec_open(w, &peer[j], wire, (size_t)len, &used, plain,
					    sizeof(plain), &plen) != SB_TLS_REC_DATA)
				die("open failed");
			open_s += now_s() - t1;
			seal_s += t1 - t0;
		}
		printf("tls-record: %-28s %4zu B %-11s: seal %4.0f ns/record (%5.0f MB/s), "
		       "open %4.0f ns/record (%5.0f MB/s)\n", suite, size,
		       mix ? "interleaved" : "burst", seal_s / n * 1e9, size * n / seal_s / 1e6,
		       open_s / n * 1e9, size * n / open_s / 1e6);
	}
	SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
				       "TLS_CHACHA20_POLY1305_SHA256");
}

/* --------------------------------------------------------------- memory */

#define MEM_SESSIONS 100

/* Heap held by MEM_SESSIONS idle server sessions: after the handshake
 * (libssl object kept) and after the hand-off. */
static void bench_memory(struct sb_tls_worker *w, struct sb_tls_server *srv, SSL_CTX *cctx,
			 int max_version)
{
	static struct sb_tls_ssl *s[MEM_SESSIONS];
	static struct sb_tls_conn conn[MEM_SESSIONS];
	struct client c[MEM_SESSIONS];
	long long base, base_blocks, kept, kept_blocks, after;
	double dummy = 0;

	SSL_CTX_set_max_proto_version(cctx, max_version);
	/* One session first, so libcrypto's one-time caches (fetched methods,
	 * error state) are not charged to the sessions counted. */
	client_new(&c[0], cctx, NULL);
	s[0] = handshake(w, srv, &c[0], &dummy);
	client_free(&c[0]);
	sb_tls_ssl_free(w, s[0]);
	base = heap_bytes;
	base_blocks = heap_blocks;
	for (unsigned i = 0; i < MEM_SESSIONS; i++) {
		client_new(&c[i], cctx, NULL);
		s[i] = handshake(w, srv, &c[i], &dummy);
	}
	/* Client state out of the count: only the server's remains. */
	for (unsigned i = 0; i < MEM_SESSIONS; i++)
		client_free(&c[i]);
	kept = heap_bytes - base;
	kept_blocks = heap_blocks - base_blocks;
	if (max_version == TLS1_2_VERSION) {
		printf("tls-memory: TLS 1.2, SSL kept (released buffers): %lld B in %lld blocks "
		       "per idle session\n", kept / MEM_SESSIONS, kept_blocks / MEM_SESSIONS);
		for (unsigned i = 0; i < MEM_SESSIONS; i++)
			sb_tls_ssl_free(w, s[i]);
	} else {
		for (unsigned i = 0; i < MEM_SESSIONS; i++)
			handoff(w, s[i], &conn[i], &dummy);
		after = heap_bytes - base;
		printf("tls-memory: TLS 1.3 without hand-off (SSL kept, released buffers): "
		       "%lld B in %lld blocks per idle session\n",
		       kept / MEM_SESSIONS, kept_blocks / MEM_SESSIONS);
		printf("tls-memory: TLS 1.3 with hand-off: %zu B (struct sb_tls_conn) + %lld B "
		       "heap per idle session\n", sizeof(struct sb_tls_conn), after / MEM_SESSIONS);
	}
	SSL_CTX_set_max_proto_version(cctx, TLS1_3_VERSION);
}

/* Heap of MEM_SESSIONS handshakes in progress: the server has sent its
 * flight (ServerHello .. Finished) and waits for the client's Finished;
 * this is what the handshake cap multiplies. */
static void bench_memory_handshaking(struct sb_tls_worker *w, struct sb_tls_server *srv,
				     SSL_CTX *cctx)
{
	static struct sb_tls_ssl *s[MEM_SESSIONS];
	static uint8_t buf[16384];
	struct client c[MEM_SESSIONS];
	long long base = heap_bytes;

	for (unsigned i = 0; i < MEM_SESSIONS; i++)
		client_new(&c[i], cctx, NULL);
	for (unsigned i = 0; i < MEM_SESSIONS; i++) {
		int n;

		SSL_do_handshake(c[i].ssl);
		n = BIO_read(c[i].wbio, buf, sizeof(buf));
		s[i] = sb_tls_ssl_new(w, srv);
		sb_tls_ssl_input(w, s[i], buf, (size_t)n);
		if (sb_tls_ssl_handshake(w, s[i]) != SB_TLS_HS_AGAIN)
			die("handshake should be waiting for the client");
		while (sb_tls_ssl_output(s[i], buf, sizeof(buf)) > 0)
			;
	}
	/* The ClientHello made the clients grow too: count only the servers
	 * by freeing the clients first. */
	for (unsigned i = 0; i < MEM_SESSIONS; i++)
		client_free(&c[i]);
	printf("tls-memory: TLS 1.3 handshake in progress (server flight sent): %lld B per "
	       "connection\n", (heap_bytes - base) / MEM_SESSIONS);
	for (unsigned i = 0; i < MEM_SESSIONS; i++)
		sb_tls_ssl_free(w, s[i]);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/sb-bench-tls-XXXXXX", cmd[512], cert[128], key[128], ca[128];
	struct sb_tls_worker w;
	struct sb_tls_server *srv;
	struct sb_tls_server_opts o = {.min_version = SB_TLS_V12};
	struct sb_tls_error err;
	unsigned scale = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	SSL_CTX *cctx;

	if (!CRYPTO_set_mem_functions(b_malloc, b_realloc, b_free))
		die("CRYPTO_set_mem_functions refused (called too late)");
	if (argc < 2 || scale == 0 || mkdtemp(dir) == NULL)
		die("usage: bench_tls TLS_DEV_CA_SCRIPT [scale]");
	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null", argv[1], dir);
	if (system(cmd) != 0)
		die("tls-dev-ca.sh failed");
	snprintf(cert, sizeof(cert), "%s/switchboard.test.pem", dir);
	snprintf(key, sizeof(key), "%s/switchboard.test.key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	if (sb_tls_worker_init(&w, NULL) != 0 || (srv = sb_tls_server_new(&o, NULL, &err)) == NULL ||
	    sb_tls_server_add_domain(srv, "switchboard.test", cert, key, &err) != 0)
		die(err.msg);
	sb_tls_worker_set_time(&w, (uint64_t)time(NULL));
	cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(cctx, ca, NULL);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);

	bench_memory(&w, srv, cctx, TLS1_3_VERSION);
	bench_memory(&w, srv, cctx, TLS1_2_VERSION);
	bench_memory_handshaking(&w, srv, cctx);
	bench_handshakes(&w, srv, cctx, 200 * scale);
	bench_records(&w, srv, cctx, "TLS_AES_128_GCM_SHA256", 100000 * scale);
	bench_records(&w, srv, cctx, "TLS_AES_256_GCM_SHA384", 100000 * scale);
	bench_records(&w, srv, cctx, "TLS_CHACHA20_POLY1305_SHA256", 100000 * scale);

	SSL_CTX_free(cctx);
	sb_tls_server_put(srv);
	sb_tls_worker_fini(&w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
