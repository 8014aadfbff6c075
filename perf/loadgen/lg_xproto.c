/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The XMPP client pieces shared by sb-loadgen and sb-kclient (see
 * lg_xproto.h). The server's elements are read minimally: each function
 * looks for the one thing it needs in bytes lib/xml has already checked to
 * be one well-formed element.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "lg_xproto.h"
#include "lg_xsasl.h"
#include "scram.h"

#define LG_NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"

const char sb_lg_xp_bind[] =
	"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>";
const char sb_lg_xp_presence[] = "<presence/>";
const char sb_lg_xp_roster_get[] = "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>";

/* RFC 6120 §8.3.3, in its order; the last slot counts anything else. */
const char *const sb_lg_xp_cond_name[SB_LG_XP_CONDS] = {
	"bad-request", "conflict", "feature-not-implemented", "forbidden", "gone",
	"internal-server-error", "item-not-found", "jid-malformed", "not-acceptable",
	"not-allowed", "not-authorized", "policy-violation", "recipient-unavailable",
	"redirect", "registration-required", "remote-server-not-found",
	"remote-server-timeout", "resource-constraint", "service-unavailable",
	"subscription-required", "undefined-condition", "unexpected-request", "other",
};

static int lg_fit(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? -E2BIG : n;
}

int sb_lg_xp_header(char *out, size_t cap, const char *domain)
{
	return lg_fit(snprintf(out, cap,
			       "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
			       "xmlns:stream='http://etherx.jabber.org/streams' to='%s' "
			       "version='1.0'>", domain), cap);
}

int sb_lg_xp_auth(char *out, size_t cap, bool scram, const char *user, const char *password,
		  char cnonce[SB_LG_XP_NONCE_BYTES])
{
	char msg[256], b64[360];
	uint8_t rnd[18];
	int n;

	if (scram) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
		    sb_scram_b64_encode(rnd, sizeof(rnd), cnonce, SB_LG_XP_NONCE_BYTES) < 0)
			return -EIO;
		n = sb_lg_scram_first(msg, sizeof(msg), user, cnonce);
	} else {
		n = lg_fit(snprintf(msg, sizeof(msg), "%c%s%c%s", 0, user, 0, password),
			   sizeof(msg));
	}
	if (n < 0 || sb_scram_b64_encode((const uint8_t *)msg, (size_t)n, b64, sizeof(b64)) < 0)
		return -E2BIG;
	return lg_fit(snprintf(out, cap, "<auth xmlns='" LG_NS_SASL "' mechanism='%s'>%s</auth>",
			       scram ? "SCRAM-SHA-1" : "PLAIN", b64), cap);
}

/* The character data of a simple element <x ...>TEXT</x>: its start in
 * *ret_p, its length returned (0: empty). */
static int lg_text(const uint8_t *e, size_t len, const uint8_t **ret_p)
{
	const uint8_t *gt = memchr(e, '>', len), *lt;

	if (gt == NULL || gt[-1] == '/')
		return 0; /* empty element: empty payload */
	for (lt = e + len - 1; lt > gt && *lt != '<'; lt--)
		;
	*ret_p = gt + 1;
	return lt <= gt + 1 ? 0 : (int)(lt - gt - 1);
}

/* The base64 character data of e, decoded into out (NUL-terminated). */
static int lg_b64_content(const uint8_t *e, size_t len, char *out, size_t cap)
{
	const uint8_t *p = NULL;
	int n = lg_text(e, len, &p);

	if (n <= 0)
		return n;
	n = sb_scram_b64_decode((const char *)p, (size_t)n, (uint8_t *)out, cap - 1);
	if (n < 0)
		return -EINVAL;
	out[n] = '\0';
	return n;
}

