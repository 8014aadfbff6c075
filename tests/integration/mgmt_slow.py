#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Slow management clients (issue 13, item 5): for SECONDS, keep opening
connections to sb-control's UNIX socket (one every 0.6 s) and trickle one
byte every 0.3 s on each, never finishing a request line. Exit 0 when the
server closed every connection that lived past its deadline (about 1 s),
so none of them held the management loop; prints how many were closed.

  mgmt_slow.py SOCKET SECONDS
"""
import socket
import sys
import time


def main():
    path, seconds = sys.argv[1], float(sys.argv[2])
    open_socks, closed, opened = [], 0, 0
    start = time.monotonic()
    next_open = start
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now >= next_open:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            open_socks.append((s, now))
            opened += 1
            next_open = now + 0.6
        for s, born in list(open_socks):
            try:
                s.send(b"s")
            except OSError:
                open_socks.remove((s, born))
                s.close()
                closed += 1
        time.sleep(0.3)
    # Anything older than 2 s still open was not held to its deadline.
    now = time.monotonic()
    stale = [born for _, born in open_socks if now - born > 2.0]
    print("mgmt_slow: %d opened, %d closed by the server, %d overdue" %
          (opened, closed, len(stale)))
    if stale or closed == 0:
        print("FAIL: slow management clients were not closed at their deadline",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
