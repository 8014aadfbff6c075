/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The configuration parser: a descriptor table generated from
 * config_keys.def drives parsing, defaults, validation and dumping, so adding
 * a key is one line in the .def and nothing here.
 */
#include "config.h"
#include "config_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct sb_config_key cfg_keys[] = {
#define SB_CONFIG_KEYS_OF struct sb_config
#include "config_def_keys.h"
#include "config_keys.def"
#include "config_def_end.h"
};

#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))
_Static_assert(CFG_NKEYS + SB_CONFIG_EXT_KEYS_MAX <= SB_CONFIG_KEYS_MAX,
	       "struct sb_config_report must have a line for every key");

/* The key tables of cfg: the shared one, then the program's own. */
struct cfg_table {
	const struct sb_config_key *keys;
	size_t n;
	char *base;
	size_t first;        /* index of keys[0] across both tables */
};

static unsigned cfg_tables(const struct sb_config *cfg, struct cfg_table t[2])
{
	t[0] = (struct cfg_table){ cfg_keys, CFG_NKEYS, (char *)(uintptr_t)cfg, 0 };
	if (cfg->ext == NULL)
		return 1;
	t[1] = (struct cfg_table){ cfg->ext->keys, cfg->ext->n, cfg->ext->base, CFG_NKEYS };
	return 2;
}

/* A key found: its descriptor, its value, its index across the tables. */
struct cfg_ref {
	const struct sb_config_key *k;
	char *field;
	size_t idx;
};

int config_fail(struct sb_config_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->line = line;
		err->file = NULL; /* named by whoever reports it (config_report) */
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool cfg_eq(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && memcmp(name, s, len) == 0;
}

static bool cfg_find(const struct sb_config *cfg, const char *section, size_t slen,
		     const char *key, size_t klen, struct cfg_ref *out)
{
	struct cfg_table t[2];
	unsigned n = cfg_tables(cfg, t);

	for (unsigned j = 0; j < n; j++)
		for (size_t i = 0; i < t[j].n; i++) {
			const struct sb_config_key *k = &t[j].keys[i];

			if (cfg_eq(k->section, section, slen) && cfg_eq(k->key, key, klen)) {
				*out = (struct cfg_ref){ k, t[j].base + k->offset, t[j].first + i };
				return true;
			}
		}
	return false;
}

bool config_section_known(const struct sb_config *cfg, const char *section, size_t slen)
{
	struct cfg_table t[2];
	unsigned n = cfg_tables(cfg, t);

	for (unsigned j = 0; j < n; j++)
		for (size_t i = 0; i < t[j].n; i++)
			if (cfg_eq(t[j].keys[i].section, section, slen))
				return true;
	return false;
}

static int cfg_parse_ipv4(const char *v, struct sb_config_ipv4 *out)
{
	unsigned a, b, c, d, p;
	char tail;

	if (sscanf(v, "%3u.%3u.%3u.%3u/%2u%c", &a, &b, &c, &d, &p, &tail) != 5)
		return -EINVAL;
	if (a > 255 || b > 255 || c > 255 || d > 255 || p > 32)
		return -EINVAL;
	out->addr = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
	out->prefix = (uint8_t)p;
	return 0;
}

static int cfg_parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* Store the text value v of key k into its field. */
static int cfg_assign(char *field, const struct sb_config_key *k, const char *v,
		      struct sb_config_error *err, unsigned line)
{
	unsigned long long n;
	char *end;

	switch (k->type) {
	case SB_CONFIG_U64:
		if (*v == '\0' || *v == '-')
			return config_fail(err, line, "%s.%s: '%s' is not a non-negative integer",
					k->section, k->key, v);
		errno = 0;
		n = strtoull(v, &end, 0);
		if (errno != 0 || *end != '\0')
			return config_fail(err, line, "%s.%s: '%s' is not a non-negative integer",
					k->section, k->key, v);
		if (n < k->min || n > k->max)
			return config_fail(err, line, "%s.%s: %llu is outside %llu..%llu", k->section,
					k->key, n, (unsigned long long)k->min,
					(unsigned long long)k->max);
		memcpy(field, &(uint64_t){ n }, sizeof(uint64_t));
		return 0;
	case SB_CONFIG_STR:
		if (strlen(v) >= SB_CONFIG_STR_MAX)
			return config_fail(err, line, "%s.%s: value longer than %d bytes", k->section,
					k->key, SB_CONFIG_STR_MAX - 1);
		snprintf(field, SB_CONFIG_STR_MAX, "%s", v);
		return 0;
	case SB_CONFIG_BOOL:
		if (cfg_parse_bool(v, (bool *)field) < 0)
			return config_fail(err, line, "%s.%s: '%s' is not a boolean", k->section,
					k->key, v);
		return 0;
	case SB_CONFIG_IPV4:
		if (cfg_parse_ipv4(v, (struct sb_config_ipv4 *)field) < 0)
			return config_fail(err, line, "%s.%s: '%s' is not an address a.b.c.d/len",
					k->section, k->key, v);
		return 0;
	}
	return config_fail(err, line, "%s.%s: internal type error", k->section, k->key);
}

static void cfg_table_defaults(const struct sb_config_key *keys, size_t n, char *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct sb_config_key *k = &keys[i];

		if (k->type == SB_CONFIG_U64)
			memcpy(base + k->offset, &k->def_u64, sizeof(uint64_t));
		else if (k->type == SB_CONFIG_BOOL)
			*(bool *)(base + k->offset) = k->def_u64 != 0;
		else
			cfg_assign(base + k->offset, k, k->def, NULL, 0);
	}
}

