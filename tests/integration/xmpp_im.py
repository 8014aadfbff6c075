#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The RFC 6121 IM core against the gateway, with real slixmpp clients in
the test's namespace. Every mode is bounded in time and exits non-zero with
one line saying what went wrong. Accounts are created by the shell script.

  roster   A PW                 two resources of A: a set reaches both as a push
                                (setter included), names and groups kept, remove
                                pushed, versioning (current ver: empty result)
  subscribe A PWA B PWB         subscribe/subscribed both ways, every roster push
                                and every presence checked (bare-JID stamping)
  drop     A PWA B PWB          B sees A's initial presence; A's TCP connection is
                                aborted; B gets unavailable from A's resource
  offline-send A PW B N         send N chat messages to B (offline) with bodies m0..
  offline-flood A PW B N READY ERRORS  send N messages fast (READY written after
                                N/4), ERRORS gets the indices refused with an error
  offline-recv B PW N [--at-least|--one-login] [--exclude ERRORS] [--pause-ms MS]
                                log in (reading nothing for MS first), expect m0..m(N-1)
                                in order with a delay stamp from the domain, exactly once
                                (--at-least: at least once, over up to 7 logins;
                                --one-login: all in the first login, in order, a duplicate
                                allowed after its first copy), and nothing at a second login
  disco    A PW B               disco#info/#items on the domain and on B, version,
                                time; an unknown account is service-unavailable
  badinput A PW MAX             roster of at most MAX items: the next one
                                resource-constraint; oversized name, empty group
                                not-acceptable; two items, no jid bad-request;
                                a subscription flood stops with resource-constraint
  chat     A PWA B PWB          A and B exchange a message (other users unaffected)
