/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The workers' counter directory in shared memory (lib/msg/shm.h), written
 * once at start, before any worker runs: every counter the gateway's
 * workers publish, by group, with its help text and its place in struct
 * sb_shm_worker. sbctl status and the telemetry endpoints print from it.
 */
#include <stddef.h>

#include "c2s.h"
#include "counters.h"
#include "dp_counters.h"
#include "tcp.h"
#include "tls.h"
#include "xmpp/xc.h"

static const struct sb_ctr_desc dp_ctr_desc[SB_DP_CTR_MAX] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_DP_CTR_, name, help)
#include "dp_counters.def"
#undef SB_CTR
};

#define DP_SLOT_OFFSET(slot) (offsetof(struct sb_shm_worker, ctr) + (slot) * sizeof(uint64_t))

int sb_dp_counters_describe(struct sb_shm *shm)
{
	struct sb_shm_ctr_dir *d = &shm->worker_dir;
	int rc;

	sb_shm_dir_reset(d);
	rc = sb_shm_dir_add(d, SB_DP_GROUP_DATAPLANE, dp_ctr_desc, SB_DP_CTR_MAX, DP_SLOT_OFFSET(0));
	if (rc == 0)
		rc = sb_shm_dir_add(d, SB_DP_GROUP_TCP, sb_tcp_ctr_desc, SB_TCP_CNT_MAX,
				    DP_SLOT_OFFSET(SB_DP_SLOT_TCP));
	if (rc == 0)
		rc = sb_shm_dir_add(d, SB_DP_GROUP_C2S, sb_c2s_ctr_desc, SB_C2S_CTR_MAX,
				    DP_SLOT_OFFSET(SB_XC_CTR_SLOT));
	if (rc == 0)
		rc = sb_shm_dir_add(d, SB_DP_GROUP_TLS, sb_tls_ctr_desc, SB_TLS_CTR_MAX,
				    DP_SLOT_OFFSET(SB_XC_TLS_SLOT));
	if (rc == 0)
		sb_shm_dir_publish(d);
	return rc;
}
