/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See lg_keys.h: the descriptor table generated from lg_keys.def.
 */
#include "lg_keys.h"

static const struct sb_config_key lg_key_table[] = {
#define SB_CFG_U64(s, k, d, lo, hi, h) SB_CONFIG_KEY_U64(struct sb_lg_keys, s, k, d, lo, hi)
#define SB_CFG_STR(s, k, d, h) SB_CONFIG_KEY_STR(struct sb_lg_keys, s, k, d)
#define SB_CFG_BOOL(s, k, d, h) SB_CONFIG_KEY_BOOL(struct sb_lg_keys, s, k, d)
#define SB_CFG_IPV4(s, k, d, h) SB_CONFIG_KEY_IPV4(struct sb_lg_keys, s, k, d)
#include "lg_keys.def"
#undef SB_CFG_U64
#undef SB_CFG_STR
#undef SB_CFG_BOOL
#undef SB_CFG_IPV4
};

_Static_assert(sizeof(lg_key_table) / sizeof(lg_key_table[0]) <= SB_CONFIG_EXT_KEYS_MAX,
	       "lib/config takes at most SB_CONFIG_EXT_KEYS_MAX keys of a program's own");

void sb_lg_keys_ext(struct sb_config_ext *ext, struct sb_lg_keys *keys)
{
	ext->keys = lg_key_table;
	ext->n = sizeof(lg_key_table) / sizeof(lg_key_table[0]);
	ext->base = keys;
}
