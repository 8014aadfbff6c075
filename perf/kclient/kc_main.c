/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-kclient's run (see kclient.h): logins at most `conc` at a time, then
 * the closed loop of P pairs with K messages outstanding per sender for T
 * seconds, then a drain until every message sent has arrived or bounced
 * (or drain_s passed). The body "SEQ STAMP" (CLOCK_MONOTONIC ns, one
 * process) lets the receiver time each message end to end and tell in
 * order, gap, late arrival (out of order) and duplicate. One line per
 * second while running, a final "summary:" line of key=value pairs; the
 * exit status is 0 only if every login succeeded and nothing was lost,
 * bounced, duplicated or out of order. Every phase is bounded in time.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include "kclient.h"
#include "lg_xsasl.h"

#define KC_EVENTS 1024
#define KC_OUT_BYTES 512u

uint64_t kc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sender idx's next message to its peer's full JID; false if none went. */
static bool kc_send_msg(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx], *peer = &k->c[idx ^ 1u];
	char buf[KC_OUT_BYTES];
	int n;

	if (c->st != KC_READY || peer->st != KC_READY)
		return false;
	n = sb_lg_xp_chat(buf, sizeof(buf), peer->jid, k->o.domain, c->tx_seq, kc_now_ns());
	if (n < 0 || kc_write(k, idx, buf, (size_t)n) < 0)
		return false;
	c->tx_seq++;
	c->outstanding++;
	k->t.msgs_tx++;
	return true;
}

/* One of sender idx's messages is settled: keep K outstanding while the loop runs. */
static void kc_settled(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];

	if (c->outstanding > 0)
		c->outstanding--;
	if (k->sending)
		kc_send_msg(k, idx);
}

static void kc_seq(struct kc *k, struct kc_conn *c, uint64_t seq)
{
	if (seq >= c->rx_seq) {
		k->t.gaps += seq - c->rx_seq;
		c->gaps_open += (uint32_t)(seq - c->rx_seq);
		c->rx_seq = (uint32_t)seq + 1u;
	} else if (c->gaps_open != 0) {
		k->t.reorder++;
		c->gaps_open--;
	} else {
		k->t.dup++;
	}
}

void kc_on_message(struct kc *k, uint32_t idx, const uint8_t *e, size_t len)
{
	uint64_t seq, stamp;

	if (idx >= 2u * k->o.pairs || sb_lg_xp_chat_parse(e, len, &seq, &stamp) < 0) {
		k->t.msg_bad++;
		return;
	}
	sb_lg_hist_add(k->loop_over ? &k->drain_ns : &k->lat_ns, kc_now_ns() - stamp);
	k->t.msgs_rx++;
	k->t.msgs_rx_loop += !k->loop_over;
	kc_seq(k, &k->c[idx], seq);
	kc_settled(k, idx ^ 1u);
}

/* An error stanza came back to idx: a message it sent was refused. */
void kc_on_bounce(struct kc *k, uint32_t idx, const uint8_t *e, size_t len)
{
	k->t.bounced++;
	k->t.bounce_cond[sb_lg_xp_cond(e, len)]++;
	if (idx < 2u * k->o.pairs)
		kc_settled(k, idx);
}

/* Run epoll for up to ms; open new logins while there is room. */
static void kc_poll(struct kc *k, int ms)
{
	static struct epoll_event ev[KC_EVENTS];
	int n;

	while (k->next_open < k->o.sessions && k->in_login < k->o.conc)
		kc_open(k, k->next_open++);
	n = epoll_wait(k->ep, ev, KC_EVENTS, ms);
	for (int i = 0; i < n; i++)
		kc_event(k, ev[i].data.u32, ev[i].events);
}

static uint64_t kc_outstanding(const struct kc *k)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < 2u * k->o.pairs; i++)
		n += k->c[i].outstanding;
	return n;
}

static uint64_t kc_lost(const struct kc *k)
{
	uint64_t lost = 0;

	for (uint32_t i = 0; i < 2u * k->o.pairs; i++) {
		const struct kc_conn *c = &k->c[i];
		uint32_t sent = k->c[i ^ 1u].tx_seq;

		lost += c->gaps_open + (sent > c->rx_seq ? sent - c->rx_seq : 0u);
	}
	/* A bounced message never arrives either: counted as bounced, not lost. */
	return lost > k->t.bounced ? lost - k->t.bounced : 0;
}

