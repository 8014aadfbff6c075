# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the benchmark scripts: process bookkeeping for a gateway and a
# load generator on one box. Uses $prefix, $lg_prefix, $run from the caller;
# the caller sets gw_pid, ctl_pid, lg_pid as it starts them.
gw_pid=""
ctl_pid=""
lg_pid=""

# stop_pid PID: TERM, then KILL after 5 s.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Everything the run started, and the files DPDK leaves behind.
bench_cleanup() {
	stop_pid "$lg_pid"
	stop_pid "$ctl_pid"
	stop_pid "$gw_pid"
	rm -f /dev/hugepages/"$prefix"map_* /dev/hugepages/"$lg_prefix"map_*
	rm -rf /var/run/dpdk/"$prefix" /var/run/dpdk/"$lg_prefix" "$run/store" "$run/sb.sock"
}
