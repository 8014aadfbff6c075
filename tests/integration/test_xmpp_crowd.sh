#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A crowd behind one address (NAT: an office, a campus, carrier-grade NAT)
# reconnecting together after a network blip: with the default limits, 200
# clients from one address that connect at once all log in.
IT_NAME=xcrowd
. "$(dirname "$0")/lib.sh"

it_step "start with the default abuse limits"
it_start
for i in $(seq 0 199); do it_user_add "u$i" "pw-$i"; done

it_step "200 logins from one address"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "crowd"
import sys
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

# All 200 connect and open their streams first, as a crowd does after a
# blip, so that the connections arrive as one burst from one address.
crowd = [Wire() for i in range(200)]
for w in crowd:
    w.restart()
for i, w in enumerate(crowd):
    w.login("u%d" % i, "pw-%d" % i, opened=True)
crowd[0].send("<message to='u199@switchboard.test' type='chat' id='c1'><body>hi</body></message>")
crowd[199].wait(lambda s: s.attrs.get("id") == "c1", 10, "a message across the crowd")
print("200 clients from one address: connected at once, all logged in and bound")
PY
[ "$(it_counter xmpp_conn_rate_limited)" -eq 0 ] || it_fail "connections were rate-limited"
[ "$(it_counter xmpp_binds)" -eq 200 ] || it_fail "xmpp_binds $(it_counter xmpp_binds), want 200"
echo "PASS"
