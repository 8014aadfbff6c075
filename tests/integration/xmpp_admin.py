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


def main():
    if len(sys.argv) >= 7 and sys.argv[1] == "hold":
        hold(*sys.argv[2:8])
        return
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
