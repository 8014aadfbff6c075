/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What config.c (the key table, values, checks) and config_ini.c (the file
 * syntax, through libinih) share; not for other modules.
 */
#ifndef SB_CONFIG_PRIV_H
#define SB_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Fill err (when not NULL) with line and the message; returns -EINVAL. */
int config_fail(struct sb_config_error *err, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Add e to rep, naming file; past SB_CONFIG_REPORT_MAX it is only counted. */
void config_report(struct sb_config_report *rep, const struct sb_config_error *e,
		   const char *file);

/* Whether any key of cfg (shared or the program's own) lives in section. */
bool config_section_known(const struct sb_config *cfg, const char *section, size_t slen);

/* Set section.key to the text val ("..." quotes dropped), checked against
 * the key's type and range. With rep and a line, a key already set from
 * the same file is refused as given twice (almost always a mistake) and the
 * key remembers its line; line 0 (an override) makes it forget it.
 * 0 or -EINVAL with err filled. */
int config_set(struct sb_config *cfg, const char *sec, size_t slen, const char *key,
	       size_t klen, const char *val, size_t vlen, struct sb_config_report *rep,
	       const char *file, struct sb_config_error *err, unsigned line);

#endif
