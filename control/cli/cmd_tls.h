/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The operator's TLS commands on the management socket: "tls reload"
 * (re-read every certificate and key from the configured paths and swap
 * them into every dataplane worker, without a restart or a dropped
 * session) and "tls status"; and the TLS block of "status" (certificates
 * in use, the smallest days to expiry). Both go through shared memory
 * (struct sb_shm_tls): the dataplane's main lcore does the work.
 */
#ifndef SB_CTL_CMD_TLS_H
#define SB_CTL_CMD_TLS_H

#include "out.h"
#include "shm.h"

/* How long "tls reload" waits for the dataplane's answer. */
#define SB_CMD_TLS_WAIT_MS 10000u

/* args: the rest of the request after "tls". Blocks the management thread
 * until the dataplane answers (typically a few hundred milliseconds: its
 * main lcore looks every 100 ms) or SB_CMD_TLS_WAIT_MS. */
void sb_cmd_tls_run(struct sb_shm *shm, const char *args, struct sb_out *o);

/* The TLS lines of "sbctl status". */
void sb_cmd_tls_status(struct sb_out *o, const struct sb_shm *shm);

#endif
