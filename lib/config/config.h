/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Switchboard configuration: an INI-style file ("[section]" then "key = value";
 * '#' or ';' starts a comment at the start of a line or after a blank),
 * parsed by libinih (config_ini.c) and validated against config_keys.def, plus
 * "section.key=value" overrides from the command line. Parsing is strict:
 * unknown sections or keys, values out of range and duplicate keys are errors
 * that name the line. The result is a plain struct, one field per key, so the
 * processes read settings without string lookups.
 *
 * Library code: never logs, never exits; errors come back in struct
 * sb_config_error and as a negative errno.
 */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_CONFIG_STR_MAX 256
#define SB_CONFIG_FILE_MAX (1u << 20) /* a config file larger than 1 MiB is refused */
#define SB_CONFIG_LINE_MAX 1024      /* longest line, without its "\r\n", comments included */

struct sb_config_ipv4 {
	uint32_t addr;   /* host byte order */
	uint8_t prefix;  /* 0..32 */
};

/* A key's field in its struct, from the SB_CFG_* line that declares it. */
#define SB_CONFIG_FIELD_U64(s, k) uint64_t s##_##k;
#define SB_CONFIG_FIELD_STR(s, k) char s##_##k[SB_CONFIG_STR_MAX];
#define SB_CONFIG_FIELD_BOOL(s, k) bool s##_##k;
#define SB_CONFIG_FIELD_IPV4(s, k) struct sb_config_ipv4 s##_##k;

enum sb_config_type { SB_CONFIG_U64, SB_CONFIG_STR, SB_CONFIG_BOOL, SB_CONFIG_IPV4 };

/* One key: its name, where its value lives in its struct, default, range. */
struct sb_config_key {
	const char *section;
	const char *key;
	enum sb_config_type type;
	size_t offset;
	const char *def;     /* default, as text for STR/IPV4 */
	uint64_t def_u64;    /* default for U64/BOOL */
	uint64_t min, max;
};

/* A key's descriptor, for struct T, from the SB_CFG_* line that declares it. */
#define SB_CONFIG_KEY_U64(T, s, k, d, lo, hi) \
	{ #s, #k, SB_CONFIG_U64, offsetof(T, s##_##k), NULL, (d), (lo), (hi) },
#define SB_CONFIG_KEY_STR(T, s, k, d) { #s, #k, SB_CONFIG_STR, offsetof(T, s##_##k), (d), 0, 0, 0 },
#define SB_CONFIG_KEY_BOOL(T, s, k, d) \
	{ #s, #k, SB_CONFIG_BOOL, offsetof(T, s##_##k), NULL, (d), 0, 1 },
#define SB_CONFIG_KEY_IPV4(T, s, k, d) { #s, #k, SB_CONFIG_IPV4, offsetof(T, s##_##k), (d), 0, 0, 0 },

/* Keys a program adds for itself (perf/loadgen's [loadgen]): it declares
 * them in a .def of its own, with the SB_CFG_* lines config_keys.def uses,
 * expands that once into its struct (between config_def_fields.h and
 * config_def_end.h) and once into a key table (config_def_keys.h), and hands both over with sb_config_extend()
 * or sb_config_cli_ext(). From then on files, overrides and dumps treat its
 * keys like the shared ones; the shared keys stay what every process reads. */
#define SB_CONFIG_EXT_KEYS_MAX 64
struct sb_config_ext {
	const struct sb_config_key *keys;
	size_t n;
	void *base;          /* the program's struct the offsets point into */
};

struct sb_config {
#include "config_def_fields.h"
#include "config_keys.def"
#include "config_def_end.h"
	const struct sb_config_ext *ext; /* a program's own keys, or NULL */
};

struct sb_config_error {
	unsigned line;   /* 1-based line of the file, 0 for an override or a file error */
	const char *file; /* the file named to sb_config_load_all, or NULL */
	char msg[192];
};

/* Every error of a file, not just the first, for "sbctl config check" and
 * the daemons' refusal: one per bad line (an unknown section's keys are
 * not reported again), then one per broken relation between keys, at the
 * line of the later key. key_line/key_file say where each key was last set
 * (index across the shared keys then the program's own; 0/NULL: default or
 * override). Zero it before the first use. */
#define SB_CONFIG_REPORT_MAX 32
#define SB_CONFIG_KEYS_MAX 256  /* shared keys plus SB_CONFIG_EXT_KEYS_MAX */
struct sb_config_report {
	unsigned n;      /* errors found; only the first SB_CONFIG_REPORT_MAX are kept */
	struct sb_config_error err[SB_CONFIG_REPORT_MAX];
	unsigned key_line[SB_CONFIG_KEYS_MAX];
	const char *key_file[SB_CONFIG_KEYS_MAX];
};

/* Fill cfg with every key's default. Defaults are valid by construction.
 * Drops any extension. */
void sb_config_defaults(struct sb_config *cfg);

/* Add a program's own keys to cfg (ext must outlive cfg) and set them to
 * their defaults. 0, -E2BIG past SB_CONFIG_EXT_KEYS_MAX keys, or -EEXIST
 * when one of them names a shared key or a section of the shared ones. */
int sb_config_extend(struct sb_config *cfg, const struct sb_config_ext *ext);

/* Apply text (a whole config file) on top of cfg. Returns 0, or -EINVAL with
 * err filled; cfg may then be partly updated and should be discarded. */
int sb_config_parse(struct sb_config *cfg, const char *text, size_t len,
		    struct sb_config_error *err);

/* Read and parse a file. -ENOENT/-EACCES/... from open, -EFBIG past
 * SB_CONFIG_FILE_MAX, -EINVAL from parsing. */
int sb_config_load(struct sb_config *cfg, const char *path, struct sb_config_error *err);

/* Like sb_config_parse and sb_config_load, but go on past an error and add
 * every one to rep (file names them; it must outlive rep). 0 or -EINVAL
 * after at least one error; load_all's file errors (-ENOENT, -EFBIG, ...)
 * are reported with line 0. */
int sb_config_parse_all(struct sb_config *cfg, const char *text, size_t len,
			const char *file, struct sb_config_report *rep);
int sb_config_load_all(struct sb_config *cfg, const char *path, struct sb_config_report *rep);

/* Apply one "section.key=value" override. -EINVAL on an unknown key or a bad
 * value. */
int sb_config_override(struct sb_config *cfg, const char *assignment,
		       struct sb_config_error *err);
/* The same adding its error to rep; the key then has no line there. */
int sb_config_override_all(struct sb_config *cfg, const char *assignment,
			   struct sb_config_report *rep);

/* Relations between keys that no single key's range can express (for
 * example xmpp.input_budget must hold two stanzas of xmpp.max_stanza_bytes).
 * 0, or -EINVAL with err filled. */
int sb_config_check(const struct sb_config *cfg, struct sb_config_error *err);

/* Every relation sb_config_check tests, each broken one added to rep at the
 * line (and file) of the later of its keys per rep->key_line. 0 or -EINVAL. */
int sb_config_check_all(const struct sb_config *cfg, struct sb_config_report *rep);

/* One error as "FILE:LINE: message", "FILE: message" without a line, or the
 * bare message without a file. Returns the length, like snprintf. */
int sb_config_error_str(const struct sb_config_error *err, char *buf, size_t size);

/* Write every key as "section.key = value" lines into buf (for sbctl and
 * logs). Returns the length it needed, like snprintf. */
size_t sb_config_dump(const struct sb_config *cfg, char *buf, size_t size);

/* Format an address as dotted quad; buf must hold 16 bytes. */
const char *sb_config_ipv4_str(uint32_t addr, char buf[16]);

#endif
