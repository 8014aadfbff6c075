/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The presence subscription state machine of RFC 6121 Appendix A, as a
 * pure function: a contact's state in a user's roster (subscription none /
 * to / from / both, pending out, pending in, pre-approved) and a
 * subscription stanza the user sends (outbound, A.2) or receives
 * (inbound, A.3) give the next state and what the server does with the
 * stanza. Pre-approval (§3.4) is optional (the caller's flag).
 */
#ifndef SB_IM_SUB_H
#define SB_IM_SUB_H

#include <stdbool.h>
#include <stdint.h>

enum sb_sub_event {
	SB_SUB_OUT_SUBSCRIBE = 0,
	SB_SUB_OUT_SUBSCRIBED,
	SB_SUB_OUT_UNSUBSCRIBE,
	SB_SUB_OUT_UNSUBSCRIBED,
	SB_SUB_IN_SUBSCRIBE,
	SB_SUB_IN_SUBSCRIBED,
	SB_SUB_IN_UNSUBSCRIBE,
	SB_SUB_IN_UNSUBSCRIBED,
	SB_SUB_EV_MAX,
};

#define SB_SUB_A_CHANGED 0x01u   /* the state changed: push the roster item */
#define SB_SUB_A_ROUTE 0x02u     /* outbound: send the stanza on to the contact */
#define SB_SUB_A_DELIVER 0x04u   /* inbound: deliver the stanza to the user */
#define SB_SUB_A_AUTOREPLY 0x08u /* inbound subscribe: answer subscribed for the user */

/* sub: enum sb_sub (store_im.h); flags: SB_ROSTER_F_PENDING_OUT,
 * _PENDING_IN, _PREAPPROVED. */
struct sb_sub_state {
	uint8_t sub;
	uint8_t flags;
};

/* Apply ev to *s; returns SB_SUB_A_* flags. preapproval: the server offers
 * RFC 6121 §3.4 (an outbound subscribed without a pending request then
 * records the approval instead of being dropped). */
unsigned sb_sub_step(struct sb_sub_state *s, enum sb_sub_event ev, bool preapproval);

/* RFC 6121 Appendix A.1 name of a state ("None + Pending Out", ...), for
 * tests and logs. */
const char *sb_sub_state_name(struct sb_sub_state s);

#endif
