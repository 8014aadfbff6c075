/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Switchboard configuration: an INI-style file ("[section]" then "key = value",
 * '#' or ';' starts a comment) validated against config_keys.def, plus
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

struct sb_config_ipv4 {
	uint32_t addr;   /* host byte order */
	uint8_t prefix;  /* 0..32 */
};

struct sb_config {
#define SB_CFG_U64(s, k, d, lo, hi, h) uint64_t s##_##k;
#define SB_CFG_STR(s, k, d, h) char s##_##k[SB_CONFIG_STR_MAX];
#define SB_CFG_BOOL(s, k, d, h) bool s##_##k;
#define SB_CFG_IPV4(s, k, d, h) struct sb_config_ipv4 s##_##k;
#include "config_keys.def"
#undef SB_CFG_U64
#undef SB_CFG_STR
#undef SB_CFG_BOOL
#undef SB_CFG_IPV4
};

struct sb_config_error {
	unsigned line;   /* 1-based line of the file, 0 for an override or a file error */
	char msg[192];
};

/* Fill cfg with every key's default. Defaults are valid by construction. */
void sb_config_defaults(struct sb_config *cfg);

/* Apply text (a whole config file) on top of cfg. Returns 0, or -EINVAL with
 * err filled; cfg may then be partly updated and should be discarded. */
int sb_config_parse(struct sb_config *cfg, const char *text, size_t len,
		    struct sb_config_error *err);

/* Read and parse a file. -ENOENT/-EACCES/... from open, -EFBIG past
 * SB_CONFIG_FILE_MAX, -EINVAL from parsing. */
int sb_config_load(struct sb_config *cfg, const char *path, struct sb_config_error *err);

/* Apply one "section.key=value" override. -EINVAL on an unknown key or a bad
 * value. */
int sb_config_override(struct sb_config *cfg, const char *assignment,
		       struct sb_config_error *err);

/* Relations between keys that no single key's range can express (for
 * example xmpp.input_budget must hold two stanzas of xmpp.max_stanza_bytes).
 * 0, or -EINVAL with err filled. */
int sb_config_check(const struct sb_config *cfg, struct sb_config_error *err);

/* Write every key as "section.key = value" lines into buf (for sbctl and
 * logs). Returns the length it needed, like snprintf. */
size_t sb_config_dump(const struct sb_config *cfg, char *buf, size_t size);

/* Format an address as dotted quad; buf must hold 16 bytes. */
const char *sb_config_ipv4_str(uint32_t addr, char buf[16]);

#endif
