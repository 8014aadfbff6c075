#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# XMPP benchmarks of the gateway with sb-loadgen over memif, both on this
# box: sb-dataplane (memif server, c2s on xmpp.c2s_port 5222, main lcore on
# core 0, worker on core 1) with sb-control attached (its store under the run
# folder), the accounts u0..uN-1 created through sbctl before the run (not
# timed), then sb-loadgen (memif client, core 0) speaking c2s XMPP. Every
# process is stopped by its PID; the prefixes' hugepage and runtime files and
# the store are removed, also on failure.
#
# usage: bench-xmpp.sh login|msg [-s section.key=value]...
#   login  LG_CONNS [2000] connections at LG_RATE [500]/s, each logs in
#          (XMPP_MECH [SCRAM-SHA-1] or PLAIN), binds, sends initial presence,
#          is held LG_HOLD_S [5] s and closed with </stream:stream>:
#          logins/s and login latency; sb-control's VmRSS before and with
#          every session bound
#   msg    LG_CONNS [200] connections as LG_CONNS/2 pairs log in, then send
#          XMPP_MSG_RATE [2000] chat messages/s in all for LG_HOLD_S [10] s:
#          delivered/s, end-to-end latency percentiles, loss
#   mem    the gateway's heap with c2s off and on at two tcp.max_conns:
#          bytes per connection slot of the XMPP pools
#   -s     further overrides for sb-loadgen
# Environment: SB_BUILD [build], XMPP_USERS [LG_CONNS] (accounts; with fewer
#   than the connections, logins cycle through them and SCRAM's client keys
#   are cached per user), SB_BENCH_RUN [/run/sb-bench-xmpp], SB_BENCH_HUGE_MB
#   [1024], GW_MAX_CONNS [65536], MEMIF_RSIZE [12], GW_EXTRA, CTL_EXTRA (more overrides, space
#   separated). Exits non-zero when the loadgen's run failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in
login | msg | mem) ;;
*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "bench-xmpp: must run as root (hugepages)" >&2; exit 1; }

build=${SB_BUILD:-$top/build}
run=${SB_BENCH_RUN:-/run/sb-bench-xmpp}
prefix=sbbenchx
lg_prefix=sbbenchxlg
memif="socket=$run/memif.sock,rsize=${MEMIF_RSIZE:-12}"
gw_ip=198.18.0.1
domain=switchboard.test
password=bench-pw
mech=${XMPP_MECH:-SCRAM-SHA-1}
if [ "$mode" = login ]; then
	conns=${LG_CONNS:-2000}
	hold_s=${LG_HOLD_S:-5}
else
	conns=${LG_CONNS:-200}
	hold_s=${LG_HOLD_S:-10}
fi
users=${XMPP_USERS:-$conns}
rate=${LG_RATE:-500}
msg_rate=${XMPP_MSG_RATE:-2000}
huge=${SB_BENCH_HUGE_MB:-1024}
# SYN cookies only past the table size: the ordinary open path is measured.
gw_max=${GW_MAX_CONNS:-65536}

for b in "$build/dataplane/sb-dataplane" "$build/control/sb-control" "$build/control/sbctl" \
	 "$build/perf/loadgen/sb-loadgen"; do
	[ -x "$b" ] || { echo "bench-xmpp: $b not built (run make)" >&2; exit 1; }
done
"$top/scripts/hugepages.sh" "$huge"

mkdir -p "$run"
. "$top/perf/scripts/bench-lib.sh"
trap bench_cleanup EXIT

