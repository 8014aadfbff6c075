#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The RFC 6121 IM core with real slixmpp clients (tests/integration/xmpp_im.py),
# users spread over two control shards so that subscriptions and presence
# cross between them: a roster push reaching every resource, subscribe /
# subscribed both ways with every push checked, presence broadcast and
# unavailable on a dropped TCP connection, 100 offline messages delivered in
# order with delay stamps exactly once, disco on the domain and an account,
# and bad input (roster limits, malformed items, a subscription flood)
# answered with RFC errors while other users go on.
IT_NAME=xim
export SB_EXTRA="control.shards=2 im.roster_max_items=8 im.roster_item_bytes=1024"
. "$(dirname "$0")/lib.sh"

it_im() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_im.py" "$@" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'No appropriate login method'
	return "${PIPESTATUS[0]}"
}
D=switchboard.test

it_step "start, add accounts"
it_start
for u in alice bob carol dave erin frank; do it_user_add $u "pw-$u"; done

it_step "roster: push to every resource, versioning"
it_im roster alice@$D pw-alice || it_fail "roster"

it_step "subscriptions both ways"
it_im subscribe bob@$D pw-bob carol@$D pw-carol || it_fail "subscribe"

it_step "presence broadcast, unavailable on a dropped connection"
it_im drop bob@$D pw-bob carol@$D pw-carol || it_fail "drop"
[ "$(it_route_counter presence_lost)" -ge 1 ] || it_fail "presence_lost not counted"
# Broadcasts went as one message per worker with a recipient list.
[ "$(it_route_counter fanout_msgs)" -ge 1 ] || it_fail "no DELIVER_MULTI was sent"

it_step "100 offline messages"
it_im offline-send dave@$D pw-dave erin@$D 100 || it_fail "offline-send"
[ "$($SBCTL offline count erin@$D | awk '{ print $1 }')" -eq 100 ] || it_fail "sbctl offline count"
it_im offline-recv erin@$D pw-erin 100 || it_fail "offline-recv"
[ "$($SBCTL offline count erin@$D | awk '{ print $1 }')" -eq 0 ] || it_fail "stored messages left"

it_step "disco, version, time"
it_im disco dave@$D pw-dave erin@$D || it_fail "disco"

it_step "bad input"
it_im badinput frank@$D pw-frank 8 || it_fail "badinput"
it_im chat bob@$D pw-bob carol@$D pw-carol || it_fail "other users after the bad input"

it_step "sbctl roster"
$SBCTL roster show bob@$D | grep -q "carol@$D both" || it_fail "sbctl roster show"
$SBCTL store stats
echo "PASS"
