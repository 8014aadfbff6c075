# SPDX-License-Identifier: BSD-3-Clause
"""XEP-0198 acks as promises under SIGKILL of sb-control (issue 18).

Four clients with stream management send each other messages, an <r/>
after every one (as Dino does), in rounds. The shell test kills sb-control
with SIGKILL at a random moment of each round and starts it again; each
round ends when every client has been told h = everything it sent (the
promises made good by the new sb-control, control/router/promise.h). At
the end every client logs in once more to take what went to offline
storage (the successor routes a dead sb-control's stanzas before the
sessions are replayed). The check: every message acknowledged to its
sender arrived (live or from storage) exactly once (a duplicate fails the
test: control/im/im_recover.c), and none was answered with an error: the dataplane parks what
its clients send while sb-control is gone (rings.control_grace_ms), so a
restart is a pause to them.

Usage: xmpp_sm_kill.py DIR ROUNDS MSGS  (DIR: roundN.go / roundN.restarted)
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xmpp_wire import Wire, fail  # noqa: E402

SM = "urn:xmpp:sm:3"
N = 4
WINDOW = 256  # stanzas a client keeps unacknowledged before it waits
ctl_dir, rounds, msgs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


class Client:
    def __init__(self, i):
        self.i = i
        self.w = Wire(timeout=30).login("u%d" % i, "pw-u%d" % i)
        self.w.send("<enable xmlns='%s'/>" % SM)
        # Only stanzas after <enabled/> count in our outbound h (§4).
        deadline = time.monotonic() + 30
        while not any(st.name == SM + " enabled" for st in self.w.inbox):
            if time.monotonic() > deadline or not self.w.pump(0.5, until_stanza=True):
                fail("u%d: no <enabled/>" % i)
        at = [st.name for st in self.w.inbox].index(SM + " enabled")
        self.w.inbox = self.w.inbox[at + 1:]
        self.sent = []        # ids of the stanzas sent since <enable/>, in order
        self.h = 0            # the highest h the server told us
        self.got_in = 0       # stanzas received (our outbound h for its <r/>)
        self.received = {}    # message id -> times received
        self.errors = set()   # ids answered with an error

    def drain(self):
        s = self.w.sock
        s.setblocking(False)
        try:
            while True:
                b = s.recv(1 << 16)
                if not b:
                    errs = [(st.name, [c.name for c in st.children]) for st in self.w.inbox
                            if st.name.endswith(" error") and "streams" in st.name]
                    fail("u%d: connection closed by the gateway: %r (sent %d, h %d, got %d)" %
                         (self.i, errs, len(self.sent), self.h, self.got_in))
                self.w._feed(b)
        except (BlockingIOError, socket.timeout):
            pass
        except ConnectionResetError:
            fail("u%d: connection reset by the gateway (sent %d, h %d)" %
                 (self.i, len(self.sent), self.h))
        finally:
            s.setblocking(True)
        self.take()

    def take(self):
        for st in self.w.inbox:
            local = st.name.split(" ")[-1]
            if st.name == SM + " a":
                h = int(st.attrs["h"])
                if h > len(self.sent):
                    fail("u%d told h=%d after sending %d" % (self.i, h, len(self.sent)))
                if h < self.h:
                    fail("u%d: h went back from %d to %d" % (self.i, self.h, h))
                self.h = h
            elif st.name == SM + " r":
                self.w.send("<a xmlns='%s' h='%d'/>" % (SM, self.got_in))
            elif local in ("message", "presence", "iq"):
                self.got_in += 1
                mid = st.attrs.get("id", "")
                if local == "message" and st.attrs.get("type") == "error":
                    self.errors.add(mid)
                elif local == "message" and mid.startswith("m"):
                    self.received[mid] = self.received.get(mid, 0) + 1
                elif local == "iq" and st.attrs.get("type") in ("get", "set"):
                    self.w.send("<iq type='error' id='%s' to='%s'/>" %
                                (mid, st.attrs.get("from", "")))
        self.w.inbox = []

    def send_msg(self, to, mid):
        self.sent.append(mid)
        self.w.send("<message to='%s' type='chat' id='%s'><body>%s</body></message>"
                    "<r xmlns='%s'/>" % (to, mid, mid, SM))


clients = [Client(i) for i in range(N)]
jids = [c.w.jid for c in clients]
time.sleep(0.5)
for c in clients:
    c.drain()
t0 = time.monotonic()
for r in range(rounds):
    open(os.path.join(ctl_dir, "round%d.go" % r), "w").close()
    t_round = time.monotonic()
    # Like a phone's client, each keeps at most WINDOW stanzas unacked:
    # while sb-control is dead nothing new becomes safe, so the senders
    # wait (draining) instead of filling the gateway's queues.
    k = [0] * N
    deadline, ask = time.monotonic() + 120, 0.0
    while min(k) < msgs:
        if time.monotonic() > deadline:
            fail("round %d: sends stalled at %r, h %r" % (r, k, [c.h for c in clients]))
        for c in clients:
            for _ in range(8):
                if k[c.i] >= msgs or len(c.sent) - c.h >= WINDOW:
                    break
                c.send_msg(jids[(c.i + 1) % N], "m%d-%d-%d" % (c.i, r, k[c.i]))
                k[c.i] += 1
        for c in clients:
            c.drain()
        if all(len(c.sent) - c.h >= WINDOW or k[c.i] >= msgs for c in clients):
            # An <a/> that came short (xmpp.sm_ack_wait_ms) is not asked
            # again by a stanza: ask, as a client with a full queue does.
            now = time.monotonic()
            if now > ask:
                ask = now + 0.2
                for c in clients:
                    if len(c.sent) - c.h >= WINDOW:
                        c.w.send("<r xmlns='%s'/>" % SM)
            time.sleep(0.0005)
    # Until the shell says sb-control is back: when every stanza is
    # acked before that (no kill, or a kill after the acks), the round's
    # rate is an ack-per-stanza throughput figure (docs/BENCHMARKS.md).
    path = os.path.join(ctl_dir, "round%d.restarted" % r)
    deadline, t_acked = time.monotonic() + 120, None
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            fail("%s did not appear" % path)
        for c in clients:
            c.drain()
        if t_acked is None and all(c.h == len(c.sent) for c in clients):
            t_acked = time.monotonic()
        time.sleep(0.001)
    # Every stanza sent is made safe by the new sb-control (or was
    # answered): h reaches the count, an <r/> at a time.
    deadline, ask = time.monotonic() + 90, 0.0
    while any(c.h != len(c.sent) for c in clients):
        now = time.monotonic()
        if now > deadline:
            fail("round %d: h stuck: %r of %r" % (r, [c.h for c in clients],
                                                  [len(c.sent) for c in clients]))
        if now > ask:
            ask = now + 0.2
            for c in clients:
                if c.h != len(c.sent):
                    c.w.send("<r xmlns='%s'/>" % SM)
        time.sleep(0.001)
        for c in clients:
            c.drain()
    t_acked = t_acked or time.monotonic()
    sys.stdout.flush()
    print("round %d: every client told h = its count %r; %d messages sent and acked in %.3f s "
          "(%.0f messages/s%s)" % (r, [c.h for c in clients], N * msgs, t_acked - t_round,
                                    N * msgs / (t_acked - t_round),
                                    "" if os.environ.get("SB_SMKILL_NOKILL") else
                                    ", a restart of sb-control included"))
elapsed = time.monotonic() - t0

# Settle: what is on its way arrives, then everyone acks and leaves.
end = time.monotonic() + 3
while time.monotonic() < end:
    for c in clients:
        c.drain()
    time.sleep(0.05)
for c in clients:
    c.w.send("<a xmlns='%s' h='%d'/>" % (SM, c.got_in))
    c.w.close()
time.sleep(1)
# Offline storage: a fresh login (available presence) delivers it.
stored = 0
for i in range(N):
    w = Wire(timeout=30).login("u%d" % i, "pw-u%d" % i)
    end = time.monotonic() + 4
    while time.monotonic() < end:
        w.pump(0.3)
        for st in w.inbox:
            mid = st.attrs.get("id", "")
            if st.name.endswith(" message") and mid.startswith("m") and \
                    st.attrs.get("type") != "error":
                clients[i].received[mid] = clients[i].received.get(mid, 0) + 1
                stored += 1
        w.inbox = []
    w.close()

lost, dups, errs, acked, dup_ids = [], 0, 0, 0, []
for c in clients:
    dst = clients[(c.i + 1) % N]
    for mid in c.sent[:c.h]:
        acked += 1
        if mid in c.errors:
            errs += 1
        elif mid not in dst.received:
            lost.append(mid)
        elif dst.received[mid] > 1:
            dups += dst.received[mid] - 1
            dup_ids.append((mid, dst.received[mid]))
print("acked %d messages in %d rounds (%.1f s): %d answered with an error, %d from offline "
      "storage, %d duplicates, %d lost" % (acked, rounds, elapsed, errs, stored, dups, len(lost)))
if lost:
    fail("acknowledged and never delivered or stored: %r" % lost[:20])
if dups:
    fail("%d acknowledged messages delivered more than once: %r" % (dups, dup_ids[:20]))
if errs:
    fail("%d messages answered with an error during a restart of sb-control" % errs)
print("PASS")
