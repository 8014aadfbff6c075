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
  xmpp_raw.py starttls-garbage             <starttls/>, <proceed/>, then bytes
                                             that are no ClientHello: closed
  xmpp_raw.py sasl-before-tls               PLAIN <auth/> on a stream whose TLS
                                             is required: <encryption-required/>
                                             and <policy-violation/>, closed
Exit 0 when the named condition arrived and the connection was closed.

  xmpp_raw.py namespaces ATTACKER APW VICTIM VPW DOMAIN
                          issue 14's prefix and c:from stanzas, sent to a
                          logged-in victim whose stream is read with a
                          namespace-aware parser (see namespaces()).
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


def login(user, password, header=HEADER, resource=None):
    """A raw PLAIN login and bind with header as both stream headers.
    Returns (socket, everything received on the restarted stream so far)."""
    import base64
    s = socket.create_connection((HOST, PORT), timeout=1)
    s.sendall(header)
    recv_until(s, b"</stream:features>", 10)
    cred = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
    s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + cred +
              b"</auth>")
    if b"<success" not in recv_until(s, b"success", 10):
        fail("PLAIN login of %s refused" % user)
    s.sendall(header)
    got = recv_until(s, b"</stream:features>", 10)
    res = b"<resource>" + resource.encode() + b"</resource>" if resource else b""
    s.sendall(b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" + res +
              b"</bind></iq>")
    got += recv_until(s, b"</iq>", 10)
    if b"<jid>" not in got:
        fail("bind of %s: %r" % (user, got[-200:]))
    return s, got[got.index(b"<?xml"):] if b"<?xml" in got else got


def fail(why):
    print("FAIL: " + why, file=sys.stderr)
    sys.exit(1)


class NsStream:
    """A namespace-aware reader of one received stream (expat, as Smack and
    other strict clients parse): any namespace or syntax error is fatal."""

    def __init__(self, first):
        import xml.parsers.expat
        self.error = xml.parsers.expat.ExpatError
        self.p = xml.parsers.expat.ParserCreate(namespace_separator="\x01")
        self.depth = 0
        self.stanzas = []  # (expanded name, attributes) of each top-level element
        self.p.StartElementHandler = self.start
        self.p.EndElementHandler = self.end
        self.raw = b""
        self.feed(first)

    def start(self, name, attrs):
        self.depth += 1
        if self.depth == 2:
            self.stanzas.append((name, attrs))

    def end(self, name):
        self.depth -= 1

    def drain(self, sock, seconds, until=None):
        """Read what arrives for up to seconds (or until `until` is seen)."""
        # The short timeout is for these reads only: a later sendall on this
        # socket keeps the caller's (a write that meets a closed window for
        # a moment must not time out in 0.2 s).
        kept = sock.gettimeout()
        sock.settimeout(0.2)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and (until is None or until not in self.raw):
                try:
                    b = sock.recv(65536)
                except socket.timeout:
                    continue
                if not b:
                    fail("the victim's connection was closed: %r" % self.raw[-300:])
                self.feed(b)
        finally:
            sock.settimeout(kept)

    def feed(self, data):
        self.raw += data
        try:
            self.p.Parse(data, False)
        except self.error as e:
            fail("the victim's stream is not namespace-well-formed (%s) after %r" %
                 (e, self.raw[-300:]))


def check_froms(stream):
    for name, attrs in stream.stanzas:
        froms = [k for k in attrs if k.split("\x01")[-1] == "from"]
        if len(froms) > 1:
            fail("a stanza with two froms reached the victim: %s %r" % (name, attrs))


