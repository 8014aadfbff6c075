/* SPDX-License-Identifier: BSD-3-Clause
 *
 * EAL arguments built from the configuration, for both processes (one place
 * decides how they attach; no DPDK header needed for that). The machine's own PCI
 * devices are never probed unless the configuration names one (--no-pci
 * otherwise), so a development box's NIC is never touched.
 */
#ifndef SB_CONFIG_EAL_H
#define SB_CONFIG_EAL_H

#include "config.h"

#define SB_EAL_ARGV_MAX 64

struct sb_eal_args {
	int argc;
	char *argv[SB_EAL_ARGV_MAX + 1];
	char buf[4096];
	size_t used;
};

/* Build the primary's argv into a. Returns 0 or -E2BIG. */
int sb_eal_args_primary(struct sb_eal_args *a, const char *prog, const struct sb_config *cfg);

/* Build a secondary's argv (sb-control): same file prefix, its own lcore
 * mapping, no devices probed. Returns 0 or -E2BIG. */
int sb_eal_args_secondary(struct sb_eal_args *a, const char *prog, const struct sb_config *cfg);

#endif