void sb_config_defaults(struct sb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg_table_defaults(cfg_keys, CFG_NKEYS, (char *)cfg);
}

int sb_config_extend(struct sb_config *cfg, const struct sb_config_ext *ext)
{
	if (ext->n > SB_CONFIG_EXT_KEYS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < ext->n; i++) {
		const char *sec = ext->keys[i].section;

		if (config_section_known(cfg, sec, strlen(sec)) && cfg->ext != ext)
			return -EEXIST;
	}
	cfg->ext = ext;
	cfg_table_defaults(ext->keys, ext->n, ext->base);
	return 0;
}

void config_report(struct sb_config_report *rep, const struct sb_config_error *e,
		       const char *file)
{
	if (rep->n < SB_CONFIG_REPORT_MAX) {
		rep->err[rep->n] = *e;
		rep->err[rep->n].file = file;
	}
	rep->n++;
}

int config_set(struct sb_config *cfg, const char *sec, size_t slen, const char *key,
	       size_t klen, const char *val, size_t vlen, struct sb_config_report *rep,
	       const char *file, struct sb_config_error *err, unsigned line)
{
	char vbuf[SB_CONFIG_STR_MAX + 1];
	const struct sb_config_key *k;
	struct cfg_ref r;

	if (slen == 0)
		return config_fail(err, line, "key '%.*s' outside any [section]", (int)klen, key);
	if (!cfg_find(cfg, sec, slen, key, klen, &r))
		return config_fail(err, line, "unknown key '%.*s' in [%.*s]", (int)klen, key,
				   (int)slen, sec);
	k = r.k;
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"')
		val++, vlen -= 2;
	if (vlen > SB_CONFIG_STR_MAX)
		return config_fail(err, line, "%s.%s: value too long", k->section, k->key);
	if (rep != NULL) {
		if (line != 0 && rep->key_line[r.idx] != 0 && rep->key_file[r.idx] == file)
			return config_fail(err, line, "%s.%s given twice", k->section, k->key);
		rep->key_line[r.idx] = line;
		rep->key_file[r.idx] = file;
	}
	memcpy(vbuf, val, vlen);
	vbuf[vlen] = '\0';
	return cfg_assign(r.field, k, vbuf, err, line);
}

/* Trim ASCII blanks on both sides of [s, s+len); returns the new start. */
static const char *cfg_trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t'))
		s++, (*len)--;
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

int sb_config_parse(struct sb_config *cfg, const char *text, size_t len,
		    struct sb_config_error *err)
{
	struct sb_config_report rep = { 0 };
	int rc = sb_config_parse_all(cfg, text, len, NULL, &rep);

	if (rc < 0 && err != NULL)
		*err = rep.err[0];
	return rc;
}

/* The whole file into a malloc'd buffer; -errno, or -EFBIG. */
static int cfg_read(const char *path, char **ret_text, size_t *ret_len)
{
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)SB_CONFIG_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	*ret_text = malloc((size_t)st.st_size + 1);
	if (*ret_text == NULL) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, *ret_text, (size_t)st.st_size);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0) {
		free(*ret_text);
		return rc;
	}
	*ret_len = (size_t)n;
	return 0;
}

