/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The load generator's [loadgen] keys (lg_keys.def) as a struct of their
 * own, and their descriptors for lib/config's extension: sb-loadgen parses
 * them with the shared keys (sb_config_cli_ext), nothing else carries them.
 */
#ifndef SB_LG_KEYS_H
#define SB_LG_KEYS_H

#include <stddef.h>

#include "config.h"

struct sb_lg_keys {
#define SB_CFG_U64(s, k, d, lo, hi, h) SB_CONFIG_FIELD_U64(s, k)
#define SB_CFG_STR(s, k, d, h) SB_CONFIG_FIELD_STR(s, k)
#define SB_CFG_BOOL(s, k, d, h) SB_CONFIG_FIELD_BOOL(s, k)
#define SB_CFG_IPV4(s, k, d, h) SB_CONFIG_FIELD_IPV4(s, k)
#include "lg_keys.def"
#undef SB_CFG_U64
#undef SB_CFG_STR
#undef SB_CFG_BOOL
#undef SB_CFG_IPV4
};

/* The extension over keys: lib/config fills *keys from files, overrides
 * and defaults. */
void sb_lg_keys_ext(struct sb_config_ext *ext, struct sb_lg_keys *keys);

#endif
