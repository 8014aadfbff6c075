/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the worker loop's busy/idle TSC accounting (dataplane/worker.c,
 * dp_counters.def busy_tsc and idle_tsc) costs a turn: the same loop shape
 * (one TSC read per turn, a counter bumped for busy or idle turns, a
 * pseudo-random one turn in eight busy) with and without the accounting,
 * each run `passes` times; the best of each is printed in nanoseconds per
 * turn, and the difference. The counters live in a separate array written
 * through a pointer, as the worker's shared-memory slots are.
 *
 * Run: build/perf/bench/loop/bench_busy_tsc [million_turns] [passes]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

enum { CTR_BUSY, CTR_IDLE, CTR_BUSY_TSC, CTR_IDLE_TSC, CTR_MAX };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One loop of n turns; accounting on or off. Returns ns per turn. */
static __attribute__((noinline)) double run(uint64_t *ctr, uint64_t n, int account)
{
	uint64_t last = __rdtsc(), x = 88172645463325252ull;
	unsigned last_idle = 1;
	double t0 = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		uint64_t now = __rdtsc();
		unsigned work;

		if (account) {
			ctr[CTR_BUSY_TSC + last_idle] += now - last;
			last = now;
		}
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		work = (x & 7) == 0;
		if (account)
			last_idle = work == 0;
		ctr[work ? CTR_BUSY : CTR_IDLE]++;
		__asm__ volatile("" ::: "memory"); /* the rest of a turn: opaque */
	}
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	uint64_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 50) * 1000000ull;
	int passes = argc > 2 ? atoi(argv[2]) : 3;
	uint64_t *ctr = calloc(CTR_MAX, sizeof(*ctr));
	double best_off = 1e9, best_on = 1e9;

	if (ctr == NULL || n == 0 || passes <= 0)
		return 1;
	for (int p = 0; p < passes; p++) {
		double off = run(ctr, n, 0), on = run(ctr, n, 1);

		best_off = off < best_off ? off : best_off;
		best_on = on < best_on ? on : best_on;
		printf("pass %d: without %.2f ns/turn, with %.2f ns/turn\n", p + 1, off, on);
	}
	printf("best: without %.2f ns/turn, with %.2f ns/turn, accounting %.2f ns/turn "
	       "(busy share %.1f %%)\n",
	       best_off, best_on, best_on - best_off,
	       100.0 * (double)ctr[CTR_BUSY_TSC] /
		       (double)(ctr[CTR_BUSY_TSC] + ctr[CTR_IDLE_TSC] + 1));
	free(ctr);
	return 0;
}
