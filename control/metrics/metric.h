/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One sample as every reader of Switchboard's figures sees it: `sbctl
 * stats` (text and --json) and the Prometheus endpoint print the same
 * stream of these, so a counter is named and described one way everywhere.
 *
 * A producer (collect.h) hands samples to a sink in a fixed order: every
 * counter first, then every gauge, then every histogram; within a type, samples of one group are
 * consecutive, and samples of one name (differing by labels) too. The
 * writers (expo.h) rely on that order to open and close families without
 * buffering. A sample's strings are borrowed for the duration of the call.
 */
#ifndef SB_METRIC_H
#define SB_METRIC_H

#include <stdint.h>

#include "hist.h"

enum sb_metric_type {
	SB_METRIC_COUNTER, /* only ever grows (until the process that keeps it restarts) */
	SB_METRIC_GAUGE,   /* a level now */
	SB_METRIC_HISTOGRAM, /* a distribution of microseconds (hist.h), printed in seconds */
	SB_METRIC_TYPE_MAX
};

#define SB_METRIC_LABELS_MAX 3

struct sb_metric_label {
	const char *key;   /* [a-z_]+ */
	const char *value; /* printable, no quotes or backslashes */
};

struct sb_metric {
	enum sb_metric_type type;
	const char *group; /* [a-z0-9_]+: dataplane, tcp, c2s, tls, shard, route, im, ... */
	const char *name;  /* [a-z0-9_]+, unique within its group and type */
	const char *help;  /* one line */
	unsigned n_labels;
	struct sb_metric_label labels[SB_METRIC_LABELS_MAX];
	uint64_t value;
	const struct sb_hist *hist; /* SB_METRIC_HISTOGRAM only (no labels); value unused */
};

/* Receives one sample; arg is the sink's own state. */
typedef void (*sb_metric_fn)(void *arg, const struct sb_metric *m);

#endif