# Limits meant for clients on the Internet would measure themselves here
# (one source address, thousands of logins, hundreds of sessions per
# account, 100 KB/s per connection): the per-address connection rate, the
# per-connection shaper, failed-login bans, resources per account are lifted
# when this build has them (sb-dataplane -p lists its keys).
lifts=()
known=$("$build/dataplane/sb-dataplane" -p 2>/dev/null || true)
for kv in xmpp.conn_rate_per_addr=1000000 xmpp.conn_burst_per_addr=1000000 \
	  xmpp.shaper_bytes_per_s=1073741824 xmpp.shaper_burst_bytes=1073741824 \
	  xmpp.ban_after_failures=1000000 control.max_resources=1000; do
	if grep -q "^${kv%%=*} = " <<<"$known"; then lifts+=(-s "$kv"); fi
done
gw_extra=("${lifts[@]}")
for kv in ${GW_EXTRA:-}; do gw_extra+=(-s "$kv"); done
ctl_extra=("${lifts[@]}")
for kv in ${CTL_EXTRA:-}; do ctl_extra+=(-s "$kv"); done
# gw_start [-s key=value]...: the gateway, running when this returns.
gw_start() {
	"$build/dataplane/sb-dataplane" -s "eal.file_prefix=$prefix" -s eal.lcores=0-1 \
		-s "port0.vdev=net_memif0,role=server,$memif" -s "port0.ipv4=$gw_ip/15" \
		-s xmpp.c2s_port=5222 -s "xmpp.domain=$domain" -s "dataplane.pidfile=$run/gw.pid" \
		-s "tcp.max_conns=$gw_max" -s "tcp.syn_cookie_threshold=$gw_max" \
		"${gw_extra[@]}" "$@" >"$run/gw.log" 2>&1 </dev/null &
	gw_pid=$!
	for i in $(seq 150); do
		grep -q 'sb.main: running' "$run/gw.log" && break
		kill -0 "$gw_pid" 2>/dev/null || { cat "$run/gw.log" >&2; exit 1; }
		sleep 0.2
	done
	grep -q 'sb.main: running' "$run/gw.log" ||
		{ echo "bench-xmpp: gateway did not start" >&2; exit 1; }
}

# mem: the gateway's hugepage heap in use (telemetry /eal/heap_info) with
# c2s off and on, at two table sizes: the slope of the difference is what
# the XMPP pools (xconn, JID) cost per connection slot; the per-lcore
# buffers and the login-time pools (auth contexts, partial stanzas) are the
# constant part.
if [ "$mode" = mem ]; then
	heap() {
		echo /eal/heap_info,0 | timeout 10 dpdk-telemetry.py -f "$prefix" 2>/dev/null |
			tail -n 1 | /usr/bin/python3 -c \
			'import json, sys; print(json.load(sys.stdin)["/eal/heap_info"]["Alloc_size"])'
	}
	declare -A h
	for n in 65536 262144; do
		for p in 0 5222; do
			gw_max=$n
			gw_start -s "xmpp.c2s_port=$p"
			h[$n,$p]=$(heap)
			stop_pid "$gw_pid"
			gw_pid=""
			echo "gateway heap: tcp.max_conns=$n xmpp.c2s_port=$p: ${h[$n,$p]} bytes"
		done
	done
	awk -v a="${h[65536,0]}" -v b="${h[65536,5222]}" -v c="${h[262144,0]}" \
		-v d="${h[262144,5222]}" 'BEGIN { s = ((d - c) - (b - a)) / (262144 - 65536);
		printf "XMPP per connection slot: %.1f bytes; fixed: %.0f bytes; TCP per slot: " \
		"%.1f bytes\n", s, (b - a) - s * 65536, (c - a) / (262144 - 65536) }'
	exit 0
fi

gw_start
rm -rf "$run/store"
mkdir -p "$run/store"
"$build/control/sb-control" -s "eal.file_prefix=$prefix" -s "control.socket=$run/sb.sock" \
	-s "store.path=$run/store" -s "xmpp.domain=$domain" "${ctl_extra[@]}" \
	>"$run/control.log" 2>&1 </dev/null &
