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
# never acks is asked (<r/>) at half of xmpp.sm_unacked_max and at it, gets
# nothing more written past it, and is reset as a reader making no progress
# (xmpp.slow_reader_ms, here 2 s), its stanzas again stored, not lost. A
# resumable session (XEP-0198 §5) survives its connection being cut: 50
# stanzas sent meanwhile and the unacked ones arrive once each, in order,
# on the resumed stream, less those the client's h says it had; a resume
# over a still-open stream ends that one with conflict; when the window
# (the client's max) ends, the stanzas go to offline storage, and a resume
# of the expired id fails with item-not-found carrying the last h. A peer
# that stays silent gets an <r/>, is reset when nothing answers, and its
# session resumes. slixmpp's own XEP-0198 (an ack per stanza, its resume).
IT_NAME=xsm
. "$(dirname "$0")/lib.sh"
# Two workers and two shards (as test_multiworker.sh): a resumed stream
# may land on the other worker, and users live on both shards.
export SB_EXTRA="xmpp.sm_unacked_max=8 xmpp.slow_reader_ms=2000 eal.lcores=0@0,1@1,2@1
	control.shards=2 xmpp.conn_rate_per_addr=10000 xmpp.conn_burst_per_addr=10000
	xmpp.sm_probe_idle_ms=3000 xmpp.sm_probe_wait_ms=3000"

it_step "start"
it_start
for u in alice bob carol dave erin frank greta henry; do it_user_add $u secret-$u; done

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
# An <a/> says what is safe when it is sent (the ack is a promise,
# xc_promise.c): an <r/> that waited for its shard's report may be
# answered with stanzas read after it too, never with fewer than it asked
# about, and the counts never go back.
if len(hs) != 4 or hs[-1] != 4 or any(h < i + 1 for i, h in enumerate(hs)) or hs != sorted(hs):
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

it_step "a client that never acks is asked at half the cap and at it, held back, then reset"
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
print("dave was asked at 4 and 8, held back past 8, reset, and got all 12 at his next login")
PY
it_counter_ge xmpp_sm_unacked_full 1 || it_fail "xmpp_sm_unacked_full not counted"
it_counter_ge xmpp_slow_reader 1 || it_fail "the client that never acks was not reset"
it_counter_ge xmpp_sm_requests_out 1 || it_fail "xmpp_sm_requests_out not counted"

it_step "resume after a cut connection: unacked and 50 new stanzas, once each, in order"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "resume"
import sys, time
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail, stream_error

SM = "urn:xmpp:sm:3"
def msg(to, i):
    return "<message to='%s' type='chat' id='%s'><body>%s</body></message>" % (to, i, i)

frank = Wire().login("frank", "secret-frank", bind=False)
frank.bind(presence=False)
frank.send("<enable xmlns='%s' resume='true'/>" % SM)
en = frank.wait(lambda s: s.name == SM + " enabled", 10, "<enabled/>")
if en.attrs.get("resume") not in ("true", "1") or en.attrs.get("max") != "300":
    fail("resumption not granted as configured: %r" % en.attrs)
sid, jid = en.attrs["id"], frank.jid
alice = Wire().login("alice", "secret-alice")
for i in range(5):
    alice.send(msg(jid, "m%d" % i))
for i in range(5):
    frank.wait(lambda s: s.attrs.get("id") == "m%d" % i, 10, "m%d" % i)
frank.send("<message to='%s' type='chat' id='f0'><body>f0</body></message>" % alice.jid)
frank.send("<a xmlns='%s' h='2'/>" % SM)   # m0, m1 acked; m2..m4 not
frank.send("<r xmlns='%s'/>" % SM)
frank.wait(lambda s: s.name == SM + " a", 10, "<a/>")
frank.reset()
time.sleep(1)
for i in range(50):
    alice.send(msg(jid, "n%d" % i))
alice.send("<iq type='get' id='sync' to='switchboard.test'><ping xmlns='urn:xmpp:ping'/></iq>")
alice.wait(lambda s: s.attrs.get("id") == "sync", 10, "alice's ping")
time.sleep(0.5)
if any(s.attrs.get("type") == "error" for s in alice.inbox):
    fail("a stanza to the hibernated session was bounced")

# The client got m2 and m3 but its ack was lost with the link: h=4.
back = Wire().login("frank", "secret-frank", bind=False)
back.send("<resume xmlns='%s' previd='%s' h='4'/>" % (SM, sid))
r = back.wait(lambda s: s.name in (SM + " resumed", SM + " failed"), 10, "<resumed/>")
if r.name != SM + " resumed" or r.attrs.get("previd") != sid or r.attrs.get("h") != "1":
    fail("resume: %s %r (expected resumed, h=1 for f0)" % (r.name, r.attrs))
want = ["m4"] + ["n%d" % i for i in range(50)]
deadline = time.monotonic() + 60
asked = 0
while time.monotonic() < deadline:
    got = [s.attrs.get("id") for s in back.inbox if s.name == "jabber:client message"]
    if len(got) >= len(want):
        break
    # Like any client: answer the server's <r/> (it asks at half of
    # xmpp.sm_unacked_max and at it, and writes no more until acked).
    for st in [s for s in back.inbox if s.name == SM + " r"]:
        back.inbox.remove(st)
        back.send("<a xmlns='%s' h='%d'/>" % (SM, 4 + len(got)))
        asked += 1
    back.pump(0.5)
if asked == 0:
    fail("51 stanzas replayed with sm_unacked_max=8 and the server never asked for an ack")
