#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# XEP-0198 stream management on the wire, with a raw client: <sm/> offered
# after SASL; <enable/> before bind refused, after bind enabled with an
# opaque id; acks both ways (h counts only stanzas); an ack above what was
# sent (the signed-int client's -1 = 4294967295 included) ends the stream
# with handled-count-too-high; <resume/> refused with item-not-found and
# binding still works after it; stanzas written but not acknowledged when
# the connection is cut (RST) are neither dropped nor bounced but stored
# offline and delivered, with <delay/>, at the next login; a client that
# never acks is asked (<r/>) at half of xmpp.sm_unacked_max and reset at it,
# its stanzas again stored, not lost.
IT_NAME=xsm
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="xmpp.sm_unacked_max=8"

it_step "start"
it_start
for u in alice bob carol dave erin; do it_user_add $u secret-$u; done

it_step "negotiation, acks both ways, h limits, resume refused"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "SM negotiation and acks"
import re, sys
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail, stream_error

SM = "urn:xmpp:sm:3"

def is_sm(st, local):
    return st.name == SM + " " + local

bob = Wire().login("bob", "secret-bob", bind=False)
if bob.features.child("sm") is None or bob.features.child("sm").name != SM + " sm":
    fail("no <sm xmlns='%s'/> in the features after SASL" % SM)
bob.send("<enable xmlns='%s'/>" % SM)
f = bob.wait(lambda s: is_sm(s, "failed"), 10, "<failed/> for enable before bind")
if f.child("unexpected-request") is None:
    fail("enable before bind: expected unexpected-request")
bob.send("<resume xmlns='%s' previd='not-a-session' h='0'/>" % SM)
f = bob.wait(lambda s: is_sm(s, "failed"), 10, "<failed/> for resume")
if f.child("item-not-found") is None:
    fail("resume of an unknown id: expected item-not-found")
bob.bind(presence=False)  # binding works after <failed/>
bob.send("<enable xmlns='%s'/>" % SM)
en = bob.wait(lambda s: is_sm(s, "enabled"), 10, "<enabled/>")
if not re.fullmatch(r"[0-9a-f]{32}", en.attrs.get("id", "")):
    fail("enabled id is not 128 random bits in hex: %r" % en.attrs)

alice = Wire().login("alice", "secret-alice")
# inbound h: three stanzas and a ping, nonzas between them do not count
for i in range(3):
    bob.send("<message to='%s' type='chat' id='b%d'><body>b%d</body></message>" % (alice.jid, i, i))
    bob.send("<r xmlns='%s'/>" % SM)
bob.send("<iq type='get' id='png' to='switchboard.test'><ping xmlns='urn:xmpp:ping'/></iq>")
bob.send("<r xmlns='%s'/>" % SM)
hs = []
while len(hs) < 4:
    a = bob.wait(lambda s: is_sm(s, "a"), 10, "<a/> for <r/>")
    hs.append(int(a.attrs["h"]))
if hs != [1, 2, 3, 4]:
    fail("inbound h after 1, 2, 3 stanzas and a ping: %r" % hs)
for i in range(3):
    alice.wait(lambda s: s.attrs.get("id") == "b%d" % i, 10, "message b%d at alice" % i)

# outbound: alice sends 5; bob counts what he got and acks it
for i in range(5):
    alice.send("<message to='%s' type='chat' id='a%d'><body>a%d</body></message>" % (bob.jid, i, i))
for i in range(5):
    bob.wait(lambda s: s.attrs.get("id") == "a%d" % i, 10, "message a%d at bob" % i)
bob.wait(lambda s: s.attrs.get("id") == "png", 10, "pong")
got = 6  # five messages and the pong, nothing else was sent to bob since <enabled/>
bob.send("<a xmlns='%s' h='%d'/>" % (SM, got))
bob.send("<r xmlns='%s'/>" % SM)
bob.wait(lambda s: is_sm(s, "a"), 10, "<a/> after an ack")
if bob.closed:
    fail("an exact ack closed the stream")
bob.send("<a xmlns='%s' h='%d'/>" % (SM, got + 1))
cond, _ = stream_error(bob)
if cond != "undefined-condition":
    fail("ack above the send count: %r" % cond)

# a client keeping h as a signed 32-bit int sends -1 as 4294967295
erin = Wire().login("erin", "secret-erin", bind=False)
erin.bind(presence=False)
erin.send("<enable xmlns='%s'/>" % SM)
erin.wait(lambda s: is_sm(s, "enabled"), 10, "<enabled/>")
erin.send("<enable xmlns='%s'/>" % SM)
cond, _ = stream_error(erin)
if cond != "policy-violation":
    fail("second enable: %r" % cond)
