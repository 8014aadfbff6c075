/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See expo.h. Names and label keys are identifiers by construction (the
 * .def files and collect.c), so only help text and label values are
 * escaped: help as the exposition format asks (backslash, newline), both
 * as JSON strings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "expo.h"

void sb_expo_begin(struct sb_expo *e, struct sb_out *o, enum sb_expo_format format)
{
	memset(e, 0, sizeof(*e));
	e->o = o;
	e->format = format;
	e->type = -1;
	if (format == SB_EXPO_JSON)
		sb_out_printf(o, "{\"version\":%d", SB_EXPO_JSON_VERSION);
}

/* s as the body of a JSON string (control characters as \u00XX). */
static void expo_json_str(struct sb_out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sb_out_printf(o, "\\%c", c);
		else if (c < 0x20)
			sb_out_printf(o, "\\u%04x", c);
		else
			sb_out_printf(o, "%c", c);
	}
}

/* Help text for a # HELP line: backslash and line feed escaped. */
static void expo_prom_help(struct sb_out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			sb_out_printf(o, "\\\\");
		else if (*s == '\n')
			sb_out_printf(o, "\\n");
		else
			sb_out_printf(o, "%c", *s);
	}
}

/* Prometheus names are lower case by convention; a few modules' counters
 * (lib/tcp's) are upper case identifiers. */
