#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Message carbons (XEP-0280) and the message archive (XEP-0313 with
# XEP-0359 stanza-ids and XEP-0059 paging) with slixmpp clients
# (tests/integration/xmpp_mam.py), users over two control shards: carbons
# to a second resource both ways, <private/> and <no-copy/> honoured, a
# disabled resource left out; 500 messages archived once per party, queried
# by with/start/end and paged forward and back; sbctl mam count and purge.
IT_NAME=xmam
export SB_EXTRA="control.shards=2 im.mam_page_max=1000"
. "$(dirname "$0")/lib.sh"

it_mam() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_mam.py" "$@" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'No appropriate login method' \
			-e 'slower stringprep'
	return "${PIPESTATUS[0]}"
}
D=switchboard.test

it_step "start, add accounts"
it_start
for u in alice bob carol dave; do it_user_add $u "pw-$u"; done

it_step "carbons"
it_mam carbons alice@$D pw-alice bob@$D pw-bob || it_fail "carbons"
[ "$(it_route_counter carbons_sent)" -ge 4 ] || it_fail "carbons_sent not counted"
[ "$(it_route_counter carbons_received)" -ge 3 ] || it_fail "carbons_received not counted"

it_step "archive: 500 messages, queries and paging"
it_mam mam carol@$D pw-carol dave@$D pw-dave 500 || it_fail "mam"
# 500 and the forged one, once for each party.
[ "$($SBCTL mam count dave@$D | awk '{ print $1 }')" -eq 501 ] || it_fail "sbctl mam count dave"
[ "$($SBCTL mam count carol@$D | awk '{ print $1 }')" -eq 501 ] || it_fail "sbctl mam count carol"

it_step "sbctl mam purge"
$SBCTL mam purge dave@$D --before 2000-01-01T00:00:00Z | grep -q "^0 " || it_fail "purge before 2000"
[ "$($SBCTL mam count dave@$D | awk '{ print $1 }')" -eq 501 ] || it_fail "purge before 2000 deleted"
$SBCTL mam purge dave@$D | grep -q "^501 " || it_fail "purge all"
[ "$($SBCTL mam count dave@$D | awk '{ print $1 }')" -eq 0 ] || it_fail "messages left after purge"
$SBCTL store stats
echo "PASS"
