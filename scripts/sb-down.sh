#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stop what sb-up.sh started: processes by PID (TERM, then KILL after 5 s),
# the namespace, and the hugepage and runtime files of the file prefix.
# Safe to run twice, and after a partial start.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/sb-env.sh

stop_pid() {
	local pidfile=$1 pid i
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	rm -f "$pidfile"
}

stop_pid "$SB_RUN/control.pid"
stop_pid "$SB_RUN/dataplane.pid"
ip netns del "$SB_NS" 2>/dev/null
rm -f /dev/hugepages/"${SB_PREFIX}"map_* 2>/dev/null
rm -rf /var/run/dpdk/"$SB_PREFIX"
rm -f "$SB_RUN/sb.sock" "$SB_RUN/overrides"
exit 0