static void expo_prom_lower(struct sb_out *o, const char *s)
{
	for (; *s != '\0'; s++)
		sb_out_printf(o, "%c", *s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
}

static void expo_prom_name(struct sb_out *o, const struct sb_metric *m)
{
	sb_out_printf(o, SB_EXPO_PREFIX);
	expo_prom_lower(o, m->group);
	sb_out_printf(o, "_");
	expo_prom_lower(o, m->name);
	sb_out_printf(o, "%s", m->type == SB_METRIC_COUNTER ? "_total" : "");
}

/* Bucket b's upper bound in seconds: 2^b microseconds. */
static double expo_le_s(unsigned b)
{
	return (double)(1ull << b) / 1e6;
}

/* name_bucket{le=...} cumulative, then name_sum and name_count. */
static void expo_prom_hist(struct sb_out *o, const struct sb_metric *m)
{
	uint64_t cum = 0;

	for (unsigned b = 0; b <= SB_HIST_BUCKETS; b++) {
		cum += m->hist->n[b];
		expo_prom_name(o, m);
		if (b < SB_HIST_BUCKETS)
			sb_out_printf(o, "_bucket{le=\"%.9g\"} %" PRIu64 "\n", expo_le_s(b), cum);
		else
			sb_out_printf(o, "_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	}
	expo_prom_name(o, m);
	sb_out_printf(o, "_sum %.6f\n", (double)m->hist->sum_us / 1e6);
	expo_prom_name(o, m);
	sb_out_printf(o, "_count %" PRIu64 "\n", cum);
}

static const char *const expo_prom_type[SB_METRIC_TYPE_MAX] = {
	[SB_METRIC_COUNTER] = "counter",
	[SB_METRIC_GAUGE] = "gauge",
	[SB_METRIC_HISTOGRAM] = "histogram",
};

static void expo_prom(struct sb_expo *e, const struct sb_metric *m, bool new_family)
{
	struct sb_out *o = e->o;

	if (new_family) {
		sb_out_printf(o, "# HELP ");
		expo_prom_name(o, m);
		sb_out_printf(o, " ");
		expo_prom_help(o, m->help);
		sb_out_printf(o, "\n# TYPE ");
		expo_prom_name(o, m);
		sb_out_printf(o, " %s\n", expo_prom_type[m->type]);
	}
	if (m->type == SB_METRIC_HISTOGRAM) {
		expo_prom_hist(o, m);
		return;
	}
	expo_prom_name(o, m);
	for (unsigned i = 0; i < m->n_labels; i++) {
		sb_out_printf(o, "%s%s=\"", i == 0 ? "{" : ",", m->labels[i].key);
		/* label values: the same escapes as help, plus the quote */
		for (const char *v = m->labels[i].value; *v != '\0'; v++)
			sb_out_printf(o, *v == '"' || *v == '\\' ? "\\%c" : "%c", *v);
		sb_out_printf(o, "\"");
	}
	sb_out_printf(o, "%s %" PRIu64 "\n", m->n_labels > 0 ? "}" : "", m->value);
}

static void expo_text(struct sb_expo *e, const struct sb_metric *m)
{
	struct sb_out *o = e->o;

	if (m->type == SB_METRIC_HISTOGRAM) {
		uint64_t cum = 0;

		for (unsigned b = 0; b < SB_HIST_BUCKETS; b++) {
			cum += m->hist->n[b];
			sb_out_printf(o, "%s %s{le=%.9g} %" PRIu64 "\n", m->group, m->name,
				      expo_le_s(b), cum);
		}
		cum += m->hist->n[SB_HIST_BUCKETS];
		sb_out_printf(o, "%s %s{le=+Inf} %" PRIu64 "\n", m->group, m->name, cum);
		sb_out_printf(o, "%s %s_sum %.6f\n", m->group, m->name,
			      (double)m->hist->sum_us / 1e6);
		sb_out_printf(o, "%s %s_count %" PRIu64 "\n", m->group, m->name, cum);
		return;
	}

	sb_out_printf(o, "%s %s", m->group, m->name);
	for (unsigned i = 0; i < m->n_labels; i++)
		sb_out_printf(o, "%s%s=%s", i == 0 ? "{" : ",", m->labels[i].key, m->labels[i].value);
	sb_out_printf(o, "%s %" PRIu64 "\n", m->n_labels > 0 ? "}" : "", m->value);
}

static void expo_json_labels(struct sb_out *o, const struct sb_metric *m)
{
	sb_out_printf(o, "{\"labels\":{");
	for (unsigned i = 0; i < m->n_labels; i++) {
		sb_out_printf(o, "%s\"%s\":\"", i == 0 ? "" : ",", m->labels[i].key);
		expo_json_str(o, m->labels[i].value);
		sb_out_printf(o, "\"");
	}
	sb_out_printf(o, "},\"value\":%" PRIu64 "}", m->value);
}

/* Close what the previous sample left open down to `level`: 0 nothing,
 * 1 the name's array, 2 also the group, 3 also the type. */
static void expo_json_close(struct sb_expo *e, int level)
{
	if (e->in_array && level >= 1) {
		sb_out_printf(e->o, "]");
		e->in_array = false;
	}
	if (level >= 2)
		sb_out_printf(e->o, "}");
	if (level >= 3)
		sb_out_printf(e->o, "}");
}

/* {"buckets":[{"le":"1e-06","count":C},...,{"le":"+Inf","count":N}],
 *  "sum":SECONDS,"count":N}, counts cumulative as in Prometheus. */
static void expo_json_hist(struct sb_out *o, const struct sb_hist *h)
{
	uint64_t cum = 0;

	sb_out_printf(o, "{\"buckets\":[");
	for (unsigned b = 0; b < SB_HIST_BUCKETS; b++) {
		cum += h->n[b];
		sb_out_printf(o, "{\"le\":\"%.9g\",\"count\":%" PRIu64 "},", expo_le_s(b), cum);
	}
	cum += h->n[SB_HIST_BUCKETS];
	sb_out_printf(o, "{\"le\":\"+Inf\",\"count\":%" PRIu64 "}],\"sum\":%.6f,\"count\":%" PRIu64
			 "}",
		      cum, (double)h->sum_us / 1e6, cum);
}

static const char *const expo_json_type[SB_METRIC_TYPE_MAX] = {
	[SB_METRIC_COUNTER] = "counters",
	[SB_METRIC_GAUGE] = "gauges",
	[SB_METRIC_HISTOGRAM] = "histograms",
};

static void expo_json(struct sb_expo *e, const struct sb_metric *m, bool new_type, bool new_group,
		      bool new_name)
{
	struct sb_out *o = e->o;

	if (e->type >= 0)
		expo_json_close(e, new_type ? 3 : new_group ? 2 : new_name ? 1 : 0);
	if (new_type)
		sb_out_printf(o, ",\"%s\":{", expo_json_type[m->type]);
	if (new_group)
		sb_out_printf(o, "%s\"%s\":{", new_type ? "" : ",", m->group);
	if (new_name) {
		sb_out_printf(o, "%s\"%s\":", new_group ? "" : ",", m->name);
		if (m->type == SB_METRIC_HISTOGRAM) {
			expo_json_hist(o, m->hist);
			return;
		}
		if (m->n_labels == 0) {
			sb_out_printf(o, "%" PRIu64, m->value);
			return;
		}
		sb_out_printf(o, "[");
		e->in_array = true;
	} else {
		sb_out_printf(o, ",");
	}
	expo_json_labels(o, m);
}

void sb_expo_sample(void *arg, const struct sb_metric *m)
{
	struct sb_expo *e = arg;
	bool new_type = e->type != (int)m->type;
	bool new_group = new_type || strcmp(e->group, m->group) != 0;
	bool new_name = new_group || strcmp(e->name, m->name) != 0;

	switch (e->format) {
	case SB_EXPO_TEXT:
		expo_text(e, m);
		break;
	case SB_EXPO_JSON:
		expo_json(e, m, new_type, new_group, new_name);
		break;
	default:
		expo_prom(e, m, new_name);
		break;
	}
	e->type = (int)m->type;
	snprintf(e->group, sizeof(e->group), "%s", m->group);
	snprintf(e->name, sizeof(e->name), "%s", m->name);
}

void sb_expo_end(struct sb_expo *e)
{
	if (e->format != SB_EXPO_JSON)
		return;
	if (e->type >= 0)
		expo_json_close(e, 3);
	sb_out_printf(e->o, "}\n");
}