int sb_config_load_all(struct sb_config *cfg, const char *path, struct sb_config_report *rep)
{
	struct sb_config_error e;
	char *text = NULL;
	size_t len = 0;
	int rc = cfg_read(path, &text, &len);

	if (rc < 0) {
		if (rc == -EFBIG)
			config_fail(&e, 0, "larger than %u bytes", SB_CONFIG_FILE_MAX);
		else
			config_fail(&e, 0, "%s", strerror(-rc));
		config_report(rep, &e, path);
		return rc;
	}
	rc = sb_config_parse_all(cfg, text, len, path, rep);
	free(text);
	return rc;
}

int sb_config_load(struct sb_config *cfg, const char *path, struct sb_config_error *err)
{
	struct sb_config_report rep = { 0 };
	int rc = sb_config_load_all(cfg, path, &rep);

	if (rc < 0 && err != NULL) {
		*err = rep.err[0];
		/* Callers print the message alone: a file error names the file. */
		if (err->line == 0 && snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
					       rep.err[0].msg) >= (int)sizeof(err->msg))
			err->msg[sizeof(err->msg) - 2] = '.'; /* cut: say so */
	}
	return rc;
}

static int cfg_override(struct sb_config *cfg, const char *assignment,
			struct sb_config_report *rep, struct sb_config_error *err)
{
	const char *dot = strchr(assignment, '.');
	const char *eq = strchr(assignment, '=');

	const char *key, *val;
	size_t klen, vlen;

	if (dot == NULL || eq == NULL || dot > eq)
		return config_fail(err, 0, "override '%s' is not section.key=value", assignment);
	klen = (size_t)(eq - dot - 1);
	key = cfg_trim(dot + 1, &klen);
	vlen = strlen(eq + 1);
	val = cfg_trim(eq + 1, &vlen);
	return config_set(cfg, assignment, (size_t)(dot - assignment), key, klen, val, vlen, rep,
			  NULL, err, 0);
}

int sb_config_override(struct sb_config *cfg, const char *assignment,
		       struct sb_config_error *err)
{
	return cfg_override(cfg, assignment, NULL, err);
}

int sb_config_override_all(struct sb_config *cfg, const char *assignment,
			   struct sb_config_report *rep)
{
	struct sb_config_error e;
	int rc = cfg_override(cfg, assignment, rep, &e);

	if (rc < 0)
		config_report(rep, &e, NULL);
	return rc;
}

int sb_config_error_str(const struct sb_config_error *err, char *buf, size_t size)
{
	if (err->file != NULL && err->line != 0)
		return snprintf(buf, size, "%s:%u: %s", err->file, err->line, err->msg);
	if (err->file != NULL)
		return snprintf(buf, size, "%s: %s", err->file, err->msg);
	return snprintf(buf, size, "%s", err->msg);
}

const char *sb_config_ipv4_str(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
	return buf;
}

/* One key as "section.key = value\n" at buf + used (like snprintf). */
static size_t cfg_dump_key(const struct sb_config_key *k, const char *field, char *buf,
			   size_t size, size_t used)
{
	char *out = buf + (used < size ? used : size);
	size_t room = used < size ? size - used : 0;
	char a[16];
	uint64_t u;
	int n;

	switch (k->type) {
	case SB_CONFIG_U64:
		memcpy(&u, field, sizeof(u));
		n = snprintf(out, room, "%s.%s = %llu\n", k->section, k->key, (unsigned long long)u);
		break;
	case SB_CONFIG_BOOL:
		n = snprintf(out, room, "%s.%s = %s\n", k->section, k->key,
			     *(const bool *)field ? "true" : "false");
		break;
	case SB_CONFIG_IPV4: {
		const struct sb_config_ipv4 *ip = (const void *)field;

		n = snprintf(out, room, "%s.%s = %s/%u\n", k->section, k->key,
			     sb_config_ipv4_str(ip->addr, a), ip->prefix);
		break;
	}
	default:
		n = snprintf(out, room, "%s.%s = \"%s\"\n", k->section, k->key, field);
		break;
	}
	return n > 0 ? (size_t)n : 0;
}

size_t sb_config_dump(const struct sb_config *cfg, char *buf, size_t size)
{
	struct cfg_table t[2];
	unsigned nt = cfg_tables(cfg, t);
	size_t used = 0;

	for (unsigned j = 0; j < nt; j++)
		for (size_t i = 0; i < t[j].n; i++)
			used += cfg_dump_key(&t[j].keys[i], t[j].base + t[j].keys[i].offset, buf,
					     size, used);
	return used;
}

static bool one_of(const char *v, const char *a, const char *b, const char *c)
{
	return strcmp(v, a) == 0 || strcmp(v, b) == 0 || (c != NULL && strcmp(v, c) == 0);
}

