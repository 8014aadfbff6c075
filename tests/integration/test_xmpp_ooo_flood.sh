#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The out-of-order flood of issue 14 (finding 1) against the XMPP port,
# without logging in: 5 addresses x 150 connections to :5222 each skip
# byte ISN+1 and send 48 one-byte segments past it. Meanwhile two logged-in
# clients keep chatting (every message arrives, in order), a new client
# logs in, and ping is answered; held out-of-order data stays within the
# worker's cap. test_tcp_ooo_flood.sh does the same against the echo
# service with the TCP figures. Bounded: 750 x 49 segments, 140 s.
IT_NAME=xooo
. "$(dirname "$0")/lib.sh"
hold="$SB_RUN/flood.hold"
flood_log="$SB_RUN/flood.log"

it_step "start"
it_start
it_user_add alice secret-a
it_user_add bob secret-b
it_user_add carol secret-c
touch "$hold"

it_step "two clients chat while the flood runs; a third logs in during it"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" "$hold" \
	>"$SB_RUN/chat.log" 2>&1 <<'PY' &
import os, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

alice = Wire().login("alice", "secret-a")
bob = Wire().login("bob", "secret-b")
open(sys.argv[2] + ".chat", "w").write("ready\n")
n, deadline = 0, time.monotonic() + 140
while os.path.exists(sys.argv[2]) and time.monotonic() < deadline:
    alice.send("<message to='bob@switchboard.test' type='chat' id='c%d'><body>%d</body></message>"
               % (n, n))
    got = bob.wait(lambda s: s.name.endswith(" message"), 10, "chat message %d" % n)
    if got.child("body").text != str(n):
        fail("chat message %d arrived as %r" % (n, got.child("body").text))
    n += 1
    time.sleep(0.05)
print("chat: %d messages, every one delivered in order during the flood" % n)
PY
chat=$!
for _ in $(seq 300); do [ -e "$hold.chat" ] && break; sleep 0.1; done
[ -e "$hold.chat" ] || { cat "$SB_RUN/chat.log"; it_fail "the chatting clients did not log in"; }
floods=""
for i in 0 1 2 3 4; do
	ip -n "$SB_NS" addr add "198.18.0.$((10 + i))/24" dev "$SB_TAP"
	it_ooo_flood "198.18.0.$((10 + i))" $((20000 + 1000 * i)) 150 5222 "$hold" "$flood_log.$i"
	floods="$floods $!"
done
for i in 0 1 2 3 4; do
	it_wait_flood "$flood_log.$i"
done
it_ping 3
it_xmpp login carol@switchboard.test secret-c PLAIN || it_fail "a new login failed during the flood"

it_step "held out-of-order data bounded"
st=$($SBCTL status)
val() { echo "$st" | awk -v n="$1" '$1 == n { s += $2 } END { print s + 0 }'; }
echo "mbufs holding out-of-order data $(val tcp_ooo_mbufs), refused: worker cap $(val RX_OOO_WORKER_CAP)," \
	"source share $(val RX_OOO_SRC_SHARE), connection share $(val RX_OOO_SHARE)"
[ "$(val tcp_ooo_mbufs)" -le 3276 ] || it_fail "out-of-order data holds more than the worker's cap"
[ "$(val RX_OOO_SRC_SHARE)" -gt 0 ] || it_fail "no source address reached its share"

it_step "the chat went on throughout"
rm -f "$hold"
wait $chat || { cat "$SB_RUN/chat.log"; it_fail "the chat failed during the flood"; }
cat "$SB_RUN/chat.log"
for f in $floods; do wait "$f" || it_fail "a flood sender failed"; done
echo "PASS"
