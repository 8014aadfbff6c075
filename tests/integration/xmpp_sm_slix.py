#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""XEP-0198 with a real client library: slixmpp's xep_0198 plugin, asking
for an ack after every stanza it sends (window 1, as Dino does), against a
raw peer (xmpp_wire.Wire). Checks: every stanza sent is acked by the server
(stanza_acked for each, nothing left unacked); the plugin's inbound count
matches what the peer sent; then the TCP connection is aborted under the
client, the peer sends 10 messages meanwhile, slixmpp reconnects and
resumes by itself (session_resumed), and the 10 arrive once each, in order.

usage: xmpp_sm_slix.py TESTDIR   (run inside the test's namespace)
"""
import asyncio
import logging
import sys

import slixmpp

sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail  # noqa: E402

HOST, PORT = "198.18.0.2", 5222
logging.basicConfig(level=logging.ERROR)


class Client(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__("erin@switchboard.test/slix", "secret-erin")
        self.enable_plaintext = True
        self["feature_mechanisms"].unencrypted_plain = True
        self["feature_mechanisms"].unencrypted_scram = True
        self.register_plugin("xep_0198", {"window": 1})
        self.started = asyncio.Event()
        self.resumed = asyncio.Event()
        self.acked = 0
        self.bodies = []
        self.add_event_handler("session_start", lambda e: self.started.set())
        self.add_event_handler("session_resumed", lambda e: self.resumed.set())
        self.add_event_handler("stanza_acked", self._acked)
        self.add_event_handler("message", lambda m: self.bodies.append(m["id"]))

    def _acked(self, st):
        self.acked += 1

    def go(self):
        self.connect(address=(HOST, PORT), disable_starttls=True, force_starttls=False)


async def until(pred, seconds, what, info=None):
    for _ in range(int(seconds * 10)):
        if pred():
            return
        await asyncio.sleep(0.1)
    fail(what + (": " + info() if info else ""))


async def peer_wait(peer, pred, seconds, what):
    """Wire.wait without blocking the loop slixmpp runs on."""
    for _ in range(int(seconds * 10)):
        for i, st in enumerate(peer.inbox):
            if pred(st):
                return peer.inbox.pop(i)
        peer.pump(0.02)
        await asyncio.sleep(0.08)
    fail(what)


async def main():
    c = Client()
    c.go()
    await asyncio.wait_for(c.started.wait(), 60)
    sm = c.plugin["xep_0198"]
    await until(lambda: sm.sm_id is not None, 20, "slixmpp: stream management not enabled")
    peer = Wire().login("alice", "secret-alice")  # blocks the loop: nothing is pending yet
    for i in range(20):
        c.send_message(mto=peer.jid, mbody="s%d" % i, mtype="chat")
    for i in range(20):
        await peer_wait(peer, lambda s: s.child("body") is not None and
                        s.child("body").text == "s%d" % i, 30, "s%d at the peer" % i)
    # slixmpp writes each <r/> just ahead of the stanza that triggers it,
    # so the server's answer covers the ones before: ask once more.
    sm.request_ack()
    await until(lambda: c.acked >= 20 and not sm.unacked_queue, 30,
                "slixmpp: %d of 20 stanzas acked, %d unacked" % (c.acked, len(sm.unacked_queue)),
                lambda: "seq %d last_ack %d unacked %r" % (
                    sm.seq, sm.last_ack, [str(x[1])[:120] for x in sm.unacked_queue]))
    for i in range(5):
        peer.send("<message to='%s' type='chat' id='r%d'><body>r</body></message>" % (c.boundjid, i))
    await until(lambda: len(c.bodies) >= 5, 30, "slixmpp: r0..r4 not received")
    handled = sm.handled
    print("slixmpp: 20 sent, 20 acked one by one; 5 received (h %d)" % handled)

    # Cut the link under the client; the peer goes on sending.
    def again(e):  # as a phone would, once
        c.del_event_handler("disconnected", again)
        c.go()
    c.add_event_handler("disconnected", again)
    c.transport.abort()
    await asyncio.sleep(1)
    for i in range(10):
        peer.send("<message to='%s' type='chat' id='g%d'><body>g</body></message>" % (c.boundjid, i))
    await asyncio.wait_for(c.resumed.wait(), 60)
    want = ["r%d" % i for i in range(5)] + ["g%d" % i for i in range(10)]
    await until(lambda: len(c.bodies) >= len(want), 30,
                "slixmpp after resume: %r" % c.bodies)
    await asyncio.sleep(1)
    if c.bodies != want:
        fail("slixmpp after resume: %r, expected %r" % (c.bodies, want))
    print("slixmpp resumed by itself; g0..g9 sent meanwhile arrived once each, in order")
    c.disconnect()
    await asyncio.wait_for(c.disconnected, 10)


asyncio.run(main())
