/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See sbctl_top.h. The sample's keys:
 *
 *   conns N            TCP connections (every state), summed over workers
 *   sessions N         bound sessions in sb-control's tables
 *   logins N           successful SASL authentications (counter)
 *   stanzas_in N       stanzas handed to sb-control (counter)
 *   stanzas_out N      stanzas written to clients (counter)
 *   pkts_in N, pkts_out N   frames received and sent (counters)
 *   tcp_segs_out N     TCP segments sent (counter)
 *   tcp_rexmt N        TCP retransmissions of every kind (counter)
 *   ring_max N, ring_size N   the deepest ring now, and a ring's capacity
 *   backlog_max N WHERE       the longest backlog now and where it is
 *   session_bytes N    bytes held for connected clients now (sbctl memory)
 *   alarms N NAMES     alarms active now, NAMES "-" or comma-separated
 *   lcore W L BUSY IDLE   worker W on lcore L: busy_tsc and idle_tsc
 *   drop NAME N        one drop counter (GROUP.NAME)
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sbctl_top.h"

static int top_u64(const char *v, uint64_t *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	*out = strtoull(v, &end, 10);
	return *end == '\0' || *end == ' ' ? 0 : -1;
}

/* One line: KEY then its values. */
static int top_line(char *line, struct sbctl_top_sample *s, bool *have_conns)
{
	static const struct {
		const char *key;
		size_t offset;
	} plain[] = {
#define TOP_KEY(k) { #k, offsetof(struct sbctl_top_sample, k) }
		TOP_KEY(conns), TOP_KEY(sessions), TOP_KEY(logins), TOP_KEY(stanzas_in),
		TOP_KEY(stanzas_out), TOP_KEY(pkts_in), TOP_KEY(pkts_out), TOP_KEY(tcp_segs_out),
		TOP_KEY(tcp_rexmt), TOP_KEY(ring_max), TOP_KEY(ring_size),
		TOP_KEY(session_bytes),
#undef TOP_KEY
	};
	char *val = strchr(line, ' ');

	if (val == NULL)
		return -1;
	*val++ = '\0';
	for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strcmp(line, plain[i].key) == 0) {
			*have_conns |= i == 0;
			return top_u64(val, (uint64_t *)((char *)s + plain[i].offset));
		}
	if (strcmp(line, "backlog_max") == 0) {
		char *where = strchr(val, ' ');

		snprintf(s->backlog_where, sizeof(s->backlog_where), "%s",
			 where != NULL ? where + 1 : "-");
		return top_u64(val, &s->backlog_max);
	}
	if (strcmp(line, "alarms") == 0) {
		char *names = strchr(val, ' ');
		uint64_t n;

		snprintf(s->alarm_names, sizeof(s->alarm_names), "%s",
			 names != NULL ? names + 1 : "-");
		if (top_u64(val, &n) < 0)
			return -1;
		s->alarms = (unsigned)n;
		return 0;
	}
	if (strcmp(line, "lcore") == 0) {
		struct sbctl_top_lcore *l = &s->lc[s->n_lcores];
		unsigned long long w, lc, busy, idle;

		if (s->n_lcores == SBCTL_TOP_LCORES)
			return 0;
		if (sscanf(val, "%llu %llu %llu %llu", &w, &lc, &busy, &idle) != 4)
			return -1;
		*l = (struct sbctl_top_lcore){ (uint32_t)w, (uint32_t)lc, busy, idle };
		s->n_lcores++;
		return 0;
	}
	if (strcmp(line, "drop") == 0) {
		struct sbctl_top_drop *d = &s->drop[s->n_drops];
		char *v = strchr(val, ' ');

		if (v == NULL)
			return -1;
		if (s->n_drops == SBCTL_TOP_DROPS)
			return 0;
		*v++ = '\0';
		snprintf(d->name, sizeof(d->name), "%s", val);
		s->n_drops++;
		return top_u64(v, &d->value);
	}
	return 0;
}

