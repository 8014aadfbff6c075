/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hashed hierarchical timer wheel (see wheel.h for the invariant). Lists are
 * intrusive and doubly linked through `pprev`, so cancel needs no search; the
 * only per-tick work is splicing one slot and, every 256^l ticks, cascading
 * one slot of level l.
 */
#include <errno.h>
#include <string.h>

#include "wheel.h"

static struct sb_wheel_timer **wheel_head(struct sb_wheel *w, uint32_t level, uint64_t tick)
{
	uint32_t shift = level * SB_WHEEL_SLOT_BITS;

	return &w->slots[level * SB_WHEEL_SLOTS + ((tick >> shift) & (SB_WHEEL_SLOTS - 1))];
}

/* Level-0 slot index of a list head, or -1 for another level or pending. */
static int wheel_l0_index(const struct sb_wheel *w, struct sb_wheel_timer **head)
{
	uintptr_t h = (uintptr_t)head, base = (uintptr_t)w->slots;

	if (h < base || h >= base + SB_WHEEL_SLOTS * sizeof(*head))
		return -1;
	return (int)((h - base) / sizeof(*head));
}

static void wheel_link(struct sb_wheel *w, struct sb_wheel_timer **head, struct sb_wheel_timer *t)
{
	int i = wheel_l0_index(w, head);

	if (i >= 0)
		w->occupied[i / 64] |= 1ull << (i % 64);
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

static void wheel_unlink(struct sb_wheel *w, struct sb_wheel_timer *t)
{
	if (t->next == NULL && (void *)t->pprev != (void *)&w->pending) {
		int i = wheel_l0_index(w, t->pprev);

		/* last of its list: a level-0 slot that was t alone is now empty */
		if (i >= 0 && *t->pprev == t)
			w->occupied[i / 64] &= ~(1ull << (i % 64));
	}
	*t->pprev = t->next;
	if (t->next != NULL)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

/* The list a timer belongs on, relative to w->now_tick. A timer already due
 * goes to the next tick's slot: the current tick has been handed out. */
static struct sb_wheel_timer **wheel_place(struct sb_wheel *w, uint64_t expire)
{
	uint64_t now = w->now_tick;
	uint64_t delta;
	uint32_t l;

	if (expire <= now)
		expire = now + 1;
	delta = expire - now;
	for (l = 0; l < w->levels; l++) {
		if (delta < (1ull << (SB_WHEEL_SLOT_BITS * (l + 1))))
			return wheel_head(w, l, expire);
	}
	/* Beyond the wheel: park in the top level's farthest slot; the cascade
	 * of that slot re-places the timer from its real expiry. */
	l = w->levels - 1;
	return wheel_head(w, l, now + (1ull << (SB_WHEEL_SLOT_BITS * w->levels)) - 1);
}

int sb_wheel_init(struct sb_wheel *w, struct sb_wheel_timer **slots, uint32_t levels,
		  uint64_t now_tick)
{
	if (w == NULL || slots == NULL || levels == 0 || levels > SB_WHEEL_LEVELS_MAX)
		return -EINVAL;
	memset(slots, 0, SB_WHEEL_STORAGE(levels) * sizeof(*slots));
	memset(w->occupied, 0, sizeof(w->occupied));
	w->now_tick = now_tick;
	w->slots = slots;
	w->pending = NULL;
	w->armed = 0;
	w->levels = levels;
	w->cascades = 0;
	return 0;
}

void sb_wheel_arm(struct sb_wheel *w, struct sb_wheel_timer *t, uint64_t expire_tick)
{
	if (t->pprev != NULL)
		wheel_unlink(w, t);
	else
		w->armed++;
	t->expire_tick = expire_tick;
	wheel_link(w, wheel_place(w, expire_tick), t);
}

void sb_wheel_cancel(struct sb_wheel *w, struct sb_wheel_timer *t)
{
	if (t->pprev == NULL)
		return;
	wheel_unlink(w, t);
	w->armed--;
}

/* Empties slot `level` of the current tick into lower levels or, for what is
 * due now, onto the pending list. Re-placement never lands in the slot being
 * emptied: its timers are all less than 256^level ticks away now. */
static void wheel_cascade(struct sb_wheel *w, uint32_t level)
{
	struct sb_wheel_timer **head = wheel_head(w, level, w->now_tick);
	struct sb_wheel_timer *t = *head;

	*head = NULL;
	while (t != NULL) {
		struct sb_wheel_timer *next = t->next;

		if (t->expire_tick <= w->now_tick)
			wheel_link(w, &w->pending, t);
		else
			wheel_link(w, wheel_place(w, t->expire_tick), t);
		w->cascades++;
		t = next;
	}
}

/* Moves the clock one tick and collects that tick's timers on `pending`. */
static void wheel_tick(struct sb_wheel *w)
{
	struct sb_wheel_timer **head;
	uint32_t l;

	w->now_tick++;
	head = wheel_head(w, 0, w->now_tick);
	w->occupied[(w->now_tick & (SB_WHEEL_SLOTS - 1)) / 64] &=
		~(1ull << (w->now_tick & 63));
	if (*head != NULL) {
		w->pending = *head;
		w->pending->pprev = &w->pending;
		*head = NULL;
	}
	for (l = 1; l < w->levels; l++) {
		uint64_t mask = (1ull << (SB_WHEEL_SLOT_BITS * l)) - 1;

		if ((w->now_tick & mask) != 0)
			break;
		wheel_cascade(w, l);
	}
}

/* First occupied level-0 slot at index >= from, or SB_WHEEL_SLOTS. */
static uint32_t wheel_next_occupied(const struct sb_wheel *w, uint32_t from)
{
	uint32_t word = from / 64;
	uint64_t bits = w->occupied[word] & (~0ull << (from % 64));

	for (;;) {
		if (bits != 0)
			return word * 64 + (uint32_t)__builtin_ctzll(bits);
		if (++word == SB_WHEEL_SLOTS / 64)
			return SB_WHEEL_SLOTS;
		bits = w->occupied[word];
	}
}

/* Moves the clock over empty level-0 ticks, never past a cascade point (the
 * next multiple of 256 is always ticked) nor past target. */
static void wheel_skip(struct sb_wheel *w, uint64_t target)
{
	uint64_t next = w->now_tick + 1;
	uint32_t idx = (uint32_t)(next & (SB_WHEEL_SLOTS - 1));
	uint64_t to;

	if (idx == 0)
		return;
	to = (next - idx) + wheel_next_occupied(w, idx) - 1;
	if (to > target - 1)
		to = target - 1;
	if (to > w->now_tick)
		w->now_tick = to;
}

uint32_t sb_wheel_advance(struct sb_wheel *w, uint64_t now_tick, sb_wheel_fire_fn cb, void *arg,
			  uint32_t max_expired)
{
	uint32_t fired = 0;

	for (;;) {
		while (w->pending != NULL) {
			struct sb_wheel_timer *t = w->pending;

			if (fired == max_expired)
				return fired;
			wheel_unlink(w, t);
			w->armed--;
			fired++;
			cb(t, arg);
		}
		if (w->now_tick >= now_tick)
			return fired;
		if (w->armed == 0) {
			/* Nothing can fire: jump instead of walking empty ticks. */
			w->now_tick = now_tick;
			return fired;
		}
		wheel_skip(w, now_tick);
		wheel_tick(w);
	}
}
