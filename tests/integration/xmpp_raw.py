#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bad input on a raw socket: open a c2s stream, send one payload, and
check the gateway answers with the expected stream error and closes.

  xmpp_raw.py CASE        CASE: malformed, doctype, entity-bomb, comment,
                          pi, huge, bad-utf8
Exit 0 when the named condition arrived and the connection was closed.
"""
import socket
import sys
import time

HOST, PORT = "198.18.0.2", 5222
HEADER = (b"<?xml version='1.0'?><stream:stream to='switchboard.test' version='1.0' "
          b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")

CASES = {
    "malformed": (b"<message><body>x</message>", b"not-well-formed"),
    "doctype": (b"<!DOCTYPE lolz [<!ENTITY lol 'lol'>]><message/>", b"restricted-xml"),
    "entity-bomb": (b"<message><body>&lol9;</body></message>", b"restricted-xml"),
    "comment": (b"<!-- hi --><message/>", b"restricted-xml"),
    "pi": (b"<?evil x?><message/>", b"restricted-xml"),
    "huge": (b"<message><body>" + b"A" * (1 << 20) + b"</body></message>", b"policy-violation"),
    "bad-utf8": (b"<message><body>\xc0\xaf</body></message>", b"not-well-formed"),
}


def recv_until(s, needle, seconds):
    got = b""
    deadline = time.monotonic() + seconds
    while needle not in got and time.monotonic() < deadline:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        if not b:
            break
        got += b
    return got


def shutdown(user, password, ready):
    """Log in with PLAIN on a raw stream, bind, signal readiness, then wait
    for the gateway's <system-shutdown/> when it is stopped."""
    import base64
    s = socket.create_connection((HOST, PORT), timeout=1)
    s.sendall(HEADER)
    recv_until(s, b"</stream:features>", 10)
    cred = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
    s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + cred +
              b"</auth>")
    if b"<success" not in recv_until(s, b"success", 10):
        print("FAIL: PLAIN login refused", file=sys.stderr)
        sys.exit(1)
    s.sendall(HEADER)
    recv_until(s, b"</stream:features>", 10)
    s.sendall(b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
    if b"<jid>" not in recv_until(s, b"</iq>", 10):
        print("FAIL: bind", file=sys.stderr)
        sys.exit(1)
    open(ready, "w").write("ready\n")
    got = recv_until(s, b"system-shutdown", 30)
    if b"system-shutdown" not in got:
        print("FAIL: no <system-shutdown/> when the gateway stopped: %r" % got[-200:],
              file=sys.stderr)
        sys.exit(1)
    print("raw shutdown: <system-shutdown/> received")


def main():
    if sys.argv[1] == "shutdown":
        shutdown(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    case = sys.argv[1]
    payload, want = CASES[case]
    s = socket.create_connection((HOST, PORT), timeout=10)
    s.sendall(HEADER)
    got = b""
    deadline = time.monotonic() + 10
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the gateway may close before the whole megabyte is in
    closed = False
    while time.monotonic() < deadline:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            closed = True
            break
        except socket.timeout:
            break
        if not b:
            closed = True
            break
        got += b
    if want not in got:
        print("FAIL: %s: expected <%s/>, got %r" % (case, want.decode(), got[-300:]),
              file=sys.stderr)
        sys.exit(1)
    if not closed:
        print("FAIL: %s: the connection was not closed" % case, file=sys.stderr)
        sys.exit(1)
    print("raw %s: <%s/> and closed" % (case, want.decode()))


if __name__ == "__main__":
    main()
