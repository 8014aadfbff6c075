/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Where records go (see log.h): stderr, or journald through libsystemd's
 * sd_journal_sendv with our fields. Only the thread that drains the rings
 * (and the processes' non-worker threads) call this: it may block.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "sb_log.h"

/* systemd sets JOURNAL_STREAM="DEV:INO" for a service whose stderr is
 * connected to the journal; a shell or a redirect in between changes the
 * pair, and the journal is then not ours to write to. */
static bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int sb_log_target_parse(const char *name, enum sb_log_target *ret)
{
	if (strcmp(name, "stderr") == 0)
		*ret = SB_LOG_TO_STDERR;
	else if (strcmp(name, "journal") == 0) {
		/* sd_journal_sendv drops records silently when journald's
		 * socket is absent: say so here, once, instead. */
		*ret = SB_LOG_TO_STDERR;
		if (access(SB_LOG_JOURNAL_SOCKET, W_OK) < 0)
			return -ENOENT;
		*ret = SB_LOG_TO_JOURNAL;
	} else if (strcmp(name, "auto") == 0)
		*ret = log_stderr_is_journal() ? SB_LOG_TO_JOURNAL : SB_LOG_TO_STDERR;
	else
		return -EINVAL;
	return 0;
}

static int log_to_stderr(struct sb_log_sink *s, const struct sb_log_rec *rec)
{
	char line[SB_LOG_MSG_MAX + 64];
	int n = sb_log_format_line(rec, s->main_lcore, line, sizeof(line));

	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* One write per line: lines of several threads do not interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) != n)
		return -EIO;
	return 0;
}

int sb_log_sink_write(struct sb_log_sink *s, const struct sb_log_rec *rec)
{
	char buf[SB_LOG_MSG_MAX + 128];
	const char *fields[SB_LOG_JOURNAL_FIELDS];
	struct iovec iov[SB_LOG_JOURNAL_FIELDS];
	int n, rc;

	if (s->target == SB_LOG_TO_JOURNAL) {
		n = sb_log_format_journal(rec, s->ident, buf, sizeof(buf), fields);
		for (int i = 0; i < n; i++)
			iov[i] = (struct iovec){ (void *)(uintptr_t)fields[i], strlen(fields[i]) };
		rc = n < 0 ? n : sd_journal_sendv(iov, n);
		if (rc == 0)
			return 0;
		s->failed++;
		/* The journal refused: the record still goes somewhere. */
	}
	rc = log_to_stderr(s, rec);
	if (rc < 0)
		s->failed++;
	return rc;
}
