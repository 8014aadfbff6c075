#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Blocking (XEP-0191), vcard-temp (XEP-0054) and private XML storage
(XEP-0049) against the gateway, with real slixmpp clients (the helpers of
xmpp_im.py). Every mode is bounded in time and exits non-zero with one line
saying what went wrong. Accounts and subscriptions are made by the shell
script.

  block   A PWA B PWB      A (two resources) and B subscribed both ways:
                           A blocks B: result, a push to both of A's
                           resources, B gets unavailable from both; A to B
                           (message, iq) not-acceptable with <blocked/>; B
                           to A: message and iq service-unavailable, presence
                           dropped without an answer; A unblocks from the
                           other resource: pushes, B gets A's presence, and
                           messages pass both ways; unblock-all pushed as an
                           empty <unblock/>; bad requests; finally A blocks B
                           again and goes offline
  offline-blocked B PWB A  (A offline, blocking B) B's message to A gets
                           service-unavailable and is not stored
  unblock-all A PWA        A's list emptied
  directed A PWA B PWB    A and B without subscription: A's two resources
                           send B directed presence, one then unavailable;
                           the other's connection is aborted: B gets
                           unavailable from it, and nothing more when the
                           first one disconnects (RFC 6121 §4.6.3)
  vcard   A PWA B PWB MAX  A sets and gets its vCard, B gets A's, B's own is
                           empty, one over MAX bytes is not-acceptable,
                           setting A's from B is forbidden, an unknown
                           account is service-unavailable; the domain's
                           disco#info names blocking, vcard-temp, private
  private A PWA B MAXB MAXN  store, get, an unknown namespace echoed empty,
                           reserved and missing namespaces not-acceptable,
                           over MAXB not-acceptable, past MAXN namespaces
                           resource-constraint, another user's forbidden
