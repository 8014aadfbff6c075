#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Real XMPP clients (Debian's python3-slixmpp) for the integration tests,
run inside the test's namespace against the gateway's c2s port. Every mode
is bounded in time and exits non-zero with one line saying what went wrong.

  [--tls-ca CA] before the mode: STARTTLS required and the server verified
  against CA (switchboard.test's name checked); [--tls-ca CA --direct-tls]:
  direct TLS (XEP-0368) on port 5223 instead

  login  JID PASSWORD MECH [--expect-fail]   log in, bind, ping the server
  chat   JID_A PW_A JID_B PW_B [--big N]     A sends B a message; B checks body,
                                             id and from; an unknown user gets
                                             service-unavailable back; --big: then
                                             an N-byte body arrives intact
  ring   N PREFIX PASSWORD                   N clients in a ring each send one
                                             message to the next; all N arrive
  hold   JID PW FILE                         log in, write FILE, exchange messages
                                             with a peer on demand (restart test)
  send   JID PW TO BODY                      send one chat message (peer is another
                                             client implementation)
  recv   JID PW --expect-from J --expect-body T --ready FILE
                                             write FILE once routable, then check
                                             one message's bare from and body
"""
import argparse
import asyncio
import logging
import sys
import time

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

HOST, PORT = "198.18.0.2", 5222
TLS_CA = None  # --tls-ca FILE: STARTTLS required, the server verified with FILE
TLS_DIRECT = False  # --direct-tls: TLS from the first byte on DIRECT_PORT (XEP-0368)
DIRECT_PORT = 5223
logging.basicConfig(level=logging.ERROR)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, mech=None):
        super().__init__(jid, password, sasl_mech=mech)
        self.enable_plaintext = True
        self["feature_mechanisms"].unencrypted_plain = True
        self["feature_mechanisms"].unencrypted_scram = True
        self.register_plugin("xep_0199")
        if mech is not None and not mech.endswith("-PLUS"):
            # slixmpp 1.8 sends gs2 "y" (it could bind, tls-unique) with a
            # forced mechanism; over TLS the gateway offers -PLUS and would
            # rightly take that for a downgrade (RFC 5802 §6). A client
            # told to use plain SCRAM does not claim channel binding.
            fm = self["feature_mechanisms"]
            creds = fm.sasl_callback

            def no_cb(required, optional):
                r = creds(required, optional)
                if "channel_binding" in r:
                    r["channel_binding"] = None
                return r
            fm.sasl_callback = no_cb
        if TLS_CA is not None:
            self.ca_certs = TLS_CA
        self.started = asyncio.Event()
        self.auth_failed = asyncio.Event()
        self.inbox = asyncio.Queue()
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("failed_all_auth", lambda e: self.auth_failed.set())
        self.add_event_handler("message", lambda m: self.inbox.put_nowait(m))
        self.add_event_handler("message_error", lambda m: self.inbox.put_nowait(m))

    async def _start(self, event):
        self.send_presence()
        self.started.set()

    def go(self):
        tls = TLS_CA is not None
        if TLS_DIRECT:
            self.connect(address=(HOST, DIRECT_PORT), use_ssl=True, disable_starttls=True,
                         force_starttls=False)
            return
        self.connect(address=(HOST, PORT), disable_starttls=not tls, force_starttls=tls)


async def wait_started(c, timeout=15):
    done, _ = await asyncio.wait(
        [asyncio.ensure_future(c.started.wait()), asyncio.ensure_future(c.auth_failed.wait())],
        timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if c.started.is_set():
        return True
    if c.auth_failed.is_set():
        return False
    fail("%s: no session and no auth failure within %d s" % (c.boundjid.bare, timeout))


async def mode_login(a):
    c = Client(a.jid, a.password, a.mech)
    c.go()
    ok = await wait_started(c)
    if a.expect_fail:
        if ok:
            fail("login as %s with %s succeeded, expected a failure" % (a.jid, a.mech))
        print("login: %s with %s refused as expected" % (a.jid, a.mech))
        c.disconnect()
        return
    if not ok:
        fail("login as %s with %s failed" % (a.jid, a.mech))
    if not c.boundjid.resource:
        fail("no resource bound")
    try:
        rtt = await c["xep_0199"].ping(jid=c.boundjid.domain, timeout=5)
    except (IqError, IqTimeout) as e:
        fail("ping to the server failed: %s" % e)
    print("login: %s with %s bound %s, server ping %.1f ms" % (a.jid, a.mech, c.boundjid,
                                                                 rtt * 1000))
    c.disconnect()
    await asyncio.wait_for(c.disconnected, 5)


async def recv(c, timeout=10):
    try:
        return await asyncio.wait_for(c.inbox.get(), timeout)
    except asyncio.TimeoutError:
        return None


async def mode_chat(a):
    ca, cb = Client(a.jid_a, a.pw_a), Client(a.jid_b, a.pw_b)
    ca.go()
    cb.go()
    if not await wait_started(ca) or not await wait_started(cb):
        fail("login failed")
    await asyncio.sleep(0.3)  # B's initial presence reaches the server first
    msg = ca.make_message(mto=a.jid_b, mbody="hello B <&> \u00e9\u4e2d", mtype="chat")
    msg["id"] = "m-4711"
    msg.send()
    got = await recv(cb)
    if got is None:
        fail("B got nothing")
    if got["body"] != "hello B <&> \u00e9\u4e2d":
        fail("body changed: %r" % got["body"])
    if got["id"] != "m-4711":
        fail("id changed: %r" % got["id"])
    if str(got["from"]) != str(ca.boundjid):
        fail("from is %s, expected %s" % (got["from"], ca.boundjid))
    print("chat: A -> B body, id and from preserved (from=%s)" % got["from"])
    # a forged from is replaced by the real one
    forged = ca.make_message(mto=a.jid_b, mbody="forged", mtype="chat")
    forged["from"] = "mallory@switchboard.test/x"
    forged.send()
    got = await recv(cb)
    if got is None or str(got["from"]) != str(ca.boundjid):
        fail("a forged from was not replaced: %s" % (got["from"] if got else None))
    print("chat: forged from replaced by %s" % got["from"])
    # to a user that does not exist
    ca.make_message(mto="nobody@switchboard.test", mbody="x", mtype="chat").send()
    err = await recv(ca)
    if err is None or err["type"] != "error" or err["error"]["condition"] != "service-unavailable":
        fail("unknown user: expected service-unavailable, got %s" % err)
    print("chat: unknown user -> service-unavailable")
    if a.big:
        # a stanza of several TLS records each way (2^14 bytes per record)
        body = "".join(chr(0x41 + i % 26) for i in range(a.big))
        ca.make_message(mto=a.jid_b, mbody=body, mtype="chat").send()
        got = await recv(cb)
        if got is None or got["body"] != body:
            fail("a %d-byte body did not arrive intact" % a.big)
        print("chat: a %d-byte body arrived intact" % a.big)
    ca.disconnect()
    cb.disconnect()


async def mode_ring(a):
    clients = [Client("%s%d@switchboard.test" % (a.prefix, i), a.password) for i in range(a.n)]
    t0 = time.monotonic()
    for c in clients:
        c.go()
    for c in clients:
        if not await wait_started(c, timeout=60):
            fail("login of %s failed" % c.boundjid.bare)
    t_login = time.monotonic() - t0
    await asyncio.sleep(0.5)
    for i, c in enumerate(clients):
        nxt = clients[(i + 1) % a.n]
        c.make_message(mto=nxt.boundjid.bare, mbody="ring %d" % i, mtype="chat").send()
    missing = []
    for i, c in enumerate(clients):
        got = await recv(c, timeout=20)
        want = "ring %d" % ((i - 1) % a.n)
        if got is None or got["body"] != want:
            missing.append(i)
    if missing:
        fail("%d of %d ring messages missing, e.g. client %d" % (len(missing), a.n, missing[0]))
    print("ring: %d clients logged in in %.1f s; all %d messages arrived in order" %
          (a.n, t_login, a.n))
    for c in clients:
        c.disconnect()


async def login_pair(a):
    """A and B (a.jid_a/a.pw_a, a.jid_b/a.pw_b) logged in, presence sent."""
    ca, cb = Client(a.jid_a, a.pw_a), Client(a.jid_b, a.pw_b)
    for c in (ca, cb):
        c.go()
    if not await wait_started(ca) or not await wait_started(cb):
        fail("login failed")
    await asyncio.sleep(0.3)
    return ca, cb


async def mode_pair(a):
    """Log in A and B, exchange one message each way, then wait for a go
    file, and exchange again over the same streams (no reconnect)."""
    ca, cb = await login_pair(a)

    async def exchange(tag):
        ca.make_message(mto=a.jid_b, mbody="a2b " + tag, mtype="chat").send()
        cb.make_message(mto=a.jid_a, mbody="b2a " + tag, mtype="chat").send()
        ga, gb = await recv(ca), await recv(cb)
        if gb is None or gb["body"] != "a2b " + tag or ga is None or ga["body"] != "b2a " + tag:
            fail("exchange %s: A got %s, B got %s" % (tag, ga and ga["body"], gb and gb["body"]))
        print("pair: exchange %s ok" % tag)

    await exchange("before")
    open(a.ready, "w").write("ready\n")
    deadline = time.monotonic() + a.timeout
    import os
    while not os.path.exists(a.go):
        if time.monotonic() > deadline:
            fail("no go file")
        await asyncio.sleep(0.1)
    await exchange("after")
    if ca.transport is None or cb.transport is None:
        fail("a stream was reconnected")
    ca.disconnect()
    cb.disconnect()


async def mode_talk(a):
    """Log in A and B, then keep chatting until a stop file appears (at
    most a.max rounds): each round A sends B a numbered message and B
    answers it; every message must arrive, in order, within a.wait s.
    Prints the rounds and the round trips (p50, max) in ms."""
    import os
    ca, cb = await login_pair(a)
    open(a.ready, "w").write("ready\n")
    rtts = []
    for i in range(a.max):
        if os.path.exists(a.stop) and i > 0:
            break
        t0 = time.monotonic()
        ca.make_message(mto=a.jid_b, mbody="ping %d" % i, mtype="chat").send()
        gb = await recv(cb, a.wait)
        if gb is None or gb["body"] != "ping %d" % i:
            fail("round %d: B got %s" % (i, gb and gb["body"]))
        cb.make_message(mto=a.jid_a, mbody="pong %d" % i, mtype="chat").send()
        ga = await recv(ca, a.wait)
        if ga is None or ga["body"] != "pong %d" % i:
            fail("round %d: A got %s" % (i, ga and ga["body"]))
        rtts.append((time.monotonic() - t0) * 1000)
        await asyncio.sleep(0.02)
    if ca.transport is None or cb.transport is None:
        fail("a stream was reconnected")
    rtts.sort()
    print("talk: %d rounds, all in order; round trip p50 %.1f ms, max %.1f ms" %
          (len(rtts), rtts[len(rtts) // 2], rtts[-1]))
    ca.disconnect()
    cb.disconnect()


async def mode_send(a):
    c = Client(a.jid, a.password)
    c.go()
    if not await wait_started(c):
        fail("login as %s failed" % a.jid)
    c.make_message(mto=a.to, mbody=a.body, mtype="chat").send()
    # the server answers the ping after it has taken the message in
    try:
        await c["xep_0199"].ping(jid=c.boundjid.domain, timeout=5)
    except (IqError, IqTimeout) as e:
        fail("ping to the server failed: %s" % e)
    err = await recv(c, timeout=0.3)
    if err is not None and err["type"] == "error":
        fail("message to %s bounced: %s" % (a.to, err["error"]["condition"]))
    print("send: %s -> %s sent" % (a.jid, a.to))
    c.disconnect()
    await asyncio.wait_for(c.disconnected, 5)


async def mode_recv(a):
    c = Client(a.jid, a.password)
    c.go()
    if not await wait_started(c):
        fail("login as %s failed" % a.jid)
    # A message to our own bare JID is routed only to available resources:
    # its arrival proves our presence was processed.
    probe = "sb-ready-probe"
    c.make_message(mto=c.boundjid.bare, mbody=probe, mtype="chat").send()
    got = await recv(c)
    if got is None or got["body"] != probe:
        fail("readiness probe did not come back: %s" % got)
    open(a.ready, "w").write("ready\n")
    got = await recv(c, timeout=a.timeout)
    if got is None:
        fail("no message within %d s" % a.timeout)
    if got["type"] == "error":
        fail("an error message came back: %s" % got)
    if got["from"].bare != a.expect_from:
        fail("message from %s, expected %s" % (got["from"].bare, a.expect_from))
    if got["body"] != a.expect_body:
        fail("body is %r, expected %r" % (got["body"], a.expect_body))
    print("recv: %s got %r from %s" % (a.jid, got["body"], got["from"]))
    c.disconnect()
    await asyncio.wait_for(c.disconnected, 5)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tls-ca", help="STARTTLS required, the server's certificate verified with this CA")
    p.add_argument("--direct-tls", action="store_true", help="direct TLS on port 5223 (with --tls-ca)")
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("login")
    s.add_argument("jid"); s.add_argument("password"); s.add_argument("mech")
    s.add_argument("--expect-fail", action="store_true")
    s = sub.add_parser("chat")
    s.add_argument("jid_a"); s.add_argument("pw_a"); s.add_argument("jid_b"); s.add_argument("pw_b")
    s.add_argument("--big", type=int, default=0, help="also send a body of this many bytes")
    s = sub.add_parser("ring")
    s.add_argument("n", type=int); s.add_argument("prefix"); s.add_argument("password")
    s = sub.add_parser("pair")
    s.add_argument("jid_a"); s.add_argument("pw_a"); s.add_argument("jid_b"); s.add_argument("pw_b")
    s.add_argument("--ready", required=True); s.add_argument("--go", required=True)
    s.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("talk")
    s.add_argument("jid_a"); s.add_argument("pw_a"); s.add_argument("jid_b"); s.add_argument("pw_b")
    s.add_argument("--ready", required=True); s.add_argument("--stop", required=True)
    s.add_argument("--max", type=int, default=3000); s.add_argument("--wait", type=float, default=10)
    s = sub.add_parser("send")
    s.add_argument("jid"); s.add_argument("password"); s.add_argument("to"); s.add_argument("body")
    s = sub.add_parser("recv")
    s.add_argument("jid"); s.add_argument("password")
    s.add_argument("--expect-from", required=True); s.add_argument("--expect-body", required=True)
    s.add_argument("--ready", required=True); s.add_argument("--timeout", type=float, default=20)
    a = p.parse_args()
    global TLS_CA, TLS_DIRECT
    TLS_CA = a.tls_ca
    TLS_DIRECT = a.direct_tls
    coro = {"login": mode_login, "chat": mode_chat, "ring": mode_ring, "pair": mode_pair,
            "talk": mode_talk, "send": mode_send, "recv": mode_recv}[a.mode]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(coro(a), 180))
    except asyncio.TimeoutError:
        fail("%s: timed out" % a.mode)


if __name__ == "__main__":
    main()
