/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The workers' counter directory (counters.c). Group names are what sbctl
 * status and the telemetry endpoints print counters under.
 */
#ifndef SB_DP_COUNTERS_DIR_H
#define SB_DP_COUNTERS_DIR_H

#include "shm.h"

#define SB_DP_GROUP_DATAPLANE "dataplane" /* dp_counters.def */
#define SB_DP_GROUP_TCP "tcp"             /* lib/tcp/tcp_counters.def */
#define SB_DP_GROUP_C2S "c2s"             /* lib/xmpp/c2s_counters.def */
#define SB_DP_GROUP_TLS "tls"             /* lib/tls/tls_counters.def */

/* Write shm->worker_dir. 0, or -ENOSPC when the counters outgrow
 * SB_SHM_DIR_MAX entries. */
int sb_dp_counters_describe(struct sb_shm *shm);

#endif
