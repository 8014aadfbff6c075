#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 17's bad input, the cases test_xmpp_im.sh (roster limit, malformed
# items, a flood of requests to many JIDs) and test_xmpp_block.sh (the
# offender's own vCard over its limit) leave out, each checked on both
# sides (tests/integration/xmpp_im_badinput.py): a subscription flood from
# one user to one other (the victim gets one request, no roster change), a
# full roster with malformed and oversized sets (bad-request,
# item-not-found, not-acceptable, resource-constraint; neither roster
# changes), a vCard over the limit (not-acceptable, forbidden at another
# account; the other's vCard intact). Through all of it two other users
# hold their sessions and chat at the end (other users unaffected).
IT_NAME=ximbad
export SB_EXTRA="control.shards=2 im.roster_max_items=8 im.roster_item_bytes=1024 im.vcard_max_bytes=2048"
. "$(dirname "$0")/lib.sh"

py() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_im_badinput.py" "$@" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'No appropriate login method'
	return "${PIPESTATUS[0]}"
}
D=switchboard.test

it_step "start; alice and bob logged in, waiting to chat"
it_start
for u in mallory erin trudy; do it_user_add $u "pw-$u"; done
it_pair_ready

it_step "a subscription flood from one user to another"
py flood-one mallory@$D pw-mallory erin@$D pw-erin 200 || it_fail "flood-one"
[ "$(it_route_counter sub_ignored)" -ge 150 ] ||
	it_fail "sub_ignored is $(it_route_counter sub_ignored): the repeats were not dropped"

it_step "a full roster, malformed and oversized items"
py roster trudy@$D pw-trudy erin@$D pw-erin 8 || it_fail "roster"
[ "$(it_route_counter roster_full)" -ge 1 ] || it_fail "roster_full not counted"

it_step "a vCard over its limit"
py vcard mallory@$D pw-mallory erin@$D pw-erin 2048 || it_fail "vcard"

it_step "alice and bob were not disturbed"
touch "$go"
wait $pair || it_fail "the other users' sessions were disturbed"
echo "PASS"
