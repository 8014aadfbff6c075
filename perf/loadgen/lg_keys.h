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
#include "config_def_fields.h"
#include "lg_keys.def"
#include "config_def_end.h"
};

/* The extension over keys: lib/config fills *keys from files, overrides
 * and defaults. */
void sb_lg_keys_ext(struct sb_config_ext *ext, struct sb_lg_keys *keys);

#endif
