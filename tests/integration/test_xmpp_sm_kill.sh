#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# XEP-0198: the ack is a promise (issue 18), under SIGKILL of sb-control.
# Four stream-management clients exchange messages with an <r/> after
# each (xmpp_sm_kill.py); in every round sb-control is killed with SIGKILL
# at a random moment (while stanzas are between receive and ack, or just
# after) and started again. Every message whose sender was told an h that
# covers it must reach its recipient, live or from offline storage, exactly
# once (a duplicate fails: control/im/im_recover.c, docs/ARCHITECTURE.md),
# and none may be answered with an error (the dataplane parks requests
# while sb-control restarts: rings.control_grace_ms). The successor rolls
# back whatever ring operation the kill interrupted (control/ring_rollback.h);
# before that, a kill inside the shared pool's ring wedged both processes.
# h must never pass what was sent, never go back, and reach the full count
# after each restart (the PROMISE_SYNC after a new epoch). SB_SMKILL_ROUNDS
# / SB_SMKILL_MSGS (per client per round) size it; perf/scripts/
# bench-sm-kill.sh runs it at the issue's size (20 rounds of 10,000).
IT_NAME=xsmk
export SB_EXTRA="${SB_EXTRA:-} eal.lcores=0@0,1@1,2@1 control.shards=2
 xmpp.shaper_bytes_per_s=100000000 xmpp.shaper_burst_bytes=100000000
 im.offline_quota=1000000"
. "$(dirname "$0")/lib.sh"
rounds=${SB_SMKILL_ROUNDS:-3}
msgs=${SB_SMKILL_MSGS:-300}

it_step "start, add accounts"
it_start
for i in 0 1 2 3; do it_user_add "u$i" "pw-u$i"; done

dir="$SB_RUN/smkill"
rm -rf "$dir"
mkdir -p "$dir"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_sm_kill.py" \
	"$dir" "$rounds" "$msgs" > "$SB_RUN/smkill.out" 2>&1 &
py=$!

it_step "$rounds rounds of $msgs messages per client, SIGKILL of sb-control in each"
for r in $(seq 0 $((rounds - 1))); do
	for _ in $(seq 6000); do
		[ -f "$dir/round$r.go" ] && break
		kill -0 $py 2>/dev/null || { cat "$SB_RUN/smkill.out" >&2; $SBCTL status >&2 || true
			it_fail "the clients stopped"; }
		sleep 0.05
	done
	[ -f "$dir/round$r.go" ] || { cat "$SB_RUN/smkill.out" >&2; it_fail "round $r did not start"; }
	if [ -z "${SB_SMKILL_NOKILL:-}" ]; then
		# A random point: at once, in the middle of the sends, or after.
		sleep "0.$((RANDOM % 400))"
		ctl=$(cat "$SB_RUN/control.pid")
		kill -KILL "$ctl"
		for _ in $(seq 50); do kill -0 "$ctl" 2>/dev/null || break; sleep 0.1; done
		"$top/scripts/sb-control-start.sh"
	fi
	touch "$dir/round$r.restarted"
done
rc=0
wait $py || rc=$?
cat "$SB_RUN/smkill.out" >&2
$SBCTL status | grep -E "xmpp_sm_promise|xmpp_sm_ack|promise_|recover_dedup|offline_" || true
[ $rc -eq 0 ] || it_fail "an acknowledged message was lost or duplicated, or h went wrong"
echo "PASS"
