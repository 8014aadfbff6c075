/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Parsing an XEP-0313 query (mam_query.h): the data form (XEP-0004 §3.2,
 * submitted fields with <value/> children), XEP-0059 <set/> and
 * <flip-page/>, and XEP-0082 times. Bounded by the element's bytes; no
 * allocation.
 */
#include <errno.h>
#include <string.h>

#include "mam_query.h"
#include "store_mam.h"

#define NS_DATA "jabber:x:data"
#define NS_RSM "http://jabber.org/protocol/rsm"

static int digits(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10u + (unsigned)(s[i] - '0');
	}
	return 0;
}

/* The text of el into buf; its length, or -EINVAL. */
static int text_of(const struct imx_el *el, char *buf, size_t cap)
{
	int n = imx_text(el, buf, cap);

	return n < 0 ? -EINVAL : n;
}

static enum sb_mam_qerr field_value(const struct imx_el *field, const char *var,
				    struct sb_mam_query *q)
{
	char v[SB_JID_FULL_MAX + 1];
	struct imx_el val;
	size_t pos = 0;
	unsigned nv = 0;
	uint64_t id;
	int n;

	while (imx_child(field, &pos, &val)) {
		if (!imx_is(&val, "value", NS_DATA, NS_DATA))
			continue;
		n = text_of(&val, v, sizeof(v));
		if (n < 0)
			return SB_MAM_Q_BAD_REQUEST;
		nv++;
		if (strcmp(var, "FORM_TYPE") == 0) {
			if (strcmp(v, SB_MAM_NS) != 0)
				return SB_MAM_Q_BAD_REQUEST;
		} else if (strcmp(var, "with") == 0) {
			if (sb_jid_parse(&q->with, v, (size_t)n) < 0)
				return SB_MAM_Q_BAD_REQUEST;
			q->has_with = true;
		} else if (strcmp(var, "start") == 0) {
			if (sb_mam_time_parse(v, (size_t)n, &q->start_us) < 0)
				return SB_MAM_Q_BAD_REQUEST;
		} else if (strcmp(var, "end") == 0) {
			if (sb_mam_time_parse(v, (size_t)n, &q->end_us) < 0)
				return SB_MAM_Q_BAD_REQUEST;
		} else if (strcmp(var, "after-id") == 0 || strcmp(var, "before-id") == 0) {
			if (sb_mam_id_parse(v, (size_t)n, &id) < 0)
				return SB_MAM_Q_BAD_REQUEST;
			if (var[0] == 'a') {
				q->has_after_id = true;
				q->after_id = id;
			} else {
				q->has_before_id = true;
				q->before_id = id;
			}
		} else if (strcmp(var, "ids") == 0) {
			if (q->n_ids == SB_MAM_IDS_MAX || sb_mam_id_parse(v, (size_t)n, &id) < 0)
				return SB_MAM_Q_BAD_REQUEST;
			q->ids[q->n_ids++] = id;
		} else {
			return SB_MAM_Q_NOT_IMPLEMENTED;
		}
	}
	/* One value per field, except ids (XEP-0313 §4.1.1). */
	if (nv == 0 || (nv > 1 && strcmp(var, "ids") != 0))
		return SB_MAM_Q_BAD_REQUEST;
	return SB_MAM_Q_OK;
}

static enum sb_mam_qerr parse_form(const struct imx_el *x, struct sb_mam_query *q)
{
	struct imx_el field;
	size_t pos = 0;
	char var[32];
	enum sb_mam_qerr e;

	while (imx_child(x, &pos, &field)) {
		if (!imx_is(&field, "field", NS_DATA, NS_DATA))
			continue;
		if (imx_attr_text(&field, "var", var, sizeof(var)) < 0)
			return SB_MAM_Q_NOT_IMPLEMENTED; /* none, or longer than any we know */
		e = field_value(&field, var, q);
		if (e != SB_MAM_Q_OK)
			return e;
	}
	return SB_MAM_Q_OK;
}

static enum sb_mam_qerr parse_set(const struct imx_el *set, struct sb_mam_query *q)
{
	struct imx_el c;
	size_t pos = 0;
	char v[64];
	unsigned u;
	int n;

	while (imx_child(set, &pos, &c)) {
		n = text_of(&c, v, sizeof(v));
		if (n < 0)
			return SB_MAM_Q_BAD_REQUEST;
		if (imx_is(&c, "max", NS_RSM, NS_RSM)) {
			if (n == 0 || n > 9 || digits(v, (size_t)n, &u) < 0)
				return SB_MAM_Q_BAD_REQUEST;
			q->has_max = true;
			q->max = u;
		} else if (imx_is(&c, "after", NS_RSM, NS_RSM)) {
			if (sb_mam_id_parse(v, (size_t)n, &q->after) < 0)
				return SB_MAM_Q_BAD_REQUEST;
			q->has_after = true;
		} else if (imx_is(&c, "before", NS_RSM, NS_RSM)) {
			q->has_before = true;
			q->before_last = n == 0;
			if (n > 0 && sb_mam_id_parse(v, (size_t)n, &q->before) < 0)
				return SB_MAM_Q_BAD_REQUEST;
		} else if (imx_is(&c, "index", NS_RSM, NS_RSM)) {
			return SB_MAM_Q_NOT_IMPLEMENTED;
		}
	}
	if (q->has_after && q->has_before)
		return SB_MAM_Q_BAD_REQUEST;
	return SB_MAM_Q_OK;
}

enum sb_mam_qerr sb_mam_query_parse(const struct imx_el *query, struct sb_mam_query *q)
{
	struct imx_el c;
	size_t pos = 0;
	enum sb_mam_qerr e = SB_MAM_Q_OK;

	memset(q, 0, offsetof(struct sb_mam_query, with));
	memset(&q->start_us, 0, sizeof(*q) - offsetof(struct sb_mam_query, start_us));
	q->end_us = UINT64_MAX;
	if (imx_attr(query, "queryid", &q->queryid, &q->queryid_len) && q->queryid_len == 0)
		q->queryid = NULL;
	while (e == SB_MAM_Q_OK && imx_child(query, &pos, &c)) {
		if (imx_is(&c, "x", NS_DATA, SB_MAM_NS))
			e = parse_form(&c, q);
		else if (imx_is(&c, "set", NS_RSM, SB_MAM_NS))
			e = parse_set(&c, q);
		else if (imx_is(&c, "flip-page", SB_MAM_NS, SB_MAM_NS))
			q->flip = true;
	}
	if (e == SB_MAM_Q_OK && q->start_us > q->end_us)
		e = SB_MAM_Q_BAD_REQUEST;
	return e;
}
