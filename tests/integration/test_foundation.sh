#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Foundation: both processes up on a TAP in a fresh namespace; the gateway
# answers ping from the userspace stack; sbctl status shows both processes
# and a heartbeat on every ring; SIGKILL of sb-control leaves the dataplane
# answering; a restarted sb-control re-attaches and the status is whole.
IT_NAME=found
. "$(dirname "$0")/lib.sh"

# rings_fresh MAX_AGE_S: every ring line has a measured heartbeat younger
# than MAX_AGE_S seconds.
rings_fresh() {
	local st rings good
	st=$($SBCTL status) || return 1
	rings=$(echo "$st" | grep -c '^  ring sb_') || return 1
	good=$(echo "$st" | awk -v max="$1" '/^  ring sb_/ && $5 == "hb_rtt" && $7 == "us" {
		age = substr($8, 2) + 0; if (age < max) n++ } END { print n + 0 }')
	[ "$rings" -gt 0 ] && [ "$good" -eq "$rings" ]
}

it_step "start both processes"
it_start

it_step "ping the gateway: 3 of 3, and the counters move"
before=$(it_counter icmp_echo)
it_ping 3
after=$(it_counter icmp_echo)
[ "$after" -ge $((before + 3)) ] || it_fail "icmp_echo went from $before to $after, expected +3"

it_step "the same counters over DPDK telemetry"
tel=$(echo /sb/counters | timeout 10 dpdk-telemetry.py -f "$SB_PREFIX" 2>/dev/null | tail -1)
echo "$tel" | grep -q "\"icmp_echo\": $after" || it_fail "telemetry /sb/counters lacks icmp_echo $after: $tel"
for cmd in /sb/tcp /sb/c2s; do
	echo "$cmd" | timeout 10 dpdk-telemetry.py -f "$SB_PREFIX" 2>/dev/null | grep -q "\"$cmd\"" ||
		it_fail "telemetry $cmd missing"
done

it_step "sbctl status shows both processes and a heartbeat on every ring"
for i in $(seq 25); do rings_fresh 2.0 && break; sleep 0.2; done
rings_fresh 2.0 || { $SBCTL status; it_fail "not every ring has a fresh heartbeat"; }
st=$($SBCTL status)
echo "$st" | head -12
dp_pid=$(cat "$SB_RUN/dataplane.pid")
ctl_pid=$(cat "$SB_RUN/control.pid")
echo "$st" | grep -q "^dataplane pid $dp_pid " || it_fail "status lacks the dataplane (pid $dp_pid)"
echo "$st" | grep -q "^control pid $ctl_pid epoch 1 " || it_fail "status lacks control pid $ctl_pid epoch 1"
echo "$st" | grep -q "link up" || it_fail "port link is not up"

it_step "SIGKILL sb-control: the dataplane keeps answering"
kill -KILL "$ctl_pid"
for i in $(seq 50); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$dp_pid" || it_fail "the dataplane died with sb-control"
if out=$($SBCTL status 2>&1); then
	it_fail "sbctl status succeeded with sb-control dead"
fi
echo "$out" | grep -q "cannot reach sb-control" || it_fail "unclear sbctl error: $out"
[ "$(echo "$out" | wc -l)" -eq 1 ] || it_fail "sbctl error is not one line: $out"
it_ping 3

it_step "restart sb-control: it re-attaches and the status is whole again"
"$top/scripts/sb-control-start.sh"
ctl_pid=$(cat "$SB_RUN/control.pid")
sleep 2.5   # the old control's heartbeat stamps are now older than 2 s
for i in $(seq 25); do rings_fresh 2.0 && break; sleep 0.2; done
rings_fresh 2.0 || { $SBCTL status; it_fail "rings have no fresh heartbeat after re-attach"; }
st=$($SBCTL status)
echo "$st" | grep -q "^control pid $ctl_pid epoch 2 .*attaches 2 " ||
	{ echo "$st" | head -3; it_fail "status does not show the re-attached control (epoch 2)"; }
echo "$st" | grep -q "^dataplane pid $dp_pid " || it_fail "the dataplane was restarted"
it_ping 3
echo "PASS"
