/* SPDX-License-Identifier: BSD-3-Clause
 *
 * "top sample": the cumulative figures `sbctl top` turns into a row per
 * interval (control/sbctl/sbctl_top.h lists the keys), answered on the
 * management thread from shared memory, the rings and the shards' tables.
 */
#ifndef SB_CTL_CMD_TOP_H
#define SB_CTL_CMD_TOP_H

#include "out.h"

struct sb_metrics_src;

/* args: "sample" (the only one). */
void sb_cmd_top_run(const struct sb_metrics_src *src, const char *args, struct sb_out *o);

#endif
