/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/jid: splitting a JID into its parts (RFC 7622 §3.1), the ASCII fast
 * path of each part's normalisation, domain label checks (RFC 7622 §3.2,
 * RFC 5890 §2.3.1), IP literals, comparison and formatting. Anything
 * non-ASCII is handed to jid_precis.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "jid.h"
#include "jid_priv.h"

#define JID_LABEL_MAX 63u /* RFC 1034 §3.1 */

static const char *const jid_reason_names[SB_JID_REASON_MAX] = {
	[SB_JID_OK] = "ok",
	[SB_JID_EMPTY_LOCAL] = "empty_local",
	[SB_JID_EMPTY_DOMAIN] = "empty_domain",
	[SB_JID_EMPTY_RESOURCE] = "empty_resource",
	[SB_JID_LOCAL_TOO_LONG] = "local_too_long",
	[SB_JID_DOMAIN_TOO_LONG] = "domain_too_long",
	[SB_JID_RESOURCE_TOO_LONG] = "resource_too_long",
	[SB_JID_LOCAL_FORBIDDEN] = "local_forbidden",
	[SB_JID_LOCAL_DISALLOWED] = "local_disallowed",
	[SB_JID_RESOURCE_DISALLOWED] = "resource_disallowed",
	[SB_JID_BAD_UTF8] = "bad_utf8",
	[SB_JID_DOMAIN_LABEL] = "domain_label",
	[SB_JID_DOMAIN_IDNA] = "domain_idna",
	[SB_JID_IP_LITERAL] = "ip_literal",
};

const char *sb_jid_reason_str(enum sb_jid_reason why)
{
	if ((unsigned)why >= SB_JID_REASON_MAX)
		return "unknown";
	return jid_reason_names[why];
}

int jid_fail(enum sb_jid_reason *why, enum sb_jid_reason r)
{
	if (why != NULL)
		*why = r;
	switch (r) {
	case SB_JID_OK:
		return 0;
	case SB_JID_LOCAL_TOO_LONG:
	case SB_JID_DOMAIN_TOO_LONG:
	case SB_JID_RESOURCE_TOO_LONG:
		return -ENAMETOOLONG;
	case SB_JID_LOCAL_FORBIDDEN:
	case SB_JID_LOCAL_DISALLOWED:
	case SB_JID_RESOURCE_DISALLOWED:
	case SB_JID_BAD_UTF8:
		return -EILSEQ;
	default:
		return -EINVAL;
	}
}

static bool jid_has_high(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* RFC 7622 §3.3.1: these ASCII characters are never allowed in a localpart,
 * even though PRECIS IdentifierClass would accept them. */
static bool jid_local_forbidden(unsigned char c)
{
	return c == ' ' || c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' ||
	       c == '<' || c == '>' || c == '@';
}

/* ASCII localpart: IdentifierClass admits exactly %x21-7E (RFC 8264 §9.11);
 * UsernameCaseMapped's only effect on ASCII is lower-casing (RFC 8265 §3.3.2:
 * width mapping and NFC leave ASCII unchanged). */
static int jid_ascii_local(const char *in, size_t len, char *out, enum sb_jid_reason *why)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (jid_local_forbidden(c))
			return jid_fail(why, SB_JID_LOCAL_FORBIDDEN);
		if (c < 0x21 || c > 0x7e)
			return jid_fail(why, SB_JID_LOCAL_DISALLOWED);
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	return 0;
}

int sb_jid_local_normalise(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
			   enum sb_jid_reason *why)
{
	int rc;

	if (len == 0)
		return jid_fail(why, SB_JID_EMPTY_LOCAL);
	if (len > SB_JID_PART_MAX)
		return jid_fail(why, SB_JID_LOCAL_TOO_LONG);
	if (jid_has_high(in, len))
		return jid_precis_local(in, len, out, cap, out_len, why);
	if (cap < len + 1)
		return -ENOSPC;
	rc = jid_ascii_local(in, len, out, why);
	if (rc < 0)
		return rc;
	out[len] = '\0';
	*out_len = len;
	return jid_fail(why, SB_JID_OK);
}

/* OpaqueString on ASCII: FreeformClass admits %x20-7E and maps nothing. */
static int jid_ascii_resource(const char *in, size_t len, char *out, enum sb_jid_reason *why)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c > 0x7e)
			return jid_fail(why, SB_JID_RESOURCE_DISALLOWED);
		out[i] = (char)c;
	}
	return 0;
}

/* RFC 7622 §3.2 allows an IPv6 literal in brackets; it is kept in the RFC
 * 5952 canonical text form so that equal addresses compare equal. */
static int jid_ip_literal(const char *in, size_t len, char *out, size_t *out_len,
			  enum sb_jid_reason *why)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	size_t n;

	if (len < 3 || in[len - 1] != ']' || len - 2 >= sizeof(tmp))
		return jid_fail(why, SB_JID_IP_LITERAL);
	memcpy(tmp, in + 1, len - 2);
	tmp[len - 2] = '\0';
	if (inet_pton(AF_INET6, tmp, &a6) != 1 ||
	    inet_ntop(AF_INET6, &a6, tmp, sizeof(tmp)) == NULL)
		return jid_fail(why, SB_JID_IP_LITERAL);
	n = strlen(tmp);
	out[0] = '[';
	memcpy(out + 1, tmp, n);
	out[n + 1] = ']';
	*out_len = n + 2;
	return 0;
}

