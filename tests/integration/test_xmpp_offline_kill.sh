#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The offline-storage guarantee under SIGKILL (control/im/im_offline.c):
# bob is offline, alice sends messages as fast as her stream goes, and
# sb-control is killed with SIGKILL in the middle and started again. Every
# message the server did not answer with an error (the dataplane says
# type='wait' while no sb-control is there) must reach bob when he logs in:
# delivered or stored, none lost. The group commit is slowed down
# (im.offline_commit_us) so that the kill finds messages waiting for it,
# and the restart must report them recovered.
#
# Then bob logs in once and must get every accepted message in that one
# login, in order, without being reset: with im.offline_quota far above
# what a connection may hold (xmpp.hold_bytes), the stored messages go a
# window at a time (im.offline_flush_window), each after the worker wrote
# the last of the previous one (FLUSH_MORE).
IT_NAME=xokill
# The per-connection shaper is lifted: the flood is one client. A
# connection's hold share is lowered to ~529 objects (xmpp.hold_bytes), so
# that a flush sent at once (more than a TCP send queue and the share
# together) resets bob whatever his speed, and windows (256) must fit.
export SB_EXTRA="im.offline_commit_us=200000 im.offline_commit_batch=4096 im.offline_quota=100000
 xmpp.shaper_bytes_per_s=100000000 xmpp.shaper_burst_bytes=100000000 xmpp.hold_bytes=1048576"
. "$(dirname "$0")/lib.sh"
n=${SB_IT_FLOOD:-3000}
D=switchboard.test

it_im() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_im.py" "$@" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'No appropriate login method'
	return "${PIPESTATUS[0]}"
}

it_step "start, add accounts"
it_start
it_user_add alice pw-alice
it_user_add bob pw-bob

it_step "alice floods offline bob; SIGKILL sb-control meanwhile"
ready="$SB_RUN/flood.ready"
errors="$SB_RUN/flood.errors"
it_im offline-flood alice@$D pw-alice bob@$D "$n" "$ready" "$errors" &
flood=$!
for _ in $(seq 300); do [ -f "$ready" ] && break; sleep 0.05; done
[ -f "$ready" ] || it_fail "the flood did not start"
# Kill while the group commit holds messages (it holds them for 200 ms).
for _ in $(seq 200); do
	[ "$(it_route_counter offline_queued)" -gt $((n / 5)) ] && break
	sleep 0.02
done
ctl=$(cat "$SB_RUN/control.pid")
kill -KILL "$ctl"
for _ in $(seq 50); do kill -0 "$ctl" 2>/dev/null || break; sleep 0.1; done
"$top/scripts/sb-control-start.sh"
wait $flood || it_fail "the flood client failed"
grep "unfinished stanzas" "$SB_RUN/control.log" || true
recovered=$(it_route_counter offline_recovered)
echo "recovered after the kill: $recovered stanzas"
[ "$recovered" -gt 0 ] || it_fail "the kill found nothing to recover: the test did not test"

$SBCTL offline count bob@$D
it_step "bob logs in once: every accepted message is there, in order"
reset_before=$(it_counter xmpp_slow_reader)
# He reads nothing for the first second: his send queue fills and the
# worker holds what follows, so the windows wait on his ACKs.
it_im offline-recv bob@$D pw-bob "$n" --one-login --pause-ms 1000 --exclude "$errors" ||
	it_fail "messages lost or out of order in one login"
sleep 1 # counters are published once per interval
windows=$(it_route_counter offline_windows)
echo "windows: $windows, FLUSH_MORE: $(it_counter xmpp_flush_more)" \
	"(deferred $(it_counter xmpp_flush_more_deferred)), held: $(it_counter xmpp_deliver_held)," \
	"slow readers reset: $(it_counter xmpp_slow_reader)"
reset_after=$(it_counter xmpp_slow_reader)
[ "${reset_after:-0}" -eq "${reset_before:-0}" ] || it_fail "bob was reset"
[ "$windows" -gt 1 ] || it_fail "the flush went in one window: the test did not test"
echo "PASS"
