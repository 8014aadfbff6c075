/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TCP checksum (RFC 9293 §3.1): the 16-bit ones-complement of the
 * ones-complement sum over the IPv4 pseudo-header (RFC 9293 §3.1, "pseudo
 * header") and the segment. Summed in 32-bit words with carries folded at
 * the end (RFC 1071 §4.1), which is what the glue uses when the NIC cannot
 * offload it.
 */
#include <string.h>

#include "tcp.h"

static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* the odd byte is padded with a zero byte on the right, in network order */
		uint8_t last[2] = {p[0], 0};
		uint16_t h;

		memcpy(&h, last, 2);
		sum += h;
	}
	return sum;
}

uint16_t sb_tcp_csum_ipv4(uint32_t saddr, uint32_t daddr, const void *seg, size_t len)
{
	uint8_t ph[12];
	uint64_t sum;

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = 6; /* IPPROTO_TCP */
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	sum = csum_add(0, ph, sizeof(ph));
	sum = csum_add(sum, seg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
