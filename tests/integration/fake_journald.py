#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""journald's native socket without journald, for test_log_journal.sh:

  fake_journald.py SOCK OUT   bind a datagram socket at SOCK (run it where
                              /run/systemd/journal/socket is SOCK, in a
                              mount namespace of the test's own) and append
                              one JSON object per entry to OUT, its fields
                              decoded from journald's native protocol
                              ("NAME=value\\n", or "NAME\\n" + 64-bit little
                              endian length + value + "\\n")
"""
import json
import os
import socket
import struct
import sys


def parse(data):
    fields = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = nl + 1
        else:
            name = line
            (n,) = struct.unpack_from("<Q", data, nl + 1)
            value = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[name.decode()] = value.decode(errors="replace")
    return fields


def main(path, out):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    with open(out, "a", buffering=1) as f:
        while True:
            data = s.recv(65536)
            f.write(json.dumps(parse(data)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
