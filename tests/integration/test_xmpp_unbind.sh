#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sessions in sb-control go when their connection goes, whatever state the
# bind was in. A flaky client sends its bind iq and drops the connection at
# once (RST) before the answer: done more times than control.max_resources
# allows, a later login of the same account must still bind, and sb-control
# must hold no session once they are gone.
IT_NAME=xunbind
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="control.max_resources=4"

it_step "start"
it_start
it_user_add alice secret-a

it_step "12 binds each cut by a RST before their answer"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "bind then RST"
import sys
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire

for i in range(12):
    w = Wire().login("alice", "secret-a", bind=False)
    w.send("<iq type='set' id='b%d'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>" % i)
    w.reset()
print("12 connections reset right after their bind request")
PY

sessions() { $SBCTL status | awk '/^xmpp shard [0-9]+ users/ { n += $7 } END { print n + 0 }'; }
for i in $(seq 50); do [ "$(sessions)" -eq 0 ] && break; sleep 0.1; done
echo "sessions left in sb-control: $(sessions); binds $(it_route_counter binds), unbinds $(it_route_counter unbinds)"
[ "$(sessions)" -eq 0 ] || it_fail "sb-control still holds $(sessions) session(s) of reset connections"
[ "$(it_route_counter unbinds)" -ge "$(it_route_counter binds)" ] ||
	it_fail "fewer unbinds than binds: sessions left behind"

it_step "the account still binds, and routes"
it_xmpp login alice@switchboard.test secret-a PLAIN || it_fail "alice cannot log in and bind after the resets"
echo "PASS"
