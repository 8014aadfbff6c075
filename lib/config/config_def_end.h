/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ends config_def_fields.h or config_def_keys.h. No include guard.
 */
#undef SB_CFG_U64
#undef SB_CFG_STR
#undef SB_CFG_BOOL
#undef SB_CFG_IPV4
#undef SB_CONFIG_KEYS_OF
