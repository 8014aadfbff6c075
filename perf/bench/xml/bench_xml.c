/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tokenizer throughput per core: lib/xml against expat (with and without
 * namespace processing) on the same generated c2s stream: a stream header
 * then message/presence/iq stanzas of realistic shapes (chat bodies with
 * entities and multibyte UTF-8, receipts, caps presence, roster/ping iqs),
 * about 64 MiB fed in 1460-byte chunks as they would come off TCP. Each
 * parser must find the same number of top-level elements. Prints a table;
 * the best of several passes counts.
 *
 * Usage: bench_xml [MiB] [passes] [parser index 0-3, to run only one]
 */
#include <expat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xml.h"

#define BENCH_CHUNK 1460u

static const char bench_hdr[] =
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' "
	"from='juliet@example.com' xml:lang='en'>";

static const char *const bench_words[] = {
	"hello", "wherefore", "art", "thou", "Romeo", "caf\xC3\xA9", "&lt;3",
	"\xE6\x97\xA5\xE6\x9C\xAC",
	"&amp;", "ok", "\xF0\x9F\x98\x80", "tomorrow", "at", "the", "balcony", "&quot;yes&quot;",
	"\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", "lunch?",
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

static size_t gen_stanza(char *p, size_t room, unsigned seq)
{
	unsigned kind = rng() % 100, u = rng() % 1000, v = rng() % 1000;
	int n;

	if (kind < 60) {
		char body[512];
		size_t b = 0, words = 3 + rng() % 30;

		for (size_t i = 0; i < words && b < sizeof(body) - 64; i++) {
			size_t nw = sizeof(bench_words) / sizeof(*bench_words);
			const char *w = bench_words[rng() % nw];

			b += (size_t)snprintf(body + b, sizeof(body) - b, "%s%s", i ? " " : "", w);
		}
		n = snprintf(p, room, "<message type='chat' to='user%u@example.com/phone' "
			     "from='user%u@example.com/laptop' id='m%u'><body>%s</body>"
			     "<request xmlns='urn:xmpp:receipts'/>"
			     "<active xmlns='http://jabber.org/protocol/chatstates'/></message>",
			     u, v, seq, body);
	} else if (kind < 85) {
		n = snprintf(p, room, "<presence from='user%u@example.com/r%u'><show>away</show>"
			     "<status>Out to lunch</status><priority>5</priority>"
			     "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
			     "node='https://conversations.im' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
			     "</presence>\n", u, v);
	} else if (kind < 95) {
		n = snprintf(p, room, "<iq type='get' id='r%u'><query xmlns='jabber:iq:roster' "
			     "ver='ver%u'/></iq>", seq, v);
	} else {
		n = snprintf(p, room, "<iq type='get' id='p%u' to='example.com'>"
			     "<ping xmlns='urn:xmpp:ping'/></iq> ", seq);
	}
	return n > 0 && (size_t)n < room ? (size_t)n : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* lib/xml; handoff: copy the ctx to a per-connection object whenever a
 * chunk ends inside a stanza, as the dataplane does. */
static size_t run_sb(const uint8_t *buf, size_t len, int handoff)
{
	static struct sb_xml_ctx lcore, own;
	struct sb_xml x;
	struct sb_xml_limits lim;
	size_t elements = 0;
	int owned = 0;

	sb_xml_init(&x);
	sb_xml_limits_default(&lim);
	for (size_t pos = 0; pos < len; pos += BENCH_CHUNK) {
		size_t n = len - pos < BENCH_CHUNK ? len - pos : BENCH_CHUNK, done = 0;
		struct sb_xml_ctx *c = owned ? &own : &lcore;

		while (done < n) {
			struct sb_xml_event ev;
			size_t used;
			enum sb_xml_status st = sb_xml_feed(&x, c, &lim, buf + pos + done, n - done,
							    &ev, &used);

			done += used;
			if (st == SB_XML_EVENT)
				elements += ev.type == SB_XML_EV_ELEMENT;
			else if (st != SB_XML_NEED_MORE)
				return 0;
			else
				break;
		}
		if (handoff && sb_xml_busy(&x) && !owned) {
			own = lcore;
			owned = 1;
		} else if (!sb_xml_busy(&x)) {
			owned = 0;
		}
	}
	return elements;
}

struct ex_count {
	int depth;
	size_t elements;
};

static void XMLCALL ex_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct ex_count *c = ud;

	(void)name;
	(void)atts;
	c->depth++;
}

static void XMLCALL ex_end(void *ud, const XML_Char *name)
{
	struct ex_count *c = ud;

	(void)name;
	if (c->depth-- == 2)
		c->elements++;
}

static size_t run_expat(const uint8_t *buf, size_t len, int ns)
{
	XML_Parser p = ns ? XML_ParserCreateNS("UTF-8", '|') : XML_ParserCreate("UTF-8");
	struct ex_count c = { 0, 0 };

	XML_SetUserData(p, &c);
	XML_SetElementHandler(p, ex_start, ex_end);
	for (size_t pos = 0; pos < len; pos += BENCH_CHUNK) {
		size_t n = len - pos < BENCH_CHUNK ? len - pos : BENCH_CHUNK;

		if (XML_Parse(p, (const char *)buf + pos, (int)n, 0) != XML_STATUS_OK) {
			XML_ParserFree(p);
			return 0;
		}
	}
	XML_ParserFree(p);
	return c.elements;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	unsigned passes = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 3;
	int only = argc > 3 ? (int)strtol(argv[3], NULL, 10) : -1;
	size_t cap = mib << 20, len, stanzas = 0;
	uint8_t *buf = malloc(cap + 4096);
	static const char *const names[] = {
		"lib/xml", "lib/xml + ctx handoff", "expat", "expat (namespaces)",
	};
	double best[4] = { 1e30, 1e30, 1e30, 1e30 };
	size_t found[4] = { 0 };

	if (buf == NULL || mib == 0)
		return 1;
	memcpy(buf, bench_hdr, sizeof(bench_hdr) - 1);
	len = sizeof(bench_hdr) - 1;
	while (len < cap) {
		size_t k = gen_stanza((char *)buf + len, cap + 4096 - len, (unsigned)stanzas);

		if (k == 0)
			break;
		len += k;
		stanzas++;
	}
	for (unsigned pass = 0; pass < passes; pass++) {
		for (int r = 0; r < 4; r++) {
			double t0 = now_s(), dt;

			if (only >= 0 && r != only) {
				found[r] = stanzas;
				continue;
			}
			found[r] = r < 2 ? run_sb(buf, len, r) : run_expat(buf, len, r == 3);
			dt = now_s() - t0;
			if (dt < best[r])
				best[r] = dt;
		}
	}
	printf("xml-tokenizer: %.1f MiB, %zu stanzas (avg %.0f B), %u-byte chunks, best of %u\n",
	       (double)len / (1 << 20), stanzas, (double)len / (double)stanzas, BENCH_CHUNK,
	       passes);
	printf("%-24s %10s %14s %12s %10s\n", "parser", "MB/s", "stanzas/s", "ns/stanza",
	       "elements");
	for (int r = 0; r < 4; r++)
		if (only < 0 || r == only)
				printf("%-24s %10.1f %14.0f %12.1f %10zu%s\n", names[r],
			       (double)len / best[r] / 1e6, (double)stanzas / best[r],
			       best[r] * 1e9 / (double)stanzas, found[r],
			       found[r] == stanzas ? "" : "  MISMATCH");
	free(buf);
	for (int r = 0; r < 4; r++)
		if (found[r] != stanzas)
			return 1;
	return 0;
}
