#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration test of sb-loadgen against the gateway over memif (suite
# integration; root, serial). Each case runs perf/scripts/bench-tcp.sh and
# checks the loadgen's verdict and summary:
#   1. echo: 50 connections, 64-byte messages for 2 s: exit 0, result=ok,
#      every echo byte-exact, every connection closed in order at the end
#   2. the same against the discard service (port 9): no echo ever comes
#      back, so the loadgen must fail (a client that cannot fail proves nothing)
#   3. hold: 70,000 connections at 35,000/s (past one source address's
#      64512 ports, so two addresses), held 1 s, then all closed in order;
#      the gateway's own count must agree
#   4. churn: 20,000 connections at 10,000/s, each open, one echo, close
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bench="$top/perf/scripts/bench-tcp.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail() { echo "test-loadgen: FAIL: $*" >&2; grep -E 'summary|FAIL|error' "$log" >&2 || true; exit 1; }
field() { grep '^summary:' "$log" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# 1. echo, byte-exact, closed in order
LG_CONNS=50 LG_HOLD_S=2 SB_BENCH_CONTROL=0 "$bench" echo >"$log" 2>&1 || fail "echo run failed"
[ "$(field result)" = ok ] || fail "echo: result is not ok"
[ "$(field echo_bad)" = 0 ] || fail "echo: bytes differed"
[ "$(field msgs)" -gt 1000 ] || fail "echo: only $(field msgs) messages in 2 s"
[ "$(field closed)" = 50 ] || fail "echo: $(field closed) of 50 closed in order"
echo "test-loadgen: echo ok ($(field msg_per_s) msg/s, p99 $(field lat_us_p99) us)"

# 2. discard never echoes: the loadgen must say so
if LG_CONNS=10 LG_HOLD_S=1 SB_BENCH_CONTROL=0 "$bench" echo -s loadgen.dst_port=9 \
	>"$log" 2>&1; then
	fail "echo against discard passed"
fi
[ "$(field result)" = fail ] || fail "discard: result is not fail"
[ "$(field msgs)" = 0 ] || fail "discard: $(field msgs) echoes from a discard service"
echo "test-loadgen: discard correctly reported as failed"

# 3. hold across two source addresses, then an orderly close
LG_CONNS=70000 LG_RATE=35000 LG_HOLD_S=1 GW_MAX_CONNS=80000 SB_BENCH_HUGE_MB=1024 \
	SB_BENCH_CONTROL=0 "$bench" hold -s loadgen.close_s=20 -s tcp.tw_max=70000 \
	>"$log" 2>&1 || fail "hold run failed"
[ "$(field established)" = 70000 ] || fail "hold: $(field established) of 70000 established"
[ "$(field open_at_end)" = 70000 ] || fail "hold: $(field open_at_end) open at the end"
[ "$(field closed)" = 70000 ] || fail "hold: $(field closed) of 70000 closed in order"
grep -q 'gateway worker: .*tcp_established:70000 ' "$log" || fail "hold: gateway count differs"
echo "test-loadgen: hold ok ($(field conn_per_s) conn/s, 2 source addresses)"

# 4. churn: every connection lives its whole life
LG_CONNS=20000 LG_RATE=10000 SB_BENCH_CONTROL=0 "$bench" churn >"$log" 2>&1 ||
	fail "churn run failed"
[ "$(field result)" = ok ] || fail "churn: result is not ok"
[ "$(field msgs)" = 20000 ] || fail "churn: $(field msgs) of 20000 echoes"
[ "$(field closed)" = 20000 ] || fail "churn: $(field closed) of 20000 closed in order"
echo "test-loadgen: churn ok ($(field conn_per_s) lifecycles/s)"