int sb_lg_xp_response(char *out, size_t cap, struct sb_lg_scram_user *u, const char *user,
		      const char *password, const char *cnonce, const uint8_t *e, size_t len,
		      uint8_t ssig[20], bool *ran_pbkdf2)
{
	char sfm[256], cfm[256], b64[360];
	int n = lg_b64_content(e, len, sfm, sizeof(sfm));

	*ran_pbkdf2 = false;
	if (n <= 0)
		return -EINVAL;
	n = sb_lg_scram_final(u, user, password, cnonce, sfm, (size_t)n, cfm, sizeof(cfm), ssig,
			      ran_pbkdf2);
	if (n <= 0 || sb_scram_b64_encode((const uint8_t *)cfm, (size_t)n, b64, sizeof(b64)) < 0)
		return -EINVAL;
	return lg_fit(snprintf(out, cap, "<response xmlns='" LG_NS_SASL "'>%s</response>", b64),
		      cap);
}

bool sb_lg_xp_success_ok(const uint8_t ssig[20], const uint8_t *e, size_t len)
{
	char sfinal[128];
	int n = lg_b64_content(e, len, sfinal, sizeof(sfinal));

	return n > 0 && sb_lg_scram_verify(ssig, sfinal, (size_t)n);
}

int sb_lg_xp_chat(char *out, size_t cap, const char *to, const char *domain, uint64_t seq,
		  uint64_t stamp)
{
	const char *at = strchr(to, '@') != NULL ? "" : "@";

	return lg_fit(snprintf(out, cap,
			       "<message to='%s%s%s' type='chat'><body>%" PRIu64 " %" PRIu64
			       "</body></message>", to, at, *at ? domain : "", seq, stamp), cap);
}

static uint64_t lg_parse_u64(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	while (*p < end && **p >= '0' && **p <= '9')
		v = v * 10u + (uint64_t)(*(*p)++ - '0');
	return v;
}

int sb_lg_xp_chat_parse(const uint8_t *e, size_t len, uint64_t *seq, uint64_t *stamp)
{
	const uint8_t *b = memmem(e, len, "<body>", 6), *end = e + len, *p;

	if (b == NULL)
		return -EINVAL;
	p = b + 6;
	*seq = lg_parse_u64(&p, end);
	if (p == end || *p != ' ')
		return -EINVAL;
	p++;
	*stamp = lg_parse_u64(&p, end);
	return p == end || *p != '<' || *stamp == 0 ? -EINVAL : 0;
}

unsigned sb_lg_xp_cond(const uint8_t *e, size_t len)
{
	const uint8_t *end = e + len, *p = memmem(e, len, "<error", 6);

	while (p != NULL && (p = memchr(p + 1, '<', (size_t)(end - p - 1))) != NULL) {
		const uint8_t *q = p + 1;
		size_t n = 0;

		if (*q == '/')
			continue;
		while (q + n < end && q[n] != ' ' && q[n] != '/' && q[n] != '>')
			n++;
		for (unsigned i = 0; i + 1 < SB_LG_XP_CONDS; i++)
			if (strlen(sb_lg_xp_cond_name[i]) == n &&
			    memcmp(q, sb_lg_xp_cond_name[i], n) == 0)
				return i;
	}
	return SB_LG_XP_CONDS - 1;
}

int sb_lg_xp_bound_jid(const uint8_t *e, size_t len, char *out, size_t cap)
{
	const uint8_t *j = memmem(e, len, "<jid>", 5), *end;

	if (j == NULL)
		return -EINVAL;
	j += 5;
	end = memmem(j, len - (size_t)(j - e), "</jid>", 6);
	if (end == NULL || (size_t)(end - j) >= cap)
		return -EINVAL;
	memcpy(out, j, (size_t)(end - j));
	out[end - j] = '\0';
	return (int)(end - j);
}

uint64_t sb_lg_xp_roster_items(const uint8_t *e, size_t len)
{
	uint64_t n = 0;

	/* "<item" followed by a space, '/' or '>': not <items/> or the like. */
	for (size_t i = 0; i + 6 <= len; i++)
		if (e[i] == '<' && memcmp(e + i + 1, "item", 4) == 0 &&
		    (e[i + 5] == ' ' || e[i + 5] == '/' || e[i + 5] == '>'))
			n++;
	return n;
}
