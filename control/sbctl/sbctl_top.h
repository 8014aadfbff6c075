/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `sbctl top`: the live view's arithmetic and printing, apart from the
 * socket so that it is tested alone (tests/unit/metrics/test_metrics_top.c).
 *
 * sb-control answers "top sample" with cumulative figures, one "KEY VALUE"
 * line each (control/cli/cmd_top.c writes them; the keys are listed in
 * sbctl_top.c's parser and docs/OPERATIONS.md). sbctl takes one sample per
 * interval and prints, for each pair, one row of rates: a difference of
 * counters over the time between the two samples as sbctl measured it,
 * and the levels (connections, ring depths, backlogs) of the later one.
 * A counter that went backwards (sb-dataplane restarted between two
 * samples) counts as zero for that row, never as a huge rate.
 */
#ifndef SB_SBCTL_TOP_H
#define SB_SBCTL_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SBCTL_TOP_LCORES 64
#define SBCTL_TOP_DROPS 64
#define SBCTL_TOP_NAME 48
#define SBCTL_TOP_HEADER_EVERY 20 /* rows between headers, like sar */

struct sbctl_top_lcore {
	uint32_t worker;
	uint32_t lcore;
	uint64_t busy_tsc;
	uint64_t idle_tsc;
};

struct sbctl_top_drop {
	char name[SBCTL_TOP_NAME];  /* GROUP.NAME of the counter */
	uint64_t value;
};

/* One "top sample" reply. */
struct sbctl_top_sample {
	uint64_t conns, sessions, logins, stanzas_in, stanzas_out;
	uint64_t pkts_in, pkts_out, tcp_segs_out, tcp_rexmt;
	uint64_t ring_max, ring_size, backlog_max, session_bytes;
	char backlog_where[SBCTL_TOP_NAME];
	unsigned alarms;
	char alarm_names[160];      /* "ring_up,held" or "-" */
	unsigned n_lcores;
	struct sbctl_top_lcore lc[SBCTL_TOP_LCORES];
	unsigned n_drops;
	struct sbctl_top_drop drop[SBCTL_TOP_DROPS];
};

/* One printed row: rates over the interval, levels at its end. */
struct sbctl_top_row {
	char time[16];              /* the caller's "HH:MM:SS" */
	double interval_s;
	uint64_t conns, sessions;
	double logins_s, stanzas_in_s, stanzas_out_s, pkts_in_s, pkts_out_s;
	double rexmt_pct;           /* retransmitted / sent TCP segments, 0 when none sent */
	uint64_t ring_max, ring_size, backlog_max;
	char backlog_where[SBCTL_TOP_NAME];
	uint64_t drops;             /* drops in the interval, every reason */
	double drops_s;
	char drop_top[SBCTL_TOP_NAME]; /* the reason with most of them, "" when none */
	uint64_t drop_top_n;
	unsigned n_lcores;
	uint32_t worker[SBCTL_TOP_LCORES];
	uint32_t lcore[SBCTL_TOP_LCORES];
	double busy_pct[SBCTL_TOP_LCORES];
	uint64_t bytes_per_session; /* 0 without sessions */
	unsigned alarms;
	char alarm_names[160];
};

/* Parse a reply's body (after "ok\n") into *s. 0, or -1 when a line is
 * malformed or `conns` missing (a reply from something else). Unknown keys
 * are skipped: a newer sb-control may say more. */
int sbctl_top_parse(const char *text, struct sbctl_top_sample *s);

/* The row between samples a and b, taken interval_s apart (> 0). */
void sbctl_top_row(const struct sbctl_top_sample *a, const struct sbctl_top_sample *b,
		   double interval_s, const char *time, struct sbctl_top_row *r);

/* The column header, and one row under it (text), or one JSON object on
 * one line (--json; shape in docs/OPERATIONS.md). */
void sbctl_top_print_header(FILE *out);
void sbctl_top_print_text(FILE *out, const struct sbctl_top_row *r);
void sbctl_top_print_json(FILE *out, const struct sbctl_top_row *r);

#endif
