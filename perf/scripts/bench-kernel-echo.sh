#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Kernel vs Switchboard echo, side by side, with the same kernel client.
#
#   namespace sbkb:  the client; the TAP to Switchboard (198.18.0.1 -> gateway
#                    198.18.0.2, started by scripts/sb-up.sh) and one end of a
#                    veth pair (198.18.1.1)
#   namespace sbkbk: the other end (198.18.1.2) and sb-kecho, an epoll echo
#                    server on the kernel's TCP
#
# Both servers answer on port 7. The client runs perf/scripts/echo_pingpong.py
# (64-byte ping-pong, 1 and 16 connections) and tests/integration/tcp_client.py
# echo (bulk) against each. Everything is stopped by PID and both namespaces
# are deleted on exit, also on failure.
#
# usage: bench-kernel-echo.sh [SECONDS per run, default 5]
#   GW_EXTRA: more gateway overrides, e.g. "dataplane.idle_sleep_max_us=0"
#   (busy polling instead of the adaptive idle's sleeps)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-5}
[ "$(id -u)" -eq 0 ] || { echo "bench-kernel-echo: must run as root" >&2; exit 1; }

export SB_NS=sbkb SB_PREFIX=sbkb SB_RUN=/run/sb-kbench SB_TAP=sbkbtap0
export SB_HOST_IP=198.18.0.1 SB_GW_IP=198.18.0.2 SB_BUILD=${SB_BUILD:-$top/build}
export SB_STORE=/run/sb-kbench/store SB_EXTRA="tcp.echo_port=7 xmpp.tls=off ${GW_EXTRA:-}"
kns=sbkbk
kecho="$SB_BUILD/perf/loadgen/sb-kecho"
[ -x "$kecho" ] || { echo "bench-kernel-echo: $kecho not built (run make)" >&2; exit 1; }

kecho_pid=""
cleanup() {
	[ -n "$kecho_pid" ] && kill "$kecho_pid" 2>/dev/null || true
	ip netns del "$kns" 2>/dev/null || true
	"$top/scripts/sb-down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$top/scripts/hugepages.sh" 1024
mkdir -p "$SB_STORE"
"$top/scripts/sb-up.sh" --no-setup

ip netns add "$kns"
ip -n "$kns" link set lo up
ip -n "$SB_NS" link add sbkbv0 type veth peer name sbkbv1 netns "$kns"
ip -n "$SB_NS" addr add 198.18.1.1/24 dev sbkbv0
ip -n "$kns" addr add 198.18.1.2/24 dev sbkbv1
ip -n "$SB_NS" link set sbkbv0 up
ip -n "$kns" link set sbkbv1 up
ip netns exec "$kns" "$kecho" 198.18.1.2 7 $((secs * 8 + 60)) &
kecho_pid=$!
sleep 0.5

run() { ip netns exec "$SB_NS" timeout $((secs + 60)) "$@"; }
for host in 198.18.0.2 198.18.1.2; do
	case $host in 198.18.0.2) who="switchboard (TAP, DPDK)" ;; *) who="kernel (veth, epoll)" ;; esac
	echo "== $who"
	for c in 1 16; do
		run python3 "$top/perf/scripts/echo_pingpong.py" --host "$host" --conns "$c" \
			--seconds "$secs"
	done
	run /usr/bin/python3 "$top/tests/integration/tcp_client.py" echo --host "$host" --port 7 \
		--conns 4 --bytes $((16 << 20)) --timeout 60
done
