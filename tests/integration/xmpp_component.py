#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""External components (XEP-0114) against sb-control, with slixmpp's
ComponentXMPP as the component (run outside the namespace: sb-control
listens on kernel TCP) and slixmpp clients in the namespace. Every mode is
bounded in time and exits non-zero with one line saying what went wrong.

  component DOMAIN SECRET PORT READY  an echo component: each message to a
                           JID at DOMAIN is answered "echo: BODY"; the body
                           "hello" also gets a message from DOMAIN itself;
                           READY is written once the handshake is done, every
                           presence it gets is appended to READY.presence;
                           runs until killed
  bad-secret DOMAIN PORT   a raw handshake with a wrong secret gets
                           <not-authorized/>; an unknown domain host-unknown
  raw DOMAIN SECRET PORT   a raw component: a second connection gets conflict;
                           a stanza split across two writes to an unknown
                           account comes back as service-unavailable
  user A PW DOMAIN         A's message to echo@DOMAIN comes back from it;
                           the component's own message reaches A; disco#info
                           of DOMAIN is answered by the component; with
                           DOMAIN blocked a message to it is not-acceptable;
                           A joins
                           room@DOMAIN with directed presence and its
                           connection is aborted
  gone A PW DOMAIN         with no component connected: service-unavailable
"""
import argparse
import asyncio
import hashlib
import socket
import sys
import time

from slixmpp.componentxmpp import ComponentXMPP
from slixmpp.exceptions import IqError

from xmpp_im import DOMAIN, fail, get
from xmpp_block import NS_BLOCK, bonline, bpush, err_of, expect_result, msg

import logging
logging.basicConfig(level=logging.ERROR)


class Echo(ComponentXMPP):
    def __init__(self, domain, secret, port, ready):
        super().__init__(domain, secret, "127.0.0.1", port)
        self.ready = ready
        self.register_plugin("xep_0030")
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("message", self._message)
        self.add_event_handler("presence", self._presence)

    def _presence(self, p):
        # What the shell script checks: every presence that reached us.
        with open(self.ready + ".presence", "a") as f:
            f.write("%s %s\n" % (p["type"], p["from"]))

    def _start(self, event):
        with open(self.ready, "w") as f:
            f.write("ready\n")

    def _message(self, m):
        if m["type"] == "error":
            return
        m.reply("echo: %s" % m["body"]).send()
        if m["body"] == "hello":
            self.send_message(mto=m["from"].bare, mfrom=self.boundjid.bare,
                              mbody="hello from the component", mtype="chat")


def mode_component(a):
    c = Echo(a.domain, a.secret, a.port, a.ready)
    c.connect()
    asyncio.get_event_loop().run_forever()


def raw_handshake(domain, port, secret):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("<stream:stream xmlns='jabber:component:accept' "
               "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % domain).encode())
    buf = b""
    while b"id='" not in buf and b"stream:error" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    if b"stream:error" in buf:
        s.close()
        return buf.decode()
    sid = buf.split(b"id='")[1].split(b"'")[0].decode()
    s.sendall(("<handshake>%s</handshake>" % hashlib.sha1((sid + secret).encode()).hexdigest()).encode())
    out = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
        if b"</stream:stream>" in out or b"<handshake/>" in out:
            break
    s.close()
    return out.decode()


def raw_session(domain, port, secret):
    """A raw component stream after a good handshake: the socket."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("<stream:stream xmlns='jabber:component:accept' "
               "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % domain).encode())
    buf = b""
    while b"id='" not in buf:
        d = s.recv(4096)
        if not d:
            fail("raw: the stream closed before its header")
        buf += d
    sid = buf.split(b"id='")[1].split(b"'")[0].decode()
    s.sendall(("<handshake>%s</handshake>" % hashlib.sha1((sid + secret).encode()).hexdigest()).encode())
    buf = b""
    while b"<handshake/>" not in buf:
        d = s.recv(4096)
        if not d:
            fail("raw: no <handshake/>: %r" % buf)
        buf += d
    return s


