/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RFC 6121 Appendix A, table by table: each event maps the nine defined
 * states to the next one. A transition not listed in a table is "no state
 * change". What happens to the stanza follows the sections the tables
 * serve: outbound subscribe and unsubscribe are always routed (§3.1.2,
 * §3.3.2), outbound subscribed and unsubscribed only when they change the
 * state (§3.1.5, §3.2.2; otherwise there is nothing to approve or cancel),
 * inbound stanzas are delivered only when they change the state (A.3:
 * "the server MUST NOT deliver" otherwise), and an inbound subscribe from a
 * contact already approved is answered by the server (§3.1.3).
 */
#include <stddef.h>

#include "store/store_im.h"
#include "sub.h"

#define PO SB_ROSTER_F_PENDING_OUT
#define PI SB_ROSTER_F_PENDING_IN

/* The nine states of A.1. */
enum st {
	NONE, NONE_PO, NONE_PI, NONE_PO_PI, TO, TO_PI, FROM, FROM_PO, BOTH, ST_MAX, BAD = ST_MAX
};

static const struct sb_sub_state st_val[ST_MAX] = {
	[NONE] = { SB_SUB_NONE, 0 },	     [NONE_PO] = { SB_SUB_NONE, PO },
	[NONE_PI] = { SB_SUB_NONE, PI },     [NONE_PO_PI] = { SB_SUB_NONE, PO | PI },
	[TO] = { SB_SUB_TO, 0 },	     [TO_PI] = { SB_SUB_TO, PI },
	[FROM] = { SB_SUB_FROM, 0 },	     [FROM_PO] = { SB_SUB_FROM, PO },
	[BOTH] = { SB_SUB_BOTH, 0 },
};

static const char *const st_name[ST_MAX + 1] = {
	[NONE] = "None", [NONE_PO] = "None + Pending Out", [NONE_PI] = "None + Pending In",
	[NONE_PO_PI] = "None + Pending Out/In", [TO] = "To", [TO_PI] = "To + Pending In",
	[FROM] = "From", [FROM_PO] = "From + Pending Out", [BOTH] = "Both", [BAD] = "?",
};

/* next[ev][state]; BAD stands for "no state change". */
static const uint8_t next[SB_SUB_EV_MAX][ST_MAX] = {
	/* A.2.1 */
	[SB_SUB_OUT_SUBSCRIBE] = { [NONE] = NONE_PO, [NONE_PO] = BAD, [NONE_PI] = NONE_PO_PI,
				   [NONE_PO_PI] = BAD, [TO] = BAD, [TO_PI] = BAD,
				   [FROM] = FROM_PO, [FROM_PO] = BAD, [BOTH] = BAD },
	/* A.2.3 */
	[SB_SUB_OUT_SUBSCRIBED] = { [NONE] = BAD, [NONE_PO] = BAD, [NONE_PI] = FROM,
				    [NONE_PO_PI] = FROM_PO, [TO] = BAD, [TO_PI] = BOTH,
				    [FROM] = BAD, [FROM_PO] = BAD, [BOTH] = BAD },
	/* A.2.2 */
	[SB_SUB_OUT_UNSUBSCRIBE] = { [NONE] = BAD, [NONE_PO] = NONE, [NONE_PI] = BAD,
				     [NONE_PO_PI] = NONE_PI, [TO] = NONE, [TO_PI] = NONE_PI,
				     [FROM] = BAD, [FROM_PO] = FROM, [BOTH] = FROM },
	/* A.2.4 */
	[SB_SUB_OUT_UNSUBSCRIBED] = { [NONE] = BAD, [NONE_PO] = BAD, [NONE_PI] = NONE,
				      [NONE_PO_PI] = NONE_PO, [TO] = BAD, [TO_PI] = TO,
				      [FROM] = NONE, [FROM_PO] = NONE_PO, [BOTH] = TO },
	/* A.3.1 */
	[SB_SUB_IN_SUBSCRIBE] = { [NONE] = NONE_PI, [NONE_PO] = NONE_PO_PI, [NONE_PI] = BAD,
				  [NONE_PO_PI] = BAD, [TO] = TO_PI, [TO_PI] = BAD,
				  [FROM] = BAD, [FROM_PO] = BAD, [BOTH] = BAD },
	/* A.3.3 */
	[SB_SUB_IN_SUBSCRIBED] = { [NONE] = BAD, [NONE_PO] = TO, [NONE_PI] = BAD,
				   [NONE_PO_PI] = TO_PI, [TO] = BAD, [TO_PI] = BAD,
				   [FROM] = BAD, [FROM_PO] = BOTH, [BOTH] = BAD },
	/* A.3.2 */
	[SB_SUB_IN_UNSUBSCRIBE] = { [NONE] = BAD, [NONE_PO] = BAD, [NONE_PI] = NONE,
				    [NONE_PO_PI] = NONE_PO, [TO] = BAD, [TO_PI] = TO,
				    [FROM] = NONE, [FROM_PO] = NONE_PO, [BOTH] = TO },
	/* A.3.4 */
	[SB_SUB_IN_UNSUBSCRIBED] = { [NONE] = BAD, [NONE_PO] = NONE, [NONE_PI] = BAD,
				     [NONE_PO_PI] = NONE_PI, [TO] = NONE, [TO_PI] = NONE_PI,
				     [FROM] = BAD, [FROM_PO] = FROM, [BOTH] = FROM },
};

