/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-kclient's sockets and logins (see kclient.h). Each connection is a
 * non-blocking socket on one epoll set, level-triggered: EPOLLIN always,
 * EPOLLOUT only while bytes wait in its tx buffer, so a server whose TCP
 * window is closed simply makes the sender wait. The server's bytes go
 * through lib/xml like the loadgen's: the tokenizer state is kept at the
 * last element boundary and the partial element re-fed with one shared
 * context. The login is strictly sequential, as a real client's is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kclient.h"
#include "lg_xsasl.h"

#define KC_OUT_BYTES 512u
#define KC_READS_PER_EVENT 8u

static void kc_user(const struct kc *k, uint32_t idx, char *out, size_t cap)
{
	snprintf(out, cap, "%s%u", k->o.prefix, idx % k->o.users);
}

static void kc_arm(struct kc *k, uint32_t idx, bool out)
{
	struct kc_conn *c = &k->c[idx];
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.u32 = idx };

	if (c->want_out == out)
		return;
	c->want_out = out;
	epoll_ctl(k->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void kc_close(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];

	if (c->fd >= 0) {
		epoll_ctl(k->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

/* The login or the session failed: count it once under why, and close. */
static void kc_fail(struct kc *k, uint32_t idx, uint64_t *why)
{
	struct kc_conn *c = &k->c[idx];

	(*why)++;
	if (c->st < KC_READY) {
		k->t.login_fail++;
		k->in_login--;
	}
	c->st = KC_FAILED;
	kc_close(k, idx);
}

static int kc_flush(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];
	ssize_t n = c->tx_len ? write(c->fd, c->tx, c->tx_len) : 0;

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		kc_fail(k, idx, &k->t.io_err);
		return -EIO;
	}
	if (n > 0) {
		memmove(c->tx, c->tx + n, c->tx_len - (size_t)n);
		c->tx_len = (uint16_t)(c->tx_len - (size_t)n);
	}
	kc_arm(k, idx, c->tx_len != 0);
	return 0;
}

int kc_write(struct kc *k, uint32_t idx, const char *p, size_t len)
{
	struct kc_conn *c = &k->c[idx];

	if (c->fd < 0)
		return -EPIPE;
	if (len > KC_TX_BYTES - c->tx_len) {
		k->t.tx_full++;
		return -ENOBUFS;
	}
	memcpy(c->tx + c->tx_len, p, len);
	c->tx_len = (uint16_t)(c->tx_len + len);
	return c->want_out ? 0 : kc_flush(k, idx);
}

static void kc_send_header(struct kc *k, uint32_t idx)
{
	char buf[KC_OUT_BYTES];
	int n = sb_lg_xp_header(buf, sizeof(buf), k->o.domain);

	if (n > 0)
		kc_write(k, idx, buf, (size_t)n);
}

int kc_open(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(k->o.port) };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = idx };
	int one = 1;

	inet_pton(AF_INET, k->o.addr, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sb_xml_init(&c->x);
	c->login_ns = kc_now_ns();
	c->st = KC_CONNECTING;
	c->want_out = true;
	k->in_login++;
	if ((connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) ||
	    epoll_ctl(k->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		kc_fail(k, idx, &k->t.connect_fail);
		return -EIO;
	}
	return 0;
}

static void kc_send_auth(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];
	char user[64], buf[KC_OUT_BYTES];
	int n;

	kc_user(k, idx, user, sizeof(user));
	n = sb_lg_xp_auth(buf, sizeof(buf), k->o.scram, user, k->o.password, c->cnonce);
	if (n < 0) {
		kc_fail(k, idx, &k->t.bad_server);
		return;
	}
	c->st = KC_SASL;
	kc_write(k, idx, buf, (size_t)n);
}

static void kc_on_challenge(struct kc *k, uint32_t idx, const uint8_t *e, size_t len)
{
	struct kc_conn *c = &k->c[idx];
	char user[64], buf[KC_OUT_BYTES];
	bool ran = false;
	int n;

	kc_user(k, idx, user, sizeof(user));
	n = sb_lg_xp_response(buf, sizeof(buf), &k->ucache[idx % k->o.users], user,
			      k->o.password, c->cnonce, e, len, c->ssig, &ran);
	k->t.pbkdf2_runs += ran;
	if (n < 0) {
		kc_fail(k, idx, &k->t.bad_server);
		return;
	}
	c->st = KC_SASL_FINAL;
	kc_write(k, idx, buf, (size_t)n);
}

/* <success/>: check the server's proof (SCRAM), then restart the stream
 * (RFC 6120 §6.4.6): the tokenizer starts over. */
static void kc_on_success(struct kc *k, uint32_t idx, const uint8_t *e, size_t len)
{
	struct kc_conn *c = &k->c[idx];

	if (k->o.scram ? c->st != KC_SASL_FINAL || !sb_lg_xp_success_ok(c->ssig, e, len) :
			 c->st != KC_SASL) {
		kc_fail(k, idx, &k->t.bad_server);
		return;
	}
	sb_xml_init(&c->x);
	c->rx_len = 0;
	c->st = KC_FEATURES2;
	kc_send_header(k, idx);
}

static void kc_on_bound(struct kc *k, uint32_t idx, const uint8_t *e, size_t len)
{
	struct kc_conn *c = &k->c[idx];

	if (sb_lg_xp_bound_jid(e, len, c->jid, sizeof(c->jid)) <= 0) {
		kc_fail(k, idx, &k->t.bad_server);
		return;
	}
	c->st = KC_READY;
	k->in_login--;
	k->t.login_ok++;
	sb_lg_hist_add(&k->login_ns, kc_now_ns() - c->login_ns);
	kc_write(k, idx, sb_lg_xp_presence, strlen(sb_lg_xp_presence));
}

