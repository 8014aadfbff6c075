#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Path MTU (RFC 1191) against a live connection: a kernel client in the
# namespace echoes data through the gateway while watching the gateway's
# segments on its interface, and forges ICMP "fragmentation needed" about
# that connection. One quoting a sequence number outside the gateway's send
# window must be ignored and counted (RFC 5927 §4.1); one quoting the
# window must lower the gateway's segments to fit the new MTU, and the
# connection must keep echoing byte-exact. Other unreachables and ICMP
# about no connection are counted too.
IT_NAME=tcppmtu
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="tcp.echo_port=7"

it_step "start"
it_start

probe="$SB_RUN/pmtu_probe.py"
cat >"$probe" <<'EOF'
import hashlib, os, socket, struct, subprocess, sys, time

GW, HOST, PORT, TAP = sys.argv[1], sys.argv[2], 7, sys.argv[3]
SBCTL = sys.argv[4:]
MTU = 1000

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def counters():
    out = subprocess.run(SBCTL + ["status"], capture_output=True, text=True, check=True).stdout
    c = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit():
            c[f[0]] = int(f[1])
    return c

def wait_counter(name, want, timeout=5.0):
    # lib/tcp's counters reach shared memory about once a second
    t0 = time.monotonic()
    while True:
        v = counters().get(name, 0)
        if v >= want or time.monotonic() - t0 > timeout:
            return v
        time.sleep(0.2)

sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
sniff.bind((TAP, 0x0800))
sniff.setblocking(False)
# read only after each echo: room for all of it (SO_RCVBUFFORCE, we are root)
sniff.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
s = socket.create_connection((GW, PORT), timeout=10)
lport = s.getsockname()[1]
gw_b, host_b = socket.inet_aton(GW), socket.inet_aton(HOST)

def gw_segments():
    """(seq, payload length) of the gateway's segments to us seen so far."""
    segs = []
    while True:
        try:
            f = sniff.recv(65536)
        except BlockingIOError:
            return segs
        ip = f[14:]
        if len(ip) < 40 or ip[9] != 6 or ip[12:16] != gw_b or ip[16:20] != host_b:
            continue
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        sp, dp, seq = struct.unpack("!HHI", ip[ihl:ihl + 8])
        if sp != PORT or dp != lport:
            continue
        segs.append((seq, tot - ihl - (ip[ihl + 12] >> 4) * 4))

def echo(tag, n=65536):
    data = hashlib.sha256(tag.encode()).digest() * (n // 32)
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        b = s.recv(65536)
        if not b:
            fail("%s: connection closed after %d bytes" % (tag, len(got)))
        got += b
    if got != data:
        fail("%s: echo differs" % tag)
    time.sleep(0.3)  # let the last ACKs pass; SND.UNA == SND.NXT again
    segs = gw_segments()
    if not segs:
        fail("%s: saw none of the gateway's segments" % tag)
    base = segs[0][0]
    nxt = base + max((q - base) % 2**32 + l for q, l in segs)
    return max(l for _, l in segs), nxt % 2**32

def unreach(code, seq, dport, mtu=MTU):
    # RFC 792/1191: type 3, unused 16 bits, next-hop MTU, then the quoted
    # IPv4 header of the datagram the gateway sent and 8 bytes of its TCP
    qip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 0, 0x4000, 63, 6, 0, gw_b, host_b)
    qip = qip[:10] + struct.pack("!H", csum(qip)) + qip[12:]
    body = struct.pack("!HHI", PORT, dport, seq)
    msg = struct.pack("!BBHHH", 3, code, 0, 0, mtu) + qip + body
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    r.sendto(msg, (GW, 0))
    r.close()

gw_segments()
big, nxt = echo("before")
print("before: largest gateway segment %d bytes" % big)
if big <= MTU - 40:
    fail("segments of %d bytes already fit MTU %d: the test proves nothing" % (big, MTU))
c0 = counters()

unreach(4, (nxt + 0x10000000) % 2**32, lport)
v = wait_counter("ICMP_PMTU_BAD_SEQ", c0.get("ICMP_PMTU_BAD_SEQ", 0) + 1)
if v != c0.get("ICMP_PMTU_BAD_SEQ", 0) + 1:
    fail("out-of-window frag-needed: ICMP_PMTU_BAD_SEQ %d, expected %d"
         % (v, c0.get("ICMP_PMTU_BAD_SEQ", 0) + 1))
big, nxt = echo("after-bad-seq")
print("after an out-of-window frag-needed: largest segment %d bytes" % big)
if big <= MTU - 40:
    fail("an out-of-window ICMP lowered the MSS")
if counters().get("ICMP_PMTU_APPLIED", 0) != c0.get("ICMP_PMTU_APPLIED", 0):
    fail("an out-of-window ICMP was applied")

unreach(4, nxt, lport)
v = wait_counter("ICMP_PMTU_APPLIED", c0.get("ICMP_PMTU_APPLIED", 0) + 1)
if v != c0.get("ICMP_PMTU_APPLIED", 0) + 1:
    fail("in-window frag-needed: ICMP_PMTU_APPLIED %d" % v)
big, nxt = echo("after-pmtu", 262144)
print("after frag-needed MTU %d: largest segment %d bytes, echo byte-exact" % (MTU, big))
if big > MTU - 40:
    fail("segment of %d bytes does not fit MTU %d" % (big, MTU))

unreach(1, nxt, lport)  # host unreachable: a soft error
v = wait_counter("ICMP_UNREACH", c0.get("ICMP_UNREACH", 0) + 1)
if v != c0.get("ICMP_UNREACH", 0) + 1:
    fail("host unreachable not counted")
unreach(4, nxt, lport ^ 0x5555)  # no such connection
v = wait_counter("ICMP_NO_CONN", c0.get("ICMP_NO_CONN", 0) + 1)
if v != c0.get("ICMP_NO_CONN", 0) + 1:
    fail("frag-needed for no connection not counted")
echo("still-alive")
s.close()
print("pmtu probe ok")
EOF

it_step "frag-needed out of window ignored, in window applied, echo byte-exact"
ip netns exec "$SB_NS" /usr/bin/python3 "$probe" "$SB_GW_IP" "$SB_HOST_IP" "$SB_TAP" \
	$SBCTL || it_fail "path MTU probe"
for c in ICMP_PMTU_APPLIED ICMP_PMTU_BAD_SEQ ICMP_UNREACH ICMP_NO_CONN; do
	echo "$c $(it_tcp_counter $c)"
done
echo "PASS"
