/* SPDX-License-Identifier: BSD-3-Clause
 *
 * "log level [LEVEL]": the level of sb-dataplane's sb.* log types (DPDK's
 * log, one type per module), shown or set through struct sb_shm_log; the
 * dataplane's main lcore applies it within 100 ms. sb-control writes only
 * failures and lifecycle lines to stderr, whatever the level.
 */
#ifndef SB_CTL_CMD_LOG_H
#define SB_CTL_CMD_LOG_H

#include "out.h"
#include "shm.h"

/* A level's number (1 emerg .. 8 debug, DPDK's), or 0 for an unknown name. */
unsigned sb_cmd_log_level_parse(const char *name);

/* Serve "log ARGS". */
void sb_cmd_log_run(struct sb_shm *shm, const char *args, struct sb_out *o);

#endif