static bool kc_attr_is(const uint8_t *e, uint64_t base, const struct sb_xml_span *sp,
		       const char *want)
{
	size_t n = strlen(want);

	return (sp->flags & SB_XML_SPAN_PRESENT) && sp->len == n && sp->off >= base &&
	       memcmp(e + (sp->off - base), want, n) == 0;
}

/* The login's next step for element name in state st; false: unexpected. */
static bool kc_login_step(struct kc *k, uint32_t idx, const struct sb_xml_header *h,
			  const uint8_t *e, size_t len, uint64_t base)
{
	struct kc_conn *c = &k->c[idx];
	bool is_iq_b1 = strcmp(h->name, "iq") == 0 && kc_attr_is(e, base, &h->id, "b1");

	switch (c->st) {
	case KC_FEATURES:
		if (strcmp(h->name, "features") == 0)
			kc_send_auth(k, idx);
		return strcmp(h->name, "features") == 0;
	case KC_SASL:
	case KC_SASL_FINAL:
		if (strcmp(h->name, "success") == 0)
			kc_on_success(k, idx, e, len);
		else if (strcmp(h->name, "challenge") == 0 && k->o.scram && c->st == KC_SASL)
			kc_on_challenge(k, idx, e, len);
		else if (strcmp(h->name, "failure") == 0)
			kc_fail(k, idx, &k->t.sasl_fail);
		else
			return false;
		return true;
	case KC_FEATURES2:
		if (strcmp(h->name, "features") != 0)
			return false;
		c->st = KC_BIND;
		kc_write(k, idx, sb_lg_xp_bind, strlen(sb_lg_xp_bind));
		return true;
	case KC_BIND:
		if (!is_iq_b1 || !kc_attr_is(e, base, &h->type, "result"))
			return false;
		kc_on_bound(k, idx, e, len);
		return true;
	default:
		return true; /* presence and the like once bound: not measured */
	}
}

/* One top-level element; false when the rest of rx is void. */
static bool kc_on_element(struct kc *k, uint32_t idx, const struct sb_xml_header *h,
			  const uint8_t *e, size_t len, uint64_t base)
{
	struct kc_conn *c = &k->c[idx];
	uint8_t st = c->st;

	if (strcmp(h->name, "error") == 0 && h->ns.src == SB_XML_NS_STREAMS) {
		kc_fail(k, idx, &k->t.stream_err);
		return false;
	}
	if (st == KC_READY) {
		if (kc_attr_is(e, base, &h->type, "error"))
			kc_on_bounce(k, idx, e, len);
		else if (strcmp(h->name, "message") == 0)
			kc_on_message(k, idx, e, len);
		return true;
	}
	if (!kc_login_step(k, idx, h, e, len, base)) {
		kc_fail(k, idx, &k->t.bad_server);
		return false;
	}
	/* <success/> restarted the stream (rx emptied) or a step failed. */
	return c->st != KC_FAILED && !(st != KC_FEATURES2 && c->st == KC_FEATURES2);
}

/* Tokenize rx from the last element boundary; keep the incomplete tail. */
static bool kc_parse(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];
	struct sb_xml x = c->x;
	uint64_t base = sb_xml_offset(&c->x);
	size_t off = 0, done = 0;

	while (off < c->rx_len) {
		struct sb_xml_event ev;
		size_t used = 0;
		enum sb_xml_status st = sb_xml_feed(&x, &k->ctx, &k->lim, c->rx + off,
						    c->rx_len - off, &ev, &used);

		if (st >= SB_XML_ERR_FIRST) {
			kc_fail(k, idx, &k->t.xml_err);
			return false;
		}
		off += used;
		if (st == SB_XML_NEED_MORE)
			break;
		if (!sb_xml_busy(&x)) {
			c->x = x;
			done = off;
		}
		if (ev.type == SB_XML_EV_STREAM_CLOSE) {
			kc_fail(k, idx, &k->t.stream_err);
			return false;
		}
		if (ev.type == SB_XML_EV_ELEMENT &&
		    !kc_on_element(k, idx, ev.hdr, c->rx + (ev.start_off - base),
				   (size_t)(ev.end_off - ev.start_off), ev.start_off))
			return false;
	}
	memmove(c->rx, c->rx + done, c->rx_len - done);
	c->rx_len = (uint16_t)(c->rx_len - done);
	return true;
}

static void kc_read(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];

	for (unsigned i = 0; i < KC_READS_PER_EVENT && c->fd >= 0; i++) {
		ssize_t n;

		if (c->rx_len == KC_RX_BYTES) {
			kc_fail(k, idx, &k->t.xml_err); /* an element longer than rx */
			return;
		}
		n = read(c->fd, c->rx + c->rx_len, KC_RX_BYTES - c->rx_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			kc_fail(k, idx, &k->t.io_err);
			return;
		}
		c->rx_len = (uint16_t)(c->rx_len + (size_t)n);
		if (!kc_parse(k, idx))
			return;
	}
}

/* A connect completed or failed (the first EPOLLOUT). */
static void kc_connected(struct kc *k, uint32_t idx)
{
	struct kc_conn *c = &k->c[idx];
	int err = 0;
	socklen_t l = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err != 0) {
		kc_fail(k, idx, &k->t.connect_fail);
		return;
	}
	c->st = KC_FEATURES;
	kc_arm(k, idx, false);
	kc_send_header(k, idx);
}

void kc_event(struct kc *k, uint32_t idx, uint32_t events)
{
	struct kc_conn *c = &k->c[idx];

	if (c->st == KC_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			kc_connected(k, idx);
		return;
	}
	if ((events & EPOLLOUT) && c->fd >= 0 && kc_flush(k, idx) < 0)
		return;
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && c->fd >= 0)
		kc_read(k, idx);
}