static void kc_tick(struct kc *k, uint64_t t0, uint64_t *next, uint64_t *last_rx)
{
	uint64_t now = kc_now_ns();

	if (now < *next)
		return;
	printf("%6.1f ready %7" PRIu64 " failed %5" PRIu64 " msgs/s %8" PRIu64 " bounced %6" PRIu64
	       " outstanding %6" PRIu64 "\n", (double)(now - t0) / 1e9, k->t.login_ok,
	       k->t.login_fail, k->t.msgs_rx - *last_rx, k->t.bounced, kc_outstanding(k));
	fflush(stdout);
	*last_rx = k->t.msgs_rx;
	*next += 1000000000u;
}

/* The phases; returns the closed loop's length in ns. */
static uint64_t kc_run(struct kc *k)
{
	uint64_t t0 = kc_now_ns(), next = t0 + 1000000000u, last = 0, end, loop_ns;

	end = t0 + (uint64_t)k->o.login_s * 1000000000u;
	while (kc_now_ns() < end && (k->next_open < k->o.sessions || k->in_login > 0)) {
		kc_poll(k, 10);
		kc_tick(k, t0, &next, &last);
	}
	k->t.login_fail += k->in_login; /* still negotiating at the deadline */
	/* The last initial presences reach the router (RFC 6121 §4.2). */
	for (end = kc_now_ns() + 500000000u; kc_now_ns() < end;)
		kc_poll(k, 10);
	k->sending = true;
	loop_ns = kc_now_ns();
	for (uint32_t i = 0; i < 2u * k->o.pairs; i++)
		for (uint32_t j = 0; j < k->o.outstanding; j++)
			kc_send_msg(k, i);
	for (end = loop_ns + (uint64_t)k->o.seconds * 1000000000u; kc_now_ns() < end;) {
		kc_poll(k, 10);
		kc_tick(k, t0, &next, &last);
	}
	k->sending = false;
	k->loop_over = true;
	loop_ns = kc_now_ns() - loop_ns;
	for (end = kc_now_ns() + (uint64_t)k->o.drain_s * 1000000000u;
	     kc_now_ns() < end && kc_outstanding(k) != 0;) {
		kc_poll(k, 10);
		kc_tick(k, t0, &next, &last);
	}
	return loop_ns;
}

/* The summary line; whether the run met its goal. */
static bool kc_report(const struct kc *k, uint64_t loop_ns)
{
	const struct kc_totals *t = &k->t;
	const char *sep = "";
	uint64_t lost = kc_lost(k);
	bool ok;

	printf("summary: sessions=%u logins=%" PRIu64 " login_fail=%" PRIu64
	       " connect_fail=%" PRIu64 " sasl_fail=%" PRIu64 " bad_server=%" PRIu64
	       " stream_err=%" PRIu64 " xml_err=%" PRIu64 " io_err=%" PRIu64
	       " pbkdf2_runs=%" PRIu64 " login_ms_p50=%.1f login_ms_p99=%.1f",
	       k->o.sessions, t->login_ok, t->login_fail, t->connect_fail, t->sasl_fail,
	       t->bad_server, t->stream_err, t->xml_err, t->io_err, t->pbkdf2_runs,
	       (double)sb_lg_hist_quantile(&k->login_ns, 0.5) / 1e6,
	       (double)sb_lg_hist_quantile(&k->login_ns, 0.99) / 1e6);
	printf(" pairs=%u outstanding=%u loop_s=%.1f msgs_tx=%" PRIu64 " msgs_rx=%" PRIu64
	       " msgs_per_s=%.0f lat_us_p50=%.0f lat_us_p99=%.0f lat_us_p999=%.0f lat_us_max=%.0f"
	       " drain_msgs=%" PRIu64 " lost=%" PRIu64 " gaps=%" PRIu64 " reorder=%" PRIu64
	       " dup=%" PRIu64 " msg_bad=%" PRIu64 " tx_full=%" PRIu64 " bounced=%" PRIu64
	       " bounced_by=",
	       k->o.pairs, k->o.outstanding, (double)loop_ns / 1e9, t->msgs_tx, t->msgs_rx,
	       loop_ns ? (double)t->msgs_rx_loop * 1e9 / (double)loop_ns : 0.0,
	       (double)sb_lg_hist_quantile(&k->lat_ns, 0.5) / 1e3,
	       (double)sb_lg_hist_quantile(&k->lat_ns, 0.99) / 1e3,
	       (double)sb_lg_hist_quantile(&k->lat_ns, 0.999) / 1e3,
	       (double)sb_lg_hist_quantile(&k->lat_ns, 1.0) / 1e3, k->drain_ns.n, lost, t->gaps,
	       t->reorder, t->dup, t->msg_bad, t->tx_full, t->bounced);
	for (unsigned i = 0; i < SB_LG_XP_CONDS; i++) {
		if (t->bounce_cond[i] == 0)
			continue;
		printf("%s%s:%" PRIu64, sep, sb_lg_xp_cond_name[i], t->bounce_cond[i]);
		sep = ",";
	}
	ok = t->login_ok == k->o.sessions && lost == 0 && t->bounced == 0 && t->reorder == 0 &&
	     t->dup == 0 && t->msg_bad == 0 && t->msgs_rx != 0;
	printf("%s result=%s\n", *sep ? "" : "none", ok ? "ok" : "fail");
	return ok;
}