def namespaces(attacker, apw, victim, vpw, domain):
    """Issue 14 findings 2 and 3 against a live gateway: the victim's stream
    stays up and parses with namespaces, the attacker gets its errors."""
    vs, first = login(victim, vpw, resource="v")
    bob = NsStream(first)
    vs.sendall(b"<presence/>")
    to = (victim + "@" + domain).encode()
    # finding 2: a prefix declared on the attacker's stream header only
    header_x = HEADER.replace(b"xmlns='jabber:client'", b"xmlns='jabber:client' xmlns:x='urn:a'")
    a1, _ = login(attacker, apw, header_x, resource="a1")
    a1.sendall(b"<message to='" + to + b"'><x:y/></message>")
    bob.drain(vs, 1)  # where the stanza would arrive, it must still parse
    a1.settimeout(10)
    got = recv_until(a1, b"</stream:stream>", 10)
    if b"<bad-namespace-prefix" not in got:
        fail("prefix stanza: expected <bad-namespace-prefix/>, got %r" % got[-300:])
    print("attacker 1: <bad-namespace-prefix/> for <x:y/>")
    # finding 3: from spoofed through a prefixed attribute
    a2, _ = login(attacker, apw, resource="a2")
    a2.sendall(b"<message xmlns:c='jabber:client' to='" + to + b"' c:from='" + to +
               b"/spoofed' id='spoof1'><body>spoof</body></message>")
    bob.drain(vs, 1)
    check_froms(bob)
    got = recv_until(a2, b"</message>", 10)
    if b"id='spoof1'" not in got or b"<bad-request" not in got:
        fail("c:from stanza: expected a bad-request error, got %r" % got[-300:])
    print("attacker 2: bad-request for c:from")
    # the attacker's second stream is still up, and the victim still hears
    a2.sendall(b"<message to='" + to + b"' id='ok1'><body>hello-after</body></message>")
    bob.drain(vs, 15, b"hello-after")
    if b"hello-after" not in bob.raw:
        fail("the victim did not get the later message: %r" % bob.raw[-300:])
    if b"stream:error" in bob.raw or b"spoof" in bob.raw or b"x:y" in bob.raw:
        fail("the victim received what it must not: %r" % bob.raw[-400:])
    check_froms(bob)
    print("victim: stream up, %d stanzas, all namespace-well-formed" % len(bob.stanzas))
    for s in (vs, a1, a2):
        s.close()


def starttls_garbage():
    """Garbage where the ClientHello belongs: the handshake fails, the
    gateway closes (an alert first, at most)."""
    s = socket.create_connection((HOST, PORT), timeout=1)
    s.sendall(HEADER)
    feats = recv_until(s, b"</stream:features>", 10)
    if b"<starttls" not in feats:
        fail("STARTTLS not offered: %r" % feats[-300:])
    s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    if b"<proceed" not in recv_until(s, b"<proceed", 10):
        fail("no <proceed/>")
    s.sendall(b"GET / HTTP/1.1\r\nHost: switchboard.test\r\n\r\n" + b"\x00" * 64)
    if not closed(s, 10):
        fail("the connection stayed open after garbage instead of a ClientHello")
    print("raw starttls-garbage: <proceed/>, then closed")


def sasl_before_tls():
    """xmpp.tls=required: SASL before STARTTLS is refused (RFC 6120 §6.5.4)."""
    s = socket.create_connection((HOST, PORT), timeout=1)
    s.sendall(HEADER)
    feats = recv_until(s, b"</stream:features>", 10)
    if b"<required/>" not in feats:
        fail("STARTTLS not offered as required: %r" % feats[-300:])
    s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
              b"AGFsaWNlAHNlY3JldC1h</auth>")
    got = recv_until(s, b"policy-violation", 10)
    if b"<encryption-required/>" not in got or b"policy-violation" not in got:
        fail("expected <encryption-required/> and <policy-violation/>: %r" % got[-300:])
    if not closed(s, 10):
        fail("the connection was not closed")
    print("raw sasl-before-tls: <encryption-required/>, <policy-violation/>, closed")


def main():
    if sys.argv[1] == "starttls-garbage":
        starttls_garbage()
        return
    if sys.argv[1] == "sasl-before-tls":
        sasl_before_tls()
        return
    if sys.argv[1] == "shutdown":
        shutdown(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    if sys.argv[1] == "salt":
        salt(sys.argv[2])
        return
    if sys.argv[1] == "kicked":
        kicked(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
        return
    if sys.argv[1] == "namespaces":
        namespaces(*sys.argv[2:7])
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
