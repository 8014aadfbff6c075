#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Blocking (XEP-0191), vcard-temp (XEP-0054) and private XML storage
# (XEP-0049) with real slixmpp clients (tests/integration/xmpp_block.py),
# over two control shards: the blocking pair is chosen on different shards
# (the sender's list is checked on the recipient's shard, from the copy
# replicated there) and the check is repeated with a pair on one shard.
# Blocking is checked both ways for message, iq and presence, with pushes
# to two resources; an offline blocker's messages are refused, not stored.
# Directed presence recipients get unavailable when the session goes.
IT_NAME=xbl
export SB_EXTRA="control.shards=2 im.vcard_max_bytes=2048 im.private_max_bytes=1024 im.private_max_items=4"
. "$(dirname "$0")/lib.sh"

py() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/$1" "${@:2}" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'No appropriate login method'
	return "${PIPESTATUS[0]}"
}
D=switchboard.test
shard_of() { $SBCTL user show "$1@$D" | awk '$1 == "shard" { print $2 }'; }

it_step "start, add accounts"
it_start
users="alice bob carol dave erin frank grace heidi"
for u in $users; do it_user_add $u "pw-$u"; done
# The first user on alice's shard and the first on the other one.
same= other=
for u in ${users#alice }; do
	if [ "$(shard_of $u)" = "$(shard_of alice)" ]; then
		[ -n "$same" ] || same=$u
	else
		[ -n "$other" ] || other=$u
	fi
done
[ -n "$same" ] && [ -n "$other" ] || it_fail "no pair on one shard and one across ($same, $other)"
echo "across shards: alice-$other; one shard: alice-$same"

for b in $other $same; do
	it_step "block alice-$b: both ways, pushes to two resources"
	py xmpp_im.py subscribe alice@$D pw-alice $b@$D pw-$b || it_fail "subscribe alice $b"
	py xmpp_block.py block alice@$D pw-alice $b@$D pw-$b || it_fail "block alice $b"
	it_step "alice offline, blocking $b: $b's message refused, not stored"
	py xmpp_block.py offline-blocked $b@$D pw-$b alice@$D || it_fail "offline-blocked $b"
	[ "$($SBCTL offline count alice@$D | awk '{ print $1 }')" -eq 0 ] ||
		it_fail "a blocked sender's message was stored"
	$SBCTL store stats | grep -q '^block items 1 ' || { $SBCTL store stats; it_fail "no block record"; }
	$SBCTL block list alice | grep -qx "$b@$D" || { $SBCTL block list alice; it_fail "sbctl block list"; }
	py xmpp_block.py unblock-all alice@$D pw-alice || it_fail "unblock-all"
	$SBCTL store stats | grep -q '^block items 0 ' || { $SBCTL store stats; it_fail "block record left"; }
done
[ "$(it_route_counter blocked_out)" -ge 4 ] || it_fail "blocked_out not counted"
[ "$(it_route_counter blocked_in)" -ge 6 ] || it_fail "blocked_in not counted"
[ "$(it_route_counter block_synced)" -ge 1 ] || it_fail "no block list was replicated"

it_step "directed presence: unavailable when the session goes (RFC 6121 §4.6.3)"
py xmpp_block.py directed grace@$D pw-grace heidi@$D pw-heidi || it_fail "directed"
[ "$(it_route_counter directed_unavailable)" -ge 1 ] || it_fail "directed_unavailable not counted"

it_step "vCard"
py xmpp_block.py vcard carol@$D pw-carol dave@$D pw-dave 2048 || it_fail "vcard"

it_step "private XML storage"
py xmpp_block.py private erin@$D pw-erin frank@$D 1024 4 || it_fail "private"
$SBCTL store stats
echo "PASS"
