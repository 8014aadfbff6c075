#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Type=notify without systemd: both processes, given NOTIFY_SOCKET and
# WATCHDOG_USEC as systemd gives them, send READY=1 once up, WATCHDOG=1
# while their loops turn, and STOPPING=1 on the way out. One wedged loop
# (a control shard thread, then a dataplane worker lcore, each stopped
# alone by ptrace while the rest of its process runs) withholds its
# process's pings, which come back once it turns again. sbctl config
# reload and tls reload are framed by RELOADING=1 ... READY=1.
IT_NAME=opsntf
. "$(dirname "$0")/lib.sh"
helper() { /usr/bin/python3 "$top/tests/integration/sd_notify.py" "$@"; }
log="$SB_RUN/notify.log"

mkdir -p "$SB_RUN"
/usr/bin/python3 "$top/tests/integration/sd_notify.py" listen "$SB_RUN/notify.sock" "$log" \
	>"$SB_RUN/listener.out" 2>&1 </dev/null &
listener=$!
trap 'rc=$?; kill '"$listener"' 2>/dev/null; (exit $rc); it_cleanup' EXIT
for _ in $(seq 50); do [ -S "$SB_RUN/notify.sock" ] && break; sleep 0.1; done
export NOTIFY_SOCKET="$SB_RUN/notify.sock"
export WATCHDOG_USEC=1000000 # a verdict every 500 ms

# pings PID [FROM TO]: WATCHDOG=1 messages from PID so far, or between the
# monotonic times FROM and TO.
pings() {
	awk -v p="$1" -v a="${2:-0}" -v b="${3:-1e18}" \
		'$2 == p && $3 == "WATCHDOG=1" && $1 > a && $1 < b { n++ } END { print n + 0 }' "$log"
}
# got PID FIELD: whether PID sent FIELD.
got() { awk -v p="$1" -v f="$2" '$2 == p && $3 == f { ok = 1 } END { exit !ok }' "$log"; }
# stall PID THREAD: that thread stopped 4 s; sets from/to, the window in
# which no verdict can see it turn (one 500 ms interval after it stopped).
stall() {
	local out
	out=$(helper stall "$1" "$2" 4) || it_fail "could not stall $2 of $1"
	from=$(echo "$out" | awk '$1 == "stalled" { print $2 + 1.0 }')
	to=$(echo "$out" | awk '$1 == "resumed" { print $2 }')
	echo "$2 stalled; judged from $from to $to"
}
# wait_pings PID N: at least N more pings from PID within 60 s.
wait_pings() {
	local want=$(($(pings "$1") + $2))
	for _ in $(seq 300); do
		[ "$(pings "$1")" -ge "$want" ] && return 0
		sleep 0.2
	done
	it_fail "pid $1 sent $(pings "$1") watchdog pings, expected $want"
}

it_step "start: READY=1 from both, then watchdog pings"
it_start
dp=$(cat "$SB_RUN/dataplane.pid")
ctl=$(cat "$SB_RUN/control.pid")
unset NOTIFY_SOCKET WATCHDOG_USEC
for _ in $(seq 150); do
	got "$dp" READY=1 && got "$ctl" READY=1 && break
	sleep 0.2
done
got "$dp" READY=1 || it_fail "no READY=1 from sb-dataplane ($dp)"
got "$ctl" READY=1 || it_fail "no READY=1 from sb-control ($ctl)"
grep -q " $dp STATUS=sb-dataplane: 1 workers" "$log" || it_fail "no STATUS from sb-dataplane"
wait_pings "$dp" 3
wait_pings "$ctl" 3

# reload_seen FROM WHAT: after line FROM of the log, sb-control sent
# RELOADING=1 (with MONOTONIC_USEC, and a STATUS naming WHAT), then READY=1.
reload_seen() {
	awk -v p="$ctl" -v from="$1" -v what="$2" '
		NR <= from || $2 != p { next }
		$3 == "RELOADING=1" && !r { r = NR }
		r && $3 ~ /^MONOTONIC_USEC=[0-9]+$/ { m = 1 }
		r && index($0, "STATUS=sb-control: reloading " what) { s = 1 }
		r && $3 == "READY=1" && NR > r { ok = 1 }
		END { exit !(r && m && s && ok) }' "$log"
}
for step in "config reload:configuration" "tls reload:certificates"; do
	cmd=${step%%:*} what=${step#*:}
	it_step "sbctl $cmd: RELOADING=1, then READY=1 once done"
	from=$(wc -l < "$log")
	$SBCTL $cmd > "$SB_RUN/reload.out" 2>&1 || true # the outcome is another test's
	for _ in $(seq 50); do reload_seen "$from" "$what" && break; sleep 0.1; done
	reload_seen "$from" "$what" ||
		it_fail "sbctl $cmd: no RELOADING=1 then READY=1 from sb-control: $(tail -n +$((from + 1)) "$log")"
	got "$dp" RELOADING=1 && it_fail "sb-dataplane sent RELOADING=1: sb-control owns reloads"
done

it_step "a wedged control shard withholds sb-control's pings, not the dataplane's"
stall "$ctl" sb-shard-0
during_ctl=$(pings "$ctl" "$from" "$to")
during_dp=$(pings "$dp" "$from" "$to")
echo "during the stall: sb-control $during_ctl pings, sb-dataplane $during_dp"
[ "$during_ctl" -eq 0 ] || it_fail "sb-control pinged $during_ctl times with a shard stalled"
[ "$during_dp" -ge 1 ] || it_fail "sb-dataplane stopped pinging too"
grep -q "shard 0's loop stood still: watchdog ping withheld" "$SB_RUN/control.log" ||
	it_fail "control.log does not name the stalled shard"
wait_pings "$ctl" 2

it_step "a wedged dataplane worker withholds sb-dataplane's pings"
stall "$dp" rte-worker-1
during_dp=$(pings "$dp" "$from" "$to")
during_ctl=$(pings "$ctl" "$from" "$to")
echo "during the stall: sb-dataplane $during_dp pings, sb-control $during_ctl"
[ "$during_dp" -eq 0 ] || it_fail "sb-dataplane pinged $during_dp times with a worker stalled"
grep -q "worker 0's loop stood still: watchdog ping withheld" "$SB_RUN/dataplane.log" ||
	it_fail "dataplane.log does not name the stalled worker"
wait_pings "$dp" 2
$SBCTL ping >/dev/null || it_fail "sb-control does not answer after the stalls"

it_step "stop: STOPPING=1 from both"
"$top/scripts/sb-down.sh" >/dev/null 2>&1 || true
got "$ctl" STOPPING=1 || it_fail "no STOPPING=1 from sb-control"
got "$dp" STOPPING=1 || it_fail "no STOPPING=1 from sb-dataplane"
echo "PASS"
