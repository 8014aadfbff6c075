#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel-TCP echo client for the kernel-vs-Switchboard comparison: N
connections, each sending a MSG-byte message and waiting for its echo
before the next (ping-pong), for SECONDS. Prints messages per second and
round-trip percentiles; exits non-zero if an echo differs from what was
sent or a connection fails. Bounded by --seconds plus a connect timeout."""
import argparse
import asyncio
import sys
import time


async def one(host, port, cid, size, stop_at, lat):
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
    seq = 0
    while time.monotonic() < stop_at:
        msg = bytes((cid * 131 + seq * 17 + i) & 0xff for i in range(size))
        t0 = time.perf_counter_ns()
        writer.write(msg)
        got = await asyncio.wait_for(reader.readexactly(size), 10)
        lat.append(time.perf_counter_ns() - t0)
        if got != msg:
            raise RuntimeError("conn %d: echo %d differs" % (cid, seq))
        seq += 1
    writer.close()
    await writer.wait_closed()


async def main(a):
    lat = []
    stop_at = time.monotonic() + a.seconds
    t0 = time.monotonic()
    await asyncio.gather(*(one(a.host, a.port, i, a.msg, stop_at, lat) for i in range(a.conns)))
    dt = time.monotonic() - t0
    lat.sort()

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] / 1000.0 if lat else 0.0
    print("pingpong: host=%s conns=%d msg=%d msgs=%d msg_per_s=%.0f lat_us_p50=%.1f "
          "lat_us_p99=%.1f lat_us_p999=%.1f lat_us_max=%.1f"
          % (a.host, a.conns, a.msg, len(lat), len(lat) / dt, pct(0.5), pct(0.99), pct(0.999),
             lat[-1] / 1000.0 if lat else 0.0))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--msg", type=int, default=64)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    try:
        asyncio.run(main(a))
    except Exception as e:  # one line saying why, for the script's log
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
