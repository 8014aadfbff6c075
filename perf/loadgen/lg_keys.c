/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See lg_keys.h: the descriptor table generated from lg_keys.def.
 */
#include "lg_keys.h"

static const struct sb_config_key lg_key_table[] = {
#define SB_CONFIG_KEYS_OF struct sb_lg_keys
#include "config_def_keys.h"
#include "lg_keys.def"
#include "config_def_end.h"
};

_Static_assert(sizeof(lg_key_table) / sizeof(lg_key_table[0]) <= SB_CONFIG_EXT_KEYS_MAX,
	       "lib/config takes at most SB_CONFIG_EXT_KEYS_MAX keys of a program's own");

void sb_lg_keys_ext(struct sb_config_ext *ext, struct sb_lg_keys *keys)
{
	ext->keys = lg_key_table;
	ext->n = sizeof(lg_key_table) / sizeof(lg_key_table[0]);
	ext->base = keys;
}
