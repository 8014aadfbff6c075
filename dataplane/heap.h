/* SPDX-License-Identifier: BSD-3-Clause
 *
 * How much DPDK memory a piece of start-up took, for sbctl memory (the
 * mem_* gauges of dp_counters.def): DPDK's heap serves memzones, pools and
 * rte_malloc alike, so its growth around a worker's start-up, read on the
 * main lcore before any worker runs, is exactly what that state took.
 * rte_hash, for one, does not say its size any other way.
 */
#ifndef SB_DP_HEAP_H
#define SB_DP_HEAP_H

#include <stdint.h>

#include <rte_malloc.h>

/* Bytes allocated now from DPDK's heap on socket; 0 when it cannot say. */
static inline uint64_t sb_dp_heap_bytes(int socket)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats(socket, &st) < 0)
		return 0;
	return st.heap_allocsz_bytes;
}

#endif
