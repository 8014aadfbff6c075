/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Include before a .def of SB_CFG_* lines inside an array of struct
 * sb_config_key, with SB_CONFIG_KEYS_OF defined as the struct that holds
 * the values: each line becomes its descriptor (config.h's
 * SB_CONFIG_KEY_*). Close with config_def_end.h. No include guard.
 */
#define SB_CFG_U64(s, k, d, lo, hi, h) SB_CONFIG_KEY_U64(SB_CONFIG_KEYS_OF, s, k, d, lo, hi)
#define SB_CFG_STR(s, k, d, h) SB_CONFIG_KEY_STR(SB_CONFIG_KEYS_OF, s, k, d)
#define SB_CFG_BOOL(s, k, d, h) SB_CONFIG_KEY_BOOL(SB_CONFIG_KEYS_OF, s, k, d)
#define SB_CFG_IPV4(s, k, d, h) SB_CONFIG_KEY_IPV4(SB_CONFIG_KEYS_OF, s, k, d)