ctl_pid=$!
sbctl=("$build/control/sbctl" -S "$run/sb.sock")
for i in $(seq 100); do
	"${sbctl[@]}" ping >/dev/null 2>&1 && break
	kill -0 "$ctl_pid" 2>/dev/null || { cat "$run/control.log" >&2; exit 1; }
	sleep 0.2
done
"${sbctl[@]}" ping >/dev/null 2>&1 || { echo "bench-xmpp: sb-control did not answer" >&2; exit 1; }

# The accounts (two PBKDF2 runs each in sb-control): not part of the figures.
t0=$(date +%s.%N)
for i in $(seq 0 $((users - 1))); do
	echo "$password" | "${sbctl[@]}" user add "u$i" - >/dev/null ||
		{ echo "bench-xmpp: sbctl user add u$i failed" >&2; exit 1; }
done
echo "accounts: $users created in $(awk -v a="$t0" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", b - a }') s (not timed in the figures)"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
sessions() { "${sbctl[@]}" status | awk '/^xmpp shard/ { s += $7 } END { print s + 0 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss0=$(rss_kb "$ctl_pid")
cg0=$(cpu_ticks "$gw_pid")
cc0=$(cpu_ticks "$ctl_pid")

"$build/perf/loadgen/sb-loadgen" -s "loadgen.file_prefix=$lg_prefix" \
	-s "loadgen.vdev=net_memif0,role=client,$memif" -s "loadgen.dst_ip=$gw_ip/15" \
	-s loadgen.lcores=0@0 -s loadgen.dst_port=5222 -s "loadgen.mode=xmpp-$mode" \
	-s "loadgen.conns=$conns" -s "loadgen.rate=$rate" -s "loadgen.hold_s=$hold_s" \
	-s "loadgen.xmpp_users=$users" -s "loadgen.xmpp_mech=$mech" \
	-s "loadgen.xmpp_domain=$domain" -s "loadgen.xmpp_password=$password" \
	-s "loadgen.xmpp_msg_rate=$msg_rate" -s "loadgen.src_count=1" \
	-s "loadgen.duration_s=$((conns / rate + hold_s + 60))" "$@" \
	>"$run/lg.log" 2>&1 </dev/null &
lg_pid=$!
t0=$(date +%s.%N)
# While held: sessions bound in sb-control and its resident memory.
for i in $(seq $(( (conns / rate + hold_s + 60) * 10 ))); do
	grep -q '^summary:' "$run/lg.log" && break
	kill -0 "$lg_pid" 2>/dev/null || break
	if awk '$1 ~ /^[0-9.]+$/ && NF == 8 { n = $2 } END { exit !(n > 0) }' "$run/lg.log" &&
	   [ "$(sessions)" -ge "$conns" ]; then
		rss1=$(rss_kb "$ctl_pid")
		echo "sb-control with $conns sessions bound: VmRSS ${rss0} kB -> ${rss1} kB" \
		     "($(awk -v a="$rss0" -v b="$rss1" -v n="$conns" \
			'BEGIN { printf "%.0f", (b - a) * 1024 / n }') bytes per session)"
		break
	fi
	sleep 0.2
done
rc=0
wait "$lg_pid" || rc=$?
lg_pid=""
t1=$(date +%s.%N)
cg1=$(cpu_ticks "$gw_pid")
cc1=$(cpu_ticks "$ctl_pid")
awk -v g="$((cg1 - cg0))" -v c="$((cc1 - cc0))" -v hz="$(getconf CLK_TCK)" -v a="$t0" \
	-v b="$t1" 'BEGIN { printf "CPU over the run (%.1f s wall): sb-dataplane %.2f s, " \
	"sb-control %.2f s\n", b - a, g / hz, c / hz }'
grep -v '^EAL' "$run/lg.log"
echo "sb-control after: $("${sbctl[@]}" status | grep -E '^xmpp shard' | head -4 | tr '\n' ';')"
"${sbctl[@]}" status > "${SB_BENCH_STATUS:-/dev/null}" 2>&1 || true
exit "$rc"
