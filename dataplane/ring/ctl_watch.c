/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See ctl_watch.h. Runs on the main lcore only, where a system call every
 * 100 ms costs nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_ring.h>

#include "ctl_watch.h"
#include "shared.h"

void sb_ctl_watch_init(struct sb_ctl_watch *cw, const struct sb_dp_shared *sh, unsigned n_workers,
		       uint64_t stall_ms)
{
	memset(cw, 0, sizeof(*cw));
	cw->sh = sh;
	cw->n_workers = n_workers;
	cw->stall_ms = stall_ms;
}

/* The process exists and is not a zombie waiting to be reaped. */
static bool watch_pid_alive(int32_t pid)
{
	char path[64], stat[256];
	const char *state;
	FILE *f;
	size_t n;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	state = strrchr(stat, ')'); /* "pid (comm) S ...": comm may hold anything */
	return state != NULL && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

static bool watch_rings_waiting(const struct sb_ctl_watch *cw, unsigned s)
{
	for (unsigned w = 0; w < cw->n_workers; w++)
		if (rte_ring_count(cw->sh->up[w][s]) > 0)
			return true;
	return false;
}

/* Shard s turned its loop lately, or has nothing to do. */
static bool watch_shard_alive(struct sb_ctl_watch *cw, unsigned s, uint64_t now_ms)
{
	const struct sb_shm_shard *st = &cw->sh->shm->shards[s];
	uint64_t turns = __atomic_load_n(&st->turns, __ATOMIC_RELAXED);

	if (turns != cw->turns[s] || !watch_rings_waiting(cw, s)) {
		cw->turns[s] = turns;
		cw->moved_ms[s] = now_ms;
		return true;
	}
	return now_ms - cw->moved_ms[s] < cw->stall_ms;
}

void sb_ctl_watch_tick(struct sb_ctl_watch *cw, uint64_t now_ms)
{
	struct sb_shm *shm = cw->sh->shm;
	int32_t pid = __atomic_load_n(&shm->ctl_pid, __ATOMIC_ACQUIRE);
	uint32_t epoch = __atomic_load_n(&shm->ctl_epoch, __ATOMIC_ACQUIRE);
	unsigned shards = __atomic_load_n(&shm->ctl_shards, __ATOMIC_ACQUIRE);
	bool live = watch_pid_alive(pid);

	if (pid != cw->pid) {
		/* A new sb-control: its shards start with a clean slate. */
		cw->pid = pid;
		for (unsigned s = 0; s < SB_MAX_SHARDS; s++) {
			cw->turns[s] = 0;
			cw->moved_ms[s] = now_ms;
		}
	}
	for (unsigned s = 0; live && s < shards && s < shm->n_shards; s++)
		live = watch_shard_alive(cw, s, now_ms);
	if (!live && __atomic_load_n(&shm->ctl_live, __ATOMIC_RELAXED) != 0)
		shm->ctl_lost++;
	__atomic_store_n(&shm->ctl_live, live ? epoch : 0, __ATOMIC_RELEASE);
}
