/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The descriptions of lib/tcp's counters, from tcp_counters.def.
 */
#include "tcp.h"

const struct sb_ctr_desc sb_tcp_ctr_desc[SB_TCP_CNT_MAX] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_TCP_CNT_, name, help)
#include "tcp_counters.def"
#undef SB_CTR
};
