/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The three ways the sample stream of metric.h is printed, each a sink that
 * appends to a bounded reply (cli/out.h):
 *
 *   text        `sbctl stats`: one line per sample, "GROUP NAME VALUE" or
 *               "GROUP NAME{k=v,...} VALUE", for awk and eyes.
 *   json        `sbctl stats --json`, shape version 1 (docs/OPERATIONS.md):
 *               {"version":1,
 *                "counters":{GROUP:{NAME:VALUE | [{"labels":{K:V},"value":VALUE}]}},
 *                "gauges":  {GROUP:{NAME:VALUE | [...]}}}
 *               A name has an array exactly when its samples carry labels.
 *   prometheus  text exposition format 0.0.4: per family one # HELP and one
 *               # TYPE line, named switchboard_GROUP_NAME in lower case,
 *               counters with the _total suffix.
 *
 * Usage: sb_expo_begin(), pass sb_expo_sample as the producer's sink with
 * the struct sb_expo as its argument, then sb_expo_end().
 */
#ifndef SB_METRICS_EXPO_H
#define SB_METRICS_EXPO_H

#include <stdbool.h>

#include "metric.h"
#include "out.h"

enum sb_expo_format {
	SB_EXPO_TEXT,
	SB_EXPO_JSON,
	SB_EXPO_PROMETHEUS,
	SB_EXPO_FORMAT_MAX
};

#define SB_EXPO_JSON_VERSION 1
#define SB_EXPO_PREFIX "switchboard_"

struct sb_expo {
	struct sb_out *o;
	enum sb_expo_format format;
	/* The family being written, to know when one closes and the next
	 * opens (copied: a producer's strings live only during its call). */
	int type;               /* -1 before the first sample */
	char group[32];
	char name[64];
	bool in_array;          /* json: inside the current name's label array */
};

void sb_expo_begin(struct sb_expo *e, struct sb_out *o, enum sb_expo_format format);

/* An sb_metric_fn; arg is a struct sb_expo. */
void sb_expo_sample(void *arg, const struct sb_metric *m);

void sb_expo_end(struct sb_expo *e);

#endif
