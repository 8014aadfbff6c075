/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The configuration parser: a descriptor table generated from
 * config_keys.def drives parsing, defaults, validation and dumping, so adding
 * a key is one line in the .def and nothing here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum cfg_type { CFG_U64, CFG_STR, CFG_BOOL, CFG_IPV4, CFG_TYPE_MAX };

struct cfg_key {
	const char *section;
	const char *key;
	enum cfg_type type;
	size_t offset;
	const char *def;     /* default, as text for STR/IPV4 */
	uint64_t def_u64;    /* default for U64/BOOL */
	uint64_t min, max;
};

static const struct cfg_key cfg_keys[] = {
#define SB_CFG_U64(s, k, d, lo, hi, h) \
	{ #s, #k, CFG_U64, offsetof(struct sb_config, s##_##k), NULL, (d), (lo), (hi) },
#define SB_CFG_STR(s, k, d, h) \
	{ #s, #k, CFG_STR, offsetof(struct sb_config, s##_##k), (d), 0, 0, 0 },
#define SB_CFG_BOOL(s, k, d, h) \
	{ #s, #k, CFG_BOOL, offsetof(struct sb_config, s##_##k), NULL, (d), 0, 1 },
#define SB_CFG_IPV4(s, k, d, h) \
	{ #s, #k, CFG_IPV4, offsetof(struct sb_config, s##_##k), (d), 0, 0, 0 },
#include "config_keys.def"
#undef SB_CFG_U64
#undef SB_CFG_STR
#undef SB_CFG_BOOL
#undef SB_CFG_IPV4
};

#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static int cfg_fail(struct sb_config_error *err, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfg_fail(struct sb_config_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct cfg_key *cfg_find(const char *section, size_t slen, const char *key,
				      size_t klen)
{
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (strlen(k->section) == slen && memcmp(k->section, section, slen) == 0 &&
		    strlen(k->key) == klen && memcmp(k->key, key, klen) == 0)
			return k;
	}
	return NULL;
}

static bool cfg_section_known(const char *section, size_t slen)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (strlen(cfg_keys[i].section) == slen &&
		    memcmp(cfg_keys[i].section, section, slen) == 0)
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

/* Store the text value v into cfg for key k. */
static int cfg_assign(struct sb_config *cfg, const struct cfg_key *k, const char *v,
		      struct sb_config_error *err, unsigned line)
{
	char *field = (char *)cfg + k->offset;
	unsigned long long n;
	char *end;

	switch (k->type) {
	case CFG_U64:
		if (*v == '\0' || *v == '-')
			return cfg_fail(err, line, "%s.%s: '%s' is not a non-negative integer",
					k->section, k->key, v);
		errno = 0;
		n = strtoull(v, &end, 0);
		if (errno != 0 || *end != '\0')
			return cfg_fail(err, line, "%s.%s: '%s' is not a non-negative integer",
					k->section, k->key, v);
		if (n < k->min || n > k->max)
			return cfg_fail(err, line, "%s.%s: %llu is outside %llu..%llu", k->section,
					k->key, n, (unsigned long long)k->min,
					(unsigned long long)k->max);
		memcpy(field, &(uint64_t){ n }, sizeof(uint64_t));
		return 0;
	case CFG_STR:
		if (strlen(v) >= SB_CONFIG_STR_MAX)
			return cfg_fail(err, line, "%s.%s: value longer than %d bytes", k->section,
					k->key, SB_CONFIG_STR_MAX - 1);
		snprintf(field, SB_CONFIG_STR_MAX, "%s", v);
		return 0;
	case CFG_BOOL:
		if (cfg_parse_bool(v, (bool *)field) < 0)
			return cfg_fail(err, line, "%s.%s: '%s' is not a boolean", k->section,
					k->key, v);
		return 0;
	case CFG_IPV4:
		if (cfg_parse_ipv4(v, (struct sb_config_ipv4 *)field) < 0)
			return cfg_fail(err, line, "%s.%s: '%s' is not an address a.b.c.d/len",
					k->section, k->key, v);
		return 0;
	case CFG_TYPE_MAX:
		break;
	}
	return cfg_fail(err, line, "%s.%s: internal type error", k->section, k->key);
}

void sb_config_defaults(struct sb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->type == CFG_U64) {
			memcpy((char *)cfg + k->offset, &k->def_u64, sizeof(uint64_t));
		} else if (k->type == CFG_BOOL) {
			*(bool *)((char *)cfg + k->offset) = k->def_u64 != 0;
		} else {
			cfg_assign(cfg, k, k->def, NULL, 0);
		}
	}
}

