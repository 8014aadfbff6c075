#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# XEP-0352 client state indication end to end, with slixmpp's xep_0352
# (xmpp_csi_slix.py): <csi/> offered after SASL; an inactive client is
# spared presence updates until a message comes, then gets only the newest
# presence and the message, in that order; <active/> writes what waited.
# With XEP-0198, what waits when the link is cut comes back with the
# resumed session, once each, in order. The dataplane's counters move:
# held, superseded, flushed (by the urgent message, by <active/>, by the
# close), and the time held.
IT_NAME=xcsi
. "$(dirname "$0")/lib.sh"

it_step "start"
it_start
for u in alice bob; do it_user_add $u secret-$u; done
D=switchboard.test
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_im.py" subscribe \
	alice@$D secret-alice bob@$D secret-bob >/dev/null 2>&1 || it_fail "subscriptions both ways"

it_step "slixmpp: inactive, presence held and superseded, flushed by a message and by <active/>"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_csi_slix.py" \
	"$top/tests/integration" || it_fail "CSI with slixmpp"

it_step "counters"
it_counter_ge xmpp_csi_held 4 || it_fail "xmpp_csi_held below 4"
it_counter_ge xmpp_csi_superseded 2 || it_fail "xmpp_csi_superseded below 2"
it_counter_ge xmpp_csi_flushed 2 || it_fail "xmpp_csi_flushed below 2"
it_counter_ge xmpp_csi_flush_urgent 1 || it_fail "xmpp_csi_flush_urgent not counted"
it_counter_ge xmpp_csi_flush_active 1 || it_fail "xmpp_csi_flush_active not counted"
it_counter_ge xmpp_csi_flush_closing 1 || it_fail "xmpp_csi_flush_closing: nothing was returned on the cut link"
it_counter_ge xmpp_csi_held_ms 1000 || it_fail "xmpp_csi_held_ms: held for under 1 s in all?"
it_counter_ge csi_inactive 1 || it_fail "lib/xmpp csi_inactive not counted"
it_counter_ge csi_active 1 || it_fail "lib/xmpp csi_active not counted"
echo "PASS"
