#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A user cannot break another user's stream (issue 14, findings 2 and 3).
# The attacker sends a stanza that uses a prefix declared only on its own
# stream header, and one with c:from naming someone else; the victim's
# stream, read with a namespace-aware parser (expat), stays up and
# well-formed and still gets a later message, and the attacker gets
# <bad-namespace-prefix/> and a bad-request stanza error.
IT_NAME=xns
. "$(dirname "$0")/lib.sh"

it_step "start, two accounts"
it_start
it_user_add alice secret-a
it_user_add bob secret-b

it_step "prefix and c:from stanzas from alice to bob"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" namespaces \
	alice secret-a bob secret-b switchboard.test || it_fail "namespaces"

it_step "counters (published by the worker every 100 ms)"
for i in $(seq 20); do
	prefix=$(it_counter xml_stream_prefix_in_stanza)
	spoof=$(it_counter stanza_prefixed_address)
	[ "${prefix:-0}" -ge 1 ] && [ "${spoof:-0}" -ge 1 ] && break
	sleep 0.1
done
[ "${prefix:-0}" -ge 1 ] || it_fail "xml_stream_prefix_in_stanza is '$prefix', expected >= 1"
[ "${spoof:-0}" -ge 1 ] || it_fail "stanza_prefixed_address is '$spoof', expected >= 1"
echo "xml_stream_prefix_in_stanza $prefix, stanza_prefixed_address $spoof"
echo "PASS"
