#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A slow sb-control is waited for, never declared gone: sb-control is
# stopped (SIGSTOP) for 4 s while one client sends another 3,000 messages.
# Rings fill, the sender's TCP window closes, and after SIGCONT everything
# arrives, in order, with no error stanza to the sender. Then sb-control is
# killed and not restarted: a stanza waits for it (rings.control_grace_ms,
# 3 s here: no answer in the first second), then gets a type='wait' error,
# as only a gone control plane may cause.
IT_NAME=xstall
. "$(dirname "$0")/lib.sh"
# Small rings, so that a few hundred messages fill them during the stop.
export SB_EXTRA="rings.size=64 rings.control_grace_ms=3000"

it_step "start"
it_start
it_user_add alice secret-a
it_user_add bob secret-b
ctl_pid=$(cat "$SB_RUN/control.pid")

it_step "3,000 messages while sb-control is stopped for 4 s"
(ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" "$ctl_pid" "$SB_RUN/ready" <<'PY' 
import multiprocessing, os, signal, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail

N = 3000
ctl = int(sys.argv[2])
alice = Wire(timeout=30).login("alice", "secret-a")
bob = Wire().login("bob", "secret-b")
late = Wire().login("alice", "secret-a")  # a second resource, for after the kill


def send():
    """The sender, in a process of its own so that the receiver below is
    never starved of the interpreter: a slow reader is another test."""
    for i in range(N):
        alice.send("<message to='bob@switchboard.test' type='chat' id='s%d'><body>%d</body>"
                   "</message>" % (i, i))
        if i % 50 == 49:
            time.sleep(0.05)
    alice.pump(2)
    errors = [s for s in alice.inbox if s.attrs.get("type") == "error"]
    if errors:
        fail("the sender got %d error stanza(s), first %r" % (len(errors), errors[0].attrs))


sender = multiprocessing.Process(target=send)
sender.start()
time.sleep(0.5)
os.kill(ctl, signal.SIGSTOP)
stopped = time.monotonic()
got, deadline = [], time.monotonic() + 60
while len(got) < N and time.monotonic() < deadline:
    if stopped and time.monotonic() - stopped > 4:
        os.kill(ctl, signal.SIGCONT)
        print("sb-control stopped for %.1f s; %d delivered meanwhile" % (time.monotonic() - stopped, len(got)))
        stopped = None
    bob.pump(0.2)
    for s in bob.inbox:
        if s.name.endswith(" message") and s.attrs.get("type") == "chat":
            got.append(int(s.child("body").text))
    bob.inbox.clear()
if stopped:
    os.kill(ctl, signal.SIGCONT)
sender.join(60)
if sender.exitcode != 0:
    fail("the sender failed (exit %s)" % sender.exitcode)
if got != list(range(N)):
    missing = sorted(set(range(N)) - set(got))
    fail("received %d of %d; missing %d (first %s); in order: %s; receiver closed: %s"
         % (len(got), N, len(missing), missing[:5], got == sorted(got), bob.closed))
print("all %d messages delivered in order, no error stanza" % N)
open(sys.argv[3], "w").write("ready\n")
# The test script reads the counters, then kills sb-control.
deadline = time.monotonic() + 30
while os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
    time.sleep(0.1)
time.sleep(0.5)  # the dataplane's verdict on sb-control runs every 100 ms
late.send("<message to='bob@switchboard.test' type='chat' id='late'><body>x</body></message>")
quiet = time.monotonic() + 1
while time.monotonic() < quiet:
    late.pump(0.2)
if any(s.attrs.get("id") == "late" for s in late.inbox):
    fail("answered at once without sb-control, not after its restart grace")
print("sb-control killed: the stanza waits for its restart")
e = late.wait(lambda s: s.attrs.get("id") == "late", 15, "the answer without sb-control")
if e.attrs.get("type") != "error" or e.child("error") is None or \
        e.child("error").attrs.get("type") != "wait":
    fail("without sb-control: %r, want a type='wait' error" % e.attrs)
print("sb-control killed: the next stanza got a type='wait' error")
PY
) &
py=$!
for i in $(seq 600); do [ -e "$SB_RUN/ready" ] || ! kill -0 $py 2>/dev/null && break; sleep 0.1; done
[ -e "$SB_RUN/ready" ] || { wait $py; it_fail "stall"; }
echo "xmpp_ctl_unavailable $(it_counter xmpp_ctl_unavailable) xmpp_ring_blocked $(it_counter xmpp_ring_blocked)"
[ "$(it_counter xmpp_ctl_unavailable)" -eq 0 ] || it_fail "requests were answered as if sb-control were gone"

it_step "sb-control killed: a stanza gets a wait error"
kill -KILL "$ctl_pid"
rm -f "$SB_RUN/ready"
wait $py || it_fail "no wait error without sb-control"
echo "PASS"
