/* SPDX-License-Identifier: BSD-3-Clause
 *
 * An XEP-0313 (urn:xmpp:mam:2, v1.1) query read from its <query/>
 * element: the data form's fields (§4.1.1: with, start, end; #extended:
 * before-id, after-id, ids), XEP-0059 paging (max, after, before, an empty
 * <before/> for the last page) and <flip-page/>. A pure function over the
 * validated bytes (unit im-mam-query); what the query means against an
 * archive is im_mam.c's.
 */
#ifndef SB_MAM_QUERY_H
#define SB_MAM_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "im_xml.h"
#include "jid.h"

#define SB_MAM_NS "urn:xmpp:mam:2"
#define SB_MAM_IDS_MAX 32u /* ids of one `ids` field */

struct sb_mam_query {
	const uint8_t *queryid;  /* raw attribute value in the query's bytes, or NULL */
	size_t queryid_len;
	bool has_with;
	struct sb_jid with;      /* normalised; bare: matches every resource */
	uint64_t start_us;       /* 0: none */
	uint64_t end_us;         /* UINT64_MAX: none */
	bool has_after_id, has_before_id;
	uint64_t after_id, before_id;   /* the form's #extended bounds */
	unsigned n_ids;
	uint64_t ids[SB_MAM_IDS_MAX];
	/* XEP-0059 */
	bool has_max;
	uint32_t max;
	bool has_after, has_before;
	bool before_last;        /* <before/> empty: the last page */
	uint64_t after, before;
	bool flip;
};

enum sb_mam_qerr {
	SB_MAM_Q_OK = 0,
	SB_MAM_Q_BAD_REQUEST,    /* a field or a value that does not parse */
	SB_MAM_Q_NOT_IMPLEMENTED,/* a field this server does not know */
	SB_MAM_Q_MAX,
};

/* Parse the <query xmlns='urn:xmpp:mam:2'/> element q. On SB_MAM_Q_OK, out
 * holds the query; pointers are into q's bytes. */
enum sb_mam_qerr sb_mam_query_parse(const struct imx_el *q, struct sb_mam_query *out);

#endif
