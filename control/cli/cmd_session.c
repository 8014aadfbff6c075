/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_session.h. Runs on the management thread: parses the line,
 * posts requests to the shards (router/admin.h), waits a bounded time for
 * their answers and formats them. A word without '@' is a localpart of
 * xmpp.domain (as in `user` commands), the domain itself excepted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cmd_session.h"
#include "jid.h"
#include "store/store.h"

#define USAGE_SESSION                                                                       \
	"session count [--json] | session list [--user JID] [--max N] [--json] | "         \
	"session show FULLJID [--json] | session kick JID [--reset] [--reason TEXT]"
#define USAGE_MESSAGE "message send FROM TO TEXT"

/* The next space-separated word of *p; *p moves past it and its spaces. */
static const char *ses_word(const char **p, size_t *len)
{
	const char *w = *p;

	*len = strcspn(w, " ");
	*p = w + *len;
	while (**p == ' ')
		(*p)++;
	return w;
}

static bool ses_is(const char *w, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(w, lit, len) == 0;
}

static int ses_usage(char *why, size_t why_len, const char *what, bool message)
{
	snprintf(why, why_len, "usage: %s (%s)", message ? USAGE_MESSAGE : USAGE_SESSION, what);
	return -EINVAL;
}

static int ses_parse_message(const char *p, struct sb_cmd_session_args *a, char *why,
			     size_t why_len)
{
	size_t len;
	const char *w = ses_word(&p, &len);

	if (!ses_is(w, len, "send"))
		return ses_usage(why, why_len, "unknown subcommand", true);
	a->verb = SB_CMD_MESSAGE_SEND;
	a->from = ses_word(&p, &a->from_len);
	a->jid = ses_word(&p, &a->jid_len);
	a->text = p;
	if (a->from_len == 0 || a->jid_len == 0 || *p == '\0')
		return ses_usage(why, why_len, "FROM, TO and TEXT are needed", true);
	return 0;
}

int sb_cmd_session_parse(const char *args, bool message, struct sb_cmd_session_args *a,
			 char *why, size_t why_len)
{
	const char *p = args;
	size_t len;
	const char *w;

	memset(a, 0, sizeof(*a));
	a->max = SB_CMD_SESSION_LIST_DEFAULT;
	if (message)
		return ses_parse_message(p, a, why, why_len);
	w = ses_word(&p, &len);
	if (ses_is(w, len, "count"))
		a->verb = SB_CMD_SESSION_COUNT;
	else if (ses_is(w, len, "list"))
		a->verb = SB_CMD_SESSION_LIST;
	else if (ses_is(w, len, "show"))
		a->verb = SB_CMD_SESSION_SHOW;
	else if (ses_is(w, len, "kick"))
		a->verb = SB_CMD_SESSION_KICK;
	else
		return ses_usage(why, why_len, len ? "unknown subcommand" : "no subcommand", false);
	while (*p != '\0') {
		w = ses_word(&p, &len);
		if (ses_is(w, len, "--json")) {
			a->json = true;
		} else if (ses_is(w, len, "--user") && a->verb == SB_CMD_SESSION_LIST) {
			a->jid = ses_word(&p, &a->jid_len);
			if (a->jid_len == 0)
				return ses_usage(why, why_len, "--user needs a JID", false);
		} else if (ses_is(w, len, "--max") && a->verb == SB_CMD_SESSION_LIST) {
			char *end;
			const char *v = ses_word(&p, &len);
			unsigned long n = strtoul(v, &end, 10);

			if (len == 0 || end != v + len || n == 0 || n > SB_ADMIN_ROWS_MAX) {
				snprintf(why, why_len, "usage: --max takes 1..%u", SB_ADMIN_ROWS_MAX);
				return -EINVAL;
			}
			a->max = (uint32_t)n;
		} else if (ses_is(w, len, "--reset") && a->verb == SB_CMD_SESSION_KICK) {
			a->reset = true;
		} else if (ses_is(w, len, "--reason") && a->verb == SB_CMD_SESSION_KICK) {
			if (*p == '\0')
				return ses_usage(why, why_len, "--reason needs a text", false);
			a->text = p; /* the rest of the line */
			break;
		} else if (len > 1 && w[0] == '-' && w[1] == '-') {
			return ses_usage(why, why_len, "unknown option", false);
		} else if ((a->verb == SB_CMD_SESSION_SHOW || a->verb == SB_CMD_SESSION_KICK) &&
			   a->jid == NULL) {
			a->jid = w;
			a->jid_len = len;
		} else {
			return ses_usage(why, why_len, "unexpected argument", false);
		}
	}
	if ((a->verb == SB_CMD_SESSION_SHOW || a->verb == SB_CMD_SESSION_KICK) && a->jid == NULL)
		return ses_usage(why, why_len, "a JID is needed", false);
	return 0;
}