int sbctl_top_parse(const char *text, struct sbctl_top_sample *s)
{
	bool have_conns = false;
	char line[256];

	memset(s, 0, sizeof(*s));
	snprintf(s->alarm_names, sizeof(s->alarm_names), "-");
	snprintf(s->backlog_where, sizeof(s->backlog_where), "-");
	while (*text != '\0') {
		size_t len = strcspn(text, "\n");

		if (len >= sizeof(line))
			return -1;
		memcpy(line, text, len);
		line[len] = '\0';
		text += len + (text[len] == '\n');
		if (len > 0 && top_line(line, s, &have_conns) < 0)
			return -1;
	}
	return have_conns ? 0 : -1;
}

/* b - a, or 0 when the counter went backwards (a restart between them). */
static uint64_t top_delta(uint64_t a, uint64_t b)
{
	return b >= a ? b - a : 0;
}

static const struct sbctl_top_lcore *top_lcore_of(const struct sbctl_top_sample *s, uint32_t w)
{
	for (unsigned i = 0; i < s->n_lcores; i++)
		if (s->lc[i].worker == w)
			return &s->lc[i];
	return NULL;
}

static void top_drops(const struct sbctl_top_sample *a, const struct sbctl_top_sample *b,
		      struct sbctl_top_row *r)
{
	for (unsigned i = 0; i < b->n_drops; i++) {
		uint64_t before = 0, d;

		for (unsigned j = 0; j < a->n_drops; j++)
			if (strcmp(a->drop[j].name, b->drop[i].name) == 0)
				before = a->drop[j].value;
		d = top_delta(before, b->drop[i].value);
		r->drops += d;
		if (d > r->drop_top_n) {
			r->drop_top_n = d;
			snprintf(r->drop_top, sizeof(r->drop_top), "%s", b->drop[i].name);
		}
	}
}

void sbctl_top_row(const struct sbctl_top_sample *a, const struct sbctl_top_sample *b,
		   double interval_s, const char *time, struct sbctl_top_row *r)
{
	uint64_t segs = top_delta(a->tcp_segs_out, b->tcp_segs_out);

	memset(r, 0, sizeof(*r));
	snprintf(r->time, sizeof(r->time), "%s", time);
	r->interval_s = interval_s;
	r->conns = b->conns;
	r->sessions = b->sessions;
	r->logins_s = (double)top_delta(a->logins, b->logins) / interval_s;
	r->stanzas_in_s = (double)top_delta(a->stanzas_in, b->stanzas_in) / interval_s;
	r->stanzas_out_s = (double)top_delta(a->stanzas_out, b->stanzas_out) / interval_s;
	r->pkts_in_s = (double)top_delta(a->pkts_in, b->pkts_in) / interval_s;
	r->pkts_out_s = (double)top_delta(a->pkts_out, b->pkts_out) / interval_s;
	r->rexmt_pct = segs ? 100.0 * (double)top_delta(a->tcp_rexmt, b->tcp_rexmt) / (double)segs
			    : 0.0;
	r->ring_max = b->ring_max;
	r->ring_size = b->ring_size;
	r->backlog_max = b->backlog_max;
	snprintf(r->backlog_where, sizeof(r->backlog_where), "%s", b->backlog_where);
	top_drops(a, b, r);
	r->drops_s = (double)r->drops / interval_s;
	for (unsigned i = 0; i < b->n_lcores; i++) {
		const struct sbctl_top_lcore *l = &b->lc[i], *p = top_lcore_of(a, l->worker);
		uint64_t busy = top_delta(p ? p->busy_tsc : 0, l->busy_tsc);
		uint64_t all = busy + top_delta(p ? p->idle_tsc : 0, l->idle_tsc);

		r->worker[r->n_lcores] = l->worker;
		r->lcore[r->n_lcores] = l->lcore;
		r->busy_pct[r->n_lcores++] = all ? 100.0 * (double)busy / (double)all : 0.0;
	}
	r->bytes_per_session = b->sessions ? b->session_bytes / b->sessions : 0;
	r->alarms = b->alarms;
	snprintf(r->alarm_names, sizeof(r->alarm_names), "%s", b->alarm_names);
}

