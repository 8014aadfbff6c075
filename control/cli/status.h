/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The text of `sbctl status`: both processes, ports, workers, shards,
 * every ring's depth and heartbeat RTT, and the dataplane counters.
 */
#ifndef SB_CTL_STATUS_H
#define SB_CTL_STATUS_H

#include "attach.h"
#include "out.h"

void sb_status_write(struct sb_out *o, const struct sb_attach *a);

#endif
