#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A raw client held open for the operator's session commands (sbctl
session ..., message send, shutdown):

  xmpp_admin.py hold USER PW RESOURCE OUT COND [TEXT]

logs in with PLAIN, binds RESOURCE, sends initial presence, writes the
bound JID to OUT (the test waits for that file), then reads its stream:
every <body> it receives is appended to OUT.msgs, one per line. It exits
0 when the stream error COND arrived (with TEXT in its <text/> when given)
and the server closed the connection; COND 'none' holds until killed.

  xmpp_admin.py linger OUT RELEASE TEXT

opens a stream without logging in, writes OUT, and waits for
<system-shutdown/> with TEXT (sbctl shutdown); then, keeping that
connection open (so the gateway is still draining), opens a second one,
which must be refused with <system-shutdown/> too; holds both until the
file RELEASE exists (at most 60 s), then closes them.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xmpp_raw  # noqa: E402


def hold(user, password, resource, out, cond, text=None):
    s, got = xmpp_raw.login(user, password, resource=resource)
    m = re.search(rb"<jid>([^<]+)</jid>", got)
    if m is None:
        xmpp_raw.fail("no bound JID in %r" % got[-200:])
    s.sendall(b"<presence/>")
    with open(out + ".tmp", "w") as f:
        f.write(m.group(1).decode() + "\n")
    os.rename(out + ".tmp", out)
    buf = b""
    seen = 0
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            b = b""
        buf += b
        bodies = re.findall(rb"<body>([^<]*)</body>", buf)
        if len(bodies) > seen:
            with open(out + ".msgs", "a") as f:
                for body in bodies[seen:]:
                    f.write(body.decode() + "\n")
            seen = len(bodies)
        if not b:
            break
    if cond == "none":
        xmpp_raw.fail("the stream of %s ended: %r" % (user, buf[-300:]))
    want = b"<" + cond.encode() + b" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
    if b"<stream:error>" + want not in buf:
        xmpp_raw.fail("expected <%s/>, got %r" % (cond, buf[-300:]))
    if text is not None:
        t = re.search(rb"<text[^>]*>([^<]*)</text>", buf)
        if t is None or t.group(1).decode() != text:
            xmpp_raw.fail("expected the text %r, got %r" % (text, buf[-300:]))
    if not buf.endswith(b"</stream:stream>"):
        xmpp_raw.fail("the stream did not end with </stream:stream>: %r" % buf[-100:])
    print("admin hold %s: <%s/>%s and closed" % (user, cond, " with its text" if text else ""))


def linger(out, release, text):
    s = socket.create_connection((xmpp_raw.HOST, xmpp_raw.PORT), timeout=1)
    s.sendall(xmpp_raw.HEADER)
    xmpp_raw.recv_until(s, b"</stream:features>", 10)
    open(out, "w").write("ready\n")
    got = xmpp_raw.recv_until(s, b"</stream:stream>", 60)
    want = ("<system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
            "xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>%s</text>" % text)
    if want.encode() not in got:
        xmpp_raw.fail("no <system-shutdown/> with the text on an open stream: %r" % got[-300:])
    s2 = socket.create_connection((xmpp_raw.HOST, xmpp_raw.PORT), timeout=1)
    s2.sendall(xmpp_raw.HEADER)
    got = xmpp_raw.recv_until(s2, b"</stream:stream>", 30)
    if want.encode() not in got:
        xmpp_raw.fail("a new stream while draining was not refused: %r" % got[-300:])
    deadline = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.1)
    s.close()
    s2.close()
    print("admin linger: told, and a new stream refused, while draining")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "linger":
        linger(*sys.argv[2:5])
        return
    if len(sys.argv) >= 7 and sys.argv[1] == "hold":
        hold(*sys.argv[2:8])
        return
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