def mode_raw(a):
    s = raw_session(a.domain, a.port, a.secret)
    # A second connection for the domain: conflict.
    r = raw_handshake(a.domain, a.port, a.secret)
    if "<conflict" not in r:
        fail("a second connection got: %r" % r)
    # A stanza split across two writes, to an account that does not exist:
    # the shard's error comes back to the component.
    st = ("<message from='bot@%s' to='nobody@%s' id='split-1' type='chat'>"
          "<body>in two parts</body></message>" % (a.domain, DOMAIN)).encode()
    s.sendall(st[:37])
    time.sleep(0.3)
    s.sendall(st[37:])
    buf = b""
    deadline = time.time() + 10
    while b"</message>" not in buf and time.time() < deadline:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    if b"split-1" not in buf or b"type='error'" not in buf or b"service-unavailable" not in buf:
        fail("the error for a split stanza to an unknown account: %r" % buf)
    s.sendall(b"</stream:stream>")
    s.close()
    print("raw: conflict for a second connection, a split stanza routed and answered")


def mode_bad_secret(a):
    r = raw_handshake(a.domain, a.port, "not-the-secret")
    if "<not-authorized" not in r:
        fail("a wrong secret got: %r" % r)
    r = raw_handshake("unknown." + a.domain, a.port, "x")
    if "<host-unknown" not in r:
        fail("an unknown domain got: %r" % r)
    print("bad-secret: not-authorized; unknown domain: host-unknown")


async def mode_user(a):
    c = await bonline(a.a + "/rc", a.pw)
    await asyncio.sleep(0.3)
    c.send_message(mto="echo@" + a.domain, mbody="hi", mtype="chat")
    m = await msg(c, "the component's echo")
    if str(m["from"]) != "echo@" + a.domain or m["body"] != "echo: hi":
        fail("echo: got %s" % m)
    c.send_message(mto="echo@" + a.domain, mbody="hello", mtype="chat")
    got = set()
    for _ in range(2):
        m = await msg(c, "the echo and the component's own message")
        got.add((str(m["from"]), m["body"]))
    if got != {("echo@" + a.domain, "echo: hello"), (a.domain, "hello from the component")}:
        fail("component messages: %s" % got)
    try:
        info = await c["xep_0030"].get_info(jid=a.domain, timeout=10)
    except IqError as e:
        fail("disco#info of the component: %s" % e.iq)
    if info["from"] != a.domain:
        fail("disco#info answered by %s" % info["from"])
    # The component's domain blocked (XEP-0191): not-acceptable, then unblocked.
    await expect_result(c, "<block xmlns='%s'><item jid='%s'/></block>" % (NS_BLOCK, a.domain),
                        what="block the component")
    await bpush(c, "block", [a.domain], "the component's domain")
    c.send_message(mto="echo@" + a.domain, mbody="blocked", mtype="chat")
    m = await msg(c, "the error for a message to a blocked component")
    if m["type"] != "error" or err_of(m)[0] != "not-acceptable":
        fail("to a blocked component: %s" % m)
    await expect_result(c, "<unblock xmlns='%s'/>" % NS_BLOCK, what="unblock all")
    await bpush(c, "unblock", [], "all")
    # A group chat join: directed presence to the component, then the
    # connection goes; the component must be told (RFC 6121 §4.6.3).
    c.send_presence(pto="room@%s/al" % a.domain)
    await asyncio.sleep(1.0)
    c.transport.abort()
    await asyncio.sleep(0.5)
    print("user: messages both ways with the component, its disco#info, a join")


async def mode_gone(a):
    c = await bonline(a.a + "/rg", a.pw)
    c.send_message(mto="echo@" + a.domain, mbody="anyone?", mtype="chat")
    m = await msg(c, "the error for a component that is not connected")
    if m["type"] != "error" or err_of(m)[0] != "service-unavailable":
        fail("to a component not connected: %s" % m)
    c.disconnect()
    print("gone: service-unavailable")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("component"); s.add_argument("domain"); s.add_argument("secret")
    s.add_argument("port", type=int); s.add_argument("ready")
    s = sub.add_parser("bad-secret"); s.add_argument("domain"); s.add_argument("port", type=int)
    s = sub.add_parser("raw"); s.add_argument("domain"); s.add_argument("secret")
    s.add_argument("port", type=int)
    for name in ("user", "gone"):
        s = sub.add_parser(name); s.add_argument("a"); s.add_argument("pw"); s.add_argument("domain")
    a = p.parse_args()
    if a.mode == "component":
        mode_component(a)
        return
    if a.mode == "bad-secret":
        mode_bad_secret(a)
        return
    if a.mode == "raw":
        mode_raw(a)
        return
    fn = {"user": mode_user, "gone": mode_gone}[a.mode]
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.wait_for(fn(a), 60))
    except asyncio.TimeoutError:
        fail("%s: over 60 s" % a.mode)


if __name__ == "__main__":
    main()
