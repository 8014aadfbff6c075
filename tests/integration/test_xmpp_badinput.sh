#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad input on raw sockets: malformed XML, a DOCTYPE with entities, an
# undeclared entity (the "billion laughs" shape), a comment, a processing
# instruction, a 1 MiB stanza and invalid UTF-8 each get the right stream
# error and a closed connection, while two logged-in clients keep chatting.
IT_NAME=xbad
. "$(dirname "$0")/lib.sh"

it_step "start, two clients logged in"
it_start
it_pair_ready

for c in malformed doctype entity-bomb comment pi huge bad-utf8; do
	it_step "bad input: $c"
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" "$c" ||
		it_fail "$c"
done
errors=$(it_counter xmpp_xml_errors)
[ "$errors" -ge 7 ] || it_fail "xmpp_xml_errors is $errors, expected 7"

it_step "the logged-in clients still chat"
touch "$go"
wait $pair || it_fail "the other clients were disturbed"
echo "PASS"
