#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# PEP (XEP-0163) with real slixmpp clients (tests/integration/xmpp_pep.py)
# over two control shards, the publisher and its contact on different
# shards: A publishes an OMEMO device list (open), a bookmark (whitelist,
# XEP-0402 options) and avatar metadata (presence); contact B, with +notify
# in its caps (XEP-0115, resolved by the server's disco#info query), gets
# the events; non-contact C reads the open node only; publish-options that
# conflict are precondition-not-met, and the owner's configure form then
# changes the access model; the item, node and max_items limits hold; B
# logging in again gets the last items; sbctl pep show lists the nodes.
# Then (xmpp_pep.py more) with three other users: XEP-0398 both ways (an
# avatar publish seen in a vCard get, a vCard PHOTO published as the avatar
# with its event at a contact, the avatar hash in broadcast presence, in the
# probe answer a contact's new resource gets and in directed presence),
# delete and purge events, and a roster-group
# node read by a contact in the group and refused to one outside.
IT_NAME=xpe
ITEM_MAX=1024 NODES_MAX=8 ITEMS_MAX=16
export SB_EXTRA="control.shards=2 im.pep_item_max_bytes=$ITEM_MAX im.pep_max_nodes=$NODES_MAX im.pep_max_items=$ITEMS_MAX"
# The bench measures PEP, not the per-client byte shaper (10 KiB/s).
[ -z "${SB_PEP_BENCH:-}" ] || SB_EXTRA="$SB_EXTRA xmpp.shaper_bytes_per_s=100000000"
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
users="alice bob carol dave erin frank"
for u in $users; do it_user_add $u "pw-$u"; done
b=
for u in ${users#alice }; do
	[ "$(shard_of $u)" != "$(shard_of alice)" ] && { b=$u; break; }
done
[ -n "$b" ] || it_fail "no user on another shard than alice"
c=carol
[ "$b" = carol ] && c=dave
echo "publisher alice, contact $b (other shard), non-contact $c"

it_step "alice and $b subscribe to each other"
py xmpp_im.py subscribe alice@$D pw-alice $b@$D pw-$b || it_fail "subscribe alice $b"

it_step "publish, notify, access, precondition, limits, last item"
py xmpp_pep.py pep alice@$D pw-alice $b@$D pw-$b $c@$D pw-$c $ITEM_MAX $NODES_MAX $ITEMS_MAX ||
	it_fail "pep"
$SBCTL store stats
$SBCTL status | awk '$1 ~ /^(pep_|caps_)/' 
$SBCTL store stats | grep -q '^pep items [1-9]' || it_fail "no pep record in the store"
$SBCTL pep show alice
$SBCTL pep show alice | grep -q "^nodes $NODES_MAX\$" || it_fail "sbctl pep show: not $NODES_MAX nodes"
$SBCTL pep show alice | grep -q '^urn:xmpp:bookmarks:1 access whitelist max_items '"$ITEMS_MAX"' items 2 .* send_last never$' ||
	it_fail "sbctl pep show: the bookmarks node"
[ "$(it_route_counter pep_published)" -ge 10 ] || it_fail "pep_published not counted"
[ "$(it_route_counter pep_precondition)" -ge 1 ] || it_fail "pep_precondition not counted"
[ "$(it_route_counter pep_last_sent)" -ge 2 ] || it_fail "pep_last_sent not counted"
[ "$(it_route_counter caps_queries)" -ge 1 ] || it_fail "no caps query"
it_step "XEP-0398, delete and purge events, the roster access model"
rest=
for u in ${users#alice }; do [ "$u" != "$b" ] && [ "$u" != "$c" ] && rest="$rest $u"; done
set -- $rest
o=$1 p=$2 q=$3
for u in $rest; do
	[ "$(shard_of $u)" != "$(shard_of $o)" ] && [ "$u" != "$o" ] && { p=$u; break; }
done
[ "$q" = "$p" ] && q=$2
echo "owner $o, contact $p, in the roster outside the group $q"
py xmpp_im.py subscribe $o@$D pw-$o $p@$D pw-$p || it_fail "subscribe $o $p"
py xmpp_pep.py more $o@$D pw-$o $p@$D pw-$p $q@$D pw-$q || it_fail "more"
[ "$(it_route_counter pep_vcard_converted)" -ge 1 ] || it_fail "pep_vcard_converted not counted"
[ "$(it_route_counter pep_vcard_photos)" -ge 2 ] || it_fail "pep_vcard_photos not counted"
[ "$(it_route_counter pep_vcard_hashes)" -ge 4 ] || it_fail "pep_vcard_hashes not counted"
$SBCTL pep show $o | grep -q '^urn:example:sb:roster-node access roster ' ||
	it_fail "sbctl pep show: the roster node"
# SB_PEP_BENCH=N: publish N items and print the rates (docs/BENCHMARKS.md).
if [ -n "${SB_PEP_BENCH:-}" ]; then
	it_step "bench: $SB_PEP_BENCH publishes, events at a contact"
	py xmpp_pep.py bench alice@$D pw-alice $b@$D pw-$b "$SB_PEP_BENCH" || it_fail "bench"
fi
echo "PASS"