/* Trim ASCII blanks on both sides of [s, s+len); returns the new start. */
static const char *cfg_trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t'))
		s++, (*len)--;
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r'))
		(*len)--;
	return s;
}

/* Parse one "key = value" line of [section] and assign it. seen[] catches a
 * key given twice in one file, which is almost always a mistake. */
static int cfg_parse_assignment(struct sb_config *cfg, const char *sec, size_t slen,
				const char *s, size_t len, bool *seen,
				struct sb_config_error *err, unsigned line)
{
	const char *eq = memchr(s, '=', len);
	const char *key, *val;
	size_t klen, vlen;
	char vbuf[SB_CONFIG_STR_MAX + 1];
	const struct cfg_key *k;

	if (eq == NULL)
		return cfg_fail(err, line, "expected 'key = value'");
	klen = (size_t)(eq - s);
	key = cfg_trim(s, &klen);
	vlen = len - (size_t)(eq - s) - 1;
	val = cfg_trim(eq + 1, &vlen);
	if (slen == 0)
		return cfg_fail(err, line, "key '%.*s' outside any [section]", (int)klen, key);
	k = cfg_find(sec, slen, key, klen);
	if (k == NULL)
		return cfg_fail(err, line, "unknown key '%.*s' in [%.*s]", (int)klen, key,
				(int)slen, sec);
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"')
		val++, vlen -= 2;
	if (vlen > SB_CONFIG_STR_MAX)
		return cfg_fail(err, line, "%s.%s: value too long", k->section, k->key);
	if (seen != NULL) {
		if (seen[k - cfg_keys])
			return cfg_fail(err, line, "%s.%s given twice", k->section, k->key);
		seen[k - cfg_keys] = true;
	}
	memcpy(vbuf, val, vlen);
	vbuf[vlen] = '\0';
	return cfg_assign(cfg, k, vbuf, err, line);
}

int sb_config_parse(struct sb_config *cfg, const char *text, size_t len,
		    struct sb_config_error *err)
{
	bool seen[CFG_NKEYS] = { false };
	const char *sec = "";
	size_t slen = 0;
	unsigned line = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *s = text + pos;
		const char *hash;
		int rc;

		pos += llen + (nl != NULL);
		line++;
		if (memchr(s, '\0', llen) != NULL)
			return cfg_fail(err, line, "NUL byte in configuration");
		/* Comments run to the end of the line; values never contain '#'. */
		hash = memchr(s, '#', llen);
		if (hash == NULL)
			hash = memchr(s, ';', llen);
		if (hash != NULL)
			llen = (size_t)(hash - s);
		s = cfg_trim(s, &llen);
		if (llen == 0)
			continue;
		if (s[0] == '[') {
			if (s[llen - 1] != ']')
				return cfg_fail(err, line, "unterminated section header");
			slen = llen - 2;
			sec = cfg_trim(s + 1, &slen);
			if (!cfg_section_known(sec, slen))
				return cfg_fail(err, line, "unknown section [%.*s]", (int)slen, sec);
			continue;
		}
		rc = cfg_parse_assignment(cfg, sec, slen, s, llen, seen, err, line);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int sb_config_load(struct sb_config *cfg, const char *path, struct sb_config_error *err)
{
	struct stat st;
	char *text;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		cfg_fail(err, 0, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)SB_CONFIG_FILE_MAX) {
		close(fd);
		cfg_fail(err, 0, "%s: larger than %u bytes", path, SB_CONFIG_FILE_MAX);
		return -EFBIG;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, text, (size_t)st.st_size);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		rc = sb_config_parse(cfg, text, (size_t)n, err);
	else
		cfg_fail(err, 0, "%s: %s", path, strerror(-rc));
	free(text);
	return rc;
}

int sb_config_override(struct sb_config *cfg, const char *assignment,
		       struct sb_config_error *err)
{
	const char *dot = strchr(assignment, '.');
	const char *eq = strchr(assignment, '=');

