/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Names for the shared counters, so both processes print the same words.
 */
#include "shm.h"

const char *const sb_dp_counter_names[SB_DP_CTR_MAX] = {
#define SB_DP_CTR(name, help) [SB_DP_CTR_##name] = #name,
#include "dp_counters.def"
#undef SB_DP_CTR
};

const char *const sb_tcp_counter_names[SB_SHM_TCP_MAX] = {
#define SB_TCP_CNT(name, help) [SB_SHM_TCP_##name] = #name,
#include "tcp_counters.def"
#undef SB_TCP_CNT
};

const char *const sb_c2s_counter_names[SB_SHM_C2S_MAX] = {
#define C2S_CTR(id, name) [SB_SHM_C2S_##id] = name,
#include "c2s_counters.def"
#undef C2S_CTR
};
