#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# TCP benchmarks of the gateway with sb-loadgen over memif, both on this box:
# sb-dataplane (memif server, its own file prefix, main lcore on core 0 and
# its worker on core 1) with sb-control attached, and sb-loadgen (memif client, --lcores=0@0: it
# shares core 0 with the gateway's main lcore, which sleeps 100 ms at a time).
# scripts/sb-up.sh is not used: it waits for a TAP interface, and this link
# is memif. Every process is stopped by its PID, and the prefix's hugepage
# and runtime files are removed, also on failure.
#
# usage: bench-tcp.sh echo|hold|churn|mem [-s section.key=value]...
#   echo  LG_CONNS [100] connections send 64-byte messages (next on echo)
#         for LG_HOLD_S [10] s: segments/s per gateway core and round trips
#   hold  LG_CONNS [1000000] connections opened at LG_RATE [100000]/s and
#         held idle LG_HOLD_S [10] s; the gateway's heap is read over
#         telemetry while they are all open
#   churn LG_CONNS [200000] connections at LG_RATE [50000]/s, each one
#         open, one 64-byte echo, orderly close: the whole life cycle
#   mem   the TCP state for GW_MAX_CONNS slots, sized without a port
#   -s    further overrides for sb-loadgen (e.g. -s loadgen.msg_bytes=256)
# Environment: SB_BUILD [build], GW_MAX_CONNS [1100000 for hold, 65536
#   otherwise], SB_BENCH_HUGE_MB [3072 for hold, 1024 otherwise], SB_BENCH_RUN
#   [/run/sb-bench], MEMIF_RSIZE [12], GW_EXTRA (more gateway overrides, space
#   separated, e.g. "dataplane.idle_sleep_max_us=50"), SB_BENCH_CONTROL [1]
#   (0: no sb-control). Prints both processes' key lines and the loadgen's summary;
#   exits non-zero when the loadgen's run failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in
echo | hold | churn | mem) ;;
*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "bench-tcp: must run as root (hugepages)" >&2; exit 1; }

build=${SB_BUILD:-$top/build}
run=${SB_BENCH_RUN:-/run/sb-bench}
prefix=sbbench
lg_prefix=sbbenchlg
# memif rings of 2^12 slots (default 2^10): 1000 echo connections in step
# overflow 1024.
memif="socket=$run/memif.sock,rsize=${MEMIF_RSIZE:-12}"
gw_ip=198.18.0.1
if [ "$mode" = hold ]; then
	gw_max=${GW_MAX_CONNS:-1100000}
	huge=${SB_BENCH_HUGE_MB:-3072}
	conns=${LG_CONNS:-1000000}
elif [ "$mode" = churn ]; then
	gw_max=${GW_MAX_CONNS:-65536}
	huge=${SB_BENCH_HUGE_MB:-1024}
	conns=${LG_CONNS:-200000}
else
	gw_max=${GW_MAX_CONNS:-65536}
	huge=${SB_BENCH_HUGE_MB:-1024}
	conns=${LG_CONNS:-100}
fi
hold_s=${LG_HOLD_S:-10}
rate=${LG_RATE:-$([ "$mode" = churn ] && echo 50000 || echo 100000)}

for b in "$build/dataplane/sb-dataplane" "$build/perf/loadgen/sb-loadgen"; do
	[ -x "$b" ] || { echo "bench-tcp: $b not built (run make)" >&2; exit 1; }
done
"$top/scripts/hugepages.sh" "$huge"

mkdir -p "$run"
. "$top/perf/scripts/bench-lib.sh"
trap bench_cleanup EXIT

lg=("$build/perf/loadgen/sb-loadgen" -s "loadgen.file_prefix=$lg_prefix"
    -s "loadgen.vdev=net_memif0,role=client,$memif" -s "loadgen.dst_ip=$gw_ip/15"
    -s "loadgen.lcores=0@0")

if [ "$mode" = mem ]; then
	"${lg[@]}" -s loadgen.mode=mem -s "loadgen.conns=$gw_max" \
		-s "loadgen.src_count=$(( (gw_max + 64511) / 64512 ))" "$@" 2>&1 | grep -v '^EAL'
	exit "${PIPESTATUS[0]}"
fi

gw_extra=()
for kv in ${GW_EXTRA:-}; do gw_extra+=(-s "$kv"); done
# The gateway: echo service on 7; SYN cookies only past its table size, so
# the benchmark measures the ordinary open path.
"$build/dataplane/sb-dataplane" -s "eal.file_prefix=$prefix" -s eal.lcores=0-1 \
	-s "port0.vdev=net_memif0,role=server,$memif" -s "port0.ipv4=$gw_ip/15" \
	-s tcp.echo_port=7 -s tcp.discard_port=9 -s "tcp.max_conns=$gw_max" -s xmpp.tls=off \
	-s "tcp.syn_cookie_threshold=$gw_max" -s "dataplane.pidfile=$run/gw.pid" "${gw_extra[@]}" \
	>"$run/gw.log" 2>&1 </dev/null &
gw_pid=$!
for i in $(seq 150); do
	grep -q 'sb.main: running' "$run/gw.log" && break
	kill -0 "$gw_pid" 2>/dev/null || { cat "$run/gw.log" >&2; exit 1; }
	sleep 0.2
done
grep -q 'sb.main: running' "$run/gw.log" || { echo "bench-tcp: gateway did not start" >&2; exit 1; }

