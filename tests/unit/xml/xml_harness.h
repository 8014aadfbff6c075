/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Test harness for lib/xml: feeds a stream in a chosen split, records every
 * event with its header resolved to strings (spans sliced out of the input
 * and decoded), and follows the dataplane's ctx discipline: a shared "lcore"
 * ctx that is scribbled over whenever the parser is not busy, and a private
 * copy kept only while an element is incomplete.
 */
#ifndef XML_HARNESS_H
#define XML_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "xml.h"

#define H_STREAM "<stream:stream xmlns='jabber:client' " \
		 "xmlns:stream='http://etherx.jabber.org/streams' " \
		 "to='example.com' version='1.0'>"
#define H_EVENTS_MAX 64
#define H_STR 96

struct h_rec {
	uint8_t type;
	uint64_t start, end;
	char name[SB_XML_HDR_NAME_BYTES], child[SB_XML_HDR_NAME_BYTES];
	uint8_t ns_src, child_ns_src;
	char ns[H_STR], child_ns[H_STR];
	char type_attr[H_STR], to[H_STR], from[H_STR], id[H_STR], version[H_STR], lang[H_STR];
	uint32_t id_flags;
	uint8_t hdr_flags;      /* SB_XML_HDR_F_* */
};

struct h_run {
	struct h_rec ev[H_EVENTS_MAX];
	size_t nev;
	uint32_t ws_total;      /* whitespace bytes between elements */
	uint32_t keepalives;    /* KEEPALIVE events (depends on the split) */
	enum sb_xml_status st;  /* last status: NEED_MORE, or the error */
	uint64_t err_off;       /* stream offset of the offending byte */
};

/* Feed in[0..len) in chunks of at most chunk bytes (0: one chunk), or split
 * once at cut when chunk is SIZE_MAX. */
void h_feed(struct h_run *r, const char *in, size_t len, size_t chunk, size_t cut,
	    const struct sb_xml_limits *lim);
/* Same, one chunk, default limits. */
void h_feed_all(struct h_run *r, const char *in);
/* Compare two runs event by event; returns 0 when identical. */
int h_cmp(const struct h_run *a, const struct h_run *b);

#endif
