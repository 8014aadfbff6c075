# SPDX-License-Identifier: BSD-3-Clause
"""A bounded TLS handshake flood on the direct-TLS port (XEP-0368): full
handshakes back to back, each verified against the dev CA with ALPN
xmpp-client; then a stream header, and the connection is closed once the
stream features come back over TLS (so the gateway finished its side of
the handshake too). Stops at COUNT connections or SECONDS, whichever comes
first. A handshake the gateway refuses (its cap
of handshakes in progress, tls.handshakes_per_worker) counts as refused.

Usage: tls_flood.py HOST PORT CA COUNT SECONDS
Prints: "flood: OK ok, REFUSED refused in T s (R handshakes/s)".
"""
import socket
import ssl
import sys
import time

host, port, ca, count, seconds = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                  int(sys.argv[4]), float(sys.argv[5]))
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["xmpp-client"])
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
HEADER = (b"<?xml version='1.0'?><stream:stream to='switchboard.test' version='1.0' "
          b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
ok = refused = 0
t0 = time.monotonic()
while ok + refused < count and time.monotonic() - t0 < seconds:
    try:
        with socket.create_connection((host, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="switchboard.test") as s:
                if s.selected_alpn_protocol() != "xmpp-client":
                    print("FAIL: ALPN %r" % s.selected_alpn_protocol(), file=sys.stderr)
                    sys.exit(1)
                s.sendall(HEADER)
                got = b""
                while b"</stream:features>" not in got:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
                if b"</stream:features>" in got:
                    ok += 1
                else:
                    refused += 1
    except ssl.SSLCertVerificationError as e:
        print("FAIL: certificate: %s" % e, file=sys.stderr)
        sys.exit(1)
    except (ssl.SSLError, OSError):
        refused += 1
dt = time.monotonic() - t0
print("flood: %d ok, %d refused in %.1f s (%.0f handshakes/s)" % (ok, refused, dt, ok / dt))