void sbctl_top_print_header(FILE *out)
{
	fprintf(out, "%-8s %7s %7s %7s %8s %8s %8s %8s %6s %6s %7s %7s %-28s %-11s %7s %s\n",
		"time", "conns", "sess", "login/s", "in/s", "out/s", "pkin/s", "pkout/s",
		"rexmt%", "ring", "backlog", "drop/s", "top-drop", "busy%", "B/sess", "alarm");
}

void sbctl_top_print_text(FILE *out, const struct sbctl_top_row *r)
{
	char busy[SBCTL_TOP_LCORES * 7 + 1] = "-";
	size_t len = 0;

	for (unsigned i = 0; i < r->n_lcores; i++) {
		int w = snprintf(busy + len, sizeof(busy) - len, "%s%.1f", i ? "," : "",
				 r->busy_pct[i]);

		if (w < 0 || (size_t)w >= sizeof(busy) - len)
			break;
		len += (size_t)w;
	}
	fprintf(out,
		"%-8s %7" PRIu64 " %7" PRIu64 " %7.1f %8.1f %8.1f %8.1f %8.1f %6.2f %6" PRIu64
		" %7" PRIu64 " %7.1f %-28.28s %-11s %7" PRIu64 " %s\n",
		r->time, r->conns, r->sessions, r->logins_s, r->stanzas_in_s, r->stanzas_out_s,
		r->pkts_in_s, r->pkts_out_s, r->rexmt_pct, r->ring_max, r->backlog_max, r->drops_s,
		r->drop_top[0] ? r->drop_top : "-", busy, r->bytes_per_session,
		r->alarms ? r->alarm_names : "-");
}

/* A JSON string from our own names: [a-z0-9_.,-] only, so no escaping;
 * anything else becomes '?'. */
static void top_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++)
		fputc((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-:", *s) != NULL ? *s : '?', out);
	fputc('"', out);
}

void sbctl_top_print_json(FILE *out, const struct sbctl_top_row *r)
{
	const char *a = r->alarm_names;

	fprintf(out, "{\"version\":1,\"time\":");
	top_json_str(out, r->time);
	fprintf(out,
		",\"interval_s\":%.3f,\"conns\":%" PRIu64 ",\"sessions\":%" PRIu64
		",\"logins_per_s\":%.2f,\"stanzas_in_per_s\":%.2f,\"stanzas_out_per_s\":%.2f"
		",\"pkts_in_per_s\":%.2f,\"pkts_out_per_s\":%.2f,\"retransmit_pct\":%.3f"
		",\"ring_depth_max\":%" PRIu64 ",\"ring_size\":%" PRIu64 ",\"backlog_max\":%" PRIu64
		",\"backlog_where\":",
		r->interval_s, r->conns, r->sessions, r->logins_s, r->stanzas_in_s,
		r->stanzas_out_s, r->pkts_in_s, r->pkts_out_s, r->rexmt_pct, r->ring_max,
		r->ring_size, r->backlog_max);
	top_json_str(out, r->backlog_where);
	fprintf(out, ",\"drops\":%" PRIu64 ",\"drops_per_s\":%.2f,\"drop_top\":", r->drops,
		r->drops_s);
	if (r->drop_top[0] != '\0')
		top_json_str(out, r->drop_top);
	else
		fputs("null", out);
	fprintf(out, ",\"drop_top_count\":%" PRIu64 ",\"lcores\":[", r->drop_top_n);
	for (unsigned i = 0; i < r->n_lcores; i++)
		fprintf(out, "%s{\"worker\":%u,\"lcore\":%u,\"busy_pct\":%.2f}", i ? "," : "",
			r->worker[i],
			r->lcore[i], r->busy_pct[i]);
	fprintf(out, "],\"bytes_per_session\":%" PRIu64 ",\"alarms\":[", r->bytes_per_session);
	for (unsigned n = 0; r->alarms > 0 && *a != '\0'; n++) {
		size_t len = strcspn(a, ",");
		char name[SBCTL_TOP_NAME];

		snprintf(name, sizeof(name), "%.*s", (int)len, a);
		fputs(n ? "," : "", out);
		top_json_str(out, name);
		a += len + (a[len] == ',');
	}
	fputs("]}\n", out);
	fflush(out);
}
