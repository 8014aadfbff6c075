#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Drive profanity, an ordinary interactive XMPP client, as the README's chat
walkthrough does, through a pseudo-terminal: its own account file (STARTTLS
forced, the development CA's folder as its certpath: a certificate it cannot
verify stops the login), an auto-connect, one `/msg`, and the chat log it
keeps for what it received.

usage: profanity_drive.py HOME JID PASSWORD HOST CERTPATH TO BODY EXPECT_FROM
                          EXPECT_BODY READY_FILE TIMEOUT_S

Logs in as JID, touches READY_FILE once connected, sends BODY to TO, waits
until its chat log holds EXPECT_BODY from EXPECT_FROM, then quits. Exit 0 on
success; 1 with a reason on stderr otherwise (its debug log is printed).
"""
import glob
import os
import pty
import select
import signal
import sys
import time

(home, jid, password, host, certpath, to, body, exp_from, exp_body, ready,
 timeout_s) = sys.argv[1:12]
deadline = time.time() + float(timeout_s)
log = os.path.join(home, "profanity.log")

os.makedirs(os.path.join(home, ".local/share/profanity"), exist_ok=True)
os.makedirs(os.path.join(home, ".config/profanity"), exist_ok=True)
with open(os.path.join(home, ".local/share/profanity/accounts"), "w") as f:
    f.write("[%s]\nenabled=true\njid=%s\nserver=%s\nport=5222\nresource=profanity\n"
            "password=%s\ntls.policy=force\n" % (jid, jid, host, password))
with open(os.path.join(home, ".config/profanity/profrc"), "w") as f:
    f.write("[connection]\ntls.certpath=%s\n[logging]\nchlog=true\n" % certpath)

env = dict(os.environ, HOME=home, TERM="xterm", XDG_CONFIG_HOME=home + "/.config",
           XDG_DATA_HOME=home + "/.local/share", LANG="C.UTF-8")
pid, fd = pty.fork()
if pid == 0:
    os.execvpe("profanity", ["profanity", "-a", jid, "-l", "DEBUG", "-f", log], env)

screen = bytearray()


def pump(seconds):
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                screen.extend(os.read(fd, 65536))
            except OSError:
                return


def log_text():
    # profanity appends ".log" to a name given with -f when it lacks it
    for p in (log, log + ".log"):
        if os.path.exists(p):
            return open(p, errors="replace").read()
    return ""


def chatlogs():
    text = ""
    for p in glob.glob(os.path.join(home, ".local/share/profanity/chatlogs/**/*"),
                       recursive=True):
        if os.path.isfile(p):
            text += open(p, errors="replace").read()
    return text


def fail(why):
    sys.stderr.write("profanity_drive: %s\n--- profanity debug log (tail)\n%s\n"
                     % (why, log_text()[-4000:]))
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    sys.exit(1)


def wait_for(cond, what):
    while time.time() < deadline:
        pump(0.3)
        if cond():
            return
    fail("timed out waiting for " + what)


# libstrophe's handler reports the login once the stream is bound; the TLS
# policy is "force" and the certpath the development CA's, so a stream
# that got here is encrypted and its certificate verified.
wait_for(lambda: "Connection handler: logged in with" in log_text(), "the login")
open(ready, "w").close()
pump(1.0)
os.write(fd, ("/msg %s %s\r" % (to, body)).encode())
wait_for(lambda: exp_body in chatlogs() and exp_from.split("/")[0] in chatlogs(),
         "%r from %s in the chat log" % (exp_body, exp_from))
os.write(fd, b"/quit\r")
pump(1.0)
try:
    os.kill(pid, signal.SIGTERM)
except OSError:
    pass
print("profanity: %s logged in over TLS (certificate verified), sent %r to %s, received %r"
      % (jid, body, to, exp_body))
