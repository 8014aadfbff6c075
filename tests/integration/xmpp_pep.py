#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""PEP (XEP-0163) against the gateway with slixmpp clients (xep_0030,
xep_0060, xep_0115, xep_0163): publishing with publish-options, events to
contacts whose caps carry +notify, access models, precondition-not-met
and the owner's configure form (get, submit, publish again), items by id,
disco#items filtered by access, retract with notify, last items at login,
limits. Every step is bounded in time; a failure exits non-zero with one
line saying what went wrong. A and B have a mutual subscription (the shell
script makes it with xmpp_im.py subscribe); C is no contact of A.

  pep A PWA B PWB C PWC ITEM_MAX NODES_MAX ITEMS_MAX
  more O PWO P PWP Q PWQ  XEP-0398 both ways and the presence hash (broadcast,
                          a probe answer, directed), node delete
                          and purge events, the
                          roster access model; O and P have a mutual
                          subscription, Q none (O puts it in another group)
  bench A PWA B PWB N     A publishes N device lists one after another
                          (each awaits its result); prints publishes/s and
                          the publish-to-event latency at contact B
                          (figures for docs/BENCHMARKS.md, never asserted)
"""
import time
import base64
import hashlib
import asyncio
import logging
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from xmpp_im import DOMAIN, HOST, PORT, fail

PS = "http://jabber.org/protocol/pubsub"
EV = "http://jabber.org/protocol/pubsub#event"
OWNER = "http://jabber.org/protocol/pubsub#owner"
DEVLIST = "eu.siacs.conversations.axolotl.devicelist"
OMEMO2 = "urn:xmpp:omemo:2:devices"
BOOKMARKS = "urn:xmpp:bookmarks:1"
AVATAR_META = "urn:xmpp:avatar:metadata"
AVATAR_DATA = "urn:xmpp:avatar:data"
VCARD = "vcard-temp"
ROSTER_NODE = "urn:example:sb:roster-node"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
logging.basicConfig(level=logging.ERROR)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, interests):
        super().__init__(jid, password)
        self.enable_plaintext = True
        self["feature_mechanisms"].unencrypted_plain = True
        self["feature_mechanisms"].unencrypted_scram = True
        for p in ("xep_0030", "xep_0060", "xep_0115", "xep_0163"):
            self.register_plugin(p)
        self.interests = interests
        self.auto_authorize = None
        self.auto_subscribe = False
        self.started = asyncio.Event()
        self.events = asyncio.Queue()
        self.add_event_handler("session_start", self._start)
        # The server's caps query (im_caps.c): seen, so the test knows when
        # the interest is about to be known rather than sleeping blind.
        self.caps_asked = asyncio.Event()
        self.register_handler(Callback(
            "caps query", MatchXPath("{jabber:client}iq/{%s}query" % DISCO_INFO),
            self._caps_query))
        self.register_handler(Callback(
            "pep events", MatchXPath("{jabber:client}message/{%s}event" % EV),
            lambda m: self.events.put_nowait(m)))
        self.presences = asyncio.Queue()
        self.add_event_handler("presence_available", lambda p: self.presences.put_nowait(p))

    def _caps_query(self, iq):
        if iq["type"] == "get" and iq["id"].startswith("sbcaps-"):
            self.caps_asked.set()

    async def _start(self, event):
        for ns in self.interests:
            self["xep_0163"].add_interest(ns)
        await self["xep_0115"].update_caps(broadcast=False)
        await self.get_roster()
        self.send_presence()
        self.started.set()

    def go(self):
        self.connect(address=(HOST, PORT), disable_starttls=True, force_starttls=False)


async def caps_known(*clients, cached_ok=False):
    """Each client got the server's caps query (answered at once by
    slixmpp); then a moment for the answer to reach the server. With
    cached_ok, a ver the shard already knows may have needed no query."""
    for c in clients:
        try:
            await asyncio.wait_for(c.caps_asked.wait(), 3 if cached_ok else 10)
        except asyncio.TimeoutError:
            if not cached_ok:
                fail("%s: no caps query from the server within 10 s" % c.boundjid)
    await asyncio.sleep(0.3)


async def online(jid, pw, interests):
    c = Client(jid, pw, interests)
    c.go()
    try:
        await asyncio.wait_for(c.started.wait(), 15)
    except asyncio.TimeoutError:
        fail("%s: no session within 15 s" % jid)
    return c


def x(s):
    return ET.fromstring(s)


def options(**kw):
    f = ("<publish-options><x xmlns='jabber:x:data' type='submit'>"
         "<field var='FORM_TYPE' type='hidden'><value>%s#publish-options</value></field>" % PS)
    for k, v in kw.items():
        f += "<field var='pubsub#%s'><value>%s</value></field>" % (k, v)
    return f + "</x></publish-options>"


async def publish(c, node, item_id, payload, opts="", to=None):
    iq = c.Iq(stype="set")
    if to:
        iq["to"] = to
    iq.append(x("<pubsub xmlns='%s'><publish node='%s'><item id='%s'>%s</item></publish>%s"
                "</pubsub>" % (PS, node, item_id, payload, opts)))
    return await iq.send(timeout=10)


async def items(c, owner, node, max_items=None):
    iq = c.Iq(stype="get")
    iq["to"] = owner
    m = " max_items='%d'" % max_items if max_items else ""
    iq.append(x("<pubsub xmlns='%s'><items node='%s'%s/></pubsub>" % (PS, node, m)))
    res = await iq.send(timeout=10)
    return res.xml.findall("{%s}pubsub/{%s}items/{%s}item" % (PS, PS, PS))


async def refused(coro, cond, app, what):
    try:
        await coro
    except IqError as e:
        err = e.iq.xml.find("{jabber:client}error")
        got = [ch.tag.split("}")[1] for ch in err] if err is not None else []
        if cond not in got or (app and app not in got):
            fail("%s: error %s, expected %s %s" % (what, got, cond, app))
        return
    except IqTimeout:
        fail("%s: no answer" % what)
    fail("%s: accepted, expected %s %s" % (what, cond, app))


async def event(c, node, what, timeout=10):
    try:
        m = await asyncio.wait_for(c.events.get(), timeout)
    except asyncio.TimeoutError:
        fail("%s: no event for %s at %s" % (what, node, c.boundjid))
    its = m.xml.find("{%s}event/{%s}items" % (EV, EV))
    if its is None or its.get("node") != node:
        fail("%s: event for another node: %s" % (what, m))
    return m, its


async def no_event(c, what, timeout=1.5):
    try:
        m = await asyncio.wait_for(c.events.get(), timeout)
    except asyncio.TimeoutError:
        return
    fail("%s: unexpected event at %s: %s" % (what, c.boundjid, m))


async def create(c, node, access):
    iq = c.Iq(stype="set")
    iq.append(x("<pubsub xmlns='%s'><create node='%s'/><configure><x xmlns='jabber:x:data' "
                "type='submit'><field var='FORM_TYPE'><value>%s#node_config</value></field>"
                "<field var='pubsub#access_model'><value>%s</value></field></x>"
                "</configure></pubsub>" % (PS, node, PS, access)))
    return await iq.send(timeout=10)


async def configure(c, node, access):
    iq = c.Iq(stype="set")
    iq.append(x("<pubsub xmlns='%s'><configure node='%s'><x xmlns='jabber:x:data' "
                "type='submit'><field var='FORM_TYPE'><value>%s#node_config</value></field>"
                "<field var='pubsub#access_model'><value>%s</value></field></x>"
                "</configure></pubsub>" % (OWNER, node, PS, access)))
    await iq.send(timeout=10)


def devices(ids):
    return "<list xmlns='eu.siacs.conversations.axolotl'>%s</list>" % "".join(
        "<device id='%d'/>" % i for i in ids)


async def mode_pep(a, pwa, b, pwb, c, pwc, item_max, nodes_max, items_max):
    ca = await online(a + "/phone", pwa, [DEVLIST, BOOKMARKS])
    cb = await online(b + "/laptop", pwb, [DEVLIST, BOOKMARKS, AVATAR_META])
    cc = await online(c + "/desk", pwc, [DEVLIST])
    await caps_known(ca, cb, cc)

    # Disco on the account: the PEP identity and features (XEP-0163 §6).
    info = await cb["xep_0030"].get_info(jid=a, timeout=10)
    ids = [(i[0], i[1]) for i in info["disco_info"]["identities"]]
    feats = info["disco_info"]["features"]
    if ("pubsub", "pep") not in ids or PS + "#publish-options" not in feats:
        fail("account disco: identities %s, features %s" % (ids, feats))

    # An OMEMO device list, open: the contact with +notify gets it, and
    # so does the owner's own resource.
    await publish(ca, DEVLIST, "current", devices([11, 22]), options(access_model="open"))
    for cl in (cb, ca):
        m, its = await event(cl, DEVLIST, "device list")
        if str(m["from"]) != a or "22" not in ET.tostring(its).decode():
            fail("device list event from %s: %s" % (m["from"], m))
    await no_event(cc, "a non-contact")
    # A bookmark, whitelist: the owner's resource only.
    bm = "<conference xmlns='%s' name='Room' autojoin='true'><nick>a</nick></conference>" % \
        BOOKMARKS
    await publish(ca, BOOKMARKS, "room@muc." + DOMAIN, bm,
                  options(persist_items="true", max_items="max",
                          send_last_published_item="never", access_model="whitelist"))
    await event(ca, BOOKMARKS, "own bookmark")
    await no_event(cb, "whitelist bookmark at a contact")
    # XEP-0402 §3 compat: the node through XEP-0049 private storage, both ways.
    iq = ca.Iq(stype="get")
    iq.append(x("<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>"))
    res = await iq.send(timeout=10)
    confs = res.xml.findall(".//{storage:bookmarks}conference")
    if [(c.get("jid"), c.get("autojoin"), c.findtext("{storage:bookmarks}nick"))
            for c in confs] != [("room@muc." + DOMAIN, "true", "a")]:
        fail("private storage:bookmarks from the node: %s" % ET.tostring(res.xml))
    iq = ca.Iq(stype="set")
    iq.append(x("<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>"
                "<conference jid='one@muc.%s' name='One &amp; only' autojoin='false'>"
                "<nick>n1</nick></conference><conference jid='two@muc.%s'/>"
                "</storage></query>" % (DOMAIN, DOMAIN)))
    await iq.send(timeout=10)
    for want in ("one@muc.", "two@muc."):
        m, its = await event(ca, BOOKMARKS, "bookmark set through private storage")
        if its.find("{%s}item" % EV).get("id") != want + DOMAIN:
            fail("compat event: %s" % m)
    got = await items(ca, a, BOOKMARKS)
    if [(i.get("id"), i.find("{%s}conference" % BOOKMARKS).get("name")) for i in got] != [
            ("one@muc." + DOMAIN, "One & only"), ("two@muc." + DOMAIN, None)]:
        fail("bookmarks node after a private set: %s" % [ET.tostring(i) for i in got])
    await no_event(cb, "compat bookmarks at a contact")
    # Avatar metadata, default (presence) access.
    await publish(ca, AVATAR_META, "abc", "<metadata xmlns='%s'/>" % AVATAR_META)
    await event(cb, AVATAR_META, "avatar metadata")

    # Access: C reads the open node, not the whitelist or presence ones.
    got = await items(cc, a, DEVLIST)
    if len(got) != 1 or got[0].get("id") != "current":
        fail("non-contact read of the open device list: %s" % got)
    await refused(items(cc, a, BOOKMARKS), "not-allowed", "closed-node", "C reads bookmarks")
    await refused(items(cc, a, AVATAR_META), "not-authorized",
                  "presence-subscription-required", "C reads avatar metadata")
    await refused(items(cb, a, BOOKMARKS), "not-allowed", "closed-node", "B reads bookmarks")
    if len(await items(cb, a, AVATAR_META)) != 1:
        fail("contact read of the presence node")
    if len(await items(ca, a, BOOKMARKS)) != 2:
        fail("owner read of the bookmarks")
    await refused(publish(cb, DEVLIST, "x", devices([1]), to=a), "forbidden", None,
                  "B publishes to A's node")

    # Publish-options that the node does not satisfy (XEP-0060 §7.1.5).
    await refused(publish(ca, DEVLIST, "current", devices([11]),
                          options(access_model="whitelist")),
                  "conflict", "precondition-not-met", "conflicting access_model")
    await refused(publish(ca, OMEMO2, "current", devices([1]),
                          options(access_model="authorize")),
                  "conflict", "precondition-not-met", "unsupported access_model")
    # Filtered notifications: a node no resource has +notify for reaches none.
    await publish(ca, OMEMO2, "current", "<devices xmlns='urn:xmpp:omemo:2'/>",
                  options(access_model="open"))
    await no_event(cb, "a node without +notify at the contact")
    await no_event(ca, "a node without +notify at the owner", timeout=0.2)
    # What a client does then (Conversations): the owner's configure form,
    # submitted with the option it wants, and the publish again.
    iq = ca.Iq(stype="get")
    iq.append(x("<pubsub xmlns='%s'><configure node='%s'/></pubsub>" % (OWNER, DEVLIST)))
    res = await iq.send(timeout=10)
    vals = {f.get("var"): f.findtext("{jabber:x:data}value")
            for f in res.xml.iter("{jabber:x:data}field")}
    if vals.get("pubsub#access_model") != "open":
        fail("configure form: %s" % vals)
    await configure(ca, DEVLIST, "whitelist")
    await publish(ca, DEVLIST, "current", devices([11, 22]), options(access_model="whitelist"))
    await event(ca, DEVLIST, "own device list, whitelist")
    await no_event(cb, "whitelist device list at a contact")
    await refused(items(cc, a, DEVLIST), "not-allowed", "closed-node", "C reads whitelist list")
    await refused(publish(ca, DEVLIST, "current", devices([11, 22]),
                          options(access_model="open")),
                  "conflict", "precondition-not-met", "open asked of a whitelist node")
    await configure(ca, DEVLIST, "open")
    await publish(ca, DEVLIST, "current", devices([11, 22]), options(access_model="open"))
    await event(ca, DEVLIST, "own device list, open again")
    await event(cb, DEVLIST, "device list, open again")
    # Items by id; the account's nodes in disco#items, as the asker may read them.
    iq = cc.Iq(stype="get")
    iq["to"] = a
    iq.append(x("<pubsub xmlns='%s'><items node='%s'><item id='current'/><item id='nope'/>"
                "</items></pubsub>" % (PS, DEVLIST)))
    got = (await iq.send(timeout=10)).xml.findall(".//{%s}item" % PS)
    if [i.get("id") for i in got] != ["current"]:
        fail("items by id: %s" % got)
    for cl, want, not_want in ((cc, DEVLIST, AVATAR_META), (cb, AVATAR_META, BOOKMARKS),
                               (ca, BOOKMARKS, None)):
        res = await cl["xep_0030"].get_items(jid=a, timeout=10)
        nodes = [i[1] for i in res["disco_items"]["items"]]
        if want not in nodes or (not_want and not_want in nodes):
            fail("disco#items of %s for %s: %s" % (a, cl.boundjid, nodes))

    # Limits.
    await refused(publish(ca, "big", "1", "<b xmlns='t'>%s</b>" % ("x" * item_max)),
                  "not-acceptable", "payload-too-big", "item over im.pep_item_max_bytes")
    await refused(publish(ca, "many", "1", "<m xmlns='t'/>",
                          options(max_items=str(items_max + 1))),
                  "policy-violation", "max-items-exceeded", "max_items over im.pep_max_items")
    await refused(publish(ca, "n" * 600, "1", "<n xmlns='t'/>"), "not-acceptable", None,
                  "a node name past the store's key")
    await refused(items(cc, a, "n" * 600), "item-not-found", None, "items of a too long node")
    await publish(ca, "keep2", "1", "<k xmlns='t'/>", options(max_items="2"))
    await publish(ca, "keep2", "2", "<k xmlns='t'/>")
    await publish(ca, "keep2", "3", "<k xmlns='t'/>")
    kept = [i.get("id") for i in await items(ca, a, "keep2")]
    if kept != ["2", "3"]:
        fail("max_items 2 kept %s" % kept)
    n = 5   # devicelist, omemo:2, bookmarks, avatar metadata, keep2
    while n < nodes_max:
        await publish(ca, "node%d" % n, "1", "<n xmlns='t'/>")
        n += 1
    await refused(publish(ca, "one-too-many", "1", "<n xmlns='t'/>"),
                  "resource-constraint", "max-nodes-exceeded", "nodes past im.pep_max_nodes")
    # Owner configuration and delete make room again.
    iq = ca.Iq(stype="set")
    iq.append(x("<pubsub xmlns='%s'><delete node='node5'/></pubsub>" % OWNER))
    await iq.send(timeout=10)
    await publish(ca, "one-too-many", "1", "<n xmlns='t'/>")
    # Explicit creation (XEP-0060 §8.1.3), under the same node limit.
    await refused(create(ca, "made", "open"), "resource-constraint", "max-nodes-exceeded",
                  "create past im.pep_max_nodes")
    iq = ca.Iq(stype="set")
    iq.append(x("<pubsub xmlns='%s'><delete node='one-too-many'/></pubsub>" % OWNER))
    await iq.send(timeout=10)
    await create(ca, "made", "open")
    await refused(create(ca, "made", "open"), "conflict", None, "create of an existing node")
    if await items(cc, a, "made") != []:
        fail("a created node is not empty")

    # Retract with notify.
    await publish(ca, DEVLIST, "old", devices([5]))
    await event(cb, DEVLIST, "second item")
    iq = ca.Iq(stype="set")
    iq.append(x("<pubsub xmlns='%s'><retract node='%s' notify='true'><item id='old'/>"
                "</retract></pubsub>" % (PS, DEVLIST)))
    await iq.send(timeout=10)
    m, its = await event(cb, DEVLIST, "retract")
    if its.find("{%s}retract" % EV) is None or its.find("{%s}retract" % EV).get("id") != "old":
        fail("retract event: %s" % m)

    # B goes; A publishes; B back: the last items at its available presence.
    cb.disconnect()
    await asyncio.sleep(0.5)
    await publish(ca, DEVLIST, "current", devices([11, 22, 33]))
    await asyncio.sleep(0.3)
    cb2 = await online(b + "/laptop2", pwb, [DEVLIST, BOOKMARKS, AVATAR_META])
    seen = {}
    for _ in range(2):
        try:
            m = await asyncio.wait_for(cb2.events.get(), 5)
        except asyncio.TimeoutError:
            break
        its = m.xml.find("{%s}event/{%s}items" % (EV, EV))
        seen[its.get("node")] = ET.tostring(its).decode()
    if DEVLIST not in seen or "33" not in seen[DEVLIST] or AVATAR_META not in seen:
        fail("last items at login: %s" % list(seen))
    if BOOKMARKS in seen:
        fail("a whitelist bookmark was sent to a contact at login")
    await no_event(cb2, "more last items")
    for cl in (ca, cb2, cc):
        cl.disconnect()
    print("pep: publish-options, +notify events, access models, precondition, configure, "
          "items by id, disco#items, limits, retract, last items at login")


async def mode_bench(a, pwa, b, pwb, n):
    ca = await online(a + "/bench", pwa, [])
    cb = await online(b + "/bench", pwb, [DEVLIST])
    await caps_known(cb, cached_ok=True)
    sent = {}
    lat = []

    async def collect():
        while len(lat) < n:
            m, its = await event(cb, DEVLIST, "bench event", timeout=10)
            i = its.find("{%s}item" % EV).get("id")
            if i in sent:   # not the last item sent at login
                lat.append(time.monotonic() - sent[i])
    # 300 plain iq round trips first: what the connection costs without PEP.
    t0 = time.monotonic()
    for i in range(300):
        await ca["xep_0030"].get_info(jid=a, timeout=5, cached=False)
    print("bench: disco#info round trip before %.2f ms (300 in a row)" % (
        (time.monotonic() - t0) * 1e3 / 300))
    task = asyncio.ensure_future(collect())
    t0 = time.monotonic()
    for i in range(n):
        sent[str(i)] = time.monotonic()
        await publish(ca, DEVLIST, str(i), devices([i, i + 1]), options(access_model="open"))
    t1 = time.monotonic()
    await asyncio.wait_for(task, 30)
    lat.sort()
    print("bench: %d publishes in %.2f s: %.0f/s; event at the contact p50 %.2f ms "
          "p99 %.2f ms max %.2f ms" % (n, t1 - t0, n / (t1 - t0), lat[n // 2] * 1e3,
                                       lat[min(n - 1, n * 99 // 100)] * 1e3, lat[-1] * 1e3))
    # The same client's plain iq round trip (disco#info of its account), to
    # tell what a publish adds to the path.
    t0 = time.monotonic()
    for i in range(100):
        await ca["xep_0030"].get_info(jid=a, timeout=5, cached=False)
    print("bench: disco#info round trip %.2f ms (100 in a row)" % (
        (time.monotonic() - t0) * 10))
    ca.disconnect()
    cb.disconnect()


async def node_event(c, node, what, kind, timeout=10):
    """The next event at c is <kind node='node'/> (delete, purge)."""
    try:
        m = await asyncio.wait_for(c.events.get(), timeout)
    except asyncio.TimeoutError:
        fail("%s: no %s event for %s at %s" % (what, kind, node, c.boundjid))
    e = m.xml.find("{%s}event/{%s}%s" % (EV, EV, kind))
    if e is None or e.get("node") != node:
        fail("%s: expected <%s node='%s'/>: %s" % (what, kind, node, m))


def drain(c):
    while not c.events.empty():
        c.events.get_nowait()


def drain_presence(c):
    while not c.presences.empty():
        c.presences.get_nowait()


async def vcard_get(c, owner):
    iq = c.Iq(stype="get")
    iq["to"] = owner
    iq.append(x("<vCard xmlns='%s'/>" % VCARD))
    res = await iq.send(timeout=10)
    v = res.xml.find("{%s}vCard" % VCARD)
    if v is None:
        fail("vCard get of %s by %s: %s" % (owner, c.boundjid, res))
    photos = v.findall("{%s}PHOTO" % VCARD)
    if len(photos) > 1:
        fail("vCard of %s with %d PHOTOs" % (owner, len(photos)))
    if not photos:
        return v, None, None
    return v, photos[0].findtext("{%s}TYPE" % VCARD), \
        "".join((photos[0].findtext("{%s}BINVAL" % VCARD) or "").split())


async def photo_hash(c, frm, what):
    """The XEP-0153 photo of the next available presence from frm's
    resources at c: None without <x xmlns='vcard-temp:x:update'/>."""
    end = time.monotonic() + 10
    while True:
        try:
            pr = await asyncio.wait_for(c.presences.get(), max(0.1, end - time.monotonic()))
        except asyncio.TimeoutError:
            fail("%s: no presence from %s at %s" % (what, frm, c.boundjid))
        if pr["from"].bare != frm:
            continue
        x_ = pr.xml.find("{vcard-temp:x:update}x")
        return None if x_ is None else (x_.findtext("{vcard-temp:x:update}photo") or "")


async def mode_more(o, pwo, p, pwp, q, pwq):
    img1, img2 = b"\x89PNG first avatar" * 20, b"GIF89a second avatar" * 30
    b64_1, b64_2 = base64.b64encode(img1).decode(), base64.b64encode(img2).decode()
    id1, id2 = hashlib.sha1(img1).hexdigest(), hashlib.sha1(img2).hexdigest()
    co = await online(o + "/phone", pwo, [AVATAR_META])
    cp = await online(p + "/laptop", pwp, [AVATAR_META, ROSTER_NODE])
    cq = await online(q + "/desk", pwq, [AVATAR_META, ROSTER_NODE, DEVLIST])
    await caps_known(co, cp, cq, cached_ok=True)
    # O's roster: P (mutual subscription) in "friends", Q (none) in "work".
    for jid, group in ((p, "friends"), (q, "work")):
        iq = co.Iq(stype="set")
        iq.append(x("<query xmlns='jabber:iq:roster'><item jid='%s'><group>%s</group></item>"
                    "</query>" % (jid, group)))
        await iq.send(timeout=10)

    info = await cp["xep_0030"].get_info(jid=o, timeout=10)
    feats = info["disco_info"]["features"]
    for f in ("urn:xmpp:pep-vcard-conversion:0", PS + "#access-roster", PS + "#purge-nodes"):
        if f not in feats:
            fail("account disco lacks %s: %s" % (f, feats))

    # XEP-0398 §4: an XEP-0084 publish shows in the vCard, as the
    # avatar nodes' access model lets the asker read them.
    await publish(co, AVATAR_DATA, id1, "<data xmlns='%s'>%s</data>" % (AVATAR_DATA, b64_1))
    await publish(co, AVATAR_META, id1,
                  "<metadata xmlns='%s'><info bytes='%d' id='%s' type='image/png'/></metadata>"
                  % (AVATAR_META, len(img1), id1))
    await event(cp, AVATAR_META, "avatar metadata published")
    for cl in (cp, co):
        v, t, b = await vcard_get(cl, o)
        if t != "image/png" or b != b64_1:
            fail("vCard PHOTO after an avatar publish at %s: %s %s" % (
                cl.boundjid, t, (b or "")[:40]))
    v, t, b = await vcard_get(cq, o)
    if t is not None:
        fail("a non-contact sees the presence-only avatar in the vCard")
    # §4: the hash in O's presence, once it has an avatar.
    if await photo_hash(cp, o, "O's presence before the avatar") is not None:
        fail("a presence without avatar got a vcard-temp:x:update hash")
    # A contact's resource logging in now: O's shard answers its probe with
    # the presence O sent before it had an avatar, and the hash in it.
    cp2 = await online(p + "/tablet", pwp, [])
    h = await photo_hash(cp2, o, "probe answer after the avatar publish")
    if h != id1:
        fail("probe answer hash %r, expected the avatar's id %s" % (h, id1))
    cp2.disconnect()
    drain_presence(cp)
    co.send_presence(pstatus="with avatar")
    h = await photo_hash(cp, o, "presence after the avatar publish")
    if h != id1:
        fail("presence hash %r, expected the avatar's id %s" % (h, id1))

    # XEP-0398 §3: a vCard set with a PHOTO publishes the avatar.
    drain(co)
    vc = ("<vCard xmlns='%s'><FN>Owner</FN><PHOTO><TYPE>image/gif</TYPE><BINVAL>%s\n%s"
          "</BINVAL></PHOTO></vCard>" % (VCARD, b64_2[:40], b64_2[40:]))
    iq = co.Iq(stype="set")
    iq.append(x(vc))
    await iq.send(timeout=10)
    m, its = await event(cp, AVATAR_META, "avatar metadata from a vCard set")
    info = its.find("{%s}item/{%s}metadata/{%s}info" % (EV, AVATAR_META, AVATAR_META))
    if info is None or (info.get("id"), info.get("bytes"), info.get("type")) != (
            id2, str(len(img2)), "image/gif") or its.find("{%s}item" % EV).get("id") != id2:
        fail("metadata event of a vCard PHOTO: %s" % ET.tostring(its).decode())
    got = await items(cp, o, AVATAR_DATA)
    if [i.get("id") for i in got] != [id2] or \
            got[0].findtext("{%s}data" % AVATAR_DATA).strip() != b64_2:
        fail("avatar data node after a vCard set: %s" % [ET.tostring(i) for i in got])
    v, t, b = await vcard_get(cp, o)
    if v.findtext("{%s}FN" % VCARD) != "Owner" or t != "image/gif" or b != b64_2:
        fail("vCard after a vCard set: FN %s, PHOTO %s" % (v.findtext("{%s}FN" % VCARD), t))
    drain_presence(cp)
    co.send_presence(pstatus="new avatar")
    if await photo_hash(cp, o, "presence after the vCard set") != id2:
        fail("presence hash after a vCard set is not the new image's")
    # A client's own (empty) photo element is left as it is.
    drain_presence(cp)
    pr = co.make_presence(pstatus="own photo")   # xep_0115 adds the caps as before
    pr.append(x("<x xmlns='vcard-temp:x:update'><photo/></x>"))
    pr.send()
    if await photo_hash(cp, o, "presence with the client's own photo") != "":
        fail("the client's own empty photo was overwritten")
    # Directed presence (a group chat join's kind) to Q, no contact: the hash
    # too, whatever the last broadcast carried.
    drain_presence(cq)
    co.send_presence(pto=q, pstatus="directed")
    h = await photo_hash(cq, o, "directed presence")
    if h != id2:
        fail("directed presence hash %r, expected the avatar's id %s" % (h, id2))
    # The same PHOTO again (a client setting back what it got): no new publish.
    iq = co.Iq(stype="set")
    iq.append(x(vc))
    await iq.send(timeout=10)
    await no_event(cp, "the same vCard PHOTO set again")
    await no_event(cq, "avatar metadata at a non-contact", timeout=0.2)

    # XEP-0060 §8.4.2: a node's deletion is told to the owner's resources
    # and to the contacts that got its items, not to others.
    drain(co)
    iq = co.Iq(stype="set")
    iq.append(x("<pubsub xmlns='%s'><delete node='%s'/></pubsub>" % (OWNER, AVATAR_META)))
    await iq.send(timeout=10)
    await node_event(cp, AVATAR_META, "node delete at a contact", "delete")
    await node_event(co, AVATAR_META, "node delete at the owner", "delete")
    await no_event(cq, "node delete at a non-contact")
    await refused(items(cp, o, AVATAR_META), "item-not-found", None, "items of a deleted node")

    # The roster access model: contacts in the node's groups read it.
    await publish(co, ROSTER_NODE, "r1", "<r xmlns='urn:example'/>",
                  options(access_model="roster", roster_groups_allowed="friends"))
    await event(cp, ROSTER_NODE, "roster node, contact in the group")
    await no_event(cq, "roster node, outside the group")
    if [i.get("id") for i in await items(cp, o, ROSTER_NODE)] != ["r1"]:
        fail("roster node read by a contact in the group")
    await refused(items(cq, o, ROSTER_NODE), "not-authorized", "not-in-roster-group",
                  "roster node read from outside the group")
    res = await cp["xep_0030"].get_items(jid=o, timeout=10)
    if ROSTER_NODE not in [i[1] for i in res["disco_items"]["items"]]:
        fail("disco#items: the roster node not listed for a contact in the group")
    res = await cq["xep_0030"].get_items(jid=o, timeout=10)
    if ROSTER_NODE in [i[1] for i in res["disco_items"]["items"]]:
        fail("disco#items: the roster node listed outside the group")
    iq = co.Iq(stype="get")
    iq.append(x("<pubsub xmlns='%s'><configure node='%s'/></pubsub>" % (OWNER, ROSTER_NODE)))
    res = await iq.send(timeout=10)
    fields = {f.get("var"): [v.text for v in f.findall("{jabber:x:data}value")]
              for f in res.xml.iter("{jabber:x:data}field")}
    if fields.get("pubsub#access_model") != ["roster"] or \
            fields.get("pubsub#roster_groups_allowed") != ["friends"]:
        fail("configure form of the roster node: %s" % fields)
    await refused(publish(co, ROSTER_NODE, "r2", "<r xmlns='urn:example'/>",
                          options(access_model="roster", roster_groups_allowed="work")),
                  "conflict", "precondition-not-met", "other roster groups asked")
    # Purge (XEP-0060 §8.5): no items left, a <purge/> event.
    iq = co.Iq(stype="set")
    iq.append(x("<pubsub xmlns='%s'><purge node='%s'/></pubsub>" % (OWNER, ROSTER_NODE)))
    await iq.send(timeout=10)
    await node_event(cp, ROSTER_NODE, "purge at a contact in the group", "purge")
    await no_event(cq, "purge outside the group")
    if await items(cp, o, ROSTER_NODE) != []:
        fail("items after a purge")
    for cl in (co, cp, cq):
        cl.disconnect()
    print("more: XEP-0398 avatar to vCard, vCard to avatar, presence hash, delete and purge "
          "events, roster access model")


def main():
    if len(sys.argv) == 8 and sys.argv[1] == "more":
        try:
            asyncio.get_event_loop().run_until_complete(
                asyncio.wait_for(mode_more(*sys.argv[2:8]), 90))
        except asyncio.TimeoutError:
            fail("more: over 90 s")
        return
    if len(sys.argv) == 7 and sys.argv[1] == "bench":
        args = sys.argv[2:6] + [int(sys.argv[6])]
        try:
            asyncio.get_event_loop().run_until_complete(
                asyncio.wait_for(mode_bench(*args), 120))
        except asyncio.TimeoutError:
            fail("bench: over 120 s")
        return
    if len(sys.argv) != 11 or sys.argv[1] != "pep":
        fail("usage: pep A PWA B PWB C PWC ITEM_MAX NODES_MAX ITEMS_MAX")
    args = sys.argv[2:8] + [int(v) for v in sys.argv[8:11]]
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.wait_for(mode_pep(*args), 90))
    except asyncio.TimeoutError:
        fail("pep: over 90 s")


if __name__ == "__main__":
    main()
