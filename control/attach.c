/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See attach.h. The reclaim walk is safe without stopping the dataplane:
 * an object tagged SB_MSG_OWNER_CONTROL or _FREEING can only have been
 * held by a shard of sb-control, and no shard of this process has started
 * yet, so every such object belonged to the dead predecessor. What is
 * reclaimed goes back through a shard's return rings (shard_pool.h), not
 * into the pool: sb-control never touches the pool's ring. The windows
 * left are a predecessor killed between tagging an object RING or FREE and
 * publishing it on a ring, or between taking one from a fill ring and
 * tagging it CONTROL; such an object is leaked until the dataplane
 * restarts (a few instructions wide, and counted by the pool's in-use
 * figure in sbctl status).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "attach.h"
#include "msg.h"
#include "ring_rollback.h"

static void attach_reclaim_one(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct sb_attach *a = arg;
	struct sb_msg *m = obj;

	(void)mp;
	(void)idx;
	if (m->owner == SB_MSG_OWNER_CONTROL || m->owner == SB_MSG_OWNER_FREEING) {
		m->owner = SB_MSG_OWNER_FREEING;
		m->next = a->reclaim;
		a->reclaim = m;
		a->reclaimed++;
	}
}

static struct rte_ring *attach_ring(const char *kind, unsigned w, unsigned s)
{
	char name[SB_RING_NAME_MAX];

	snprintf(name, sizeof(name), SB_RING_FMT, kind, w, s);
	return rte_ring_lookup(name);
}

/* Find every ring and undo whatever operation a killed predecessor left
 * half done on our side of it (ring_rollback.h): we produce on the down and
 * return rings, consume on the up and fill rings. */
static int attach_rings(struct sb_attach *a, char *why, size_t why_len)
{
	for (unsigned w = 0; w < a->shm->n_workers; w++) {
		for (unsigned s = 0; s < a->shm->n_shards; s++) {
			a->up[w][s] = attach_ring(SB_RING_UP, w, s);
			a->down[w][s] = attach_ring(SB_RING_DOWN, w, s);
			a->fill[w][s] = attach_ring(SB_RING_FILL, w, s);
			a->ret[w][s] = attach_ring(SB_RING_RET, w, s);
			if (a->up[w][s] == NULL || a->down[w][s] == NULL ||
			    a->fill[w][s] == NULL || a->ret[w][s] == NULL) {
				snprintf(why, why_len, "rings of %u/%u not found", w, s);
				return -ENOENT;
			}
			sb_ring_rollback_consumer(a->up[w][s]);
			sb_ring_retag_queued(a->up[w][s]);
			sb_ring_rollback_producer(a->down[w][s]);
			sb_ring_rollback_consumer(a->fill[w][s]);
			sb_ring_rollback_producer(a->ret[w][s]);
		}
	}
	/* A send caught between its RING tag and the enqueue: back to
	 * CONTROL, for the recovery scan that follows. */
	for (unsigned s = 0; s < a->shm->n_shards; s++) {
		struct sb_shm_send *rec = &a->shm->shards[s].send;

		if (rec->m != NULL && rec->worker < a->shm->n_workers &&
		    sb_ring_send_undo(a->down[rec->worker][s], rec) != NULL)
			a->shm->ctl_sends_undone++;
		rec->m = NULL;
	}
	return 0;
}

/* A killed process stays a zombie until its parent reaps it, and kill()
 * still finds it; an orphan's new parent may take its time. A zombie holds
 * no ring and no object, so it counts as gone. */
static int pid_alive(int32_t pid)
{
	char path[64], buf[256];
	const char *rp;
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	rp = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold spaces */
	return !(rp != NULL && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

int sb_attach(struct sb_attach *a, unsigned n_shards, char *why, size_t why_len)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SB_SHM_NAME);
	struct sb_shm *shm;
	int rc;

	memset(a, 0, sizeof(*a));
	if (mz == NULL) {
		snprintf(why, why_len, "no shared state '%s': is sb-dataplane running?",
			 SB_SHM_NAME);
		return -ENOENT;
	}
	shm = mz->addr;
	if (__atomic_load_n(&shm->magic, __ATOMIC_ACQUIRE) != SB_SHM_MAGIC ||
	    shm->version != SB_SHM_VERSION) {
		snprintf(why, why_len, "shared state has version %u, this sb-control speaks %u",
			 shm->version, SB_SHM_VERSION);
		return -EPROTO;
	}
	if (n_shards > shm->n_shards) {
		snprintf(why, why_len, "control.shards=%u but the dataplane made rings for %u",
			 n_shards, shm->n_shards);
		return -EINVAL;
	}
	if (shm->ctl_pid != 0 && shm->ctl_pid != getpid() && pid_alive(shm->ctl_pid)) {
		snprintf(why, why_len, "another sb-control (pid %d) is attached", shm->ctl_pid);
		return -EBUSY;
	}
	a->shm = shm;
	a->msg_pool = rte_mempool_lookup(SB_MSG_POOL_NAME);
	if (a->msg_pool == NULL) {
		snprintf(why, why_len, "message pool '%s' not found", SB_MSG_POOL_NAME);
		return -ENOENT;
	}
	rc = attach_rings(a, why, why_len);
	if (rc < 0)
		return rc;
	if (sb_recover_scan(a->msg_pool, shm->n_workers, shm->n_shards, &a->recovered) == 0) {
		a->reclaimed = a->recovered.reclaimed;
		a->reclaim = a->recovered.reclaim;
	} else
		rte_mempool_obj_iter(a->msg_pool, attach_reclaim_one, a);
	a->epoch = shm->ctl_epoch + 1;
	shm->ctl_reclaimed += a->reclaimed;
	shm->ctl_attaches++;
	shm->ctl_epoch = a->epoch;
	shm->ctl_shards = n_shards;
	__atomic_store_n(&shm->ctl_pid, (int32_t)getpid(), __ATOMIC_RELEASE);
	return 0;
}

void sb_detach(struct sb_attach *a)
{
	if (a->shm == NULL)
		return;
	__atomic_store_n(&a->shm->ctl_shards, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&a->shm->ctl_pid, 0, __ATOMIC_RELEASE);
}

int sb_attach_dataplane_alive(const struct sb_attach *a)
{
	return pid_alive(a->shm->dp_pid);
}
