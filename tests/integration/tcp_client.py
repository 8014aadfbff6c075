#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel-TCP clients for the integration tests, run inside the test's
namespace. Every mode is bounded in count and time and exits non-zero,
with one line saying why, when what came back is not what was sent.

  echo      N connections each stream their share of B bytes through the
            echo service and check every byte comes back in order
  many      N concurrent connections: all open, each exchanges a message,
            all close
  synflood  K raw SYNs from spoofed sources in 198.18.0.0/24 (no state kept)
  rounds    one connection: echo round trips of M bytes, each checked and
            each within --round-timeout, while --hold-file exists (at most
            K rounds)
"""
import argparse
import asyncio
import hashlib
import os
import random
import resource
import socket
import struct
import sys
import time


def pattern(conn_id, n):
    """Deterministic bytes for connection conn_id: a mismatch names the
    connection and offset."""
    out = bytearray()
    block = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (conn_id, block)).digest()
        block += 1
    return bytes(out[:n])


async def echo_one(host, port, conn_id, nbytes, chunk):
    reader, writer = await asyncio.open_connection(host, port)
    data = pattern(conn_id, nbytes)

    async def send():
        for off in range(0, nbytes, chunk):
            writer.write(data[off:off + chunk])
            await writer.drain()

    sender = asyncio.create_task(send())
    got = 0
    while got < nbytes:
        buf = await reader.read(65536)
        if not buf:
            raise RuntimeError("conn %d: closed after %d of %d bytes" % (conn_id, got, nbytes))
        if buf != data[got:got + len(buf)]:
            raise RuntimeError("conn %d: bytes differ at offset %d" % (conn_id, got))
        got += len(buf)
    await sender
    writer.close()
    await writer.wait_closed()
    return got


async def run_echo(a):
    share = a.bytes // a.conns
    t0 = time.monotonic()
    res = await asyncio.wait_for(
        asyncio.gather(*(echo_one(a.host, a.port, i, share, a.chunk) for i in range(a.conns))),
        a.timeout)
    dt = time.monotonic() - t0
    total = sum(res)
    print("echo: %d connections, %d bytes back byte-exact in %.1f s (%.1f Mbit/s each way)"
          % (a.conns, total, dt, total * 8 / dt / 1e6))


async def many_one(host, port, conn_id, opened, go, msg_len):
    reader, writer = await asyncio.open_connection(host, port)
    opened.append(conn_id)
    await go.wait()           # hold every connection open at once
    msg = pattern(conn_id, msg_len)
    writer.write(msg)
    await writer.drain()
    back = await reader.readexactly(msg_len)
    if back != msg:
        raise RuntimeError("conn %d: echo differs" % conn_id)
    writer.write_eof()
    tail = await reader.read()  # the echo service closes after our FIN
    if tail:
        raise RuntimeError("conn %d: %d unexpected bytes after the echo" % (conn_id, len(tail)))
    writer.close()
    return 1


async def run_many(a):
    opened, go = [], asyncio.Event()
    sem = asyncio.Semaphore(a.parallel)

    async def guarded(i):
        async with sem:
            reader_writer = asyncio.create_task(many_one(a.host, a.port, i, opened, go, a.msg))
            while len(opened) <= i and not reader_writer.done():
                await asyncio.sleep(0)
            return reader_writer

    t0 = time.monotonic()
    tasks = await asyncio.wait_for(asyncio.gather(*(guarded(i) for i in range(a.conns))),
                                   a.timeout)
    while len(opened) < a.conns:
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.05)
        if time.monotonic() - t0 > a.timeout:
            raise RuntimeError("only %d of %d connections opened" % (len(opened), a.conns))
    t_open = time.monotonic() - t0
    print("many: %d connections open at once after %.1f s" % (len(opened), t_open))
    if a.hold_file:
        with open(a.hold_file, "w") as f:
            f.write("%d\n" % len(opened))
        time.sleep(a.hold)
    go.set()
    done = await asyncio.wait_for(asyncio.gather(*tasks), a.timeout)
    print("many: %d connections exchanged a message and closed in %.1f s"
          % (sum(done), time.monotonic() - t0))


async def run_rounds(a):
    t0 = time.monotonic()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(a.host, a.port), 10)
    n = 0
    while n < a.count and time.monotonic() - t0 < a.timeout:
        if n > 0 and a.hold_file and not os.path.exists(a.hold_file):
            break
        msg = pattern(n, a.msg)
        writer.write(msg)
        await writer.drain()
        try:
            back = await asyncio.wait_for(reader.readexactly(a.msg), a.round_timeout)
        except asyncio.TimeoutError:
            raise RuntimeError("round %d: no echo within %.1f s" % (n, a.round_timeout))
        if back != msg:
            raise RuntimeError("round %d: echo differs" % n)
        n += 1
        await asyncio.sleep(0.01)
    writer.close()
    print("rounds: %d echo round trips byte-exact in %.1f s" % (n, time.monotonic() - t0))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def run_synflood(a):
    dst = socket.inet_aton(a.host)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rnd = random.Random(1)
    t0 = time.monotonic()
    for i in range(a.count):
        src = socket.inet_aton("198.18.0.%d" % rnd.randint(100, 250))
        sport = rnd.randint(1024, 65535)
        tcp = struct.pack("!HHIIBBHHH", sport, a.port, rnd.getrandbits(32), 0, 5 << 4, 0x02,
                          65535, 0, 0)
        phdr = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(phdr + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0, 64, 6, 0,
                         src, dst)
        s.sendto(ip + tcp, (a.host, 0))
        if time.monotonic() - t0 > a.timeout:
            break
    print("synflood: %d SYNs sent in %.1f s" % (i + 1, time.monotonic() - t0))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["echo", "many", "synflood", "rounds"])
    p.add_argument("--host", default="198.18.0.2")
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--conns", type=int, default=10)
    p.add_argument("--bytes", type=int, default=1 << 20)
    p.add_argument("--chunk", type=int, default=16384)
    p.add_argument("--msg", type=int, default=64)
    p.add_argument("--parallel", type=int, default=256)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--hold-file", default="")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--round-timeout", type=float, default=5)
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, a.conns + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        if a.mode == "echo":
            asyncio.run(run_echo(a))
        elif a.mode == "many":
            asyncio.run(run_many(a))
        elif a.mode == "rounds":
            asyncio.run(run_rounds(a))
        else:
            run_synflood(a)
    except Exception as e:  # one clear line for the test log
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
