#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Issue 17's bad input that test_xmpp_im.sh and test_xmpp_block.sh leave
out, each checked from both sides: what the offender gets back, and that
the other user involved sees nothing of it (slixmpp clients, helpers from
xmpp_im.py and xmpp_block.py). Every mode is bounded in time.

  flood-one A PW B PWB N   A sends B N subscription requests: B gets one
                           (RFC 6121 §3.1.3: a pending request is not
                           delivered again), A one roster push; B's roster
                           gains no item from it and B still chats
  roster A PW B PWB MAX    A's roster full (MAX items), then malformed and
                           oversized sets: an invalid JID (bad-request), an
                           unknown item removed (item-not-found), too many
                           groups (not-acceptable), a tenth item
                           (resource-constraint); A's roster unchanged
                           after them, B's untouched
  vcard A PW B PWB MAX     B's vCard set; A's vCard over MAX bytes refused
                           with not-acceptable; B's vCard intact, read by B
                           and by A
"""
import argparse
import asyncio
import sys

from xmpp_block import expect_error, expect_result
from xmpp_im import DOMAIN, NS_ROSTER, drain, fail, get, nothing, online, push


async def roster_items(c):
    r = await expect_result(c, "<query xmlns='%s'/>" % NS_ROSTER, "get", what="roster get")
    q = r.xml.find("{%s}query" % NS_ROSTER)
    return sorted((i.get("jid"), i.get("subscription"), i.get("ask"), i.get("name"))
                  for i in q.findall("{%s}item" % NS_ROSTER))


async def mode_flood_one(a):
    ca = await online(a.a + "/flood", a.pwa)
    cb = await online(a.b + "/victim", a.pwb)
    await asyncio.sleep(0.5)
    await drain(cb.presences)
    before = await roster_items(cb)
    for _ in range(a.n):
        ca.send_presence(pto=a.b, ptype="subscribe")
    await push(ca, a.b, "none", "subscribe", "the first request")
    got = 0
    while True:
        try:
            p = await asyncio.wait_for(cb.presences.get(), 3)
        except asyncio.TimeoutError:
            break
        if p["type"] == "subscribe":
            if p["from"].bare != a.a:
                fail("a subscribe from %s, expected %s" % (p["from"], a.a))
            got += 1
    if got != 1:
        fail("B got %d subscription requests out of %d sent, expected 1" % (got, a.n))
    await nothing(ca.pushes, "a second roster push to A for a repeated request")
    await nothing(cb.pushes, "a roster push to B for a request (pending-in is not shown)")
    if await roster_items(cb) != before:
        fail("B's roster changed: %s -> %s" % (before, await roster_items(cb)))
    # B is not disturbed: a message either way arrives.
    ca.send_message(mto=a.b, mbody="after the flood", mtype="chat")
    m = await get(cb.inbox, "A's message after the flood")
    if m["body"] != "after the flood":
        fail("B got %r" % m["body"])
    cb.send_message(mto=a.a, mbody="still here", mtype="chat")
    m = await get(ca.inbox, "B's message after the flood")
    ca.disconnect()
    cb.disconnect()
    print("flood-one: %d requests, B got 1, one push to A, B's roster unchanged" % a.n)


def item(jid, name=None, groups=(), sub=None):
    s = "<item jid='%s'" % jid
    if name is not None:
        s += " name='%s'" % name
    if sub is not None:
        s += " subscription='%s'" % sub
    return s + ">" + "".join("<group>%s</group>" % g for g in groups) + "</item>"


async def mode_roster(a):
    ca = await online(a.a + "/bad", a.pwa)
    cb = await online(a.b + "/other", a.pwb)
    await expect_result(cb, "<query xmlns='%s'>%s</query>" % (NS_ROSTER, item("z@" + DOMAIN, "z")),
                        what="B's own item")
    await push(cb, "z@" + DOMAIN, "none", None, "B's own set")
    b_before = await roster_items(cb)
    for i in range(a.max):
        await expect_result(ca, "<query xmlns='%s'>%s</query>" % (
            NS_ROSTER, item("r%d@%s" % (i, DOMAIN), "r%d" % i)), what="item %d" % i)
    await drain(ca.pushes)
    a_before = await roster_items(ca)
    if len(a_before) != a.max:
        fail("A's roster has %d items, expected %d" % (len(a_before), a.max))
    cases = [
        (item("a@b@" + DOMAIN), "bad-request", "an invalid JID (RFC 6122/7622)"),
        (item("@" + DOMAIN), "bad-request", "an empty localpart"),
        (item("nobody@" + DOMAIN, sub="remove"), "item-not-found",
         "removing an item that is not there (RFC 6121 §2.5.3)"),
        (item("r0@" + DOMAIN, groups=["g%d" % i for i in range(40)]), "not-acceptable",
         "more groups than an item may hold"),
        (item("over@" + DOMAIN), "resource-constraint", "one item past the limit"),
    ]
    for x, cond, what in cases:
        await expect_error(ca, "<query xmlns='%s'>%s</query>" % (NS_ROSTER, x), cond,
                           what=what)
    await nothing(ca.pushes, "a roster push after a refused set", 0.5)
    if await roster_items(ca) != a_before:
        fail("A's roster changed by refused sets")
    if await roster_items(cb) != b_before:
        fail("B's roster changed by A's bad input")
    await nothing(cb.pushes, "a roster push to B", 0.5)
    ca.disconnect()
    cb.disconnect()
    print("roster: full roster and malformed items refused, A's and B's rosters unchanged")


async def mode_vcard(a):
    ca = await online(a.a + "/v", a.pwa, presence=False)
    cb = await online(a.b + "/v", a.pwb, presence=False)
    card = "<vCard xmlns='vcard-temp'><FN>Erin</FN><NICKNAME>e</NICKNAME></vCard>"
    await expect_result(cb, card, what="B's vCard")
    big = "<vCard xmlns='vcard-temp'><DESC>%s</DESC></vCard>" % ("x" * a.max)
    await expect_error(ca, big, "not-acceptable", what="a vCard over the limit")
    # Sent "to" B, it is still A's own request: RFC 6120 §10.3.3 / XEP-0054
    # let no one set another's vCard.
    await expect_error(ca, big, "forbidden", "set", a.b, "a big vCard at B")
    for c in (cb, ca):
        r = await expect_result(c, "<vCard xmlns='vcard-temp'/>", "get", a.b, "B's vCard")
        v = r.xml.find("{vcard-temp}vCard")
        if v is None or v.findtext("{vcard-temp}FN") != "Erin" or \
                v.findtext("{vcard-temp}NICKNAME") != "e":
            fail("B's vCard read by %s after A's bad input: %s" % (c.boundjid, r))
    ca.disconnect()
    cb.disconnect()
    print("vcard: over the limit refused, B's vCard intact")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    for name in ("flood-one", "roster", "vcard"):
        s = sub.add_parser(name)
        s.add_argument("a"); s.add_argument("pwa"); s.add_argument("b"); s.add_argument("pwb")
        s.add_argument("n" if name == "flood-one" else "max", type=int)
    a = p.parse_args()
    fn = {"flood-one": mode_flood_one, "roster": mode_roster, "vcard": mode_vcard}[a.mode]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(fn(a), 120))
    except asyncio.TimeoutError:
        fail("%s: timed out" % a.mode)
    sys.exit(0)


if __name__ == "__main__":
    main()
