/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_shutdown.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shutdown.h"

#define SHUTDOWN_USAGE "usage: shutdown [--drain SECONDS] [--reconnect HOST]"

/* A host name or address a client can be told (LDH labels, dots, an IPv4
 * address, an optional :port); nothing that needs escaping. */
static bool shutdown_host_ok(const char *h, size_t len)
{
	if (len == 0 || len > SB_CMD_SHUTDOWN_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':'))
			return false;
	}
	return true;
}

int sb_cmd_shutdown_parse(const char *args, uint32_t *drain_s, char *text, size_t text_len,
			  char *why, size_t why_len)
{
	const char *p = args, *host = NULL;
	size_t host_len = 0;

	*drain_s = SB_CMD_SHUTDOWN_DRAIN_DEFAULT_S;
	while (*p != '\0') {
		size_t len = strcspn(p, " ");
		const char *w = p, *v;
		size_t vlen;

		p += len;
		while (*p == ' ')
			p++;
		v = p;
		vlen = strcspn(p, " ");
		if (len == 7 && memcmp(w, "--drain", 7) == 0) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);

			if (vlen == 0 || end != v + vlen || n > SB_CMD_SHUTDOWN_DRAIN_MAX_S) {
				snprintf(why, why_len, "%s (--drain takes 0..%u seconds)",
					 SHUTDOWN_USAGE, SB_CMD_SHUTDOWN_DRAIN_MAX_S);
				return -EINVAL;
			}
			*drain_s = (uint32_t)n;
		} else if (len == 11 && memcmp(w, "--reconnect", 11) == 0) {
			if (!shutdown_host_ok(v, vlen)) {
				snprintf(why, why_len, "%s (--reconnect takes a host name or address, "
						       "optionally :port)", SHUTDOWN_USAGE);
				return -EINVAL;
			}
			host = v;
			host_len = vlen;
		} else {
			snprintf(why, why_len, "%s (unexpected '%.*s')", SHUTDOWN_USAGE,
				 (int)(len > 64 ? 64 : len), w);
			return -EINVAL;
		}
		p += vlen;
		while (*p == ' ')
			p++;
	}
	if (host != NULL)
		snprintf(text, text_len, "the server is shutting down; reconnect to %.*s",
			 (int)host_len, host);
	else
		snprintf(text, text_len, "the server is shutting down");
	return 0;
}

void sb_cmd_shutdown_run(struct sb_shm *shm, const char *args, struct sb_out *o)
{
	struct sb_shm_shutdown *sd = &shm->shutdown;
	char why[256], text[SB_SHM_SHUTDOWN_TEXT_MAX];
	uint32_t drain_s;

	if (sb_cmd_shutdown_parse(args, &drain_s, text, sizeof(text), why, sizeof(why)) < 0) {
		sb_out_printf(o, "error: %s\n", why);
		return;
	}
	if (__atomic_load_n(&sd->requested, __ATOMIC_ACQUIRE) != 0) {
		sb_out_printf(o, "error: a shutdown is already under way\n");
		return;
	}
	/* The management thread is this block's only writer. */
	memcpy(sd->text, text, sizeof(sd->text));
	sd->drain_ms = drain_s * 1000u;
	__atomic_store_n(&sd->requested, 1, __ATOMIC_RELEASE);
	sb_out_printf(o, "ok\nshutting down: new streams refused, every stream told "
			 "<system-shutdown/> (\"%s\"); sb-dataplane exits when its connections "
			 "are closed or after %u s, then sb-control\n", text, drain_s);
}