erin = Wire().login("erin", "secret-erin", bind=False)
erin.bind(presence=False)
erin.send("<enable xmlns='%s'/>" % SM)
erin.wait(lambda s: is_sm(s, "enabled"), 10, "<enabled/>")
erin.send("<a xmlns='%s' h='4294967295'/>" % SM)
e = erin.wait(lambda s: s.name.endswith("streams error"), 10, "stream error")
hc = [c for c in e.children if c.name == SM + " handled-count-too-high"]
if not hc or hc[0].attrs.get("h") != "4294967295" or hc[0].attrs.get("send-count") != "0":
    fail("h=4294967295 with nothing sent: %r" % [(c.name, c.attrs) for c in e.children])
print("negotiation, acks (h 1..4, ack of 6), too-high acks and resume refusal as expected")
PY
# The pong counts in h but is not kept: the five messages are.
[ "$(it_counter xmpp_sm_acked)" -eq 5 ] || it_fail "the ack released $(it_counter xmpp_sm_acked) kept stanzas, not 5"

it_step "unacked stanzas of a cut connection are stored offline, then delivered"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "unacked after RST"
import sys
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

SM = "urn:xmpp:sm:3"
carol = Wire().login("carol", "secret-carol", bind=False)
carol.bind(presence=False)
carol.send("<enable xmlns='%s'/>" % SM)
carol.wait(lambda s: s.name == SM + " enabled", 10, "<enabled/>")
alice = Wire().login("alice", "secret-alice")
for i in range(3):
    alice.send("<message to='%s' type='chat' id='c%d'><body>c%d</body></message>" % (carol.jid, i, i))
for i in range(3):
    carol.wait(lambda s: s.attrs.get("id") == "c%d" % i, 10, "message c%d at carol" % i)
carol.send("<a xmlns='%s' h='1'/>" % SM)    # the first one only
carol.send("<r xmlns='%s'/>" % SM)
carol.wait(lambda s: s.name == SM + " a", 10, "<a/>")
carol.reset()
alice.pump(1)
if any(s.attrs.get("type") == "error" for s in alice.inbox):
    fail("a stanza was bounced to its sender")
again = Wire().login("carol", "secret-carol")
got = []
for i in (1, 2):
    m = again.wait(lambda s: s.attrs.get("id") == "c%d" % i, 10, "unacked c%d after login" % i)
    if m.child("delay") is None:
        fail("c%d came back without <delay/>" % i)
again.pump(1)
if any(s.attrs.get("id") == "c0" for s in again.inbox):
    fail("the acknowledged c0 was delivered again")
print("c1, c2 (unacked when the connection was cut) delivered from offline storage, c0 not")
PY

it_step "a client that never acks is asked at half the cap and reset at it"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "unacked cap"
import sys
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

SM = "urn:xmpp:sm:3"
dave = Wire().login("dave", "secret-dave", bind=False)
dave.bind(presence=False)
dave.send("<enable xmlns='%s'/>" % SM)
dave.wait(lambda s: s.name == SM + " enabled", 10, "<enabled/>")
alice = Wire().login("alice", "secret-alice")
for i in range(4):
    alice.send("<message to='%s' type='chat' id='d%d'><body>d%d</body></message>" % (dave.jid, i, i))
dave.wait(lambda s: s.name == SM + " r", 10, "<r/> at half of xmpp.sm_unacked_max (4 of 8)")
for i in range(8):
    alice.send("<message to='%s' type='chat' id='e%d'><body>e%d</body></message>" % (dave.jid, i, i))
while dave.pump(1):
    pass
again = Wire().login("dave", "secret-dave")
for i in range(4):
    again.wait(lambda s: s.attrs.get("id") == "d%d" % i, 10, "d%d after the reset" % i)
for i in range(8):
    again.wait(lambda s: s.attrs.get("id") == "e%d" % i, 10, "e%d after the reset" % i)
print("dave was asked at 4, reset at 8, and got all 12 at his next login")
PY
[ "$(it_counter xmpp_sm_unacked_over)" -ge 1 ] || it_fail "xmpp_sm_unacked_over not counted"
[ "$(it_counter xmpp_sm_requests_out)" -ge 1 ] || it_fail "xmpp_sm_requests_out not counted"
echo "PASS"