static const char kc_usage[] =
	"usage: sb-kclient [-a ADDR] [-p PORT] [-d DOMAIN] [-u PREFIX] [-w PASSWORD] [-m PLAIN]\n"
	"                  [-U USERS] [-n SESSIONS] [-P PAIRS] [-k OUTSTANDING] [-t SECONDS]\n"
	"                  [-c LOGINS_AT_ONCE] [-L LOGIN_S] [-D DRAIN_S]\n"
	"  defaults: 198.18.0.2:5222 switchboard.test u bench-pw SCRAM-SHA-1, 2000 users,\n"
	"  10000 sessions, 1000 pairs x 8 outstanding for 30 s, 500 logins at once,\n"
	"  logins within 300 s, drain 30 s\n";

static int kc_num(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int kc_opts_parse(struct kc_opts *o, int argc, char **argv)
{
	uint32_t port = 5222;
	int ch, rc = 0;

	*o = (struct kc_opts){ "198.18.0.2", 5222, "switchboard.test", "u", "bench-pw", true,
			       2000, 10000, 1000, 8, 30, 500, 300, 30 };
	while ((ch = getopt(argc, argv, "a:p:d:u:w:m:U:n:P:k:t:c:L:D:h")) != -1) {
		switch (ch) {
		case 'a': o->addr = optarg; break;
		case 'p': rc |= kc_num(optarg, 1, 65535, &port); break;
		case 'd': o->domain = optarg; break;
		case 'u': o->prefix = optarg; break;
		case 'w': o->password = optarg; break;
		case 'm': o->scram = strcmp(optarg, "PLAIN") != 0; break;
		case 'U': rc |= kc_num(optarg, 1, 100000000, &o->users); break;
		case 'n': rc |= kc_num(optarg, 2, 10000000, &o->sessions); break;
		case 'P': rc |= kc_num(optarg, 0, 5000000, &o->pairs); break;
		case 'k': rc |= kc_num(optarg, 1, 64, &o->outstanding); break;
		case 't': rc |= kc_num(optarg, 1, 3600, &o->seconds); break;
		case 'c': rc |= kc_num(optarg, 1, 100000, &o->conc); break;
		case 'L': rc |= kc_num(optarg, 1, 3600, &o->login_s); break;
		case 'D': rc |= kc_num(optarg, 0, 600, &o->drain_s); break;
		default: return -EINVAL;
		}
	}
	o->port = (uint16_t)port;
	return rc != 0 || 2u * o->pairs > o->sessions ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	static struct kc k;
	struct rlimit rl;
	bool ok;

	if (kc_opts_parse(&k.o, argc, argv) < 0) {
		fputs(kc_usage, stderr);
		return 2;
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)k.o.sessions + 64u;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		fprintf(stderr, "sb-kclient: %u sessions need %u descriptors: %s\n", k.o.sessions,
			k.o.sessions + 64u, strerror(errno));
		return 1;
	}
	k.c = calloc(k.o.sessions, sizeof(*k.c));
	k.ucache = calloc(k.o.users, sizeof(*k.ucache));
	k.ep = epoll_create1(EPOLL_CLOEXEC);
	if (k.c == NULL || k.ucache == NULL || k.ep < 0) {
		fprintf(stderr, "sb-kclient: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < k.o.sessions; i++)
		k.c[i].fd = -1;
	sb_xml_limits_default(&k.lim);
	sb_lg_hist_reset(&k.lat_ns);
	sb_lg_hist_reset(&k.drain_ns);
	sb_lg_hist_reset(&k.login_ns);
	ok = kc_report(&k, kc_run(&k));
	for (uint32_t i = 0; i < k.o.sessions; i++) {
		if (k.c[i].st == KC_READY)
			kc_write(&k, i, "</stream:stream>", 16);
		kc_close(&k, i);
	}
	return ok ? 0 : 1;
}
