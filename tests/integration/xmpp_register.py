#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""In-band registration (XEP-0077) clients for test_xmpp_register.sh:
slixmpp with its xep_0077 plugin, and a raw socket for what slixmpp
cannot be made to do (an iq before authentication on a plaintext stream).
Every mode is bounded in time and exits non-zero with one line saying why.

  [--tls-ca CA] before the mode: STARTTLS required, the server verified

  register JID PW --expect COND [--token T] [--form-key]
      the stream offers registration; slixmpp gets the form (--form-key: it
      must ask for <key/>) and submits JID's localpart and PW (and T in
      <key/>). COND ok: the result, then a login with PW; else the error
      condition COND (conflict, not-allowed, resource-constraint,
      not-acceptable)
  absent JID PW     the stream does not offer registration (the login of a
                    user that does not exist then fails)
  passwd JID PW NEWPW --expect COND [--other]
                    log in, change the password in-band; --other: a second
                    session of JID, opened first, ends (reset), the first not
  cancel JID PW     log in, cancel the account: result, then the stream ends
  disco JID PW --expect yes|no        the domain's disco#info lists
                                      jabber:iq:register or not
  raw-preauth --expect COND [--advertised yes|no] [--set USER PW]
      plaintext stream: features have (or lack) the register feature; an iq
      get (or with --set a submission) before login gets the stanza error
      COND (or COND=result)
