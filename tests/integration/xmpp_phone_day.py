#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A phone's day, simulated (issue 18): bob's client keeps a resumable
XEP-0198 session and loses its link every PERIOD seconds without closing
its stream (a RST, or a FIN with no </stream:stream>, in turn), stays away
GAP seconds, then resumes with the h it counted; meanwhile alice sends
RATE messages per second to bob's bare JID for DURATION seconds. At the end
every message must have reached bob exactly once, in order, and alice must
have had no error back.

usage: xmpp_phone_day.py TESTDIR DURATION PERIOD GAP RATE   (in the namespace)
"""
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
from xmpp_wire import DOMAIN, Wire, fail  # noqa: E402

SM = "urn:xmpp:sm:3"
COUNTED = ("jabber:client message", "jabber:client presence", "jabber:client iq")


class Phone:
    """bob's side: the session id, the inbound count h, what arrived."""

    def __init__(self):
        self.w = None
        self.sid = None
        self.h = 0
        self.got = []
        self.resumes = 0

    def connect_new(self):
        self.w = Wire().login("bob", "pw-bob", bind=False)
        self.w.bind(presence=False)
        self.w.send("<enable xmlns='%s' resume='true'/>" % SM)
        en = self.w.wait(lambda s: s.name == SM + " enabled", 10, "<enabled/>")
        self.sid = en.attrs.get("id")
        if not self.sid:
            fail("no resumable session: %r" % en.attrs)
        self.w.send("<presence/>")

    def resume(self):
        self.w = Wire().login("bob", "pw-bob", bind=False)
        self.w.send("<resume xmlns='%s' previd='%s' h='%d'/>" % (SM, self.sid, self.h))
        r = self.w.wait(lambda s: s.name in (SM + " resumed", SM + " failed"), 10, "<resumed/>")
        if r.name != SM + " resumed":
            fail("resume %d refused: %r %r" % (self.resumes + 1, r.name,
                                               [c.name for c in r.children]))
        self.resumes += 1

    def drain(self, seconds):
        """Read for seconds: count what arrives, answer <r/>."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.w.pump(min(0.2, max(0.01, deadline - time.monotonic())))
            for st in self.w.inbox:
                if st.name in COUNTED:
                    self.h = (self.h + 1) & 0xFFFFFFFF
                    if st.name == "jabber:client message" and st.attrs.get("id", "").startswith("p"):
                        self.got.append(int(st.attrs["id"][1:]))
                elif st.name == SM + " r":
                    self.w.send("<a xmlns='%s' h='%d'/>" % (SM, self.h))
            self.w.inbox.clear()
            if self.w.closed:
                fail("the gateway closed bob's stream")

    def drop(self, how):
        if how == "rst":
            self.w.reset()
        else:  # a FIN, no stream close: the link just went
            self.w.sock.close()
            self.w.closed = True


def sender(duration, rate, sent, errors, stop):
    alice = Wire().login("alice", "pw-alice")
    i = 0
    t0 = time.monotonic()
    while not stop.is_set() and time.monotonic() - t0 < duration:
        alice.send("<message to='bob@%s' type='chat' id='p%d'><body>%d</body></message>"
                   % (DOMAIN, i, i))
        sent.append(i)
        i += 1
        alice.pump(max(0.0, t0 + i / rate - time.monotonic()))
        errors.extend(s for s in alice.inbox if s.attrs.get("type") == "error")
        alice.inbox.clear()
    alice.pump(1)
    errors.extend(s for s in alice.inbox if s.attrs.get("type") == "error")
    alice.close()


def main():
    duration, period, gap, rate = (float(x) for x in sys.argv[2:6])
    phone = Phone()
    phone.connect_new()
    sent, errors, stop = [], [], threading.Event()
    th = threading.Thread(target=sender, args=(duration, rate, sent, errors, stop), daemon=True)
    th.start()
    t0 = time.monotonic()
    drops = 0
    while time.monotonic() - t0 < duration:
        phone.drain(min(period, max(0.1, duration - (time.monotonic() - t0))))
        if time.monotonic() - t0 >= duration:
            break
        phone.drop("rst" if drops % 2 == 0 else "fin")
        drops += 1
        time.sleep(gap)
        phone.resume()
    th.join(duration + 30)
    if th.is_alive():
        stop.set()
        fail("the sender did not finish")
    # Everything sent must arrive: read until it has, or a bound passes.
    deadline = time.monotonic() + 30
    while len(phone.got) < len(sent) and time.monotonic() < deadline:
        phone.drain(0.5)
    if errors:
        fail("alice got %d error(s) back, e.g. %r" % (len(errors), errors[0].attrs))
    dup = len(phone.got) - len(set(phone.got))
    missing = sorted(set(sent) - set(phone.got))
    if dup or missing or phone.got != sorted(phone.got):
        fail("%d sent, %d received: %d duplicated, %d missing (e.g. %r), in order: %s"
             % (len(sent), len(phone.got), dup, len(missing), missing[:5],
                phone.got == sorted(phone.got)))
    print("phone day: %.0f s, a drop every %.0f s (%d drops, %d resumes, away %.1f s each), "
          "%d messages: all arrived once, in order; no error to the sender"
          % (duration, period, drops, phone.resumes, gap, len(sent)))


if __name__ == "__main__":
    main()