static enum st st_of(struct sb_sub_state s)
{
	for (unsigned i = 0; i < ST_MAX; i++)
		if (st_val[i].sub == s.sub && st_val[i].flags == (s.flags & (PO | PI)))
			return (enum st)i;
	return BAD;
}

const char *sb_sub_state_name(struct sb_sub_state s)
{
	return st_name[st_of(s)];
}

/* §3.4: an approval given before the request. */
static unsigned sub_preapproved(struct sb_sub_state *s, enum sb_sub_event ev, enum st cur,
				bool preapproval)
{
	bool pre = (s->flags & SB_ROSTER_F_PREAPPROVED) != 0;

	if (ev == SB_SUB_OUT_SUBSCRIBED && preapproval && !pre &&
	    (cur == NONE || cur == NONE_PO || cur == TO)) {
		s->flags |= SB_ROSTER_F_PREAPPROVED;
		return SB_SUB_A_CHANGED;
	}
	if (ev == SB_SUB_OUT_UNSUBSCRIBED && pre) {
		s->flags &= (uint8_t)~SB_ROSTER_F_PREAPPROVED;
		return SB_SUB_A_CHANGED;
	}
	if (ev == SB_SUB_IN_SUBSCRIBE && pre && (cur == NONE || cur == NONE_PO || cur == TO)) {
		/* The request meets the approval: as if approved now. */
		enum st to = cur == NONE ? FROM : cur == NONE_PO ? FROM_PO : BOTH;

		s->sub = st_val[to].sub;
		s->flags = st_val[to].flags;
		return SB_SUB_A_CHANGED | SB_SUB_A_AUTOREPLY;
	}
	return 0;
}

unsigned sb_sub_step(struct sb_sub_state *s, enum sb_sub_event ev, bool preapproval)
{
	enum st cur = st_of(*s), to;
	unsigned a;

	if (ev >= SB_SUB_EV_MAX || cur == BAD)
		return 0;
	a = sub_preapproved(s, ev, cur, preapproval);
	if (a != 0)
		return a;
	to = (enum st)next[ev][cur];
	if (to != BAD) {
		s->sub = st_val[to].sub;
		s->flags = (uint8_t)((s->flags & ~(PO | PI)) | st_val[to].flags);
		a |= SB_SUB_A_CHANGED;
	}
	switch (ev) {
	case SB_SUB_OUT_SUBSCRIBE:
	case SB_SUB_OUT_UNSUBSCRIBE:
		a |= SB_SUB_A_ROUTE;
		break;
	case SB_SUB_OUT_SUBSCRIBED:
	case SB_SUB_OUT_UNSUBSCRIBED:
		if (to != BAD)
			a |= SB_SUB_A_ROUTE;
		break;
	case SB_SUB_IN_SUBSCRIBE:
		if (to != BAD)
			a |= SB_SUB_A_DELIVER;
		else if (cur == FROM || cur == FROM_PO || cur == BOTH)
			a |= SB_SUB_A_AUTOREPLY;
		break;
	default:
		if (to != BAD)
			a |= SB_SUB_A_DELIVER;
		break;
	}
	return a;
}
