#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bad input on a raw socket: open a c2s stream, send one payload, and
check the gateway answers with the expected stream error and closes.

  xmpp_raw.py CASE        CASE: malformed, doctype, entity-bomb, comment,
                          pi, huge, bad-utf8
  xmpp_raw.py shutdown USER PW READY         bind, write READY, expect
                                             <system-shutdown/> when stopped
  xmpp_raw.py kicked USER PW READY COND      bind, write READY, expect the
                                             stream error COND and the close
  xmpp_raw.py salt USER                      SCRAM-SHA-256 client-first; print
                                             the salt and iteration count
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


def login_bind(user, password, ready):
    """Log in with PLAIN on a raw stream, bind, and signal readiness."""
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
    return s


def closed(s, seconds):
    """True once the peer has closed the connection (EOF or reset)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not s.recv(65536):
                return True
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True
    return False


def shutdown(user, password, ready):
    """Wait for the gateway's <system-shutdown/> when it is stopped."""
    s = login_bind(user, password, ready)
    got = recv_until(s, b"system-shutdown", 30)
    if b"system-shutdown" not in got:
        print("FAIL: no <system-shutdown/> when the gateway stopped: %r" % got[-200:],
              file=sys.stderr)
        sys.exit(1)
    print("raw shutdown: <system-shutdown/> received")


def kicked(user, password, ready, cond):
    """Wait for the stream error cond (an account change) and the close."""
    s = login_bind(user, password, ready)
    want = b"<" + cond.encode() + b" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
    got = recv_until(s, b"</stream:stream>", 60)
    if b"<stream:error>" + want not in got:
        print("FAIL: expected the stream error <%s/>, got %r" % (cond, got[-300:]),
              file=sys.stderr)
        sys.exit(1)
    if not closed(s, 10):
        print("FAIL: <%s/> arrived but the connection stayed open" % cond, file=sys.stderr)
        sys.exit(1)
    print("raw kicked: <%s/> and closed" % cond)


def salt(user):
    """Print what server-first-message reveals about USER: salt, iterations."""
    import base64
    import re
    s = socket.create_connection((HOST, PORT), timeout=1)
    s.sendall(HEADER)
    recv_until(s, b"</stream:features>", 10)
    first = b"n,,n=" + user.encode() + b",r=fyko+d2lbbFgONRv9qkxdawL"
    s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>" +
              base64.b64encode(first) + b"</auth>")
    got = recv_until(s, b"</challenge>", 10)
    m = re.search(rb"<challenge[^>]*>([^<]*)</challenge>", got)
    if m is None:
        print("FAIL: no SCRAM challenge for %s: %r" % (user, got[-200:]), file=sys.stderr)
        sys.exit(1)
    attrs = dict(a.split("=", 1) for a in base64.b64decode(m.group(1)).decode().split(","))
    print("salt=%s salt_bytes=%d i=%s" % (attrs["s"], len(base64.b64decode(attrs["s"])),
                                          attrs["i"]))


def main():
    if sys.argv[1] == "shutdown":
        shutdown(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    if sys.argv[1] == "salt":
        salt(sys.argv[2])
        return
    if sys.argv[1] == "kicked":
        kicked(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
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
