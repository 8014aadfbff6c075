#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Control-plane restart without dropping anyone: two clients logged in,
# sb-control killed with SIGKILL and restarted; the dataplane replays the
# bound sessions and the clients exchange messages again on the same
# streams, without reconnecting.
IT_NAME=xrestart
. "$(dirname "$0")/lib.sh"

it_step "start, two clients logged in and chatting"
it_start
it_pair_ready
accepted=$(it_counter xmpp_accepted)

it_step "SIGKILL sb-control and start a new one"
ctl=$(cat "$SB_RUN/control.pid")
kill -KILL "$ctl"
for i in $(seq 50); do kill -0 "$ctl" 2>/dev/null || break; sleep 0.1; done
"$top/scripts/sb-control-start.sh"
for i in $(seq 50); do
	[ "$(it_counter xmpp_replayed)" -ge 2 ] && break
	sleep 0.2
done
it_counter_ge xmpp_replayed 2 || it_fail "the sessions were not replayed"
$SBCTL status | grep -E '^control|^xmpp shard'

it_step "the same streams exchange messages again"
touch "$go"
wait $pair || it_fail "no exchange after the restart"
[ "$(it_counter xmpp_accepted)" -eq "$accepted" ] || it_fail "a client reconnected"
echo "PASS"
