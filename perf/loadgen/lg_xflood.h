/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sb-loadgen's TLS handshake flood (loadgen.tls_flood), run in the same
 * process and loop as an XMPP scenario so that the established sessions'
 * latency histogram records what the flood does to them (issue 16 item 5).
 * Each flood connection goes to the gateway's direct-TLS port (XEP-0368),
 * completes one full TLS 1.3 handshake (libssl's client role from lib/tls,
 * no certificate check: the client's side then costs less than the
 * server's, so the gateway's worker is what saturates) and is reset as
 * soon as its Finished is sent: no TIME-WAIT on either side, so the
 * tuples cycle through a few source addresses of their own.
 *
 * Bounded three ways: tls_flood attempts in all, tls_flood_conc in
 * progress at once (TCP opening included), tls_flood_rate opened per
 * second; and only inside the window the caller gives (xmpp-msg's sending
 * window), after which the flood's connections are reset.
 */
#ifndef SB_LG_XFLOOD_H
#define SB_LG_XFLOOD_H

#include <stdbool.h>
#include <stdint.h>

struct sb_app_ops;
struct sb_lg;
struct sb_lg_keys;

/* The flood's TCP application (its connections' callbacks; ctx: the sb_lg). */
extern const struct sb_app_ops sb_lg_flood_ops;

/* Set up lg->flood from the keys: 0 (lg->flood stays NULL when
 * loadgen.tls_flood is 0), -EINVAL (not mode xmpp-msg), -ENOMEM. Its
 * connections use application lg->flood_app, registered by the caller. */
int sb_lg_flood_create(struct sb_lg *lg, const struct sb_lg_keys *cfg);

/* TCP connection slots the flood may hold at once (0 when off). */
uint32_t sb_lg_flood_slots(const struct sb_lg *lg);

/* Whether addr (host order) is one of the flood's source addresses. */
bool sb_lg_flood_owns(const struct sb_lg *lg, uint32_t addr);

/* Open what the rate and the concurrency allow between start_us and
 * stop_us; past stop_us reset what is still in progress (once). Returns
 * connections opened or reset. */
unsigned sb_lg_flood_some(struct sb_lg *lg, uint64_t start_us, uint64_t stop_us);

/* The summary's flood part (key=value pairs, no newline; nothing when off). */
void sb_lg_flood_report(const struct sb_lg *lg);

#endif
