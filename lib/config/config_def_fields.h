/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Include before a .def of SB_CFG_* lines inside a struct: each line
 * becomes its field (config.h's SB_CONFIG_FIELD_*). Close with
 * config_def_end.h. No include guard: meant to be included many times.
 */
#define SB_CFG_U64(s, k, d, lo, hi, h) SB_CONFIG_FIELD_U64(s, k)
#define SB_CFG_STR(s, k, d, h) SB_CONFIG_FIELD_STR(s, k)
#define SB_CFG_BOOL(s, k, d, h) SB_CONFIG_FIELD_BOOL(s, k)
#define SB_CFG_IPV4(s, k, d, h) SB_CONFIG_FIELD_IPV4(s, k)
