/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Structured, levelled, rate-limited logs that never block a worker.
 *
 * A message is a record: a level (syslog's numbering, which is journald's
 * PRIORITY), a module ("main", "port", ...), the lcore it came from and the
 * text. A worker lcore never writes: it pushes the record into its own
 * single-producer ring (sb_log_ring) and, when the ring is full, drops it
 * and counts the drop; the main lcore drains the rings on its slow loop
 * and writes (sb_log_sink) to stderr or to journald. Each call site owns a
 * rate limiter (sb_log_rl): at most `burst` messages per interval, the
 * rest counted and the count told with the next message that passes.
 *
 * This module is the one place in lib/ that writes output: it is the
 * logger the processes use, not a library logging on its own.
 */
#ifndef SB_LIB_LOG_H
#define SB_LIB_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* syslog(3)'s levels, the journal's PRIORITY field. */
enum sb_log_level {
	SB_LOG_EMERG, SB_LOG_ALERT, SB_LOG_CRIT, SB_LOG_ERR, SB_LOG_WARNING, SB_LOG_NOTICE,
	SB_LOG_INFO, SB_LOG_DEBUG, SB_LOG_LEVEL_MAX
};

#define SB_LOG_MODULE_MAX 16
#define SB_LOG_MSG_MAX 232
#define SB_LOG_LCORE_NONE UINT16_MAX   /* not an EAL lcore (a plain thread) */

struct sb_log_rec {
	uint8_t level;                   /* enum sb_log_level */
	uint16_t lcore;
	char module[SB_LOG_MODULE_MAX];  /* NUL-terminated */
	char msg[SB_LOG_MSG_MAX];        /* NUL-terminated, cut to fit */
};
_Static_assert(sizeof(struct sb_log_rec) <= 256, "a record is four cache lines at most");

/* Fill rec; msg is cut to SB_LOG_MSG_MAX - 1 bytes and a trailing newline
 * dropped. */
void sb_log_rec_set(struct sb_log_rec *rec, enum sb_log_level level, const char *module,
		    uint16_t lcore, const char *msg);

/* Fill rec from a printf format; with suppressed != 0 the text ends with
 * " (N more suppressed)" (what the call site's limiter dropped before it). */
void sb_log_rec_vformat(struct sb_log_rec *rec, enum sb_log_level level, const char *module,
			uint16_t lcore, uint32_t suppressed, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

const char *sb_log_level_name(enum sb_log_level level);

/* ---- rate limit per call site ---- */

/* One call site's window. Zero-initialised (a static at the call site);
 * several lcores may share one: the fields are updated atomically, and a
 * race at a window's turn lets at most a message or two more through. */
struct sb_log_rl {
	uint64_t window_start_ms;
	uint32_t passed;        /* messages let through in this window */
	uint32_t suppressed;    /* dropped since the last one let through */
};

/* Whether a message at now_ms may go out: at most burst per interval_ms.
 * When it may, *ret_suppressed is how many this site dropped before it
 * (to be told with it), and that count starts again from 0. */
bool sb_log_rl_allow(struct sb_log_rl *rl, uint64_t now_ms, uint64_t interval_ms,
		     uint32_t burst, uint32_t *ret_suppressed);

/* ---- a worker's ring: one producer (the worker), one consumer ---- */

struct sb_log_ring {
	uint32_t size;          /* records, a power of two */
	uint32_t mask;
	struct sb_log_rec *recs;
	/* The producer's line: written by the worker only. */
	uint64_t head __attribute__((aligned(64)));
	uint64_t dropped;       /* records refused because the ring was full */
	/* The consumer's line: written by the draining thread only. */
	uint64_t tail __attribute__((aligned(64)));
};

/* A ring of size records (a power of two, 2..65536). NULL when out of
 * memory or size is not one. Free with sb_log_ring_free. */
struct sb_log_ring *sb_log_ring_new(uint32_t size);
void sb_log_ring_free(struct sb_log_ring *r);

/* Producer: copy rec in. Never waits: false and ring->dropped + 1 when
 * the ring is full. */
bool sb_log_ring_push(struct sb_log_ring *r, const struct sb_log_rec *rec);

/* Consumer: the oldest record into *out; false when empty. */
bool sb_log_ring_pop(struct sb_log_ring *r, struct sb_log_rec *out);

/* Records the producer dropped so far (any thread). */
uint64_t sb_log_ring_dropped(const struct sb_log_ring *r);

/* ---- formatting and output ---- */

/* rec as one stderr line: "LEVEL sb.MODULE: MESSAGE\n", with "@LCORE"
 * after the module for a worker lcore's record (not for main_lcore's or a
 * plain thread's). Returns the length like snprintf. */
int sb_log_format_line(const struct sb_log_rec *rec, uint16_t main_lcore, char *buf,
		       size_t size);

/* rec as journald fields, each "NAME=value" NUL-terminated in buf:
 * MESSAGE, PRIORITY, SB_MODULE, SB_LCORE (only for an lcore),
 * SYSLOG_IDENTIFIER (ident). fields[] points at each; returns how many
 * (at most SB_LOG_JOURNAL_FIELDS), or -ENOSPC when buf is too small. */
#define SB_LOG_JOURNAL_FIELDS 5
int sb_log_format_journal(const struct sb_log_rec *rec, const char *ident, char *buf,
			  size_t size, const char *fields[SB_LOG_JOURNAL_FIELDS]);

enum sb_log_target { SB_LOG_TO_STDERR, SB_LOG_TO_JOURNAL };

/* Where output goes from log.target: "stderr", "journal", or "auto" —
 * journal when JOURNAL_STREAM (as systemd sets it) names the device and
 * inode of our stderr, stderr otherwise. -EINVAL for another name;
 * -ENOENT (and *ret stderr) for "journal" without journald's socket, where
 * libsystemd would drop every record without a word. */
#define SB_LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"
int sb_log_target_parse(const char *name, enum sb_log_target *ret);

struct sb_log_sink {
	enum sb_log_target target;
	const char *ident;       /* SYSLOG_IDENTIFIER: "sb-dataplane", "sb-control" */
	uint16_t main_lcore;
	uint64_t failed;         /* writes that did not go out */
};

/* Write rec to the sink's target. 0 or a negative errno (counted in
 * failed); a journal that refuses falls back to stderr for that record. */
int sb_log_sink_write(struct sb_log_sink *s, const struct sb_log_rec *rec);

#endif
