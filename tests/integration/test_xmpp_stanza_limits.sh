#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One limit, one owner (xmpp.max_stanza_bytes): a stanza of exactly that
# many bytes reaches its recipient whole, with the sender stamped on it; one
# byte more gets the sender a policy-violation stream error and reaches no
# one. Long ids (1024, 3000 and 3072 bytes: the tokenizer's attribute limit)
# travel intact both ways: delivered as sent, and echoed in an error reply;
# an id one byte over the attribute limit is refused where it enters.
IT_NAME=xsize
. "$(dirname "$0")/lib.sh"
max=16384
export SB_EXTRA="xmpp.max_stanza_bytes=$max xmpp.input_budget=65536"

it_step "start"
it_start
it_user_add alice secret-a
it_user_add bob secret-b

it_step "stanzas at and over the limit, long ids"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" "$max" <<'PY' || it_fail "limits"
import sys
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail, stream_error

MAX = int(sys.argv[2])
alice = Wire().login("alice", "secret-a")
bob = Wire().login("bob", "secret-b")


def message(body_len, msg_id="m1"):
    head = "<message to='bob@switchboard.test' type='chat' id='%s'><body>" % msg_id
    tail = "</body></message>"
    return head + "A" * (body_len - len(head) - len(tail)) + tail


def from_alice(s):
    return s.name.endswith(" message") and s.attrs.get("from", "").startswith("alice@")


m = message(MAX, "exact")
assert len(m) == MAX
alice.send(m)
got = bob.wait(lambda s: from_alice(s) and s.attrs.get("id") == "exact", 10, "the stanza at the limit")
want = MAX - len("<message to='bob@switchboard.test' type='chat' id='exact'><body></body></message>")
if len(got.child("body").text) != want:
    fail("body at the limit arrived with %d bytes, sent %d" % (len(got.child("body").text), want))
print("a stanza of exactly %d bytes: delivered whole, from %s" % (MAX, got.attrs["from"]))

for n in (1024, 3000, 3072):
    mid = "i" * n
    alice.send("<message to='bob@switchboard.test' type='chat' id='%s'><body>id %d</body></message>"
               % (mid, n))
    bob.wait(lambda s: from_alice(s) and s.attrs.get("id") == mid, 10, "the %d-byte id" % n)
    alice.send("<iq to='nobody@switchboard.test' type='get' id='%s'><query xmlns='jabber:iq:version'/></iq>"
               % mid)
    e = alice.wait(lambda s: s.name.endswith(" iq") and s.attrs.get("id") == mid, 10,
                   "the error reply with the %d-byte id" % n)
    if e.attrs.get("type") != "error":
        fail("the iq with a %d-byte id got type %r" % (n, e.attrs.get("type")))
    print("a %d-byte id: delivered intact, echoed in the error reply" % n)


def refused(payload, what, marker):
    w = Wire().login("alice", "secret-a")
    w.send(payload)
    cond, text = stream_error(w)
    if cond != "policy-violation":
        fail("%s: stream error %r, want policy-violation" % (what, cond))
    w.pump(3)
    if not w.closed:
        fail("%s: the stream was not closed" % what)
    bob.pump(2)
    if any(s.attrs.get("id", "").startswith(marker) for s in bob.inbox):
        fail("%s: the stanza reached its recipient" % what)
    print("%s: <policy-violation/>, closed, nothing delivered" % what)


refused(message(MAX + 1, "over"), "a stanza one byte over the limit", "over")
refused("<message to='bob@switchboard.test' id='%s'><body>x</body></message>" % ("j" * 3073),
        "an id one byte over the attribute limit", "jjj")
bob.close()
PY
[ "$(it_route_counter malformed)" -eq 0 ] || it_fail "sb-control counted malformed stanzas"
[ "$(it_counter msg_bad)" -eq 0 ] || it_fail "the dataplane counted bad messages"
echo "PASS"