/* Report a broken relation between the keys named ("section.key", NULL
 * ended) at the line of the one set last in a file, or with no line when
 * they all kept their defaults or came from overrides. */
static void check_fail(const struct sb_config *cfg, struct sb_config_report *rep,
		       const char *const *names, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void check_fail(const struct sb_config *cfg, struct sb_config_report *rep,
		       const char *const *names, const char *fmt, ...)
{
	struct sb_config_error e = { 0 };
	const char *file = NULL;
	struct cfg_ref r;
	va_list ap;

	for (; *names != NULL; names++) {
		const char *dot = strchr(*names, '.');

		if (!cfg_find(cfg, *names, (size_t)(dot - *names), dot + 1, strlen(dot + 1), &r))
			continue;
		if (rep->key_line[r.idx] > e.line) {
			e.line = rep->key_line[r.idx];
			file = rep->key_file[r.idx];
		}
	}
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	config_report(rep, &e, file);
}

#define CHECK_KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The TLS keys that only make sense together. Whether the files exist is
 * the loader's business (lib/tls reports which one failed). */
static void check_tls(const struct sb_config *cfg, struct sb_config_report *rep)
{
	if (!one_of(cfg->xmpp_tls, "required", "optional", "off"))
		check_fail(cfg, rep, CHECK_KEYS("xmpp.tls"),
			   "xmpp.tls '%s': use required, optional or off", cfg->xmpp_tls);
	if (!one_of(cfg->tls_min_version, "1.2", "1.3", NULL))
		check_fail(cfg, rep, CHECK_KEYS("tls.min_version"),
			   "tls.min_version '%s': use 1.2 or 1.3", cfg->tls_min_version);
	if (strcmp(cfg->xmpp_tls, "off") != 0 && cfg->tls_cert_dir[0] == '\0' &&
	    (cfg->tls_cert_file[0] == '\0' || cfg->tls_key_file[0] == '\0'))
		check_fail(cfg, rep,
			   CHECK_KEYS("xmpp.tls", "tls.cert_file", "tls.key_file", "tls.cert_dir"),
			   "xmpp.tls = %s needs tls.cert_file and tls.key_file (or tls.cert_dir)",
			   cfg->xmpp_tls);
	if (cfg->tls_domains[0] != '\0' && cfg->tls_cert_dir[0] == '\0')
		check_fail(cfg, rep, CHECK_KEYS("tls.domains", "tls.cert_dir"),
			   "tls.domains needs tls.cert_dir");
	if (strcmp(cfg->xmpp_tls, "off") != 0 && cfg->tls_direct_port != 0 &&
	    cfg->tls_direct_port == cfg->xmpp_c2s_port)
		check_fail(cfg, rep, CHECK_KEYS("xmpp.tls", "tls.direct_port", "xmpp.c2s_port"),
			   "tls.direct_port and xmpp.c2s_port are both %llu",
			   (unsigned long long)cfg->tls_direct_port);
}

int sb_config_check_all(const struct sb_config *cfg, struct sb_config_report *rep)
{
	unsigned before = rep->n;

	/* A stanza is read whole before its bytes are released: the budget
	 * must hold the largest one while the next arrives. */
	if (cfg->xmpp_input_budget < 2 * cfg->xmpp_max_stanza_bytes)
		check_fail(cfg, rep, CHECK_KEYS("xmpp.input_budget", "xmpp.max_stanza_bytes"),
			   "xmpp.input_budget (%llu) must be at least twice "
			   "xmpp.max_stanza_bytes (%llu)",
			   (unsigned long long)cfg->xmpp_input_budget,
			   (unsigned long long)cfg->xmpp_max_stanza_bytes);
	check_tls(cfg, rep);
	if (!one_of(cfg->log_target, "auto", "stderr", "journal"))
		check_fail(cfg, rep, CHECK_KEYS("log.target"),
			   "log.target '%s': use auto, stderr or journal", cfg->log_target);
	if ((cfg->log_ring_records & (cfg->log_ring_records - 1)) != 0)
		check_fail(cfg, rep, CHECK_KEYS("log.ring_records"),
			   "log.ring_records (%llu) must be a power of two",
			   (unsigned long long)cfg->log_ring_records);
	return rep->n > before ? -EINVAL : 0;
}

int sb_config_check(const struct sb_config *cfg, struct sb_config_error *err)
{
	struct sb_config_report rep = { 0 };
	int rc = sb_config_check_all(cfg, &rep);

	if (rc < 0 && err != NULL)
		*err = rep.err[0];
	return rc;
}
