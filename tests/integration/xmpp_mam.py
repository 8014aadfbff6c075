#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Message carbons (XEP-0280) and the message archive (XEP-0313, XEP-0359,
XEP-0059) against the gateway, with slixmpp clients in the test's
namespace. Stanzas are read raw (xml), so the test sees exactly what the
server sent. Every mode is bounded in time and exits non-zero with one line
saying what went wrong.

  carbons A PWA B PWB      A/r1, A/r2, B/b1, B/b2 enable carbons: A/r1 -> B/b1
                           gives A/r2 a <sent/> and B/b2 a <received/> copy
                           (forwarded, from the bare JID), B/b1 the message with
                           a stanza-id by B; <private/> and <no-copy/> are
                           honoured; a disabled resource gets nothing; a message
                           to one's own other resource is not copied back; disco
                           lists carbons on the server and mam/sid on the account
  mam A PWA B PWB N        A sends N messages to B (online); B's archive is
                           queried by with (bare and a wrong resource), start,
                           end, paged forward (after) and back (before, empty
                           before first) through all N, flip-page, ids, an
                           unknown id (item-not-found); every live message's
                           stanza-id equals its archive id; a forged stanza-id
                           by B is replaced; A's archive holds the N once;
                           metadata (#extended); prefs (XEP-0441: always only)
"""
import argparse
import asyncio
import logging
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

HOST, PORT = "198.18.0.2", 5222
DOMAIN = "switchboard.test"
NS_C = "jabber:client"
NS_CARBONS = "urn:xmpp:carbons:2"
NS_FWD = "urn:xmpp:forward:0"
NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_SID = "urn:xmpp:sid:0"
NS_DELAY = "urn:xmpp:delay"
logging.basicConfig(level=logging.ERROR)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.enable_plaintext = True
        self["feature_mechanisms"].unencrypted_plain = True
        self["feature_mechanisms"].unencrypted_scram = True
        self.register_plugin("xep_0030")
        self.started = asyncio.Event()
        self.inbox = asyncio.Queue()
        self.add_event_handler("session_start", self._start)
        self.register_handler(Callback("raw messages", MatchXPath("{%s}message" % NS_C),
                                       lambda m: self.inbox.put_nowait(m.xml)))

    async def _start(self, event):
        self.send_presence()
        self.started.set()

    def go(self):
        self.connect(address=(HOST, PORT), disable_starttls=True, force_starttls=False)


async def online(jid, pw):
    c = Client(jid, pw)
    c.go()
    try:
        await asyncio.wait_for(c.started.wait(), 15)
    except asyncio.TimeoutError:
        fail("%s: no session within 15 s" % jid)
    return c


async def next_msg(c, what, timeout=10):
    try:
        return await asyncio.wait_for(c.inbox.get(), timeout)
    except asyncio.TimeoutError:
        fail("%s: timed out waiting for %s" % (c.boundjid, what))


def body(m):
    b = m.find("{%s}body" % NS_C)
    return b.text if b is not None else None


def forwarded(m, kind):
    """The message inside <kind><forwarded/>, or None."""
    w = m.find("{%s}%s/{%s}forwarded/{%s}message" % (NS_CARBONS, kind, NS_FWD, NS_C))
    return w


async def set_carbons(c, on):
    iq = c.Iq(stype="set")
    iq.append(ET.Element("{%s}%s" % (NS_CARBONS, "enable" if on else "disable")))
    try:
        await iq.send(timeout=10)
    except (IqError, IqTimeout) as e:
        fail("%s: carbons %s refused: %s" % (c.boundjid, on, e))


def send(c, to, text, extra=""):
    c.send_raw("<message to='%s' type='chat'><body>%s</body>%s</message>" % (to, text, extra))


async def expect_body(c, text, what):
    m = await next_msg(c, what)
    if body(m) != text:
        fail("%s: expected %s (body %s), got %s" % (c.boundjid, what, text,
                                                     ET.tostring(m).decode()))
    return m


async def expect_carbon(c, kind, text, frm, to):
    m = await next_msg(c, "<%s/> carbon of %s" % (kind, text))
    inner = forwarded(m, kind)
    if inner is None or body(inner) != text:
        fail("%s: expected a <%s/> carbon of %s, got %s" % (c.boundjid, kind, text,
                                                            ET.tostring(m).decode()))
    if m.get("from") != c.boundjid.bare:
        fail("carbon from %s, not the bare JID %s" % (m.get("from"), c.boundjid.bare))
    if inner.get("from") != frm or inner.get("to") != to:
        fail("carbon's message from=%s to=%s, expected %s -> %s" % (
            inner.get("from"), inner.get("to"), frm, to))
    return inner


def stanza_ids(m, by):
    return [e.get("id") for e in m.findall("{%s}stanza-id" % NS_SID) if e.get("by") == by]


async def disco_has(c, jid, feature):
    info = await c["xep_0030"].get_info(jid=jid, timeout=10)
    if feature not in info["disco_info"]["features"]:
        fail("disco#info of %s lacks %s: %s" % (jid, feature, info["disco_info"]["features"]))


async def mode_carbons(a):
    r1 = await online(a.a + "/r1", a.pwa)
    r2 = await online(a.a + "/r2", a.pwa)
    b1 = await online(a.b + "/b1", a.pwb)
    b2 = await online(a.b + "/b2", a.pwb)
    for c in (r1, r2, b1, b2):
        await set_carbons(c, True)
    a1, bb1 = str(r1.boundjid), str(b1.boundjid)
    send(r1, bb1, "c1")
    m = await expect_body(b1, "c1", "the message itself")
    if len(stanza_ids(m, a.b)) != 1:
        fail("the recipient's message has no single stanza-id by %s: %s" % (
            a.b, ET.tostring(m).decode()))
    await expect_carbon(r2, "sent", "c1", a1, bb1)
    inner = await expect_carbon(b2, "received", "c1", a1, bb1)
    if stanza_ids(inner, a.b) != stanza_ids(m, a.b):
        fail("the received carbon's stanza-id differs from the message's")
    # Private (XEP-0280 §7) and no-copy (XEP-0334): no copies. Then a
    # normal one: the first thing r2 and b2 see must be its carbon.
    send(r1, bb1, "p1", "<private xmlns='urn:xmpp:carbons:2'/>")
    send(r1, bb1, "p2", "<no-copy xmlns='urn:xmpp:hints'/>")
    send(r1, bb1, "c2")
    await expect_body(b1, "p1", "the private message")
    await expect_body(b1, "p2", "the no-copy message")
    await expect_body(b1, "c2", "the message after the private ones")
    await expect_carbon(r2, "sent", "c2", a1, bb1)
    await expect_carbon(b2, "received", "c2", a1, bb1)
    # The other way, to the bare JID: A's two resources both get it (same
    # priority), so neither gets a <received/> copy; B/b2 gets <sent/>.
    send(b1, a.a, "c3")
    await expect_body(r1, "c3", "the message to the bare JID")
    await expect_body(r2, "c3", "the message to the bare JID")
    await expect_carbon(b2, "sent", "c3", bb1, a.a)
    # Disabled: nothing; then a marker after re-enabling on another one.
    await set_carbons(b2, False)
    send(r1, bb1, "c4")
    await expect_body(b1, "c4", "c4")
    await expect_carbon(r2, "sent", "c4", a1, bb1)
    await set_carbons(b2, True)
    send(r1, bb1, "c5")
    await expect_body(b1, "c5", "c5")
    await expect_carbon(b2, "received", "c5", a1, bb1)
    await expect_carbon(r2, "sent", "c5", a1, bb1)
    # To one's own other resource: it gets the message, the sender no copy.
    send(r1, str(r2.boundjid), "self1")
    await expect_body(r2, "self1", "a message from the other resource")
    send(r1, bb1, "c6")
    await expect_body(b1, "c6", "c6")
    await expect_carbon(r2, "sent", "c6", a1, bb1)
    await asyncio.sleep(0.5)
    if not r1.inbox.empty():
        fail("the sender got something back: %s" % ET.tostring(r1.inbox.get_nowait()))
    await disco_has(r1, DOMAIN, NS_CARBONS)
    await disco_has(r1, a.a, NS_MAM)
    await disco_has(r1, a.a, NS_SID)
    for c in (r1, r2, b1, b2):
        c.disconnect()
    print("carbons: sent and received copies, private, no-copy, disable, disco")


class Query:
    """One MAM query: its results (id, stamp, body, from) and its <fin/>."""

    def __init__(self, results, fin):
        self.results = results
        self.fin = fin
        s = fin.find("{%s}set" % NS_RSM)
        self.first = s.findtext("{%s}first" % NS_RSM) if s is not None else None
        self.last = s.findtext("{%s}last" % NS_RSM) if s is not None else None
        self.count = s.findtext("{%s}count" % NS_RSM) if s is not None else None
        self.complete = fin.get("complete") in ("true", "1")
        self.bodies = [r[2] for r in results]


async def mam(c, fields=None, rsm=None, flip=False, expect_error=None):
    iq = c.Iq(stype="set")
    qid = "q%d" % id(iq)
    q = ET.SubElement(iq.xml, "{%s}query" % NS_MAM, {"queryid": qid})
    if fields:
        x = ET.SubElement(q, "{jabber:x:data}x", {"type": "submit"})
        f = ET.SubElement(x, "{jabber:x:data}field", {"var": "FORM_TYPE", "type": "hidden"})
        ET.SubElement(f, "{jabber:x:data}value").text = NS_MAM
        for k, v in fields.items():
            f = ET.SubElement(x, "{jabber:x:data}field", {"var": k})
            for one in (v if isinstance(v, list) else [v]):
                ET.SubElement(f, "{jabber:x:data}value").text = one
    if rsm:
        s = ET.SubElement(q, "{%s}set" % NS_RSM)
        for k, v in rsm.items():
            ET.SubElement(s, "{%s}%s" % (NS_RSM, k)).text = v
    if flip:
        ET.SubElement(q, "{%s}flip-page" % NS_MAM)
    try:
        res = await iq.send(timeout=30)
    except IqError as e:
        cond = e.iq["error"]["condition"]
        if expect_error == cond:
            return None
        fail("query %s %s refused: %s" % (fields, rsm, cond))
    except IqTimeout:
        fail("query %s %s: no answer" % (fields, rsm))
    if expect_error:
        fail("query %s %s: expected %s, got a result" % (fields, rsm, expect_error))
    # The results came before the result iq, on the same stream.
    results = []
    while not c.inbox.empty():
        m = c.inbox.get_nowait()
        r = m.find("{%s}result" % NS_MAM)
        if r is None or r.get("queryid") != qid:
            continue
        fw = r.find("{%s}forwarded" % NS_FWD)
        inner = fw.find("{%s}message" % NS_C)
        stamp = fw.find("{%s}delay" % NS_DELAY).get("stamp")
        results.append((r.get("id"), stamp, body(inner), inner.get("from"), inner))
    return Query(results, res.xml.find("{%s}fin" % NS_MAM))


def check_page(q, want, what, count=None, complete=None):
    if q.bodies != want:
        fail("%s: got %d results %s..., expected %d %s..." % (
            what, len(q.bodies), q.bodies[:3], len(want), want[:3]))
    if want and (q.first != q.results[0][0] or q.last != q.results[-1][0]):
        fail("%s: first/last %s/%s are not the page's ids" % (what, q.first, q.last))
    if count is not None and q.count != str(count):
        fail("%s: count %s, expected %d" % (what, q.count, count))
    if complete is not None and q.complete != complete:
        fail("%s: complete=%s, expected %s" % (what, q.complete, complete))


async def mode_mam(a):
    n = a.n
    ca = await online(a.a + "/ra", a.pwa)
    cb = await online(a.b + "/rb", a.pwb)
    want = ["m%d" % i for i in range(n)]
    live = {}
    for i in range(n):
        send(ca, a.b, want[i])
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    for i in range(n):
        m = await next_msg(cb, "message m%d" % i)
        ids = stanza_ids(m, a.b)
        if body(m) != want[i] or len(ids) != 1:
            fail("live message %d: %s" % (i, ET.tostring(m).decode()))
        live[want[i]] = ids[0]
    with_a = {"with": a.a}
    # Forward through everything, 100 a page.
    got, after, pages = [], None, 0
    while True:
        q = await mam(cb, with_a, {"max": "100", **({"after": after} if after else {})})
        pages += 1
        check_page(q, want[len(got):len(got) + 100], "forward page %d" % pages, count=n)
        got += q.bodies
        for r in q.results:
            if live[r[2]] != r[0]:
                fail("%s: archive id %s, live stanza-id %s" % (r[2], r[0], live[r[2]]))
            if r[3] != str(ca.boundjid):
                fail("%s: archived from %s" % (r[2], r[3]))
        if q.complete:
            break
        after = q.last
        if pages > n // 100 + 2:
            fail("forward paging does not end")
    if got != want:
        fail("forward paging gave %d messages" % len(got))
    # Backward from the last page (empty <before/>).
    got, before, pages = [], "", 0
    while True:
        q = await mam(cb, with_a, {"max": "100", "before": before})
        pages += 1
        end = n - len(got)
        check_page(q, want[max(0, end - 100):end], "backward page %d" % pages, count=n)
        got = q.bodies + got
        if q.complete:
            break
        before = q.first
        if pages > n // 100 + 2:
            fail("backward paging does not end")
    if got != want:
        fail("backward paging gave %d messages" % len(got))
    # Flipped last page: newest first.
    q = await mam(cb, with_a, {"max": "10", "before": ""}, flip=True)
    check_page(q, list(reversed(want[-10:])), "flipped last page")
    # start/end at the stamps of the middle messages (microseconds).
    full = await mam(cb, with_a, {"max": str(n)})
    half = n // 2
    stamps = [r[1] for r in full.results]
    if len(stamps) != n or len(set(stamps)) != n:
        fail("stamps are not unique per message")
    q = await mam(cb, {"with": a.a, "start": stamps[half]}, {"max": str(n)})
    check_page(q, want[half:], "start", count=n - half, complete=True)
    q = await mam(cb, {"with": a.a, "end": stamps[half - 1]}, {"max": str(n)})
    check_page(q, want[:half], "end", count=half, complete=True)
    q = await mam(cb, {"start": stamps[10], "end": stamps[19]}, {"max": "5"})
    check_page(q, want[10:15], "start+end", count=10, complete=False)
    # with: a wrong resource, another user; a full JID that matches.
    q = await mam(cb, {"with": a.a + "/nope"})
    check_page(q, [], "with a wrong resource", count=0, complete=True)
    q = await mam(cb, {"with": str(ca.boundjid)}, {"max": "3"})
    check_page(q, want[:3], "with the full JID", count=n)
    q = await mam(cb, {"with": "nobody@" + DOMAIN})
    check_page(q, [], "with another user", count=0, complete=True)
    # ids (#extended), single-item retrieval, unknown ids.
    q = await mam(cb, {"ids": [live["m7"], live["m3"]]})
    check_page(q, ["m7", "m3"], "ids")
    await mam(cb, with_a, {"after": "0123456789abcdef"}, expect_error="item-not-found")
    await mam(cb, {"after-id": "fedcba9876543210"}, expect_error="item-not-found")
    q = await mam(cb, {"after-id": live["m%d" % (n - 3)]})
    check_page(q, want[-2:], "after-id", count=2, complete=True)
    # A forged stanza-id by B is replaced; another's is kept.
    send(ca, a.b, "forged", "<stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='forged'/>"
         "<stanza-id xmlns='urn:xmpp:sid:0' by='other@%s' id='keep'/>" % (a.b, DOMAIN))
    m = await expect_body(cb, "forged", "the forged message")
    ids = stanza_ids(m, a.b)
    if len(ids) != 1 or ids[0] == "forged" or stanza_ids(m, "other@" + DOMAIN) != ["keep"]:
        fail("forged stanza-id not replaced: %s" % ET.tostring(m).decode())
    # #extended metadata: the oldest and newest records.
    iq = cb.Iq(stype="get")
    ET.SubElement(iq.xml, "{%s}metadata" % NS_MAM)
    md = (await iq.send(timeout=10)).xml.find("{%s}metadata" % NS_MAM)
    if md.find("{%s}start" % NS_MAM).get("id") != live["m0"] or \
            md.find("{%s}end" % NS_MAM).get("id") != ids[0]:
        fail("metadata start/end are not m0 and the last message: %s" % ET.tostring(md))
    # XEP-0441: everything is archived; only default='always' is accepted.
    iq = cb.Iq(stype="get")
    ET.SubElement(iq.xml, "{%s}prefs" % NS_MAM)
    pr = (await iq.send(timeout=10)).xml.find("{%s}prefs" % NS_MAM)
    if pr is None or pr.get("default") != "always":
        fail("prefs: %s" % ET.tostring(pr))
    iq = cb.Iq(stype="set")
    ET.SubElement(iq.xml, "{%s}prefs" % NS_MAM, {"default": "never"})
    try:
        await iq.send(timeout=10)
        fail("prefs default='never' was accepted")
    except IqError as e:
        if e.iq["error"]["condition"] != "feature-not-implemented":
            fail("prefs default='never': %s" % e.iq["error"]["condition"])
    # The sender's archive: each message once, the forged one too.
    q = await mam(ca, {"with": a.b}, {"max": str(n + 1)})
    check_page(q, want + ["forged"], "sender's archive", count=n + 1, complete=True)
    ca.disconnect()
    cb.disconnect()
    print("mam: %d messages, forward and backward paging, flip, start/end, with, ids, "
          "item-not-found, stanza-id" % n)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("carbons")
    for k in ("a", "pwa", "b", "pwb"):
        s.add_argument(k)
    s = sub.add_parser("mam")
    for k in ("a", "pwa", "b", "pwb"):
        s.add_argument(k)
    s.add_argument("n", type=int)
    a = p.parse_args()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    fn = {"carbons": mode_carbons, "mam": mode_mam}[a.mode]
    try:
        loop.run_until_complete(asyncio.wait_for(fn(a), 300))
    except asyncio.TimeoutError:
        fail("%s: over 300 s" % a.mode)


if __name__ == "__main__":
    main()