"""
import argparse
import asyncio
import fcntl
import logging
import struct
import sys
import termios

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

HOST, PORT = "198.18.0.2", 5222
DOMAIN = "switchboard.test"
NS_ROSTER = "jabber:iq:roster"
logging.basicConfig(level=logging.ERROR)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, presence=True, roster=True):
        super().__init__(jid, password)
        self.enable_plaintext = True
        self["feature_mechanisms"].unencrypted_plain = True
        self["feature_mechanisms"].unencrypted_scram = True
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0092")
        self.register_plugin("xep_0202")
        self.register_plugin("xep_0203")
        # The test answers subscriptions itself.
        self.auto_authorize = None
        self.auto_subscribe = False
        self.want_presence = presence
        self.want_roster = roster
        self.started = asyncio.Event()
        self.pushes = asyncio.Queue()
        self.presences = asyncio.Queue()
        self.inbox = asyncio.Queue()
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("message", lambda m: self.inbox.put_nowait(m))
        self.register_handler(Callback(
            "test pushes", MatchXPath("{jabber:client}iq/{%s}query" % NS_ROSTER),
            self._iq_roster))
        self.register_handler(Callback(
            "test presence", MatchXPath("{jabber:client}presence"),
            lambda p: self.presences.put_nowait(p)))

    def _iq_roster(self, iq):
        if iq["type"] == "set":
            self.pushes.put_nowait(iq)

    async def _start(self, event):
        if self.want_roster:
            await self.get_roster()
        if self.want_presence:
            self.send_presence()
        self.started.set()

    def go(self):
        self.connect(address=(HOST, PORT), disable_starttls=True, force_starttls=False)


async def online(jid, pw, presence=True, roster=True):
    c = Client(jid, pw, presence, roster)
    c.go()
    try:
        await asyncio.wait_for(c.started.wait(), 15)
    except asyncio.TimeoutError:
        fail("%s: no session within 15 s" % jid)
    return c


async def get(q, what, timeout=5):
    try:
        return await asyncio.wait_for(q.get(), timeout)
    except asyncio.TimeoutError:
        fail("timed out waiting for " + what)


async def nothing(q, what, timeout=1.0):
    try:
        x = await asyncio.wait_for(q.get(), timeout)
    except asyncio.TimeoutError:
        return
    fail("unexpected %s: %s" % (what, x))


def item_of(iq):
    items = iq.xml.findall("{%s}query/{%s}item" % (NS_ROSTER, NS_ROSTER))
    if len(items) != 1:
        fail("a push carries %d items, not one: %s" % (len(items), iq))
    return items[0]


async def push(c, jid, sub, ask=None, what=""):
    iq = await get(c.pushes, "roster push of %s to %s %s" % (jid, c.boundjid, what))
    it = item_of(iq)
    if it.get("jid") != jid or it.get("subscription") != sub or it.get("ask") != ask:
        fail("%s: push %s, expected jid=%s subscription=%s ask=%s (%s)" % (
            c.boundjid, dict(it.attrib), jid, sub, ask, what))
    if str(iq["from"]) and iq["from"].bare != c.boundjid.bare:
        fail("push from %s" % iq["from"])
    return it


async def presence(c, frm, ptype, what=""):
    while True:
        p = await get(c.presences, "presence %s from %s at %s %s" % (ptype, frm, c.boundjid, what))
        if p["from"] != c.boundjid:   # own presence reflected (RFC 6121 §4.2.2)
            break
    if str(p["from"]) != frm or p["type"] != ptype:
        fail("%s: got presence type=%s from %s, expected %s from %s (%s)" % (
            c.boundjid, p["type"], p["from"], ptype, frm, what))
    return p


async def drain(q):
    while not q.empty():
        q.get_nowait()


async def mode_roster(a):
    r1 = await online(a.a + "/r1", a.pw, presence=False)
    r2 = await online(a.a + "/r2", a.pw, presence=False)
    carol = "carol@" + DOMAIN
    r1.update_roster(carol, name="Carol & Co", groups=["Friends", "Work"])
    for c in (r1, r2):
        it = await push(c, carol, "none", what="after set")
        groups = sorted(g.text for g in it.findall("{%s}group" % NS_ROSTER))
        if it.get("name") != "Carol & Co" or groups != ["Friends", "Work"]:
            fail("push lost name or groups: %s %s" % (dict(it.attrib), groups))
    r3 = await online(a.a + "/r3", a.pw, presence=False)
    if carol not in r3.client_roster or r3.client_roster[carol]["name"] != "Carol & Co":
        fail("a fresh roster get does not have carol with her name: %s" %
             list(r3.client_roster.keys()))
    # Versioning (RFC 6121 §2.6): the current version gets an empty result.
    iq = r3.Iq(stype="get")
    iq.enable("roster")
    iq.xml.find("{%s}query" % NS_ROSTER).set("ver", "")   # "versioning, please"
    res = await iq.send(timeout=5)
    ver = res.xml.find("{%s}query" % NS_ROSTER).get("ver")
    if not ver:
        fail("roster result without ver")
    iq = r3.Iq(stype="get")
    iq.enable("roster")
    iq["roster"]["ver"] = ver
    res = await iq.send(timeout=5)
    if res.xml.find("{%s}query" % NS_ROSTER) is not None:
        fail("roster get at the current version %s was not empty: %s" % (ver, res))
    # An older version: empty result, then the change as a push.
    iq = r3.Iq(stype="get")
    iq.enable("roster")
    iq["roster"]["ver"] = str(int(ver) - 1)
    await drain(r3.pushes)
    res = await iq.send(timeout=5)
    await push(r3, carol, "none", what="since an older version")
    r2.del_roster_item(carol)
    for c in (r1, r2, r3):
        await push(c, carol, "remove", what="after remove")
    for c in (r1, r2, r3):
        c.disconnect()
    print("roster: pushes to every resource, names, groups, versioning, remove")


async def mode_subscribe(a):
    ca = await online(a.a + "/ra", a.pwa)
    cb = await online(a.b + "/rb", a.pwb)
    await asyncio.sleep(0.5)
    await drain(ca.presences)
    await drain(cb.presences)
    # A subscribes to B (RFC 6121 §3.1).
    ca.send_presence(pto=a.b, ptype="subscribe")
    await push(ca, a.b, "none", "subscribe", "A asked")
    await presence(cb, a.a, "subscribe", "stamped with A's bare JID")
    cb.send_presence(pto=a.a, ptype="subscribed")
    await push(cb, a.a, "from", None, "B approved")
    await push(ca, a.b, "to", None, "A's request approved")
    await presence(ca, a.b, "subscribed", "the approval")
    await presence(ca, a.b + "/rb", "available", "B's presence after approval")
    # B subscribes to A.
    cb.send_presence(pto=a.a, ptype="subscribe")
    await push(cb, a.a, "from", "subscribe", "B asked")
    await presence(ca, a.b, "subscribe", "B's request")
    ca.send_presence(pto=a.b, ptype="subscribed")
    await push(ca, a.b, "both", None, "A approved")
    await push(cb, a.a, "both", None, "B's request approved")
    await presence(cb, a.a, "subscribed", "the approval")
    await presence(cb, a.a + "/ra", "available", "A's presence after approval")
    # A subscription from an unknown account is answered unsubscribed (§3.1.3).
    ca.send_presence(pto="nobody@" + DOMAIN, ptype="subscribe")
    await push(ca, "nobody@" + DOMAIN, "none", "subscribe", "to an unknown account")
    await push(ca, "nobody@" + DOMAIN, "none", None, "refused by the server")
    await presence(ca, "nobody@" + DOMAIN, "unsubscribed", "no such account")
    ca.del_roster_item("nobody@" + DOMAIN)
    await push(ca, "nobody@" + DOMAIN, "remove", None, "removed")
    ca.disconnect()
    cb.disconnect()
    print("subscribe: both ways, every push and presence as RFC 6121 §3 says")


async def mode_drop(a):
    cb = await online(a.b + "/watch", a.pwb)
    await asyncio.sleep(0.3)
    await drain(cb.presences)
    ca = await online(a.a + "/gone", a.pwa)
    await presence(cb, a.a + "/gone", "available", "A's initial presence")
    # B's presence reaches A through A's probe (§4.3).
    await presence(ca, a.b + "/watch", "available", "probe answer")
    ca.transport.abort()   # no </stream>, no unavailable: the connection just goes
    await presence(cb, a.a + "/gone", "unavailable", "A's connection dropped")
    cb.disconnect()
    print("drop: initial presence broadcast, probe answered, unavailable on a lost connection")


async def mode_offline_send(a):
    c = await online(a.a + "/sender", a.pw)
    for i in range(a.n):
        c.send_message(mto=a.b, mbody="m%d" % i, mtype="chat")
    await asyncio.sleep(a.linger)
    c.disconnect()
    await asyncio.sleep(0.3)
    print("offline-send: %d messages sent" % a.n)


def unacked_bytes(c):
    """Bytes in the kernel's send queue of c's socket, not yet acknowledged."""
    sock = c.transport.get_extra_info("socket") if c.transport is not None else None
    if sock is None:
        return 0
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


async def mode_offline_flood(a):
    """Send N messages m0.. (ids m0..) as fast as the stream takes them;
    write READY after the first N/4; at the end write the indices the
    server answered with an error (not accepted) to ERRORS."""
    c = await online(a.a + "/flood", a.pw)
    errors = set()
    c.add_event_handler("message_error",
                        lambda m: errors.add(int(m["id"][1:])) if m["id"].startswith("m") else None)
    for i in range(a.n):
        m = c.make_message(mto=a.b, mbody="m%d" % i, mtype="chat")
        m["id"] = "m%d" % i
        m.send()
        if i == a.n // 4:
            open(a.ready, "w").close()
        if i % 20 == 0:
            await asyncio.sleep(0.01)
    # Everything handed to the kernel and acknowledged by the server's TCP
    # (the kernel's send queue empty): while sb-control restarts the
    # gateway keeps its window closed, and a close before it reopens would
    # throw away what the server never took.
    for _ in range(600):
        if c.transport is None or (c.transport.get_write_buffer_size() == 0 and
                                   unacked_bytes(c) == 0):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(a.linger)
    with open(a.errors, "w") as f:
        f.write(" ".join(str(i) for i in sorted(errors)))
    c.disconnect()
    await asyncio.sleep(0.3)
    print("offline-flood: %d messages sent, %d answered with an error" % (a.n, len(errors)))


async def offline_take(jid, pw, got, pause_ms=0):
    """One login: take stored messages until 5 s pass without one; with
    pause_ms, read nothing for that long first (the server's send queue
    fills and it holds the rest)."""
    c = await online(jid, pw)
    if pause_ms > 0 and c.transport is not None:
        c.transport.pause_reading()
        await asyncio.sleep(pause_ms / 1000)
        c.transport.resume_reading()
    while True:
        try:
            m = await asyncio.wait_for(c.inbox.get(), 5)
        except asyncio.TimeoutError:
            break
        body = m["body"]
        d = m.xml.find("{urn:xmpp:delay}delay")
        if d is None or d.get("from") != DOMAIN or not d.get("stamp"):
            fail("message %s without a delay from %s: %s" % (body, DOMAIN, m))
        got.append(body)
    return c


async def mode_offline_recv(a):
    got = []
    c = await offline_take(a.b + "/later", a.pw, got, a.pause_ms)
    if a.at_least:
        # A reader too slow for its burst may be reset by the gateway
        # (xmpp.hold_pool_pct); what its TCP had not acknowledged goes
        # back to storage, for the next login. Not lost: log in again.
        for k in range(6):
            if len(set(got)) >= a.n:
                break
            c.disconnect()
            await asyncio.sleep(0.5)
            before = len(got)
            c = await offline_take(a.b + "/more%d" % k, a.pw, got)
            print("offline-recv: login %d took %d more" % (k + 2, len(got) - before))
    skip = set()
    if a.exclude:
        skip = {int(x) for x in open(a.exclude).read().split()}
    want = ["m%d" % i for i in range(a.n) if i not in skip]
    if a.one_login:
        # The flush goes a window at a time (im.offline_flush_window), so
        # a client that reads keeps its connection: every accepted message
        # in this one login, in order. A SIGKILL may have stored a message
        # twice (at least once): only its first copy counts for the order.
        seen, dup = [], 0
        for b in got:
            if b in seen:
                dup += 1
            else:
                seen.append(b)
        extra = [b for b in seen if b not in want]
        seen = [b for b in seen if b in want]
        if seen != want:
            missing = [b for b in want if b not in seen]
            fail("one login took %d of %d accepted messages (%d missing, first %s); in order "
                 "up to %s" % (len(seen), len(want), len(missing), missing[:5],
                               next((i for i, (x, y) in enumerate(zip(seen, want)) if x != y),
                                    min(len(seen), len(want)))))
        print("offline-recv: all %d accepted messages in one login, in order (%d refused with "
              "an error, %d duplicates, %d others)" % (len(want), len(skip), dup, len(extra)))
    elif a.at_least:
        seen = []
        for b in got:
            if b not in seen:
                seen.append(b)
        missing = [b for b in want if b not in seen]
        if missing:
            fail("%d of %d accepted messages lost, first %s" % (
                len(missing), len(want), missing[:5]))
        print("offline-recv: all %d accepted messages delivered (%d refused with an error, "
              "%d duplicates)" % (len(want), len(skip), len(got) - len(seen)))
    elif got != want:
        fail("got %d messages, expected m0..m%d in order once; first difference at %s" % (
            len(got), a.n - 1,
            next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), a.n))))
    c.disconnect()
    await asyncio.sleep(0.5)
    c = await online(a.b + "/again", a.pw)
    try:
        m = await asyncio.wait_for(c.inbox.get(), 2)
        fail("a second login got a stored message again: %s" % m["body"])
    except asyncio.TimeoutError:
        pass
    c.disconnect()
    if not a.at_least and not a.one_login:
        print("offline-recv: %d messages in order with delay stamps, exactly once" % a.n)


async def mode_disco(a):
    c = await online(a.a + "/disco", a.pw)
    info = await c["xep_0030"].get_info(jid=DOMAIN, timeout=5)
    ids = info["disco_info"]["identities"]
    feats = set(info["disco_info"]["features"])
    if ("server", "im", None, "Switchboard") not in ids:
        fail("domain identities: %s" % ids)
    for f in ("http://jabber.org/protocol/disco#info", "jabber:iq:roster", "msgoffline",
              "jabber:iq:version", "urn:xmpp:time", "urn:xmpp:ping"):
        if f not in feats:
            fail("domain feature %s missing: %s" % (f, feats))
    items = await c["xep_0030"].get_items(jid=DOMAIN, timeout=5)
    if items["disco_items"]["items"]:
        fail("domain items: %s" % items["disco_items"]["items"])
    info = await c["xep_0030"].get_info(jid=a.b, timeout=5)
    if ("account", "registered", None, None) not in info["disco_info"]["identities"]:
        fail("account identities: %s" % info["disco_info"]["identities"])
    await c["xep_0030"].get_items(jid=a.b, timeout=5)
    v = await c["xep_0092"].get_version(DOMAIN, timeout=5)
    if v["software_version"]["name"] != "Switchboard":
        fail("version: %s" % v)
    t = await c["xep_0202"].get_entity_time(DOMAIN, timeout=5)
    # Read the raw element: slixmpp's own parser appends a second Z.
    utc = t.xml.find("{urn:xmpp:time}time/{urn:xmpp:time}utc")
    if utc is None or not utc.text.endswith("Z"):
        fail("time: %s" % t)
    try:
        await c["xep_0030"].get_info(jid="nobody@" + DOMAIN, timeout=5)
        fail("disco#info of an unknown account answered")
    except IqError as e:
        if e.condition != "service-unavailable":
            fail("unknown account: %s" % e.condition)
    c.disconnect()
    print("disco: domain and account info/items, version, time")


async def roster_error(c, build, cond, what):
    iq = c.Iq(stype="set")
    build(iq)
    try:
        await iq.send(timeout=5)
    except IqError as e:
        if e.condition != cond:
            fail("%s: %s, expected %s" % (what, e.condition, cond))
        return
    except IqTimeout:
        fail("%s: no answer" % what)
    fail("%s: accepted, expected %s" % (what, cond))


async def mode_badinput(a):
    c = await online(a.a + "/bad", a.pw)
    q = "{%s}query" % NS_ROSTER
    for i in range(a.max):
        await c.update_roster("c%d@%s" % (i, DOMAIN), name="c%d" % i)
    from xml.etree import ElementTree as ET

    def item(iq, jid=None, name=None, groups=()):
        qe = iq.xml.find(q)
        if qe is None:
            qe = ET.SubElement(iq.xml, q)
        it = ET.SubElement(qe, "{%s}item" % NS_ROSTER)
        if jid:
            it.set("jid", jid)
        if name is not None:
            it.set("name", name)
        for g in groups:
            ET.SubElement(it, "{%s}group" % NS_ROSTER).text = g
    await roster_error(c, lambda iq: item(iq, "over@" + DOMAIN), "resource-constraint",
                       "one item past im.roster_max_items")
    await roster_error(c, lambda iq: item(iq, "c0@" + DOMAIN, name="x" * 2000),
                       "not-acceptable", "a name past im.roster_item_bytes")
    await roster_error(c, lambda iq: item(iq, "c0@" + DOMAIN, groups=[""]),
                       "not-acceptable", "an empty group")
    await roster_error(c, lambda iq: (item(iq, "c0@" + DOMAIN), item(iq, "c1@" + DOMAIN)),
                       "bad-request", "two items in one set")
    await roster_error(c, lambda iq: item(iq, None, name="nojid"), "bad-request",
                       "an item without jid")
    await roster_error(c, lambda iq: item(iq, "c0@" + DOMAIN, groups=["g", "g"]),
                       "bad-request", "a group twice")
    # A subscription flood: requests to new contacts stop at the roster limit.
    errors = 0
    c.add_event_handler("presence_error", lambda p: c.inbox.put_nowait(p))
    for i in range(50):
        c.send_presence(pto="flood%d@%s" % (i, DOMAIN), ptype="subscribe")
    while True:
        try:
            p = await asyncio.wait_for(c.inbox.get(), 2)
        except asyncio.TimeoutError:
            break
        if p["type"] == "error" and p["error"]["condition"] == "resource-constraint":
            errors += 1
    if errors != 50:
        fail("subscription flood: %d resource-constraint errors, expected 50" % errors)
    c.disconnect()
    print("badinput: roster limits and malformed items refused with RFC 6121 errors, "
          "subscription flood stopped")


async def mode_chat(a):
    ca = await online(a.a + "/x", a.pwa)
    cb = await online(a.b + "/y", a.pwb)
    ca.send_message(mto=a.b + "/y", mbody="still here", mtype="chat")
    m = await get(cb.inbox, "a message from A")
    if m["body"] != "still here":
        fail("body %s" % m["body"])
    ca.disconnect()
    cb.disconnect()
    print("chat: other users unaffected")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("roster"); s.add_argument("a"); s.add_argument("pw")
    for name in ("subscribe", "drop", "chat"):
        s = sub.add_parser(name)
        s.add_argument("a"); s.add_argument("pwa"); s.add_argument("b"); s.add_argument("pwb")
    s = sub.add_parser("offline-send"); s.add_argument("a"); s.add_argument("pw")
    s.add_argument("b"); s.add_argument("n", type=int)
    s.add_argument("--linger", type=float, default=1.0)
    s = sub.add_parser("offline-recv"); s.add_argument("b"); s.add_argument("pw")
    s.add_argument("n", type=int); s.add_argument("--at-least", action="store_true")
    s.add_argument("--one-login", action="store_true")
    s.add_argument("--pause-ms", type=int, default=0)
    s.add_argument("--exclude", help="file of indices the sender was refused")
    s = sub.add_parser("offline-flood"); s.add_argument("a"); s.add_argument("pw")
    s.add_argument("b"); s.add_argument("n", type=int); s.add_argument("ready")
    s.add_argument("errors"); s.add_argument("--linger", type=float, default=5.0)
    s = sub.add_parser("disco"); s.add_argument("a"); s.add_argument("pw"); s.add_argument("b")
    s = sub.add_parser("badinput"); s.add_argument("a"); s.add_argument("pw")
    s.add_argument("max", type=int)
    a = p.parse_args()
    fn = {"roster": mode_roster, "subscribe": mode_subscribe, "drop": mode_drop,
          "offline-send": mode_offline_send, "offline-flood": mode_offline_flood, "offline-recv": mode_offline_recv,
          "disco": mode_disco, "badinput": mode_badinput, "chat": mode_chat}[a.mode]
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.wait_for(fn(a), 90))
    except asyncio.TimeoutError:
        fail("%s: over 90 s" % a.mode)


if __name__ == "__main__":
    main()
