/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One DPDK log type per dataplane module ("sb.<module>"), so an operator
 * can raise one module's level with --log-level=sb.port:debug. Never used
 * per packet: the hot path counts instead.
 */
#ifndef SB_DP_LOG_H
#define SB_DP_LOG_H

#include <rte_log.h>

extern int sb_logtype_main;
extern int sb_logtype_port;
extern int sb_logtype_shared;
extern int sb_logtype_tls;

#define SB_LOG(type, level, fmt, ...) \
	rte_log(RTE_LOG_##level, sb_logtype_##type, "sb.%s: " fmt "\n", #type, ##__VA_ARGS__)

#endif
