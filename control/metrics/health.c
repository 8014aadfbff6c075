/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See health.h.
 */
#include <stdio.h>

#include "health.h"

uint64_t sb_health_default_max_age_tsc(const struct sb_shm *shm)
{
	uint64_t floor_tsc = 5 * shm->tsc_hz;
	uint64_t three = 3 * shm->hb_interval_tsc;

	return three > floor_tsc ? three : floor_tsc;
}

static double health_s(const struct sb_shm *shm, uint64_t tsc)
{
	return shm->tsc_hz == 0 ? 0.0 : (double)tsc / (double)shm->tsc_hz;
}

/* Age of stamp at now, with a stamp from the future (another core's TSC
 * read a little ahead) counted as fresh. */
static uint64_t health_age(uint64_t stamp, uint64_t now_tsc)
{
	return now_tsc > stamp ? now_tsc - stamp : 0;
}

/* A ring pair's round trip last returned at stamp: 0 when recent enough. */
static int health_pair(const struct sb_shm *shm, uint64_t stamp, uint64_t now_tsc,
		       uint64_t max_age_tsc, const char *path, unsigned a, unsigned b, char *why,
		       size_t why_len)
{
	if (stamp == 0) {
		/* None yet: only a fault once the pair had time for one. */
		if (health_age(shm->dp_start_tsc, now_tsc) <= max_age_tsc)
			return 0;
		snprintf(why, why_len, "no heartbeat has made the round trip %s %u -> %u yet", path,
			 a, b);
		return -1;
	}
	if (health_age(stamp, now_tsc) <= max_age_tsc)
		return 0;
	snprintf(why, why_len, "no heartbeat round trip %s %u -> %u for %.1f s", path, a, b,
		 health_s(shm, health_age(stamp, now_tsc)));
	return -1;
}

int sb_health_check(const struct sb_shm *shm, uint32_t ctl_epoch, unsigned ctl_shards,
		    int dp_pid_alive, uint64_t now_tsc, uint64_t max_age_tsc, char *why,
		    size_t why_len)
{
	uint64_t age = health_age(shm->dp_alive_tsc, now_tsc);

	if (!dp_pid_alive) {
		snprintf(why, why_len, "sb-dataplane (pid %d) is gone", shm->dp_pid);
		return -1;
	}
	if (age > max_age_tsc) {
		snprintf(why, why_len, "sb-dataplane's main loop silent for %.1f s",
			 health_s(shm, age));
		return -1;
	}
	if (__atomic_load_n(&shm->ctl_live, __ATOMIC_ACQUIRE) != ctl_epoch) {
		snprintf(why, why_len, "sb-dataplane does not hold this sb-control (epoch %u) for "
				       "live: a shard loop stalled?", ctl_epoch);
		return -1;
	}
	for (unsigned w = 0; w < shm->n_workers && w < SB_MAX_WORKERS; w++)
		for (unsigned s = 0; s < ctl_shards && s < SB_MAX_SHARDS; s++) {
			if (health_pair(shm, shm->workers[w].hb_last_tsc[s], now_tsc, max_age_tsc,
					"worker -> shard", w, s, why, why_len) < 0 ||
			    health_pair(shm, shm->shards[s].hb_last_tsc[w], now_tsc, max_age_tsc,
					"shard -> worker", s, w, why, why_len) < 0)
				return -1;
		}
	return 0;
}
