#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A recipient that reads slowly loses nothing (dataplane/xmpp/xc_hold.c).
# bob has two resources; alice sends 1 KB chats to bob's first one, whose
# socket buffer is 4 KB and who stops reading:
#  1. bob/1 reads again after 1.5 s: every chat arrives, in order, and the
#     gateway held what his send queue could not take (xmpp_deliver_held);
#  2. bob/1 never reads again: after xmpp.slow_reader_ms without progress
#     the gateway resets him, and what it held for him goes back to
#     sb-control and on to bob/2 (RFC 6121 §8.5.3.2.1), in order, and so do
#     the chats written into bob/1's TCP send queue that his TCP had not
#     acknowledged (dataplane/xmpp/xc_sm.c): none is missing. A chat may
#     arrive twice only where bob/1's TCP got its bytes and the ACK had not
#     reached the gateway before the reset (at-least-once). alice gets no
#     error.
IT_NAME=xslow
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="xmpp.slow_reader_ms=4000 tcp.snd_queue_max=16384"

it_step "start"
it_start
it_user_add alice secret-a
it_user_add bob secret-b

it_step "a slow reader, then a stalled one"
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" <<'PY' || it_fail "slow reader"
import re, select, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

N = 200
PAD = "x" * 900
alice = Wire().login("alice", "secret-a")
bob1 = Wire(rcvbuf=4096).login("bob", "secret-b")
bob2 = Wire().login("bob", "secret-b")
num = re.compile(r"^\[(\d+)\]")

def chats(w):
    got = []
    for st in list(w.inbox):
        if st.name.endswith(" message") and st.child("body") is not None:
            m = num.match(st.child("body").text)
            if m:
                got.append(int(m.group(1)))
                w.inbox.remove(st)
    return got

def burst(first):
    for i in range(first, first + N):
        alice.send("<message to='%s' type='chat' id='m%d'><body>[%d]%s</body></message>"
                   % (bob1.jid, i, i, PAD))

def errors(w):
    w.pump(0.5)
    return [st for st in w.inbox if st.attrs.get("type") == "error"]

# 1: slow, then reading again.
burst(0)
time.sleep(1.5)
got = []
deadline = time.monotonic() + 30
while len(got) < N and time.monotonic() < deadline:
    bob1.pump(0.5)
    got += chats(bob1)
if got != list(range(N)):
    fail("bob/1 got %d chats, expected 0..%d in order (first gap near %s)"
         % (len(got), N - 1, next((i for i, v in enumerate(got) if v != i), None)))
print("slow reader: all %d chats in order after a 1.5 s stall" % N)

# 2: stalled for good: bob/1 reads nothing until the gateway resets him
# (polled without reading, which would be progress).
burst(N)
p = select.poll()
p.register(bob1.sock, select.POLLERR | select.POLLHUP)
t0 = time.monotonic()
if not p.poll(4000 * 6):
    fail("bob/1 was not reset within %.0f s of not reading" % (time.monotonic() - t0))
print("bob/1 reset %.1f s after the burst" % (time.monotonic() - t0))
got1 = []
while bob1.pump(0.5):
    got1 += chats(bob1)
got1 += chats(bob1)
# What bob/1's TCP had acknowledged but he had not read when the reset came
# counts as delivered (his kernel holds it: read above, after the reset).
got2 = []
deadline = time.monotonic() + 30
while (not got2 or got2[-1] != 2 * N - 1) and time.monotonic() < deadline:
    bob2.pump(0.5)
    got2 += chats(bob2)
if not got2 or got2 != list(range(got2[0], 2 * N)):
    fail("bob/2 got %d chats %r...%r, expected a run ending at %d in order (missing %r, "
         "out of order at %r)" % (len(got2), got2[:5], got2[-5:], 2 * N - 1,
         sorted(set(range(got2[0] if got2 else N, 2 * N)) - set(got2))[:10],
         [(i, v) for i, v in enumerate(got2[1:]) if v != got2[i] + 1][:5]))
if got1 != list(range(N, N + len(got1))):
    fail("bob/1's last chats out of order: %r" % got1[:5])
gap = got2[0] - (N + len(got1))
if gap > 0:
    fail("lost: %d chats between bob/1's last (%d) and bob/2's first (%d), the ones in his "
         "send queue" % (gap, N + len(got1) - 1, got2[0]))
dups = -gap
if dups > 2:   # at most the bytes in flight when the RST went: his window is shut
    fail("%d chats reached both resources: more than were in flight" % dups)
if errors(alice):
    fail("alice got an error: %r" % errors(alice)[0].attrs)
print("stalled reader: reset; bob/1 read %d, %d returned to bob/2 in order, none missing, "
      "%d twice; alice got no error" % (len(got1), len(got2), dups))
PY

it_counter_ge xmpp_unacked_returned 1 || it_fail "nothing written and unacknowledged was returned"
held=$(it_counter xmpp_deliver_held)
returned=$(it_counter xmpp_deliver_returned)
slow=$(it_counter xmpp_slow_reader)
unacked=$(it_counter xmpp_unacked_returned)
echo "gateway: xmpp_deliver_held $held, xmpp_deliver_returned $returned" \
	"(xmpp_unacked_returned $unacked), xmpp_slow_reader $slow;" \
	"sb-control: returned $(it_route_counter returned)"
[ "${held:-0}" -gt 0 ] || it_fail "nothing was held"
[ "${slow:-0}" -eq 1 ] || it_fail "expected exactly one slow reader, got $slow"
[ "${returned:-0}" -gt 0 ] || it_fail "nothing was returned"
[ "$(it_route_counter returned)" -eq "$returned" ] || it_fail "sb-control routed a different count"
echo "PASS"