	if (dot == NULL || eq == NULL || dot > eq)
		return cfg_fail(err, 0, "override '%s' is not section.key=value", assignment);
	return cfg_parse_assignment(cfg, assignment, (size_t)(dot - assignment), dot + 1,
				    strlen(dot + 1), NULL, err, 0);
}

const char *sb_config_ipv4_str(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
	return buf;
}

size_t sb_config_dump(const struct sb_config *cfg, char *buf, size_t size)
{
	size_t used = 0;

	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *field = (const char *)cfg + k->offset;
		char a[16];
		uint64_t u;
		int n;

		switch (k->type) {
		case CFG_U64:
			memcpy(&u, field, sizeof(u));
			n = snprintf(buf + (used < size ? used : size), used < size ? size - used : 0,
				     "%s.%s = %llu\n", k->section, k->key, (unsigned long long)u);
			break;
		case CFG_BOOL:
			n = snprintf(buf + (used < size ? used : size), used < size ? size - used : 0,
				     "%s.%s = %s\n", k->section, k->key,
				     *(const bool *)field ? "true" : "false");
			break;
		case CFG_IPV4: {
			const struct sb_config_ipv4 *ip = (const void *)field;

			n = snprintf(buf + (used < size ? used : size), used < size ? size - used : 0,
				     "%s.%s = %s/%u\n", k->section, k->key,
				     sb_config_ipv4_str(ip->addr, a), ip->prefix);
			break;
		}
		default:
			n = snprintf(buf + (used < size ? used : size), used < size ? size - used : 0,
				     "%s.%s = \"%s\"\n", k->section, k->key, field);
			break;
		}
		used += n > 0 ? (size_t)n : 0;
	}
	return used;
}

static bool one_of(const char *v, const char *a, const char *b, const char *c)
{
	return strcmp(v, a) == 0 || strcmp(v, b) == 0 || (c != NULL && strcmp(v, c) == 0);
}

/* The TLS keys that only make sense together. Whether the files exist is
 * the loader's business (lib/tls reports which one failed). */
static int check_tls(const struct sb_config *cfg, struct sb_config_error *err)
{
	if (!one_of(cfg->xmpp_tls, "required", "optional", "off"))
		return cfg_fail(err, 0, "xmpp.tls '%s': use required, optional or off",
				cfg->xmpp_tls);
	if (!one_of(cfg->tls_min_version, "1.2", "1.3", NULL))
		return cfg_fail(err, 0, "tls.min_version '%s': use 1.2 or 1.3",
				cfg->tls_min_version);
	if (strcmp(cfg->xmpp_tls, "off") != 0 && cfg->tls_cert_dir[0] == '\0' &&
	    (cfg->tls_cert_file[0] == '\0' || cfg->tls_key_file[0] == '\0'))
		return cfg_fail(err, 0, "xmpp.tls = %s needs tls.cert_file and tls.key_file "
				"(or tls.cert_dir)", cfg->xmpp_tls);
	if (cfg->tls_domains[0] != '\0' && cfg->tls_cert_dir[0] == '\0')
		return cfg_fail(err, 0, "tls.domains needs tls.cert_dir");
	if (strcmp(cfg->xmpp_tls, "off") != 0 && cfg->tls_direct_port != 0 &&
	    cfg->tls_direct_port == cfg->xmpp_c2s_port)
		return cfg_fail(err, 0, "tls.direct_port and xmpp.c2s_port are both %llu",
				(unsigned long long)cfg->tls_direct_port);
	return 0;
}

int sb_config_check(const struct sb_config *cfg, struct sb_config_error *err)
{
	/* A stanza is read whole before its bytes are released: the budget
	 * must hold the largest one while the next arrives. */
	if (cfg->xmpp_input_budget < 2 * cfg->xmpp_max_stanza_bytes)
		return cfg_fail(err, 0,
				"xmpp.input_budget (%llu) must be at least twice "
				"xmpp.max_stanza_bytes (%llu)",
				(unsigned long long)cfg->xmpp_input_budget,
				(unsigned long long)cfg->xmpp_max_stanza_bytes);
	return check_tls(cfg, err);
}
