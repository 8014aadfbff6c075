#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""SCRAM -PLUS (RFC 5802 §6) against the gateway, computed independently:
STARTTLS, then pyOpenSSL (libssl on our side) verifies the development CA
and gives the binding data: tls-exporter (RFC 9266,
SSL_export_keying_material "EXPORTER-Channel-Binding", 32 bytes) or
tls-server-end-point (RFC 5929 §4.1: the certificate hashed with its
signature's hash, SHA-256 here). The SCRAM client is written out below.

  scram_plus.py CA USER PW MECH CB [--tamper] [--expect-fail COND]
      MECH: SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, or a plain SCRAM mechanism
      CB:   tls-exporter, tls-server-end-point, or y (plain SCRAM with the
            gs2 flag "y": "I can bind but you cannot", a downgrade when the
            server offered -PLUS)
      --tamper       flip one bit of the binding data (another TLS session's)
      --expect-fail  the SASL <failure/> condition that must come instead
Checks that the features offer both -PLUS mechanisms and the XEP-0440
types, and on success the server's signature. Exit 0 on the expected
outcome, else one FAIL line.
"""
import base64
import hashlib
import hmac
import os
import re
import signal
import socket
import sys
import time

from OpenSSL import SSL, crypto

HOST, PORT, DOMAIN = "198.18.0.2", 5222, "switchboard.test"
HEADER = ("<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams'>" % DOMAIN).encode()
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def recv_until(recv, needles, seconds=15):
    got = b""
    deadline = time.monotonic() + seconds
    while not any(n in got for n in needles):
        if time.monotonic() > deadline:
            fail("timed out waiting for %r; got %r" % (needles, got[-300:]))
        try:
            b = recv(65536)
        except (SSL.WantReadError, socket.timeout):
            continue
        if not b:
            fail("connection closed; got %r" % got[-300:])
        got += b
    return got


def tls_stream(ca):
    s = socket.create_connection((HOST, PORT), timeout=15)
    s.sendall(HEADER)
    recv_until(s.recv, [b"</stream:features>"])
    s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    recv_until(s.recv, [b"<proceed"])
    # pyOpenSSL wants a blocking socket; main()'s alarm bounds the run.
    s.settimeout(None)
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.load_verify_locations(ca)
    ctx.set_verify(SSL.VERIFY_PEER, lambda conn, cert, errno, depth, ok: bool(ok))
    c = SSL.Connection(ctx, s)
    c.set_tlsext_host_name(DOMAIN.encode())
    c.set_connect_state()
    c.do_handshake()
    return c


def cbind_data(c, cb):
    if cb == "tls-exporter":
        return c.export_keying_material(b"EXPORTER-Channel-Binding", 32)
    cert = c.get_peer_certificate()
    der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
    alg = cert.get_signature_algorithm().decode().lower()
    # RFC 5929 §4.1: MD5 and SHA-1 become SHA-256.
    name = "sha384" if "sha384" in alg else "sha512" if "sha512" in alg else "sha256"
    return hashlib.new(name, der).digest()


def main():
    if len(sys.argv) < 6:
        fail(__doc__)
    ca, user, pw, mech, cb = sys.argv[1:6]
    signal.alarm(60)
    tamper = "--tamper" in sys.argv
    expect = sys.argv[sys.argv.index("--expect-fail") + 1] if "--expect-fail" in sys.argv else None
    hname = "sha256" if "SHA-256" in mech else "sha1"
    c = tls_stream(ca)
    c.sendall(HEADER)
    feats = recv_until(c.recv, [b"</stream:features>"]).decode()
    for m in ("SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"):
        if "<mechanism>%s</mechanism>" % m not in feats:
            fail("%s not offered over TLS: %s" % (m, feats[-400:]))
    for t in ("tls-exporter", "tls-server-end-point"):
        if "type='%s'" % t not in feats:
            fail("XEP-0440 type %s not advertised: %s" % (t, feats[-400:]))

    if cb == "y":
        gs2, data = "y,,", b""
    else:
        gs2, data = "p=%s,," % cb, cbind_data(c, cb)
        if tamper:
            data = bytes([data[0] ^ 1]) + data[1:]
    cnonce = base64.b64encode(os.urandom(18)).decode()
    bare = "n=%s,r=%s" % (user, cnonce)
    c.sendall(("<auth xmlns='%s' mechanism='%s'>%s</auth>" % (
        NS_SASL, mech, base64.b64encode((gs2 + bare).encode()).decode())).encode())
    got = recv_until(c.recv, [b"</challenge>", b"</failure>"]).decode()
    if "<failure" in got:
        if expect and "<%s/>" % expect in got:
            print("scram_plus: %s %s refused at client-first with <%s/> as expected" %
                  (mech, cb, expect))
            return
        fail("client-first refused: %s" % got)
    sfm = base64.b64decode(re.search(r"<challenge[^>]*>([^<]*)</challenge>", got).group(1)).decode()
    attrs = dict(kv.split("=", 1) for kv in sfm.split(","))
    if not attrs["r"].startswith(cnonce):
        fail("server nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(hname, pw.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    ckey = hmac.new(salted, b"Client Key", hname).digest()
    skey = hmac.new(salted, b"Server Key", hname).digest()
    stored = hashlib.new(hname, ckey).digest()
    cfwp = "c=%s,r=%s" % (base64.b64encode(gs2.encode() + data).decode(), attrs["r"])
    auth_msg = ("%s,%s,%s" % (bare, sfm, cfwp)).encode()
    csig = hmac.new(stored, auth_msg, hname).digest()
    proof = bytes(a ^ b for a, b in zip(ckey, csig))
    final = "%s,p=%s" % (cfwp, base64.b64encode(proof).decode())
    c.sendall(("<response xmlns='%s'>%s</response>" % (
        NS_SASL, base64.b64encode(final.encode()).decode())).encode())
    got = recv_until(c.recv, [b"</success>", b"</failure>", b"<failure xmlns='%s'/>" %
                              NS_SASL.encode()]).decode()
    if expect:
        if "<failure" in got and "<%s/>" % expect in got:
            print("scram_plus: %s %s%s refused with <%s/> as expected" %
                  (mech, cb, " (tampered)" if tamper else "", expect))
            return
        fail("expected <%s/>, got %s" % (expect, got))
    if "<success" not in got:
        fail("%s with %s refused: %s" % (mech, cb, got))
    v = base64.b64decode(re.search(r"<success[^>]*>([^<]*)</success>", got).group(1)).decode()
    want = base64.b64encode(hmac.new(skey, auth_msg, hname).digest()).decode()
    if v != "v=" + want:
        fail("server signature %s, expected v=%s" % (v, want))
    print("scram_plus: %s with %s: success, server signature verified" % (mech, cb))


if __name__ == "__main__":
    main()
