/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hashed hierarchical timer wheel: O(1) arm and cancel, bounded expiry.
 *
 * Invariant: `now` is the last tick whose timers were all handed out (or moved
 * to the pending list). A timer whose expiry is d ticks ahead lives on the
 * lowest level l with d < 256^(l+1), in slot (expire >> 8l) & 255; when the
 * clock crosses a multiple of 256^l the matching slot of level l is emptied
 * and its timers re-inserted one level down ("cascade"). A timer further
 * ahead than the wheel covers sits in the top level's farthest slot and is
 * re-inserted each time that slot cascades, so it costs one move per wheel
 * revolution and still fires on its exact tick. A timer armed in the past
 * fires on the next tick.
 *
 * The timer node is intrusive (struct sb_wheel_timer embedded in the owner's
 * struct, recovered with container_of) and the slot heads are storage the
 * caller passes in, so the wheel never allocates. A bitmap of non-empty
 * level-0 slots lets the clock jump straight to the next occupied slot or
 * cascade point instead of visiting every empty tick. Expiry is bounded per call:
 * sb_wheel_advance() hands out at most max_expired timers and keeps the rest
 * of the current tick on a pending list for the next call, which is how one
 * loop turn stays bounded when a million keepalives share one tick.
 */
#ifndef SB_WHEEL_H
#define SB_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_WHEEL_SLOT_BITS 8u
#define SB_WHEEL_SLOTS (1u << SB_WHEEL_SLOT_BITS) /* slots per level */
#define SB_WHEEL_LEVELS_MAX 4u /* 4 x 8 bits: 2^32 ticks, 49 days at 1 ms */
/* Slot heads the caller provides for a wheel of `levels` levels. */
#define SB_WHEEL_STORAGE(levels) ((size_t)(levels) * SB_WHEEL_SLOTS)

struct sb_wheel_timer {
	struct sb_wheel_timer *next;   /* next in the slot list */
	struct sb_wheel_timer **pprev; /* link that points at us; NULL when not armed */
	uint64_t expire_tick;          /* absolute tick it fires on */
};

_Static_assert(sizeof(struct sb_wheel_timer) == 24, "timer node is embedded in every TCB");

struct sb_wheel {
	uint64_t now_tick;              /* last tick fully processed */
	/* one bit per non-empty level-0 slot: lets advance() jump over empty
	 * ticks, so an idle wheel costs one step per 256 ticks, not one per tick */
	uint64_t occupied[SB_WHEEL_SLOTS / 64];
	struct sb_wheel_timer **slots;  /* levels * SB_WHEEL_SLOTS list heads, caller's storage */
	struct sb_wheel_timer *pending; /* timers of now_tick not yet handed out */
	uint64_t armed;                 /* timers armed (pending included) */
	uint32_t levels;                /* 1..SB_WHEEL_LEVELS_MAX */
	uint32_t cascades;              /* re-insertions done by cascading, for tests/stats */
};

/* Called with the timer already unlinked: it may re-arm it or free its owner. */
typedef void (*sb_wheel_fire_fn)(struct sb_wheel_timer *t, void *arg);

/* Prepares w over `slots` (SB_WHEEL_STORAGE(levels) entries, zeroed here).
 * Returns 0, or -EINVAL for a NULL argument or levels outside 1..4. */
int sb_wheel_init(struct sb_wheel *w, struct sb_wheel_timer **slots, uint32_t levels,
		  uint64_t now_tick);

/* Makes t an unarmed timer; an owner calls it once before the first arm. */
static inline void sb_wheel_timer_init(struct sb_wheel_timer *t)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expire_tick = 0;
}

static inline bool sb_wheel_timer_armed(const struct sb_wheel_timer *t)
{
	return t->pprev != NULL;
}

/* Arms t for expire_tick (re-arms it if already armed). O(1). */
void sb_wheel_arm(struct sb_wheel *w, struct sb_wheel_timer *t, uint64_t expire_tick);

/* Disarms t; a no-op for an unarmed timer. O(1). */
void sb_wheel_cancel(struct sb_wheel *w, struct sb_wheel_timer *t);

/* Moves the clock to now_tick and calls cb for each timer due, in tick order,
 * at most max_expired times. Returns how many fired; when it returns
 * max_expired there may be more due, left for the next call (the clock then
 * stays on the tick being expired). A now_tick behind the clock is a no-op. */
uint32_t sb_wheel_advance(struct sb_wheel *w, uint64_t now_tick, sb_wheel_fire_fn cb, void *arg,
			  uint32_t max_expired);

#endif /* SB_WHEEL_H */