# sb-control attached as on a real gateway (SB_BENCH_CONTROL=0 leaves it out):
# the echo path does not cross it, but its shard thread shares core 0.
if [ "${SB_BENCH_CONTROL:-1}" = 1 ]; then
	mkdir -p "$run/store"
	"$build/control/sb-control" -s "eal.file_prefix=$prefix" -s "control.socket=$run/sb.sock" \
		-s "store.path=$run/store" >"$run/control.log" 2>&1 </dev/null &
	ctl_pid=$!
	for i in $(seq 100); do
		"$build/control/sbctl" -S "$run/sb.sock" ping >/dev/null 2>&1 && break
		kill -0 "$ctl_pid" 2>/dev/null || { cat "$run/control.log" >&2; exit 1; }
		sleep 0.2
	done
	"$build/control/sbctl" -S "$run/sb.sock" ping >/dev/null 2>&1 ||
		{ echo "bench-tcp: sb-control did not answer" >&2; exit 1; }
fi

# utime + stime of a process, in clock ticks (proc(5) fields 14 and 15).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
tel() { echo "$1" | timeout 10 dpdk-telemetry.py -f "$prefix" 2>/dev/null | tail -n 1; }
echo "gateway: tcp.max_conns=$gw_max heap $(tel /eal/heap_info,0)"

if [ "$mode" = echo ] || [ "$mode" = churn ]; then
	"${lg[@]}" -s "loadgen.mode=$mode" -s "loadgen.conns=$conns" -s loadgen.msg_bytes=64 \
		-s "loadgen.rate=$rate" -s "loadgen.src_count=$(( (conns + 64511) / 64512 ))" \
		-s "loadgen.hold_s=$hold_s" -s "loadgen.duration_s=$((conns / rate + hold_s + 30))" \
		"$@" >"$run/lg.log" 2>&1 </dev/null &
	lg_pid=$!
	# The gateway's counters and CPU time over the run: segments per second
	# of gateway CPU is the per-core figure, whatever share of the core
	# the adaptive idle left unused.
	b0=$(tel /sb/worker,0)
	c0=$(cpu_ticks "$gw_pid")
	t0=$(date +%s.%N)
	rc=0
	wait "$lg_pid" || rc=$?
	lg_pid=""
	b1=$(tel /sb/worker,0)
	c1=$(cpu_ticks "$gw_pid")
	t1=$(date +%s.%N)
	grep -v '^EAL' "$run/lg.log"
	/usr/bin/python3 - "$b0" "$b1" "$c0" "$c1" "$t0" "$t1" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
a = json.loads(sys.argv[1])["/sb/worker"]
b = json.loads(sys.argv[2])["/sb/worker"]
cpu_s = (int(sys.argv[4]) - int(sys.argv[3])) / float(sys.argv[7])
wall_s = float(sys.argv[6]) - float(sys.argv[5])
d = {k: b[k] - a[k] for k in ("loop_busy", "loop_idle", "idle_sleeps", "tcp_rx_segs",
                              "tcp_tx_segs")}
turns = d["loop_busy"] + d["loop_idle"]
segs = d["tcp_rx_segs"] + d["tcp_tx_segs"]
print("gateway over the run: rx_segs=%d tx_segs=%d busy_turns=%.1f%% idle_sleeps=%d "
      "cpu_s=%.2f wall_s=%.2f (%.0f%% of one core) segs_per_cpu_s=%.0f"
      % (d["tcp_rx_segs"], d["tcp_tx_segs"], 100.0 * d["loop_busy"] / max(turns, 1),
         d["idle_sleeps"], cpu_s, wall_s, 100.0 * cpu_s / wall_s, segs / max(cpu_s, 0.01)))
EOF
	exit "$rc"
fi

# hold: open them all, read the gateway while they are held, let the loadgen finish.
"${lg[@]}" -s loadgen.mode=hold -s "loadgen.conns=$conns" -s "loadgen.rate=$rate" \
	-s "loadgen.src_count=$(( (conns + 64511) / 64512 ))" -s "loadgen.hold_s=$hold_s" \
	-s loadgen.close_s=0 -s "loadgen.duration_s=$((conns / rate + hold_s + 60))" \
	-s "tcp.tw_max=16" "$@" >"$run/lg.log" 2>&1 </dev/null &
lg_pid=$!
c0=$(cpu_ticks "$gw_pid")
t0=$(date +%s.%N)
for i in $(seq $((conns / rate * 10 + 600))); do
	grep -q '^summary:' "$run/lg.log" && break
	if awk -v n="$conns" '$2 == n { f = 1 } END { exit !f }' "$run/lg.log" 2>/dev/null; then
		c1=$(cpu_ticks "$gw_pid")
		t1=$(date +%s.%N)
		echo "gateway CPU while opening (and up to 1 s more): $(awk -v c="$((c1 - c0))" \
			-v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%.2f s of %.2f s wall", c / hz, b - a }')"
		echo "gateway with $conns connections held: heap $(tel /eal/heap_info,0)"
		echo "gateway worker: $(tel /sb/worker,0 | tr ',' '\n' |
			grep -E 'tcp_established|tcp_conn_limit|mbuf_alloc_fail' | tr -d ' {}"' |
			tr '\n' ' ')"
		break
	fi
	kill -0 "$lg_pid" 2>/dev/null || break
	sleep 0.1
done
rc=0
wait "$lg_pid" || rc=$?
lg_pid=""
if [ -n "${c1:-}" ]; then
	c2=$(cpu_ticks "$gw_pid")
	t2=$(date +%s.%N)
	echo "gateway CPU while holding them idle: $(awk -v c="$((c2 - c1))" \
		-v hz="$(getconf CLK_TCK)" -v a="$t1" -v b="$t2" \
		'BEGIN { printf "%.2f s of %.2f s wall", c / hz, b - a }')"
fi
grep -v '^EAL' "$run/lg.log"
exit "$rc"