/* One ASCII label: 1..63 LDH octets, no hyphen at either end (RFC 5890
 * §2.3.1 NR-LDH). A label with "--" in positions 3-4 is an R-LDH label: an
 * "xn--" A-label is sent to IDNA (RFC 7622 §3.2.1 wants U-labels), any
 * other is refused. Returns 1 if the label needs IDNA. */
static int jid_ascii_label(const char *l, size_t n, enum sb_jid_reason *why)
{
	if (n == 0 || n > JID_LABEL_MAX || l[0] == '-' || l[n - 1] == '-')
		return jid_fail(why, SB_JID_DOMAIN_LABEL);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return jid_fail(why, SB_JID_DOMAIN_LABEL);
	}
	if (n >= 4 && l[2] == '-' && l[3] == '-') {
		if ((l[0] | 0x20) == 'x' && (l[1] | 0x20) == 'n')
			return 1;
		return jid_fail(why, SB_JID_DOMAIN_LABEL);
	}
	return 0;
}

static int jid_domain(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
		      enum sb_jid_reason *why)
{
	size_t start = 0;
	int rc;

	/* RFC 7622 §3.2: one final label separator is stripped before use. */
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0)
		return jid_fail(why, SB_JID_EMPTY_DOMAIN);
	if (len > SB_JID_PART_MAX)
		return jid_fail(why, SB_JID_DOMAIN_TOO_LONG);
	if (in[0] == '[')
		return jid_ip_literal(in, len, out, out_len, why);
	if (jid_has_high(in, len))
		return jid_idna_domain(in, len, out, cap, out_len, why);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && in[i] != '.')
			continue;
		rc = jid_ascii_label(in + start, i - start, why);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return jid_idna_domain(in, len, out, cap, out_len, why);
		start = i + 1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	*out_len = len;
	return 0;
}

static int jid_resource(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
			enum sb_jid_reason *why)
{
	int rc;

	if (len > SB_JID_PART_MAX)
		return jid_fail(why, SB_JID_RESOURCE_TOO_LONG);
	if (jid_has_high(in, len))
		return jid_precis_resource(in, len, out, cap, out_len, why);
	rc = jid_ascii_resource(in, len, out, why);
	*out_len = len;
	return rc;
}

/* RFC 7622 §3.1: the separators are found before any part is transformed,
 * the first '/' ends the bare JID and the first '@' before it ends the
 * localpart; a resourcepart may itself contain '@' and '/'. */
int sb_jid_parse_why(struct sb_jid *out, const char *s, size_t len, enum sb_jid_reason *why)
{
	const char *slash = memchr(s, '/', len);
	size_t bare_len = slash ? (size_t)(slash - s) : len;
	const char *at = memchr(s, '@', bare_len);
	size_t pos = 0, n = 0;
	int rc;

	memset(out, 0, offsetof(struct sb_jid, buf));
	if (at != NULL) {
		rc = sb_jid_local_normalise(s, (size_t)(at - s), out->buf, SB_JID_PART_MAX + 1, &n,
					    why);
		if (rc < 0)
			return rc == -ENOSPC ? jid_fail(why, SB_JID_LOCAL_TOO_LONG) : rc;
		out->local_len = (uint16_t)n;
		out->buf[n] = '@';
		pos = n + 1;
	}
	{
		const char *d = at ? at + 1 : s;

		rc = jid_domain(d, (size_t)(s + bare_len - d), out->buf + pos, SB_JID_PART_MAX + 1,
				&n, why);
		if (rc < 0)
			return rc;
		out->domain_len = (uint16_t)n;
		pos += n;
	}
	if (slash != NULL) {
		size_t rlen = len - bare_len - 1;

		if (rlen == 0)
			return jid_fail(why, SB_JID_EMPTY_RESOURCE);
		out->buf[pos++] = '/';
		rc = jid_resource(slash + 1, rlen, out->buf + pos, SB_JID_PART_MAX + 1, &n, why);
		if (rc < 0)
			return rc;
		out->resource_len = (uint16_t)n;
		pos += n;
	}
	out->buf[pos] = '\0';
	out->full_len = (uint16_t)pos;
	return jid_fail(why, SB_JID_OK);
}

int sb_jid_parse(struct sb_jid *out, const char *s, size_t len)
{
	return sb_jid_parse_why(out, s, len, NULL);
}

bool sb_jid_bare_eq(const struct sb_jid *a, const struct sb_jid *b)
{
	size_t la, lb;
	const char *pa = sb_jid_bare(a, &la), *pb = sb_jid_bare(b, &lb);

	return a->local_len == b->local_len && la == lb && memcmp(pa, pb, la) == 0;
}

bool sb_jid_full_eq(const struct sb_jid *a, const struct sb_jid *b)
{
	return a->local_len == b->local_len && a->resource_len == b->resource_len &&
	       a->full_len == b->full_len && memcmp(a->buf, b->buf, a->full_len) == 0;
}

size_t sb_jid_format(const struct sb_jid *j, bool bare, char *buf, size_t size)
{
	size_t n = j->full_len;
	size_t copy;

	if (bare)
		sb_jid_bare(j, &n);
	if (size == 0)
		return n;
	copy = n < size ? n : size - 1;
	memcpy(buf, j->buf, copy);
	buf[copy] = '\0';
	return n;
}
