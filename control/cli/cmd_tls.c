/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See cmd_tls.h.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cmd_tls.h"

#define TLS_POLL_MS 20u

void sb_cmd_tls_status(struct sb_out *o, const struct sb_shm *shm)
{
	const struct sb_shm_tls *st = &shm->tls;
	uint64_t now = (uint64_t)time(NULL);

	if (st->domains == 0) {
		sb_out_printf(o, "tls off (xmpp.tls = off, or no c2s port)\n");
		return;
	}
	sb_out_printf(o, "tls certificates %u loaded %" PRIu64 " s ago, smallest days to expiry %d "
			 "(%s)\n",
		      st->domains, now >= st->loaded_unix_s ? now - st->loaded_unix_s : 0,
		      st->days_left, st->days_left_domain);
	sb_out_printf(o, "  %-22s %d\n", "tls_cert_days_left", st->days_left);
	sb_out_printf(o, "  %-22s %" PRIu64 "\n", "tls_reloads", st->reloads);
	sb_out_printf(o, "  %-22s %" PRIu64 "\n", "tls_reload_failed", st->reload_failed);
}

/* Ask the dataplane (struct sb_shm_tls) and wait for its answer: it comes
 * once every worker starts new handshakes with the new certificates. */
static void cmd_tls_reload(struct sb_shm *shm, struct sb_out *o)
{
	const struct timespec step = { .tv_sec = 0, .tv_nsec = TLS_POLL_MS * 1000000L };
	struct sb_shm_tls *st = &shm->tls;
	uint64_t req = __atomic_add_fetch(&st->reload_req, 1, __ATOMIC_ACQ_REL);
	bool done = false;

	for (unsigned waited = 0; waited <= SB_CMD_TLS_WAIT_MS; waited += TLS_POLL_MS) {
		/* A later request answered answers ours too. */
		if ((int64_t)(__atomic_load_n(&st->reload_done, __ATOMIC_ACQUIRE) - req) >= 0) {
			done = true;
			break;
		}
		nanosleep(&step, NULL);
	}
	if (!done) {
		sb_out_printf(o, "error: tls reload: the dataplane did not answer within %u ms "
				 "(is it running?)\n", SB_CMD_TLS_WAIT_MS);
		return;
	}
	if (st->reload_rc != 0) {
		sb_out_printf(o, "error: tls reload: %s (the certificates in use stay)\n",
			      st->reload_msg);
		return;
	}
	sb_out_printf(o, "ok\ntls reload: %u certificates read again and in use by every worker; "
			 "smallest days to expiry %d (%s)\n",
		      st->domains, st->days_left, st->days_left_domain);
}

void sb_cmd_tls_run(struct sb_shm *shm, const char *args, struct sb_out *o)
{
	if (strcmp(args, "reload") == 0) {
		cmd_tls_reload(shm, o);
	} else if (strcmp(args, "status") == 0 || args[0] == '\0') {
		sb_out_printf(o, "ok\n");
		sb_cmd_tls_status(o, shm);
	} else {
		size_t w = strcspn(args, " ");

		sb_out_printf(o, "error: tls: unknown subcommand '%.*s' (try: reload, status)\n",
			      (int)(w > 64 ? 64 : w), args);
	}
}