"""
import argparse
import asyncio
import logging
import re
import socket
import sys
import time

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

HOST, PORT = "198.18.0.2", 5222
DOMAIN = "switchboard.test"
TLS_CA = None
NS = "jabber:iq:register"
logging.basicConfig(level=logging.DEBUG if "SB_REG_DEBUG" in __import__("os").environ else logging.CRITICAL)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, token=None, register=False):
        super().__init__(jid, password, sasl_mech="SCRAM-SHA-256")
        self.enable_plaintext = True
        self["feature_mechanisms"].unencrypted_plain = True
        self["feature_mechanisms"].unencrypted_scram = True
        fm = self["feature_mechanisms"]
        creds = fm.sasl_callback

        def no_cb(required, optional):  # see xmpp_client.py: no -PLUS claim
            r = creds(required, optional)
            if "channel_binding" in r:
                r["channel_binding"] = None
            return r
        fm.sasl_callback = no_cb
        for p in ("xep_0030", "xep_0004", "xep_0066", "xep_0077"):
            self.register_plugin(p)
        if TLS_CA is not None:
            self.ca_certs = TLS_CA
        # slixmpp 1.8 queues every stanza until the session starts, the
        # plugin's own pre-login iqs included (they would never leave):
        # registration is the one case where an iq precedes the session.
        self._always_send_everything = register
        self.token = token
        self.form = None
        self.reg_result = None
        self.started = asyncio.Event()
        self.auth_failed = asyncio.Event()
        self.reg_done = asyncio.Event()
        self.ended = asyncio.Event()
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("failed_all_auth", lambda e: self.auth_failed.set())
        self.add_event_handler("disconnected", lambda e: self.ended.set())
        if register:
            self.add_event_handler("register", self._register)

    async def _start(self, event):
        self.send_presence()
        self.started.set()

    async def _register(self, form):
        self.form = form
        iq = self.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = self.boundjid.user
        iq["register"]["password"] = self.password
        if self.token is not None:
            iq["register"]["key"] = self.token
        try:
            await iq.send(timeout=10)
            self.reg_result = "ok"
        except IqError as e:
            self.reg_result = e.iq["error"]["condition"]
            self.reg_done.set()
            self.disconnect()
            return
        except IqTimeout:
            self.reg_result = "timeout"
        self.reg_done.set()

    def go(self):
        tls = TLS_CA is not None
        self.connect(address=(HOST, PORT), disable_starttls=not tls, force_starttls=tls)


async def first(c, events, timeout=15):
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for w in waits:
        w.cancel()


async def login(jid, pw):
    c = Client(jid, pw)
    c.go()
    await first(c, [c.started, c.auth_failed])
    if not c.started.is_set():
        fail("login as %s failed" % jid)
    return c


async def mode_register(a):
    c = Client(a.jid, a.password, a.token, register=True)
    c.go()
    await first(c, [c.reg_done, c.auth_failed, c.started])
    if c.form is None:
        fail("%s: registration not offered in the stream features" % a.jid)
    has_key = c.form.xml.find("{%s}query/{%s}key" % (NS, NS)) is not None
    if a.form_key and not has_key:
        fail("the form does not ask for the invite token <key/>")
    if c.reg_result != a.expect:
        fail("%s: registration answered %s, expected %s" % (a.jid, c.reg_result, a.expect))
    if a.expect == "ok":
        await first(c, [c.started, c.auth_failed])
        if not c.started.is_set():
            fail("%s registered but could not log in" % a.jid)
        print("register: %s created and logged in as %s" % (a.jid, c.boundjid))
    else:
        print("register: %s refused with %s as expected" % (a.jid, a.expect))
    c.disconnect()
    await first(c, [c.ended], 5)


async def mode_absent(a):
    c = Client(a.jid, a.password, register=True)
    c.go()
    await first(c, [c.started, c.auth_failed])
    if c.form is not None:
        fail("registration offered although it is off or not allowed on this stream")
    if c.started.is_set():
        fail("%s logged in: it was meant not to exist" % a.jid)
    print("absent: registration not offered")
    c.disconnect()


async def mode_passwd(a):
    other = await login(a.jid, a.password) if a.other else None
    c = await login(a.jid, a.password)
    try:
        await c["xep_0077"].change_password(a.newpw, timeout=10)
        got = "ok"
    except IqError as e:
        got = e.iq["error"]["condition"]
    if got != a.expect:
        fail("password change answered %s, expected %s" % (got, a.expect))
    if other is not None:
        # RFC 6120 §4.9.3.16: the session opened with the old password
        # ends; the one that changed it goes on.
        await first(other, [other.ended], 10)
        if not other.ended.is_set():
            fail("the other session survived the password change")
        try:
            await c["xep_0030"].get_info(jid=DOMAIN, timeout=5)
        except (IqError, IqTimeout) as e:
            fail("the session that changed the password is gone: %s" % e)
    print("passwd: %s answered %s%s" % (a.jid, got,
                                        ", the other session ended" if other else ""))
    c.disconnect()
    await first(c, [c.ended], 5)


async def mode_cancel(a):
    c = await login(a.jid, a.password)
    try:
        await c["xep_0077"].cancel_registration(timeout=10)
    except IqError as e:
        fail("cancel answered %s" % e.iq["error"]["condition"])
    await first(c, [c.ended], 10)
    if not c.ended.is_set():
        fail("the stream of a cancelled account stayed open")
    print("cancel: %s removed, stream closed" % a.jid)


async def mode_disco(a):
    c = await login(a.jid, a.password)
    info = await c["xep_0030"].get_info(jid=DOMAIN, timeout=10)
    feats = info["disco_info"]["features"]
    if (NS in feats) != (a.expect == "yes"):
        fail("disco#info features %s: jabber:iq:register expected %s" % (feats, a.expect))
    print("disco: jabber:iq:register %s" % ("listed" if NS in feats else "not listed"))
    c.disconnect()
    await first(c, [c.ended], 5)


def raw_until(s, pat, timeout=10):
    buf, end = b"", time.time() + timeout
    while time.time() < end:
        m = re.search(pat, buf)
        if m:
            return buf
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        buf += d
    return buf


def mode_raw(a):
    s = socket.create_connection((HOST, PORT), timeout=1)
    s.sendall(b"<?xml version='1.0'?><stream:stream to='" + DOMAIN.encode() +
              b"' version='1.0' xmlns='jabber:client' "
              b"xmlns:stream='http://etherx.jabber.org/streams'>")
    feats = raw_until(s, rb"</stream:features>")
    adv = b"http://jabber.org/features/iq-register" in feats
    if a.advertised is not None and adv != (a.advertised == "yes"):
        fail("register feature advertised=%s, expected %s: %r" % (adv, a.advertised, feats))
    if a.set:
        q = ("<username>%s</username><password>%s</password>" % tuple(a.set)).encode()
        s.sendall(b"<iq type='set' id='r1'><query xmlns='jabber:iq:register'>" + q +
                  b"</query></iq>")
    else:
        s.sendall(b"<iq type='get' id='r1'><query xmlns='jabber:iq:register'/></iq>")
    got = raw_until(s, rb"<iq[^>]*id='r1'[^>]*(/>|>.*?</iq>)")
    m = re.search(rb"<iq[^>]*id='r1'[^>]*(/>|>.*?</iq>)", got)
    if m is None:
        fail("no answer to the registration iq: %r" % got[-300:])
    iq = m.group(0)
    cond = "result" if b"type='result'" in iq else None
    if cond is None:
        c = re.search(rb"<([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'", iq)
        cond = c.group(1).decode() if c else "?"
    if cond != a.expect:
        fail("pre-auth registration iq answered %s, expected %s: %r" % (cond, a.expect, iq))
    print("raw-preauth: advertised=%s, answered %s" % (adv, cond))
    s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tls-ca")
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("register")
    s.add_argument("jid"); s.add_argument("password")
    s.add_argument("--expect", required=True); s.add_argument("--token")
    s.add_argument("--form-key", action="store_true")
    s = sub.add_parser("absent")
    s.add_argument("jid"); s.add_argument("password")
    s = sub.add_parser("passwd")
    s.add_argument("jid"); s.add_argument("password"); s.add_argument("newpw")
    s.add_argument("--expect", required=True)
    s.add_argument("--other", action="store_true", help="a second session must end")
    s = sub.add_parser("cancel")
    s.add_argument("jid"); s.add_argument("password")
    s = sub.add_parser("disco")
    s.add_argument("jid"); s.add_argument("password"); s.add_argument("--expect", required=True)
    s = sub.add_parser("raw-preauth")
    s.add_argument("--expect", required=True); s.add_argument("--advertised")
    s.add_argument("--set", nargs=2)
    a = p.parse_args()
    global TLS_CA
    TLS_CA = a.tls_ca
    if a.mode == "raw-preauth":
        mode_raw(a)
        return
    coro = {"register": mode_register, "absent": mode_absent, "passwd": mode_passwd,
            "cancel": mode_cancel, "disco": mode_disco}[a.mode]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(coro(a), 60))
    except asyncio.TimeoutError:
        fail("%s: timed out" % a.mode)


if __name__ == "__main__":
    main()