bool sb_cmd_session_text_ok(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < n;) {
		uint32_t c = p[i], min;
		unsigned k;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t')
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			k = 1, c &= 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			k = 2, c &= 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			k = 3, c &= 0x07, min = 0x10000;
		else
			return false;
		if (n - i <= k)
			return false;
		for (unsigned j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe ||
		    c == 0xffff)
			return false;
		i += k + 1;
	}
	return true;
}

void sb_cmd_session_json_str(struct sb_out *o, const char *s, size_t n)
{
	sb_out_printf(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			sb_out_printf(o, "\\%c", c);
		else if (c < 0x20)
			sb_out_printf(o, "\\u%04x", c);
		else
			sb_out_printf(o, "%c", c);
	}
	sb_out_printf(o, "\"");
}

static uint64_t ses_age_s(const struct sb_cmd_session *cs, uint64_t bound_tsc, uint64_t now_tsc)
{
	if (bound_tsc == 0 || now_tsc < bound_tsc || cs->tsc_hz == 0)
		return 0;
	return (now_tsc - bound_tsc) / cs->tsc_hz;
}

static unsigned ses_lcore(const struct sb_cmd_session *cs, unsigned worker)
{
	return worker < SB_MAX_WORKERS ? cs->worker_lcore[worker] : 0;
}

/* A session's JSON object without its closing brace (show adds to it). */
static void ses_row_json_open(const struct sb_cmd_session *cs, const void *rowp, uint64_t now_tsc,
			      struct sb_out *o)
{
	const struct sb_admin_row *row = rowp;
	size_t len = strlen(row->jid);
	size_t bare = strcspn(row->jid, "/");

	sb_out_printf(o, "{\"jid\":");
	sb_cmd_session_json_str(o, row->jid, len);
	sb_out_printf(o, ",\"bare\":");
	sb_cmd_session_json_str(o, row->jid, bare);
	sb_out_printf(o, ",\"resource\":");
	sb_cmd_session_json_str(o, row->jid + (bare < len ? bare + 1 : len),
				bare < len ? len - bare - 1 : 0);
	sb_out_printf(o,
		      ",\"worker\":%u,\"lcore\":%u,\"shard\":%u,\"state\":\"%s\",\"priority\":%d,"
		      "\"roster_requested\":%s,\"bound_s\":%" PRIu64 ",\"conn\":\"0x%" PRIx64
		      "\",\"conn_gen\":%" PRIu32,
		      row->worker, ses_lcore(cs, row->worker), row->shard,
		      row->available ? "available" : "bound", row->priority,
		      row->roster_requested ? "true" : "false", ses_age_s(cs, row->bound_tsc, now_tsc),
		      row->conn, row->conn_gen);
}

void sb_cmd_session_row_json(const struct sb_cmd_session *cs, const void *row, uint64_t now_tsc,
			     struct sb_out *o)
{
	ses_row_json_open(cs, row, now_tsc, o);
	sb_out_printf(o, "}");
}

