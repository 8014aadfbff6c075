#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Push notifications (XEP-0357) end to end: an app server as an external
component (slixmpp's ComponentXMPP, outside the namespace: sb-control
listens on kernel TCP) and raw clients in the namespace (xmpp_wire.Wire).
Every mode is bounded in time and exits non-zero with one line saying what
went wrong.

  appserver DOMAIN SECRET PORT OUT READY
      records every publish it gets as one JSON line in OUT (from, to,
      node, the summary fields, whether publish-options came along) and
      answers it; READY is written once the handshake is done
  scenario APPJID OUT BODY
      bob enables push (bad requests refused first), goes offline, alice
      writes: one notification, without the body unless BODY is "body";
      a chat state alone wakes nothing; bob comes back with stream
      management and vanishes (hibernated): alice's next message notifies
      again; bob disables: nothing more
"""
import asyncio
import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xmpp_wire import DOMAIN, Wire, fail  # noqa: E402

logging.basicConfig(level=logging.ERROR)
NS_PUSH = "urn:xmpp:push:0"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_DATA = "jabber:x:data"
NODE = "yxs32uqsflafdk3iuqo"


def mode_appserver(domain, secret, port, out, ready):
    from slixmpp.componentxmpp import ComponentXMPP
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath

    class AppServer(ComponentXMPP):
        def __init__(self):
            super().__init__(domain, secret, "127.0.0.1", int(port))
            self.add_event_handler("session_start", self._start)
            self.register_handler(Callback(
                "push", MatchXPath("{%s}iq/{%s}pubsub" % (self.default_ns, NS_PUBSUB)),
                self._publish))

        def _start(self, event):
            with open(ready, "w") as f:
                f.write("ready\n")

        def _publish(self, iq):
            ps = iq.xml.find("{%s}pubsub" % NS_PUBSUB)
            pub = ps.find("{%s}publish" % NS_PUBSUB)
            rec = {"from": str(iq["from"]), "to": str(iq["to"]), "type": iq["type"],
                   "node": pub.get("node") if pub is not None else None, "fields": {},
                   "options": ps.find("{%s}publish-options" % NS_PUBSUB) is not None}
            x = None if pub is None else pub.find(
                "{%s}item/{%s}notification/{%s}x" % (NS_PUBSUB, NS_PUSH, NS_DATA))
            for f in ([] if x is None else x.findall("{%s}field" % NS_DATA)):
                v = f.find("{%s}value" % NS_DATA)
                rec["fields"][f.get("var")] = v.text if v is not None else None
            if rec["options"]:
                o = ps.find("{%s}publish-options/{%s}x" % (NS_PUBSUB, NS_DATA))
                rec["secret"] = None
                for f in ([] if o is None else o.findall("{%s}field" % NS_DATA)):
                    if f.get("var") == "secret":
                        rec["secret"] = f.find("{%s}value" % NS_DATA).text
            with open(out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            iq.reply(clear=True).send()

    c = AppServer()
    c.connect()
    asyncio.get_event_loop().run_forever()


def notes(out):
    try:
        with open(out) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def wait_notes(out, n, seconds, what):
    deadline = time.monotonic() + seconds * 3  # a loaded machine is slow, not wrong
    while time.monotonic() < deadline:
        got = notes(out)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    fail("%s: %d notification(s) after %.0f s, wanted %d" % (what, len(notes(out)), seconds * 3,
                                                             n))


def quiet(out, n, seconds, what):
    time.sleep(seconds)
    if len(notes(out)) != n:
        fail("%s: %d notification(s), wanted still %d: %r" % (what, len(notes(out)), n,
                                                              notes(out)[n:]))


def iq(w, ident, body):
    w.send("<iq type='set' id='%s'>%s</iq>" % (ident, body))
    return w.wait(lambda s: s.attrs.get("id") == ident, 10, "answer to " + ident)


def error_of(r):
    e = r.child("error")
    if r.attrs.get("type") != "error" or e is None:
        return None
    return [c.name.split(" ")[-1] for c in e.children if not c.name.endswith(" text")][0]


def enable(w, ident, appjid, node, form=True):
    opts = ("<x xmlns='%s' type='submit'><field var='FORM_TYPE'><value>"
            "http://jabber.org/protocol/pubsub#publish-options</value></field>"
            "<field var='secret'><value>eruio234vzxc2kla-91</value></field></x>" % NS_DATA)
    attrs = "jid='%s'" % appjid + (" node='%s'" % node if node else "")
    return iq(w, ident, "<enable xmlns='%s' %s>%s</enable>" % (NS_PUSH, attrs,
                                                                 opts if form else ""))


def check_note(n, appjid, alice, body, what):
    f = n["fields"]
    if n["from"] != "bob@" + DOMAIN or n["to"] != appjid or n["node"] != NODE:
        fail("%s: addressed wrong: %r" % (what, n))
    if f.get("FORM_TYPE") != "urn:xmpp:push:summary":
        fail("%s: no summary form: %r" % (what, n))
    if f.get("last-message-sender") != alice or int(f.get("message-count") or 0) < 1:
        fail("%s: summary fields: %r" % (what, f))
    if not n["options"] or n.get("secret") != "eruio234vzxc2kla-91":
        fail("%s: the publish-options of the enable did not come along: %r" % (what, n))
    if body is None and "last-message-body" in f:
        fail("%s: the body was sent although im.push_body is false: %r" % (what, f))
    if body is not None and f.get("last-message-body") != body:
        fail("%s: body %r, wanted %r" % (what, f.get("last-message-body"), body))


def mode_scenario(appjid, out, body_mode):
    with_body = body_mode == "body"
    bob = Wire().login("bob", "pw-bob")
    # Refused: an app server we cannot reach, an enable without a node,
    # someone else's registrations.
    cond = error_of(enable(bob, "e1", "push.elsewhere.example", NODE))
    if cond != "remote-server-not-found":
        fail("enable to an unreachable app server: %r" % cond)
    cond = error_of(enable(bob, "e2", appjid, None))
    if cond != "bad-request":
        fail("enable without a node: %r" % cond)
    r = enable(bob, "e3", appjid, NODE)
    if r.attrs.get("type") != "result":
        fail("enable refused: %r" % error_of(r))
    bob.send("<iq type='get' id='d1' to='bob@%s'><query "
             "xmlns='http://jabber.org/protocol/disco#info'/></iq>" % DOMAIN)
    d = bob.wait(lambda s: s.attrs.get("id") == "d1", 10, "disco#info of the account")
    q = d.child("query")
    if q is None or NS_PUSH not in [c.attrs.get("var") for c in q.children]:
        fail("urn:xmpp:push:0 not advertised on the account")
    bob.close()
    print("push: enable refused for a remote app server and without a node; enabled; advertised")

    alice = Wire().login("alice", "pw-alice")
    before = len(notes(out))
    alice.send("<message to='bob@%s' type='chat' id='m1'><body>hi &amp; bye</body></message>"
               % DOMAIN)
    got = wait_notes(out, before + 1, 10, "bob offline")
    check_note(got[before], appjid, alice.jid, "hi & bye" if with_body else None, "offline")
    # A chat state alone is stored but wakes no phone.
    alice.send("<message to='bob@%s' type='chat' id='m2'><composing "
               "xmlns='http://jabber.org/protocol/chatstates'/></message>" % DOMAIN)
    quiet(out, before + 1, 1.5, "a chat state alone")
    print("push: a message to offline bob notified (%s); a chat state alone did not" %
          ("with its body" if with_body else "no body"))

    # bob back with resumable stream management, then gone without a
    # close: the session hibernates with the two offline messages its
    # client never acked; one notification for that burst (the newest
    # message worth it), then one for each message that reaches it.
    n0 = len(notes(out))
    bob = Wire().login("bob", "pw-bob", bind=False)
    bob.bind(presence=False)
    bob.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
    bob.wait(lambda s: s.name == "urn:xmpp:sm:3 enabled", 10, "sm enabled")
    bob.send("<presence/>")
    bob.wait(lambda s: s.attrs.get("id") == "m2", 10, "the offline messages at login")
    bob.reset()
    got = wait_notes(out, n0 + 1, 10, "bob hibernated with unacked messages")
    check_note(got[n0], appjid, alice.jid, "hi & bye" if with_body else None, "hibernated")
    quiet(out, n0 + 1, 1.0, "one notification for a burst")
    alice.send("<message to='bob@%s' type='chat' id='m3'><body>wake up</body></message>" % DOMAIN)
    got = wait_notes(out, n0 + 2, 10, "bob hibernated")
    check_note(got[n0 + 1], appjid, alice.jid, "wake up" if with_body else None, "hibernated")
    print("push: bob hibernated: one notification for what his connection gave back, "
          "one for the next message")

    bob = Wire().login("bob", "pw-bob")
    r = iq(bob, "x1", "<disable xmlns='%s' jid='%s'/>" % (NS_PUSH, appjid))
    if r.attrs.get("type") != "result":
        fail("disable refused: %r" % error_of(r))
    bob.close()
    time.sleep(0.5)
    n1 = len(notes(out))
    alice.send("<message to='bob@%s' type='chat' id='m4'><body>anyone?</body></message>" % DOMAIN)
    quiet(out, n1, 1.5, "after disable")
    alice.close()
    print("push: after disable, nothing")


def main():
    if len(sys.argv) < 2:
        fail(__doc__)
    if sys.argv[1] == "appserver" and len(sys.argv) == 7:
        mode_appserver(*sys.argv[2:7])
    elif sys.argv[1] == "scenario" and len(sys.argv) == 5:
        mode_scenario(*sys.argv[2:5])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
