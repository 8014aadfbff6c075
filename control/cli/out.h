/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A bounded text buffer for replies to sbctl. Appends past the end are
 * dropped and remembered, so a reply is either whole or visibly cut.
 */
#ifndef SB_CTL_OUT_H
#define SB_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>

struct sb_out {
	char *buf;
	size_t size;
	size_t len;
	bool truncated;
};

void sb_out_init(struct sb_out *o, char *buf, size_t size);
void sb_out_printf(struct sb_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
