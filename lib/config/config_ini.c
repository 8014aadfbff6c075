/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The file syntax, parsed by libinih (Debian's libinih-dev): "[section]"
 * headers, "key = value" lines, whole-line comments after ';' or '#',
 * inline comments after a blank and ';' or '#'. libinih calls a handler per
 * key and tells only the FIRST line it could not parse, so the reader we
 * hand to ini_parse_stream sees every line and settles the rest:
 *
 *  - a line libinih took no key from that is neither blank nor a comment nor
 *    a section header is "expected 'key = value'";
 *  - after each "[...]" line it feeds an extra probe line ("\x01=", never
 *    counted), so the handler learns which section libinih now holds and
 *    names an unknown one at the header's line; before a header (past line
 *    1) a sentinel "[\x01]" makes a header libinih refused visible as the
 *    sentinel still being the section;
 *  - a line longer than SB_CONFIG_LINE_MAX is refused whole (libinih would
 *    otherwise parse its tail as one more line); a NUL byte likewise.
 *
 * So line numbers are ours, counted on the text, and every error is
 * reported, each once; the keys of a section refused are not reported
 * again (the header already was).
 */
#include <errno.h>
#include <ini.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

#define INI_PROBE "\x01=\n"
#define INI_SENTINEL "\x01"

/* What the reader hands libinih next. */
enum ini_next {
	INI_NEXT_LINE,    /* the next line of the text */
	INI_NEXT_HEADER,  /* the header line held back behind the sentinel */
	INI_NEXT_PROBE,   /* the probe after a header */
};

struct ini_state {
	struct sb_config *cfg;
	struct sb_config_report *rep;
	const char *file;
	const char *text;
	size_t len, pos;
	const char *hdr;         /* the header held back for INI_NEXT_HEADER */
	size_t hdr_len;
	unsigned line;           /* lines of the text handed out so far */
	enum ini_next next;
	bool probing;            /* libinih is at the probe */
	bool header;             /* the current line is a "[" line */
	bool plain;              /* the current line is blank, a comment or refused */
	bool keyed;              /* libinih called the handler for the current line */
	bool skip;               /* in a section refused: its keys are not reported */
};

static void ini_error(struct ini_state *st, const char *msg)
{
	struct sb_config_error e;

	config_fail(&e, st->line, "%s", msg);
	config_report(st->rep, &e, st->file);
}

/* The first byte libinih looks at: past a UTF-8 BOM on line 1 (libinih
 * drops it there) and past blanks. */
static char ini_first(const char *s, size_t n, unsigned line)
{
	size_t i = 0;

	if (line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\v' ||
			 s[i] == '\f'))
		i++;
	return i < n ? s[i] : '\0';
}

/* libinih is done with the current line: a line it took no key from and
 * that is no header, blank or comment did not parse. */
static void ini_settle(struct ini_state *st)
{
	if (st->line == 0 || st->header || st->plain || st->keyed || st->skip)
		return;
	ini_error(st, "expected 'key = value'");
}

/* s into libinih's buffer of size bytes (ini_max_line). A line of the text
 * fits by construction (at most SB_CONFIG_LINE_MAX bytes before "\r\n");
 * only stray line-end bytes past that ("\r\r\n") can be cut here. */
