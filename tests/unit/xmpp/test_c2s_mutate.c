/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/xmpp under mutated input: a few thousand deterministic mutations of
 * realistic transcripts, fed in random chunk sizes with random answers to
 * the asynchronous actions. Whatever the client sends, every stream the
 * server writes is namespace-well-formed XML (checked with expat), every
 * routed stanza is namespace-well-formed on its own (it declares every
 * prefix it uses) and starts with the stamped from and carries no other
 * attribute whose local name is from, and every aux object goes back to
 * the pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <expat.h>

#include "c2s_harness.h"

#define ITERATIONS 20000
#define NS_SEP '\x01' /* expanded names: not an XML Char, so in no namespace name */

static const char *const base[] = {
	H_OPEN "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
	"AGp1bGlldABzZWNyZXQ=</auth>" H_OPEN
	"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
	"<resource>bal'c&amp;ony</resource></bind></iq>"
	"<iq type='set' id='s'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"
	"<presence><show>away</show></presence>"
	"<message to='romeo@example.com' from='evil@example.com' type='chat' id=\"m'1\">"
	"<body>hi &lt;3</body></message>"
	"<iq type='get' id='p' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>"
	"<iq type='get' id='v' to='example.com'><query xmlns='jabber:iq:version'/></iq>"
	"</stream:stream>",
	H_OPEN "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
	"biwsbj1qdWxpZXQscj1hYmNkZWY=</auth>"
	"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1iaXdzLHI9YWJj</response>"
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>"
	"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AGp1bGlldABzZWNyZXQ=</response>"
	H_OPEN "<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
	"<message to='a@b/c' from = \"x\"\n id='z'/><presence type='unavailable'/>",
	/* issue 14's shapes: prefixes from the header, qualified addresses */
	H_OPEN "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
	"AGp1bGlldABzZWNyZXQ=</auth>"
	"<stream:stream xmlns='jabber:client' xmlns:x='urn:a' "
	"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"
	"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
	"<message to='bob@example.com'><x:y xmlns:x='urn:b' x:a='1'/></message>"
	"<message xmlns:c='jabber:client' to='bob@example.com' c:from='v@example.com/r'/>"
	"<presence><priority>-1</priority><x:p xmlns:x='urn:p'/></presence>"
	"<message to='bob@example.com'><x:y/></message>",
};

static const char interesting[] = "<>/='\"&;:@ \n\t#x0123abcdefmoistuvAZ";

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static size_t mutate(char *buf, size_t len, size_t cap)
{
	int n = 1 + (int)(next() % 4);

	for (int k = 0; k < n && len > 2; k++) {
		size_t at = next() % len, span;

		switch (next() % 4) {
		case 0:
			buf[at] = interesting[next() % (sizeof(interesting) - 1)];
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = interesting[next() % (sizeof(interesting) - 1)];
				len++;
			}
			break;
		case 2:
			memmove(buf + at, buf + at + 1, len - at - 1);
			len--;
			break;
		default:
			span = 1 + next() % 40;
			if (at + span <= len && len + span < cap) {
				memmove(buf + at + span, buf + at, len - at);
				len += span;
			}
			break;
		}
	}
	buf[len] = '\0';
	return len;
}

/* Each stream the server wrote (split at our XML declarations) must parse. */
static void check_output(const char *s)
{
	static const char decl[] = "<?xml version='1.0'?>";

	while (*s) {
		const char *end = strstr(s + 1, decl);
		size_t n = end ? (size_t)(end - s) : strlen(s);
		XML_Parser p = XML_ParserCreateNS(NULL, NS_SEP);

		if (XML_Parse(p, s, (int)n, 0) != XML_STATUS_OK) {
			fprintf(stderr, "server output not well-formed (%s): %.*s\n",
				XML_ErrorString(XML_GetErrorCode(p)), (int)n, s);
			fail();
		}
		XML_ParserFree(p);
		s += n;
	}
}

struct route_check {
	const char *from_attr;
	int from_count;
};

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct route_check *rc = ud;

	(void)name;
	if (rc->from_attr == NULL)
		return;
	for (int i = 0; atts[i] != NULL; i += 2) {
		const char *local = strrchr(atts[i], NS_SEP);

		if (strcmp(local ? local + 1 : atts[i], "from") == 0)
			rc->from_count++;
	}
	rc->from_attr = NULL; /* only the stanza element itself */
}

