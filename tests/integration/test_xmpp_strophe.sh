#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A second client implementation: libstrophe (C, strophe_client.c) logs in
# with the mechanism it picks, binds and pings the server; a wrong password
# is refused; a message from libstrophe reaches a slixmpp client and one from
# slixmpp reaches libstrophe, each with the sender's bare JID and the body
# intact; and two libstrophe clients chat with each other.
IT_NAME=xstrophe
. "$(dirname "$0")/lib.sh"

strophe=$SB_BUILD/tests/integration/strophe_client
[ -x "$strophe" ] || it_fail "$strophe not built: libstrophe-dev is missing" \
	"(scripts/install-deps.sh, then meson setup --reconfigure $SB_BUILD)"
dom=switchboard.test
body_a='hi from libstrophe <&> é中'
body_b='hi from slixmpp "quoted" & done'

# it_strophe ARGS...: the libstrophe client, inside the namespace.
it_strophe() {
	ip netns exec "$SB_NS" "$strophe" "$@" --host "$SB_GW_IP"
}

# wait_file FILE PID: until FILE exists (a receiver is ready) or PID exited.
wait_file() {
	for _ in $(seq 300); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

it_step "start, add accounts"
it_start
it_user_add alice secret-a
it_user_add bob secret-b

it_step "libstrophe login, bind, server ping"
out=$(it_strophe login "alice@$dom" secret-a) || it_fail "libstrophe login: $out"
echo "$out"
echo "$out" | grep -q "bound alice@$dom/" || it_fail "no resource bound: $out"
echo "$out" | grep -Eq "with SCRAM-SHA-(1|256) " || it_fail "unexpected mechanism: $out"

it_step "libstrophe login with a wrong password is refused"
it_strophe login "alice@$dom" wrong-password --expect-auth-fail --timeout 30 ||
	it_fail "a wrong password was not refused"
it_strophe login "alice@$dom" wrong-password --timeout 30 2>/dev/null &&
	it_fail "login with a wrong password reported success"

recv_pair() { # recv_pair NAME RECEIVER_CMD... -- SENDER_CMD...
	local name=$1 ready=$SB_RUN/$1.ready rpid rc=0
	shift
	local -a rcv=() snd=()
	while [ "$1" != "--" ]; do rcv+=("$1"); shift; done
	shift
	snd=("$@")
	rm -f "$ready"
	"${rcv[@]}" --ready "$ready" > "$SB_RUN/$name.out" 2>&1 &
	rpid=$!
	if ! wait_file "$ready" "$rpid"; then
		cat "$SB_RUN/$name.out"
		it_fail "$name: receiver not ready"
	fi
	"${snd[@]}" || it_fail "$name: sender failed"
	wait "$rpid" || rc=$?
	cat "$SB_RUN/$name.out"
	[ "$rc" -eq 0 ] || it_fail "$name: receiver failed"
}

it_step "libstrophe -> slixmpp"
recv_pair s2p it_xmpp recv "bob@$dom" secret-b --expect-from "alice@$dom" \
	--expect-body "$body_a" -- it_strophe send "alice@$dom" secret-a "bob@$dom" "$body_a"

it_step "slixmpp -> libstrophe"
recv_pair p2s it_strophe recv "alice@$dom" secret-a --expect-from "bob@$dom" \
	--expect-body "$body_b" -- it_xmpp send "bob@$dom" secret-b "alice@$dom" "$body_b"

it_step "libstrophe -> libstrophe"
recv_pair s2s it_strophe recv "bob@$dom" secret-b --expect-from "alice@$dom" \
	--expect-body "$body_a" -- it_strophe send "alice@$dom" secret-a "bob@$dom" "$body_a"

it_step "a receiver that checks: a wrong expected body fails"
recv_pair_neg() {
	local ready=$SB_RUN/neg.ready rpid
	it_strophe recv "bob@$dom" secret-b --expect-from "alice@$dom" --expect-body "other" \
		--timeout 15 --ready "$ready" > "$SB_RUN/neg.out" 2>&1 &
	rpid=$!
	wait_file "$ready" "$rpid" || it_fail "neg: receiver not ready"
	it_strophe send "alice@$dom" secret-a "bob@$dom" "$body_a" >/dev/null || it_fail "neg: send"
	if wait "$rpid"; then it_fail "a wrong body was accepted"; fi
	if ! grep -q 'body is' "$SB_RUN/neg.out"; then
		cat "$SB_RUN/neg.out"
		it_fail "neg: failed for another reason"
	fi
	echo "mismatch detected: $(cat "$SB_RUN/neg.out")"
}
recv_pair_neg

delivered=$(it_route_counter delivered)
echo "control delivered $delivered stanzas"
[ "$delivered" -ge 4 ] || it_fail "only $delivered stanzas delivered"
echo "PASS"
