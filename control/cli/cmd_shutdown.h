/* SPDX-License-Identifier: BSD-3-Clause
 *
 * "shutdown [--drain SECONDS] [--reconnect HOST]": a graceful stop of both
 * processes. sb-control writes the request into shared memory (struct
 * sb_shm_shutdown); every dataplane worker then refuses new streams and
 * gives each open one <system-shutdown/> (RFC 6120 §4.9.3.20) with a
 * <text/> saying so, and naming HOST when given; the dataplane exits once
 * its connections are closed or the drain time is over, and sb-control,
 * finding it gone after a requested shutdown, exits with status 0.
 *
 * RFC 6120 allows one defined condition per stream error, so the
 * reconnect hint is text, not <see-other-host/> (§4.9.3.19, which means
 * "this server will not serve you; use that one", a redirect rather than
 * a shutdown).
 */
#ifndef SB_CTL_CMD_SHUTDOWN_H
#define SB_CTL_CMD_SHUTDOWN_H

#include <stddef.h>
#include <stdint.h>

#include "out.h"
#include "shm.h"

#define SB_CMD_SHUTDOWN_DRAIN_DEFAULT_S 10u
#define SB_CMD_SHUTDOWN_DRAIN_MAX_S 3600u
#define SB_CMD_SHUTDOWN_HOST_MAX 200u

/* Parse the arguments after "shutdown" into the drain (seconds) and the
 * stream error's text. 0, or -EINVAL with "usage: ..." in why. Pure. */
int sb_cmd_shutdown_parse(const char *args, uint32_t *drain_s, char *text, size_t text_len,
			  char *why, size_t why_len);

/* Serve "shutdown ARGS": request it in shm (once; a second request is an
 * error) and say what happens next. */
void sb_cmd_shutdown_run(struct sb_shm *shm, const char *args, struct sb_out *o);

#endif