/* lib/tcp's enum sb_tcp_state, in its order (RFC 9293 §3.3.2 names). */
static const char *const ses_tcp_states[] = {
	"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

static const char *ses_tcp_state(uint8_t st)
{
	return st < sizeof(ses_tcp_states) / sizeof(ses_tcp_states[0]) ? ses_tcp_states[st] : "?";
}

static const char *const ses_tls[] = { "none", "handshake", "tls" };

/* session show's "dataplane" member: the worker's view, or null when it
 * did not answer in time (or the connection had just gone). */
static void ses_dp_json(const struct sb_admin_row *row, struct sb_out *o)
{
	const struct sb_msg_conn_info *ci = &row->dp_info;

	if (!row->dp) {
		sb_out_printf(o, "null");
		return;
	}
	sb_out_printf(o,
		      "{\"tcp_state\":\"%s\",\"tls\":\"%s\",\"closing\":%s,\"idle_ms\":%" PRIu32
		      ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
		      ",\"send_queue_bytes\":%" PRIu32 ",\"srtt_us\":%" PRIu32 "}",
		      ses_tcp_state(ci->tcp_state), ses_tls[ci->tls < 3 ? ci->tls : 0],
		      ci->closing ? "true" : "false", ci->idle_ms, ci->bytes_in, ci->bytes_out,
		      ci->send_queue_bytes, ci->srtt_us);
}

static void ses_dp_text(const struct sb_admin_row *row, struct sb_out *o)
{
	const struct sb_msg_conn_info *ci = &row->dp_info;

	if (!row->dp) {
		sb_out_printf(o, "dataplane: no answer from worker %u\n", row->worker);
		return;
	}
	sb_out_printf(o,
		      "tcp_state %s\ntls %s\nclosing %s\nidle_ms %" PRIu32 "\nbytes_in %" PRIu64
		      "\nbytes_out %" PRIu64 "\nsend_queue_bytes %" PRIu32 "\nsrtt_us %" PRIu32 "\n",
		      ses_tcp_state(ci->tcp_state), ses_tls[ci->tls < 3 ? ci->tls : 0],
		      ci->closing ? "yes" : "no", ci->idle_ms, ci->bytes_in, ci->bytes_out,
		      ci->send_queue_bytes, ci->srtt_us);
}

static void ses_row_text(const struct sb_cmd_session *cs, const struct sb_admin_row *row,
			 uint64_t now_tsc, struct sb_out *o)
{
	sb_out_printf(o, "%-40s %6u %5u %5u %-9s %4d %8" PRIu64 "\n", row->jid, row->worker,
		      ses_lcore(cs, row->worker), row->shard, row->available ? "available" : "bound",
		      row->priority, ses_age_s(cs, row->bound_tsc, now_tsc));
}

/* Normalise a JID word: a word without '@' is a localpart of our domain
 * (its resource, if any, kept), the domain itself excepted. */
static int ses_jid(const struct sb_cmd_session *cs, const char *w, size_t len, struct sb_jid *j,
		   char *why, size_t why_len)
{
	char buf[SB_JID_FULL_MAX + 1];
	enum sb_jid_reason r = SB_JID_OK;

	if (memchr(w, '@', len) == NULL &&
	    !(len == cs->domain_len && memcmp(w, cs->domain, len) == 0)) {
		size_t local = strcspn(w, "/");
		int n;

		if (local > len)
			local = len;
		n = snprintf(buf, sizeof(buf), "%.*s@%s%.*s", (int)local, w, cs->domain,
			     (int)(len - local), w + local);
		if (n < 0 || (size_t)n >= sizeof(buf)) {
			snprintf(why, why_len, "invalid JID: too long");
			return -EINVAL;
		}
		w = buf;
		len = (size_t)n;
	}
	if (sb_jid_parse_why(j, w, len, &r) < 0) {
		snprintf(why, why_len, "invalid JID '%.*s': %s", (int)(len > 128 ? 128 : len), w,
			 sb_jid_reason_str(r));
		return -EINVAL;
	}
	return 0;
}

static unsigned ses_shard_of(const struct sb_cmd_session *cs, const struct sb_jid *j)
{
	size_t len;
	const char *bare = sb_jid_bare(j, &len);

	return (unsigned)(sb_jid_bare_hash_str(bare, len) % cs->n_shards);
}

/* Post reqs[s] to every shard s (or only to one: only >= 0) and wait.
 * 0, or writes the error line and returns a negative errno. */
static int ses_ask(struct sb_cmd_session *cs, struct sb_admin_req **reqs, int only,
		   struct sb_out *o)
{
	int rc;

	for (unsigned s = 0; s < cs->n_shards; s++) {
		if (reqs[s] == NULL || (only >= 0 && (unsigned)only != s))
			continue;
		rc = sb_admin_post(cs->routers[s], reqs[s]);
		if (rc < 0) {
			sb_out_printf(o, "error: shard %u is busy with other requests; try again\n", s);
			/* Not posted: nobody waits for it. */
			sb_admin_put(reqs[s]);
			reqs[s] = NULL;
			return rc;
		}
	}
	rc = sb_admin_wait(reqs, cs->n_shards, cs->wait_ms);
	if (rc < 0) {
		for (unsigned s = 0; s < cs->n_shards; s++)
			if (reqs[s] != NULL && !sb_admin_done(reqs[s])) {
				sb_out_printf(o, "error: shard %u did not answer within %u ms\n", s,
					      cs->wait_ms);
				break;
			}
	}
	return rc;
}

static void ses_put_all(struct sb_admin_req **reqs, unsigned n)
{
	for (unsigned s = 0; s < n; s++)
		sb_admin_put(reqs[s]);
}

static void ses_count(struct sb_cmd_session *cs, const struct sb_cmd_session_args *a,
		      struct sb_out *o)
{
	struct sb_admin_req *reqs[SB_MAX_SHARDS] = { 0 };
	uint64_t sessions = 0, users = 0;

	for (unsigned s = 0; s < cs->n_shards; s++)
		if ((reqs[s] = sb_admin_req_new(SB_ADMIN_COUNT, 0)) == NULL) {
			sb_out_printf(o, "error: out of memory\n");
			goto out;
		}
	if (ses_ask(cs, reqs, -1, o) < 0)
		goto out;
	for (unsigned s = 0; s < cs->n_shards; s++) {
		sessions += reqs[s]->sessions;
		users += reqs[s]->users;
	}
	sb_out_printf(o, "ok\n");
	if (!a->json) {
		sb_out_printf(o, "sessions %" PRIu64 "\nusers %" PRIu64 "\n", sessions, users);
		for (unsigned s = 0; s < cs->n_shards; s++)
			sb_out_printf(o, "shard %u sessions %" PRIu64 " users %" PRIu64 "\n", s,
				      reqs[s]->sessions, reqs[s]->users);
		goto out;
	}
	sb_out_printf(o, "{\"sessions\":%" PRIu64 ",\"users\":%" PRIu64 ",\"shards\":[", sessions,
		      users);
	for (unsigned s = 0; s < cs->n_shards; s++)
		sb_out_printf(o, "%s{\"shard\":%u,\"sessions\":%" PRIu64 ",\"users\":%" PRIu64 "}",
			      s ? "," : "", s, reqs[s]->sessions, reqs[s]->users);
	sb_out_printf(o, "]}\n");
out:
	ses_put_all(reqs, cs->n_shards);
}

static void ses_show_print(const struct sb_cmd_session *cs, const struct sb_admin_row *row,
			   bool json, uint64_t now, struct sb_out *o)
{
	if (json) {
		ses_row_json_open(cs, row, now, o);
		sb_out_printf(o, ",\"dataplane\":");
		ses_dp_json(row, o);
		sb_out_printf(o, "}\n");
		return;
	}
	ses_row_text(cs, row, now, o);
	ses_dp_text(row, o);
}

/* The rows of every shard's answer, at most a->max, and the totals. */
static void ses_list_print(const struct sb_cmd_session *cs, struct sb_admin_req *const *reqs,
			   const struct sb_cmd_session_args *a, uint64_t now, struct sb_out *o)
{
	uint64_t total = 0;
	uint32_t shown = 0;

	for (unsigned s = 0; s < cs->n_shards; s++)
		total += reqs[s] != NULL ? reqs[s]->sessions : 0;
	if (a->json)
		sb_out_printf(o, "{\"total\":%" PRIu64 ",\"sessions\":[", total);
	else
		sb_out_printf(o, "%-40s %6s %5s %5s %-9s %4s %8s\n", "JID", "WORKER", "LCORE",
			      "SHARD", "STATE", "PRIO", "BOUND_S");
	for (unsigned s = 0; s < cs->n_shards; s++) {
		for (uint32_t i = 0; reqs[s] != NULL && i < reqs[s]->n && shown < a->max; i++) {
			if (a->json) {
				sb_out_printf(o, "%s", shown ? "," : "");
				sb_cmd_session_row_json(cs, &reqs[s]->rows[i], now, o);
			} else {
				ses_row_text(cs, &reqs[s]->rows[i], now, o);
			}
			shown++;
		}
	}
	if (a->json)
		sb_out_printf(o, "],\"shown\":%" PRIu32 ",\"truncated\":%s}\n", shown,
			      shown < total ? "true" : "false");
	else
		sb_out_printf(o, "%" PRIu64 " sessions, %" PRIu32 " shown%s\n", total, shown,
			      shown < total ? " (use --max or --user for the rest)" : "");
}

/* list (every shard, or the one owning --user) and show (one session). */
static void ses_list(struct sb_cmd_session *cs, const struct sb_cmd_session_args *a,
		     struct sb_out *o)
{
	struct sb_admin_req *reqs[SB_MAX_SHARDS] = { 0 };
	bool show = a->verb == SB_CMD_SESSION_SHOW;
	uint64_t now;
	int only = -1;
	char why[256];
	struct sb_jid *j = NULL;

	if (a->jid != NULL) {
		j = malloc(sizeof(*j));
		if (j == NULL) {
			sb_out_printf(o, "error: out of memory\n");
			return;
		}
		if (ses_jid(cs, a->jid, a->jid_len, j, why, sizeof(why)) < 0) {
			sb_out_printf(o, "error: %s\n", why);
			goto out;
		}
		if (show && j->resource_len == 0) {
			sb_out_printf(o, "error: usage: session show needs a full JID "
					 "(user@domain/resource); for a user's sessions: "
					 "session list --user JID\n");
			goto out;
		}
		if (!show && j->resource_len != 0) {
			sb_out_printf(o, "error: usage: --user takes a bare JID\n");
			goto out;
		}
		only = (int)ses_shard_of(cs, j);
	}
	for (unsigned s = 0; s < cs->n_shards; s++) {
		struct sb_admin_req *req;

		if (only >= 0 && (unsigned)only != s)
			continue;
		req = sb_admin_req_new(show ? SB_ADMIN_SHOW : j ? SB_ADMIN_USER : SB_ADMIN_LIST,
				       show ? 1 : a->max);
		if (req == NULL) {
			sb_out_printf(o, "error: out of memory\n");
			goto out;
		}
		if (j != NULL) {
			size_t bare;

			req->jid_len = j->full_len;
			memcpy(req->jid, j->buf, j->full_len);
			sb_jid_bare(j, &bare);
			req->bare_len = (uint16_t)bare;
		}
		reqs[s] = req;
	}
	if (ses_ask(cs, reqs, only, o) < 0)
		goto out;
	if (show && reqs[only]->n == 0) {
		sb_out_printf(o, "error: no session: %s\n", j->buf);
		goto out;
	}
	now = cs->now_tsc != NULL ? cs->now_tsc() : 0;
	sb_out_printf(o, "ok\n");
	if (show)
		ses_show_print(cs, &reqs[only]->rows[0], a->json, now, o);
	else
		ses_list_print(cs, reqs, a, now, o);
out:
	free(j);
	ses_put_all(reqs, cs->n_shards);
}

static void ses_kick(struct sb_cmd_session *cs, const struct sb_cmd_session_args *a,
		     struct sb_out *o)
{
	struct sb_admin_req *reqs[SB_MAX_SHARDS] = { 0 };
	struct sb_jid *j = malloc(sizeof(*j));
	size_t tlen = a->text != NULL ? strlen(a->text) : 0, bare;
	char why[256];
	unsigned s;

	if (j == NULL) {
		sb_out_printf(o, "error: out of memory\n");
		return;
	}
	if (ses_jid(cs, a->jid, a->jid_len, j, why, sizeof(why)) < 0) {
		sb_out_printf(o, "error: %s\n", why);
		goto out;
	}
	if (tlen > SB_MSG_KICK_TEXT_MAX || !sb_cmd_session_text_ok(a->text ? a->text : "", tlen)) {
		sb_out_printf(o, "error: usage: --reason: at most %u bytes of UTF-8 text\n",
			      SB_MSG_KICK_TEXT_MAX);
		goto out;
	}
	s = ses_shard_of(cs, j);
	reqs[s] = sb_admin_req_new(SB_ADMIN_KICK, 0);
	if (reqs[s] == NULL) {
		sb_out_printf(o, "error: out of memory\n");
		goto out;
	}
	reqs[s]->status = a->reset ? SB_MSG_KICK_ADMIN_RESET : SB_MSG_KICK_ADMIN;
	reqs[s]->jid_len = j->full_len;
	memcpy(reqs[s]->jid, j->buf, j->full_len);
	sb_jid_bare(j, &bare);
	reqs[s]->bare_len = (uint16_t)bare;
	reqs[s]->text_len = (uint16_t)tlen;
	memcpy(reqs[s]->text, a->text ? a->text : "", tlen);
	if (ses_ask(cs, reqs, (int)s, o) < 0)
		goto out;
	if (reqs[s]->rc == -ENOENT)
		sb_out_printf(o, "error: no session: %s\n", j->buf);
	else
		sb_out_printf(o, "ok\nkicked %" PRIu64 " session%s of %s\n", reqs[s]->sessions,
			      reqs[s]->sessions == 1 ? "" : "s", j->buf);
out:
	free(j);
	ses_put_all(reqs, cs->n_shards);
}

static void ses_send(struct sb_cmd_session *cs, const struct sb_cmd_session_args *a,
		     struct sb_out *o)
{
	struct sb_admin_req *reqs[SB_MAX_SHARDS] = { 0 };
	struct sb_jid *from = malloc(sizeof(*from)), *to = malloc(sizeof(*to));
	size_t tlen = strlen(a->text), bare;
	char why[256];
	unsigned s;

	if (from == NULL || to == NULL) {
		sb_out_printf(o, "error: out of memory\n");
		goto out;
	}
	if (ses_jid(cs, a->from, a->from_len, from, why, sizeof(why)) < 0 ||
	    ses_jid(cs, a->jid, a->jid_len, to, why, sizeof(why)) < 0) {
		sb_out_printf(o, "error: %s\n", why);
		goto out;
	}
	if (to->local_len == 0 || to->domain_len != cs->domain_len ||
	    memcmp(sb_jid_domain(to), cs->domain, cs->domain_len) != 0) {
		sb_out_printf(o, "error: TO must be a user of %s: %s\n", cs->domain, to->buf);
		goto out;
	}
	sb_jid_bare(to, &bare);
	/* Said here rather than dropped later: the message names no sender
	 * connection for the router's service-unavailable to reach. */
	if (cs->store != NULL && sb_store_user_exists(cs->store, to->buf, bare) == 0) {
		sb_out_printf(o, "error: no such user: %.*s\n", (int)bare, to->buf);
		goto out;
	}
	if (tlen > SB_ADMIN_TEXT_MAX || !sb_cmd_session_text_ok(a->text, tlen)) {
		sb_out_printf(o, "error: usage: TEXT: at most %u bytes of UTF-8 text\n",
			      SB_ADMIN_TEXT_MAX);
		goto out;
	}
	s = ses_shard_of(cs, to);
	reqs[s] = sb_admin_req_new(SB_ADMIN_SEND, 0);
	if (reqs[s] == NULL) {
		sb_out_printf(o, "error: out of memory\n");
		goto out;
	}
	reqs[s]->jid_len = to->full_len;
	memcpy(reqs[s]->jid, to->buf, to->full_len);
	reqs[s]->bare_len = (uint16_t)bare;
	reqs[s]->from_len = from->full_len;
	memcpy(reqs[s]->from, from->buf, from->full_len);
	reqs[s]->text_len = (uint16_t)tlen;
	memcpy(reqs[s]->text, a->text, tlen);
	reqs[s]->id = ++cs->next_id;
	if (ses_ask(cs, reqs, (int)s, o) < 0)
		goto out;
	if (reqs[s]->rc < 0)
		sb_out_printf(o, "error: the message could not be built: %s\n",
			      strerror(-reqs[s]->rc));
	else
		sb_out_printf(o, "ok\nsent sbctl-%" PRIu64 " from %s to %s (%s)\n", reqs[s]->id,
			      from->buf, to->buf,
			      reqs[s]->sessions > 0 ? "online" : "no available resource: stored offline");
out:
	free(from);
	free(to);
	ses_put_all(reqs, cs->n_shards);
}

void sb_cmd_session_run(struct sb_cmd_session *cs, const char *args, bool message,
			struct sb_out *o)
{
	struct sb_cmd_session_args a;
	char why[512];

	if (sb_cmd_session_parse(args, message, &a, why, sizeof(why)) < 0) {
		sb_out_printf(o, "error: %s\n", why);
		return;
	}
	if (cs->n_shards == 0) {
		sb_out_printf(o, "error: the control shards are not running\n");
		return;
	}
	switch (a.verb) {
	case SB_CMD_SESSION_COUNT:
		ses_count(cs, &a, o);
		break;
	case SB_CMD_SESSION_LIST:
	case SB_CMD_SESSION_SHOW:
		ses_list(cs, &a, o);
		break;
	case SB_CMD_SESSION_KICK:
		ses_kick(cs, &a, o);
		break;
	case SB_CMD_MESSAGE_SEND:
		ses_send(cs, &a, o);
		break;
	default:
		sb_out_printf(o, "error: usage: %s\n", USAGE_SESSION);
		break;
	}
}
