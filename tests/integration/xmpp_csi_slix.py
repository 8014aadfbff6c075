#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""XEP-0352 with slixmpp's xep_0352 plugin: two clients, alice and bob,
subscribed to each other beforehand (xmpp_im.py subscribe).
The plugin only sends <inactive/> when the server offered <csi/>. Bob goes
inactive; alice sends three presence updates: bob gets nothing; then
alice sends a message: bob gets exactly the newest presence, then the
message. Then a held presence is written when bob says <active/>, and
while active presence arrives at once. Last, with XEP-0198 (slixmpp's
xep_0198), bob goes inactive again, a presence and a chat state are held,
his link is cut, and after slixmpp resumes by itself they arrive once each,
in order.

usage: xmpp_csi_slix.py TESTDIR   (run inside the test's namespace)
"""
import asyncio
import logging
import sys

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import StanzaPath

sys.path.insert(0, sys.argv[1])
from xmpp_wire import fail  # noqa: E402

HOST, PORT = "198.18.0.2", 5222
D = "switchboard.test"
logging.basicConfig(level=logging.ERROR)


class Client(slixmpp.ClientXMPP):
    def __init__(self, user, res, sm=False):
        super().__init__("%s@%s/%s" % (user, D, res), "secret-" + user)
        self.enable_plaintext = True
        self["feature_mechanisms"].unencrypted_plain = True
        self["feature_mechanisms"].unencrypted_scram = True
        self.register_plugin("xep_0352")
        self.register_plugin("xep_0199")
        if sm:
            self.register_plugin("xep_0198", {"window": 5})
        self.started = asyncio.Event()
        self.resumed = asyncio.Event()
        self.add_event_handler("session_resumed", lambda e: self.resumed.set())
        self.log = []  # (kind, from, what) in arrival order
        self.raw = []
        self.add_event_handler("session_start", self._start)
        self.register_handler(Callback("csi log presence", StanzaPath("presence"), self._pres))
        self.register_handler(Callback("csi log message", StanzaPath("message"), self._msg))

    def _start(self, e):
        self.send_presence()
        self.started.set()

    def _pres(self, p):
        self.log.append(("presence", str(p["from"]), p["type"] + ":" + p["status"]))
        self.raw.append(str(p))

    def _msg(self, m):
        self.log.append(("message", str(m["from"]), m["body"] or "#" + m["id"]))
        self.raw.append(str(m))

    def go(self):
        self.connect(address=(HOST, PORT), disable_starttls=True, force_starttls=False)


async def until(pred, seconds, what):
    for _ in range(int(seconds * 10)):
        if pred():
            return
        await asyncio.sleep(0.1)
    fail(what)


async def main():
    alice, bob = Client("alice", "a"), Client("bob", "b", sm=True)
    for c in (alice, bob):
        c.go()
    for c in (alice, bob):
        await asyncio.wait_for(c.started.wait(), 60)
    # slixmpp takes <csi/> after <sm/> (its feature order), which may be
    # after session_start.
    await until(lambda: bob.plugin["xep_0352"].enabled, 20,
                "no <csi xmlns='urn:xmpp:csi:0'/> in the stream features after SASL")
    a = str(alice.boundjid)
    alice.send_presence(pstatus="s0")
    await until(lambda: ("presence", a, "available:s0") in bob.log, 20,
                "bob did not get alice's presence while active: %r" % bob.log)

    bob.plugin["xep_0352"].send_inactive()
    # The same stream, in order: once the ping is answered the server
    # has taken <inactive/>.
    await bob.plugin["xep_0199"].ping(jid=D, timeout=10)
    mark = len(bob.log)
    for i in (1, 2, 3):
        alice.send_presence(pstatus="s%d" % i)
    await alice.plugin["xep_0199"].ping(jid=D, timeout=10)
    await asyncio.sleep(1.5)
    got = [e for e in bob.log[mark:] if e[1] == a]
    if got:
        fail("inactive bob got alice's presence at once: %r" % got)
    alice.send_message(mto="bob@" + D, mbody="wake up", mtype="chat")
    await until(lambda: any(e[0] == "message" for e in bob.log[mark:]), 20,
                "bob did not get alice's message: %r" % bob.log[mark:])
    await asyncio.sleep(0.5)
    got = [e for e in bob.log[mark:] if e[1] == a]
    want = [("presence", a, "available:s3"), ("message", a, "wake up")]
    if got != want:
        fail("after the message bob got %r, expected %r" % (got, want))
    print("inactive: 3 presence updates held, the newest then the message on its arrival")

    mark = len(bob.log)
    alice.send_presence(pstatus="s4")
    await alice.plugin["xep_0199"].ping(jid=D, timeout=10)
    await asyncio.sleep(1)
    if [e for e in bob.log[mark:] if e[1] == a]:
        fail("inactive bob got s4 at once")
    bob.plugin["xep_0352"].send_active()
    await until(lambda: ("presence", a, "available:s4") in bob.log[mark:], 20,
                "<active/> did not write the held presence: %r" % bob.log[mark:])
    mark = len(bob.log)
    alice.send_presence(pstatus="s5")
    await until(lambda: ("presence", a, "available:s5") in bob.log[mark:], 20,
                "active bob did not get s5: %r" % bob.log[mark:])
    print("<active/> wrote the held presence; active again, presence arrives at once")

    # XEP-0198: what waits is not written, so not in h; when the link is
    # cut it goes back to sb-control with the session, and the resumed
    # stream gets it once, in order.
    sm = bob.plugin["xep_0198"]
    await until(lambda: sm.sm_id is not None, 20, "bob: stream management not enabled")
    bob.plugin["xep_0352"].send_inactive()
    await bob.plugin["xep_0199"].ping(jid=D, timeout=10)
    mark = len(bob.log)
    alice.send_presence(pstatus="s6")
    # A broadcast takes more hops in sb-control than a message (the
    # contacts' shard, then a fan-out): let it reach bob's worker first.
    await alice.plugin["xep_0199"].ping(jid=D, timeout=10)
    await asyncio.sleep(0.5)
    alice.send_raw("<message to='%s' type='chat' id='cs1'><composing "
                   "xmlns='http://jabber.org/protocol/chatstates'/></message>" % bob.boundjid)
    await alice.plugin["xep_0199"].ping(jid=D, timeout=10)
    await asyncio.sleep(1)
    if [e for e in bob.log[mark:] if e[1] == a]:
        fail("inactive bob got s6 or the chat state at once: %r" % bob.log[mark:])

    def again(e):  # as a phone would, once
        bob.del_event_handler("disconnected", again)
        bob.go()
    bob.add_event_handler("disconnected", again)
    bob.transport.abort()
    await asyncio.wait_for(bob.resumed.wait(), 60)
    await until(lambda: ("message", a, "#cs1") in bob.log[mark:], 30,
                "the held chat state did not arrive after the resume: %r" % bob.log[mark:])
    await asyncio.sleep(1)
    got = [e for e in bob.log[mark:] if e[1] == a]
    want = [("presence", a, "available:s6"), ("message", a, "#cs1")]
    if got != want:
        fail("after the resume bob got %r, expected %r; raw %r" % (got, want, bob.raw[mark:]))
    print("held while inactive, link cut: returned with the session, once each after the resume")
    for c in (alice, bob):
        c.disconnect()
    await asyncio.sleep(0.5)


asyncio.run(main())