/* " from='<escaped jid>'" as the server must write it. */
static void stamped(const char *jid, size_t n, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, " from='");

	for (size_t i = 0; i < n; i++) {
		const char *e = NULL;
		char one[2] = { jid[i], 0 };

		switch (jid[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '\'': e = "&apos;"; break;
		case '"': e = "&quot;"; break;
		default: e = one; break;
		}
		assert_true(o + strlen(e) + 2 < cap);
		memcpy(out + o, e, strlen(e));
		o += strlen(e);
	}
	memcpy(out + o, "'", 2);
}

static void on_route(struct h_conn *h)
{
	char prefix[20000];
	size_t bl;
	const char *b = sb_c2s_full_jid(&h->c, &bl), *sp;
	struct route_check rc = { "from", 0 };
	XML_Parser p;

	assert_true(sb_c2s_bound(&h->c));
	/* the stamped attribute, escaped, right after the element name */
	stamped(b, bl, prefix, sizeof(prefix));
	sp = strchr(h->routed, ' ');
	assert_non_null(sp);
	assert_memory_equal(sp, prefix, strlen(prefix));
	p = XML_ParserCreateNS(NULL, NS_SEP);
	XML_SetUserData(p, &rc);
	XML_SetStartElementHandler(p, on_start);
	if (XML_Parse(p, h->routed, (int)h->routed_len, 1) != XML_STATUS_OK) {
		fprintf(stderr, "routed stanza not well-formed: %s\n", h->routed);
		fail();
	}
	XML_ParserFree(p);
	assert_int_equal(rc.from_count, 1);
}

static void answer(struct h_conn *h, const struct sb_scram_creds *cr)
{
	while (sb_c2s_waiting(&h->c)) {
		switch (h_last(h)) {
		case SB_C2S_ACT_AUTH_LOOKUP:
			h_credentials(h, next() % 2 ? &cr[h->mech] : NULL);
			break;
		case SB_C2S_ACT_AUTH_PLAIN_VERIFY:
			h_plain(h, next() % 4 != 0);
			break;
		case SB_C2S_ACT_BIND_REQUEST:
			if (next() % 4 == 0)
				h_bind(h, SB_C2S_BIND_CONFLICT, NULL);
			else
				h_bind(h, SB_C2S_BIND_OK, h->jid);
			break;
		default:
			fail();
		}
	}
}

static void test_mutations(void **state)
{
	struct h_conn *h = calloc(1, sizeof(*h));
	struct sb_scram_creds cr[SB_SCRAM_MECH_MAX];
	static char buf[8192], part[8192];
	unsigned routed = 0, closed = 0;

	(void)state;
	h_creds(SB_SCRAM_SHA1, "secret", &cr[SB_SCRAM_SHA1]);
	h_creds(SB_SCRAM_SHA256, "secret", &cr[SB_SCRAM_SHA256]);
	for (int it = 0; it < ITERATIONS; it++) {
		const char *b = base[next() % (sizeof(base) / sizeof(base[0]))];
		size_t len = strlen(b), chunk = 1 + next() % 200;

		memcpy(buf, b, len + 1);
		if (it % 10 != 0)
			len = mutate(buf, len, sizeof(buf) - 1);
		h_init(h);
		h->on_route = on_route;
		for (size_t i = 0; i < len && !h->closed; i += chunk) {
			size_t k = len - i < chunk ? len - i : chunk;

			memcpy(part, buf + i, k);
			part[k] = '\0';
			h_send(h, part);
			answer(h, cr);
		}
		check_output(h->sent);
		for (size_t i = 0; i < h->nacts; i++)
			routed += h->acts[i] == SB_C2S_ACT_ROUTE;
		closed += h->closed;
		sb_c2s_release(&h->c, &h->env);
		assert_int_equal(h->aux_in_use, 0);
	}
	print_message("routed %u, closed %u of %d runs\n", routed, closed, ITERATIONS);
	/* the corpus reaches the interesting states, not only early errors */
	assert_true(routed > ITERATIONS / 10);
	assert_true(closed > ITERATIONS / 10);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
