#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""systemd's side of Type=notify, for test_ops_notify.sh, without systemd:

  listen SOCK LOG        bind a datagram socket at SOCK (what NOTIFY_SOCKET
                         names) and append "TIME PID FIELD" lines to LOG for
                         every field of every message: TIME from
                         CLOCK_MONOTONIC, the sender's pid from its
                         credentials (SO_PASSCRED), as systemd takes it
  stall PID NAME SECONDS stop the one thread of PID whose name is NAME for
                         SECONDS, the others running on (ptrace SEIZE +
                         INTERRUPT: a wedged loop, not a stopped process);
                         prints "stalled TIME" and "resumed TIME" (the same
                         clock) so a test can count messages in between
"""
import ctypes
import os
import socket
import struct
import sys
import time

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000


def listen(path, log):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    os.chmod(path, 0o666)
    with open(log, "a", buffering=1) as f:
        while True:
            msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = 0
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", data[:12])[0]
            for field in msg.decode(errors="replace").split("\n"):
                if field:
                    f.write("%.3f %d %s\n" % (time.monotonic(), pid, field))


def stall(pid, name, seconds):
    tid = None
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
            if f.read().strip() == name:
                tid = int(t)
    if tid is None:
        sys.exit("sd_notify: no thread %s in pid %d" % (name, pid))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
        sys.exit("sd_notify: ptrace seize %d: %s" % (tid, os.strerror(ctypes.get_errno())))
    libc.ptrace(PTRACE_INTERRUPT, tid, None, None)
    os.waitpid(tid, WALL)
    print("stalled %.3f" % time.monotonic())
    time.sleep(float(seconds))
    print("resumed %.3f" % time.monotonic())
    if libc.ptrace(PTRACE_DETACH, tid, None, None) != 0:
        sys.exit("sd_notify: ptrace detach %d: %s" % (tid, os.strerror(ctypes.get_errno())))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "listen":
        listen(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "stall":
        stall(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        print(__doc__)
        sys.exit(2)