static char *ini_put(char *buf, int size, const char *s, size_t n)
{
	if (n + 1 > (size_t)size)
		n = (size_t)size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* The next line of the text into buf, or its replacement by a blank line
 * when it is too long or holds a NUL. */
static char *ini_take_line(struct ini_state *st, char *buf, int size)
{
	const char *s = st->text + st->pos;
	const char *nl = memchr(s, '\n', st->len - st->pos);
	size_t n = nl != NULL ? (size_t)(nl - s) + 1 : st->len - st->pos;
	size_t body = n; /* the line without its "\n" or "\r\n" */
	char first;

	if (body > 0 && s[body - 1] == '\n')
		body--;
	if (body > 0 && s[body - 1] == '\r')
		body--;
	st->pos += n;
	st->line++;
	st->header = false;
	st->plain = false;
	st->keyed = false;
	if (memchr(s, '\0', n) != NULL) {
		ini_error(st, "NUL byte in configuration");
		st->plain = true;
		return ini_put(buf, size, "\n", 1);
	}
	if (body > SB_CONFIG_LINE_MAX) {
		struct sb_config_error e;

		config_fail(&e, st->line, "line longer than %d bytes", SB_CONFIG_LINE_MAX);
		config_report(st->rep, &e, st->file);
		st->plain = true;
		return ini_put(buf, size, "\n", 1);
	}
	first = ini_first(s, n, st->line);
	st->plain = first == '\0' || first == '\n' || first == ';' || first == '#';
	if (first == '[') {
		st->header = true;
		if (st->line > 1) {
			/* The sentinel first, the header next time. */
			st->hdr = s;
			st->hdr_len = n;
			st->next = INI_NEXT_HEADER;
			return ini_put(buf, size, "[" INI_SENTINEL "]\n", 4);
		}
		st->next = INI_NEXT_PROBE;
	}
	return ini_put(buf, size, s, n);
}

/* libinih's ini_reader: one line per call, like fgets. */
static char *ini_read(char *buf, int size, void *arg)
{
	struct ini_state *st = arg;

	st->probing = false;
	switch (st->next) {
	case INI_NEXT_HEADER:
		st->next = INI_NEXT_PROBE;
		return ini_put(buf, size, st->hdr, st->hdr_len);
	case INI_NEXT_PROBE:
		st->next = INI_NEXT_LINE;
		st->probing = true;
		return ini_put(buf, size, INI_PROBE, sizeof(INI_PROBE) - 1);
	case INI_NEXT_LINE:
		break;
	}
	ini_settle(st);
	if (st->pos >= st->len)
		return NULL;
	return ini_take_line(st, buf, size);
}

/* The probe: the section libinih holds after the header line. */
static void ini_section(struct ini_state *st, const char *section)
{
	size_t n = strlen(section);
	struct sb_config_error e;

	/* libinih keeps the name between the brackets as written. */
	while (n > 0 && (*section == ' ' || *section == '\t'))
		section++, n--;
	while (n > 0 && (section[n - 1] == ' ' || section[n - 1] == '\t'))
		n--;
	st->skip = true;
	if (n == 0 || strcmp(section, INI_SENTINEL) == 0) {
		ini_error(st, "bad section header: expected '[name]'");
		return;
	}
	if (!config_section_known(st->cfg, section, n)) {
		config_fail(&e, st->line, "unknown section [%.*s]", (int)n, section);
		config_report(st->rep, &e, st->file);
		return;
	}
	st->skip = false;
}

/* libinih's handler: one key of the text (or our probe). Always goes on:
 * the errors are ours to collect. */
static int ini_key(void *arg, const char *section, const char *name, const char *value)
{
	struct ini_state *st = arg;
	struct sb_config_error e;
	size_t slen = strlen(section);

	if (st->probing) {
		ini_section(st, section);
		return 1;
	}
	st->keyed = true;
	if (st->skip)
		return 1;
	while (slen > 0 && (*section == ' ' || *section == '\t'))
		section++, slen--;
	while (slen > 0 && (section[slen - 1] == ' ' || section[slen - 1] == '\t'))
		slen--;
	if (config_set(st->cfg, section, slen, name, strlen(name), value, strlen(value), st->rep,
		       st->file, &e, st->line) < 0)
		config_report(st->rep, &e, st->file);
	return 1;
}

/* libinih's settings are variables of the library in Debian's build, the
 * same for the whole process: set before each parse, and nothing else in
 * our processes uses libinih. */
static void ini_settings(void)
{
	ini_allow_multiline = false;   /* an indented key is a key, not a continuation */
	ini_allow_bom = true;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = (char *)";#";
	ini_start_comment_prefixes = (char *)";#";
	ini_stop_on_first_error = false;
	ini_allow_no_value = false;
	ini_use_stack = true;
	/* Room for the longest line we accept plus "\r\n" and the NUL. */
	ini_max_line = SB_CONFIG_LINE_MAX + 3;
}

int sb_config_parse_all(struct sb_config *cfg, const char *text, size_t len,
			const char *file, struct sb_config_report *rep)
{
	struct ini_state st = {
		.cfg = cfg, .rep = rep, .file = file, .text = text, .len = len,
		.next = INI_NEXT_LINE,
	};
	unsigned before = rep->n;
	int rc;

	ini_settings();
	rc = ini_parse_stream(ini_read, &st, ini_key, &st);
	if (rc < 0 || (rc > 0 && rep->n == before)) {
		/* libinih refused a line we did not: never seen; say so rather
		 * than accept the file. */
		struct sb_config_error e;

		config_fail(&e, 0, "libinih: %s", rc < 0 ? "out of memory" : "a line did not parse");
		config_report(rep, &e, file);
	}
	return rep->n > before ? -EINVAL : 0;
}