"""
import argparse
import asyncio
import sys
import xml.etree.ElementTree as ET

from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from xmpp_im import Client, DOMAIN, drain, fail, get, nothing

NS_BLOCK = "urn:xmpp:blocking"
NS_BLOCKED = "urn:xmpp:blocking:errors"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


class BClient(Client):
    def __init__(self, jid, password, presence=True):
        super().__init__(jid, password, presence, True)
        self.bpushes = asyncio.Queue()
        self.msgs = asyncio.Queue()
        for op in ("block", "unblock"):
            self.register_handler(Callback(
                "test %s push" % op, MatchXPath("{jabber:client}iq/{%s}%s" % (NS_BLOCK, op)),
                self._bpush))
        self.register_handler(Callback(
            "test messages", MatchXPath("{jabber:client}message"),
            lambda m: self.msgs.put_nowait(m)))

    def _bpush(self, iq):
        if iq["type"] == "set":
            self.bpushes.put_nowait(iq)


async def bonline(jid, pw, presence=True):
    c = BClient(jid, pw, presence)
    c.go()
    try:
        await asyncio.wait_for(c.started.wait(), 15)
    except asyncio.TimeoutError:
        fail("%s: no session within 15 s" % jid)
    return c


async def iq(c, xml, stype="set", to=None):
    """Send an iq with the child xml; the result, or the error condition
    (and the iq) as a tuple."""
    q = c.Iq(stype=stype)
    if to:
        q["to"] = to
    q.append(ET.fromstring(xml))
    try:
        return await q.send(timeout=10)
    except IqError as e:
        return (e.iq["error"]["condition"], e.iq)
    except IqTimeout:
        fail("%s: no answer to %s" % (c.boundjid, xml))


async def expect_error(c, xml, cond, stype="set", to=None, what=""):
    r = await iq(c, xml, stype, to)
    if not isinstance(r, tuple) or r[0] != cond:
        fail("%s: %s expected %s, got %s" % (what, xml, cond, r))
    return r[1]


async def expect_result(c, xml, stype="set", to=None, what=""):
    r = await iq(c, xml, stype, to)
    if isinstance(r, tuple):
        fail("%s: %s got error %s" % (what, xml, r[0]))
    return r


def items(el, tag):
    return sorted(i.get("jid") for i in el.findall("{%s}item" % NS_BLOCK)) if el is not None else []


async def blocklist(c):
    r = await expect_result(c, "<blocklist xmlns='%s'/>" % NS_BLOCK, "get", what="blocklist get")
    return items(r.xml.find("{%s}blocklist" % NS_BLOCK), "item")


async def bpush(c, op, jids, what):
    p = await get(c.bpushes, "%s push at %s (%s)" % (op, c.boundjid, what))
    el = p.xml.find("{%s}%s" % (NS_BLOCK, op))
    if el is None or items(el, "item") != sorted(jids):
        fail("%s: push %s, expected %s %s (%s)" % (c.boundjid, p, op, jids, what))


async def pres_from(c, bare, ptype, n, what):
    """n presences of type ptype from resources of bare (others skipped)."""
    seen = set()
    while len(seen) < n:
        p = await get(c.presences, "presence %s from %s at %s (%s)" % (ptype, bare, c.boundjid, what))
        if p["from"].bare != bare:
            continue
        if p["type"] != ptype:
            fail("%s: presence type=%s from %s, expected %s (%s)" % (c.boundjid, p["type"], p["from"], ptype, what))
        seen.add(str(p["from"]))


async def no_pres_from(c, bare, what, timeout=1.5):
    end = asyncio.get_event_loop().time() + timeout
    while True:
        left = end - asyncio.get_event_loop().time()
        if left <= 0:
            return
        try:
            p = await asyncio.wait_for(c.presences.get(), left)
        except asyncio.TimeoutError:
            return
        if p["from"].bare == bare:
            fail("%s: unexpected presence from %s (%s): %s" % (c.boundjid, p["from"], what, p))


async def msg(c, what, timeout=10):
    return await get(c.msgs, what, timeout)


def err_of(m):
    e = m.xml.find("{jabber:client}error")
    if e is None:
        return None, None
    conds = [x.tag.split("}")[1] for x in e if x.tag.startswith("{%s}" % NS_STANZAS)]
    return (conds[0] if conds else None), e


async def mode_block(a):
    a1 = await bonline(a.a + "/r1", a.pwa)
    a2 = await bonline(a.a + "/r2", a.pwa)
    b = await bonline(a.b + "/rb", a.pwb)
    await asyncio.sleep(1.0)
    for c in (a1, a2, b):
        await drain(c.presences)
        await drain(c.msgs)
    if await blocklist(a1) != []:
        fail("a fresh block list is not empty")

    # Block (§3.3): result, a push to every resource, unavailable to B.
    await expect_result(a1, "<block xmlns='%s'><item jid='%s'/></block>" % (NS_BLOCK, a.b),
                        what="block")
    await bpush(a1, "block", [a.b], "the blocking resource")
    await bpush(a2, "block", [a.b], "the other resource")
    await pres_from(b, a.a, "unavailable", 2, "A blocked B")
    if await blocklist(a2) != [a.b]:
        fail("block list after block is not [%s]" % a.b)

    # Outbound (§3.3): not-acceptable with <blocked/>; B gets nothing.
    a1.send_message(mto=a.b, mbody="to the blocked", mtype="chat")
    m = await msg(a1, "the error for a message to a blocked JID")
    cond, e = err_of(m)
    if m["type"] != "error" or cond != "not-acceptable" or e.find("{%s}blocked" % NS_BLOCKED) is None:
        fail("message to a blocked JID: %s" % m)
    q = await expect_error(a1, "<query xmlns='jabber:iq:version'/>", "not-acceptable", "get",
                           a.b + "/rb", "iq to a blocked JID")
    if q.xml.find("{jabber:client}error/{%s}blocked" % NS_BLOCKED) is None:
        fail("iq error without <blocked/>: %s" % q)
    a1.send_presence(pto=a.b + "/rb")                 # directed presence: not sent
    await nothing(b.msgs, "message from A while blocked")
    await no_pres_from(b, a.a, "A's directed presence to B while blocked")

    # Inbound (§3.5): message and iq service-unavailable, presence dropped.
    b.send_message(mto=a.a, mbody="from the blocked", mtype="chat")
    m = await msg(b, "the error for a message from a blocked JID")
    if m["type"] != "error" or err_of(m)[0] != "service-unavailable":
        fail("message from a blocked JID: %s" % m)
    await expect_error(b, "<query xmlns='jabber:iq:version'/>", "service-unavailable", "get",
                       a.a + "/r1", "iq from a blocked JID")
    await expect_error(b, "<vCard xmlns='vcard-temp'/>", "service-unavailable", "get", a.a,
                       "iq to the account from a blocked JID")
    b.send_presence(pstatus="hello while blocked")   # broadcast: A is a contact
    b.send_presence(pto=a.a + "/r1")                  # directed
    b.send_presence(pto=a.a, ptype="probe")
    for c in (a1, a2):
        await no_pres_from(c, a.b, "B's presence while blocked")
        await nothing(c.msgs, "message from B while blocked", 0.2)
    await nothing(b.msgs, "an answer to B's presence", 0.2)

    # Unblock from the other resource (§3.4): pushes, A's presence to B.
    await expect_result(a2, "<unblock xmlns='%s'><item jid='%s'/></unblock>" % (NS_BLOCK, a.b),
                        what="unblock")
    await bpush(a1, "unblock", [a.b], "unblock, the other resource")
    await bpush(a2, "unblock", [a.b], "unblock, the unblocking resource")
    await pres_from(b, a.a, "available", 2, "A unblocked B")
    a1.send_message(mto=a.b, mbody="after unblock", mtype="chat")
    m = await msg(b, "A's message after unblock")
    if m["body"] != "after unblock":
        fail("after unblock B got %s" % m)
    b.send_message(mto=a.a + "/r2", mbody="back", mtype="chat")
    m = await msg(a2, "B's message after unblock")
    if m["body"] != "back":
        fail("after unblock A got %s" % m)

    # Several at once, then unblock all (§3.5): an empty <unblock/> push.
    other = "mallory@" + DOMAIN
    await expect_result(a1, "<block xmlns='%s'><item jid='%s'/><item jid='%s'/></block>" % (
        NS_BLOCK, a.b, other), what="block two")
    await bpush(a1, "block", [a.b, other], "two")
    await bpush(a2, "block", [a.b, other], "two")
    if await blocklist(a1) != sorted([a.b, other]):
        fail("block list with two")
    await expect_result(a2, "<unblock xmlns='%s'/>" % NS_BLOCK, what="unblock all")
    await bpush(a1, "unblock", [], "all")
    await bpush(a2, "unblock", [], "all")
    if await blocklist(a1) != []:
        fail("block list after unblock all is not empty")

    # Bad requests.
    await expect_error(a1, "<block xmlns='%s'/>" % NS_BLOCK, "bad-request", what="block without items")
    await expect_error(a1, "<block xmlns='%s'><item jid='a@b@c'/></block>" % NS_BLOCK,
                       "jid-malformed", what="a malformed JID")
    await expect_error(a1, "<blocklist xmlns='%s'/>" % NS_BLOCK, "service-unavailable", "get",
                       a.b, "another user's block list")

    # Leave A blocking B, offline (for offline-blocked).
    await expect_result(a1, "<block xmlns='%s'><item jid='%s'/></block>" % (NS_BLOCK, a.b),
                        what="block again")
    for c in (a1, a2, b):
        c.disconnect()
    await asyncio.sleep(0.5)
    print("block: pushes to both resources, enforced both ways, unblock, unblock all")


async def mode_offline_blocked(a):
    b = await bonline(a.b + "/rb", a.pwb)
    await asyncio.sleep(0.5)
    await drain(b.msgs)
    b.send_message(mto=a.a, mbody="to the offline blocker", mtype="chat")
    m = await msg(b, "the error for a message to an offline user blocking B")
    if m["type"] != "error" or err_of(m)[0] != "service-unavailable":
        fail("message to an offline blocker: %s" % m)
    b.disconnect()
    print("offline-blocked: service-unavailable, nothing stored")


async def mode_unblock_all(a):
    c = await bonline(a.a + "/ru", a.pwa, presence=False)
    await expect_result(c, "<unblock xmlns='%s'/>" % NS_BLOCK, what="unblock all")
    await bpush(c, "unblock", [], "all")
    c.disconnect()
    print("unblock-all: done")


async def mode_vcard(a):
    ca = await bonline(a.a + "/rv", a.pwa, presence=False)
    cb = await bonline(a.b + "/rv", a.pwb, presence=False)
    card = ("<vCard xmlns='vcard-temp'><FN>Alice &amp; Co</FN><NICKNAME>al</NICKNAME>"
            "<EMAIL><USERID>alice@example.com</USERID></EMAIL></vCard>")
    r = await expect_result(cb, "<vCard xmlns='vcard-temp'/>", "get", what="B's own, none set")
    v = r.xml.find("{vcard-temp}vCard")
    if v is None or len(v) != 0:
        fail("a user without a vCard did not get an empty one: %s" % r)
    await expect_result(ca, card, what="vCard set")
    for c, to in ((ca, None), (ca, a.a), (cb, a.a)):
        r = await expect_result(c, "<vCard xmlns='vcard-temp'/>", "get", to, "vCard get")
        v = r.xml.find("{vcard-temp}vCard")
        if v is None or v.findtext("{vcard-temp}FN") != "Alice & Co" or \
                v.findtext("{vcard-temp}NICKNAME") != "al" or \
                v.findtext("{vcard-temp}EMAIL/{vcard-temp}USERID") != "alice@example.com":
            fail("vCard read back by %s: %s" % (c.boundjid, r))
    big = "<vCard xmlns='vcard-temp'><DESC>%s</DESC></vCard>" % ("x" * a.max)
    await expect_error(ca, big, "not-acceptable", what="a vCard over the limit")
    r = await expect_result(ca, "<vCard xmlns='vcard-temp'/>", "get", what="after the refusal")
    if r.xml.find("{vcard-temp}vCard").findtext("{vcard-temp}NICKNAME") != "al":
        fail("the refused vCard replaced the stored one")
    await expect_error(cb, "<vCard xmlns='vcard-temp'><FN>x</FN></vCard>", "forbidden", "set",
                       a.a, "setting another user's vCard")
    await expect_error(cb, "<vCard xmlns='vcard-temp'/>", "service-unavailable", "get",
                       "nobody@" + DOMAIN, "an unknown account")
    info = await ca["xep_0030"].get_info(jid=DOMAIN, timeout=10)
    feats = set(info["disco_info"]["features"])
    for f in (NS_BLOCK, "vcard-temp", "jabber:iq:private"):
        if f not in feats:
            fail("the domain's disco#info lacks %s: %s" % (f, sorted(feats)))
    ca.disconnect()
    cb.disconnect()
    print("vcard: set, get own and another's, empty, limit, forbidden, unknown; disco features")


async def mode_private(a):
    c = await bonline(a.a + "/rp", a.pwa, presence=False)
    bm = ("<storage xmlns='storage:bookmarks'><conference jid='room@muc.example' "
          "autojoin='true' name='R &amp; D'><nick>al</nick></conference></storage>")
    await expect_result(c, "<query xmlns='jabber:iq:private'>%s</query>" % bm, what="private set")
    r = await expect_result(c, "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/>"
                            "<prefs xmlns='test:none'/></query>", "get", what="private get")
    q = r.xml.find("{jabber:iq:private}query")
    s = q.find("{storage:bookmarks}storage") if q is not None else None
    conf = s.find("{storage:bookmarks}conference") if s is not None else None
    if conf is None or conf.get("name") != "R & D" or conf.findtext("{storage:bookmarks}nick") != "al":
        fail("bookmarks read back: %s" % r)
    p = q.find("{test:none}prefs")
    if p is None or len(p) != 0:
        fail("an unknown namespace was not echoed empty: %s" % r)
    for ns in ("jabber:client", "jabber:server", "jabber:iq:private"):
        await expect_error(c, "<query xmlns='jabber:iq:private'><x xmlns='%s'/></query>" % ns,
                           "not-acceptable", what="reserved namespace " + ns)
    await expect_error(c, "<query xmlns='jabber:iq:private'><x/></query>", "not-acceptable",
                       what="no namespace of its own")
    await expect_error(c, "<query xmlns='jabber:iq:private'/>", "bad-request", what="no element")
    await expect_error(c, "<query xmlns='jabber:iq:private'><big xmlns='test:big'>%s</big></query>" %
                       ("y" * a.maxb), "not-acceptable", what="over the size limit")
    for i in range(1, a.maxn):
        await expect_result(c, "<query xmlns='jabber:iq:private'><n xmlns='test:n%d'/></query>" % i,
                            what="namespace %d" % i)
    await expect_error(c, "<query xmlns='jabber:iq:private'><n xmlns='test:over'/></query>",
                       "resource-constraint", what="one namespace too many")
    await expect_result(c, "<query xmlns='jabber:iq:private'><n xmlns='test:n1'>again</n></query>",
                        what="replacing an existing namespace at the limit")
    await expect_error(c, "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>",
                       "forbidden", "get", a.b, "another user's private data")
    c.disconnect()
    print("private: set, get, echo, reserved, limits, forbidden")


async def mode_directed(a):
    cb = await bonline(a.b + "/rd", a.pwb)
    c1 = await bonline(a.a + "/d1", a.pwa)
    c2 = await bonline(a.a + "/d2", a.pwa)
    await asyncio.sleep(0.5)
    await drain(cb.presences)
    # No subscription between A and B: only directed presence reaches B.
    c1.send_presence(pto=a.b + "/rd", pstatus="directed")
    await pres_from(cb, a.a, "available", 1, "directed presence from d1")
    c2.send_presence(pto=a.b + "/rd")
    await pres_from(cb, a.a, "available", 1, "directed presence from d2")
    c2.send_presence(pto=a.b + "/rd", ptype="unavailable")
    await pres_from(cb, a.a, "unavailable", 1, "directed unavailable from d2")
    c1.transport.abort()   # the connection goes without unavailable
    p = await get(cb.presences, "unavailable for d1's directed presence", 10)
    if str(p["from"]) != a.a + "/d1" or p["type"] != "unavailable":
        fail("after d1's connection went B got %s" % p)
    c2.disconnect()        # d2 said unavailable already: nothing more
    await no_pres_from(cb, a.a, "d2 had sent unavailable", 2.0)
    cb.disconnect()
    print("directed: unavailable to directed presence recipients when the session goes, once")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("block")
    s.add_argument("a"); s.add_argument("pwa"); s.add_argument("b"); s.add_argument("pwb")
    s = sub.add_parser("offline-blocked")
    s.add_argument("b"); s.add_argument("pwb"); s.add_argument("a")
    s = sub.add_parser("unblock-all"); s.add_argument("a"); s.add_argument("pwa")
    s = sub.add_parser("directed")
    s.add_argument("a"); s.add_argument("pwa"); s.add_argument("b"); s.add_argument("pwb")
    s = sub.add_parser("vcard")
    s.add_argument("a"); s.add_argument("pwa"); s.add_argument("b"); s.add_argument("pwb")
    s.add_argument("max", type=int)
    s = sub.add_parser("private"); s.add_argument("a"); s.add_argument("pwa"); s.add_argument("b")
    s.add_argument("maxb", type=int); s.add_argument("maxn", type=int)
    a = p.parse_args()
    fn = {"block": mode_block, "offline-blocked": mode_offline_blocked,
          "unblock-all": mode_unblock_all, "directed": mode_directed, "vcard": mode_vcard, "private": mode_private}[a.mode]
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.wait_for(fn(a), 120))
    except asyncio.TimeoutError:
        fail("%s: over 120 s" % a.mode)


if __name__ == "__main__":
    main()
