#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send one SYN with chosen options (scapy, Debian python3-scapy) and check
the options of the SYN-ACK. Run inside the test's namespace, as root.

  --wscale N   offer window scale N (omit: no window-scale option)
  --expect-ws  the SYN-ACK must carry a window-scale option
  --expect-no-ws  it must not
Prints the SYN-ACK's options; exits non-zero with one line when the
expectation fails or no SYN-ACK comes within 3 s. The kernel knows
nothing of this connection and resets it, which is all the cleanup needed.
"""
import argparse
import random
import sys

from scapy.all import IP, TCP, conf, sr1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="198.18.0.2")
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--wscale", type=int, default=-1)
    p.add_argument("--expect-ws", action="store_true")
    p.add_argument("--expect-no-ws", action="store_true")
    a = p.parse_args()
    conf.verb = 0
    opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0))]
    if a.wscale >= 0:
        opts.append(("WScale", a.wscale))
    syn = IP(dst=a.host) / TCP(sport=random.randint(20000, 30000), dport=a.port, flags="S",
                               seq=random.getrandbits(32), options=opts)
    ans = sr1(syn, timeout=3, retry=2)
    if ans is None or TCP not in ans or (int(ans[TCP].flags) & 0x12) != 0x12:
        sys.exit("syn_options: no SYN-ACK from %s:%d" % (a.host, a.port))
    got = dict((k, v) for k, v in ans[TCP].options if isinstance(k, str))
    print("syn_options: offered wscale %s, SYN-ACK options %s"
          % (a.wscale if a.wscale >= 0 else "none", ans[TCP].options))
    if a.expect_ws and "WScale" not in got:
        sys.exit("syn_options: window scale offered but not answered (RFC 7323 §2.2)")
    if a.expect_no_ws and "WScale" in got:
        sys.exit("syn_options: window scale answered though not offered (RFC 7323 §1.3)")


if __name__ == "__main__":
    main()
