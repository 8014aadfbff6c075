#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Abuse limits, enforced before any XML is parsed: a burst of new
# connections from one address beyond xmpp.conn_burst_per_addr is refused,
# and an address that fails to log in xmpp.ban_after_failures times is
# banned (even with the right password) for xmpp.ban_s; a refused client is
# told why (policy-violation with a <text/>). Also: a connection
# that never logs in is closed with connection-timeout.
IT_NAME=xlimits
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="xmpp.conn_rate_per_addr=1 xmpp.conn_burst_per_addr=8
	xmpp.ban_after_failures=3 xmpp.ban_s=120 xmpp.login_timeout_s=2"

it_step "start"
it_start
it_user_add alice secret-a

it_step "a connection that never logs in is timed out"
out=$(ip netns exec "$SB_NS" /usr/bin/python3 - <<'PY'
import socket, time
s = socket.create_connection(("198.18.0.2", 5222), timeout=10)
s.sendall(b"<stream:stream to='switchboard.test' version='1.0' xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams'>")
got = b""
t0 = time.monotonic()
while time.monotonic() - t0 < 8:
    b = s.recv(4096)
    if not b:
        break
    got += b
print("closed after %.1f s, timeout=%s" % (time.monotonic() - t0, b"connection-timeout" in got))
PY
)
echo "$out"
echo "$out" | grep -q "timeout=True" || it_fail "no connection-timeout stream error"
it_counter_ge xmpp_login_timeout 1 || it_fail "xmpp_login_timeout did not move"

it_step "a burst of new connections from one address is cut at the burst size, each told why"
ip netns exec "$SB_NS" ip addr add 198.18.0.3/24 dev "$SB_TAP"
out=$(ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, NS_STREAM, HEADER

conns = [Wire(src="198.18.0.3", timeout=5) for i in range(14)]
told = accepted = 0
for w in conns:
    w.send(HEADER)
    w.pump(3)
    err = [s for s in w.inbox if s.name == NS_STREAM + " error"]
    if err and err[0].child("policy-violation") is not None and err[0].child("text") is not None \
            and w.closed:
        told += 1
        print("refused: " + err[0].child("text").text)
    elif any(s.name == NS_STREAM + " features" for s in w.inbox):
        accepted += 1
print("refused %d of %d, accepted %d" % (told, len(conns), accepted))
PY
)
echo "$out"
refused=$(echo "$out" | awk '/^refused [0-9]/ { print $2 }')
[ "$refused" -ge 6 ] || it_fail "only $refused of 14 refused with a stream error and its text, burst 8"
it_counter_ge xmpp_conn_rate_limited 6 || it_fail "xmpp_conn_rate_limited did not move"
it_counter_ge xmpp_refused_told 6 || it_fail "xmpp_refused_told did not move"

it_step "three failed logins ban the address"
for i in 1 2 3; do
	it_xmpp login alice@switchboard.test wrong SCRAM-SHA-256 --expect-fail || it_fail "bad login $i"
done
[ "$(it_counter xmpp_bans)" -eq 1 ] || it_fail "the address was not banned"
if it_xmpp login alice@switchboard.test secret-a SCRAM-SHA-256 >/dev/null 2>&1; then
	it_fail "a banned address logged in"
fi
it_counter_ge xmpp_banned 1 || it_fail "xmpp_banned did not move"
echo "banned address refused: $(it_counter xmpp_banned) connection(s)"
echo "PASS"
