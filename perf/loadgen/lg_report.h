/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What sb-loadgen prints: the memory its TCP state took (the same pools the
 * gateway creates for tcp.max_conns), a table with one line per second, and
 * one final "summary:" line of key=value pairs that scripts grep.
 */
#ifndef SB_LG_REPORT_H
#define SB_LG_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "loadgen.h"

struct sb_lg_mem {
	uint32_t slots;      /* connection slots (tcp.max_conns) */
	uint32_t tw_slots;   /* TIME-WAIT records */
	uint64_t heap_bytes; /* hugepage heap taken by table, pools and wheel */
};

/* Counter values at one instant, for rates between two of them. */
struct sb_lg_snap {
	uint64_t us;
	uint64_t established;
	uint64_t rx_segs;
	uint64_t tx_segs;
	uint64_t msgs_rx;
	uint64_t rexmt;
	uint64_t errors;
};

struct sb_lg_report {
	uint64_t next_us;
	uint32_t peak_open;
	uint32_t open_at_end;    /* open when the hold window ended */
	struct sb_lg_snap start; /* first connect */
	struct sb_lg_snap mark;  /* every connection settled: the hold window starts */
	struct sb_lg_snap last;  /* previous line of the table */
	struct sb_lg_snap hold_end; /* the hold window is over: closing starts */
};

void sb_lg_report_mem(const struct sb_lg_mem *mem, int rc);
void sb_lg_report_start(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us);
void sb_lg_report_mark(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us);
void sb_lg_report_hold_end(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us);
/* Print a line when a second has passed; cheap otherwise. */
void sb_lg_report_tick(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us);
void sb_lg_report_end(struct sb_lg_report *r, const struct sb_lg *lg, uint64_t now_us,
		      bool interrupted);
/* The run met its scenario: every connection opened, none lost, every echo
 * exact, and (when asked to close) every one closed in order. */
bool sb_lg_report_ok(const struct sb_lg *lg, const struct sb_lg_report *r);

#endif
