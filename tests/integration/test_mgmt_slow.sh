#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The management loop cannot be held by a client (issue 13, item 5): while
# slow clients trickle bytes at sb-control's socket for 8 s, `sbctl status`
# keeps answering within 2 s, logins keep working (the dataplane still sees
# sb-control alive), and each slow client is closed at its deadline and
# counted (mgmt_slow_dropped). Also: the socket is mode 0660 right after
# startup.
IT_NAME=mgmtslow
. "$(dirname "$0")/lib.sh"

it_step "start; the socket's mode"
it_start
[ "$(stat -c %a "$SB_RUN/sb.sock")" = 660 ] ||
	it_fail "socket mode is $(stat -c %a "$SB_RUN/sb.sock"), expected 660"
ls -a "$SB_RUN" | grep -q '^\.sb-sock-' && it_fail "the private bind folder was left behind"
it_user_add alice pw-alice

it_step "slow management clients for 8 s"
/usr/bin/python3 "$top/tests/integration/mgmt_slow.py" "$SB_RUN/sb.sock" 8 &
slow=$!
sleep 1
for i in 1 2 3 4 5; do
	timeout 2 $SBCTL status >/dev/null || it_fail "sbctl status did not answer within 2 s (round $i)"
	sleep 0.5
done
it_step "a login while the slow clients keep going (past the 3 s liveness window)"
it_xmpp login alice@switchboard.test pw-alice SCRAM-SHA-256 || it_fail "login during slow clients"
it_xmpp login alice@switchboard.test pw-alice PLAIN || it_fail "PLAIN login during slow clients"
wait $slow || it_fail "slow clients were not dropped at their deadline"

it_step "counters"
dropped=$(it_counter mgmt_slow_dropped)
echo "mgmt_slow_dropped $dropped"
[ "${dropped:-0}" -ge 5 ] || it_fail "mgmt_slow_dropped is ${dropped:-none}, expected at least 5"
echo "PASS"
