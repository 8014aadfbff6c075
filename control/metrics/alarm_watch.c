/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See alarm_watch.h.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ring.h>

#include "alarm_watch.h"
#include "attach.h"
#include "collect.h"
#include "shard.h"

/* Keep v as kind k's worst when it is (the first place seen otherwise),
 * named "<pa><a>" or "<pa><a><pb><b>" ("up_w0_s1"). */
static void watch_max(struct sb_alarm_levels *l, enum sb_alarm_kind k, uint64_t v,
		      const char *pa, unsigned a, const char *pb, unsigned b)
{
	if (v <= l->level[k] && l->where[k][0] != '\0')
		return;
	l->level[k] = v;
	if (pb == NULL)
		snprintf(l->where[k], sizeof(l->where[k]), "%s%u", pa, a);
	else
		snprintf(l->where[k], sizeof(l->where[k]), "%s%u%s%u", pa, a, pb, b);
}

static void watch_rings(const struct sb_attach *at, struct sb_alarm_levels *l)
{
	for (unsigned w = 0; w < at->shm->n_workers; w++)
		for (unsigned s = 0; s < at->shm->n_shards; s++) {
			if (at->up[w][s] != NULL)
				watch_max(l, SB_ALARM_RING_UP, rte_ring_count(at->up[w][s]),
					  "up_w", w, "_s", s);
			if (at->down[w][s] != NULL)
				watch_max(l, SB_ALARM_RING_DOWN, rte_ring_count(at->down[w][s]),
					  "down_s", s, "_w", w);
		}
}

static void watch_shards(const struct sb_metrics_src *src, struct sb_alarm_levels *l)
{
	for (unsigned s = 0; src->shards != NULL && s < src->n_shards; s++) {
		const struct sb_router *r = &src->shards[s].router;

		for (unsigned w = 0; w < src->shards[s].n_workers; w++)
			watch_max(l, SB_ALARM_ROUTE_BACKLOG,
				  __atomic_load_n(&r->backlog[w].n, __ATOMIC_RELAXED),
				  "shard", s, "_to_w", w);
		watch_max(l, SB_ALARM_IM_BACKLOG, __atomic_load_n(&r->im.out_total, __ATOMIC_RELAXED),
			  "shard", s, NULL, 0);
	}
}

/* The workers' backlog gauges, by their directory entries. */
static void watch_workers(const struct sb_shm *shm, struct sb_alarm_levels *l,
			  uint64_t *hold_max)
{
	const struct sb_shm_ctr_entry *held = sb_shm_dir_find(&shm->worker_dir, "dataplane",
							       "xmpp_held_objs");
	const struct sb_shm_ctr_entry *cap = sb_shm_dir_find(&shm->worker_dir, "dataplane",
							      "xmpp_hold_max");
	const struct sb_shm_ctr_entry *wait = sb_shm_dir_find(&shm->worker_dir, "dataplane",
							       "xmpp_ring_waiters");

	for (unsigned w = 0; w < shm->n_workers; w++) {
		if (held != NULL)
			watch_max(l, SB_ALARM_HELD, sb_shm_ctr_sum(held, &shm->workers[w], 0, 1),
				  "w", w, NULL, 0);
		if (wait != NULL)
			watch_max(l, SB_ALARM_RING_WAIT,
				  sb_shm_ctr_sum(wait, &shm->workers[w], 0, 1), "w", w, NULL, 0);
		if (cap != NULL && sb_shm_ctr_sum(cap, &shm->workers[w], 0, 1) > *hold_max)
			*hold_max = sb_shm_ctr_sum(cap, &shm->workers[w], 0, 1);
	}
}

void sb_alarm_levels_read(const struct sb_metrics_src *src, const struct sb_alarm_cfg *cfg,
			  struct sb_alarm_levels *l)
{
	const struct sb_shm *shm = src->attach->shm;
	uint64_t hold_max = 0;

	memset(l, 0, sizeof(*l));
	watch_rings(src->attach, l);
	watch_shards(src, l);
	watch_workers(shm, l, &hold_max);
	l->high[SB_ALARM_RING_UP] = sb_alarm_mark(shm->ring_size, cfg->ring_pct);
	l->high[SB_ALARM_RING_DOWN] = l->high[SB_ALARM_RING_UP];
	l->high[SB_ALARM_ROUTE_BACKLOG] = sb_alarm_mark(cfg->backlog, cfg->backlog_pct);
	l->high[SB_ALARM_IM_BACKLOG] = l->high[SB_ALARM_ROUTE_BACKLOG];
	/* No worker published a share yet (no c2s): nothing to watch. */
	l->high[SB_ALARM_HELD] = hold_max ? sb_alarm_mark(hold_max, cfg->held_pct) : 0;
	l->high[SB_ALARM_RING_WAIT] = cfg->ring_wait;
}

void sb_alarm_watch(const struct sb_metrics_src *src, const struct sb_alarm_cfg *cfg,
		    uint64_t now_ms)
{
	struct sb_alarm_levels l;

	if (src->alarms == NULL)
		return;
	sb_alarm_levels_read(src, cfg, &l);
	for (unsigned k = 0; k < SB_ALARM_MAX; k++) {
		const struct sb_alarm *a = &src->alarms->a[k];

		switch (sb_alarm_update(src->alarms, k, l.level[k], l.high[k], l.where[k], now_ms)) {
		case SB_ALARM_RAISED:
			fprintf(stderr, "sb-control: alarm %s raised: %s at %llu, high-water mark "
					"%llu (%llu raises not logged before this one)\n",
				sb_alarm_names[k], a->where, (unsigned long long)l.level[k],
				(unsigned long long)l.high[k], (unsigned long long)a->unlogged);
			break;
		case SB_ALARM_CLEARED:
			fprintf(stderr, "sb-control: alarm %s cleared: worst now %llu (%s)\n",
				sb_alarm_names[k], (unsigned long long)l.level[k], l.where[k]);
			break;
		default:
			break;
		}
	}
}
