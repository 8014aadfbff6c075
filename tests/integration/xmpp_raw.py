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


def main():
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
