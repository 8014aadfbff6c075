#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Messages through the control plane: A -> B with body, id and the real
# from (a forged one replaced), an unknown recipient answered with
# service-unavailable, and 200 clients in a ring each sending one message to
# the next, all delivered, with users spread over two control shards.
IT_NAME=xchat
# the whole ring connects from one address: lift the per-address rate limit
# two control shards: the ring crosses between them
export SB_EXTRA="xmpp.conn_rate_per_addr=10000 xmpp.conn_burst_per_addr=10000 control.shards=2"
. "$(dirname "$0")/lib.sh"
n=${SB_IT_RING:-200}

it_step "start, add accounts"
it_start
it_user_add alice secret-a
it_user_add bob secret-b
for i in $(seq 0 $((n - 1))); do echo "user add r$i ring-pw"; done |
	while read -r line; do $SBCTL $line >/dev/null || exit 1; done || it_fail "ring accounts"

it_step "A -> B"
it_xmpp chat alice@switchboard.test secret-a bob@switchboard.test secret-b || it_fail "chat"

it_step "$n clients in a ring"
it_xmpp ring "$n" r ring-pw || it_fail "ring"
$SBCTL status | grep '^shard '
busy=$($SBCTL status | awk '/^shard / && $3 > 100 { n++ } END { print n + 0 }')
[ "$busy" -eq 2 ] || it_fail "the ring did not go through both control shards"
delivered=$(it_route_counter delivered)
echo "control delivered $delivered stanzas"
[ "$delivered" -ge $((n + 2)) ] || it_fail "only $delivered stanzas delivered"
sleep 1
[ "$($SBCTL status | awk '/^xmpp shard / { n += $7 } END { print n + 0 }')" -eq 0 ] ||
	it_fail "sessions left after every client disconnected"
echo "PASS"
