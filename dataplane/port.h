/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Port bring-up: one RX/TX queue pair per worker lcore, checksum offloads
 * where the device has them, and the port's state published in shared
 * memory for sbctl.
 */
#ifndef SB_DP_PORT_H
#define SB_DP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "shm.h"

struct rte_mempool;

/* Configure and start port_id with n_queues queue pairs. *ret_tx_csum
 * tells whether IPv4 and TCP checksums are offloaded on TX. Returns 0 or a
 * negative errno; logs what failed. */
int sb_port_start(uint16_t port_id, uint16_t n_queues, struct rte_mempool *pool,
		  const struct sb_config *cfg, bool *ret_tx_csum);

/* Refresh the published link state and hardware counters. */
void sb_port_publish(uint16_t port_id, struct sb_shm_port *out);

void sb_port_stop(uint16_t port_id);


#endif
