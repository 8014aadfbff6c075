/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Who may scrape the metrics endpoint: a list of IPv4 and IPv6 networks
 * ("198.51.100.0/24 2001:db8::/32 127.0.0.1"; a bare address is one host),
 * parsed once from metrics.allow and matched against every connecting peer
 * before a byte of it is read. An empty list admits nobody: exposing the
 * figures is a decision, never a default that slipped through. An IPv4
 * peer reaching an IPv6 socket (::ffff:a.b.c.d) is matched as IPv4.
 */
#ifndef SB_METRICS_ALLOW_H
#define SB_METRICS_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define SB_ALLOW_MAX 32 /* networks in one list */

struct sb_allow_net {
	uint8_t family;   /* 4 or 6 */
	uint8_t prefix;   /* bits */
	uint8_t addr[16]; /* network byte order, host bits cleared */
};

struct sb_allow {
	unsigned n;
	struct sb_allow_net net[SB_ALLOW_MAX];
};

/* Parse a list separated by spaces or commas. 0, or -EINVAL (a bad entry,
 * named in why) or -E2BIG (more than SB_ALLOW_MAX). */
int sb_allow_parse(struct sb_allow *a, const char *list, char *why, size_t why_len);

/* Whether sa (AF_INET or AF_INET6) is inside one of the networks. */
bool sb_allow_match(const struct sb_allow *a, const struct sockaddr *sa);

#endif
