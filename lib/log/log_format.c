/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Records as text: a stderr line and journald's fields (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sb_log.h"

static const char *const log_names[SB_LOG_LEVEL_MAX] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

const char *sb_log_level_name(enum sb_log_level level)
{
	return level < SB_LOG_LEVEL_MAX ? log_names[level] : "unknown";
}

void sb_log_rec_set(struct sb_log_rec *rec, enum sb_log_level level, const char *module,
		    uint16_t lcore, const char *msg)
{
	size_t n = strnlen(msg, SB_LOG_MSG_MAX - 1);

	rec->level = (uint8_t)(level < SB_LOG_LEVEL_MAX ? level : SB_LOG_DEBUG);
	rec->lcore = lcore;
	snprintf(rec->module, sizeof(rec->module), "%s", module);
	memcpy(rec->msg, msg, n);
	while (n > 0 && rec->msg[n - 1] == '\n')
		n--;
	rec->msg[n] = '\0';
}

void sb_log_rec_vformat(struct sb_log_rec *rec, enum sb_log_level level, const char *module,
			uint16_t lcore, uint32_t suppressed, const char *fmt, va_list ap)
{
	char msg[SB_LOG_MSG_MAX];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (suppressed != 0 && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, " (%u more suppressed)", suppressed);
	sb_log_rec_set(rec, level, module, lcore, msg);
}

int sb_log_format_line(const struct sb_log_rec *rec, uint16_t main_lcore, char *buf,
		       size_t size)
{
	const char *lvl = sb_log_level_name(rec->level);

	if (rec->lcore == SB_LOG_LCORE_NONE || rec->lcore == main_lcore)
		return snprintf(buf, size, "%s sb.%s: %s\n", lvl, rec->module, rec->msg);
	return snprintf(buf, size, "%s sb.%s@%u: %s\n", lvl, rec->module, rec->lcore, rec->msg);
}

/* Append "NAME=value\0" at *used; the field's start into *field. */
static int log_field(char *buf, size_t size, size_t *used, const char **field,
		     const char *name, const char *value)
{
	int n = snprintf(buf + *used, size - *used, "%s=%s", name, value);

	if (n < 0 || (size_t)n >= size - *used)
		return -ENOSPC;
	*field = buf + *used;
	*used += (size_t)n + 1;
	return 0;
}

int sb_log_format_journal(const struct sb_log_rec *rec, const char *ident, char *buf,
			  size_t size, const char *fields[SB_LOG_JOURNAL_FIELDS])
{
	char num[8];
	size_t used = 0;
	int n = 0;

	if (size == 0)
		return -ENOSPC;
	snprintf(num, sizeof(num), "%u", rec->level < SB_LOG_LEVEL_MAX ? rec->level : 7);
	if (log_field(buf, size, &used, &fields[n++], "MESSAGE", rec->msg) < 0 ||
	    log_field(buf, size, &used, &fields[n++], "PRIORITY", num) < 0 ||
	    log_field(buf, size, &used, &fields[n++], "SB_MODULE", rec->module) < 0 ||
	    log_field(buf, size, &used, &fields[n++], "SYSLOG_IDENTIFIER", ident) < 0)
		return -ENOSPC;
	if (rec->lcore != SB_LOG_LCORE_NONE) {
		snprintf(num, sizeof(num), "%u", rec->lcore);
		if (log_field(buf, size, &used, &fields[n++], "SB_LCORE", num) < 0)
			return -ENOSPC;
	}
	return n;
}
