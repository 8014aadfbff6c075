/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See allow.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "allow.h"

/* One "addr[/len]" of at most 63 characters into n. 0 or -EINVAL. */
static int allow_parse_one(struct sb_allow_net *n, const char *tok, size_t len)
{
	char buf[64];
	char *slash, *end;
	unsigned long prefix;
	unsigned max;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, tok, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	prefix = max;
	if (slash != NULL) {
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno != 0 || prefix > max)
			return -EINVAL;
	}
	n->prefix = (uint8_t)prefix;
	for (unsigned bit = (unsigned)prefix; bit < max; bit++)
		n->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

int sb_allow_parse(struct sb_allow *a, const char *list, char *why, size_t why_len)
{
	const char *p = list;

	a->n = 0;
	for (;;) {
		size_t len;

		p += strspn(p, " ,\t");
		if (*p == '\0')
			return 0;
		len = strcspn(p, " ,\t");
		if (a->n == SB_ALLOW_MAX) {
			snprintf(why, why_len, "more than %d networks", SB_ALLOW_MAX);
			return -E2BIG;
		}
		if (allow_parse_one(&a->net[a->n], p, len) < 0) {
			snprintf(why, why_len, "'%.*s' is not an address or address/prefix",
				 (int)(len > 64 ? 64 : len), p);
			return -EINVAL;
		}
		a->n++;
		p += len;
	}
}

static bool allow_in(const struct sb_allow_net *n, const uint8_t *addr)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (memcmp(n->addr, addr, full) != 0)
		return false;
	return rest == 0 || ((addr[full] ^ n->addr[full]) & (uint8_t)(0xffu << (8 - rest))) == 0;
}

bool sb_allow_match(const struct sb_allow *a, const struct sockaddr *sa)
{
	const uint8_t *addr;
	uint8_t family;

	if (sa->sa_family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		family = 4;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		addr = a6->s6_addr;
		family = 6;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			addr += 12;
			family = 4;
		}
	} else {
		return false;
	}
	for (unsigned i = 0; i < a->n; i++)
		if (a->net[i].family == family && allow_in(&a->net[i], addr))
			return true;
	return false;
}
