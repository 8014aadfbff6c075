/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's counters through DPDK telemetry, for dpdk-telemetry.py:
 *   /sb/counters      every counter summed over workers
 *   /sb/worker,<n>    one worker's counters
 *   /sb/tcp           lib/tcp's counters, summed
 *   /sb/c2s           lib/xmpp's c2s counters, summed
 */
#ifndef SB_DP_TELEMETRY_H
#define SB_DP_TELEMETRY_H

#include "shm.h"

int sb_telemetry_register(const struct sb_shm *shm);

#endif
