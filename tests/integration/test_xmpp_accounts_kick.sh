#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Account changes end live sessions (issue 14, finding 7): a bound client
# whose account is deleted with `sbctl user del` gets <not-authorized/> and
# is disconnected; one whose password is changed with `sbctl user passwd`
# gets <reset/> (RFC 6120 §4.9.3.16). Another user's session is untouched,
# and the new password works at once.
IT_NAME=kick
. "$(dirname "$0")/lib.sh"

# raw_kicked USER PW COND: a raw client binds as USER and waits for COND;
# runs in the background, its pid in $raw once it has bound.
raw_kicked() {
	local ready="$SB_RUN/ready-$1"
	rm -f "$ready"
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" kicked \
		"$1" "$2" "$ready" "$3" &
	raw=$!
	for i in $(seq 100); do [ -f "$ready" ] && break; kill -0 $raw 2>/dev/null || break; sleep 0.1; done
	[ -f "$ready" ] || it_fail "the raw client $1 did not bind"
}

it_step "start, add accounts"
it_start
it_user_add alice pw-alice
it_user_add bob pw-bob
it_user_add carol pw-carol

it_step "a bystander (carol) stays bound throughout"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" kicked \
	carol pw-carol "$SB_RUN/ready-carol" none &
bystander=$!
for i in $(seq 100); do [ -f "$SB_RUN/ready-carol" ] && break; sleep 0.1; done
[ -f "$SB_RUN/ready-carol" ] || it_fail "carol did not bind"

it_step "user del ends alice's session with <not-authorized/>"
raw_kicked alice pw-alice not-authorized
$SBCTL user del alice | grep -q "^deleted alice@switchboard.test" || it_fail "del did not answer"
wait $raw || it_fail "alice was not ended with <not-authorized/>"
it_xmpp login alice@switchboard.test pw-alice PLAIN --expect-fail || it_fail "deleted alice logged in"

it_step "user passwd ends bob's session with <reset/>"
raw_kicked bob pw-bob reset
echo pw-bob-2 | $SBCTL user passwd bob - | grep -q "^password changed for bob@" ||
	it_fail "passwd did not answer"
wait $raw || it_fail "bob was not ended with <reset/>"
it_xmpp login bob@switchboard.test pw-bob-2 SCRAM-SHA-256 || it_fail "bob's new password"
it_xmpp login bob@switchboard.test pw-bob SCRAM-SHA-256 --expect-fail || it_fail "bob's old password"

it_step "counters, and carol is still connected"
[ "$(it_route_counter kicked_account)" -eq 2 ] ||
	it_fail "kicked_account is $(it_route_counter kicked_account), expected 2"
[ "$(it_route_counter kick_requests)" -eq 2 ] || it_fail "kick_requests is not 2"
kill -0 $bystander 2>/dev/null || it_fail "the bystander carol was disconnected"
kill $bystander 2>/dev/null || true
wait $bystander 2>/dev/null || true
echo "PASS"
