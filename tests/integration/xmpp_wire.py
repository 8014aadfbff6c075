# SPDX-License-Identifier: BSD-3-Clause
"""A raw c2s client for tests that need exact bytes on the wire: PLAIN
login and bind on a plain socket, stanzas sent as given, and everything the
gateway writes parsed as it arrives by expat with namespaces. A byte that is
not namespace-well-formed in this client's stream fails the test at once:
that is the invariant every test holds the gateway to (docs/SECURITY.md).

Imported by the test scripts' helpers (/usr/bin/python3); not a test itself.
"""
import base64
import socket
import struct
import sys
import time
import xml.parsers.expat

HOST, PORT = "198.18.0.2", 5222
DOMAIN = "switchboard.test"
NS_STREAM = "http://etherx.jabber.org/streams"
HEADER = ("<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
          "xmlns='jabber:client' xmlns:stream='%s'>" % (DOMAIN, NS_STREAM)).encode()


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Stanza:
    """One top-level element: its expanded name, attributes and raw text."""

    def __init__(self, name, attrs):
        self.name, self.attrs, self.text, self.children = name, attrs, "", []

    def child(self, local):
        for c in self.children:
            if c.name.split(" ")[-1] == local:
                return c
        return None


class Wire:
    def __init__(self, host=HOST, port=PORT, timeout=10, src=None, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            # Before connect, so the window the SYN offers is this small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if src:
            self.sock.bind((src, 0))
        self.timeout = timeout
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.closed = False
        self.jid = None
        self._new_parser()

    def _new_parser(self):
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.depth = 0
        self.stack = []
        self.inbox = []

    def _start(self, name, attrs):
        self.depth += 1
        if self.depth == 1:
            return
        st = Stanza(name, attrs)
        if self.stack:
            self.stack[-1].children.append(st)
        self.stack.append(st)

    def _end(self, name):
        self.depth -= 1
        if self.depth == 0:
            self.inbox.append(Stanza(NS_STREAM + " end", {}))
            return
        st = self.stack.pop()
        if not self.stack:
            self.inbox.append(st)

    def _text(self, data):
        if self.stack:
            self.stack[-1].text += data

    def _feed(self, data):
        try:
            self.parser.Parse(data, False)
        except xml.parsers.expat.ExpatError as e:
            fail("the gateway wrote bytes that are not namespace-well-formed here: %s" % e)

    def pump(self, seconds, until_stanza=False):
        """Read for up to seconds (until_stanza: or until a new stanza is
        in the inbox); False once the connection is closed."""
        deadline = time.monotonic() + seconds
        had = len(self.inbox)
        while not self.closed and time.monotonic() < deadline:
            if until_stanza and len(self.inbox) > had:
                break
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                b = self.sock.recv(1 << 16)
            except socket.timeout:
                break
            except ConnectionResetError:
                b = b""
            if not b:
                self.closed = True
                break
            self._feed(b)
        return not self.closed

    def wait(self, pred, seconds, what):
        # Bounds are generous: a loaded machine is slow, not wrong.
        seconds *= 3
        """The first stanza of the inbox matching pred, removed from it."""
        deadline = time.monotonic() + seconds
        while True:
            for i, st in enumerate(self.inbox):
                if pred(st):
                    return self.inbox.pop(i)
            left = deadline - time.monotonic()
            if left <= 0 or (self.closed and not self.pump(0)):
                fail("%s: not received in %.0f s (closed=%s)" % (what, seconds, self.closed))
            self.pump(min(left, 0.5), until_stanza=True)

    def send(self, data):
        # pump() leaves whatever was left of its deadline on the socket (as
        # little as 10 ms): a write that meets a closed window for a moment
        # (the gateway holding back a sender while a recipient is slow) would
        # time out on that. Writes get the connection's own timeout.
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def restart(self):
        self._new_parser()
        self.send(HEADER)
        self.features = self.wait(lambda s: s.name == NS_STREAM + " features", 10,
                                  "stream features")

    def login(self, user, password, bind=True, opened=False):
        """PLAIN login; opened: the stream header was sent already."""
        if not opened:
            self.restart()
        cred = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
        self.send(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + cred +
                  b"</auth>")
        r = self.wait(lambda s: s.name.endswith(" success") or s.name.endswith(" failure"), 10,
                      "SASL answer")
        if not r.name.endswith(" success"):
            fail("PLAIN login of %s refused" % user)
        self.restart()
        if bind:
            self.bind()
        return self

    def bind(self, presence=True):
        """Bind a generated resource; then available presence unless told
        not to (a session without it still gets stanzas to its full JID,
        and nothing else: a test counting stanzas wants exactly that)."""
        self.send("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                  "</iq>")
        r = self.wait(lambda s: s.attrs.get("id") == "bind1", 10, "bind result")
        b = r.child("bind")
        if r.attrs.get("type") != "result" or b is None or b.child("jid") is None:
            fail("bind refused: %r" % r.attrs)
        self.jid = b.child("jid").text
        if presence:
            self.send("<presence/>")

    def reset(self):
        """Close with a RST (SO_LINGER 0): the connection ends abruptly."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.closed = True

    def close(self):
        try:
            self.send("</stream:stream>")
        except OSError:
            pass
        self.sock.close()
        self.closed = True


def stream_error(w, seconds=10):
    """The condition of the stream error w receives, and its text."""
    e = w.wait(lambda s: s.name == NS_STREAM + " error", seconds, "stream error")
    cond = [c.name.split(" ")[-1] for c in e.children if not c.name.endswith(" text")]
    text = e.child("text")
    return (cond[0] if cond else None), (text.text if text is not None else "")
