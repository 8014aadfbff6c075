/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The XEP-0115 §5.1 verification string of a disco#info answer without
 * extended forms, hashed with SHA-1 and base64-encoded: what a <c/> ver
 * must equal before the server caches the answer for every session that
 * announces it. A pure function (unit `im-pep`).
 */
#ifndef SB_CAPS_VER_H
#define SB_CAPS_VER_H

#include <stdbool.h>

#define CAPS_VER_B64_LEN 28u /* base64 of 20 bytes */

/* ids: "category/type/lang/name" each, feats: feature vars; both are
 * sorted in place (octet order). out gets the ver, NUL-terminated. 0, or
 * -1 when hashing failed. */
int caps_ver_sha1(char **ids, unsigned ni, char **feats, unsigned nf,
		  char out[CAPS_VER_B64_LEN + 1]);

#endif
