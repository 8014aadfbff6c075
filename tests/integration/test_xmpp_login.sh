#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A standard client (slixmpp) logs in with PLAIN, SCRAM-SHA-1 and
# SCRAM-SHA-256, binds a server-generated resource and pings the server; a
# wrong password and an unknown user are refused alike.
IT_NAME=xlogin
. "$(dirname "$0")/lib.sh"

it_step "start, add an account"
it_start
it_user_add alice 'pa ss-wörd'

for mech in PLAIN SCRAM-SHA-1 SCRAM-SHA-256; do
	it_step "login with $mech"
	it_xmpp login alice@switchboard.test 'pa ss-wörd' $mech || it_fail "$mech login"
	it_step "wrong password with $mech"
	it_xmpp login alice@switchboard.test 'wrong' $mech --expect-fail || it_fail "$mech bad pw"
done
it_step "unknown user fails like a wrong password"
it_xmpp login nobody@switchboard.test 'x' SCRAM-SHA-256 --expect-fail || it_fail "unknown user"

logins=$(it_counter xmpp_logins)
[ "$logins" -eq 3 ] || it_fail "xmpp_logins is $logins, expected 3"
[ "$(it_route_counter auth_plain_bad)" -eq 1 ] || it_fail "PLAIN refusal not counted"
it_step "stopping the dataplane tells a bound stream system-shutdown"
ready="$SB_RUN/ready"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" shutdown \
	alice 'pa ss-wörd' "$ready" &
raw=$!
for i in $(seq 100); do [ -f "$ready" ] && break; kill -0 $raw 2>/dev/null || break; sleep 0.1; done
[ -f "$ready" ] || it_fail "the raw client did not bind"
kill -TERM "$(cat "$SB_RUN/dataplane.pid")"
wait $raw || it_fail "no system-shutdown"
echo "PASS"