back.pump(1)
got = [s.attrs.get("id") for s in back.inbox if s.name == "jabber:client message"]
if got != want:
    fail("after resume: %d messages %r..., expected m4, n0..n49 once each in order" % (len(got), got[:8]))
back.send("<a xmlns='%s' h='%d'/>" % (SM, 4 + len(want)))
back.send("<r xmlns='%s'/>" % SM)
a = back.wait(lambda s: s.name == SM + " a", 10, "<a/> on the resumed stream")
if a.attrs.get("h") != "1":
    fail("inbound h on the resumed stream: %r" % a.attrs)
print("resumed with h=1; m4 and n0..n49 arrived once each, in order; m2, m3 were not repeated")

# A resume while the resumed stream is still open: the old one gets conflict.
again = Wire().login("frank", "secret-frank", bind=False)
again.send("<resume xmlns='%s' previd='%s' h='%d'/>" % (SM, sid, 4 + len(want)))
cond, _ = stream_error(back)
if cond != "conflict":
    fail("the open stream of a resumed session: %r, expected conflict" % cond)
r = again.wait(lambda s: s.name in (SM + " resumed", SM + " failed"), 10, "<resumed/>")
if r.name != SM + " resumed":
    fail("resume over an open stream: %s %r" % (r.name, r.attrs))
alice.send(msg(jid, "p0"))
again.wait(lambda s: s.attrs.get("id") == "p0", 10, "p0 on the second resumed stream")
print("resume over an open stream: conflict for the old one, the new one gets p0")
PY

it_step "window end: offline delivery, then item-not-found with the last h"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "window end"
import sys, time
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

SM = "urn:xmpp:sm:3"
greta = Wire().login("greta", "secret-greta", bind=False)
greta.bind(presence=False)
greta.send("<enable xmlns='%s' resume='true' max='2'/>" % SM)
en = greta.wait(lambda s: s.name == SM + " enabled", 10, "<enabled/>")
if en.attrs.get("max") != "2":
    fail("the client's max of 2 s was not honoured: %r" % en.attrs)
alice = Wire().login("alice", "secret-alice")
for i in range(2):
    greta.send("<message to='%s' type='chat' id='gs%d'><body>x</body></message>" % (alice.jid, i))
    alice.send("<message to='%s' type='chat' id='g%d'><body>g%d</body></message>" % (greta.jid, i, i))
for i in range(2):
    greta.wait(lambda s: s.attrs.get("id") == "g%d" % i, 10, "g%d" % i)
greta.reset()
time.sleep(0.5)
alice.send("<message to='%s' type='chat' id='g2'><body>g2</body></message>" % greta.jid)
time.sleep(4)  # past the 2 s window
later = Wire().login("greta", "secret-greta")
for i in range(3):
    m = later.wait(lambda s: s.attrs.get("id") == "g%d" % i, 10, "g%d from offline storage" % i)
    if m.child("delay") is None:
        fail("g%d without <delay/>" % i)
retry = Wire().login("greta", "secret-greta", bind=False)
retry.send("<resume xmlns='%s' previd='%s' h='2'/>" % (SM, en.attrs["id"]))
f = retry.wait(lambda s: s.name in (SM + " resumed", SM + " failed"), 10, "<failed/>")
if f.name != SM + " failed" or f.child("item-not-found") is None or f.attrs.get("h") != "2":
    fail("resume of an expired session: %s %r, expected failed h=2 item-not-found" % (f.name, f.attrs))
retry.bind()
print("expired: g0..g2 delivered from offline storage with <delay/>; resume failed with h=2; bind works")
PY
[ "$(it_route_counter sm_expired)" -ge 1 ] || it_fail "sm_expired not counted"

it_step "a silent peer is probed with <r/>, reset, and its session resumed"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "dead peer"
import sys, time
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

SM = "urn:xmpp:sm:3"
henry = Wire().login("henry", "secret-henry", bind=False)
henry.bind(presence=False)
henry.send("<enable xmlns='%s' resume='true'/>" % SM)
en = henry.wait(lambda s: s.name == SM + " enabled", 10, "<enabled/>")
# A frozen app: its TCP acks, it says nothing, not even to <r/>.
henry.wait(lambda s: s.name == SM + " r", 10, "<r/> after 3 s of silence")
t = time.monotonic()
while henry.pump(1) and time.monotonic() - t < 60:
    pass
if not henry.closed:
    fail("the silent peer was not reset")
alice = Wire().login("alice", "secret-alice")
alice.send("<message to='%s' type='chat' id='h0'><body>h0</body></message>" % henry.jid)
time.sleep(0.5)
back = Wire().login("henry", "secret-henry", bind=False)
back.send("<resume xmlns='%s' previd='%s' h='0'/>" % (SM, en.attrs["id"]))
r = back.wait(lambda s: s.name in (SM + " resumed", SM + " failed"), 10, "<resumed/>")
if r.name != SM + " resumed":
    fail("resume after a dead-peer reset: %s %r" % (r.name, r.attrs))
back.wait(lambda s: s.attrs.get("id") == "h0", 10, "h0 after resume")
print("silent peer: <r/>, reset, hibernated; resumed and got h0")
PY
it_counter_ge xmpp_sm_dead_peer 1 || it_fail "xmpp_sm_dead_peer not counted"

it_step "slixmpp's xep_0198: an ack per stanza, then a cut link and its own resume"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_sm_slix.py" \
	"$top/tests/integration" || it_fail "slixmpp stream management"
echo "PASS"
