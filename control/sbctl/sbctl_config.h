/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sbctl's commands that need no running sb-control: "config check FILE" and
 * "config doc".
 */
#ifndef SB_SBCTL_CONFIG_H
#define SB_SBCTL_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* Load path into cfg (its defaults set already) with the daemons' parser,
 * and with relations their cross-key checks too (sbctl -c only needs
 * control.socket: a file completed by the daemons' -s overrides must still
 * do), every error printed to err as "FILE:LINE: message". 0, or a
 * negative errno after at least one error. */
int sbctl_config_load(struct sb_config *cfg, const char *path, bool relations, FILE *err);

/* Load path with the daemons' parser and checks (lib/config, shared keys
 * only) and write every error to err as "FILE:LINE: message", or
 * "FILE: ok" to out. Returns the exit status: 0 valid, 1 not. */
int sbctl_config_check(const char *path, FILE *out, FILE *err);

/* The configuration reference, docs/CONFIG.md, from config_keys.def: one
 * table per section (key, type, default, range, help). 0, or 1 when out
 * failed. */
int sbctl_config_doc(FILE *out);

#endif
